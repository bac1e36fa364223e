"""The payment pages without JavaScript: the pay step (fee lines, the online discount,
who pays, the ways to pay), the order's page, the gateway's return (display only),
the payer's receipt and its public check, several dossiers paid at once, the fees box
of the dossier page, and the console's cash and refund forms."""

from __future__ import annotations

import datetime as dt
import gzip
import html
import re
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar

from backend.accounts import service as accounts
from backend.accounts.schemas import Principal, StaffCreate
from backend.dossiers.runtime import DossiersRuntime
from backend.payments import service
from backend.payments.gateways import VnpayGateway
from backend.payments.gateways.vnpay import VnpayClient, VnpayConfig
from backend.payments.pages.console import parse_amount
from backend.payments.pages.pay import pay_form_policy
from backend.payments.pages.status import masked_name
from backend.payments.runtime import PaymentsRuntime
from backend.settings import Settings
from tests.accounts.helpers import Browser, Clock, enrol, new_browser
from tests.dossiers.conftest import submitted as submitted_free
from tests.payments.conftest import LICENCE_AGENCY, organisation_of, submitted_with_fees

SANDBOX = "http://localhost:8000/cong-thanh-toan-thu/vpcpay?"


@dataclass
class Person:
    browser: Browser
    principal: Principal


async def citizen(app: Litestar, browsers: list[Browser], name: str = "Đỗ Thị Thông") -> Person:
    browser = await new_browser(app)
    browsers.append(browser)
    result = await browser.sign_up(full_name=name)
    await browser.headers()  # the CSRF cookie
    principal = Principal(
        account_id=int(result["account"]["id"]),
        kind="citizen",
        name=name,
        role=None,
        agency_code=None,
        session_id="test",
    )
    return Person(browser, principal)


async def official(app: Litestar, browsers: list[Browser], role: str) -> Browser:
    created = await accounts.create_staff(
        app.state["accounts"],
        StaffCreate(full_name=f"Lê Thu {role.title()}", role=role, agency_code=LICENCE_AGENCY),  # type: ignore[arg-type]
    )
    browser = await new_browser(app)
    browsers.append(browser)
    assert (await enrol(browser, created.enrolment.url)).status_code == 201
    await browser.headers()
    return browser


async def send(browser: Browser, url: str, data: dict[str, Any]) -> httpx.Response:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    token = browser.client.cookies["csrftoken"]
    return await browser.client.post(url, data={"_csrf_token": token, **data})


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def summary(page: str) -> str:
    found = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S)
    assert found, "no error summary"
    return html.unescape(found.group(0))


def assert_no_inline_code(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"\son[a-z]+=", page), "inline handler"


def reference_of(location: str) -> str:
    found = re.search(r"vnp_TxnRef=(MC[A-Z0-9]+)", location) or re.search(
        r"/thanh-toan/(MC[A-Z0-9]+)", location
    )
    assert found, location
    return found.group(1)


async def sandbox(browser: Browser, redirect_url: str, outcome: str) -> httpx.Response:
    """The demo gateway's page and its button: back to our return URL (after our IPN)."""
    url = httpx.URL(redirect_url)
    shown = await browser.get(url.path, params=url.params)
    assert shown.status_code == 200, shown.text
    fields = dict(re.findall(r'type="hidden" name="(vnp_[A-Za-z]+)" value="([^"]*)"', shown.text))
    fields = {key: html.unescape(value) for key, value in fields.items()}
    answer = await send(browser, url.path, {**fields, "outcome": outcome})
    assert answer.status_code == 303, answer.text
    return answer


async def local(browser: Browser, location: str) -> httpx.Response:
    url = httpx.URL(location)
    return await browser.get(url.path, params=url.params)


# ------------------------------------------------------------------------ tests


def test_names_are_masked_and_amounts_read() -> None:
    assert masked_name("Đỗ Thị Thông") == "Đ* T** Thông"
    assert masked_name("  Nguyễn   Văn  An ") == "N***** V** An"
    assert masked_name("Hoa") == "H**"
    assert parse_amount("115.000 ₫") == 115_000
    assert parse_amount("115 000") == 115_000
    assert parse_amount("một trăm") is None


