"""A dossier's account: its fees, every payment made for it and its refunds, for
whoever may see the dossier (the officials' view and the citizen's)."""

from __future__ import annotations

import msgspec

from backend.accounts.schemas import Principal
from backend.db import fetch
from backend.dossiers import service as dossiers
from backend.payments.runtime import PaymentsRuntime
from backend.payments.schemas import DossierPayments, RefundRead
from backend.payments.service.dues import CLOSED
from backend.payments.service.records import payment_row, read
from backend.payments.tables import PaymentDossier, Refund


async def refunded_for(dossier_id: int) -> int:
    """What was refunded of a dossier's fees, or is being refunded."""
    rows = await fetch(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM payments_refund"
        " WHERE dossier_id = {} AND status <> 'failed'",
        dossier_id,
    )
    return int(rows[0]["total"])


async def dossier_payments(
    runtime: PaymentsRuntime, principal: Principal, dossier_id: int, lang: str
) -> DossierPayments:
    """A dossier's fees, its payments and refunds, for whoever may see the dossier."""
    dossier = await dossiers.brief(principal, dossier_id)
    links = await PaymentDossier.select(PaymentDossier.payment).where(
        PaymentDossier.dossier_id == dossier_id
    )
    payments = [
        await read(runtime, await payment_row(id=link["payment"]), lang)
        for link in sorted(links, key=lambda link: -link["payment"])
    ]
    refunds = (
        await Refund.select(
            *Refund.all_columns(), Refund.payment.reference.as_alias("payment_reference")
        )
        .where((Refund.dossier_id == dossier_id) & (Refund.status == "done"))
        .order_by(Refund.id)
    )
    paid_share = sum(
        line.amount
        for payment in payments
        if payment.status == "paid"
        for line in payment.lines
        if line.dossier_id == dossier_id
    )
    refundable = 0
    if paid_share and dossier.status in CLOSED:
        left = min(paid_share, dossier.fee_total) - await refunded_for(dossier_id)
        refundable = max(0, left)
    return DossierPayments(
        dossier_id=dossier_id,
        code=dossier.code,
        fee_lines=dossier.fee_lines,
        fee_total=dossier.fee_total,
        payment_stage=dossier.payment_stage,
        payment_status=dossier.payment_status,
        payments=payments,
        refunds=msgspec.convert(refunds, list[RefundRead], strict=False),
        refundable=refundable,
    )
