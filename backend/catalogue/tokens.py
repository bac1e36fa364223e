"""Signed counter tokens: the text of a counter's QR code, ``/c/{token}``.

A token names an agency and a counter number, with the key version it was signed
with: ``<version>.<payload>.<signature>`` (base64url, no padding). The key is
derived from MOTCUA_SECRET_KEY and the version, so raising
MOTCUA_COUNTER_KEY_VERSION revokes every poster printed before (a leaked or
defaced poster is replaced by printing all posters again).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from backend.errors import AppError
from backend.i18n import N_

MAX_TOKEN_LENGTH = 128
_SIGNATURE_BYTES = 16
_TOKEN = re.compile(r"^([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{4,80})\.([A-Za-z0-9_-]{22})$")
_AGENCY = re.compile(r"^[0-9A-Za-z.]{1,32}$")


class InvalidCounterToken(AppError):
    status_code = 404
    code = "invalid_token"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Mã QR này không phải của quầy nào trong hệ thống: có thể mã bị in sai, "
                "bị sửa hoặc bị dán đè. Hãy báo cho cán bộ tại quầy."
            ),
            field="token",
        )


class RevokedCounterToken(AppError):
    status_code = 410
    code = "revoked_token"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Mã QR này đã được thay bằng mã mới và không còn dùng được. "
                "Hãy quét mã mới dán tại quầy hoặc hỏi cán bộ."
            ),
            field="token",
        )


@dataclass(frozen=True, slots=True)
class CounterRef:
    agency_code: str
    number: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret_key: str, version: int) -> bytes:
    return hmac.new(
        secret_key.encode(), f"motcua counter token v{version}".encode(), hashlib.sha256
    ).digest()


def _signature(secret_key: str, version: int, signed: str) -> bytes:
    digest = hmac.new(_key(secret_key, version), signed.encode(), hashlib.sha256).digest()
    return digest[:_SIGNATURE_BYTES]


def sign_counter(secret_key: str, version: int, agency_code: str, number: int) -> str:
    if not _AGENCY.match(agency_code) or not 1 <= number <= 9999:
        raise ValueError("an agency code and a counter number from 1 to 9999")
    signed = f"{version}.{_b64(f'{agency_code}~{number}'.encode())}"
    return f"{signed}.{_b64(_signature(secret_key, version, signed))}"


def read_counter(secret_key: str, current_version: int, token: str) -> CounterRef:
    """The counter a token names; InvalidCounterToken for anything forged, altered or
    malformed, RevokedCounterToken for a genuine token of an older key version."""
    match = _TOKEN.match(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if match is None:
        raise InvalidCounterToken()
    version = int(match.group(1))
    if version > current_version:
        raise InvalidCounterToken()
    signed = f"{match.group(1)}.{match.group(2)}"
    try:
        given = _unb64(match.group(3))
        payload = _unb64(match.group(2)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidCounterToken() from None
    # Base64 has spare bits: only the canonical spelling of a signature is accepted.
    if _b64(given) != match.group(3) or _b64(payload.encode()) != match.group(2):
        raise InvalidCounterToken()
    if not hmac.compare_digest(given, _signature(secret_key, version, signed)):
        raise InvalidCounterToken()
    # Genuine, so checked only now: an old version is revoked, not forged.
    if version < current_version:
        raise RevokedCounterToken()
    agency_code, _, number = payload.partition("~")
    if not _AGENCY.match(agency_code) or not number.isdigit():
        raise InvalidCounterToken()
    return CounterRef(agency_code=agency_code, number=int(number))
