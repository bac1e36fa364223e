"""The payment pages: what a person sees of fees and payments.

Citizens pay a dossier's fees (or several dossiers' at once, a business's for
instance) from a plain form: who pays, which way, one button. The form makes the
order on the server and sends the browser to the gateway (VNPay, the demo sandbox)
or to the order's own page (a VietQR code to scan). That page says where the payment
stands in plain words; a small script asks the API while it is pending and updates
it in place, and a link reloads it without the script. The browser's return from a
gateway only displays (the gateway's signed notification is what settles an order).
The payer's receipt prints and downloads as PDF; its QR code opens a public check
of the receipt, which masks a person's name.

Officials see a dossier's fees and payments in the console, record cash taken at
the counter and refund a refused or withdrawn dossier's fees there.

Every rule lives in ``service``: this module turns forms into Structs and errors
into pages that name the input at fault.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts.guards import client_of, require_citizen, require_signed_in
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.qr import qr_svg
from backend.dossiers import console
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import runtime_of as dossiers_runtime_of
from backend.dossiers.schemas import DossierRead, DossierSummary
from backend.errors import AppError, InvalidInput, NotFound
from backend.payments import service
from backend.payments.gateways import VietqrGateway, VnpayGateway
from backend.payments.runtime import PaymentsRuntime, runtime_of
from backend.payments.schemas import (
    DossierPayments,
    PaymentRead,
    PaymentStart,
    Quote,
    ReceiptRead,
    RefundIn,
)
from backend.payments.words import vnd_in_words
from backend.settings import Settings
from backend.web.middleware import content_security_policy
from backend.web.templates import language, page

REFERENCE = PathParameter(max_length=16, pattern=r"^[A-Z0-9]+$")
# How many dossiers one payment may cover (as PaymentStart allows).
MAX_DOSSIERS = 50
# (the id of the input at fault, or "error-summary"; the message) in page order.
Errors = list[tuple[str, str]]
# Some banks' NAPAS BINs, to name the bank under a VietQR code.
BANKS = {
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970407": "Techcombank",
    "970422": "MB",
    "970416": "ACB",
    "970432": "VPBank",
    "970403": "Sacombank",
    "970423": "TPBank",
}
# VNPay's response codes a person may meet, in plain words (others: a general one).
FAILURES: dict[str, tuple[str, str]] = {
    "24": ("Bạn đã hủy thanh toán.", "You cancelled the payment."),
    "51": (
        "Tài khoản không đủ số dư để thanh toán.",
        "The account does not have enough money.",
    ),
    "11": ("Đã hết thời gian chờ thanh toán.", "The time to pay ran out."),
    "12": ("Thẻ hoặc tài khoản đang bị khóa.", "The card or account is locked."),
    "13": ("Mã xác thực (OTP) không đúng.", "The one-time code (OTP) was wrong."),
    "65": (
        "Tài khoản đã vượt hạn mức giao dịch trong ngày.",
        "The account is over its daily limit.",
    ),
    "75": ("Ngân hàng đang bảo trì.", "The bank is under maintenance."),
    "79": (
        "Nhập sai mật khẩu thanh toán quá số lần quy định.",
        "The payment password was wrong too many times.",
    ),
}


class ErrorList(list[tuple[str, str]]):
    """The errors of a page, as templates read them."""

    def of(self, target: str) -> str:
        return " ".join(message for where, message in self if where == target)


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A payment page: personal data, never cached (not even by the service worker)."""
    context["errors"] = ErrorList(context.get("errors") or [])
    template = page(
        request,
        name,
        status_code,
        provider_label=provider_label,
        failure_text=failure_text,
        **context,
    )
    template.headers["Cache-Control"] = "no-store"
    return template


def provider_label(provider: str, lang: str) -> str:
    vi, en = service.PROVIDER_LABELS.get(provider, (provider, provider))
    return vi if lang == "vi" else en


def failure_text(code: str | None, lang: str) -> str:
    if not code or code == "00":
        return ""
    vi, en = FAILURES.get(
        code,
        (
            f"Ngân hàng hoặc cổng thanh toán từ chối giao dịch (mã {code}).",
            f"The bank or the gateway refused the payment (code {code}).",
        ),
    )
    return vi if lang == "vi" else en


