"""Cookie sessions are protected by Litestar's CSRF convention: a ``csrftoken``
cookie echoed in the ``x-csrftoken`` header of every unsafe request."""

from __future__ import annotations

import httpx
from litestar import post
from litestar.params import JSONBody

from backend.app import create_app
from backend.settings import Settings
from tests.support.asgi import client_for


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
        assert refused.json()["error"]["message_vi"].startswith("Bạn không có quyền")

        await client.get("/")
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
    response = await client.get("/")
    cookie = response.headers["set-cookie"].lower()
    assert "csrftoken=" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie
