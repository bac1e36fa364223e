"""Notification channels beside push: e-mail (SMTP), SMS (eSMS.vn), Zalo ZNS."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from backend.settings.parse import SettingsError, all_or_none, choice, gateway_url, integer

ESMS_API_URL = "https://rest.esms.vn/MainService.svc/json/"
ZNS_API_URL = "https://business.openapi.zalo.me/message/template"


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """E-mail (SMTP), SMS (eSMS.vn) and Zalo ZNS: a provider whose settings are unset
    is not offered."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    esms_api_key: str = ""
    esms_secret_key: str = ""
    esms_brandname: str = ""
    esms_api_url: str = ESMS_API_URL
    zns_access_token: str = ""
    zns_app_id: str = ""
    zns_oa_secret: str = ""
    # (notice kind, template id) pairs: the kinds ZNS can carry.
    zns_templates: tuple[tuple[str, str], ...] = ()
    zns_api_url: str = ZNS_API_URL
    channel_timeout_s: float = 10.0


def channel_settings(env: Mapping[str, str], environment: str) -> ChannelSettings:
    """E-mail, SMS and ZNS settings: each provider's come together or not at all."""
    host, sender = all_or_none(env, ("MOTCUA_SMTP_HOST", "MOTCUA_SMTP_FROM"))
    if sender and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+", sender):
        raise SettingsError("MOTCUA_SMTP_FROM", "must be an e-mail address (name@domain)")
    username, password = all_or_none(env, ("MOTCUA_SMTP_USERNAME", "MOTCUA_SMTP_PASSWORD"))
    security = choice(env, "MOTCUA_SMTP_SECURITY", ("starttls", "tls", "none"), "starttls")
    if security == "none" and environment == "production":
        raise SettingsError("MOTCUA_SMTP_SECURITY", "must be starttls or tls in production")
    api_key, secret, brandname = all_or_none(
        env, ("MOTCUA_ESMS_API_KEY", "MOTCUA_ESMS_SECRET_KEY", "MOTCUA_ESMS_BRANDNAME")
    )
    if brandname and not (len(brandname) <= 11 and brandname.isascii()):
        raise SettingsError("MOTCUA_ESMS_BRANDNAME", "must be the registered brand name (ASCII)")
    token, app_id, oa_secret, templates = all_or_none(
        env,
        (
            "MOTCUA_ZNS_ACCESS_TOKEN",
            "MOTCUA_ZNS_APP_ID",
            "MOTCUA_ZNS_OA_SECRET",
            "MOTCUA_ZNS_TEMPLATES",
        ),
    )
    return ChannelSettings(
        smtp_host=host,
        smtp_from=sender,
        smtp_port=integer(env, "MOTCUA_SMTP_PORT", 587, low=1, high=65535),
        smtp_username=username,
        smtp_password=password,
        smtp_security=security,  # type: ignore[arg-type]
        esms_api_key=api_key,
        esms_secret_key=secret,
        esms_brandname=brandname,
        esms_api_url=gateway_url(env, "MOTCUA_ESMS_API_URL", ESMS_API_URL, environment),
        zns_access_token=token,
        zns_app_id=app_id,
        zns_oa_secret=oa_secret,
        zns_templates=_zns_templates(templates),
        zns_api_url=gateway_url(env, "MOTCUA_ZNS_API_URL", ZNS_API_URL, environment),
        channel_timeout_s=integer(env, "MOTCUA_CHANNEL_TIMEOUT_S", 10, low=1, high=30),
    )


def _zns_templates(raw: str) -> tuple[tuple[str, str], ...]:
    """``dossier.received=231234,feedback.answered=231235``: the template of each kind."""
    pairs: list[tuple[str, str]] = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        kind, _, template = item.partition("=")
        if not re.fullmatch(r"[a-z_]+\.[a-z_]+", kind.strip()) or not template.strip().isdigit():
            raise SettingsError(
                "MOTCUA_ZNS_TEMPLATES", f"must be kind=template_id pairs (got {item!r})"
            )
        pairs.append((kind.strip(), template.strip()))
    return tuple(pairs)


# What ``motcua signing-test-ca`` writes into a data dir's ``pki`` folder, taken as the
