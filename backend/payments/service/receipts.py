"""Receipts: one per paid payment, numbered as the law numbers e-receipts of fees and
charges (template symbol, receipt symbol and a number without gaps in the agency's
series of the year, see ``numbering``), for the payer, as a PDF and as XML data, and
through the public check behind their QR code, which a signature keeps from being
guessed. A receipt is headed by the payment's agency, the one that took the money and
is the collecting organisation (see ``dues`` and ``counter``), whoever looks at it."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import FeeLine
from backend.errors import NotFound
from backend.i18n import N_
from backend.payments import receipt_pdf, receipt_xml
from backend.payments.labels import provider_label
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import ReceiptRead
from backend.payments.service import numbering
from backend.payments.service.dues import agency_named
from backend.payments.service.orders import get_payment
from backend.payments.service.records import payment_row, read
from backend.payments.tables import Payment, Receipt
from backend.signing import service as signing


async def _collector(agency_code: str) -> catalogue.AgencyRead | None:
    try:
        return await catalogue.get_agency(agency_code)
    except NotFound:
        return None


async def issue(payment_id: int, agency_code: str, amount: int, now: dt.datetime) -> int:
    """Issue the receipt of money applied to an order's fees, inside the caller's write
    transaction (so a rolled-back settlement issues nothing); returns its id. An order
    gets one receipt, for what was applied when it first received money. It takes the
    next number of its agency's series under the agency's symbols of the year, with
    the series locked: one that asks again for the same order (a replayed settlement)
    finds the receipt and takes no number."""
    collector = await _collector(agency_code)
    template, letters = (
        (collector.receipt_template, collector.receipt_symbol) if collector else ("", "")
    )
    year = numbering.receipt_year(now)
    symbol = numbering.receipt_symbol(letters, year)
    last = await numbering.lock_series(agency_code, symbol, year)
    rows = await Receipt.select(Receipt.id).where(Receipt.payment == payment_id)
    if rows:
        return int(rows[0]["id"])
    inserted = await Receipt.insert(
        Receipt(
            payment=payment_id,
            issued_at=now,
            amount=amount,
            agency_code=agency_code,
            template_symbol=template,
            symbol=symbol,
            year=year,
            number=last + 1,
        )
    ).returning(Receipt.id)
    await numbering.set_last(agency_code, symbol, year, last + 1)
    return int(inserted[0]["id"])


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
    row = rows[0]
    payment = await read(runtime, await payment_row(id=row["payment"]), lang)
    agency = await agency_named(payment.agency_code)
    collector = await _collector(payment.agency_code)
    payer = await Payment.select(Payment.payer_address).where(Payment.id == row["payment"])
    return ReceiptRead(
        id=receipt_id,
        template_symbol=row["template_symbol"],
        symbol=row["symbol"],
        number=numbering.printed_number(row["number"]),
        issued_at=row["issued_at"],
        amount=row["amount"],
        agency_name_vi=agency.vi,
        agency_name_en=agency.render("en"),
        agency_tax_code=collector.tax_code if collector else "",
        agency_address=collector.address if collector else "",
        payer_address=payer[0]["payer_address"] if payer else "",
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


def items_of(code: str | None, fees: Sequence[FeeLine]) -> list[receipt_pdf.ReceiptLine]:
    """A dossier's fee lines as the receipt lists them: each at its base where a rule
    lowered it, the PDF printing the reduction as a row of its own."""
    return [
        receipt_pdf.ReceiptLine(
            dossier_code=code or "",
            label=fee.label_vi,
            amount_vnd=fee.amount,
            rule=fee.rule_vi,
            full_vnd=fee.full_amount if fee.full_amount > fee.amount else None,
        )
        for fee in fees
    ]


def _view(runtime: PaymentsRuntime, receipt: ReceiptRead) -> receipt_pdf.ReceiptView:
    """What the receipt says: a Vietnamese legal document, whatever the reader's
    language."""
    payment = receipt.payment
    return receipt_pdf.ReceiptView(
        template_symbol=receipt.template_symbol,
        symbol=receipt.symbol,
        number=receipt.number,
        issued_at=receipt.issued_at,
        agency_name=receipt.agency_name_vi,
        agency_tax_code=receipt.agency_tax_code,
        agency_address=receipt.agency_address,
        province_name=runtime.province_name,
        payer_name=payment.payer_name,
        payer_tax_code=payment.payer_tax_code,
        payer_address=receipt.payer_address,
        items=[item for line in payment.lines for item in items_of(line.code, line.fee_lines)],
        # An order paying the rest of short-paid fees: its lines list the whole fees.
        paid_before_vnd=sum(
            sum(fee.amount for fee in line.fee_lines) - line.amount for line in payment.lines
        ),
        total_vnd=payment.amount,
        collected_vnd=receipt.amount,
        method=provider_label(payment.provider).render("vi"),
        transaction_ref=payment.transaction_no or payment.reference,
        verify_url=receipt.verify_url,
        refunded_vnd=payment.refunded_amount,
    )


async def render_receipt(runtime: PaymentsRuntime, receipt: ReceiptRead) -> bytes:
    """The receipt as a PDF, sealed with the collecting agency's key where it has one
    (issue 17): one signed copy per state of its refunds, which the receipt prints."""

    async def render() -> bytes:
        return await asyncio.to_thread(receipt_pdf.render_receipt, _view(runtime, receipt))

    if runtime.signing is not None:
        payment = receipt.payment
        sealed = await signing.signed_copy(
            runtime.signing,
            kind="fee_receipt",
            subject=f"fee_receipt:{receipt.id}:{payment.refunded_amount}",
            reference="-".join(filter(None, (receipt.symbol, receipt.number))),
            agency_code=payment.agency_code,
            render=render,
            reason="Biên lai thu phí, lệ phí",
        )
        if sealed is not None:
            return sealed
    return await render()


def export_receipt(runtime: PaymentsRuntime, receipt: ReceiptRead) -> bytes:
    """The receipt's data as XML, the same values as its PDF."""
    return receipt_xml.receipt_xml(_view(runtime, receipt), receipt.id)


def receipt_file(receipt: ReceiptRead, extension: str) -> str:
    """The name a downloaded receipt is saved under: bien-lai-MC-26E-0000012.pdf."""
    return f"bien-lai-{'-'.join(filter(None, (receipt.symbol, receipt.number)))}.{extension}"
