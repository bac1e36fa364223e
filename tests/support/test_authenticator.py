"""Prove `SoftAuthenticator` against the real py_webauthn verifier (no network, no app)."""

from __future__ import annotations

import json
from typing import Any

import cbor2
import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import parse_authenticator_data, parse_registration_credential_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AttestationFormat,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from .authenticator import (
    Algorithm,
    CredentialExcludedError,
    NoCredentialError,
    SoftAuthenticator,
    UnsupportedAlgorithmError,
    b64url_decode,
    b64url_encode,
)

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"
COSE: dict[Algorithm, COSEAlgorithmIdentifier] = {
    "ES256": COSEAlgorithmIdentifier.ECDSA_SHA_256,
    "EdDSA": COSEAlgorithmIdentifier.EDDSA,
    "RS256": COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
}
ALGORITHMS: list[Algorithm] = ["ES256", "EdDSA", "RS256"]


def registration_options(
    algs: list[COSEAlgorithmIdentifier] | None = None,
    *,
    user_name: str = "nguyen.van.a",
    user_id: bytes = b"user-0001",
    exclude: list[bytes] | None = None,
) -> tuple[dict[str, Any], bytes]:
    options = generate_registration_options(
        rp_id=RP_ID,
        rp_name="Một Cửa",
        user_name=user_name,
        user_id=user_id,
        user_display_name="Nguyễn Văn A",
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        supported_pub_key_algs=algs,
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in exclude or []],
    )
    return json.loads(options_to_json(options)), options.challenge


def authentication_options(allow: list[bytes] | None = None) -> tuple[dict[str, Any], bytes]:
    options = generate_authentication_options(
        rp_id=RP_ID,
        allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allow or []],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options)), options.challenge


def verify_reg(credential: dict[str, Any] | str, challenge: bytes) -> VerifiedRegistration:
    return verify_registration_response(
        credential=credential,
        expected_challenge=challenge,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
        require_user_verification=True,
    )


def register(
    authenticator: SoftAuthenticator, *, user_id: bytes = b"user-0001"
) -> VerifiedRegistration:
    options, challenge = registration_options(user_id=user_id)
    return verify_reg(authenticator.create(options, ORIGIN), challenge)


def verify_auth(
    credential: dict[str, Any] | str,
    challenge: bytes,
    public_key: bytes,
    sign_count: int,
) -> int:
    verified = verify_authentication_response(
        credential=credential,
        expected_challenge=challenge,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
        credential_public_key=public_key,
        credential_current_sign_count=sign_count,
        require_user_verification=True,
    )
    return verified.new_sign_count


# --------------------------------------------------------------------------- happy paths


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_register_then_discoverable_login(algorithm: Algorithm) -> None:
    authenticator = SoftAuthenticator(algorithm)
    options, challenge = registration_options([COSE[algorithm]])
    created = authenticator.create(options, ORIGIN)

    assert created["type"] == "public-key"
    assert created["authenticatorAttachment"] == "platform"
    assert created["response"]["transports"] == ["internal"]
    assert created["clientExtensionResults"] == {}
    assert created["id"] == created["rawId"]
    assert 16 <= len(b64url_decode(created["rawId"])) <= 32

    # Both the dict and its JSON string are accepted.
    verified = verify_reg(json.dumps(created), challenge)
    assert verify_reg(created, challenge).credential_id == verified.credential_id
    assert verified.fmt == AttestationFormat.NONE
    assert verified.user_verified is True
    assert verified.sign_count == 0
    assert verified.aaguid == "00000000-0000-0000-0000-000000000000"
    assert verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    assert verified.credential_backed_up is True
    assert cbor2.loads(verified.credential_public_key)[3] == COSE[algorithm]

    [held] = authenticator.credentials
    assert held.id == verified.credential_id
    assert held.public_key == verified.credential_public_key
    assert (held.rp_id, held.user_handle, held.user_name) == (RP_ID, b"user-0001", "nguyen.van.a")
    assert held.algorithm == algorithm

    sign_count = verified.sign_count
    for _ in range(2):
        request, challenge = authentication_options()
        assert request["allowCredentials"] == []
        assertion = authenticator.get(request, ORIGIN)
        assert b64url_decode(assertion["response"]["userHandle"]) == b"user-0001"
        assert b64url_decode(assertion["rawId"]) == verified.credential_id
        new_count = verify_auth(assertion, challenge, verified.credential_public_key, sign_count)
        assert new_count > sign_count
        sign_count = new_count
    assert authenticator.credentials[0].sign_count == sign_count == 2


