"""The test OpenID provider itself: what the sign-in tests of accounts rely on, checked
the way a relying party sees it (discovery, the code flow with PKCE, both client
authentications, the ID token's signature and claims) and what it must refuse."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, InvalidClaimError
from joserfc.jwk import ECKey, KeySet, RSAKey

from tests.support.oidc import OpenIdProvider, ProviderError, forge_id_token, log_in, oidc_provider

CALLBACK = "https://motcua.example/dang-nhap/oidc/callback"
AN = {
    "name": "Nguyễn Văn An",
    "identity_number": "001090012345",
    "birthdate": "1990-05-17",
    "gender": "male",
}


@pytest.fixture(scope="module")
def op() -> Iterator[OpenIdProvider]:
    with oidc_provider(redirect_uris=[CALLBACK], accounts={"an": AN}) as provider:
        yield provider


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(op: OpenIdProvider, client_id: str, **params: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile identity",
        **params,
    }
    return f"{op.metadata['authorization_endpoint']}?{urlencode(query)}"


def pkce_url(op: OpenIdProvider, **params: str) -> str:
    """An authorization request of the secret client with state, nonce and a fresh S256
    challenge (``params`` add or override)."""
    _, challenge = pkce()
    defaults = {"state": "s", "nonce": "n", "code_challenge": challenge}
    return authorize_url(
        op, op.client_id, **{**defaults, "code_challenge_method": "S256", **params}
    )


async def sign_in(
    op: OpenIdProvider, browser: httpx.AsyncClient, client_id: str, account: str = "an"
) -> tuple[str, str, str]:
    """A sign-in up to the callback: (code, verifier, nonce), state and iss checked."""
    verifier, challenge = pkce()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = authorize_url(
        op,
        client_id,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    callback = await log_in(browser, url, account)
    assert callback.startswith(CALLBACK + "?")
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [state]
    assert query["iss"] == [op.issuer]
    return query["code"][0], verifier, nonce


async def provider_keys(op: OpenIdProvider) -> KeySet:
    async with httpx.AsyncClient() as client:
        response = await client.get(op.metadata["jwks_uri"])
    return KeySet.import_key_set(response.json())


async def validated(op: OpenIdProvider, id_token: str, audience: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims after the checks a relying party makes."""
    token = jwt.decode(id_token, await provider_keys(op), algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": op.issuer},
        aud={"essential": True, "value": audience},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(token.claims)
    return token.claims


async def test_discovery_describes_a_code_flow_provider_with_pkce(op: OpenIdProvider) -> None:
    assert op.issuer.startswith("http://127.0.0.1:")
    assert op.metadata["issuer"] == op.issuer
    assert op.metadata["response_types_supported"] == ["code"]
    assert op.metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "private_key_jwt"} <= set(
        op.metadata["token_endpoint_auth_methods_supported"]
    )
    assert {"openid", "profile", "identity"} <= set(op.metadata["scopes_supported"])
    keys = (await provider_keys(op)).as_dict()["keys"]
    # The provider publishes the key the tests hold, and only its public part.
    assert [key["kid"] for key in keys] == [op.signing_jwk["kid"]]
    assert "d" not in keys[0]


