"""A software WebAuthn platform authenticator (plus the client half of a browser) for tests.

`SoftAuthenticator` consumes the JSON options a relying party sends to the browser
(`PublicKeyCredentialCreationOptionsJSON` / `PublicKeyCredentialRequestOptionsJSON`, i.e. what
`webauthn.options_to_json()` produces, after `json.loads`) and returns what
`PublicKeyCredential.toJSON()` would give back (`RegistrationResponseJSON` /
`AuthenticationResponseJSON`). Credentials are resident (discoverable) and held in memory.

Keyword-only "knobs" on `create()` and `get()` forge invalid responses for negative tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

__all__ = [
    "Algorithm",
    "AuthenticatorError",
    "CredentialExcludedError",
    "CredentialInfo",
    "NoCredentialError",
    "SoftAuthenticator",
    "UnsupportedAlgorithmError",
    "b64url_decode",
    "b64url_encode",
]

Algorithm = Literal["ES256", "EdDSA", "RS256"]
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

#: COSE algorithm identifiers (IANA "COSE Algorithms" registry).
COSE_ALGORITHMS: dict[Algorithm, int] = {"ES256": -7, "EdDSA": -8, "RS256": -257}
_ALGORITHM_BY_COSE: dict[int, Algorithm] = {v: k for k, v in COSE_ALGORITHMS.items()}
#: What a client uses when pubKeyCredParams is empty (WebAuthn L3 §5.1.3 step 10).
_DEFAULT_PARAMS = (-7, -257)

# authenticatorData flag bits (WebAuthn L3 §6.1).
FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40
FLAG_ED = 0x80


class AuthenticatorError(Exception):
    """Base class for refusals by the soft authenticator."""


class CredentialExcludedError(AuthenticatorError):
    """A credential listed in excludeCredentials is already held (InvalidStateError)."""


class NoCredentialError(AuthenticatorError):
    """No held credential matches the request (NotAllowedError)."""


class UnsupportedAlgorithmError(AuthenticatorError):
    """None of the offered pubKeyCredParams is supported (NotSupportedError)."""


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(data: str) -> bytes:
    """Decode base64url, with or without padding."""
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """A snapshot of one held credential."""

    id: bytes
    rp_id: str
    user_handle: bytes
    user_name: str
    sign_count: int
    algorithm: Algorithm
    public_key: bytes
    """The COSE_Key (CBOR) of the credential, as stored by a relying party."""


@dataclass(slots=True)
class _Credential:
    id: bytes
    rp_id: str
    user_handle: bytes
    user_name: str
    algorithm: Algorithm
    private_key: PrivateKey
    sign_count: int

    def info(self) -> CredentialInfo:
        return CredentialInfo(
            id=self.id,
            rp_id=self.rp_id,
            user_handle=self.user_handle,
            user_name=self.user_name,
            sign_count=self.sign_count,
            algorithm=self.algorithm,
            public_key=_cose_public_key(self.algorithm, self.private_key),
        )


def _generate_key(algorithm: Algorithm) -> PrivateKey:
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def _cose_public_key(algorithm: Algorithm, key: PrivateKey) -> bytes:
    """Encode the public half of `key` as a CBOR COSE_Key (RFC 9052/9053)."""
    alg = COSE_ALGORITHMS[algorithm]
    cose: dict[int, Any]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = key.public_key().public_numbers()
        # kty EC2, crv P-256, x and y as 32-byte big-endian coordinates.
        cose = {
            1: 2,
            3: alg,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        # kty OKP, crv Ed25519.
        cose = {1: 1, 3: alg, -1: 6, -2: raw}
    else:
        rsa_numbers = key.public_key().public_numbers()
        # kty RSA, n modulus, e exponent.
        cose = {1: 3, 3: alg, -1: _int_bytes(rsa_numbers.n), -2: _int_bytes(rsa_numbers.e)}
    return cbor2.dumps(cose)


def _spki_der(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _sign(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))  # ASN.1 DER (r, s)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)  # raw 64 bytes
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _flip_last_bit(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


def _origin_host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


def _descriptor_ids(descriptors: Iterable[Mapping[str, Any]] | None) -> set[bytes]:
    return {
        b64url_decode(d["id"])
        for d in descriptors or ()
        if d.get("type", "public-key") == "public-key"
    }


class SoftAuthenticator:
    """An in-memory platform authenticator holding resident (discoverable) credentials.

    Args:
        algorithm: the algorithm, or algorithms, this authenticator can generate keys for.
            `create()` picks the first entry of the RP's pubKeyCredParams that is in this set.
        aaguid: 16-byte AAGUID written into attested credential data.
        user_verification: set the UV flag (the user "passed" a PIN/biometric check).
        user_present: set the UP flag.
        sign_count_start: signature counter of newly created credentials.
        increment_counter: bump the counter on each assertion; when False it never moves
            (stays 0 by default), like a synced passkey.
        backup_eligible: set the BE flag.
        backed_up: set the BS flag.
    """

    def __init__(
        self,
        algorithm: Algorithm | Sequence[Algorithm] = "ES256",
        *,
        aaguid: bytes = bytes(16),
        user_verification: bool = True,
        user_present: bool = True,
        sign_count_start: int = 0,
        increment_counter: bool = True,
        backup_eligible: bool = True,
        backed_up: bool = True,
    ) -> None:
        algorithms: tuple[Algorithm, ...] = (
            (algorithm,) if isinstance(algorithm, str) else tuple(algorithm)
        )
        unknown = [a for a in algorithms if a not in get_args(Algorithm)]
        if not algorithms or unknown:
            raise ValueError(f"unsupported algorithm(s): {unknown or algorithms!r}")
        if len(aaguid) != 16:
            raise ValueError("aaguid must be 16 bytes")
        if not 0 <= sign_count_start < 2**32:
            raise ValueError("sign_count_start must fit in 32 bits")
        self.algorithms = algorithms
        self.aaguid = aaguid
        self.user_verification = user_verification
        self.user_present = user_present
        self.sign_count_start = sign_count_start
        self.increment_counter = increment_counter
        self.backup_eligible = backup_eligible
        self.backed_up = backed_up
        self._credentials: list[_Credential] = []

    # ----------------------------------------------------------------- inspection

    @property
    def credentials(self) -> list[CredentialInfo]:
        """Snapshots of the held credentials, oldest first."""
        return [c.info() for c in self._credentials]

    def remove(self, credential_id: bytes) -> None:
        """Forget a credential (as if the user deleted the passkey)."""
        self._credentials = [c for c in self._credentials if c.id != credential_id]

    # ------------------------------------------------------------------- ceremonies

    def create(
        self,
        options: Mapping[str, Any],
        origin: str,
        *,
        rp_id_override: str | None = None,
        type_override: str | None = None,
        challenge_override: bytes | None = None,
        uv: bool | None = None,
        up: bool | None = None,
        counter_override: int | None = None,
    ) -> dict[str, Any]:
        """Run navigator.credentials.create() and return a RegistrationResponseJSON dict.

        `options` is PublicKeyCredentialCreationOptionsJSON (the dict under `publicKey`).
        The attestation is always format "none". Raises `CredentialExcludedError` if a held
        credential is listed in excludeCredentials and `UnsupportedAlgorithmError` if no
        offered algorithm is supported. Knobs: `rp_id_override` hashes another RP ID into
        authData, `type_override`/`challenge_override` forge clientDataJSON, `uv`/`up`
        override the flags, `counter_override` sets the reported counter.
        """
        rp_id: str = options.get("rp", {}).get("id") or _origin_host(origin)
        user = options["user"]
        user_handle = b64url_decode(user["id"])

        excluded = _descriptor_ids(options.get("excludeCredentials"))
        if any(c.id in excluded and c.rp_id == rp_id for c in self._credentials):
            raise CredentialExcludedError("a credential in excludeCredentials is already held")

        algorithm = self._pick_algorithm(options.get("pubKeyCredParams") or ())
        private_key = _generate_key(algorithm)
        credential = _Credential(
            id=secrets.token_bytes(16 + secrets.randbelow(17)),
            rp_id=rp_id,
            user_handle=user_handle,
            user_name=str(user.get("name", "")),
            algorithm=algorithm,
            private_key=private_key,
            sign_count=self.sign_count_start,
        )

        client_data = self._client_data(
            type_override or "webauthn.create",
            challenge_override
            if challenge_override is not None
            else b64url_decode(options["challenge"]),
            origin,
        )
        cose_key = _cose_public_key(algorithm, private_key)
        attested = self.aaguid + len(credential.id).to_bytes(2, "big") + credential.id + cose_key
        auth_data = self._authenticator_data(
            rp_id_override or rp_id,
            uv=uv,
            up=up,
            counter=credential.sign_count if counter_override is None else counter_override,
            extra_flags=FLAG_AT,
        )
        auth_data += attested
        attestation_object = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})

        # A resident credential replaces any other one for the same RP and user account.
        self._credentials = [
            c for c in self._credentials if not (c.rp_id == rp_id and c.user_handle == user_handle)
        ]
        self._credentials.append(credential)

        extensions: dict[str, Any] = {}
        if (options.get("extensions") or {}).get("credProps"):
            extensions["credProps"] = {"rk": True}

        return {
            "id": b64url_encode(credential.id),
            "rawId": b64url_encode(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url_encode(client_data),
                "attestationObject": b64url_encode(attestation_object),
                "authenticatorData": b64url_encode(auth_data),
                "transports": ["internal"],
                "publicKey": b64url_encode(_spki_der(private_key)),
                "publicKeyAlgorithm": COSE_ALGORITHMS[algorithm],
            },
            "clientExtensionResults": extensions,
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: Mapping[str, Any],
        origin: str,
        credential_id: bytes | None = None,
        *,
        rp_id_override: str | None = None,
        type_override: str | None = None,
        challenge_override: bytes | None = None,
        uv: bool | None = None,
        up: bool | None = None,
        counter_override: int | None = None,
        tamper_signature: bool = False,
    ) -> dict[str, Any]:
        """Run navigator.credentials.get() and return an AuthenticationResponseJSON dict.

        `options` is PublicKeyCredentialRequestOptionsJSON. The credential used is, among
        those held for the RP ID, the one in allowCredentials (if non-empty) and/or equal to
        `credential_id`, the most recently created one winning; `NoCredentialError` if none.
        The counter is bumped unless `increment_counter` is off. Knobs as for `create()`,
        plus `tamper_signature` (flip a bit of the signature); `counter_override` sets the
        reported counter without touching the stored one.
        """
        rp_id: str = options.get("rpId") or _origin_host(origin)
        candidates = [c for c in self._credentials if c.rp_id == rp_id]
        allowed = _descriptor_ids(options.get("allowCredentials"))
        if allowed:
            candidates = [c for c in candidates if c.id in allowed]
        if credential_id is not None:
            candidates = [c for c in candidates if c.id == credential_id]
        if not candidates:
            raise NoCredentialError(f"no matching credential held for RP ID {rp_id!r}")
        credential = candidates[-1]

        if counter_override is None:
            if self.increment_counter:
                credential.sign_count = (credential.sign_count + 1) % 2**32
            counter = credential.sign_count
        else:
            counter = counter_override

        client_data = self._client_data(
            type_override or "webauthn.get",
            challenge_override
            if challenge_override is not None
            else b64url_decode(options["challenge"]),
            origin,
        )
        auth_data = self._authenticator_data(rp_id_override or rp_id, uv=uv, up=up, counter=counter)
        signature = _sign(credential.private_key, auth_data + hashlib.sha256(client_data).digest())
        if tamper_signature:
            signature = _flip_last_bit(signature)

        return {
            "id": b64url_encode(credential.id),
            "rawId": b64url_encode(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url_encode(client_data),
                "authenticatorData": b64url_encode(auth_data),
                "signature": b64url_encode(signature),
                "userHandle": b64url_encode(credential.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    # ------------------------------------------------------------------- internals

    def _pick_algorithm(self, params: Sequence[Mapping[str, Any]]) -> Algorithm:
        offered = [p["alg"] for p in params if p.get("type", "public-key") == "public-key"]
        for alg in offered or _DEFAULT_PARAMS:
            name = _ALGORITHM_BY_COSE.get(alg)
            if name is not None and name in self.algorithms:
                return name
        raise UnsupportedAlgorithmError(
            f"none of the offered algorithms {offered} is in {self.algorithms}"
        )

    @staticmethod
    def _client_data(type_: str, challenge: bytes, origin: str) -> bytes:
        """Serialise CollectedClientData the way browsers do (compact, fixed key order)."""
        data = {
            "type": type_,
            "challenge": b64url_encode(challenge),
            "origin": origin,
            "crossOrigin": False,
        }
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    def _authenticator_data(
        self,
        rp_id: str,
        *,
        uv: bool | None,
        up: bool | None,
        counter: int,
        extra_flags: int = 0,
    ) -> bytes:
        flags = extra_flags
        if self.user_present if up is None else up:
            flags |= FLAG_UP
        if self.user_verification if uv is None else uv:
            flags |= FLAG_UV
        if self.backup_eligible:
            flags |= FLAG_BE
        if self.backed_up:
            flags |= FLAG_BS
        rp_id_hash = hashlib.sha256(rp_id.encode("utf-8")).digest()
        return rp_id_hash + bytes([flags]) + (counter % 2**32).to_bytes(4, "big")
