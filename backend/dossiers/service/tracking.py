"""Public tracking without an account: by the code and the phone's last four digits, or
by the receipt's QR link (the code and a MAC of it). Steps and dates only."""

from __future__ import annotations

import hashlib
import hmac
import re

import msgspec

from backend.accounts import service as accounts
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import TrackingRead
from backend.dossiers.tables import Dossier, DossierEvent
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_

# Wrong guesses of the phone's digits allowed per dossier code in an hour: finding
# four digits then takes some 40 days on average, from any number of addresses.
TRACK_FLOW = "track"
TRACK_GUESSES = 5
TRACK_WINDOW_S = 3600


def tracking_token(secret_key: str, code: str) -> str:
    """The tracking QR code's link names the code and a MAC of it: no guessing."""
    mac = hmac.new(secret_key.encode(), f"track:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{code}.{mac[:24]}"


def tracking_url(runtime: DossiersRuntime, code: str) -> str:
    return f"{runtime.public_url}/tra-cuu/{tracking_token(runtime.secret_key, code)}"


def _track_failed() -> NotFound:
    return NotFound(
        N_(
            "Không tìm thấy hồ sơ với mã và 4 số cuối điện thoại này. "
            "Hãy kiểm tra lại mã trên giấy biên nhận."
        ),
        field="code",
    )


async def _tracking(code: str) -> tuple[str, TrackingRead]:
    """The applicant's phone (to compare) and what tracking shows."""
    rows = await Dossier.select(
        Dossier.id,
        Dossier.code,
        Dossier.procedure_name_vi,
        Dossier.procedure_name_en,
        Dossier.agency_code,
        Dossier.status,
        Dossier.submitted_at,
        Dossier.received_at,
        Dossier.due_date,
        Dossier.finished_at,
        Dossier.applicant_phone,
    ).where(Dossier.code == code)
    if not rows:
        raise _track_failed()
    row = rows[0]
    steps = (
        await DossierEvent.select(DossierEvent.at, DossierEvent.action, DossierEvent.to_status)
        .where(DossierEvent.dossier == row.pop("id"))
        .order_by(DossierEvent.id)
    )
    phone = row.pop("applicant_phone")
    return phone, msgspec.convert({**row, "steps": steps}, TrackingRead, strict=False)


async def track(limiter: accounts.RateLimiter, code: str, phone_last4: str) -> TrackingRead:
    """What tracking shows of the dossier ``code`` if ``phone_last4`` are its phone's
    last digits. Wrong guesses are limited per code (any code, known or not: the
    answers do not tell which exist), so rotating addresses does not open a dossier
    (ten thousand combinations); the receipt's QR link is never limited per code."""
    code = code.strip().upper()
    digits = re.sub(r"\D", "", phone_last4)
    if len(digits) != 4:
        raise InvalidInput(
            N_("Hãy nhập đúng 4 số cuối của số điện thoại đã đăng ký."), field="phone_last4"
        )
    key = f"dossier:{code}"
    await limiter.check_failures(TRACK_FLOW, key, TRACK_GUESSES, TRACK_WINDOW_S)
    try:
        phone, read = await _tracking(code)
        if not phone or not hmac.compare_digest(phone[-4:], digits):
            raise _track_failed()
    except NotFound:
        await limiter.record_failure(TRACK_FLOW, key, TRACK_WINDOW_S)
        raise
    return read


async def track_by_token(secret_key: str, token: str) -> TrackingRead:
    code, _, _ = token.rpartition(".")
    if not code or not hmac.compare_digest(tracking_token(secret_key, code), token):
        raise NotFound(
            N_("Đường dẫn tra cứu không hợp lệ. Hãy quét lại mã QR trên giấy biên nhận."),
            field="token",
        )
    return (await _tracking(code))[1]