def masked_name(name: str) -> str:
    """A person's name on the public receipt check: the given name (the last word)
    in full, the other words by their first letter: "Đỗ Thị Thông" → "Đ* T** Thông"."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    if len(words) == 1:
        word = words[0]
        return word[0] + "*" * (len(word) - 1)
    return " ".join([*(w[0] + "*" * (len(w) - 1) for w in words[:-1]), words[-1]])


def gateway_origins(runtime: PaymentsRuntime) -> list[str]:
    """Where a pay form's redirect may lead: the VNPay-speaking gateways' sites."""
    origins = []
    for gateway in runtime.gateways.values():
        if isinstance(gateway, VnpayGateway):
            parts = urlsplit(gateway.config.pay_url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def pay_form_policy(settings: Settings, runtime: PaymentsRuntime) -> str:
    """The site's CSP, letting the pay form lead to the gateways' sites."""
    own = urlsplit(settings.public_url)
    others = tuple(
        origin for origin in gateway_origins(runtime) if origin != f"{own.scheme}://{own.netloc}"
    )
    return content_security_policy(settings, form_to=others)


def pay_url(dossier_ids: list[int]) -> str:
    """The pay step of one dossier, or of several chosen together."""
    if len(dossier_ids) == 1:
        return f"/ho-so/{dossier_ids[0]}/thanh-toan"
    return "/thanh-toan/chon?" + urlencode([("ho-so", i) for i in dossier_ids])


def _ids(values: list[str]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values if v.isdigit() and len(v) < 12))[:MAX_DOSSIERS]


def _text(form: Any, name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def _pending(
    runtime: PaymentsRuntime, principal: Principal, dossier_ids: list[int], lang: str
) -> list[PaymentRead]:
    """Orders still open for these dossiers, newest first (to carry on with one)."""
    found: dict[str, PaymentRead] = {}
    for dossier_id in dossier_ids:
        try:
            fees = await service.dossier_payments(runtime, principal, dossier_id, lang)
        except NotFound:
            continue
        for payment in fees.payments:
            if payment.status == "pending" and payment.expires_at > runtime.now():
                found[payment.reference] = payment
    return sorted(found.values(), key=lambda p: p.created_at, reverse=True)


# ---------------------------------------------------------------- the pay step


@dataclasses.dataclass(slots=True)
class Chosen:
    provider: str = ""
    payer: str = ""


async def _pay_page(
    request: Request[Any, Any, Any],
    settings: Settings,
    principal: Principal,
    dossier_ids: list[int],
    *,
    back_url: str,
    chosen: Chosen | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    lang = language(request)
    try:
        quote: Quote | None = await service.quote(runtime, principal, dossier_ids)
        nothing_due = ""
    except InvalidInput as error:
        quote, nothing_due = None, error.message(lang)
    chosen = chosen or Chosen()
    if quote is not None:
        if not chosen.payer:
            chosen.payer = quote.payers[0]
        if not chosen.provider and len(quote.providers) == 1:
            chosen.provider = quote.providers[0]
    errors = errors or []
    template = render(
        request,
        "payments/pay.html",
        status_code if quote is not None else 200,
        quote=quote,
        nothing_due=nothing_due,
        dossier_ids=dossier_ids,
        action=pay_url(dossier_ids),
        back_url=back_url,
        chosen=chosen,
        errors=errors,
        pending=await _pending(runtime, principal, dossier_ids, lang) if quote else [],
    )
    template.headers["Content-Security-Policy"] = pay_form_policy(settings, runtime)
    return template


async def _start(
    request: Request[Any, Any, Any],
    settings: Settings,
    principal: Principal,
    dossier_ids: list[int],
    back_url: str,
) -> Template | Redirect:
    runtime = runtime_of(request)
    lang = language(request)
    form = await request.form()
    chosen = Chosen(provider=_text(form, "provider", 16), payer=_text(form, "payer", 16))
    errors: Errors = []
    if not chosen.provider:
        errors.append(
            ("provider", "Hãy chọn cách thanh toán." if lang == "vi" else "Choose how to pay.")
        )
    if not chosen.payer:
        errors.append(("payer", "Hãy chọn ai thanh toán." if lang == "vi" else "Choose who pays."))
    if not errors:
        try:
            data = msgspec.convert(
                {"dossier_ids": dossier_ids, "provider": chosen.provider, "payer": chosen.payer},
                PaymentStart,
            )
        except msgspec.ValidationError as error:
            field = "payer" if "payer" in str(error) else "provider"
            message = (
                "Lựa chọn này không hợp lệ. Hãy chọn lại."
                if lang == "vi"
                else "This choice is not valid. Choose again."
            )
            errors.append((field, message))
        else:
            try:
                payment = await service.start(
                    runtime, principal, data, client_ip=client_of(request).address, lang=lang
                )
            except AppError as error:
                if isinstance(error, NotFound):
                    raise
                target = error.field if error.field in {"provider", "payer"} else "error-summary"
                errors.append((target, error.message(lang)))
            else:
                if payment.redirect_url:
                    return Redirect(payment.redirect_url, status_code=303)
                return Redirect(f"/thanh-toan/{payment.reference}", status_code=303)
    return await _pay_page(
        request,
        settings,
        principal,
        dossier_ids,
        back_url=back_url,
        chosen=chosen,
        errors=errors,
        status_code=422,
    )


# ------------------------------------------------------------ status, receipts


def _bank(runtime: PaymentsRuntime) -> tuple[str, str] | None:
    gateway = runtime.gateways.get("vietqr")
    if not isinstance(gateway, VietqrGateway):
        return None
    bin_ = gateway.config.bank_bin
    return BANKS.get(bin_, f"BIN {bin_}"), gateway.config.account


def _status_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    payment: PaymentRead,
    gateway_code: str | None = None,
) -> Template:
    runtime = runtime_of(request)
    lang = language(request)
    qr = ""
    if payment.status == "pending" and payment.qr_payload:
        title = "Mã VietQR để chuyển khoản" if lang == "vi" else "VietQR code for the transfer"
        qr = qr_svg(payment.qr_payload, title).decode()
    return render(
        request,
        "payments/status.html",
        payment=payment,
        gateway_code=gateway_code,
        qr=qr,
        bank=_bank(runtime) if payment.provider == "vietqr" else None,
        retry_url=pay_url([line.dossier_id for line in payment.lines])
        if principal.kind == "citizen"
        else "",
        citizen=principal.kind == "citizen",
    )


async def _agency_name(code: str, lang: str) -> str:
    try:
        agency = await catalogue.get_agency(code)
    except NotFound:
        return code
    return agency.name_vi if lang == "vi" else agency.name_en


def _receipt_context(receipt: ReceiptRead, lang: str) -> dict[str, Any]:
    title = "Mã QR kiểm tra biên lai" if lang == "vi" else "QR code to check the receipt"
    return {
        "receipt": receipt,
        "payment": receipt.payment,
        "words": vnd_in_words(receipt.payment.amount),
        "qr": qr_svg(receipt.verify_url, title).decode(),
    }


def _pdf(name: str, pdf: bytes) -> Response[bytes]:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


# ------------------------------------------------------------------ controllers


class PaymentPages(Controller):
    """The citizen's pay steps."""

    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/thanh-toan", name="dossier-pay")
    async def pay(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        dossier = await dossiers.get_dossier(dossiers_runtime_of(request), principal, dossier_id)
        if dossier.status == "draft":
            return Redirect(f"/ho-so/{dossier_id}/buoc/1", status_code=303)
        return await _pay_page(
            request, settings, principal, [dossier_id], back_url=f"/ho-so/{dossier_id}"
        )

    @post("/ho-so/{dossier_id:int}/thanh-toan")
    async def start(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        await dossiers.get_dossier(dossiers_runtime_of(request), principal, dossier_id)
        return await _start(request, settings, principal, [dossier_id], f"/ho-so/{dossier_id}")

    @get("/thanh-toan", name="pay-several")
    async def several(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return await _several_page(request, principal)

    @get("/thanh-toan/chon", name="pay-chosen")
    async def chosen(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        chosen: Annotated[list[str] | None, QueryParameter(name="ho-so")] = None,
    ) -> Template:
        ids = _ids(chosen or [])
        if not ids:
            lang = language(request)
            message = (
                "Hãy chọn ít nhất một hồ sơ để thanh toán."
                if lang == "vi"
                else "Choose at least one dossier to pay for."
            )
            return await _several_page(
                request, principal, errors=[("error-summary", message)], status_code=422
            )
        return await _pay_page(request, settings, principal, ids, back_url="/thanh-toan")

    @post("/thanh-toan/chon")
    async def start_chosen(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal],
        chosen: Annotated[list[str] | None, QueryParameter(name="ho-so")] = None,
    ) -> Template | Redirect:
        ids = _ids(chosen or [])
        if not ids:
            return Redirect("/thanh-toan", status_code=303)
        return await _start(request, settings, principal, ids, "/thanh-toan")


@dataclasses.dataclass(frozen=True, slots=True)
class Group:
    """Unpaid dossiers paid together: one's own, or one organisation's."""

    organisation_id: int | None
    name: str
    tax_code: str
    dossiers: list[DossierSummary]


async def _several_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    mine = await dossiers.my_dossiers(dossiers_runtime_of(request), principal)
    unpaid = [
        d
        for d in mine
        if d.payment_status == "unpaid" and d.status not in {"draft", "refused", "withdrawn"}
    ]
    organisations = {o.id: o for o in await accounts.my_organisations(principal)}
    groups: dict[int | None, list[DossierSummary]] = {}
    for dossier in unpaid:
        groups.setdefault(dossier.organisation_id, []).append(dossier)
    listed = []
    for organisation_id, items in sorted(groups.items(), key=lambda item: item[0] or 0):
        organisation = organisations.get(organisation_id) if organisation_id else None
        listed.append(
            Group(
                organisation_id=organisation_id,
                name=organisation.name if organisation else "",
                tax_code=organisation.tax_code if organisation else "",
                dossiers=items,
            )
        )
    return render(
        request,
        "payments/several.html",
        status_code,
        groups=listed,
        errors=errors or [],
    )


class PaymentStatusPages(Controller):
    """An order's page, the gateway's return, and the payer's receipt: for whoever may
    see the payment (its payer, and officials of the dossiers' agency)."""

    include_in_schema = False
    guards = [require_signed_in]

    @get("/thanh-toan/{reference:str}", name="payment")
    async def status(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Template:
        payment = await service.get_payment(
            runtime_of(request), principal, reference, language(request)
        )
        return _status_page(request, principal, payment)

    @get("/thanh-toan/{reference:str}/ket-qua", name="payment-return")
    async def returned(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Template:
        params = {
            key: value
            for key, value in list(request.query_params.items())[:40]
            if key.startswith("vnp_") and len(value) <= 512
        }
        payment, code = await service.vnpay_return(
            runtime_of(request), principal, reference, params, language(request)
        )
        return _status_page(request, principal, payment, code)

    @get("/thanh-toan/{reference:str}/bien-lai", name="payment-receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Template:
        lang = language(request)
        receipt = await service.receipt_of(runtime_of(request), principal, reference, lang)
        lines = receipt.payment.lines
        return render(
            request,
            "payments/receipt.html",
            agency=await _agency_name(lines[0].agency_code, lang) if lines else "",
            province=runtime_of(request).province_name,
            **_receipt_context(receipt, lang),
        )

    @get("/thanh-toan/{reference:str}/bien-lai.pdf", name="payment-receipt-pdf")
    async def receipt_pdf(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        receipt = await service.receipt_of(runtime, principal, reference, language(request))
        lines = receipt.payment.lines
        agency = await _agency_name(lines[0].agency_code, "vi") if lines else ""
        pdf = await service.render_receipt(runtime, receipt, agency)
        return _pdf(f"bien-lai-{receipt.number}.pdf", pdf)


class ReceiptCheckPages(Controller):
    """The public check behind a receipt's QR code, and the help page."""

    include_in_schema = False

    @get("/bien-lai/{receipt_id:int}", name="receipt-check")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        receipt_id: FromPath[int],
        k: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Template:
        lang = language(request)
        try:
            receipt: ReceiptRead | None = await service.verify_receipt(
                runtime_of(request), receipt_id, k, lang
            )
            status_code = 200
        except NotFound:
            receipt, status_code = None, 404
        payment = receipt.payment if receipt else None
        template = render(
            request,
            "payments/verify.html",
            status_code,
            receipt=receipt,
            payment=payment,
            payer=(
                payment.payer_name
                if payment.payer_kind == "organisation"
                else masked_name(payment.payer_name)
            )
            if payment
            else "",
        )
        template.headers["X-Robots-Tag"] = "noindex"
        return template

    @get("/huong-dan/thanh-toan", name="payment-help")
    async def help(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "payments/help.html")


# --------------------------------------------------------- the citizen's dossier


async def citizen_box(
    request: Request[Any, Any, Any], principal: Principal, dossier: DossierRead
) -> DossierPayments | None:
    """The fees box of the citizen's dossier page and receipt (None: nothing to say)."""
    if dossier.code is None:
        return None
    if dossier.payment_status == "none":
        # Nothing owed, so nothing was ever paid: no need to ask.
        return DossierPayments(
            dossier_id=dossier.id,
            code=dossier.code,
            fee_lines=dossier.fee_lines,
            fee_total=dossier.fee_total,
            payment_stage=dossier.payment_stage,
            payment_status="none",
            payments=[],
            refunds=[],
            refundable=0,
        )
    return await service.dossier_payments(
        runtime_of(request), principal, dossier.id, language(request)
    )


# ------------------------------------------------------------------ the console


@dataclasses.dataclass(slots=True)
class ConsoleBlock:
    """The payment block of the console's dossier page."""

    fees: DossierPayments
    can_cash: bool
    can_refund: bool
    # Refused or withdrawn: what was paid may be refunded.
    closed: bool
    lang: str
    problem: console.Problem | None = None
    posted: dict[str, str] = dataclasses.field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.posted.get(name, default)

    def label(self, provider: str) -> str:
        return provider_label(provider, self.lang)

    def failure(self, code: str) -> str:
        return failure_text(code, self.lang)


async def console_block(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier: DossierRead,
    problem: console.Problem | None = None,
    posted: dict[str, str] | None = None,
) -> ConsoleBlock | None:
    if dossier.code is None:
        return None
    lang = language(request)
    fees = await service.dossier_payments(runtime_of(request), principal, dossier.id, lang)
    cashier = principal.role in service.CASHIERS
    closed = dossier.status in {"refused", "withdrawn"}
    return ConsoleBlock(
        fees=fees,
        can_cash=cashier and fees.payment_status == "unpaid" and not closed,
        can_refund=cashier and closed and fees.refundable > 0,
        closed=closed,
        lang=lang,
        problem=problem,
        posted=posted or {},
    )


_AMOUNT_SEPARATORS = re.compile(r"[\s.,₫]|đồng|đ|vnd", re.IGNORECASE)


def parse_amount(text: str) -> int | None:
    """An amount typed by an official: 115000, 115.000, 115 000 ₫."""
    digits = _AMOUNT_SEPARATORS.sub("", text)
    if not digits.isdigit() or len(digits) > 13:
        return None
    return int(digits)


def _console_url(dossier_id: int) -> str:
    return f"{console.CONSOLE_HOME}/ho-so/{dossier_id}"


class ConsolePaymentPages(Controller):
    """Cash at the counter and refunds, from the console's dossier page."""

    path = console.CONSOLE_HOME
    include_in_schema = False
    guards = [console.require_official]

    @post("/ho-so/{dossier_id:int}/thu-tien-mat", name="console-cash")
    async def cash(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        try:
            if _text(form, "confirm", 4) != "1":
                raise InvalidInput(
                    "Hãy đánh dấu “Tôi đã thu đủ” sau khi nhận đủ tiền.",
                    "Tick “I have taken the full amount” once the money is in hand.",
                    field="confirm",
                )
            await service.record_cash(runtime_of(request), principal, dossier_id, language(request))
        except NotFound:
            raise
        except AppError as error:
            target = "cash-confirm" if error.field == "confirm" else "form-cash"
            return await console._dossier_page(
                request,
                principal,
                dossier_id,
                payment_problem=console.Problem(error, target, "cash"),
                status_code=error.status_code,
            )
        return Redirect(f"{_console_url(dossier_id)}?xong=thu-tien#thanh-toan", status_code=303)

    @post("/ho-so/{dossier_id:int}/hoan-phi", name="console-refund")
    async def refund(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        posted = {"amount": _text(form, "amount", 40), "reason": _text(form, "reason", 600)}
        try:
            amount = parse_amount(posted["amount"])
            if amount is None or amount < 1:
                raise InvalidInput(
                    "Hãy nhập số tiền hoàn bằng số, ví dụ 115000.",
                    "Enter the amount to refund in figures, for example 115000.",
                    field="amount",
                )
            if not posted["reason"]:
                raise InvalidInput(
                    "Hãy ghi lý do hoàn phí.", "Give the reason for the refund.", field="reason"
                )
            if len(posted["reason"]) > 500:
                raise InvalidInput(
                    "Lý do hoàn phí dài quá 500 ký tự.",
                    "The reason is longer than 500 characters.",
                    field="reason",
                )
            await service.refund(
                runtime_of(request),
                principal,
                dossier_id,
                RefundIn(amount=amount, reason=posted["reason"]),
                language(request),
            )
        except NotFound:
            raise
        except AppError as error:
            target = (
                f"refund-{error.field}" if error.field in {"amount", "reason"} else "form-refund"
            )
            return await console._dossier_page(
                request,
                principal,
                dossier_id,
                payment_problem=console.Problem(error, target, "refund"),
                payment_posted=posted,
                status_code=error.status_code,
            )
        return Redirect(f"{_console_url(dossier_id)}?xong=hoan-phi#thanh-toan", status_code=303)


PAYMENT_PAGES: list[Any] = [
    PaymentPages,
    PaymentStatusPages,
    ReceiptCheckPages,
    ConsolePaymentPages,
]
