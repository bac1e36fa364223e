"""An order's page, the gateway's return and the receipts.

The order's page says where the payment stands in plain words; a small script asks
the API while it is pending and updates it in place, and a link reloads it without
the script. A pending bank transfer shows its VietQR code, the details to type by
hand, and the code as a picture to save (a phone cannot scan its own screen, but
its banking app scans a picture from the gallery). The browser's return from a
gateway only displays (the gateway's signed notification is what settles an order).
The payer's receipt prints and downloads as PDF; its QR code opens a public check of
the receipt, which masks a person's name.
"""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Template

from backend.accounts.guards import require_signed_in
from backend.accounts.schemas import Principal
from backend.documents import qr_svg
from backend.errors import NotFound
from backend.i18n import N_, Localized, Moment, Money
from backend.payments import service
from backend.payments.banks import bank_name
from backend.payments.gateways import VietqrGateway
from backend.payments.pages.base import pay_url, show
from backend.payments.qr_picture import Line, transfer_picture
from backend.payments.runtime import PaymentsRuntime, runtime_of
from backend.payments.schemas import PaymentRead, ReceiptRead
from backend.payments.words import vnd_in_words
from backend.web.templates import language, page

REFERENCE = PathParameter(max_length=16, pattern=r"^[A-Z0-9]+$")
XML = "application/xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Transfer:
    """A pending bank transfer: its VietQR payload and the details a person types
    when nothing can scan the code."""

    payload: str
    bank: str
    account: str
    holder: str


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


def _transfer(runtime: PaymentsRuntime, payment: PaymentRead) -> Transfer | None:
    """The transfer to make, while the order waits for it and is in time."""
    gateway = runtime.gateways.get(payment.provider)
    if payment.status != "pending" or not payment.qr_payload:
        return None
    if not isinstance(gateway, VietqrGateway):
        return None
    config = gateway.config
    return Transfer(
        payload=payment.qr_payload,
        bank=bank_name(config.bank_bin),
        account=config.account,
        holder=config.account_name,
    )


def _picture_lines(payment: PaymentRead, transfer: Transfer, lang: str) -> list[Line]:
    content = N_("Nội dung: %(reference)s", reference=payment.reference)
    lines = [
        Line(Money(payment.amount).render(lang), size=34, bold=True),
        Line(content.render(lang), size=26, bold=True),
        Line(f"{transfer.bank} · {transfer.account}"),
    ]
    if transfer.holder:
        lines.append(Line(transfer.holder, size=22))
    deadline = N_("Chuyển khoản trước %(time)s", time=Moment(payment.expires_at))
    lines.append(Line(deadline.render(lang), size=20))
    return lines


async def _status_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    payment: PaymentRead,
    gateway_code: str | None = None,
) -> Template:
    qr = ""
    transfer = _transfer(runtime_of(request), payment)
    if transfer is not None:
        title = N_("Mã VietQR để chuyển khoản").render(language(request))
        qr = qr_svg(transfer.payload, title).decode()
    citizen = principal.kind == "citizen"
    return show(
        request,
        "payments/status.html",
        payment=payment,
        agency=await service.agency_named(payment.agency_code),
        gateway_code=gateway_code,
        qr=qr,
        transfer=transfer,
        retry_url=pay_url([line.dossier_id for line in payment.lines]) if citizen else "",
        # A short payment's rest, payable any way (its dossiers may have been paid since).
        left=await service.left_to_pay([line.dossier_id for line in payment.lines])
        if payment.status == "partial"
        else 0,
        citizen=citizen,
    )


def _pdf(name: str, pdf: bytes, media_type: str = "application/pdf") -> Response[bytes]:
    return Response(
        pdf,
        media_type=media_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
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
        return await _status_page(request, principal, payment)

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
        return await _status_page(request, principal, payment, code)

    @get("/thanh-toan/{reference:str}/ma-qr.png", name="payment-qr")
    async def qr_picture(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Response[bytes]:
        """The order's VietQR code as a PNG to save, while the transfer is awaited."""
        runtime = runtime_of(request)
        lang = language(request)
        payment = await service.get_payment(runtime, principal, reference, lang)
        transfer = _transfer(runtime, payment)
        if transfer is None:
            raise NotFound(
                N_("Giao dịch này không còn chờ chuyển khoản nên không có mã QR."),
                field="payment",
            )
        lines = _picture_lines(payment, transfer, lang)
        png = await asyncio.to_thread(transfer_picture, transfer.payload, lines)
        return Response(
            png,
            media_type="image/png",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
                "Content-Disposition": f'attachment; filename="ma-qr-{payment.reference}.png"',
            },
        )

    @get("/thanh-toan/{reference:str}/bien-lai", name="payment-receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Template:
        lang = language(request)
        receipt = await service.receipt_of(runtime_of(request), principal, reference, lang)
        title = N_("Mã QR kiểm tra biên lai").render(lang)
        return show(
            request,
            "payments/receipt.html",
            agency=Localized(receipt.agency_name_vi, receipt.agency_name_en).render(lang),
            province=runtime_of(request).province_name,
            receipt=receipt,
            payment=receipt.payment,
            # Vietnamese in both languages: the receipt is a Vietnamese document.
            words=vnd_in_words(receipt.amount),
            qr=qr_svg(receipt.verify_url, title).decode(),
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
        pdf = await service.render_receipt(runtime, receipt)
        return _pdf(service.receipt_file(receipt, "pdf"), pdf)

    @get("/thanh-toan/{reference:str}/bien-lai.xml", name="payment-receipt-xml")
    async def receipt_xml(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        reference: Annotated[str, REFERENCE],
    ) -> Response[bytes]:
        runtime = runtime_of(request)
        receipt = await service.receipt_of(runtime, principal, reference, language(request))
        data = service.export_receipt(runtime, receipt)
        return _pdf(service.receipt_file(receipt, "xml"), data, XML)


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
        try:
            receipt: ReceiptRead | None = await service.verify_receipt(
                runtime_of(request), receipt_id, k, language(request)
            )
            status_code = 200
        except NotFound:
            receipt, status_code = None, 404
        payment = receipt.payment if receipt else None
        payer = ""
        if payment is not None:
            organisation = payment.payer_kind == "organisation"
            payer = payment.payer_name if organisation else masked_name(payment.payer_name)
        template = show(
            request,
            "payments/verify.html",
            status_code,
            receipt=receipt,
            payment=payment,
            payer=payer,
            key=k,
        )
        template.headers["X-Robots-Tag"] = "noindex"
        return template

    @get("/bien-lai/{receipt_id:int}/du-lieu.xml", name="receipt-check-xml")
    async def verify_xml(
        self,
        request: Request[Any, Any, Any],
        receipt_id: FromPath[int],
        k: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Response[bytes]:
        """The receipt's XML data for an official holding its QR code (or its payer)."""
        runtime = runtime_of(request)
        receipt = await service.verify_receipt(runtime, receipt_id, k, language(request))
        data = service.export_receipt(runtime, receipt)
        response = _pdf(service.receipt_file(receipt, "xml"), data, XML)
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    @get("/huong-dan/thanh-toan", name="payment-help")
    async def help(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "payments/help.html")
