"""A "browser" for the accounts API tests: an httpx client with its own cookies and
client address, the CSRF header, and a software passkey authenticator."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import httpx
from litestar import Litestar

from tests.support.authenticator import Algorithm, SoftAuthenticator

ORIGIN = "http://localhost:8000"
_addresses = itertools.count(1)


def unique_phone() -> str:
    return "09" + "".join(random.choice("0123456789") for _ in range(8))


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Browser:
    def __init__(
        self, client: httpx.AsyncClient, authenticator: SoftAuthenticator, address: str
    ) -> None:
        self.client = client
        self.authenticator = authenticator
        self.address = address
        self.phone: str | None = None
        self.recovery_codes: list[str] = []

    async def close(self) -> None:
        await self.client.aclose()

    async def headers(self) -> dict[str, str]:
        if "csrftoken" not in self.client.cookies:
            await self.client.get("/healthz")
            await self.client.get("/dang-nhap")
        return {"x-csrftoken": self.client.cookies["csrftoken"]}

    async def post(self, url: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.client.post(url, json=json or {}, headers=await self.headers(), **kwargs)

    async def patch(self, url: str, json: Any) -> httpx.Response:
        return await self.client.patch(url, json=json, headers=await self.headers())

    async def delete(self, url: str) -> httpx.Response:
        return await self.client.delete(url, headers=await self.headers())

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(url, **kwargs)

    # ------------------------------------------------------------- ceremonies

    async def sign_up_options(self, **fields: Any) -> dict[str, Any]:
        self.phone = fields.setdefault("phone", unique_phone())
        fields.setdefault("full_name", "Nguyễn Thị Lan")
        response = await self.post("/api/auth/passkeys/register/options", fields)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def sign_up(self, **fields: Any) -> dict[str, Any]:
        options = await self.sign_up_options(**fields)
        credential = self.authenticator.create(options, ORIGIN)
        response = await self.post("/api/auth/passkeys/register", {"credential": credential})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def sign_in_options(self) -> dict[str, Any]:
        response = await self.post("/api/auth/passkeys/login/options")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def sign_in(self, **knobs: Any) -> httpx.Response:
        options = await self.sign_in_options()
        credential = self.authenticator.get(options, knobs.pop("origin", ORIGIN), **knobs)
        return await self.post("/api/auth/passkeys/login", {"credential": credential})

    async def add_passkey(self, authenticator: SoftAuthenticator, name: str = "") -> httpx.Response:
        options = (await self.post("/api/account/passkeys/options")).json()
        credential = authenticator.create(options, ORIGIN)
        body: dict[str, Any] = {"credential": credential}
        if name:
            body["name"] = name
        return await self.post("/api/account/passkeys", body)

    @property
    def session(self) -> str | None:
        return self.client.cookies.get("motcua_session")


async def new_browser(
    app: Litestar,
    *,
    algorithm: Algorithm = "ES256",
    address: str | None = None,
    authenticator: SoftAuthenticator | None = None,
    headers: dict[str, str] | None = None,
) -> Browser:
    n = next(_addresses)
    address = address or f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    client = httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers=headers)
    return Browser(client, authenticator or SoftAuthenticator(algorithm), address)


AGENCY = "000.00.12.H56"
OTHER_AGENCY = "000.00.13.H56"


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


async def enrol(browser: Browser, url: str) -> httpx.Response:
    """Open an enrolment link and register the browser's passkey through it."""
    token = token_of(url)
    options = await browser.post("/api/auth/enrolment/options", {"token": token})
    assert options.status_code == 200, options.text
    credential = browser.authenticator.create(options.json(), ORIGIN)
    return await browser.post("/api/auth/enrolment", {"token": token, "credential": credential})


async def audit_events(
    subject_id: int | None = None, event: str | None = None
) -> list[dict[str, Any]]:
    from backend.accounts.tables import AuditEvent

    query = AuditEvent.select().order_by(AuditEvent.id).output(load_json=True)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    if event is not None:
        query = query.where(AuditEvent.event == event)
    return list(await query)


def scan(svg: str) -> list[str]:
    """What a phone's camera reads from a QR code drawn as our SVG (segno's one path of
    horizontal strokes, one module high): drawn to pixels, decoded by zxing-cpp."""
    import re

    import zxingcpp
    from PIL import Image

    modules = int(re.search(r'width="(\d+)"', svg).group(1)) // 8  # type: ignore[union-attr]
    path = re.search(r'\sd="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    image = Image.new("L", (modules, modules), 255)
    x = y = 0.0
    for op, args in re.findall(r"([MmHh])([-\d.\s]+)", path):
        numbers = [float(n) for n in args.split()]
        if op == "M":
            x, y = numbers
        elif op == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            for step in range(int(numbers[0])):
                image.putpixel((int(x) + step, int(y)), 0)
            x += numbers[0]
    image = image.resize((modules * 8, modules * 8), Image.Resampling.NEAREST)
    return [result.text for result in zxingcpp.read_barcodes(image)]
