"""Cookie sessions are protected by a double-submit token: a ``csrftoken`` cookie
(``__Host-csrftoken`` on https) echoed in the ``x-csrftoken`` header (or the form's
``_csrf_token``) of every unsafe request, bound to the session cookie, and refused
from another origin (issue 15)."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
from litestar import post
from litestar.params import JSONBody

from backend.app import create_app
from backend.settings import Settings
from tests.accounts.conftest import fast_settings
from tests.accounts.helpers import new_browser
from tests.conftest import PUBLIC_URL
from tests.support.asgi import client_for, lifespan


@post("/api/test-only/echo", status_code=200)
async def echo(data: JSONBody[dict[str, str]]) -> dict[str, str]:
    return data


async def test_unsafe_requests_need_the_token_from_the_cookie(
    settings: Settings, database: object
) -> None:
    app = create_app(settings)
    app.register(echo)
    async with client_for(app) as client:
        refused = await client.post("/api/test-only/echo", json={"a": "b"})
        assert refused.status_code == 403
        assert refused.json()["error"]["message_vi"].startswith("Trang này đã cũ")
        assert refused.json()["error"]["message_en"].startswith("This page is out of date")

        await client.get("/dang-nhap")
        token = client.cookies["csrftoken"]
        forged = await client.post(
            "/api/test-only/echo", json={"a": "b"}, headers={"x-csrftoken": "0" * len(token)}
        )
        assert forged.status_code == 403

        accepted = await client.post(
            "/api/test-only/echo", json={"a": "b"}, headers={"x-csrftoken": token}
        )
        assert accepted.status_code == 200
        assert accepted.json() == {"a": "b"}


async def test_the_csrf_cookie_is_lax_and_not_secure_on_http(client: httpx.AsyncClient) -> None:
    client.cookies.clear()
    response = await client.get("/dang-nhap")
    cookie = response.headers["set-cookie"].lower()
    assert "csrftoken=" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie


async def _echo_app(settings: Settings) -> Any:
    app = create_app(fast_settings(settings))
    app.register(echo)
    return app


async def test_a_token_made_for_another_session_is_refused(
    settings: Settings, database: object
) -> None:
    """The sweep: a token planted in the cookie (by a sibling subdomain, or over plain
    http) is no longer as good as the victim's own."""
    app = await _echo_app(settings)
    async with lifespan(app):
        victim, attacker = await new_browser(app), await new_browser(app)
        await victim.sign_up(full_name="Nạn Nhân")
        await attacker.sign_up(full_name="Kẻ Tấn Công")
        own = await victim.post("/api/test-only/echo", {"a": "b"})
        assert own.status_code == 200, own.text
        anonymous = await new_browser(app)
        await anonymous.headers()
        for planted in (
            attacker.client.cookies["csrftoken"],  # bound to the attacker's session
            anonymous.client.cookies["csrftoken"],  # bound to no session
        ):
            domain = next(c.domain for c in victim.client.cookies.jar if c.name == "csrftoken")
            victim.client.cookies.set("csrftoken", planted, domain=domain)
            forged = await victim.client.post(
                "/api/test-only/echo", json={"a": "b"}, headers={"x-csrftoken": planted}
            )
            assert forged.status_code == 403, forged.text
            assert forged.json()["error"]["field"] == "csrf"
        # A page visit gives the victim a good token again.
        await victim.get("/ho-so")
        assert victim.client.cookies["csrftoken"] not in {
            attacker.client.cookies["csrftoken"],
            anonymous.client.cookies["csrftoken"],
        }
        assert (await victim.post("/api/test-only/echo", {"a": "b"})).status_code == 200
        for browser in (victim, attacker, anonymous):
            await browser.close()


