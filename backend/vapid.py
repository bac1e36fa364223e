"""VAPID keys (RFC 8292): a P-256 key pair. The private key travels as its 32-byte
scalar in base64url (what `motcua vapid-keys` prints and MOTCUA_VAPID_PRIVATE_KEY
holds); browsers take the public key as the uncompressed point (applicationServerKey)."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key(raw: str) -> ec.EllipticCurvePrivateKey:
    scalar = unb64url(raw)
    if len(scalar) != 32:
        raise ValueError("a P-256 private key is 32 bytes")
    return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())


def valid_private_key(raw: str) -> bool:
    try:
        private_key(raw)
    except ValueError:
        return False
    return True


def public_key(raw: str) -> str:
    """The applicationServerKey for browsers: the uncompressed point, base64url."""
    point = (
        private_key(raw).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    )
    return b64url(point)


def new_key_pair() -> tuple[str, str]:
    """(private, public), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    return raw, public_key(raw)
