"""Signed tokens of the queue: the entrance QR (an agency and one Vietnamese day, the
text of ``/lay-so/{token}``) and the hall display's link (an agency, ``/man-hinh/...``).

The same shape as the counters' tokens, ``<version>.<payload>.<signature>``, with a key
of its own derived from MOTCUA_SECRET_KEY, the purpose and MOTCUA_TICKET_KEY_VERSION.
A day's entrance QR is shown only on the hall's screen (and on the console's printable
sheet), so a photo of it taken today is useless tomorrow; the display's link is shown
only in the console, so nobody outside the hall sees today's QR.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re

from backend.errors import AppError
from backend.i18n import N_

MAX_TOKEN_LENGTH = 128
_SIGNATURE_BYTES = 16
_TOKEN = re.compile(r"^([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{4,80})\.([A-Za-z0-9_-]{22})$")
_AGENCY = re.compile(r"^[0-9A-Za-z.]{1,32}$")
ENTRANCE = "entrance"
DISPLAY = "display"


class InvalidEntrance(AppError):
    """Forged, altered, malformed, or not an entrance QR at all."""

    status_code = 404
    code = "invalid_entrance"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Mã QR này không phải mã lấy số của trung tâm nào: có thể mã bị in sai, "
                "bị sửa hoặc bị dán đè. Hãy quét mã đang hiển thị trên màn hình trong sảnh "
                "hoặc hỏi cán bộ hướng dẫn."
            ),
            field="token",
        )


class OtherDayEntrance(AppError):
    """A genuine entrance QR of another day (or of a key replaced since)."""

    status_code = 410
    code = "entrance_of_another_day"

    def __init__(self) -> None:
        super().__init__(
            N_("Đây là mã QR của ngày khác — hãy quét mã đang hiển thị trong sảnh hôm nay."),
            field="token",
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret_key: str, version: int, purpose: str, signed: str) -> bytes:
    key = hmac.new(
        secret_key.encode(), f"motcua queue {purpose} v{version}".encode(), hashlib.sha256
    ).digest()
    return hmac.new(key, signed.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _sign(secret_key: str, version: int, purpose: str, payload: str) -> str:
    signed = f"{version}.{_b64(payload.encode())}"
    return f"{signed}.{_b64(_signature(secret_key, version, purpose, signed))}"


def _read(secret_key: str, current_version: int, purpose: str, token: str) -> tuple[int, str]:
    """(version, payload) of a genuine token of ``purpose``; ValueError for anything else."""
    match = _TOKEN.match(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if match is None:
        raise ValueError(token)
    version = int(match.group(1))
    if version > current_version:
        raise ValueError(token)
    try:
        given = _unb64(match.group(3))
        payload = _unb64(match.group(2)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(token) from None
    # Base64 has spare bits: only the canonical spelling is accepted.
    if _b64(given) != match.group(3) or _b64(payload.encode()) != match.group(2):
        raise ValueError(token)
    signed = f"{match.group(1)}.{match.group(2)}"
    if not hmac.compare_digest(given, _signature(secret_key, version, purpose, signed)):
        raise ValueError(token)
    return version, payload


def sign_entrance(secret_key: str, version: int, agency_code: str, day: dt.date) -> str:
    if not _AGENCY.match(agency_code):
        raise ValueError("an agency code")
    return _sign(secret_key, version, ENTRANCE, f"{agency_code}~{day:%Y%m%d}")


def read_entrance(secret_key: str, current_version: int, token: str, today: dt.date) -> str:
    """The agency of today's entrance QR; InvalidEntrance for anything we did not sign,
    OtherDayEntrance for a genuine one of another day or an older key."""
    try:
        version, payload = _read(secret_key, current_version, ENTRANCE, token)
    except ValueError:
        raise InvalidEntrance() from None
    agency_code, _, day = payload.partition("~")
    if not _AGENCY.match(agency_code) or not re.fullmatch(r"\d{8}", day):
        raise InvalidEntrance()
    if version < current_version or day != f"{today:%Y%m%d}":
        raise OtherDayEntrance()
    return agency_code


def sign_display(secret_key: str, version: int, agency_code: str) -> str:
    if not _AGENCY.match(agency_code):
        raise ValueError("an agency code")
    return _sign(secret_key, version, DISPLAY, agency_code)


def read_display(secret_key: str, current_version: int, token: str) -> str | None:
    """The agency of a hall display's link of the current key; None otherwise."""
    try:
        version, payload = _read(secret_key, current_version, DISPLAY, token)
    except ValueError:
        return None
    if version != current_version or not _AGENCY.match(payload):
        return None
    return payload
