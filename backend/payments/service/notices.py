"""The notices a change of a payment's state writes to the outbox, in the same
transaction as the change: one per dossier, to its owner and its organisation; and the
"payment.settled" event for the systems outside (webhooks)."""

from __future__ import annotations

import datetime as dt

from backend.dossiers import service as dossiers
from backend.outbox import service as outbox
from backend.payments.service.records import PaymentRow


async def tell(
    payment: PaymentRow, kind: str, status: str, now: dt.datetime, *, capture: int | None = None
) -> None:
    """Tell the people of each of the payment's dossiers; ``capture``: about that
    money (an order may receive several, each told once)."""
    about = "" if capture is None else f":{capture}"
    for line in payment.lines:
        await outbox.enqueue(
            event_key=f"payment:{payment.id}:{kind}:{line.dossier_id}{about}",
            kind=kind,
            subject=f"dossier:{line.dossier_id}",
            account_ids=await dossiers.recipients(line.owner_id, line.organisation_id),
            payload={
                "dossier_id": line.dossier_id,
                "code": line.code,
                "status": status,
                "payment": payment.reference,
            },
            now=now,
        )


async def settled_event(payment: PaymentRow, capture_id: int, now: dt.datetime) -> None:
    """An order became paid by this capture: codes and amounts only, no payer."""
    await outbox.enqueue(
        event_key=f"payment:{payment.id}:settled:{capture_id}",
        kind="payment.settled",
        subject=f"payment:{payment.id}",
        account_ids=[],
        payload={
            "payment_id": payment.id,
            "reference": payment.reference,
            "amount": payment.amount,
            "dossier_codes": [line.code for line in payment.lines],
            "agency_code": payment.agency_code,
            "settled_at": now.isoformat(),
        },
        now=now,
    )
