"""Typed settings, read once from the environment.

Every variable is listed in the README with its default. A bad value raises
``SettingsError`` whose message names the variable, so the command line can print
one clear line instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from backend import vapid

DatabaseKind = Literal["sqlite", "postgresql"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


# The push services of the browsers people use (host names, or suffixes after a dot):
# Chrome and Android, Safari, Firefox, Edge. A subscription elsewhere is refused.
PUSH_HOSTS = (
    "fcm.googleapis.com",
    "web.push.apple.com",
    "push.services.mozilla.com",
    "notify.windows.com",
)
# Only outside production; production requires a real contact.
DEV_VAPID_SUBJECT = "mailto:motcua-dev@example.gov.vn"
# VNPay's test environment: a merchant's own sandbox account works against these.
VNPAY_SANDBOX_PAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
VNPAY_SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
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


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Integrators' webhooks (issue 18): how long one delivery may take, how long a
    worker holds the deliveries it claimed, how long a rotated key still signs, and
    plain-http loopback targets for tests only."""

    timeout_s: float = 10.0
    lease_s: int = 60
    key_grace_hours: int = 24
    allow_http_loopback: bool = False


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """The agencies' signing keys (issue 17): a folder of PKCS#12 files or a PKCS#11
    token, each key named by its agency's code; the roots a signature is trusted up to;
    the timestamping authority. Never in the database."""

    keys_dir: Path | None = None
    passphrase: str = field(default="", repr=False)
    pkcs11_module: str = ""
    pkcs11_token: str = ""
    pkcs11_pin: str = field(default="", repr=False)
    trust_roots: tuple[Path, ...] = ()
    # An RFC 3161 server (http:// or https://), or outside production the PKCS#12 file
    # of a timestamping key the app stamps with itself (the test CA's).
    tsa: str = ""
    # CRLs named by a certificate are fetched when a signature is checked.
    fetch_revocation: bool = True

    @property
    def enabled(self) -> bool:
        return self.keys_dir is not None or bool(self.pkcs11_module)


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
    # A dossier waiting for its fees before reception is reminded this many working
    # days after submission, once each (issue 16).
    fee_reminder_days: tuple[int, ...] = (1, 5)
    signing: SigningSettings = field(default_factory=lambda: SigningSettings())
    webhooks: WebhookSettings = field(default_factory=lambda: WebhookSettings())

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
        environment = _choice(env, "MOTCUA_ENV", ("development", "production"), "development")
        data_dir = data_dir_of(env)
        database_url = _database_url(env)
        public_url = _public_url(env, environment)
        demo = _boolean(env, "MOTCUA_DEMO", default=environment == "development")
        if environment == "production" and demo:
            raise SettingsError(
                "MOTCUA_DEMO", "demo data is not allowed when MOTCUA_ENV=production"
            )
        pool_min = _integer(env, "MOTCUA_DB_POOL_MIN", 1, low=1, high=100)
        pool_max = _integer(env, "MOTCUA_DB_POOL_MAX", 10, low=1, high=500)
        if pool_max < pool_min:
            raise SettingsError("MOTCUA_DB_POOL_MAX", "must be at least MOTCUA_DB_POOL_MIN")
        vnpay, vietqr = _vnpay(env, environment), _vietqr(env)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            public_url=public_url,
            secret_key=_secret_key(env, environment, data_dir),
            redis_url=_redis_url(env),
            demo=demo,
            environment=environment,  # type: ignore[arg-type]
            db_pool_min=pool_min,
            db_pool_max=pool_max,
            sqlite_busy_timeout_ms=_integer(
                env, "MOTCUA_SQLITE_BUSY_TIMEOUT_MS", 5000, low=0, high=600_000
            ),
            db_connect_timeout_ms=_integer(
                env, "MOTCUA_DB_CONNECT_TIMEOUT_MS", 3000, low=100, high=120_000
            ),
            db_acquire_timeout_ms=_integer(
                env, "MOTCUA_DB_ACQUIRE_TIMEOUT_MS", 3000, low=100, high=120_000
            ),
            db_statement_timeout_ms=_integer(
                env, "MOTCUA_DB_STATEMENT_TIMEOUT_MS", 5000, low=100, high=3_600_000
            ),
            log_level=_choice(
                env, "MOTCUA_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"
            ),
            session_citizen_days=_integer(env, "MOTCUA_SESSION_CITIZEN_DAYS", 30, low=1, high=365),
            session_staff_idle_minutes=_integer(
                env, "MOTCUA_SESSION_STAFF_IDLE_MINUTES", 30, low=1, high=24 * 60
            ),
            session_staff_hours=_integer(env, "MOTCUA_SESSION_STAFF_HOURS", 12, low=1, high=24 * 7),
            auth_rate_per_address=_integer(
                env, "MOTCUA_AUTH_RATE_PER_ADDRESS", 30, low=1, high=100_000
            ),
            auth_rate_per_account=_integer(
                env, "MOTCUA_AUTH_RATE_PER_ACCOUNT", 10, low=1, high=100_000
            ),
            redis_timeout_ms=_integer(env, "MOTCUA_REDIS_TIMEOUT_MS", 250, low=10, high=10_000),
            redis_retry_s=_integer(env, "MOTCUA_REDIS_RETRY_S", 30, low=1, high=3600),
            trusted_proxies=_trusted_proxies(env),
            argon2_memory_kib=_integer(
                env, "MOTCUA_ARGON2_MEMORY_KIB", 65536, low=8, high=4 * 1024 * 1024
            ),
            argon2_time_cost=_integer(env, "MOTCUA_ARGON2_TIME_COST", 3, low=1, high=20),
            reenrol_minutes=_integer(env, "MOTCUA_REENROL_MINUTES", 10, low=1, high=30),
            counter_key_version=_integer(env, "MOTCUA_COUNTER_KEY_VERSION", 1, low=1, high=999_999),
            visit_code_minutes=_integer(env, "MOTCUA_VISIT_CODE_MINUTES", 15, low=1, high=60),
            counter_rating_burst=_integer(env, "MOTCUA_COUNTER_RATING_BURST", 5, low=1, high=1000),
            counter_rating_burst_minutes=_integer(
                env, "MOTCUA_COUNTER_RATING_BURST_MINUTES", 10, low=1, high=24 * 60
            ),
            feedback_burst=_integer(env, "MOTCUA_FEEDBACK_BURST", 5, low=1, high=1000),
            feedback_burst_minutes=_integer(
                env, "MOTCUA_FEEDBACK_BURST_MINUTES", 60, low=1, high=24 * 60
            ),
            province_name=_text(env, "MOTCUA_PROVINCE_NAME", "Tỉnh Thanh Hóa", high=120),
            vapid_private_key=_vapid_private_key(env, environment, data_dir),
            vapid_subject=_vapid_subject(env, environment),
            worker_in_process=_boolean(
                env, "MOTCUA_WORKER_IN_PROCESS", default=database_url is None
            ),
            push_hosts=_push_hosts(env),
            push_allow_http_loopback=_push_http_loopback(env, environment),
            push_timeout_s=_integer(env, "MOTCUA_PUSH_TIMEOUT_S", 10, low=1, high=120),
            channels=_channels(env, environment),
            **vnpay,
            **vietqr,
            sandbox_payments=demo
            and not vnpay.get("vnpay_tmn_code")
            and not vietqr.get("vietqr_bank_bin"),
            payment_expiry_minutes=_integer(
                env, "MOTCUA_PAYMENT_EXPIRY_MINUTES", 15, low=5, high=24 * 60
            ),
            # Seconds for the tests; in production never less than five minutes, which
            # no upload takes between keeping its bytes and writing its row.
            orphan_grace_s=_integer(
                env,
                "MOTCUA_ORPHAN_GRACE_S",
                3600,
                low=300 if environment == "production" else 1,
                high=7 * 86400,
            ),
            fee_reminder_days=_fee_reminder_days(env),
            signing=_signing(env, environment, data_dir),
            webhooks=_webhooks(env, environment),
        )


