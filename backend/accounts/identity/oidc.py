"""OpenID Connect Core 1.0 as a relying party, for VNeID or any provider a province
configures: the authorization code flow with PKCE (S256), ``state`` and ``nonce``.

- Discovery from ``MOTCUA_OIDC_ISSUER``; the document must name that issuer exactly
  (a mix-up would let one provider's tokens pass for another's). Kept an hour.
- The code is redeemed at the token endpoint with the PKCE verifier, the client
  authenticated by its secret (``client_secret_basic``, RFC 6749 2.3.1) or by a
  private-key JWT (RFC 7523) that joserfc signs.
- The ID token is checked with joserfc: an asymmetric algorithm the provider
  publishes (never ``none`` nor a shared-secret HMAC), a key of its JWKS (fetched
  again at most once a minute for a key id we do not know, so a rotation is followed
  without letting forged key ids hammer the provider), then ``iss``, ``aud``,
  ``azp``, ``exp``, ``iat`` and our ``nonce``.
- Claims the ID token lacks are read from the userinfo endpoint, whose ``sub`` must be
  the token's.

Every call has the configured timeout: a provider that is down makes a clear error,
never a hung request."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from joserfc import jwk, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from backend.accounts.identity.base import IdentityRefused, IdentityUnavailable, VerifiedIdentity
from backend.settings import IdentitySettings

# Asymmetric only: a token signed with HS256 would be forgeable by anyone who holds
# the client secret, and ``none`` by anyone at all.
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
METADATA_SECONDS = 3600
KEYS_REFRESH_SECONDS = 60
# Clocks of two servers differ by seconds; a minute is the usual allowance.
LEEWAY_SECONDS = 60
# An answer larger than this is not a discovery document, key set, token or userinfo.
MAX_DOCUMENT = 256 * 1024
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class OpenIdConnect:
    def __init__(self, settings: IdentitySettings) -> None:
        self.name = settings.name
        self.issuer = settings.issuer
        self._settings = settings
        self._key = _client_key(settings.private_key) if settings.private_key else None
        self._http = httpx.AsyncClient(timeout=settings.timeout_s, follow_redirects=False)
        self._metadata: dict[str, Any] | None = None
        self._metadata_until = 0.0
        self._keys: jwk.KeySet | None = None
        self._keys_at = 0.0
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, verifier: str, locale: str
    ) -> str:
        metadata = await self._discover()
        endpoint: str = metadata["authorization_endpoint"]
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._settings.client_id,
                "redirect_uri": redirect_uri,
                "scope": " ".join(self._settings.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": _s256(verifier),
                "code_challenge_method": "S256",
                "ui_locales": locale,
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def identify(
        self, *, redirect_uri: str, code: str, verifier: str, nonce: str
    ) -> VerifiedIdentity:
        metadata = await self._discover()
        token = await self._redeem(metadata, redirect_uri, code, verifier)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise IdentityRefused("no_id_token")
        claims = await self.verify_id_token(id_token, nonce=nonce)
        wanted = {claim for _, claim in self._settings.claims}
        if not wanted <= claims.keys() and metadata.get("userinfo_endpoint"):
            claims = {**await self._userinfo(metadata, token, claims["sub"]), **claims}
        fields = {name: _claim_text(claims.get(claim)) for name, claim in self._settings.claims}
        return VerifiedIdentity(issuer=self.issuer, subject=str(claims["sub"]), **fields)

    async def _redeem(
        self, metadata: dict[str, Any], redirect_uri: str, code: str, verifier: str
    ) -> dict[str, Any]:
        endpoint: str = metadata["token_endpoint"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        if self._key is not None:
            form |= {
                "client_id": self._settings.client_id,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": self._assertion(endpoint),
            }
        else:
            # RFC 6749 2.3.1: both are form-encoded before they go into Basic.
            pair = f"{quote(self._settings.client_id, safe='')}:"
            pair += quote(self._settings.client_secret, safe="")
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            response = await self._http.post(endpoint, data=form, headers=headers)
            token = response.json() if len(response.content) <= MAX_DOCUMENT else None
        except (httpx.HTTPError, ValueError):
            raise IdentityUnavailable from None
        if response.status_code >= 500 or not isinstance(token, dict):
            raise IdentityUnavailable
        if "error" in token or response.status_code != 200:
            # invalid_grant: a code used twice, expired, or not for this verifier.
            raise IdentityRefused(f"token_{str(token.get('error', response.status_code))[:40]}")
        return token

    def _assertion(self, audience: str) -> str:
        """A private-key JWT for the token endpoint (RFC 7523 section 3), for one use."""
        assert self._key is not None
        now = int(time.time())
        client_id = self._settings.client_id
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(16),
            "iat": now,
            "exp": now + 60,
        }
        algorithm = "ES256" if isinstance(self._key, jwk.ECKey) else "RS256"
        header = {"alg": algorithm, **({"kid": self._key.kid} if self._key.kid else {})}
        return jwt.encode(header, claims, self._key, algorithms=[algorithm])

    async def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The token's claims, once its signature and claims are checked for ``nonce``;
        IdentityRefused naming what failed otherwise."""
        metadata = await self._discover()
        header = _header(id_token)
        allowed = ALGORITHMS & set(metadata.get("id_token_signing_alg_values_supported", ["RS256"]))
        algorithm = header.get("alg")
        if algorithm not in allowed:
            raise IdentityRefused("algorithm")
        keys = await self._key_set(metadata, kid=header.get("kid"))
        try:
            token = jwt.decode(id_token, keys, algorithms=[str(algorithm)])
        except JoseError:
            raise IdentityRefused("signature") from None
        claims = dict(token.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": self._settings.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise IdentityRefused("expired") from None
        except ClaimError as error:
            raise IdentityRefused(f"claim_{error.claim}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        azp = claims.get("azp")
        if (len(audiences) > 1 or azp is not None) and azp != self._settings.client_id:
            raise IdentityRefused("claim_azp")
        return claims

    async def _userinfo(
        self, metadata: dict[str, Any], token: dict[str, Any], subject: object
    ) -> dict[str, Any]:
        access = token.get("access_token")
        if not isinstance(access, str):
            return {}
        info = await self._get_json(
            metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}
        )
        if info.get("sub") != subject:
            raise IdentityRefused("userinfo_subject")
        return info

    async def _discover(self) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() < self._metadata_until:
            return self._metadata
        async with self._lock:
            if self._metadata is None or time.monotonic() >= self._metadata_until:
                metadata = await self._get_json(f"{self.issuer}/.well-known/openid-configuration")
                if metadata.get("issuer") != self.issuer:
                    raise IdentityUnavailable
                needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
                if not all(isinstance(metadata.get(name), str) for name in needed):
                    raise IdentityUnavailable
                self._metadata = metadata
                self._metadata_until = time.monotonic() + METADATA_SECONDS
        return self._metadata

    async def _key_set(self, metadata: dict[str, Any], *, kid: object) -> jwk.KeySet:
        async with self._lock:
            stale = self._keys is None or (
                kid is not None
                and all(key.kid != kid for key in self._keys.keys)
                and time.monotonic() - self._keys_at >= KEYS_REFRESH_SECONDS
            )
            if stale:
                raw = await self._get_json(metadata["jwks_uri"])
                try:
                    self._keys = jwk.KeySet.import_key_set(raw)  # type: ignore[arg-type]
                except (JoseError, ValueError, KeyError, TypeError):
                    raise IdentityUnavailable from None
                self._keys_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    async def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers=headers)
        except httpx.HTTPError:
            raise IdentityUnavailable from None
        if response.status_code != 200 or len(response.content) > MAX_DOCUMENT:
            raise IdentityUnavailable
        try:
            document = response.json()
        except ValueError:
            raise IdentityUnavailable from None
        if not isinstance(document, dict):
            raise IdentityUnavailable
        return document


def _s256(verifier: str) -> str:
    """The PKCE challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, to choose the algorithm and key before anything
    of the token is believed."""
    try:
        segment = token.split(".")[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, IndexError):
        raise IdentityRefused("malformed") from None
    if not isinstance(header, dict) or token.count(".") != 2:
        raise IdentityRefused("malformed")
    return header


def _claim_text(value: object) -> str | None:
    """A claim as our field takes it: text, trimmed; anything else is no value."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _client_key(raw: str) -> jwk.RSAKey | jwk.ECKey:
    """The private key of ``private_key_jwt``, from a PEM file or a JWK."""
    if raw.startswith("-----BEGIN"):
        key = load_pem_private_key(raw.encode(), password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            return jwk.RSAKey.import_key(raw)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return jwk.ECKey.import_key(raw)
        raise ValueError("an RSA or EC key is needed")
    parsed = json.loads(raw)
    return (
        jwk.ECKey.import_key(parsed) if parsed.get("kty") == "EC" else jwk.RSAKey.import_key(parsed)
    )
