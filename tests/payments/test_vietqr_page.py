"""A bank transfer paid from the phone that shows it: the VietQR code as a picture to
save (decoded with a real QR reader), the details to copy into a banking app, who may
have the picture and until when, and the account holder's name setting."""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import zxingcpp
from litestar import Litestar
from PIL import Image

from backend.dossiers.runtime import DossiersRuntime
from backend.payments.banks import bank_name
from backend.payments.gateways import VietqrGateway, vietqr
from backend.payments.runtime import PaymentsRuntime
from backend.settings import Settings, SettingsError
from tests.accounts.helpers import Browser, Clock, new_browser
from tests.payments.conftest import (
    VIETQR_ACCOUNT,
    VIETQR_BANK_BIN,
    VIETQR_SECRET,
    submitted_with_fees,
)
from tests.payments.test_pages import Person, assert_no_inline_code, citizen, send, text_of

WEBHOOK = "/api/payments/vietqr/webhook"
HOLDER = "KHO BAC NHA NUOC THANH HOA"


async def transfer_order(app: Litestar, runtime: DossiersRuntime, person: Person) -> str:
    """A driving licence exchange (115.000 đồng online) paid by VietQR: its reference."""
    dossier = await submitted_with_fees(runtime, person.principal)
    started = await send(
        person.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "vietqr"}
    )
    assert started.status_code == 303, started.text
    found = re.fullmatch(r"/thanh-toan/(MC[A-Z0-9]{10})", started.headers["location"])
    assert found, started.headers["location"]
    return found.group(1)


