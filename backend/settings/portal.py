"""The sync with the National Public Service Portal (Cổng Dịch vụ công quốc gia, issue 18)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from backend.settings.parse import SettingsError, all_or_none, gateway_url, integer

_ADAPTER = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """Which adapter sends the dossiers ("" : none, the default, so that a demo needs no
    portal), where its adapter service answers, the province's account and unit code
    there, how long one call may take, how long a failing send is retried before it
    waits for the nightly resend or an official's "Gửi lại", and the Vietnamese hour at
    which the nightly resend runs."""

    adapter: str = ""
    base_url: str = ""
    username: str = ""
    password: str = ""
    unit_code: str = ""  # "madonvi": the province's unit at the portal
    timeout_s: float = 10.0
    lease_s: int = 60
    retry_hours: int = 24
    resend_hour: int = 2

    @property
    def enabled(self) -> bool:
        return bool(self.adapter)


def portal_settings(env: Mapping[str, str], environment: str) -> PortalSettings:
    adapter = env.get("MOTCUA_PORTAL_ADAPTER", "").strip().lower()
    timeout_s = integer(env, "MOTCUA_PORTAL_TIMEOUT_S", 10, low=1, high=60)
    lease_s = integer(env, "MOTCUA_PORTAL_LEASE_S", 60, low=5, high=3600)
    # A send is up to three calls (sign-in, the dossier, its progress): a lease shorter
    # than that would let a second worker send the same dossier while the first still
    # waits for an answer, and the portal could get an older state after a newer one.
    if lease_s < 3 * timeout_s + 2:
        raise SettingsError(
            "MOTCUA_PORTAL_LEASE_S", "must be at least three times MOTCUA_PORTAL_TIMEOUT_S plus 2"
        )
    retry_hours = integer(env, "MOTCUA_PORTAL_RETRY_HOURS", 24, low=1, high=24 * 14)
    resend_hour = integer(env, "MOTCUA_PORTAL_RESEND_HOUR", 2, low=0, high=23)
    if not adapter:
        return PortalSettings(
            timeout_s=timeout_s, lease_s=lease_s, retry_hours=retry_hours, resend_hour=resend_hour
        )
    if not _ADAPTER.fullmatch(adapter):
        raise SettingsError("MOTCUA_PORTAL_ADAPTER", f"is not an adapter name (got {adapter!r})")
    names = ("MOTCUA_PORTAL_URL", "MOTCUA_PORTAL_USERNAME", "MOTCUA_PORTAL_PASSWORD")
    values = all_or_none(env, names)
    if not all(values):
        raise SettingsError("MOTCUA_PORTAL_URL", "is required with MOTCUA_PORTAL_ADAPTER")
    # The portal's account and every dossier go over it: https only in production.
    base_url = gateway_url(env, "MOTCUA_PORTAL_URL", "", environment).rstrip("/")
    unit_code = env.get("MOTCUA_PORTAL_UNIT_CODE", "").strip()
    if not unit_code or len(unit_code) > 40:
        raise SettingsError("MOTCUA_PORTAL_UNIT_CODE", "must be 1 to 40 characters")
    return PortalSettings(
        adapter=adapter,
        base_url=base_url,
        username=values[1],
        password=values[2],
        unit_code=unit_code,
        timeout_s=timeout_s,
        lease_s=lease_s,
        retry_hours=retry_hours,
        resend_hour=resend_hour,
    )
