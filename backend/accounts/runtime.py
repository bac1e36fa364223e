"""The accounts domain's configuration for one app: relying party, session lengths,
rate limiter, recovery-code key (and the argon2 hasher of older codes), the key of
signed links, the agency lookup, the attachments (organisation claims' certificates)
and the clock (replaceable in tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from backend.accounts.identity import IdentityProvider, provider_from_settings
from backend.accounts.ratelimit import (
    CounterStore,
    FallbackCounters,
    MemoryCounters,
    Network,
    RateLimiter,
    RedisCounters,
    parse_networks,
)
from backend.attachments import Attachments
from backend.clock import utc_now
from backend.errors import NotFound
from backend.i18n import N_
from backend.settings import Settings

SESSION_COOKIE = "motcua_session"
SECURE_SESSION_COOKIE = "__Host-motcua_session"  # https: no Domain, Path=/, Secure
CHALLENGE_TTL = dt.timedelta(minutes=5)
ENROLMENT_TTL = dt.timedelta(hours=24)
INVITATION_TTL = dt.timedelta(days=7)
# A counter re-enrolment can be disowned ("this was not me") this long after it, and
# until then what the account had before it stays (see service/reenrolment.py): long
# enough for someone who signs in once a week to see the notice in their inbox.
DISOWN_TTL = dt.timedelta(days=14)
# A session's last-seen time is written at most this often (it is one write a request).
TOUCH_EVERY = dt.timedelta(seconds=60)

# Finds an agency by its code, raising NotFound when there is none. The catalogue owns
# agencies (``catalogue.service.get_agency``); create_app and the CLI hand it in, so
# that accounts, which the catalogue's guards depend on, does not import the catalogue.
AgencyLookup = Callable[[str], Awaitable[object]]


async def no_agencies(code: str) -> object:
    """The lookup of a runtime given none: it knows no agency, so creates no official."""
    raise NotFound(N_("Không có cơ quan nào có mã %(code)s.", code=code), field="agency_code")


@dataclass(slots=True)
class AccountsRuntime:
    rp_id: str
    rp_name: str
    origin: str
    public_url: str
    secure_cookies: bool
    citizen_idle: dt.timedelta
    staff_idle: dt.timedelta
    staff_absolute: dt.timedelta
    trusted_proxies: tuple[Network, ...]
    hasher: PasswordHasher
    limiter: RateLimiter
    reenrol_ttl: dt.timedelta
    # The app's one Attachments (its checks are shared by every domain that takes files).
    attachments: Attachments
    # Signs the "this was not me" links; derived from MOTCUA_SECRET_KEY, kept out of repr.
    link_key: bytes = field(repr=False)
    # Keys the recovery codes' HMACs (service/recovery.py); derived likewise.
    code_key: bytes = field(repr=False)
    find_agency: AgencyLookup = no_agencies
    now: Callable[[], dt.datetime] = field(default=utc_now)
    # Whether argon2 recovery codes from before issue 15 remain (None: not asked yet).
    legacy_codes: bool | None = None
    # The identity provider people may sign in with beside passkeys (VNeID), if any;
    # with ``staff_identity_required`` officials may sign in only through it.
    identity: IdentityProvider | None = None
    staff_identity_required: bool = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        find_agency: AgencyLookup = no_agencies,
        attachments: Attachments | None = None,
    ) -> AccountsRuntime:
        store: CounterStore = (
            FallbackCounters(
                RedisCounters(settings.redis_url, timeout_s=settings.redis_timeout_ms / 1000),
                retry_s=settings.redis_retry_s,
            )
            if settings.redis_url
            else MemoryCounters()
        )
        runtime = cls(
            rp_id=settings.public_host,
            rp_name="Một Cửa",
            origin=settings.public_url,
            public_url=settings.public_url,
            secure_cookies=settings.is_https,
            citizen_idle=dt.timedelta(days=settings.session_citizen_days),
            staff_idle=dt.timedelta(minutes=settings.session_staff_idle_minutes),
            staff_absolute=dt.timedelta(hours=settings.session_staff_hours),
            trusted_proxies=parse_networks(settings.trusted_proxies),
            hasher=PasswordHasher(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_kib,
                parallelism=1,
            ),
            limiter=RateLimiter(
                store,
                utc_now,
                per_address=settings.auth_rate_per_address,
                per_account=settings.auth_rate_per_account,
            ),
            reenrol_ttl=dt.timedelta(minutes=settings.reenrol_minutes),
            attachments=attachments or Attachments.from_settings(settings),
            link_key=hmac.new(
                settings.secret_key.encode(), b"motcua accounts links v1", hashlib.sha256
            ).digest(),
            code_key=hmac.new(
                settings.secret_key.encode(), b"motcua recovery codes v1", hashlib.sha256
            ).digest(),
            find_agency=find_agency,
            identity=provider_from_settings(settings.identity),
            staff_identity_required=settings.identity.staff_required,
        )
        runtime.limiter.now = runtime.clock
        return runtime

    def clock(self) -> dt.datetime:
        """The current time through ``now`` (tests replace ``now``)."""
        return self.now()

    @property
    def cookie_name(self) -> str:
        return SECURE_SESSION_COOKIE if self.secure_cookies else SESSION_COOKIE

    @asynccontextmanager
    async def lifespan(self, _: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.limiter.close()
            if self.identity is not None:
                await self.identity.aclose()