def decoded(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture
def with_holder(payments: PaymentsRuntime) -> Iterator[None]:
    """The agency's account holder name configured, for one test."""
    gateway = payments.gateways["vietqr"]
    assert isinstance(gateway, VietqrGateway)
    named = dataclasses.replace(gateway.config, account_name=HOLDER)
    payments.gateways["vietqr"] = VietqrGateway(named)
    yield
    payments.gateways["vietqr"] = gateway


async def test_the_payer_saves_the_code_as_a_picture_a_reader_decodes(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    reference = await transfer_order(payments_app, runtime, thong)
    answer = await thong.browser.get(f"/thanh-toan/{reference}/ma-qr.png")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/png"
    disposition = answer.headers["content-disposition"]
    assert disposition == f'attachment; filename="ma-qr-{reference}.png"'
    assert answer.headers["cache-control"] == "private, no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    expected = vietqr.payload(
        bank_bin=VIETQR_BANK_BIN, account=VIETQR_ACCOUNT, amount_vnd=115_000, reference=reference
    )
    assert decoded(answer.content) == [expected]
    picture = Image.open(io.BytesIO(answer.content))
    # Words under the code: the picture is taller than the (square) code.
    assert picture.height > picture.width + 100
    # The page holds the same payload (its SVG draws it) and links the picture.
    page = text_of(await thong.browser.get(f"/thanh-toan/{reference}"))
    assert f'href="/thanh-toan/{reference}/ma-qr.png"' in page
    assert f'download="ma-qr-{reference}.png"' in page
    assert "Lưu ảnh mã QR" in page and "Quét ảnh từ thư viện" in page


async def test_the_page_gives_each_detail_to_copy(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    with_holder: None,
) -> None:
    thong = await citizen(payments_app, open_browsers)
    reference = await transfer_order(payments_app, runtime, thong)
    shown = await thong.browser.get(f"/thanh-toan/{reference}")
    assert_no_inline_code(shown.text)
    page = text_of(shown)
    assert '<dd id="transfer-bank">Vietcombank</dd>' in page
    assert f'id="transfer-account">{VIETQR_ACCOUNT}<' in page
    assert f'<dd id="transfer-holder">{HOLDER}</dd>' in page
    assert 'id="transfer-amount">115.000\u00a0₫<' in page
    assert f'id="transfer-reference">{reference}<' in page
    # What each "Sao chép" puts on the clipboard: the amount as digits, for the
    # banking app's amount field.
    copied = re.findall(r'data-copy="([^"]*)" aria-label="([^"]*)" hidden>Sao chép<', page)
    assert copied == [
        (VIETQR_ACCOUNT, "Sao chép số tài khoản"),
        ("115000", "Sao chép số tiền"),
        (reference, "Sao chép nội dung chuyển khoản"),
    ]
    # Without JavaScript the buttons stay hidden; the script that shows them is a file.
    assert re.search(
        r'<button type="button" class="button button-secondary" id="qr-share" hidden', page
    )
    assert re.search(
        r'<script type="module" src="/static/[^"]+/scripts/payments/vietqr\.js">', page
    )


async def test_the_page_in_english_and_without_a_holder_name(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    reference = await transfer_order(payments_app, runtime, thong)
    thong.browser.client.cookies.set("lang", "en")
    page = text_of(await thong.browser.get(f"/thanh-toan/{reference}"))
    assert "Save the QR image" in page and "Scan from gallery" in page
    assert 'aria-label="Copy the account number" hidden>Copy<' in page
    assert "transfer-holder" not in page and "Account holder" not in page


async def test_someone_else_and_nobody_get_no_picture(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen(payments_app, open_browsers)
    stranger = await citizen(payments_app, open_browsers, name="Trần Văn Lạ")
    reference = await transfer_order(payments_app, runtime, owner)
    path = f"/thanh-toan/{reference}/ma-qr.png"
    refused = await stranger.browser.get(path)
    assert refused.status_code == 404 and "image/png" not in refused.headers["content-type"]
    assert (await stranger.browser.get("/thanh-toan/MCAAAAAAAAAA/ma-qr.png")).status_code == 404
    assert (await owner.browser.get("/thanh-toan/mc-bad/ma-qr.png")).status_code in (400, 404)
    anonymous = await new_browser(payments_app)
    open_browsers.append(anonymous)
    answer = await anonymous.get(path)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/dang-nhap")


async def test_an_expired_order_has_no_picture(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    reference = await transfer_order(payments_app, runtime, thong)
    path = f"/thanh-toan/{reference}/ma-qr.png"
    clock.advance(hours=23, minutes=59)  # a transfer's order lives a day
    assert (await thong.browser.get(path)).status_code == 200
    clock.advance(minutes=2)
    late = await thong.browser.get(path)
    assert late.status_code == 404
    assert "không còn chờ chuyển khoản" in html.unescape(late.text)
    page = text_of(await thong.browser.get(f"/thanh-toan/{reference}"))
    assert "ma-qr.png" not in page and "Sao chép" not in page


async def test_a_paid_order_has_no_picture(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    http: httpx.AsyncClient,
) -> None:
    thong = await citizen(payments_app, open_browsers)
    reference = await transfer_order(payments_app, runtime, thong)
    body = json.dumps(
        {
            "transaction_id": f"FT{reference}",
            "account": VIETQR_ACCOUNT,
            "amount": 115_000,
            "description": f"CT DEN:0123 {reference} le phi",
            "time": clock().isoformat(),
        }
    ).encode()
    signed = {"x-signature": vietqr.webhook_signature(VIETQR_SECRET, body)}
    assert (await http.post(WEBHOOK, content=body, headers=signed)).status_code == 200
    page = text_of(await thong.browser.get(f"/thanh-toan/{reference}"))
    assert 'data-status="paid"' in page and "ma-qr.png" not in page
    assert (await thong.browser.get(f"/thanh-toan/{reference}/ma-qr.png")).status_code == 404


def test_banks_are_named_by_their_napas_bin() -> None:
    assert bank_name("970436") == "Vietcombank"
    assert bank_name("970405") == "Agribank"
    assert bank_name("970418") == "BIDV"
    assert bank_name("970415") == "VietinBank"
    assert bank_name("970999") == "BIN 970999"


def test_the_account_holder_name_setting(tmp_path: Path) -> None:
    vietqr_env = {
        "MOTCUA_DATA_DIR": str(tmp_path / "data"),
        "MOTCUA_VIETQR_BANK_BIN": VIETQR_BANK_BIN,
        "MOTCUA_VIETQR_ACCOUNT": VIETQR_ACCOUNT,
        "MOTCUA_VIETQR_WEBHOOK_SECRET": VIETQR_SECRET,
    }
    assert Settings.from_env(vietqr_env).vietqr_account_name == ""
    named = Settings.from_env({**vietqr_env, "MOTCUA_VIETQR_ACCOUNT_NAME": f"  {HOLDER}\t "})
    assert named.vietqr_account_name == HOLDER
    config = PaymentsRuntime.from_settings(named).vietqr
    assert config is not None and config.account_name == HOLDER
    for bad, says in [
        ({**vietqr_env, "MOTCUA_VIETQR_ACCOUNT_NAME": "A" * 71}, "at most 70"),
        ({**vietqr_env, "MOTCUA_VIETQR_ACCOUNT_NAME": "KHO\x00BAC"}, "printable"),
        (
            {"MOTCUA_DATA_DIR": str(tmp_path / "data"), "MOTCUA_VIETQR_ACCOUNT_NAME": HOLDER},
            "needs MOTCUA_VIETQR_BANK_BIN",
        ),
    ]:
        with pytest.raises(SettingsError, match=says) as raised:
            Settings.from_env(bad)
        assert "MOTCUA_VIETQR_ACCOUNT_NAME" in str(raised.value)
