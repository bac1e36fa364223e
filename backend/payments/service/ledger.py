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
from backend.payments.service.records import applied_to, payment_row, read
from backend.payments.tables import PaymentDossier, Refund


async def refunded_for(dossier_id: int) -> int:
    """What was refunded of a dossier's fees, or is being refunded (not counting
    money paid in excess, given back from its capture)."""
    rows = await fetch(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM payments_refund"
        " WHERE dossier_id = {} AND capture IS NULL AND status <> 'failed'",
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
    applied = (await applied_to([dossier_id])).get(dossier_id, 0)
    paid = min(applied, dossier.fee_total)
    refundable = 0
    if paid and dossier.status in CLOSED:
        refundable = max(0, paid - await refunded_for(dossier_id))
    owing = dossier.payment_status == "unpaid" and dossier.status not in CLOSED
    return DossierPayments(
        dossier_id=dossier_id,
        code=dossier.code,
        fee_lines=dossier.fee_lines,
        fee_total=dossier.fee_total,
        payment_stage=dossier.payment_stage,
        payment_status=dossier.payment_status,
        payments=payments,
        refunds=msgspec.convert(refunds, list[RefundRead], strict=False),
        applied=applied,
        left=max(0, dossier.fee_total - applied) if owing else 0,
        refundable=refundable,
    )
