"""``HEAD`` answers as ``GET`` would, without a body (issue 16: every page was a 405):
the same status and headers for pages, redirects, the API, static files and errors."""

from __future__ import annotations

import httpx
import pytest

# Headers that differ between any two answers, whatever the method.
PER_RESPONSE = {"date", "x-request-id", "set-cookie"}
PATHS = [
    "/",
    "/p/1.002809",
    "/thu-tuc?q=khai+sinh",
    "/dang-nhap?next=/p/1.002809/nop",
    "/tai-khoan",  # a redirect
    "/p/1.002809/nop",  # signed out: sent to sign in
    "/api/procedures?q=khai",
    "/api/procedures/1.002809",
    "/sw.js",
    "/manifest.webmanifest",
    "/no-such-page",
    "/api/nothing-here",
    "/api/procedures?page_size=100000",  # refused input
]


def comparable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}


@pytest.mark.parametrize("path", PATHS)
async def test_head_is_get_without_the_body(client: httpx.AsyncClient, path: str) -> None:
    get = await client.get(path)
    head = await client.head(path)
    assert head.status_code == get.status_code
    assert head.content == b""
    assert comparable(head) == comparable(get)
    if "content-length" in get.headers:
        assert head.headers["content-length"] == str(get.num_bytes_downloaded)


async def test_compressed_answers_keep_their_headers(client: httpx.AsyncClient) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    get = await client.get("/", headers=gzip)
    head = await client.head("/", headers=gzip)
    assert get.headers["content-encoding"] == head.headers["content-encoding"] == "gzip"
    assert comparable(head) == comparable(get)


async def test_only_head_is_turned_into_get(client: httpx.AsyncClient) -> None:
    """A POST-only address still refuses GET and HEAD alike; other methods are left."""
    assert (await client.head("/dang-xuat")).status_code == 405
    assert (await client.get("/dang-xuat")).status_code == 405
    assert (await client.delete("/")).status_code == 405
    assert (await client.request("OPTIONS", "/api/procedures")).status_code in {200, 204}
