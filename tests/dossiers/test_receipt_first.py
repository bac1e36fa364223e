"""The receipt of a dossier whose fees are due before reception (issue 16). It opened
with "Đã nộp hồ sơ – Cơ quan đã nhận được hồ sơ" while nothing would happen until the
fee was paid, and "Cần thanh toán" sat 2.4 screens lower. Now paying is the page's
heading and first button, and the confirmation says the dossier was sent, not taken
up; once paid (or when nothing is due first) the receipt reads as before."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from backend.db import write_transaction
from backend.dossiers import service
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import submitted
from tests.dossiers.test_citizen_pages import citizen
from tests.payments.conftest import submitted_with_fees

TAKEN_UP = "Cơ quan đã nhận được hồ sơ của bạn qua mạng."


@pytest.fixture
async def open_browsers(dossiers_app: Litestar) -> AsyncIterator[list[Browser]]:
    browsers: list[Browser] = []
    yield browsers
    for browser in browsers:
        await browser.close()


def main_of(page: str) -> str:
    found = re.search(r"<main\b.*?</main>", page, re.S)
    assert found, "no main"
    return html.unescape(found.group(0))


def headings(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h1\b[^>]*>(.*?)</h1>", page)]


async def test_paying_is_the_first_thing_on_the_receipt_while_fees_are_due(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    dossier = await submitted_with_fees(runtime, hoa.principal)
    page = main_of((await hoa.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text)
    assert headings(page) == ["Còn một bước: nộp phí, lệ phí"]
    button = page.index(f'href="/ho-so/{dossier.id}/thanh-toan" id="pay-first-button"')
    # Before anything else: the confirmation, the code, the fees box's own button.
    assert button < page.index("Đã gửi hồ sơ") < page.index(dossier.code or "?")
    assert button < page.index('id="pay-link"')
    assert "cơ quan chỉ tiếp nhận sau khi bạn nộp 115.000\u00a0₫" in page
    assert TAKEN_UP not in page

    hoa.browser.client.cookies.set("lang", "en")
    english = main_of((await hoa.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text)
    assert headings(english) == ["One more step: pay the fees"] and "Pay now" in english
    assert "only once you have paid ₫115,000" in english
    hoa.browser.client.cookies.set("lang", "vi")

    # Paid: the receipt is a receipt again.
    async with write_transaction():
        await service.settle_fees([dossier.id])
    paid = main_of((await hoa.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text)
    assert headings(paid) == ["Đã nộp hồ sơ"] and TAKEN_UP in paid
    assert 'id="pay-first' not in paid


async def test_no_pay_first_when_nothing_is_due_before_reception(
    dossiers_app: Litestar, runtime: DossiersRuntime, clock: Clock, open_browsers: list[Browser]
) -> None:
    hoa = await citizen(dossiers_app, open_browsers)
    free = await submitted(runtime, hoa.principal)
    later = await submitted_with_fees(
        runtime,
        hoa.principal,
        procedure="2.000488",
        answers={"purpose": "so1", "copies": "1", "residence": "Thanh Hóa", "reduced": "khong"},
    )
    withdrawn = await submitted_with_fees(runtime, hoa.principal)
    await service.act(
        runtime, hoa.principal, withdrawn.id, ActionIn(action="withdraw", version=withdrawn.version)
    )
    for dossier in (free, later, withdrawn):
        page = main_of((await hoa.browser.get(f"/ho-so/{dossier.id}/bien-nhan")).text)
        assert 'id="pay-first' not in page, dossier.status
        assert headings(page) == ["Đã nộp hồ sơ"]
    # Someone else's receipt is still nobody else's business.
    other = await citizen(dossiers_app, open_browsers, name="Lê Văn Nam")
    assert (await other.browser.get(f"/ho-so/{free.id}/bien-nhan")).status_code == 404