async def test_code_flow_with_client_secret_basic(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    code, verifier, nonce = await sign_in(op, browser, op.client_id)
    async with httpx.AsyncClient() as rp:
        response = await rp.post(
            op.metadata["token_endpoint"],
            auth=(op.client_id, op.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
        )
        assert response.status_code == 200, response.text
        tokens = response.json()
        claims = await validated(op, tokens["id_token"], op.client_id, nonce)
        assert claims["sub"] == "an"
        assert claims["name"] == "Nguyễn Văn An"
        assert claims["identity_number"] == "001090012345"
        assert claims["birthdate"] == "1990-05-17"

        userinfo = await rp.get(
            op.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    assert userinfo.status_code == 200
    assert userinfo.json()["identity_number"] == "001090012345"

    # A code is good once.
    async with httpx.AsyncClient() as rp:
        again = await rp.post(
            op.metadata["token_endpoint"],
            auth=(op.client_id, op.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
        )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_code_flow_with_private_key_jwt(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    code, verifier, nonce = await sign_in(op, browser, op.jwt_client_id)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": verifier,
        "client_id": op.jwt_client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    async with httpx.AsyncClient() as rp:
        # An assertion signed with another key is refused and does not spend the code.
        stranger = ECKey.generate_key("P-256", parameters={"alg": "ES256"}).as_dict(private=True)
        refused = await rp.post(
            op.metadata["token_endpoint"],
            data={**form, "client_assertion": op.client_assertion(key=stranger)},
        )
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"

        response = await rp.post(
            op.metadata["token_endpoint"], data={**form, "client_assertion": op.client_assertion()}
        )
    assert response.status_code == 200, response.text
    claims = await validated(op, response.json()["id_token"], op.jwt_client_id, nonce)
    assert claims["name"] == "Nguyễn Văn An"
    assert claims["identity_number"] == "001090012345"


async def test_wrong_pkce_verifier_and_wrong_secret_are_refused(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    code, verifier, _ = await sign_in(op, browser, op.client_id)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    async with httpx.AsyncClient() as rp:
        wrong_secret = await rp.post(
            op.metadata["token_endpoint"],
            auth=(op.client_id, "not-the-secret"),
            data={**form, "code_verifier": verifier},
        )
        assert wrong_secret.status_code == 401
        assert wrong_secret.json()["error"] == "invalid_client"

        for bad in ({"code_verifier": pkce()[0]}, {}):
            response = await rp.post(
                op.metadata["token_endpoint"],
                auth=(op.client_id, op.client_secret),
                data={**form, **bad},
            )
            assert response.status_code == 400
            assert response.json()["error"] == "invalid_grant"


async def test_pkce_is_required_even_of_a_confidential_client(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    url = authorize_url(op, op.client_id, state="s1", nonce="n1")
    callback = await log_in(browser, url, "an")
    query = parse_qs(urlsplit(callback).query)
    assert callback.startswith(CALLBACK + "?")
    assert query["error"] == ["invalid_request"]
    assert "code" not in query
    assert "PKCE" in query["error_description"][0]


async def test_unregistered_redirect_uri_is_not_followed(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    url = pkce_url(op, redirect_uri="https://attacker.example/callback")
    with pytest.raises(ProviderError, match="redirect_uri"):
        await log_in(browser, url, "an")


async def test_an_unknown_account_cannot_sign_in(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    url = pkce_url(op)
    with pytest.raises(ProviderError, match="unknown account"):
        await log_in(browser, url, "nobody")


async def test_refused_consent_and_changed_account(
    op: OpenIdProvider, browser: httpx.AsyncClient
) -> None:
    verifier, challenge = pkce()
    params = {"state": "s", "nonce": "n", "code_challenge": challenge}
    params["code_challenge_method"] = "S256"
    callback = await log_in(browser, authorize_url(op, op.client_id, **params), "an", consent=False)
    assert parse_qs(urlsplit(callback).query)["error"] == ["access_denied"]

    op.set_account("binh", {"name": "Trần Thị Bình", "identity_number": "079185000111"})
    code, verifier, nonce = await sign_in(op, browser, op.client_id, account="binh")
    async with httpx.AsyncClient() as rp:
        response = await rp.post(
            op.metadata["token_endpoint"],
            auth=(op.client_id, op.client_secret),
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            },
        )
    claims = await validated(op, response.json()["id_token"], op.client_id, nonce)
    assert (claims["sub"], claims["name"]) == ("binh", "Trần Thị Bình")


async def test_forged_tokens_are_signed_by_the_provider_key_and_wrong_as_asked(
    op: OpenIdProvider,
) -> None:
    keys = await provider_keys(op)
    expired = forge_id_token(op, sub="an", nonce="n", exp=int(time.time()) - 60)
    with pytest.raises(ExpiredTokenError):
        await validated(op, expired, op.client_id, "n")

    elsewhere = forge_id_token(op, sub="an", nonce="n", aud="another-client")
    assert jwt.decode(elsewhere, keys).claims["aud"] == "another-client"
    with pytest.raises(InvalidClaimError):
        await validated(op, elsewhere, op.client_id, "n")

    # Another key that claims the provider's key id: the signature gives it away.
    impostor = RSAKey.generate_key(2048, parameters={"kid": op.signing_jwk["kid"]})
    forged = forge_id_token(op, sub="an", nonce="n", key=impostor.as_dict(private=True))
    with pytest.raises(BadSignatureError):
        jwt.decode(forged, keys)
