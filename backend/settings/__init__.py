"""Typed settings, read once from the environment.

Every variable is listed in the README with its default. A bad value raises
``SettingsError`` whose message names the variable, so the command line can print
one clear line instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from backend.settings.assistant import AssistantSettings, assistant_settings
from backend.settings.channels import ChannelSettings, channel_settings
from backend.settings.identity import IdentitySettings, identity_settings
from backend.settings.keys import secret_key
from backend.settings.parse import SettingsError, boolean, choice, integer, text
from backend.settings.payments import (
    VNPAY_SANDBOX_API_URL,
    VNPAY_SANDBOX_PAY_URL,
    fee_reminder_days,
    vietqr_settings,
    vnpay_settings,
)
from backend.settings.portal import PortalSettings, portal_settings
from backend.settings.push import (
    DEV_VAPID_SUBJECT,
    PUSH_HOSTS,
    push_hosts,
    push_http_loopback,
    vapid_private_key,
    vapid_subject,
)
from backend.settings.signing import TEST_CA_FOLDER, TEST_CA_MARK, SigningSettings, signing_settings
from backend.settings.storage import StorageSettings, storage_settings
from backend.settings.tickets import TicketSettings, ticket_settings
from backend.settings.webhooks import WebhookSettings, webhook_settings

__all__ = [
    "SQLITE_FILE",
    "TEST_CA_FOLDER",
    "TEST_CA_MARK",
    "AssistantSettings",
    "ChannelSettings",
    "IdentitySettings",
    "PortalSettings",
    "Settings",
    "SettingsError",
    "SigningSettings",
    "StorageSettings",
    "WebhookSettings",
    "data_dir_of",
]

DatabaseKind = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str | None
    public_url: str
    secret_key: str
    redis_url: str | None
    demo: bool
    environment: Literal["development", "production"]
    db_pool_min: int
    db_pool_max: int
    sqlite_busy_timeout_ms: int
    log_level: str
    # PostgreSQL's timeouts (issue 15): a partitioned or stalled database answers 503
    # within seconds instead of holding every request. The server cancels a statement
    # after ``db_statement_timeout_ms``; the app gives up on the connection a second later.
    db_connect_timeout_ms: int = 3000
    db_acquire_timeout_ms: int = 3000
    db_statement_timeout_ms: int = 5000
    # Behind PgBouncer in transaction mode (issue 20): no prepared-statement cache and
    # no session settings; the timeouts are set per transaction instead.
    db_pgbouncer: bool = False
    # Accounts (issue 3): sessions, rate limits, proxies, recovery-code hashing.
    session_citizen_days: int = 30
    session_staff_idle_minutes: int = 30
    session_staff_hours: int = 12
    auth_rate_per_address: int = 30
    auth_rate_per_account: int = 10
    # The rate-limit store is optional: a Redis call waits at most this long, and a
    # Redis found unreachable is tried again after this many seconds (issue 15).
    redis_timeout_ms: int = 250
    redis_retry_s: int = 30
    trusted_proxies: tuple[str, ...] = ()
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    # A counter re-enrolment link (shown as a QR code for the person's own phone) lives
    # this long: minutes, so that a code seen over a shoulder is soon worthless.
    reenrol_minutes: int = 10
    # Catalogue (issue 4): raising it revokes every counter QR poster printed before.
    counter_key_version: int = 1
    # Feedback (issue 15): a counter's visit code, which proves a rating's visit, changes
    # every this many minutes (the previous one still works); more than
    # ``counter_rating_burst`` ratings of one counter within its minutes are held for
    # review, and so is feedback about one target beyond ``feedback_burst`` an hour.
    visit_code_minutes: int = 15
    counter_rating_burst: int = 5
    counter_rating_burst_minutes: int = 10
    feedback_burst: int = 5
    feedback_burst_minutes: int = 60
    # Dossiers (issue 5): the province named at the top of the legal forms.
    province_name: str = "Tỉnh Thanh Hóa"
    # Notifications (issue 6): Web Push (VAPID) and the worker that drains the outbox.
    vapid_private_key: str = ""
    vapid_subject: str = DEV_VAPID_SUBJECT
    worker_in_process: bool = True
    push_hosts: tuple[str, ...] = PUSH_HOSTS
    push_allow_http_loopback: bool = False
    push_timeout_s: float = 10.0
    # Channels beside push (issue 16): each offered only when configured.
    channels: ChannelSettings = field(default_factory=lambda: ChannelSettings())
    # Payments (issue 7): VNPay and VietQR are offered only when configured; the
    # sandbox gateway only in demo mode.
    vnpay_tmn_code: str = ""
    vnpay_hash_secret: str = ""
    vnpay_pay_url: str = VNPAY_SANDBOX_PAY_URL
    vnpay_api_url: str = VNPAY_SANDBOX_API_URL
    vietqr_bank_bin: str = ""
    vietqr_account: str = ""
    vietqr_webhook_secret: str = ""
    # Shown beside the account on the transfer page (a bank account's holder name).
    vietqr_account_name: str = ""
    payment_expiry_minutes: int = 15
    # The demo gateway, whose "success" button marks fees paid: only in demo mode, and
    # never beside a real gateway (VNPay or VietQR configured), where its success would
    # pass for real money (issue 15). Decided in ``from_env``.
    sandbox_payments: bool = False
    # Kept files no row holds (a crash between the bytes and the row) are removed once
    # this old: longer than any upload can take between the two (issue 15).
    orphan_grace_s: int = 3600
    # The audit chain's head written outside the database this often (issue 20), each
    # anchor signed with this key ("": one derived from the secret key).
    audit_anchor_every_s: int = 3600
    audit_anchor_key: str = ""
    # Anonymous public pages kept rendered and compressed in each process (issue 21);
    # 0 turns the cache off.
    page_cache_mb: int = 32
    # A dossier waiting for its fees before reception is reminded this many working
    # days after submission, once each (issue 16).
    fee_reminder_days: tuple[int, ...] = (1, 5)
    signing: SigningSettings = field(default_factory=lambda: SigningSettings())
    webhooks: WebhookSettings = field(default_factory=lambda: WebhookSettings())
    identity: IdentitySettings = field(default_factory=lambda: IdentitySettings())
    portal: PortalSettings = field(default_factory=lambda: PortalSettings())
    assistant: AssistantSettings = field(default_factory=lambda: AssistantSettings())
    tickets: TicketSettings = field(default_factory=lambda: TicketSettings())
    # Kept files (issue 20): the data dir's folder, or an S3-compatible bucket.
    storage: StorageSettings = field(default_factory=lambda: StorageSettings())
    # Processes that decode and re-encode uploads (issue 21); 0: threads of the app's.
    image_workers: int = 0

    @property
    def database_kind(self) -> DatabaseKind:
        return "sqlite" if self.database_url is None else "postgresql"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / SQLITE_FILE

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def public_host(self) -> str:
        return urlsplit(self.public_url).hostname or "localhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = choice(env, "MOTCUA_ENV", ("development", "production"), "development")
        data_dir = data_dir_of(env)
        database_url = _database_url(env)
        public_url = _public_url(env, environment)
        demo = boolean(env, "MOTCUA_DEMO", default=environment == "development")
        if environment == "production" and demo:
            raise SettingsError(
                "MOTCUA_DEMO", "demo data is not allowed when MOTCUA_ENV=production"
            )
        pool_min = integer(env, "MOTCUA_DB_POOL_MIN", 1, low=1, high=100)
        pool_max = integer(env, "MOTCUA_DB_POOL_MAX", 10, low=1, high=500)
        if pool_max < pool_min:
            raise SettingsError("MOTCUA_DB_POOL_MAX", "must be at least MOTCUA_DB_POOL_MIN")
        vnpay, vietqr = vnpay_settings(env, environment), vietqr_settings(env)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            secret_key=secret_key(env, environment, data_dir),
            redis_url=_redis_url(env),
            demo=demo,
            environment=environment,  # type: ignore[arg-type]
            db_pool_min=pool_min,
            db_pool_max=pool_max,
            sqlite_busy_timeout_ms=integer(
                env, "MOTCUA_SQLITE_BUSY_TIMEOUT_MS", 5000, low=0, high=600_000
            ),
            db_connect_timeout_ms=integer(
                env, "MOTCUA_DB_CONNECT_TIMEOUT_MS", 3000, low=100, high=120_000
            ),
            db_acquire_timeout_ms=integer(
                env, "MOTCUA_DB_ACQUIRE_TIMEOUT_MS", 3000, low=100, high=120_000
            ),
            db_statement_timeout_ms=integer(
                env, "MOTCUA_DB_STATEMENT_TIMEOUT_MS", 5000, low=100, high=3_600_000
            ),
            db_pgbouncer=boolean(env, "MOTCUA_DB_PGBOUNCER", default=False),
            log_level=choice(
                env, "MOTCUA_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"
            ),
            session_citizen_days=integer(env, "MOTCUA_SESSION_CITIZEN_DAYS", 30, low=1, high=365),
            session_staff_idle_minutes=integer(
                env, "MOTCUA_SESSION_STAFF_IDLE_MINUTES", 30, low=1, high=24 * 60
            ),
            session_staff_hours=integer(env, "MOTCUA_SESSION_STAFF_HOURS", 12, low=1, high=24 * 7),
            auth_rate_per_address=integer(
                env, "MOTCUA_AUTH_RATE_PER_ADDRESS", 30, low=1, high=100_000
            ),
            auth_rate_per_account=integer(
                env, "MOTCUA_AUTH_RATE_PER_ACCOUNT", 10, low=1, high=100_000
            ),
            redis_timeout_ms=integer(env, "MOTCUA_REDIS_TIMEOUT_MS", 250, low=10, high=10_000),
            redis_retry_s=integer(env, "MOTCUA_REDIS_RETRY_S", 30, low=1, high=3600),
            trusted_proxies=_trusted_proxies(env),
            argon2_memory_kib=integer(
                env, "MOTCUA_ARGON2_MEMORY_KIB", 65536, low=8, high=4 * 1024 * 1024
            ),
            argon2_time_cost=integer(env, "MOTCUA_ARGON2_TIME_COST", 3, low=1, high=20),
            reenrol_minutes=integer(env, "MOTCUA_REENROL_MINUTES", 10, low=1, high=30),
            counter_key_version=integer(env, "MOTCUA_COUNTER_KEY_VERSION", 1, low=1, high=999_999),
            visit_code_minutes=integer(env, "MOTCUA_VISIT_CODE_MINUTES", 15, low=1, high=60),
            counter_rating_burst=integer(env, "MOTCUA_COUNTER_RATING_BURST", 5, low=1, high=1000),
            counter_rating_burst_minutes=integer(
                env, "MOTCUA_COUNTER_RATING_BURST_MINUTES", 10, low=1, high=24 * 60
            ),
            feedback_burst=integer(env, "MOTCUA_FEEDBACK_BURST", 5, low=1, high=1000),
            feedback_burst_minutes=integer(
                env, "MOTCUA_FEEDBACK_BURST_MINUTES", 60, low=1, high=24 * 60
            ),
            province_name=text(env, "MOTCUA_PROVINCE_NAME", "Tỉnh Thanh Hóa", high=120),
            vapid_private_key=vapid_private_key(env, environment, data_dir),
            vapid_subject=vapid_subject(env, environment),
            worker_in_process=boolean(
                env, "MOTCUA_WORKER_IN_PROCESS", default=database_url is None
            ),
            push_hosts=push_hosts(env),
            push_allow_http_loopback=push_http_loopback(env, environment),
            push_timeout_s=integer(env, "MOTCUA_PUSH_TIMEOUT_S", 10, low=1, high=120),
            channels=channel_settings(env, environment),
            **vnpay,
            **vietqr,
            sandbox_payments=demo
            and not vnpay.get("vnpay_tmn_code")
            and not vietqr.get("vietqr_bank_bin"),
            payment_expiry_minutes=integer(
                env, "MOTCUA_PAYMENT_EXPIRY_MINUTES", 15, low=5, high=24 * 60
            ),
            # Seconds for the tests; in production never less than five minutes, which
            # no upload takes between keeping its bytes and writing its row.
            orphan_grace_s=integer(
                env,
                "MOTCUA_ORPHAN_GRACE_S",
                3600,
                low=300 if environment == "production" else 1,
                high=7 * 86400,
            ),
            page_cache_mb=integer(env, "MOTCUA_PAGE_CACHE_MB", 32, low=0, high=4096),
            fee_reminder_days=fee_reminder_days(env),
            audit_anchor_every_s=integer(
                env, "MOTCUA_AUDIT_ANCHOR_EVERY_S", 3600, low=60, high=7 * 86400
            ),
            audit_anchor_key=_anchor_key(env),
            signing=signing_settings(env, environment, data_dir),
            webhooks=webhook_settings(env, environment),
            identity=identity_settings(env, environment),
            portal=portal_settings(env, environment),
            assistant=assistant_settings(env),
            tickets=ticket_settings(env),
            storage=storage_settings(env, environment),
            image_workers=integer(
                env, "MOTCUA_IMAGE_WORKERS", os.cpu_count() or 1, low=0, high=256
            ),
        )


def _anchor_key(env: Mapping[str, str]) -> str:
    raw = env.get("MOTCUA_AUDIT_ANCHOR_KEY", "").strip()
    if raw and len(raw) < 32:
        raise SettingsError("MOTCUA_AUDIT_ANCHOR_KEY", "must be at least 32 characters long")
    return raw


def _database_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in {"postgresql", "postgres"}:
        raise SettingsError(
            "DATABASE_URL", "must start with postgresql:// (leave it unset for SQLite)"
        )
    if not parts.hostname and "host=" not in parts.query:
        raise SettingsError("DATABASE_URL", "names no host")
    if not parts.path.strip("/"):
        raise SettingsError("DATABASE_URL", "names no database")
    return raw


def _public_url(env: Mapping[str, str], environment: str) -> str:
    raw = env.get("MOTCUA_PUBLIC_URL", "http://localhost:8000").strip()
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            "MOTCUA_PUBLIC_URL", f"must be an origin like https://motcua.example.vn (got {raw!r})"
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise SettingsError("MOTCUA_PUBLIC_URL", "must be an origin only, without a path")
    # WebAuthn and service workers need a secure context; browsers treat localhost as one.
    local = parts.hostname in {"localhost", "127.0.0.1"}
    if parts.scheme == "http" and not local and environment == "production":
        raise SettingsError("MOTCUA_PUBLIC_URL", "must use https in production")
    return f"{parts.scheme}://{parts.netloc}"


SQLITE_FILE = "motcua.sqlite3"  # in the data dir, without DATABASE_URL


def data_dir_of(env: Mapping[str, str]) -> Path:
    """``MOTCUA_DATA_DIR``, else ``./var`` of the current folder (the CLI first checks
    that such a folder is there: ``backend.cli``)."""
    return Path(env.get("MOTCUA_DATA_DIR", "./var")).expanduser().resolve()


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    """Addresses or networks (``10.0.0.1, 10.1.0.0/16``) whose X-Forwarded-For is believed."""
    raw = env.get("MOTCUA_TRUSTED_PROXIES", "")
    networks = []
    for part in raw.split(","):
        if not part.strip():
            continue
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            raise SettingsError(
                "MOTCUA_TRUSTED_PROXIES",
                f"must be IP addresses or networks separated by commas (got {part.strip()!r})",
            ) from None
    return tuple(networks)


def _redis_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("MOTCUA_REDIS_URL", "").strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError("MOTCUA_REDIS_URL", "must start with redis://, rediss:// or unix://")
    return raw