async def test_signing_in_and_out_hands_out_a_token_for_the_new_session(
    settings: Settings, database: object
) -> None:
    app = await _echo_app(settings)
    async with lifespan(app):
        browser = await new_browser(app)
        before = (await browser.headers())["x-csrftoken"]
        await browser.sign_up(full_name="Lê Văn Tám")
        after = browser.client.cookies["csrftoken"]
        assert after != before  # set by the very response that signed in
        assert (await browser.post("/api/test-only/echo", {"a": "b"})).status_code == 200
        stale = await browser.client.post(
            "/api/test-only/echo", json={"a": "b"}, headers={"x-csrftoken": before}
        )
        assert stale.status_code == 403
        out = await browser.post("/api/auth/logout")
        assert out.status_code in {200, 204}, out.text
        assert browser.client.cookies["csrftoken"] != after
        # Signed out, the anonymous flows work with the token given then.
        options = await browser.post("/api/auth/passkeys/login/options")
        assert options.status_code == 200, options.text
        await browser.close()


async def test_another_origin_is_refused_even_with_a_good_token(
    settings: Settings, database: object
) -> None:
    app = await _echo_app(settings)
    async with lifespan(app):
        browser = await new_browser(app)
        token = await browser.headers()
        for foreign in (
            {"origin": "https://evil.example"},
            {"origin": "null"},
            {"origin": "null", "sec-fetch-site": "cross-site"},  # a sandboxed frame
            {"origin": "http://localhost:8000.evil.example"},
            {"sec-fetch-site": "cross-site"},
            {"sec-fetch-site": "same-site"},  # a sibling subdomain is not us
        ):
            refused = await browser.client.post(
                "/api/test-only/echo", json={"a": "b"}, headers={**token, **foreign}
            )
            assert refused.status_code == 403, foreign
            assert refused.json()["error"]["field"] == "origin"
            assert "Một Cửa" in refused.json()["error"]["message_en"]
        for ours in (
            {"origin": PUBLIC_URL},
            {"origin": PUBLIC_URL, "sec-fetch-site": "same-origin"},
            {"sec-fetch-site": "same-origin"},
            # Our own page sent with Referrer-Policy: no-referrer, as Chromium posts it.
            {"origin": "null", "sec-fetch-site": "same-origin"},
            {},  # not a browser: the token alone
        ):
            accepted = await browser.client.post(
                "/api/test-only/echo", json={"a": "b"}, headers={**token, **ours}
            )
            assert accepted.status_code == 200, ours
        # A plain form from elsewhere is refused as well.
        form = await browser.client.post(
            "/ho-so/nhan",
            data={"_csrf_token": token["x-csrftoken"], "code": "x"},
            headers={"origin": "https://evil.example"},
        )
        assert form.status_code == 403 and "Một Cửa" in form.text
        await browser.close()


async def test_on_https_the_token_cookie_has_the_host_prefix(
    settings: Settings, database: object
) -> None:
    https = dataclasses.replace(settings, public_url="https://motcua.example.vn")
    async with client_for(create_app(https), base_url="https://motcua.example.vn") as client:
        response = await client.get("/dang-nhap")
        cookie = next(v for v in response.headers.get_list("set-cookie") if "csrftoken=" in v)
        assert cookie.startswith("__Host-csrftoken=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert "csrftoken" not in client.cookies or "__Host-csrftoken" in client.cookies
        # The unprefixed cookie (which a sibling could set) counts for nothing.
        token = client.cookies["__Host-csrftoken"]
        client.cookies.clear()
        refused = await client.post(
            "/api/auth/passkeys/login/options",
            headers={"x-csrftoken": token, "cookie": f"csrftoken={token}"},
        )
        assert refused.status_code == 403


async def test_gateways_notifications_need_no_token_nor_origin(
    settings: Settings, database: object
) -> None:
    async with client_for(create_app(settings)) as client:
        webhook = await client.post(
            "/api/payments/vietqr/webhook",
            content=b"{}",
            headers={"origin": "https://bank.example", "x-signature": "00"},
        )
        # Refused for its signature, by the webhook itself: not by the CSRF check.
        assert webhook.status_code != 403 or webhook.json()["error"]["field"] not in {
            "csrf",
            "origin",
        }
        change = await client.post(
            "/api/push/subscriptions/change", json={}, headers={"sec-fetch-site": "cross-site"}
        )
        assert change.status_code != 403, change.text
