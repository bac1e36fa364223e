"""The installable PWA shell: manifest, service worker, icons, assets, offline page."""

from __future__ import annotations

import json
import re
import struct

import httpx


async def test_the_manifest_makes_the_app_installable(client: httpx.AsyncClient) -> None:
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["name"].startswith("Một Cửa")
    assert manifest["short_name"] == "Một Cửa"
    assert manifest["lang"] == "vi"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"].startswith("/")
    assert manifest["scope"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        image = await client.get(icon["src"])
        assert image.status_code == 200
        assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", image.content[16:24])
        assert f"{width}x{height}" == icon["sizes"]


async def test_the_service_worker_is_served_from_the_root_uncached(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    source = response.text
    assert "__MOTCUA_" not in source, "version and precache list are filled in"
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", source).group(1))  # type: ignore[union-attr]
    assert "/offline.html" in precache
    for url in precache:
        assert (await client.get(url)).status_code == 200, url
    assert re.search(r'const VERSION = "[0-9a-f]{12}"', source)


async def test_static_assets_are_immutable_and_versioned(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    css_url = re.search(r'href="(/static/[0-9a-f]{12}/styles/app\.css)"', html).group(1)  # type: ignore[union-attr]
    css = await client.get(css_url)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    stale = await client.get(css_url.replace(css_url.split("/")[2], "000000000000"))
    assert stale.status_code == 404
    escape = await client.get(css_url.replace("styles/app.css", "../backend/app.py"))
    assert escape.status_code == 404


async def test_the_offline_page_speaks_plainly(client: httpx.AsyncClient) -> None:
    response = await client.get("/offline.html")
    assert response.status_code == 200
    assert "Bạn đang không có mạng" in response.text


async def test_budgets_on_the_wire(client: httpx.AsyncClient) -> None:
    """Compressed sizes of the critical path against the design's budgets: HTML and
    CSS under 20 KiB each, the JavaScript loaded at first visit under 30 KiB."""
    gzip = {"Accept-Encoding": "gzip"}
    home = await client.get("/", headers=gzip)
    assert home.headers["content-encoding"] == "gzip"
    assert int(home.headers["content-length"]) < 20 * 1024
    css_url = re.search(r'href="(/static/[^"]+\.css)"', home.text).group(1)  # type: ignore[union-attr]
    css = await client.get(css_url, headers=gzip)
    assert int(css.headers.get("content-length", len(css.content))) < 20 * 1024
    pending = re.findall(r'src="(/static/[^"]+\.js)"', home.text)
    seen: set[str] = set()
    wire = 0
    while pending:  # follow static imports: everything the first load fetches
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        module = await client.get(url, headers=gzip)
        assert module.status_code == 200, url
        wire += int(module.headers.get("content-length", len(module.content)))
        base = url.rsplit("/", 1)[0]
        for target in re.findall(r'^import .*?from "(\./[^"]+)"', module.text, re.M):
            pending.append(f"{base}/{target[2:]}")
    assert len(seen) >= 3
    assert wire < 30 * 1024
