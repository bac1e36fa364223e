"""Baseline security on every response: pages, API, static files and errors."""

from __future__ import annotations

import httpx
import pytest

from backend.settings import Settings
from backend.web.middleware import security_headers

PATHS = ["/", "/api/procedures", "/healthz", "/sw.js", "/no-such-page", "/api/nothing-here"]


@pytest.mark.parametrize("path", PATHS)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "microphone=()" in response.headers["permissions-policy"]
    assert len(response.headers["x-request-id"]) >= 8
    # The public URL of this run is http://localhost: no HSTS there.
    assert "strict-transport-security" not in response.headers


async def test_a_405_is_covered_too(client: httpx.AsyncClient) -> None:
    response = await client.delete("/")
    assert response.status_code == 405
    assert "content-security-policy" in response.headers


def test_hsts_and_upgrade_only_behind_https(settings: Settings) -> None:
    from dataclasses import replace

    https = replace(settings, public_url="https://motcua.example.vn")
    headers = security_headers(https)
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert "upgrade-insecure-requests" in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in security_headers(settings)


async def test_pages_load_no_inline_script(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert "<script>" not in html and "onclick=" not in html and "style=" not in html
    assert '<script type="module" src="/static/' in html


async def test_a_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "proxy-1234abcd"})
    assert kept.headers["x-request-id"] == "proxy-1234abcd"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert replaced.headers["x-request-id"] != "<script>"
