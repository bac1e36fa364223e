"""A person's payments for their data archive (``backend.privacy``): the orders they
made and those that paid their dossiers, with their receipts and refunds, and each
receipt's PDF as the person downloads it.

Nothing here changes when an account is deleted: a payment and its receipt are the
agency's accounting record, and the payer's name on them is what the receipt says.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from piccolo.custom_types import Combinable

from backend.payments.runtime import PaymentsRuntime
from backend.payments.service.receipts import _receipt, render_receipt
from backend.payments.tables import Payment, PaymentDossier, Receipt, Refund

# (path inside the archive, how to read its bytes)
ArchiveFile = tuple[str, Callable[[], Awaitable[bytes]]]


def _loader(runtime: PaymentsRuntime, receipt_id: int) -> Callable[[], Awaitable[bytes]]:
    async def load() -> bytes:
        return await render_receipt(runtime, await _receipt(runtime, receipt_id, "vi"))

    return load


async def payments_of_person(
    runtime: PaymentsRuntime, account_id: int, dossier_ids: Sequence[int]
) -> tuple[list[dict[str, Any]], list[ArchiveFile]]:
    paying = {
        row["payment"]
        for row in (
            await PaymentDossier.select(PaymentDossier.payment).where(
                PaymentDossier.dossier_id.is_in(list(dossier_ids))
            )
            if dossier_ids
            else []
        )
    }
    where: Combinable = Payment.account_id == account_id
    if paying:
        where = where | Payment.id.is_in(sorted(paying))
    rows = await Payment.select().where(where).order_by(Payment.id).output(load_json=True)
    files: list[ArchiveFile] = []
    for row in rows:
        row["dossiers"] = await PaymentDossier.select(
            PaymentDossier.dossier_id, PaymentDossier.amount, PaymentDossier.paid
        ).where(PaymentDossier.payment == row["id"])
        row["refunds"] = await Refund.select(
            Refund.dossier_id,
            Refund.amount,
            Refund.method,
            Refund.status,
            Refund.reason,
            Refund.created_at,
        ).where(Refund.payment == row["id"])
        receipts = await Receipt.select().where(Receipt.payment == row["id"])
        row["receipt"] = None
        if receipts:
            receipt = receipts[0]
            path = f"files/receipts/bien-lai-{receipt['id']}.pdf"
            row["receipt"] = {**receipt, "path": path}
            files.append((path, _loader(runtime, receipt["id"])))
    return rows, files


__all__ = ["payments_of_person"]
