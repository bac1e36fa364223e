"""Counter QR tokens: signed, tamper-evident, revoked by rotating the key version."""

from __future__ import annotations

import base64
import dataclasses

import httpx
import pytest

from backend.app import create_app
from backend.catalogue import tokens
from backend.catalogue.tokens import InvalidCounterToken, RevokedCounterToken
from backend.settings import Settings
from tests.support.asgi import client_for

SECRET = "s" * 40
AGENCY = "000.01.40.H56"


def test_a_token_round_trips() -> None:
    token = tokens.sign_counter(SECRET, 3, AGENCY, 2)
    assert token.startswith("3.")
    assert len(token) < 80, "short enough for a small QR code"
    assert tokens.read_counter(SECRET, 3, token) == tokens.CounterRef(AGENCY, 2)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forgeries() -> list[str]:
    token = tokens.sign_counter(SECRET, 1, AGENCY, 1)
    version, payload, signature = token.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_counter = _b64(f"{AGENCY}~2".encode())
    return [
        f"{version}.{other_counter}.{signature}",  # payload swapped, old signature
        f"{version}.{payload}.{flipped}",  # signature altered
        f"{version}.{payload}.{signature[:-2]}",  # truncated
        f"2.{payload}.{signature}",  # a future version
        tokens.sign_counter("another key" * 4, 1, AGENCY, 1),  # signed with another key
        f"{version}.{payload}.{signature}.extra",
        "1.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "",
        "x" * 500,
        "1.%2F.x",
        "0." + token.split(".", 1)[1],
    ]


@pytest.mark.parametrize("token", _forgeries())
def test_forged_or_altered_tokens_are_invalid(token: str) -> None:
    with pytest.raises(InvalidCounterToken):
        tokens.read_counter(SECRET, 1, token)


def test_a_genuine_token_of_an_older_key_is_revoked() -> None:
    old = tokens.sign_counter(SECRET, 1, AGENCY, 1)
    with pytest.raises(RevokedCounterToken):
        tokens.read_counter(SECRET, 2, old)
    # ... but a forgery claiming the old version is still just invalid.
    version, payload, signature = old.split(".")
    with pytest.raises(InvalidCounterToken):
        tokens.read_counter(SECRET, 2, f"{version}.{payload}.{signature[::-1]}")


def test_signing_refuses_odd_input() -> None:
    with pytest.raises(ValueError, match="counter number"):
        tokens.sign_counter(SECRET, 1, "bad~code", 1)
    with pytest.raises(ValueError, match="counter number"):
        tokens.sign_counter(SECRET, 1, AGENCY, 0)


async def test_the_counter_page(client: httpx.AsyncClient, settings: Settings) -> None:
    token = tokens.sign_counter(settings.secret_key, settings.counter_key_version, AGENCY, 1)
    page = await client.get(f"/c/{token}")
    assert page.status_code == 200
    assert "Quầy 1 – Hộ tịch, chứng thực" in page.text
    assert "Ủy ban nhân dân phường Hạc Thành" in page.text
    # Each procedure opens for filing at the counter's own ward.
    for code in ("1.001193", "1.000894", "2.000635", "2.000815"):
        assert f'href="/p/{code}?co-quan={AGENCY}"' in page.text
    assert 'href="/p/1.001193"' not in page.text
    # The provincial centre's counter receives the departments' procedures: it carries
    # none of them out itself, so its links open the procedure as it is.
    centre = tokens.sign_counter(
        settings.secret_key, settings.counter_key_version, "000.00.01.H56", 1
    )
    desk = await client.get(f"/c/{centre}")
    assert desk.status_code == 200
    assert 'href="/p/2.000488"' in desk.text and 'href="/p/2.001680"' in desk.text
    assert "co-quan=000.00.01.H56" not in desk.text
    # ... and the procedure's page names the department that carries it out.
    opened = await client.get("/p/2.000488")
    assert "Công an tỉnh Thanh Hóa" in opened.text
    assert 'href="/p/2.000488/nop?co-quan=000.00.16.H56"' in opened.text
    # Rating the counter and sending feedback about it (issue 8), without an account.
    assert f'href="/c/{token}/danh-gia"' in page.text
    assert f'href="/phan-anh/gui?c={token}"' in page.text


async def test_bad_tokens_give_a_clear_page_and_no_data(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    for token in [t for t in _forgeries() if t] + [
        tokens.sign_counter(settings.secret_key, 1, AGENCY, 99)
    ]:
        page = await client.get(f"/c/{token}")
        assert page.status_code == 404, token
        assert "Hộ tịch, chứng thực" not in page.text and "/p/1.001193" not in page.text
        assert 'action="/thu-tuc"' in page.text


async def test_rotating_the_key_version_revokes_printed_posters(
    settings: Settings, database: object
) -> None:
    old = tokens.sign_counter(settings.secret_key, settings.counter_key_version, AGENCY, 1)
    rotated = dataclasses.replace(settings, counter_key_version=settings.counter_key_version + 1)
    async with client_for(create_app(rotated)) as client:
        page = await client.get(f"/c/{old}")
        assert page.status_code == 410
        assert "đã được thay bằng mã mới" in page.text
        assert "/p/1.001193" not in page.text
        new = tokens.sign_counter(settings.secret_key, rotated.counter_key_version, AGENCY, 1)
        assert (await client.get(f"/c/{new}")).status_code == 200


def test_the_key_version_setting_is_validated() -> None:
    from backend.settings import SettingsError

    base = {"MOTCUA_SECRET_KEY": SECRET, "MOTCUA_DATA_DIR": "/tmp/motcua-settings-test"}
    assert Settings.from_env(base).counter_key_version == 1
    assert Settings.from_env({**base, "MOTCUA_COUNTER_KEY_VERSION": "7"}).counter_key_version == 7
    for bad in ("0", "-1", "two", "1000000"):
        with pytest.raises(SettingsError, match="MOTCUA_COUNTER_KEY_VERSION"):
            Settings.from_env({**base, "MOTCUA_COUNTER_KEY_VERSION": bad})
