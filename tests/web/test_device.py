"""The phone's device cookie: signed, and ``__Host-`` prefixed on https."""

from __future__ import annotations

from litestar import Litestar, Request, get
from litestar.params import FromQuery
from litestar.response import Response
from litestar.testing import AsyncTestClient

from backend.web import device

SECRET = "a secret key of at least thirty-two characters"


@get("/d", sync_to_thread=False)
def handler(request: Request, secure: FromQuery[bool] = False) -> Response[str]:  # type: ignore[type-arg]
    known, cookie = device.request_device(request, SECRET)
    response = Response(known)
    if cookie:
        device.keep_device(response, cookie, secure=secure)
    return response


async def test_the_cookie_is_signed_and_prefixed_on_https() -> None:
    app = Litestar([handler])
    async with AsyncTestClient(app, base_url="https://testserver.local") as client:
        first = await client.get("/d?secure=true")
        assert first.headers["set-cookie"].startswith("__Host-motcua_device=")
        assert (
            "Secure" in first.headers["set-cookie"] and "Domain" not in first.headers["set-cookie"]
        )
        again = await client.get("/d?secure=true")
        assert again.text == first.text and "set-cookie" not in again.headers
    async with AsyncTestClient(app) as client:
        client.cookies.set("motcua_device", "forged.signature")
        plain = await client.get("/d")
        assert plain.headers["set-cookie"].startswith("motcua_device=")
        assert plain.text != "forged"
