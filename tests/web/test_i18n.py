"""Vietnamese first, English second, and the choice is remembered."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir

from backend.web.i18n import LOCALES_DIR, load_catalogues, negotiate

ROOT = Path(__file__).parents[2]


async def test_home_is_in_vietnamese_by_default(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"Accept-Language": ""})).text
    assert '<html lang="vi">' in html
    for words in ("Quét mã QR", "Tra cứu hồ sơ", "Đăng nhập", 'type="search"'):
        assert words in html
    assert 'hreflang="en"' in html


async def test_an_english_browser_gets_english(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})).text
    assert '<html lang="en">' in html
    assert "Scan a QR code" in html and "Track a dossier" in html and "Sign in" in html


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/thu-tuc?q=khai+sinh", "/thu-tuc?q=khai+sinh"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
async def test_the_switch_never_redirects_off_site(
    client: httpx.AsyncClient, target: str, expected: str
) -> None:
    response = await client.get("/ngon-ngu", params={"lang": "en", "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == expected
    assert "lang=en" in response.headers["set-cookie"]
    assert "httponly" in response.headers["set-cookie"].lower()


async def test_the_choice_is_remembered(client: httpx.AsyncClient) -> None:
    await client.get("/ngon-ngu", params={"lang": "en", "next": "/"})
    try:
        html = (await client.get("/", headers={"Accept-Language": "vi"})).text
        assert '<html lang="en">' in html
        switched = await client.get("/ngon-ngu", params={"lang": "vi", "next": "/"})
        assert switched.status_code == 303
        assert '<html lang="vi">' in (await client.get("/")).text
    finally:
        client.cookies.delete("lang")


async def test_an_unknown_language_changes_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/ngon-ngu", params={"lang": "xx", "next": "/"})
    assert response.status_code == 303
    assert "set-cookie" not in response.headers or "lang=" not in response.headers["set-cookie"]


def test_negotiation() -> None:
    assert negotiate(None, None) == "vi"
    assert negotiate("en", "vi") == "en"
    assert negotiate("fr", "fr-FR,en;q=0.5") == "en"
    assert negotiate(None, "de,fr") == "vi"


def test_every_message_of_the_templates_has_an_english_translation() -> None:
    english = load_catalogues(LOCALES_DIR)["en"]
    method_map = [("frontend/templates/**.html", "jinja2")]
    options = {"frontend/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key not in english:
            missing.append(key)
    assert missing == []
