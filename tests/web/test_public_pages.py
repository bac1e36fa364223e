"""Public pages from memory (issue 21): what a browser, a proxy and a person see."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from collections.abc import AsyncIterator

import brotli
import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.accounts import sessions
from backend.accounts.tables import Account
from backend.app import create_app
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import DemoProcedure
from backend.catalogue.tables import Counter
from backend.db import Database
from backend.settings import Settings
from backend.web.public_pages import PUBLIC_PAGE, PageCache, PublicPages
from tests.conftest import PUBLIC_URL
from tests.support.asgi import client_for

RAW = {"Accept-Encoding": "identity", "Accept": "text/html"}


def _cache(app: Litestar) -> PageCache:
    handler = app.asgi_handler
    while not isinstance(handler, PublicPages):
        handler = handler.app  # type: ignore[attr-defined]
    return handler.cache


@pytest.fixture(scope="module")
async def uncached(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, same database, with the cache off: the page as rendered each time."""
    from dataclasses import replace

    async with client_for(create_app(replace(settings, page_cache_mb=0)), PUBLIC_URL) as client:
        yield client


async def _a_code() -> str:
    page = await catalogue.list_procedures(page_size=1)
    return page.items[0].code


async def test_a_second_visit_gets_304_and_the_same_page(client: httpx.AsyncClient) -> None:
    first = await client.get("/", headers=RAW)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["vary"] == "Accept-Encoding, Accept-Language, Cookie"
    assert "last-modified" in first.headers
    again = await client.get("/", headers={**RAW, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = await client.get(
        "/", headers={**RAW, "If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    other = await client.get("/", headers={**RAW, "If-None-Match": '"0123"'})
    assert other.status_code == 200 and other.content == first.content


@pytest.mark.parametrize("path", ["/", "/thu-tuc?q=giay+phep+lai+xe", "procedure"])
async def test_the_stored_page_is_the_page_rendered(
    client: httpx.AsyncClient, uncached: httpx.AsyncClient, path: str
) -> None:
    if path == "procedure":
        path = f"/p/{await _a_code()}"
    await client.get(path)
    cached = await client.get(path, headers=RAW)
    fresh = await uncached.get(path, headers=RAW)
    assert cached.status_code == fresh.status_code == 200
    assert cached.text == fresh.text
    assert "csrf" not in cached.text.lower()


async def test_br_and_gzip_as_asked_decode_to_the_same_page(client: httpx.AsyncClient) -> None:
    plain = (await client.get("/thu-tuc", headers=RAW)).content
    raw_client = httpx.AsyncClient(transport=client._transport, base_url=PUBLIC_URL)
    br = await raw_client.send(
        raw_client.build_request("GET", "/thu-tuc", headers={"Accept-Encoding": "gzip, br"}),
        stream=True,
    )
    assert br.headers["content-encoding"] == "br"
    br_body = b"".join([part async for part in br.aiter_raw()])
    assert brotli.decompress(br_body) == plain
    gz = await raw_client.send(
        raw_client.build_request("GET", "/thu-tuc", headers={"Accept-Encoding": "gzip, br;q=0"}),
        stream=True,
    )
    assert gz.headers["content-encoding"] == "gzip"
    assert gzip.decompress(b"".join([part async for part in gz.aiter_raw()])) == plain
    assert int(gz.headers["content-length"]) < len(plain)
    assert br.headers["etag"] != gz.headers["etag"]
    none = await client.get("/thu-tuc", headers={"Accept-Encoding": "br;q=0, gzip;q=0"})
    assert "content-encoding" not in none.headers and none.content == plain


async def test_english_and_vietnamese_are_kept_apart(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        vi = await client.get("/thu-tuc", headers={**RAW, "Accept-Language": "vi"})
        en = await client.get("/thu-tuc", headers={**RAW, "Accept-Language": "en-GB,en;q=0.9"})
        client.cookies.clear()
        by_cookie = await client.get("/thu-tuc", headers={**RAW, "Cookie": "lang=en"})
        assert '<html lang="vi">' in vi.text and '<html lang="en">' in en.text
        assert by_cookie.text == en.text
        assert vi.headers["etag"] != en.headers["etag"]
    # A Vietnamese ETag is no 304 for the English page.
    cross = await client.get(
        "/thu-tuc", headers={**RAW, "Accept-Language": "en", "If-None-Match": vi.headers["etag"]}
    )
    assert cross.status_code == 200 and '<html lang="en">' in cross.text


CODE = "9.821001"


def _own_procedure() -> DemoProcedure:
    raw = msgspec.json.decode(catalogue.DEMO_CATALOGUE.read_bytes())
    item = msgspec.convert(
        next(p for p in raw["procedures"] if p["code"] == "1.004873"), DemoProcedure
    )
    item.code, item.fee_rules = CODE, []
    item.name_vi, item.name_en = "Thủ tục thử bộ nhớ đệm", "Cache trial procedure"
    return item


async def test_a_catalogue_edit_shows_at_once(client: httpx.AsyncClient) -> None:
    item = _own_procedure()
    await catalogue.save_procedure(item, new=True)
    try:
        first = await client.get(f"/p/{CODE}", headers=RAW)
        assert "Thủ tục thử bộ nhớ đệm" in first.text
        assert (
            await client.get(f"/p/{CODE}", headers={**RAW, "If-None-Match": first.headers["etag"]})
        ).status_code == 304
        item.name_vi = "Thủ tục thử đã sửa"
        await catalogue.save_procedure(item)
        again = await client.get(
            f"/p/{CODE}", headers={**RAW, "If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 200 and "Thủ tục thử đã sửa" in again.text
        assert again.headers["etag"] != first.headers["etag"]
        since = await client.get(
            f"/p/{CODE}", headers={**RAW, "If-Modified-Since": first.headers["last-modified"]}
        )
        assert since.status_code == 200, "a page newer than the browser's copy"
        search = await client.get("/thu-tuc", params={"q": "thu da sua"}, headers=RAW)
        assert CODE in search.text
    finally:
        await catalogue.delete_procedure(CODE)
    gone = await client.get(f"/p/{CODE}", headers=RAW)
    assert gone.status_code == 404


async def test_the_catalogue_api_is_served_from_memory_and_follows_edits(
    client: httpx.AsyncClient, uncached: httpx.AsyncClient
) -> None:
    """The search the PWA types into, and a procedure's JSON: the same bytes as rendered,
    the API's own minute of caching, a 304 for the copy held, an edit at once."""
    item = _own_procedure()
    await catalogue.save_procedure(item, new=True)
    try:
        search = {"q": "thu bo nho dem", "junk": "x"}
        first = await client.get("/api/procedures", params=search, headers=RAW)
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("application/json")
        assert first.headers["cache-control"] == "public, max-age=60"
        assert [p["code"] for p in first.json()["items"]] == [CODE]
        fresh = await uncached.get("/api/procedures", params=search, headers=RAW)
        assert first.content == fresh.content
        held = {**RAW, "If-None-Match": first.headers["etag"]}
        assert (await client.get("/api/procedures", params=search, headers=held)).status_code == 304
        one = await client.get(f"/api/procedures/{CODE}", headers={"Accept-Encoding": "br"})
        assert one.headers["content-encoding"] == "br"
        assert one.json()["name_vi"] == "Thủ tục thử bộ nhớ đệm"
        item.name_vi = "Thủ tục thử đã sửa"
        await catalogue.save_procedure(item)
        again = await client.get("/api/procedures", params=search, headers=held)
        assert again.status_code == 200 and again.content != first.content
        assert (await client.get(f"/api/procedures/{CODE}")).json()["name_vi"] == item.name_vi
        bad = await client.get("/api/procedures", params={"page": "many"})
        assert bad.status_code == 400
    finally:
        await catalogue.delete_procedure(CODE)
    assert (await client.get(f"/api/procedures/{CODE}")).status_code == 404


async def test_a_counter_edit_raises_the_version(database: Database) -> None:
    """Procedure pages list the counters that receive them."""
    before = await catalogue.catalogue_version()
    counter = await Counter.select(Counter.id, Counter.name_vi).first()
    assert counter is not None
    await Counter.update({Counter.name_vi: "Quầy tạm"}).where(Counter.id == counter["id"])
    await Counter.update({Counter.name_vi: counter["name_vi"]}).where(Counter.id == counter["id"])
    assert await catalogue.catalogue_version() > before


async def test_a_signed_in_person_neither_reads_nor_fills_the_cache(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    runtime = app.state["accounts"]
    rows = await Account.insert(
        Account(
            kind="staff",
            full_name="Cán bộ bộ nhớ đệm",
            user_handle=f"page-cache-{dt.datetime.now().timestamp()}",
            role="reception",
            agency_code="000.00.01.H56",
            created_at=dt.datetime.now(dt.UTC),
        )
    ).returning(Account.id)
    token = await sessions.start(runtime, rows[0]["id"], "t")
    anonymous = await client.get("/", headers=RAW)
    assert 'href="/can-bo"' not in anonymous.text
    cache = _cache(app)
    stored = {key: page.etag for key, page in cache._pages.items()}
    client.cookies.clear()
    signed_in = await client.get("/", headers={**RAW, "Cookie": f"{runtime.cookie_name}={token}"})
    assert 'href="/can-bo"' in signed_in.text
    assert "etag" not in signed_in.headers
    assert signed_in.headers["cache-control"] == "no-store"
    assert {key: page.etag for key, page in cache._pages.items()} == stored
    after = await client.get("/", headers=RAW)
    assert after.text == anonymous.text


@pytest.mark.parametrize(
    "path", ["/", "/thu-tuc?q=ho+chieu", "procedure", "static", "/icons/icon-192.png"]
)
async def test_no_cookie_on_public_pages_or_static_files(
    client: httpx.AsyncClient, path: str
) -> None:
    if path == "procedure":
        path = f"/p/{await _a_code()}"
    elif path == "static":
        html = (await client.get("/", headers=RAW)).text
        path = re.search(r'href="(/static/[^"]+\.css)"', html).group(1)  # type: ignore[union-attr]
    for _ in range(2):
        client.cookies.clear()
        response = await client.get(path)
        assert response.status_code == 200
        assert "public" in response.headers["cache-control"]
        assert "set-cookie" not in response.headers, path


async def test_junk_queries_neither_change_the_page_nor_fill_the_cache(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    clean = await client.get("/thu-tuc", params={"q": "khai sinh"}, headers=RAW)
    cache = _cache(app)
    size = len(cache)
    for n in range(50):
        junk = await client.get(
            "/thu-tuc", params={"q": "khai sinh", f"junk{n}": "x" * 500, "utm": str(n)}, headers=RAW
        )
        assert junk.status_code == 200 and junk.text == clean.text
    assert len(cache) == size
    # Distinct real queries are bounded by the cache's bytes, oldest out first.
    small = PageCache(max_bytes=200_000)
    for n in range(500):
        from backend.web.public_pages import store

        small.put(n, store(1, [], bytes(range(256)) * 20 * (1 + n % 3), 0))
        assert small.used <= small.max_bytes
    assert 499 in small._pages and 0 not in small._pages
    # A parameter given twice, or a bad one, is answered as the app answers it.
    assert (await client.get("/thu-tuc?page=2&page=3", headers=RAW)).status_code in {200, 400}
    assert (await client.get("/thu-tuc?page=abc", headers=RAW)).status_code == 400
    assert (await client.get("/thu-tuc?level=nowhere", headers=RAW)).status_code == 400
    assert (await client.get("/p/9.999999", headers=RAW)).status_code == 404


async def test_head_gets_the_headers_of_get(client: httpx.AsyncClient) -> None:
    get = await client.get("/", headers={"Accept-Encoding": "gzip"})
    head = await client.head("/", headers={"Accept-Encoding": "gzip"})
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-length", "content-encoding", "cache-control", "vary"):
        assert head.headers[name] == get.headers[name], name
    conditional = await client.head("/", headers={"If-None-Match": get.headers["etag"]})
    assert conditional.status_code == 304


@pytest.mark.parametrize(
    "path", ["/", "/thu-tuc", "/p/1.000001", "/api/procedures", "/api/procedures/1.000001"]
)
def test_a_cached_page_declares_every_query_parameter_it_reads(app: Litestar, path: str) -> None:
    """A parameter left out would be dropped from the query: the page would ignore it."""
    from litestar.params import QueryParameter

    handler = app.asgi_router.handle_routing(path=path, method="GET")[1]
    reads = {
        field.kwarg_definition.name
        for field in handler.parsed_fn_signature.parameters.values()
        if isinstance(field.kwarg_definition, QueryParameter) and field.kwarg_definition.name
    }
    assert set(handler.opt[PUBLIC_PAGE]) == reads