def _text(env: Mapping[str, str], name: str, default: str, *, high: int) -> str:
    value = env.get(name, default).strip()
    if not value or len(value) > high:
        raise SettingsError(name, f"must be 1 to {high} characters")
    return value


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name, default).strip()
    if name == "MOTCUA_LOG_LEVEL":
        value = value.upper()
    if value not in allowed:
        raise SettingsError(name, f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _boolean(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(name, f"must be true or false (got {raw!r})")


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be a whole number (got {raw!r})") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high} (got {value})")
    return value


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


def _secret_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    raw = env.get("MOTCUA_SECRET_KEY", "")
    if raw:
        if len(raw) < 32:
            raise SettingsError("MOTCUA_SECRET_KEY", "must be at least 32 characters long")
        return raw
    if environment == "production":
        raise SettingsError("MOTCUA_SECRET_KEY", "is required when MOTCUA_ENV=production")
    return _embedded_secret(data_dir)


def _embedded_secret(data_dir: Path) -> str:
    key = _kept_in_data_dir(data_dir, "secret_key", lambda: secrets.token_urlsafe(48))
    if len(key) < 32:
        raise SettingsError(
            "MOTCUA_SECRET_KEY", f"the key kept in {data_dir / 'secret_key'} is too short"
        )
    return key


def _kept_in_data_dir(data_dir: Path, name: str, make: Callable[[], str]) -> str:
    """A key generated once into the data dir, readable by the owner only: changing it
    would end every session (the secret key) or orphan every browser's push
    subscription (the VAPID key)."""
    path = data_dir / name
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    except FileExistsError:
        # Made by an earlier start (or a process starting beside this one).
        return path.read_text().strip()
    except OSError as error:
        raise SettingsError("MOTCUA_DATA_DIR", f"cannot be written ({error.strerror})") from None
    return path.read_text().strip()


def _vapid_private_key(env: Mapping[str, str], environment: str, data_dir: Path) -> str:
    raw = env.get("MOTCUA_VAPID_PRIVATE_KEY", "").strip()
    if not raw:
        if environment == "production":
            raise SettingsError(
                "MOTCUA_VAPID_PRIVATE_KEY",
                "is required when MOTCUA_ENV=production (make one with `motcua vapid-keys`)",
            )
        raw = _kept_in_data_dir(data_dir, "vapid_private_key", lambda: vapid.new_key_pair()[0])
    if not vapid.valid_private_key(raw):
        raise SettingsError(
            "MOTCUA_VAPID_PRIVATE_KEY",
            "must be a P-256 private key, 32 bytes in base64url (`motcua vapid-keys` prints one)",
        )
    return raw


def _vapid_subject(env: Mapping[str, str], environment: str) -> str:
    raw = env.get("MOTCUA_VAPID_SUBJECT", "").strip()
    if not raw:
        if environment == "production":
            raise SettingsError(
                "MOTCUA_VAPID_SUBJECT",
                "is required when MOTCUA_ENV=production (a mailto: or https: contact)",
            )
        return DEV_VAPID_SUBJECT
    parts = urlsplit(raw)
    host = (parts.path.rpartition("@")[2] if parts.scheme == "mailto" else parts.hostname) or ""
    if parts.scheme not in {"mailto", "https"} or not host or host == "localhost":
        raise SettingsError(
            "MOTCUA_VAPID_SUBJECT",
            "must be a real mailto: or https: contact (push services refuse localhost)",
        )
    return raw


def _fee_reminder_days(env: Mapping[str, str]) -> tuple[int, ...]:
    """Working days after submission, rising: "1,5"; "" for no reminder."""
    name = "MOTCUA_FEE_REMINDER_DAYS"
    raw = env.get(name)
    if raw is None:
        return (1, 5)
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise SettingsError(name, "must be whole numbers of working days, e.g. 1,5")
    days = tuple(int(part) for part in parts)
    if len(days) > 5 or any(not 1 <= day <= 60 for day in days) or list(days) != sorted(set(days)):
        raise SettingsError(name, "must be at most five rising numbers from 1 to 60, e.g. 1,5")
    return days


def _push_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("MOTCUA_PUSH_HOSTS", "")
    hosts = tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    return hosts or PUSH_HOSTS


def _push_http_loopback(env: Mapping[str, str], environment: str) -> bool:
    allowed = _boolean(env, "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK", default=False)
    if allowed and environment == "production":
        raise SettingsError(
            "MOTCUA_PUSH_ALLOW_HTTP_LOOPBACK", "is for tests and benchmarks, not production"
        )
    return allowed


def _webhooks(env: Mapping[str, str], environment: str) -> WebhookSettings:
    loopback = _boolean(env, "MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK", default=False)
    if loopback and environment == "production":
        raise SettingsError("MOTCUA_WEBHOOK_ALLOW_HTTP_LOOPBACK", "is for tests, not production")
    timeout_s = _integer(env, "MOTCUA_WEBHOOK_TIMEOUT_S", 10, low=1, high=30)
    lease_s = _integer(env, "MOTCUA_WEBHOOK_LEASE_S", 60, low=5, high=3600)
    # A lease shorter than a send would let a second worker send the same delivery
    # while the first still waits for its answer.
    if lease_s < 2 * timeout_s + 2:
        raise SettingsError(
            "MOTCUA_WEBHOOK_LEASE_S", "must be at least twice MOTCUA_WEBHOOK_TIMEOUT_S plus 2"
        )
    return WebhookSettings(
        timeout_s=timeout_s,
        lease_s=lease_s,
        key_grace_hours=_integer(env, "MOTCUA_WEBHOOK_KEY_GRACE_HOURS", 24, low=1, high=720),
        allow_http_loopback=loopback,
    )


def _all_or_none(env: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    """A gateway's settings come together: half a configuration is a mistake."""
    values = [env.get(name, "").strip() for name in names]
    if any(values) and not all(values):
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        raise SettingsError(missing[0], f"is required with {', '.join(names)}")
    return values


def _gateway_url(env: Mapping[str, str], name: str, default: str, environment: str) -> str:
    raw = env.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise SettingsError(name, f"must be an https:// address (got {raw!r})")
    if parts.scheme == "http" and environment == "production":
        raise SettingsError(name, "must use https in production")
    return raw


def _vnpay(env: Mapping[str, str], environment: str) -> dict[str, str]:
    tmn_code, hash_secret = _all_or_none(env, ("MOTCUA_VNPAY_TMN_CODE", "MOTCUA_VNPAY_HASH_SECRET"))
    if tmn_code and not (tmn_code.isalnum() and len(tmn_code) <= 16):
        raise SettingsError("MOTCUA_VNPAY_TMN_CODE", "must be the terminal code VNPay gave")
    return {
        "vnpay_tmn_code": tmn_code,
        "vnpay_hash_secret": hash_secret,
        "vnpay_pay_url": _gateway_url(
            env, "MOTCUA_VNPAY_PAY_URL", VNPAY_SANDBOX_PAY_URL, environment
        ),
        "vnpay_api_url": _gateway_url(
            env, "MOTCUA_VNPAY_API_URL", VNPAY_SANDBOX_API_URL, environment
        ),
    }


def _vietqr(env: Mapping[str, str]) -> dict[str, str]:
    names = ("MOTCUA_VIETQR_BANK_BIN", "MOTCUA_VIETQR_ACCOUNT", "MOTCUA_VIETQR_WEBHOOK_SECRET")
    bank_bin, account, secret = _all_or_none(env, names)
    if bank_bin and not (bank_bin.isdigit() and len(bank_bin) == 6):
        raise SettingsError("MOTCUA_VIETQR_BANK_BIN", "must be the bank's 6-digit NAPAS BIN")
    if account and not (account.isalnum() and len(account) <= 19):
        raise SettingsError(
            "MOTCUA_VIETQR_ACCOUNT", "must be an account number (1-19 letters, digits)"
        )
    if secret and len(secret) < 32:
        raise SettingsError("MOTCUA_VIETQR_WEBHOOK_SECRET", "must be at least 32 characters long")
    holder = " ".join(env.get("MOTCUA_VIETQR_ACCOUNT_NAME", "").split())
    if holder and not bank_bin:
        raise SettingsError("MOTCUA_VIETQR_ACCOUNT_NAME", "needs MOTCUA_VIETQR_BANK_BIN too")
    if len(holder) > 70 or not holder.isprintable():
        raise SettingsError("MOTCUA_VIETQR_ACCOUNT_NAME", "must be at most 70 printable characters")
    return {
        "vietqr_bank_bin": bank_bin,
        "vietqr_account": account,
        "vietqr_webhook_secret": secret,
        "vietqr_account_name": holder,
    }


def _channels(env: Mapping[str, str], environment: str) -> ChannelSettings:
    """E-mail, SMS and ZNS settings: each provider's come together or not at all."""
    host, sender = _all_or_none(env, ("MOTCUA_SMTP_HOST", "MOTCUA_SMTP_FROM"))
    if sender and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+", sender):
        raise SettingsError("MOTCUA_SMTP_FROM", "must be an e-mail address (name@domain)")
    username, password = _all_or_none(env, ("MOTCUA_SMTP_USERNAME", "MOTCUA_SMTP_PASSWORD"))
    security = _choice(env, "MOTCUA_SMTP_SECURITY", ("starttls", "tls", "none"), "starttls")
    if security == "none" and environment == "production":
        raise SettingsError("MOTCUA_SMTP_SECURITY", "must be starttls or tls in production")
    api_key, secret, brandname = _all_or_none(
        env, ("MOTCUA_ESMS_API_KEY", "MOTCUA_ESMS_SECRET_KEY", "MOTCUA_ESMS_BRANDNAME")
    )
    if brandname and not (len(brandname) <= 11 and brandname.isascii()):
        raise SettingsError("MOTCUA_ESMS_BRANDNAME", "must be the registered brand name (ASCII)")
    token, app_id, oa_secret, templates = _all_or_none(
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
        smtp_port=_integer(env, "MOTCUA_SMTP_PORT", 587, low=1, high=65535),
        smtp_username=username,
        smtp_password=password,
        smtp_security=security,  # type: ignore[arg-type]
        esms_api_key=api_key,
        esms_secret_key=secret,
        esms_brandname=brandname,
        esms_api_url=_gateway_url(env, "MOTCUA_ESMS_API_URL", ESMS_API_URL, environment),
        zns_access_token=token,
        zns_app_id=app_id,
        zns_oa_secret=oa_secret,
        zns_templates=_zns_templates(templates),
        zns_api_url=_gateway_url(env, "MOTCUA_ZNS_API_URL", ZNS_API_URL, environment),
        channel_timeout_s=_integer(env, "MOTCUA_CHANNEL_TIMEOUT_S", 10, low=1, high=30),
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
# default outside production; its certificates carry this organisational unit, by which
# production refuses them.
TEST_CA_FOLDER = "pki"
TEST_CA_MARK = "MOTCUA TEST CA - NOT FOR PRODUCTION"


def _signing(env: Mapping[str, str], environment: str, data_dir: Path) -> SigningSettings:
    production = environment == "production"
    test_ca = data_dir / TEST_CA_FOLDER
    local = not production and (test_ca / "keys").is_dir()
    keys = env.get("MOTCUA_SIGNING_KEYS", "").strip()
    module = env.get("MOTCUA_SIGNING_PKCS11_MODULE", "").strip()
    if keys and module:
        raise SettingsError(
            "MOTCUA_SIGNING_KEYS", "set it or MOTCUA_SIGNING_PKCS11_MODULE, not both"
        )
    keys_dir = Path(keys).expanduser().resolve() if keys else None
    if keys_dir is None and not module and local:
        keys_dir = test_ca / "keys"
    if keys_dir is not None and not keys_dir.is_dir():
        raise SettingsError("MOTCUA_SIGNING_KEYS", f"{keys_dir} is not a folder")
    token, pin = _all_or_none(env, ("MOTCUA_SIGNING_PKCS11_TOKEN", "MOTCUA_SIGNING_PKCS11_PIN"))
    if module and not token:
        raise SettingsError("MOTCUA_SIGNING_PKCS11_TOKEN", "is required with a PKCS#11 module")
    if module and not Path(module).is_file():
        raise SettingsError("MOTCUA_SIGNING_PKCS11_MODULE", f"{module} is not a file")
    passphrase = env.get("MOTCUA_SIGNING_PASSPHRASE", "")
    if not passphrase and keys_dir == test_ca / "keys" and (test_ca / "passphrase").is_file():
        passphrase = (test_ca / "passphrase").read_text().strip()
    roots_raw = env.get("MOTCUA_SIGNING_TRUST_ROOTS", "").strip()
    if roots_raw:
        roots = tuple(Path(part.strip()).expanduser() for part in roots_raw.split(",") if part)
    else:
        roots = (test_ca / "root.pem",) if local else ()
    for root in roots:
        if not root.is_file():
            raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{root} is not a file")
        if _made_by_test_ca(root) and production:
            raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{root} is the test CA")
    tsa = env.get("MOTCUA_SIGNING_TSA", "").strip()
    if not tsa and local and (test_ca / "tsa.p12").is_file():
        tsa = str(test_ca / "tsa.p12")
    if tsa and urlsplit(tsa).scheme not in {"http", "https"}:
        if production:
            raise SettingsError("MOTCUA_SIGNING_TSA", "must be the address of an RFC 3161 server")
        if not Path(tsa).is_file():
            raise SettingsError("MOTCUA_SIGNING_TSA", f"{tsa} is neither an address nor a file")
    if (keys_dir is not None or module) and not roots:
        raise SettingsError(
            "MOTCUA_SIGNING_TRUST_ROOTS", "is required with signing keys (the national root CA)"
        )
    if (keys_dir is not None or module) and production and not tsa:
        raise SettingsError("MOTCUA_SIGNING_TSA", "is required with signing keys in production")
    return SigningSettings(
        keys_dir=keys_dir,
        passphrase=passphrase,
        pkcs11_module=module,
        pkcs11_token=token,
        pkcs11_pin=pin,
        trust_roots=roots,
        tsa=tsa,
        fetch_revocation=_boolean(env, "MOTCUA_SIGNING_FETCH_REVOCATION", default=True),
    )


def _made_by_test_ca(path: Path) -> bool:
    """Whether a certificate file (PEM, several, or DER) holds one of the test CA's."""
    data = path.read_bytes()
    try:
        certificates = (
            x509.load_pem_x509_certificates(data)
            if b"-----BEGIN" in data
            else [x509.load_der_x509_certificate(data)]
        )
    except ValueError:
        raise SettingsError("MOTCUA_SIGNING_TRUST_ROOTS", f"{path} is not a certificate") from None
    return any(
        attribute.value == TEST_CA_MARK
        for certificate in certificates
        for name in (certificate.subject, certificate.issuer)
        for attribute in name.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    )


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
