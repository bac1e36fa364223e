"""The payments' parts of the dossiers' pages, drawn by themselves: the fees box of the
citizen's dossier ("dossier.citizen") and the console's payment block with its forms
("dossier.console"), as ``create_app`` registers them, rendered with their templates."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from litestar import Litestar, Request

from backend.accounts.guards import current_principal
from backend.accounts.schemas import Principal
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.payments.pages.blocks import CitizenBox, ConsoleView
from backend.web.blocks import Block, BlockState, blocks_of
from backend.web.forms import FormErrors
from tests.accounts.helpers import Browser, Clock
from tests.payments.conftest import submitted_with_fees
from tests.payments.test_pages import citizen, official

NBSP = "\u00a0"


def request_of(
    app: Litestar, browser: Browser, query: str = "", lang: str = "vi"
) -> Request[Any, Any, Any]:
    """A request of that browser (its session cookie), as a page of the dossiers gets it."""
    cookies = "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())
    scope: dict[str, Any] = {
        "type": "http",
        "app": app,
        "litestar_app": app,
        "method": "GET",
        "scheme": "http",
        "server": ("localhost", 8000),
        "client": ("203.0.113.7", 40000),
        "root_path": "",
        "path": "/",
        "raw_path": b"/",
        "query_string": query.encode(),
        "headers": [(b"cookie", f"{cookies}; lang={lang}".encode())],
        "state": {},
    }
    return Request(scope)


def html_of(app: Litestar, block: Block, lang: str = "vi") -> str:
    assert app.template_engine is not None
    template = app.template_engine.get_template(block.template)
    return str(template.render(block=block, lang=lang, csrf_input=""))


@pytest.fixture
async def browsers(payments_app: Litestar) -> Any:
    opened: list[Browser] = []
    yield opened
    for browser in opened:
        await browser.close()


async def test_the_citizen_box_says_what_is_owed_and_leads_to_the_pay_step(
    payments_app: Litestar, runtime: DossiersRuntime, clock: Clock, browsers: list[Browser]
) -> None:
    thong = await citizen(payments_app, browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    request = request_of(payments_app, thong.browser)

    drawn = await blocks_of(request).draw("dossier.citizen", request, dossier)
    # The receipt shows the same box.
    assert [b.template for b in drawn if b.template.startswith("payments/")] == [
        "payments/_dossier_box.html"
    ]
    [block] = await blocks_of(request).draw("dossier.receipt", request, dossier)
    assert block == drawn[0]
    box = block.view
    assert isinstance(box, CitizenBox) and box.due and box.fees.fee_total == 115_000
    page = html_of(payments_app, block)
    assert 'id="phi-le-phi"' in page and f"115.000{NBSP}₫" in page
    assert "Chưa thanh toán" in page and "Cần thanh toán để cơ quan tiếp nhận hồ sơ." in page
    assert f'href="/ho-so/{dossier.id}/thanh-toan"' in page
    english = html_of(payments_app, block, "en")
    assert "₫115,000" in english and "Unpaid" in english


async def test_a_draft_has_no_fees_box(
    payments_app: Litestar, runtime: DossiersRuntime, clock: Clock, browsers: list[Browser]
) -> None:
    thong = await citizen(payments_app, browsers)
    submitted = await submitted_with_fees(runtime, thong.principal)
    draft = msgspec.structs.replace(submitted, code=None)
    request = request_of(payments_app, thong.browser)
    assert await blocks_of(request).draw("dossier.receipt", request, draft) == []


async def test_the_console_block_offers_cash_to_a_cashier_and_shows_a_refused_form(
    payments_app: Litestar, runtime: DossiersRuntime, clock: Clock, browsers: list[Browser]
) -> None:
    thong = await citizen(payments_app, browsers)
    submitted = await submitted_with_fees(runtime, thong.principal)
    reception = await official(payments_app, browsers, "reception")
    processing = await official(payments_app, browsers, "processing")
    request = request_of(payments_app, reception)
    staff = await _principal(payments_app, reception)
    dossier = await dossiers.get_dossier(runtime, staff, submitted.id)

    [block] = await blocks_of(request).draw("dossier.console", request, dossier)
    view = block.view
    assert isinstance(view, ConsoleView) and view.can_cash and not view.can_refund
    assert view.base == f"/can-bo/ho-so/{dossier.id}" and not view.errors
    page = html_of(payments_app, block)
    assert 'id="form-cash"' in page and f'action="/can-bo/ho-so/{dossier.id}/thu-tien-mat"' in page
    assert f"Tôi đã thu đủ 115.000{NBSP}₫" in page and 'id="cash-confirm-error"' not in page

    # Refused: the block alone gets its state back, and shows the error at its input.
    state = BlockState("payments", FormErrors([("cash-confirm", "Hãy đánh dấu")]), {})
    [again] = await blocks_of(request).draw("dossier.console", request, dossier, state)
    page = html_of(payments_app, again)
    assert 'id="cash-confirm-error"' in page and 'aria-invalid="true"' in page
    assert "Hãy đánh dấu" in page
    other = BlockState("ratings", FormErrors([("cash-confirm", "không phải của khối này")]), {})
    [unrelated] = await blocks_of(request).draw("dossier.console", request, dossier, other)
    assert not unrelated.view.errors

    # After a step, the block says it was done; someone who does not take cash sees no form.
    done = request_of(payments_app, reception, "xong=thu-tien")
    [after] = await blocks_of(done).draw("dossier.console", done, dossier)
    assert after.view.done == "thu-tien"
    looker = request_of(payments_app, processing)
    [seen] = await blocks_of(looker).draw("dossier.console", looker, dossier)
    assert not seen.view.can_cash and 'id="form-cash"' not in html_of(payments_app, seen)


async def _principal(app: Litestar, browser: Browser) -> Principal:
    principal = await current_principal(request_of(app, browser))
    assert principal is not None
    return principal
