"""What caches may keep (issue 15, sweep 6 and 10): an answer that depends on who asks
is ``no-store`` by default, a response marked public never sets a cookie, and a
download may be read by our own pages only."""

from __future__ import annotations

import dataclasses

import httpx
from litestar import Litestar

from backend.app import create_app
from backend.settings import Settings
from tests.accounts.helpers import Browser, new_browser
from tests.dossiers.test_citizen_pages import (
    LEGAL_AID_AGENCY,
    citizen,
    official,
    open_browsers,
    submitted_legal_aid,
)
from tests.support.asgi import client_for

__all__ = ["open_browsers"]  # the fixture, used by name


async def test_personal_answers_are_not_stored_by_any_cache(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier_id, _ = await submitted_legal_aid(dossiers_app.state["dossiers"], hoa, "cache-1")
    for path in (f"/api/dossiers/{dossier_id}", "/api/notices", "/api/dossiers", "/ho-so"):
        response = await hoa.browser.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
    # Even a page anyone may see, once it is asked for with a session (it names them).
    assert (await hoa.browser.get("/thu-tuc")).headers["cache-control"] == "no-store"
    # A download: no-store, and for our own pages only.
    form = await hoa.browser.get(f"/api/dossiers/{dossier_id}/forms/01")
    assert form.headers["cache-control"] == "private, no-store"
    assert form.headers["cross-origin-resource-policy"] == "same-origin"
    reception = await official(dossiers_app, open_browsers, "reception", LEGAL_AID_AGENCY)
    slip = await reception.get(f"/api/dossiers/{dossier_id}/forms/05")
    assert slip.headers["cross-origin-resource-policy"] == "same-origin"
    # Anonymous tracking answers with a dossier's status: not stored either.
    anonymous = await new_browser(dossiers_app)
    open_browsers.append(anonymous)
    tracked = await anonymous.post("/api/tracking", {"code": "x", "phone_last4": "1234"})
    assert tracked.headers["cache-control"] == "no-store"


async def test_public_responses_carry_no_cookie(dossiers_app: Litestar) -> None:
    transport = httpx.ASGITransport(app=dossiers_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
        for path in ("/api/procedures", "/thong-ke", "/icons/icon-192.png"):
            client.cookies.clear()
            response = await client.get(path)
            assert response.status_code == 200, path
            assert "public" in response.headers["cache-control"], path
            assert "set-cookie" not in response.headers, path
        # The anonymous home page is the same for all (issue 21): public, asked again
        # before each use, no cookie; the service worker still keeps it (offline). A
        # page with a form (the sign-in page, kept by no one) gives the CSRF cookie.
        client.cookies.clear()
        home = await client.get("/")
        assert home.headers["cache-control"] == "public, no-cache"
        assert "set-cookie" not in home.headers
        sign_in = await client.get("/dang-nhap")
        assert "public" not in sign_in.headers["cache-control"]
        assert "csrftoken=" in sign_in.headers["set-cookie"]


async def test_hsts_asks_for_preloading(settings: Settings, database: object) -> None:
    https = dataclasses.replace(settings, public_url="https://motcua.example.vn")
    async with client_for(create_app(https), base_url="https://motcua.example.vn") as client:
        hsts = (await client.get("/healthz")).headers["strict-transport-security"]
    assert hsts == "max-age=63072000; includeSubDomains; preload"
