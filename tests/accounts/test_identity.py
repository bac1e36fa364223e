"""Signing in with an identity provider (VNeID) beside passkeys, against a real OpenID
provider on this machine (the certified ``oidc-provider``, tests/support/oidc.py): a
first sign-in opens an account with the verified name and ID number, a second finds
it; an existing account links only from its own session; forged, replayed and
cross-browser callbacks are refused and audited; officials can be required to use it."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from litestar import Litestar

from backend.accounts import service
from backend.accounts.identity import IdentityRefused, IdentityUnavailable
from backend.accounts.identity.oidc import OpenIdConnect
from backend.accounts.runtime import AccountsRuntime
from backend.accounts.schemas import StaffCreate
from backend.accounts.tables import Account, Identity
from backend.app import create_app
from backend.db import Database
from backend.settings import IdentitySettings, Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import AGENCY, ORIGIN, Browser, audit_events, new_browser
from tests.support.asgi import lifespan
from tests.support.oidc import OpenIdProvider, forge_id_token, log_in, oidc_provider

CALLBACK = ORIGIN + service.CALLBACK_PATH
CLAIMS = (
    ("full_name", "name"),
    ("citizen_id", "identity_number"),
    ("phone", "phone_number"),
    ("email", "email"),
)
_numbers = iter(range(10**6))


def new_number() -> str:
    """A 12-digit personal identification number no other test uses."""
    return f"0010900{next(_numbers):05d}"


@pytest.fixture(scope="module")
def op() -> Iterator[OpenIdProvider]:
    with oidc_provider(redirect_uris=[CALLBACK]) as provider:
        yield provider


def identity_settings(op: OpenIdProvider, **changes: Any) -> IdentitySettings:
    base = IdentitySettings(
        issuer=op.issuer,
        client_id=op.client_id,
        client_secret=op.client_secret,
        claims=CLAIMS,
        scopes=("openid", "profile", "phone", "identity"),
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
async def identity_app(
    settings: Settings, database: Database, op: OpenIdProvider
) -> AsyncIterator[Litestar]:
    app = create_app(fast_settings(settings, identity=identity_settings(op)))
    async with lifespan(app):
        yield app


@pytest.fixture
def runtime(identity_app: Litestar) -> AccountsRuntime:
    runtime: AccountsRuntime = identity_app.state["accounts"]
    return runtime


@pytest.fixture
async def provider_client() -> AsyncIterator[httpx.AsyncClient]:
    """The person's browser as the provider sees it (its own cookies there)."""
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def person(op: OpenIdProvider, name: str = "Nguyễn Văn An", **claims: Any) -> tuple[str, str]:
    """A new account at the provider; its id and ID number."""
    account_id = f"p{time.monotonic_ns()}"
    number = claims.pop("identity_number", None) or new_number()
    op.set_account(account_id, {"name": name, "identity_number": number, **claims})
    return account_id, number