def test_default_options_pick_first_supported_algorithm() -> None:
    # py_webauthn offers EdDSA, ES256, RS256 in that order by default.
    options, challenge = registration_options()
    assert SoftAuthenticator().create(options, ORIGIN)["response"]["publicKeyAlgorithm"] == -7
    both = SoftAuthenticator(["RS256", "EdDSA"])
    verified = verify_reg(both.create(options, ORIGIN), challenge)
    assert cbor2.loads(verified.credential_public_key)[3] == COSEAlgorithmIdentifier.EDDSA


def test_unsupported_algorithm_is_refused() -> None:
    options, _ = registration_options([COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256])
    with pytest.raises(UnsupportedAlgorithmError):
        SoftAuthenticator("ES256").create(options, ORIGIN)


def test_authenticator_data_flags_and_aaguid() -> None:
    aaguid = bytes(range(16))
    authenticator = SoftAuthenticator(aaguid=aaguid, sign_count_start=7)
    options, _ = registration_options()
    created = authenticator.create(options, ORIGIN)
    att = cbor2.loads(b64url_decode(created["response"]["attestationObject"]))
    assert att["fmt"] == "none"
    assert att["attStmt"] == {}
    data = parse_authenticator_data(att["authData"])
    flags = data.flags
    assert (flags.up, flags.uv, flags.be, flags.bs, flags.at, flags.ed) == (
        True,
        True,
        True,
        True,
        True,
        False,
    )
    assert data.sign_count == 7
    assert data.attested_credential_data is not None
    assert data.attested_credential_data.aaguid == aaguid


def test_synced_passkey_counter_stays_zero() -> None:
    authenticator = SoftAuthenticator(increment_counter=False)
    verified = register(authenticator)
    for _ in range(3):
        request, challenge = authentication_options()
        assertion = authenticator.get(request, ORIGIN)
        assert verify_auth(assertion, challenge, verified.credential_public_key, 0) == 0


def test_allow_credentials_and_explicit_selection() -> None:
    authenticator = SoftAuthenticator()
    first = register(authenticator, user_id=b"user-1")
    second = register(authenticator, user_id=b"user-2")
    assert [c.user_handle for c in authenticator.credentials] == [b"user-1", b"user-2"]

    request, challenge = authentication_options()
    assert b64url_decode(authenticator.get(request, ORIGIN)["rawId"]) == second.credential_id

    request, challenge = authentication_options(allow=[first.credential_id])
    assertion = authenticator.get(request, ORIGIN)
    assert b64url_decode(assertion["response"]["userHandle"]) == b"user-1"
    verify_auth(assertion, challenge, first.credential_public_key, 0)

    request, _ = authentication_options()
    chosen = authenticator.get(request, ORIGIN, credential_id=first.credential_id)
    assert b64url_decode(chosen["rawId"]) == first.credential_id

    request, _ = authentication_options(allow=[b"not-held-by-this-authenticator"])
    with pytest.raises(NoCredentialError):
        authenticator.get(request, ORIGIN)
    foreign = {**authentication_options()[0], "rpId": "example.com"}
    with pytest.raises(NoCredentialError):
        authenticator.get(foreign, "https://example.com")


def test_same_user_reregistration_replaces_resident_credential() -> None:
    authenticator = SoftAuthenticator()
    register(authenticator)
    newer = register(authenticator)
    assert [c.id for c in authenticator.credentials] == [newer.credential_id]


def test_exclude_credentials_refuses_held_credential() -> None:
    authenticator = SoftAuthenticator()
    verified = register(authenticator)
    options, _ = registration_options(exclude=[verified.credential_id])
    with pytest.raises(CredentialExcludedError):
        authenticator.create(options, ORIGIN)
    # An unknown excluded id does not block registration.
    options, challenge = registration_options(exclude=[b"someone-elses"], user_id=b"user-2")
    verify_reg(authenticator.create(options, ORIGIN), challenge)