async def test_the_pay_step_shows_the_fees_and_sends_to_the_gateway(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)

    # The dossier page says what is owed, and when.
    shown = await thong.browser.get(f"/ho-so/{dossier.id}")
    page = text_of(shown)
    assert "Phí, lệ phí" in page and "115.000\u00a0₫" in page and "Chưa thanh toán" in page
    assert "Cần thanh toán để cơ quan tiếp nhận hồ sơ." in page
    assert f'href="/ho-so/{dossier.id}/thanh-toan"' in page
    receipt = text_of(await thong.browser.get(f"/ho-so/{dossier.id}/bien-nhan"))
    assert "Phí, lệ phí" in receipt and "Chưa thanh toán" in receipt

    pay = await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan")
    assert pay.status_code == 200 and pay.headers["cache-control"] == "no-store"
    assert "form-action 'self'" in pay.headers["content-security-policy"]
    page = text_of(pay)
    assert_no_inline_code(pay.text)
    assert "Lệ phí cấp giấy phép lái xe" in page
    # The counter amount, and what the rule that lowered it takes off (issues 14, 16).
    assert re.search(r'<td class="fee-amount">135\.000\xa0₫</td>', page)
    assert re.search(
        r'Mức thu khi nộp hồ sơ trực tuyến</th>\s*<td class="fee-amount">−20\.000', page
    )
    assert re.search(r'id="total">115\.000\xa0₫<', page)
    assert "Thanh toán 115.000\u00a0₫" in page
    assert "Cổng thanh toán thử nghiệm (bản trình diễn, không mất tiền)" in page
    assert "Chuyển khoản bằng ứng dụng ngân hàng (quét mã VietQR)" in page
    assert 'name="payer" value="person"' in page  # a person's dossier: no choice of payer
    assert "<legend>Cách thanh toán</legend>" in page

    # Nothing chosen: the error names the choice, on the same page.
    missing = await send(thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person"})
    assert missing.status_code == 422
    assert 'href="#provider"' in summary(missing.text)
    assert "Hãy chọn một câu trả lời cho “Cách thanh toán”." in summary(missing.text)
    assert 'id="provider-error"' in missing.text
    assert "Lệ phí cấp giấy phép lái xe" in text_of(missing)
    odd = await send(
        thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "bitcoin"}
    )
    assert odd.status_code == 422 and 'href="#provider"' in summary(odd.text)
    assert "“Cách thanh toán”" in summary(odd.text)

    started = await send(
        thong.browser,
        f"/ho-so/{dossier.id}/thanh-toan",
        {"payer": "person", "provider": "sandbox"},
    )
    assert started.status_code == 303
    assert started.headers["location"].startswith(SANDBOX)
    reference = reference_of(started.headers["location"])

    status = await thong.browser.get(f"/thanh-toan/{reference}")
    assert status.status_code == 200 and status.headers["cache-control"] == "no-store"
    page = text_of(status)
    assert "Đang xử lý thanh toán…" in page and "Tiếp tục thanh toán" in page
    assert 'aria-live="polite"' in page and f'data-api="/api/payments/{reference}"' in page
    assert_no_inline_code(status.text)
    # Coming back to the pay step offers the order already started.
    again = text_of(await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan"))
    assert f'href="/thanh-toan/{reference}"' in again


async def test_a_bank_transfer_shows_its_qr_code(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    started = await send(
        thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "vietqr"}
    )
    assert started.status_code == 303
    location = started.headers["location"]
    assert re.fullmatch(r"/thanh-toan/MC[A-Z0-9]{10}", location)
    page = text_of(await thong.browser.get(location))
    assert "<svg" in page and "Vietcombank" in page and "0123456789" in page
    assert f'id="transfer-reference">{location.rsplit("/", 1)[-1]}<' in page
    assert "Nội dung chuyển khoản" in page and "115.000\u00a0₫" in page


async def test_someone_elses_dossier_and_payment_are_not_found(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen(payments_app, open_browsers)
    stranger = await citizen(payments_app, open_browsers, name="Trần Văn Lạ")
    dossier = await submitted_with_fees(runtime, owner.principal)
    started = await send(
        owner.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "sandbox"}
    )
    reference = reference_of(started.headers["location"])
    assert (await stranger.browser.get(f"/ho-so/{dossier.id}/thanh-toan")).status_code == 404
    posted = await send(
        stranger.browser,
        f"/ho-so/{dossier.id}/thanh-toan",
        {"payer": "person", "provider": "sandbox"},
    )
    assert posted.status_code == 404
    for path in ("", "/ket-qua", "/bien-lai", "/bien-lai.pdf"):
        assert (await stranger.browser.get(f"/thanh-toan/{reference}{path}")).status_code == 404
    # Signed out: the sign-in page first.
    anonymous = await new_browser(payments_app)
    open_browsers.append(anonymous)
    answer = await anonymous.get(f"/ho-so/{dossier.id}/thanh-toan")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/dang-nhap")


async def test_a_forged_return_shows_pending_never_paid(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    started = await send(
        thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "sandbox"}
    )
    reference = reference_of(started.headers["location"])
    forged = await thong.browser.get(
        f"/thanh-toan/{reference}/ket-qua",
        params={
            "vnp_TmnCode": "MOTCUA01",
            "vnp_TxnRef": reference,
            "vnp_Amount": "11500000",
            "vnp_ResponseCode": "00",
            "vnp_TransactionStatus": "00",
            "vnp_SecureHash": "ab" * 64,
        },
    )
    assert forged.status_code == 200
    page = text_of(forged)
    assert "Đang xử lý thanh toán…" in page
    assert "Đã thanh toán" not in page and "Ngân hàng đã báo thành công" not in page
    payment = await service.get_payment(payments, thong.principal, reference, "vi")
    assert payment.status == "pending"


async def test_cancel_then_pay_again_then_the_receipt_and_its_check(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    choice = {"payer": "person", "provider": "sandbox"}

    first = await send(thong.browser, f"/ho-so/{dossier.id}/thanh-toan", choice)
    back = await sandbox(thong.browser, first.headers["location"], "cancel")
    assert "/ket-qua?" in back.headers["location"]
    cancelled = await local(thong.browser, back.headers["location"])
    page = text_of(cancelled)
    assert "Bạn đã hủy thanh toán" in page and "Thanh toán lại" in page
    assert f'href="/ho-so/{dossier.id}/thanh-toan" id="retry"' in page

    second = await send(thong.browser, f"/ho-so/{dossier.id}/thanh-toan", choice)
    reference = reference_of(second.headers["location"])
    back = await sandbox(thong.browser, second.headers["location"], "success")
    paid = text_of(await local(thong.browser, back.headers["location"]))
    assert "Đã thanh toán" in paid and "Đã nhận 115.000\u00a0₫" in paid
    assert f'href="/thanh-toan/{reference}/bien-lai"' in paid
    # Nothing left to pay: the pay step says so and links back.
    done = text_of(await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan"))
    assert 'id="nothing-due"' in done and f'href="/ho-so/{dossier.id}"' in done
    box = text_of(await thong.browser.get(f"/ho-so/{dossier.id}"))
    assert "Đã thanh toán" in box and f"/thanh-toan/{reference}/bien-lai" in box

    receipt = await thong.browser.get(f"/thanh-toan/{reference}/bien-lai")
    assert receipt.status_code == 200
    page = text_of(receipt)
    assert_no_inline_code(receipt.text)
    assert "Một trăm mười lăm nghìn đồng" in page and "Đỗ Thị Thông" in page
    assert re.search(r'id="receipt-symbol">MC-26E<', page)
    assert re.search(r'id="receipt-number">\d{7}<', page)
    assert "Cổng thanh toán thử nghiệm" in page and "<svg" in page
    pdf = await thong.browser.get(f"/thanh-toan/{reference}/bien-lai.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"

    verify_url = re.search(r'href="(http://localhost:8000/bien-lai/\d+\?k=[^"]+)"', page)
    assert verify_url
    anyone = await new_browser(payments_app)
    open_browsers.append(anyone)
    check = await local(anyone, verify_url.group(1))
    assert check.status_code == 200 and check.headers["x-robots-tag"] == "noindex"
    page = text_of(check)
    assert "Biên lai hợp lệ" in page and "115.000\u00a0₫" in page
    assert "Đ* T** Thông" in page and "Đỗ Thị Thông" not in page
    assert dossier.code is not None and dossier.code in page
    forged = await anyone.get(httpx.URL(verify_url.group(1)).path, params={"k": "A" * 16})
    assert forged.status_code == 404 and forged.headers["x-robots-tag"] == "noindex"
    assert "Không tìm thấy biên lai này. Biên lai có thể là giả." in text_of(forged)


async def test_a_business_pays_several_dossiers_in_its_name(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    director = await citizen(payments_app, open_browsers, name="Lê Văn Giám")
    company = await organisation_of(
        payments_app, director.principal, 320_000_000 + director.principal.account_id
    )
    first = await submitted_with_fees(runtime, director.principal, organisation_id=company)
    second = await submitted_with_fees(runtime, director.principal, organisation_id=company)
    own = await submitted_with_fees(runtime, director.principal)

    mine = text_of(await director.browser.get("/ho-so"))
    assert "Thanh toán nhiều hồ sơ cùng lúc" in mine and 'href="/thanh-toan"' in mine
    listed = await director.browser.get("/thanh-toan")
    page = text_of(listed)
    assert_no_inline_code(listed.text)
    assert "Công ty TNHH Vận tải Sông Mã" in page and "Hồ sơ của tôi" in page
    for dossier in (first, second, own):
        assert f'value="{dossier.id}"' in page
    assert page.count("Thanh toán các hồ sơ đã chọn") == 2

    none = await director.browser.get("/thanh-toan/chon")
    assert none.status_code == 422 and "Hãy chọn ít nhất một hồ sơ" in summary(none.text)

    chosen = await director.browser.get(
        "/thanh-toan/chon", params=[("ho-so", first.id), ("ho-so", second.id)]
    )
    page = text_of(chosen)
    assert chosen.status_code == 200 and "Thanh toán 230.000\u00a0₫" in page
    assert 'id="payer-organisation" name="payer" value="organisation" checked' in page
    assert "Tôi tự thanh toán" in page
    action = re.search(r'<form method="post" action="([^"]+)"', chosen.text)
    assert action
    # Neither choice made: both are named at once.
    both = await send(director.browser, html.unescape(action.group(1)), {})
    assert both.status_code == 422
    assert 'href="#payer"' in summary(both.text) and 'href="#provider"' in summary(both.text)
    assert 'id="payer-error"' in both.text and 'id="provider-error"' in both.text
    started = await send(
        director.browser,
        html.unescape(action.group(1)),
        {"payer": "organisation", "provider": "sandbox"},
    )
    assert started.status_code == 303 and started.headers["location"].startswith(SANDBOX)
    assert "vnp_Amount=23000000" in started.headers["location"]


async def test_cash_at_the_counter_then_reception(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    reception = await official(payments_app, open_browsers, "reception")
    processing = await official(payments_app, open_browsers, "processing")
    url = f"/can-bo/ho-so/{dossier.id}"

    seen = await processing.get(url)
    assert "Phí, lệ phí" in text_of(seen) and 'id="form-cash"' not in seen.text
    refused = await send(processing, f"{url}/thu-tien-mat", {"confirm": "1"})
    assert refused.status_code == 403 and "Chỉ cán bộ tiếp nhận" in summary(refused.text)

    page = await reception.get(url)
    text = text_of(page)
    assert_no_inline_code(page.text)
    assert 'id="form-cash"' in page.text and "Tôi đã thu đủ 115.000\u00a0₫" in text
    assert "Chưa thanh toán" in text and "Trước khi tiếp nhận hồ sơ" in text
    unticked = await send(reception, f"{url}/thu-tien-mat", {})
    assert unticked.status_code == 422
    assert 'href="#cash-confirm"' in summary(unticked.text)
    assert 'id="cash-confirm-error"' in unticked.text

    taken = await send(reception, f"{url}/thu-tien-mat", {"confirm": "1"})
    assert taken.status_code == 303 and taken.headers["location"].endswith(
        "?xong=thu-tien#thanh-toan"
    )
    after = await reception.get(taken.headers["location"].split("#")[0])
    text = text_of(after)
    assert "Đã ghi nhận tiền mặt" in text and "Tiền mặt tại quầy" in text
    assert "Cán bộ thu: Lê Thu Reception" in text and 'id="form-cash"' not in after.text
    version = re.search(r'name="version" value="(\d+)"', after.text)
    assert version
    received = await send(
        reception, f"{url}/thao-tac", {"action": "receive", "version": version.group(1)}
    )
    assert received.status_code == 303
    box = text_of(await thong.browser.get(f"/ho-so/{dossier.id}"))
    assert "Đã thanh toán" in box and "Biên lai thanh toán 115.000\u00a0₫" in box


async def test_a_refund_larger_than_what_was_paid_is_refused_on_the_page(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    reception = await official(payments_app, open_browsers, "reception")
    url = f"/can-bo/ho-so/{dossier.id}"
    assert (await send(reception, f"{url}/thu-tien-mat", {"confirm": "1"})).status_code == 303
    page = await reception.get(url)
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    refused = await send(
        reception,
        f"{url}/thao-tac",
        {"action": "refuse", "version": version.group(1), "reasons": "Không thuộc thẩm quyền"},
    )
    assert refused.status_code == 303

    page = await reception.get(url)
    assert 'id="form-refund"' in page.text and 'name="amount"' in page.text
    assert 'value="115000"' in page.text
    too_much = await send(reception, f"{url}/hoan-phi", {"amount": "200.000", "reason": "Từ chối"})
    assert too_much.status_code == 422
    errors = summary(too_much.text)
    assert 'href="#refund-amount"' in errors and "115.000\u00a0₫" in errors
    assert 'value="200.000"' in too_much.text and ">Từ chối</textarea>" in too_much.text
    no_reason = await send(reception, f"{url}/hoan-phi", {"amount": "115000", "reason": ""})
    assert no_reason.status_code == 422 and 'href="#refund-reason"' in summary(no_reason.text)

    done = await send(reception, f"{url}/hoan-phi", {"amount": "115000", "reason": "Từ chối"})
    assert done.status_code == 303 and "xong=hoan-phi" in done.headers["location"]
    after = text_of(await reception.get(done.headers["location"].split("#")[0]))
    assert "Đã ghi nhận hoàn phí." in after and "Đã hoàn phí" in after
    assert 'id="form-refund"' not in after
    box = text_of(await thong.browser.get(f"/ho-so/{dossier.id}"))
    assert "Đã hoàn phí" in box


async def test_the_pages_speak_english(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    thong.browser.client.cookies.set("lang", "en")
    page = text_of(await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan"))
    assert "Pay ₫115,000" in page and "Rate for online filing" in page
    assert "How to pay" in page and "Test payment gateway" in page
    missing = await send(thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person"})
    assert "Choose one of the answers to “How to pay”." in summary(missing.text)
    help_page = text_of(await thong.browser.get("/huong-dan/thanh-toan"))
    assert "Paying fees" in help_page


async def test_pages_stay_within_the_html_budget(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    """HTML ≤ 20 KiB compressed (DESIGN.md), the console's dossier page included."""
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_with_fees(runtime, thong.principal)
    reception = await official(payments_app, open_browsers, "reception")
    started = await send(
        thong.browser, f"/ho-so/{dossier.id}/thanh-toan", {"payer": "person", "provider": "vietqr"}
    )
    pages = [
        (thong.browser, f"/ho-so/{dossier.id}/thanh-toan"),
        (thong.browser, started.headers["location"]),
        (thong.browser, f"/ho-so/{dossier.id}"),
        (reception, f"/can-bo/ho-so/{dossier.id}"),
    ]
    for browser, url in pages:
        body = (await browser.get(url)).content
        assert len(gzip.compress(body, 6)) <= 20 * 1024, url


def test_a_real_gateway_is_allowed_as_a_forms_target() -> None:
    """A browser checks the redirect after a form against form-action: the pay step
    names the gateway's site there."""
    config = VnpayConfig(
        tmn_code="ABC12345",
        hash_secret="S" * 32,
        pay_url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        api_url="https://sandbox.vnpayment.vn/merchant_webapi/api/transaction",
    )
    runtime = PaymentsRuntime(
        public_url="https://motcua.example.vn",
        secret_key="k" * 32,
        province_name="Tỉnh",
        lifetime=dt.timedelta(minutes=15),
        vnpay=config,
        sandbox=None,
        vietqr=None,
    )
    runtime.gateways["vnpay"] = VnpayGateway("vnpay", config, VnpayClient(config, None))  # type: ignore[arg-type]
    settings = Settings.from_env(
        {"MOTCUA_PUBLIC_URL": "https://motcua.example.vn", "MOTCUA_SECRET_KEY": "k" * 40}
    )
    policy = pay_form_policy(settings, runtime)
    assert "form-action 'self' https://sandbox.vnpayment.vn;" in policy
    assert "script-src 'self';" in policy


async def test_a_free_dossier_says_so_and_has_nothing_to_pay(
    payments_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    thong = await citizen(payments_app, open_browsers)
    dossier = await submitted_free(runtime, thong.principal)  # legal aid: no fees
    page = text_of(await thong.browser.get(f"/ho-so/{dossier.id}"))
    assert "Phí, lệ phí" in page and "Không mất phí" in page
    assert f"/ho-so/{dossier.id}/thanh-toan" not in page
    pay = await thong.browser.get(f"/ho-so/{dossier.id}/thanh-toan")
    assert pay.status_code == 200 and 'id="nothing-due"' in pay.text
    assert "<form" not in pay.text.split("<main", 1)[1]
