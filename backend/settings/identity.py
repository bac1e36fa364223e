"""Signing in with an OpenID Connect identity provider beside passkeys (issue 18): the
national electronic identity (VNeID) or any provider the province configures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from backend.settings.parse import SettingsError, boolean, integer, text

# Our fields an identity fills, and the claim each is read from unless
# MOTCUA_OIDC_CLAIMS says otherwise. ``citizen_id`` is the 12-digit personal
# identification number; a provider's name for it is configuration.
CLAIM_FIELDS = ("full_name", "citizen_id", "phone", "email")
DEFAULT_CLAIMS: tuple[tuple[str, str], ...] = (
    ("full_name", "name"),
    ("citizen_id", "citizen_id"),
    ("phone", "phone_number"),
    ("email", "email"),
)


@dataclass(frozen=True, slots=True)
class IdentitySettings:
    """The provider is offered only when ``issuer`` is set. The client authenticates at
    the token endpoint with a secret (``client_secret_basic``) or a private key
    (``private_key_jwt``, the key a JWK or PEM file), never both."""

    issuer: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    private_key: str = field(default="", repr=False)
    # Shown on the button: "Đăng nhập bằng VNeID".
    name: str = "VNeID"
    claims: tuple[tuple[str, str], ...] = DEFAULT_CLAIMS
    scopes: tuple[str, ...] = ("openid", "profile")
    # Officials may sign in only through the provider (their passkeys are refused).
    staff_required: bool = False
    timeout_s: float = 5.0

    @property
    def enabled(self) -> bool:
        return bool(self.issuer)

    def claim_of(self, field_name: str) -> str:
        return dict(self.claims)[field_name]


def identity_settings(env: Mapping[str, str], environment: str) -> IdentitySettings:
    issuer = env.get("MOTCUA_OIDC_ISSUER", "").strip().rstrip("/")
    staff_required = boolean(env, "MOTCUA_OIDC_STAFF_REQUIRED", default=False)
    if not issuer:
        if staff_required:
            raise SettingsError("MOTCUA_OIDC_STAFF_REQUIRED", "needs MOTCUA_OIDC_ISSUER")
        return IdentitySettings()
    parts = urlsplit(issuer)
    loopback = parts.hostname in {"localhost", "127.0.0.1", "::1"}
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query:
        raise SettingsError("MOTCUA_OIDC_ISSUER", f"must be an https:// issuer (got {issuer!r})")
    if parts.scheme == "http" and (environment == "production" or not loopback):
        raise SettingsError(
            "MOTCUA_OIDC_ISSUER", "must use https (http only on loopback, in tests)"
        )
    if not env.get("MOTCUA_OIDC_CLIENT_ID", "").strip():
        raise SettingsError("MOTCUA_OIDC_CLIENT_ID", "is required with MOTCUA_OIDC_ISSUER")
    client_id = text(env, "MOTCUA_OIDC_CLIENT_ID", "", high=200)
    secret = env.get("MOTCUA_OIDC_CLIENT_SECRET", "").strip()
    key_file = env.get("MOTCUA_OIDC_PRIVATE_KEY", "").strip()
    if bool(secret) == bool(key_file):
        raise SettingsError(
            "MOTCUA_OIDC_CLIENT_SECRET",
            "set it or MOTCUA_OIDC_PRIVATE_KEY (a private_key_jwt key file), exactly one",
        )
    private_key = ""
    if key_file:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise SettingsError("MOTCUA_OIDC_PRIVATE_KEY", f"{path} is not a file")
        private_key = path.read_text().strip()
        if not (private_key.startswith("-----BEGIN") or _is_private_jwk(private_key)):
            raise SettingsError("MOTCUA_OIDC_PRIVATE_KEY", "must be a private key (PEM or JWK)")
    scopes = tuple(env.get("MOTCUA_OIDC_SCOPES", "openid profile").split())
    if "openid" not in scopes:
        raise SettingsError("MOTCUA_OIDC_SCOPES", "must include openid")
    return IdentitySettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret,
        private_key=private_key,
        name=text(env, "MOTCUA_OIDC_NAME", "VNeID", high=40),
        claims=_claims(env.get("MOTCUA_OIDC_CLAIMS", "")),
        scopes=scopes,
        staff_required=staff_required,
        timeout_s=integer(env, "MOTCUA_OIDC_TIMEOUT_S", 5, low=1, high=30),
    )


def _is_private_jwk(raw: str) -> bool:
    try:
        key = json.loads(raw)
    except ValueError:
        return False
    return isinstance(key, dict) and "d" in key


def _claims(raw: str) -> tuple[tuple[str, str], ...]:
    """``citizen_id=so_dinh_danh,full_name=ho_ten``: which claim fills which field; the
    fields not named keep their default claim."""
    mapping = dict(DEFAULT_CLAIMS)
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, claim = (piece.strip() for piece in item.partition("="))
        if name not in CLAIM_FIELDS or not claim or not claim.isprintable():
            raise SettingsError(
                "MOTCUA_OIDC_CLAIMS",
                f"must be field=claim pairs, the fields {', '.join(CLAIM_FIELDS)} (got {item!r})",
            )
        mapping[name] = claim
    return tuple(mapping.items())