def test_b64url_helpers() -> None:
    for raw in (b"", b"\xfb\xff", b"abc", bytes(range(256))):
        encoded = b64url_encode(raw)
        assert "=" not in encoded
        assert "+" not in encoded
        assert "/" not in encoded
        assert b64url_decode(encoded) == raw


# ------------------------------------------------------------- forged registrations


@pytest.mark.parametrize(
    ("knobs", "origin"),
    [
        pytest.param({}, "https://evil.example", id="foreign-origin"),
        pytest.param({"rp_id_override": "evil.example"}, ORIGIN, id="rp-id-hash"),
        pytest.param({"uv": False}, ORIGIN, id="no-uv"),
        pytest.param({"up": False}, ORIGIN, id="no-up"),
        pytest.param({"challenge_override": b"stale challenge"}, ORIGIN, id="challenge"),
        pytest.param({"type_override": "webauthn.get"}, ORIGIN, id="client-data-type"),
    ],
)
def test_forged_registration_is_rejected(knobs: dict[str, Any], origin: str) -> None:
    options, challenge = registration_options()
    created = SoftAuthenticator().create(options, origin, **knobs)
    with pytest.raises(InvalidRegistrationResponse):
        verify_reg(created, challenge)


def test_authenticator_without_uv_fails_required_uv() -> None:
    options, challenge = registration_options()
    created = SoftAuthenticator(user_verification=False).create(options, ORIGIN)
    with pytest.raises(InvalidRegistrationResponse):
        verify_reg(created, challenge)
    relaxed = verify_registration_response(
        credential=created,
        expected_challenge=challenge,
        expected_origin=ORIGIN,
        expected_rp_id=RP_ID,
    )
    assert relaxed.user_verified is False


# ----------------------------------------------------------- forged authentications


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(
    ("knobs", "origin"),
    [
        pytest.param({}, "https://evil.example", id="foreign-origin"),
        pytest.param({"rp_id_override": "evil.example"}, ORIGIN, id="rp-id-hash"),
        pytest.param({"uv": False}, ORIGIN, id="no-uv"),
        pytest.param({"up": False}, ORIGIN, id="no-up"),
        pytest.param({"tamper_signature": True}, ORIGIN, id="signature"),
        pytest.param({"challenge_override": b"stale challenge"}, ORIGIN, id="challenge"),
        pytest.param({"type_override": "webauthn.create"}, ORIGIN, id="client-data-type"),
        pytest.param({"counter_override": 1}, ORIGIN, id="counter-regressed"),
    ],
)
def test_forged_authentication_is_rejected(
    algorithm: Algorithm, knobs: dict[str, Any], origin: str
) -> None:
    authenticator = SoftAuthenticator(algorithm)
    verified = register(authenticator)
    request, challenge = authentication_options()
    count = verify_auth(
        authenticator.get(request, ORIGIN), challenge, verified.credential_public_key, 0
    )
    assert count == 1

    request, challenge = authentication_options()
    forged = authenticator.get(request, origin, **knobs)
    with pytest.raises(InvalidAuthenticationResponse):
        verify_auth(forged, challenge, verified.credential_public_key, count)

    # The forgery left the authenticator usable: a genuine assertion still verifies.
    request, challenge = authentication_options()
    genuine = authenticator.get(request, ORIGIN)
    assert verify_auth(genuine, challenge, verified.credential_public_key, count) > count


def test_signature_from_another_credential_is_rejected() -> None:
    authenticator = SoftAuthenticator()
    first = register(authenticator, user_id=b"user-1")
    register(authenticator, user_id=b"user-2")
    request, challenge = authentication_options()
    assertion = authenticator.get(request, ORIGIN)  # signed by the second credential
    with pytest.raises(InvalidAuthenticationResponse):
        verify_auth(assertion, challenge, first.credential_public_key, 0)


def test_transport_is_understood_by_py_webauthn() -> None:
    options, challenge = registration_options()
    created = SoftAuthenticator().create(options, ORIGIN)
    parsed = parse_registration_credential_json(created)
    assert parsed.response.transports == [AuthenticatorTransport.INTERNAL]
    assert verify_reg(created, challenge).user_verified
