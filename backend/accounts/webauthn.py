"""WebAuthn ceremonies on top of py_webauthn 3, with the rules it leaves to us.

- Every challenge is stored server-side, bound to its flow (and to the account for
  flows that have one), valid for five minutes and deleted by the first response
  that names it, whatever the outcome: a replayed response always fails, even from
  a synced passkey whose sign counter stays 0.
- User verification and resident keys are required; ES256, EdDSA and RS256.
- Each way a response can be wrong gets its own reason and its own message; the
  checks py_webauthn would also make are made first, here, so that the person is
  told what went wrong rather than "verification failed".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import msgspec
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticationCredential,
    AuthenticatorData,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CollectedClientData,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from backend.accounts.runtime import CHALLENGE_TTL, AccountsRuntime
from backend.accounts.tables import Challenge
from backend.db import write_transaction
from backend.errors import AppError
from backend.i18n import N_, Text

ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
TIMEOUT_MS = int(CHALLENGE_TTL.total_seconds() * 1000)

_REASONS: dict[str, Text] = {
    "malformed": N_("Phản hồi từ thiết bị không hợp lệ hoặc bị thiếu. Vui lòng thử lại."),
    "challenge_unknown": N_(
        "Yêu cầu này đã được dùng hoặc không còn hiệu lực. Vui lòng thử lại từ đầu."
    ),
    "challenge_expired": N_("Yêu cầu đã hết hạn (quá 5 phút). Vui lòng thử lại."),
    "wrong_flow": N_("Phản hồi này thuộc về một thao tác khác. Vui lòng thử lại từ đầu."),
    "wrong_origin": N_("Phản hồi được tạo cho một trang web khác, không phải Một Cửa."),
    "wrong_rp_id": N_("Khóa truy cập này được tạo cho một trang web khác, không phải Một Cửa."),
    "user_not_verified": N_(
        "Thiết bị chưa xác minh bạn bằng vân tay, khuôn mặt hoặc mã PIN. "
        "Hãy bật khóa màn hình trên điện thoại rồi thử lại."
    ),
    "bad_signature": N_("Không xác minh được khóa truy cập (chữ ký không hợp lệ)."),
    "unknown_credential": N_(
        "Khóa truy cập này không thuộc tài khoản nào trên Một Cửa. "
        "Nếu đã xóa nó, hãy dùng mã khôi phục hoặc đăng ký tài khoản."
    ),
    "wrong_account": N_("Khóa truy cập này không thuộc tài khoản đang dùng."),
    "cloned_authenticator": N_(
        "Khóa truy cập này có dấu hiệu bị sao chép nên đã bị từ chối. "
        "Hãy dùng khóa khác hoặc mã khôi phục, rồi xóa khóa này trong “Thiết bị đăng nhập”."
    ),
    "already_registered": N_("Khóa truy cập này đã được đăng ký rồi."),
}


class PasskeyRejected(AppError):
    """A WebAuthn response that is refused; ``code`` says why."""

    status_code = 400

    def __init__(self, reason: str, *, status_code: int = 400) -> None:
        super().__init__(_REASONS[reason], field="credential")
        self.code = reason
        self.status_code = status_code


class _ChallengeRow(msgspec.Struct, frozen=True):
    """What a challenge was issued for (JSON ``data`` is text on SQLite)."""

    flow: str
    account_id: int | None
    data: str | dict[str, Any] | None
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ConsumedChallenge:
    challenge: bytes
    flow: str
    account_id: int | None
    data: dict[str, Any]


async def issue_challenge(
    runtime: AccountsRuntime,
    flow: str,
    *,
    account_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> bytes:
    challenge = secrets.token_bytes(32)
    now = runtime.clock()
    async with write_transaction():
        await Challenge.insert(
            Challenge(
                challenge=bytes_to_base64url(challenge),
                flow=flow,
                account_id=account_id,
                data=data or {},
                expires_at=now + CHALLENGE_TTL,
            )
        )
        # Old challenges are of no use to anyone: sweep a few now and then.
        if secrets.randbelow(20) == 0:
            await Challenge.delete().where(Challenge.expires_at < now - CHALLENGE_TTL)
    return challenge


async def consume_challenge(
    runtime: AccountsRuntime, challenge: bytes, flow: str, account_id: int | None = None
) -> ConsumedChallenge:
    """Delete the challenge (first use wins), then check it was for this flow and time."""
    async with write_transaction():
        rows = (
            await Challenge.delete()
            .where(Challenge.challenge == bytes_to_base64url(challenge))
            .returning(Challenge.flow, Challenge.account_id, Challenge.data, Challenge.expires_at)
        )
    if not rows:
        raise PasskeyRejected("challenge_unknown")
    row = msgspec.convert(rows[0], _ChallengeRow)
    if row.flow != flow:
        raise PasskeyRejected("wrong_flow")
    if row.expires_at <= runtime.clock():
        raise PasskeyRejected("challenge_expired")
    if row.account_id != account_id:
        raise PasskeyRejected("wrong_account")
    return ConsumedChallenge(
        challenge=challenge,
        flow=flow,
        account_id=account_id,
        data=json.loads(row.data) if isinstance(row.data, str) else dict(row.data or {}),
    )


def registration_options(
    runtime: AccountsRuntime,
    challenge: bytes,
    *,
    user_handle: str,
    user_name: str,
    display_name: str,
    exclude: list[str] | None = None,
) -> bytes:
    options = generate_registration_options(
        rp_id=runtime.rp_id,
        rp_name=runtime.rp_name,
        user_id=base64url_to_bytes(user_handle),
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))
            for credential_id in exclude or []
        ],
        supported_pub_key_algs=ALGORITHMS,
    )
    return options_to_json(options).encode()


def authentication_options(runtime: AccountsRuntime, challenge: bytes) -> bytes:
    """Username-less: no allowCredentials, so the phone offers its passkeys for this site."""
    options = generate_authentication_options(
        rp_id=runtime.rp_id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options).encode()


def _client_data(raw: bytes) -> CollectedClientData:
    try:
        return parse_client_data_json(raw)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRejected("malformed") from error


def _check_client_data(runtime: AccountsRuntime, client: CollectedClientData, kind: str) -> None:
    if client.origin != runtime.origin:
        raise PasskeyRejected("wrong_origin")
    if client.type != kind:
        raise PasskeyRejected("wrong_flow")
    if client.cross_origin:
        raise PasskeyRejected("wrong_origin")


def _check_authenticator_data(runtime: AccountsRuntime, raw: bytes | AuthenticatorData) -> None:
    try:
        data = raw if isinstance(raw, AuthenticatorData) else parse_authenticator_data(raw)
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as error:
        raise PasskeyRejected("malformed") from error
    if data.rp_id_hash != _rp_id_hash(runtime.rp_id):
        raise PasskeyRejected("wrong_rp_id")
    if not data.flags.uv:
        raise PasskeyRejected("user_not_verified")


def _rp_id_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()


@dataclass(frozen=True, slots=True)
class NewPasskey:
    credential_id: str
    public_key: bytes
    sign_count: int
    backed_up: bool
    transports: list[str]


def parse_registration(credential: dict[str, Any]) -> tuple[RegistrationCredential, bytes]:
    """The parsed credential and the challenge its client data names."""
    try:
        parsed = parse_registration_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRejected("malformed") from error
    return parsed, _client_data(parsed.response.client_data_json).challenge


def verify_registration(
    runtime: AccountsRuntime, parsed: RegistrationCredential, challenge: ConsumedChallenge
) -> NewPasskey:
    _check_client_data(runtime, _client_data(parsed.response.client_data_json), "webauthn.create")
    try:
        auth_data = parse_attestation_object(parsed.response.attestation_object).auth_data
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as error:
        raise PasskeyRejected("malformed") from error
    _check_authenticator_data(runtime, auth_data)
    try:
        verified: VerifiedRegistration = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge.challenge,
            expected_rp_id=runtime.rp_id,
            expected_origin=runtime.origin,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as error:
        raise PasskeyRejected("bad_signature") from error
    transports = [
        t.value if isinstance(t, AuthenticatorTransport) else str(t)
        for t in parsed.response.transports or []
    ]
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        backed_up=verified.credential_backed_up,
        transports=transports[:8],
    )


def parse_authentication(credential: dict[str, Any]) -> tuple[AuthenticationCredential, bytes]:
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyRejected("malformed", status_code=401) from error
    return parsed, _client_data(parsed.response.client_data_json).challenge


def verify_authentication(
    runtime: AccountsRuntime,
    parsed: AuthenticationCredential,
    challenge: ConsumedChallenge,
    *,
    public_key: bytes,
) -> int:
    """Check the assertion; return the sign counter it reports (the caller compares it
    with the stored one: a clone is refused only once the signature is proven)."""
    _check_client_data(runtime, _client_data(parsed.response.client_data_json), "webauthn.get")
    _check_authenticator_data(runtime, parsed.response.authenticator_data)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge.challenge,
            expected_rp_id=runtime.rp_id,
            expected_origin=runtime.origin,
            credential_public_key=public_key,
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, IndexError) as error:
        raise PasskeyRejected("bad_signature", status_code=401) from error
    return int(verified.new_sign_count)


def counter_regressed(stored: int, reported: int) -> bool:
    """A counter that is in use (non-zero on either side) must increase."""
    return (stored > 0 or reported > 0) and reported <= stored
