"""Vietnamese first, English second, and the choice is remembered."""

from __future__ import annotations

import re

import httpx
import pytest
from babel.messages.pofile import read_po

from backend.i18n import LOCALES_DIR, load_catalogues, negotiate
from lint.messages import extracted, key_of


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


def _untranslated(suffix: str) -> tuple[int, list[str]]:
    english = load_catalogues(LOCALES_DIR)["en"]
    messages = [(f, line, key_of(m)) for f, line, m in extracted() if f.endswith(suffix)]
    return len(messages), [f"{f}:{line}: {key}" for f, line, key in messages if key not in english]


def test_every_message_of_the_templates_has_an_english_translation() -> None:
    found, missing = _untranslated(".html")
    assert found > 500 and missing == []


def test_every_message_of_the_python_code_has_an_english_translation() -> None:
    """Python marks its messages as the templates do (backend.i18n: N_, ngettext)."""
    found, missing = _untranslated(".py")
    assert found > 500 and missing == []


def test_translations_keep_the_placeholders_of_their_message() -> None:
    """A translation that drops or renames a %(name)s would fail when it is shown."""
    pattern = re.compile(r"%\((\w+)\)[sd]")
    english = load_catalogues(LOCALES_DIR)["en"]
    broken = []
    for message, translation in english.items():
        forms = translation if isinstance(translation, tuple) else (translation,)
        for form in forms:
            if set(pattern.findall(form)) - set(pattern.findall(message)) - {"num"}:
                broken.append(message)
    assert broken == []


def test_each_message_is_translated_once_and_only_messages_in_use() -> None:
    """The catalogues are merged: a message in two of them would show one translation at
    random. ``python -m lint.messages --tidy`` keeps them so."""
    used = {key_of(message) for _file, _line, message in extracted()}
    where: dict[str, list[str]] = {}
    for path in sorted((LOCALES_DIR / "en" / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="en"):
                if message.id:
                    where.setdefault(key_of(message.id), []).append(path.name)
    assert {key: files for key, files in where.items() if len(files) > 1} == {}
    assert sorted(set(where) - used) == []