async def start(browser: Browser, next_path: str = "/") -> str:
    """Press "Đăng nhập bằng VNeID": where the browser is sent."""
    response = await browser.client.post(
        "/dang-nhap/dinh-danh", data={"next": next_path}, headers=await browser.headers()
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(browser_op_issuer(location))
    return location


def browser_op_issuer(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def come_back(browser: Browser, callback: str) -> httpx.Response:
    parts = urlsplit(callback)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return await browser.client.get(f"{parts.path}?{parts.query}")


async def sign_in(
    browser: Browser, provider_client: httpx.AsyncClient, account_id: str, next_path: str = "/"
) -> httpx.Response:
    authorize = await start(browser, next_path)
    return await come_back(browser, await log_in(provider_client, authorize, account_id))


async def me(browser: Browser) -> dict[str, Any]:
    response = await browser.client.get("/api/account")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_authorization_request_carries_pkce_state_and_nonce(
    identity_app: Litestar, op: OpenIdProvider
) -> None:
    browser = await new_browser(identity_app)
    query = parse_qs(urlsplit(await start(browser)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [op.client_id]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert "openid" in query["scope"][0].split()
    # The state rides back in an HttpOnly cookie too.
    assert browser.client.cookies.get("motcua_identity") == query["state"][0]
    await browser.close()


async def test_a_first_sign_in_opens_an_account_with_the_verified_name_and_number(
    identity_app: Litestar, op: OpenIdProvider, provider_client: httpx.AsyncClient
) -> None:
    account, number = person(op, "Trần Thị Bình", phone_number="0912345001")
    browser = await new_browser(identity_app)
    response = await sign_in(browser, provider_client, account, next_path="/thu-tuc")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/thu-tuc"
    mine = await me(browser)
    assert mine["full_name"] == "Trần Thị Bình"
    assert mine["citizen_id"] == number
    assert mine["phone"] == "0912345001"
    assert mine["kind"] == "citizen"
    assert [e["details"].get("method") for e in await audit_events(mine["id"], "sign_up")] == [
        "identity"
    ]
    # The second time, from another phone, the same account.
    other = await new_browser(identity_app)
    async with httpx.AsyncClient(timeout=10) as fresh:
        again = await sign_in(other, fresh, account)
    assert again.status_code == 303
    assert (await me(other))["id"] == mine["id"]
    assert await Account.count().where(Account.citizen_id == number) == 1
    await browser.close()
    await other.close()


async def test_a_replayed_callback_is_refused_and_signs_nobody_in(
    identity_app: Litestar, op: OpenIdProvider, provider_client: httpx.AsyncClient
) -> None:
    account, _ = person(op)
    browser = await new_browser(identity_app)
    callback = await log_in(provider_client, await start(browser), account)
    first = await come_back(browser, callback)
    assert first.status_code == 303
    # Signed out, the same state and code again (the cookie put back as an attacker would).
    await browser.client.post("/dang-xuat", headers=await browser.headers())
    state = parse_qs(urlsplit(callback).query)["state"][0]
    browser.client.cookies.set("motcua_identity", state)
    replay = await come_back(browser, callback)
    assert replay.status_code == 401
    assert "hết hạn" in replay.text
    assert (await browser.client.get("/api/account")).status_code == 401
    await browser.close()


async def test_a_callback_begun_in_another_browser_is_refused(
    identity_app: Litestar, op: OpenIdProvider, provider_client: httpx.AsyncClient
) -> None:
    """A login forged by someone else: the victim's browser has no state cookie."""
    account, _ = person(op)
    attacker = await new_browser(identity_app)
    callback = await log_in(provider_client, await start(attacker), account)
    victim = await new_browser(identity_app)
    response = await come_back(victim, callback)
    assert response.status_code == 401
    assert (await victim.client.get("/api/account")).status_code == 401
    failures = await audit_events(event="identity_failed")
    assert failures[-1]["details"]["reason"] == "state_mismatch"
    await attacker.close()
    await victim.close()


async def test_cancelling_at_the_provider_says_so(identity_app: Litestar) -> None:
    browser = await new_browser(identity_app)
    state = parse_qs(urlsplit(await start(browser)).query)["state"][0]
    response = await browser.client.get(
        f"{service.CALLBACK_PATH}?error=access_denied&state={state}"
    )
    assert response.status_code == 422
    assert "Bạn đã dừng đăng nhập bằng VNeID" in response.text
    assert (await browser.client.get("/api/account")).status_code == 401
    await browser.close()


async def test_an_id_number_that_has_an_account_is_linked_only_from_that_account(
    identity_app: Litestar,
    op: OpenIdProvider,
    provider_client: httpx.AsyncClient,
) -> None:
    """Never by matching: the owner signs in with a passkey and links from there."""
    number = new_number()
    owner = await new_browser(identity_app)
    created = await owner.sign_up(full_name="Lê Văn Cường", citizen_id=number)
    owner_id = created["account"]["id"]
    account, _ = person(op, "Lê Văn Cường", identity_number=number)

    stranger = await new_browser(identity_app)
    refused = await sign_in(stranger, provider_client, account)
    assert refused.status_code == 409
    assert "đã có tài khoản" in refused.text
    assert (await stranger.client.get("/api/account")).status_code == 401
    assert await Account.count().where(Account.citizen_id == number) == 1

    async with httpx.AsyncClient(timeout=10) as fresh:
        linked = await sign_in(owner, fresh, account)
    assert linked.status_code == 303
    assert linked.headers["location"] == "/tai-khoan/thiet-bi?xong=lien-ket"
    # The session the passkey began gave way to the new one, not kept beside it.
    assert len((await owner.client.get("/api/account/sessions")).json()) == 1
    page = await owner.client.get("/tai-khoan/thiet-bi")
    assert 'id="identity-linked"' in page.text
    assert await audit_events(owner_id, "identity_linked")

    # From now on the identity signs in to the owner's account.
    async with httpx.AsyncClient(timeout=10) as fresh:
        again = await sign_in(stranger, fresh, account)
    assert again.status_code == 303
    assert (await me(stranger))["id"] == owner_id
    await owner.close()
    await stranger.close()


async def test_an_identity_with_another_number_than_the_account_is_not_linked(
    identity_app: Litestar, op: OpenIdProvider, provider_client: httpx.AsyncClient
) -> None:
    browser = await new_browser(identity_app)
    await browser.sign_up(full_name="Phạm Thị Dung", citizen_id=new_number())
    account, _ = person(op, "Phạm Thị Dung")
    response = await sign_in(browser, provider_client, account)
    assert response.status_code == 409
    assert "khác với số căn cước" in response.text
    assert await Identity.count().where(Identity.subject == account) == 0
    await browser.close()


async def test_a_linked_identity_cannot_be_linked_to_a_second_account(
    identity_app: Litestar, op: OpenIdProvider
) -> None:
    account, _ = person(op)
    first = await new_browser(identity_app)
    async with httpx.AsyncClient(timeout=10) as fresh:
        assert (await sign_in(first, fresh, account)).status_code == 303
    second = await new_browser(identity_app)
    await second.sign_up(full_name="Võ Văn Em")
    async with httpx.AsyncClient(timeout=10) as fresh:
        response = await sign_in(second, fresh, account)
    assert response.status_code == 409
    assert "tài khoản Một Cửa khác" in response.text
    await first.close()
    await second.close()


# ------------------------------------------------------------- the ID token itself


@pytest.fixture
async def relying_party(op: OpenIdProvider) -> AsyncIterator[OpenIdConnect]:
    provider = OpenIdConnect(identity_settings(op))
    yield provider
    await provider.aclose()


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({}, None),
        ({"iss": "https://vneid.example.vn"}, "claim_iss"),
        ({"aud": "another-client"}, "claim_aud"),
        ({"aud": ["motcua", "another-client"]}, "claim_azp"),
        ({"nonce": "not-the-one-we-sent"}, "claim_nonce"),
        ({"nonce": None}, "claim_nonce"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"iat": None}, "claim_iat"),
        ({"sub": None}, "claim_sub"),
    ],
)
async def test_the_id_token_claims_are_checked(
    relying_party: OpenIdConnect, op: OpenIdProvider, claims: dict[str, Any], reason: str | None
) -> None:
    token = forge_id_token(op, **{"nonce": "n-123", "sub": "someone", **claims})
    if reason is None:
        verified = await relying_party.verify_id_token(token, nonce="n-123")
        assert verified["sub"] == "someone"
        return
    with pytest.raises(IdentityRefused) as refused:
        await relying_party.verify_id_token(token, nonce="n-123")
    assert refused.value.code.startswith(reason)


async def test_a_token_signed_by_another_key_is_refused(
    relying_party: OpenIdConnect, op: OpenIdProvider
) -> None:
    kid = op.signing_jwk["kid"]
    impostor = RSAKey.generate_key(2048, parameters={"alg": "RS256", "kid": kid})
    token = forge_id_token(op, key=impostor.as_dict(private=True), nonce="n")
    with pytest.raises(IdentityRefused) as refused:
        await relying_party.verify_id_token(token, nonce="n")
    assert refused.value.code == "signature"


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
async def test_unsigned_and_shared_secret_tokens_are_refused(
    relying_party: OpenIdConnect, op: OpenIdProvider, algorithm: str
) -> None:
    good = forge_id_token(op, nonce="n")
    _, body, _ = good.split(".")
    header = json.dumps({"alg": algorithm}).encode()
    import base64

    forged = base64.urlsafe_b64encode(header).rstrip(b"=").decode() + "." + body + "."
    with pytest.raises(IdentityRefused) as refused:
        await relying_party.verify_id_token(forged, nonce="n")
    assert refused.value.code in {"algorithm", "malformed"}


async def test_a_provider_that_is_down_gives_a_clear_503(
    settings: Settings, database: Database, op: OpenIdProvider
) -> None:
    down = identity_settings(op, issuer="http://127.0.0.1:9", timeout_s=1.0)
    app = create_app(fast_settings(settings, identity=down))
    async with lifespan(app):
        browser = await new_browser(app)
        response = await browser.client.post(
            "/dang-nhap/dinh-danh", data={"next": "/"}, headers=await browser.headers()
        )
        assert response.status_code == 503
        assert "Chưa kết nối được với VNeID" in response.text
        await browser.close()
    provider = OpenIdConnect(down)
    with pytest.raises(IdentityUnavailable):
        await provider.verify_id_token("a.b.c", nonce="n")
    await provider.aclose()


# ------------------------------------------------------ officials and private_key_jwt


@pytest.fixture(scope="module")
async def staff_app(
    settings: Settings, database: Database, op: OpenIdProvider
) -> AsyncIterator[Litestar]:
    """A province that requires officials to use the provider; this app's client
    authenticates with a private-key JWT."""
    required = identity_settings(
        op,
        client_id=op.jwt_client_id,
        client_secret="",
        private_key=op.jwt_client_pem,
        staff_required=True,
    )
    app = create_app(fast_settings(settings, identity=required))
    async with lifespan(app):
        yield app


async def test_an_official_links_through_the_enrolment_link_when_required(
    staff_app: Litestar, op: OpenIdProvider, provider_client: httpx.AsyncClient
) -> None:
    runtime: AccountsRuntime = staff_app.state["accounts"]
    created = await service.create_staff(
        runtime, StaffCreate(full_name="Cán bộ Hòa", role="reception", agency_code=AGENCY)
    )
    browser = await new_browser(staff_app)
    token = created.enrolment.url.rsplit("/", 1)[-1]
    # No passkey for officials here: the page offers only the identity provider.
    refused = await browser.post("/api/auth/enrolment/options", {"token": token})
    assert refused.status_code == 403
    assert "VNeID" in refused.json()["detail"]
    page = await browser.client.get(f"/kich-hoat/{token}")
    assert 'id="identity-enrol"' in page.text and 'id="enrol-form"' not in page.text

    account, _ = person(op, "Đỗ Thị Hòa")
    response = await browser.client.post(
        f"/kich-hoat/{token}/dinh-danh", headers=await browser.headers()
    )
    assert response.status_code == 303
    callback = await log_in(provider_client, response.headers["location"], account)
    done = await come_back(browser, callback)
    assert done.status_code == 303, done.text
    mine = await me(browser)
    assert mine["id"] == created.official.id
    assert mine["kind"] == "staff"
    assert mine["full_name"] == "Đỗ Thị Hòa"
    # The link is spent: a second use of it is refused.
    again = await browser.client.post(
        f"/kich-hoat/{token}/dinh-danh", headers=await browser.headers()
    )
    assert again.status_code == 410
    # Afterwards the official signs in with the identity: the console opens.
    async with httpx.AsyncClient(timeout=10) as fresh:
        later = await new_browser(staff_app)
        assert (await sign_in(later, fresh, account)).status_code == 303
    assert (await me(later))["id"] == created.official.id
    await browser.close()
    await later.close()


async def test_an_officials_passkey_is_refused_where_the_provider_is_required(
    staff_app: Litestar, staff: Any
) -> None:
    """Both a new passkey sign-in and a session a passkey began before the rule."""
    enrolled, official_id = await staff()
    there = await new_browser(staff_app, authenticator=enrolled.authenticator)
    response = await there.sign_in()
    assert response.status_code == 403
    assert "VNeID" in response.json()["detail"]
    reasons = [e["details"]["reason"] for e in await audit_events(official_id, "sign_in_failed")]
    assert reasons[-1] == "identity_required"
    old = await new_browser(staff_app)
    old.client.cookies = enrolled.client.cookies
    assert (await old.client.get("/api/account")).status_code == 401
    await there.close()
    await old.close()
