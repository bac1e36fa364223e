"""Receipts: one per paid payment, numbered as e-receipts are (``MC26E-0000012``),
for the payer, as a PDF, and through the public check behind their QR code, which a
signature keeps from being guessed. A receipt is headed by the payment's agency, the
one that took the money (see ``dues`` and ``counter``), whoever looks at it."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac

from backend.accounts.schemas import Principal
from backend.errors import NotFound
from backend.i18n import N_
from backend.payments import receipt_pdf
from backend.payments.labels import provider_label
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import ReceiptRead
from backend.payments.service.dues import agency_named
from backend.payments.service.orders import get_payment
from backend.payments.service.records import payment_row, read
from backend.payments.tables import Receipt
from backend.vietnam import VIETNAM


def receipt_number(receipt_id: int, issued_at: dt.datetime) -> str:
    """Symbol and number, as e-receipts print them: MC26E-0000012."""
    return f"MC{issued_at.astimezone(VIETNAM):%y}E-{receipt_id:07d}"


def receipt_token(secret_key: str, receipt_id: int) -> str:
    mac = hmac.new(secret_key.encode(), f"receipt:{receipt_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:12]).decode().rstrip("=")


def receipt_url(runtime: PaymentsRuntime, receipt_id: int) -> str:
    token = receipt_token(runtime.secret_key, receipt_id)
    return f"{runtime.public_url}/bien-lai/{receipt_id}?k={token}"


def _not_found() -> NotFound:
    return NotFound(N_("Không tìm thấy biên lai này. Biên lai có thể là giả."), field="receipt")


async def _receipt(runtime: PaymentsRuntime, receipt_id: int, lang: str) -> ReceiptRead:
    rows = await Receipt.select().where(Receipt.id == receipt_id)
    if not rows:
        raise _not_found()
    payment = await read(runtime, await payment_row(id=rows[0]["payment"]), lang)
    agency = await agency_named(payment.agency_code)
    return ReceiptRead(
        id=receipt_id,
        number=receipt_number(receipt_id, rows[0]["issued_at"]),
        issued_at=rows[0]["issued_at"],
        agency_name_vi=agency.vi,
        agency_name_en=agency.render("en"),
        payment=payment,
        verify_url=receipt_url(runtime, receipt_id),
    )


async def receipt_of(
    runtime: PaymentsRuntime, principal: Principal, reference: str, lang: str
) -> ReceiptRead:
    """The payer's receipt of a paid payment."""
    payment = await get_payment(runtime, principal, reference, lang)
    if payment.receipt_id is None:
        raise NotFound(N_("Giao dịch chưa được thanh toán nên chưa có biên lai."), field="receipt")
    return await _receipt(runtime, payment.receipt_id, lang)


async def verify_receipt(
    runtime: PaymentsRuntime, receipt_id: int, token: str, lang: str
) -> ReceiptRead:
    """The public check behind the receipt's QR code: genuine only with our signature."""
    if not hmac.compare_digest(
        token.encode(), receipt_token(runtime.secret_key, receipt_id).encode()
    ):
        raise _not_found()
    return await _receipt(runtime, receipt_id, lang)


async def render_receipt(runtime: PaymentsRuntime, receipt: ReceiptRead) -> bytes:
    """The receipt as a PDF: a Vietnamese legal document, whatever the reader's language."""
    payment = receipt.payment
    view = receipt_pdf.ReceiptView(
        number=receipt.number,
        issued_at=receipt.issued_at,
        agency_name=receipt.agency_name_vi,
        province_name=runtime.province_name,
        payer_name=payment.payer_name,
        payer_tax_code=payment.payer_tax_code,
        payer_address="",
        items=[
            receipt_pdf.ReceiptLine(
                dossier_code=line.code, label=fee.label_vi, amount_vnd=fee.amount
            )
            for line in payment.lines
            for fee in line.fee_lines
        ],
        total_vnd=payment.amount,
        method=provider_label(payment.provider).render("vi"),
        transaction_ref=payment.transaction_no or payment.reference,
        verify_url=receipt.verify_url,
        refunded_vnd=payment.refunded_amount,
    )
    return await asyncio.to_thread(receipt_pdf.render_receipt, view)
