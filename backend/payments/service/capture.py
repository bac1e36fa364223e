"""Money captured: every report of money from a gateway or a bank, and cash taken at
the counter, is recorded once (``payments_capture``, under its fact's key, in the
transaction that writes the fact to the inbox) and allocated here, whatever its
amount and whatever became of its order.

The money goes to the order's dossiers in line order: each takes what it still owes
(its fee total less what every order applied to it already; nothing once it is paid,
refused or withdrawn), and what remains is excess, refundable at once from the
officials' refund queue. An order is "paid" once it received its amount, "partial"
before; money captured after the order failed or expired counts all the same: the
person was charged. Captures for the same dossier are taken one at a time: SQLite's
write lock does it, and on PostgreSQL transaction-scoped advisory locks on the
dossiers' ids, taken in ascending order so two captures never wait for each other.

Money applied to an order that already has its receipt (a second transfer quoting a
short-paid order) is booked on a new paid order of the same provider, agency and
payer, for the dossiers it pays: one receipt per order, so that money has its own."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.db import fetch
from backend.db.dialect import is_postgres
from backend.dossiers import service as dossiers
from backend.payments.gateways import vietqr
from backend.payments.schemas import PaymentStatus
from backend.payments.service import receipts
from backend.payments.service.dues import CLOSED
from backend.payments.service.notices import settled_event, tell
from backend.payments.service.records import PaymentRow, applied_to, payment_row
from backend.payments.tables import Capture, Payment, PaymentDossier, Receipt
from backend.vietnam import in_vietnam

logger = logging.getLogger("motcua.payments")

# The key of the transaction-scoped PostgreSQL locks taking the captures of one dossier
# one at a time (with the dossier's id); orders.py's per-person lock is 7_000_001.
DOSSIER_LOCK = 7_000_003
# Orders that had given up on their money, which came all the same.
_GAVE_UP = frozenset({"failed", "expired"})


@dataclass(frozen=True, slots=True)
class Money:
    """One report of money captured: a gateway's or bank's, or cash."""

    key: str
    provider: str
    # The account it went to (see ``Gateway.merchant``), "cash" for the till.
    merchant: str
    reference: str
    transaction_no: str
    amount: int
    bank_code: str = ""


class Allocated(msgspec.Struct, kw_only=True):
    """What became of one capture."""

    capture_id: int
    # The order it was booked to (None: no order of ours was named).
    payment_id: int | None
    applied: int
    excess: int
    reason: str
    # The named order's state before this money (None: no order).
    before: PaymentStatus | None


def vietnam_day(moment: dt.datetime) -> str:
    return in_vietnam(moment).date().isoformat()


async def lock_dossiers(dossier_ids: list[int]) -> None:
    """Inside a write transaction: these dossiers' money is ours until it ends."""
    if is_postgres():
        for dossier_id in sorted(set(dossier_ids)):
            await fetch("SELECT pg_advisory_xact_lock({}, {})", DOSSIER_LOCK, dossier_id)


async def owed(dossier_ids: list[int]) -> dict[int, int]:
    """What each of these dossiers still owes: its fee total less what every order
    applied to it, and nothing once paid, refunded, refused or withdrawn."""
    states = await dossiers.fee_states(dossier_ids)
    applied = await applied_to(dossier_ids)
    return {
        dossier_id: max(0, state.fee_total - applied.get(dossier_id, 0))
        if state.payment_status == "unpaid" and state.status not in CLOSED
        else 0
        for dossier_id, state in states.items()
    }


async def left_to_pay(dossier_ids: list[int]) -> int:
    """What these dossiers still owe together (the rest of a short payment)."""
    return sum((await owed(dossier_ids)).values())


async def _record(
    money: Money, payment: PaymentRow | None, applied: int, reason: str, now: dt.datetime
) -> int:
    excess = money.amount - applied
    inserted = await Capture.insert(
        Capture(
            key=money.key,
            provider=money.provider,
            merchant=money.merchant[:64],
            agency_code=payment.agency_code if payment else "",
            payment=payment.id if payment else None,
            reference=money.reference[:100],
            transaction_no=money.transaction_no[:64],
            amount=money.amount,
            applied=applied,
            excess=excess,
            reason=reason if excess else "",
            captured_at=now,
            day=vietnam_day(now),
        )
    ).returning(Capture.id)
    if excess:
        # No amount and nobody's name: the refund queue shows them to its officials.
        logger.warning(
            "captured money to refund",
            extra={"fields": {"provider": money.provider, "reason": reason}},
        )
    return int(inserted[0]["id"])


async def unmatched(money: Money, now: dt.datetime) -> Allocated:
    """Money naming no order of ours: all of it to refund, by the province's centre."""
    capture_id = await _record(money, None, 0, "unmatched", now)
    return Allocated(
        capture_id=capture_id,
        payment_id=None,
        applied=0,
        excess=money.amount,
        reason="unmatched",
        before=None,
    )


async def wrong_amount(money: Money, payment: PaymentRow, now: dt.datetime) -> Allocated:
    """A gateway's success for another amount than the order's: the order is not paid
    by it (nor counted as received); all of it is to be refunded."""
    capture_id = await _record(money, payment, 0, "amount", now)
    await Payment.update({Payment.duplicate_amount: Payment.duplicate_amount + money.amount}).where(
        Payment.id == payment.id
    )
    await tell(payment, "payment.excess", "refund", now, capture=capture_id)
    return Allocated(
        capture_id=capture_id,
        payment_id=payment.id,
        applied=0,
        excess=money.amount,
        reason="amount",
        before=payment.status,
    )


def _reason(order: PaymentRow, owing: int, lost: bool) -> str:
    """Why money is left over on this order: it had given up, its dossiers were paid
    (in part) otherwise or by itself already, or it was simply too much."""
    if order.status in _GAVE_UP:
        return "late"
    expected = max(0, order.amount - order.received_amount)
    if lost or order.received_amount >= order.amount or owing < expected:
        return "duplicate"
    return "overpaid"


async def _booking(order: PaymentRow, shares: dict[int, int], now: dt.datetime) -> PaymentRow:
    """A new order of the same provider, agency and payer for the dossiers this money
    pays (each for its share), to carry the money and its receipt: the order named
    has its receipt already."""
    now_ms = int(now.timestamp() * 1000)
    lines = [
        msgspec.structs.replace(line, amount=shares[line.dossier_id])
        for line in order.lines
        if line.dossier_id in shares
    ]
    inserted = await Payment.insert(
        Payment(
            reference=vietqr.new_reference(),
            provider=order.provider,
            status="pending",
            amount=sum(shares.values()),
            payer_kind=order.payer_kind,
            agency_code=order.agency_code,
            account_id=order.account_id,
            organisation_id=order.organisation_id,
            payer_name=order.payer_name,
            payer_tax_code=order.payer_tax_code,
            payer_address=order.payer_address,
            lines=msgspec.to_builtins(lines),
            created_at=now,
            created_ms=now_ms,
            expires_ms=now_ms,
            check_ms=now_ms,
            recorded_by_name=order.recorded_by_name,
        )
    ).returning(Payment.id)
    booked = int(inserted[0]["id"])
    await PaymentDossier.insert(
        *(
            PaymentDossier(payment=booked, dossier_id=line.dossier_id, amount=line.amount)
            for line in lines
        )
    )
    return await payment_row(id=booked)


async def allocate(money: Money, order: PaymentRow, now: dt.datetime) -> Allocated:
    """Inside the caller's write transaction: apply money captured for this order to
    its dossiers, settle those it covers, issue the receipt of what was applied, book
    the rest as excess, and tell the people concerned."""
    await lock_dossiers([line.dossier_id for line in order.lines])
    # As it stands now that no other capture for its dossiers can run.
    order = await payment_row(id=order.id)
    owing = await owed([line.dossier_id for line in order.lines])
    left, shares = money.amount, {}
    for line in order.lines:
        take = min(left, owing.get(line.dossier_id, 0))
        if take:
            shares[line.dossier_id] = take
            left -= take
    covered = [dossier_id for dossier_id, take in shares.items() if take == owing[dossier_id]]
    settled = set(await dossiers.settle_fees(covered))
    # Settled by another order in between (only where no lock serialised it): its share
    # stays with this money, to be refunded.
    lost = [dossier_id for dossier_id in covered if dossier_id not in settled]
    for dossier_id in lost:
        del shares[dossier_id]
    applied = sum(shares.values())
    reason = _reason(order, sum(owing.values()), bool(lost))
    receipted = bool(await Receipt.select(Receipt.id).where(Receipt.payment == order.id))
    target = await _booking(order, shares, now) if applied and receipted else order
    for dossier_id, take in shares.items():
        await PaymentDossier.update({PaymentDossier.paid: PaymentDossier.paid + take}).where(
            (PaymentDossier.payment == target.id) & (PaymentDossier.dossier_id == dossier_id)
        )
    capture_id = await _record(money, target, applied, reason, now)
    received = target.received_amount + money.amount
    # Short of its amount, an order is "partial" while its dossiers still owe: money
    # that reached them another way in between leaves nothing more to pay through it.
    still = sum(
        owing[line.dossier_id] - shares.get(line.dossier_id, 0)
        for line in target.lines
        if line.dossier_id not in lost
    )
    status: PaymentStatus = "paid" if received >= target.amount or not still else "partial"
    changes: dict[Any, Any] = {
        Payment.received_amount: received,
        Payment.status: status,
        Payment.duplicate_amount: target.duplicate_amount + money.amount - applied,
    }
    if target.paid_at is None:
        changes[Payment.paid_at] = now
    if not target.transaction_no:
        changes |= {
            Payment.transaction_no: money.transaction_no[:64],
            Payment.bank_code: money.bank_code[:32],
        }
    await Payment.update(changes).where(Payment.id == target.id)
    if applied:  # the order (or the one booked for it) has no receipt yet
        await receipts.issue(target.id, target.agency_code, applied, now)
    if status == "paid" and target.status != "paid":
        await settled_event(target, capture_id, now)
    for dossier_id in shares:
        kind = "payment.confirmed" if dossier_id in settled else "payment.partial"
        told = "paid" if dossier_id in settled else "partial"
        await tell(target.only(dossier_id), kind, told, now, capture=capture_id)
    if money.amount > applied:
        await tell(order, "payment.excess", "refund", now, capture=capture_id)
    excess = money.amount - applied
    return Allocated(
        capture_id=capture_id,
        payment_id=target.id,
        applied=applied,
        excess=excess,
        reason=reason if excess else "",
        before=order.status,
    )


async def by_key(key: str) -> Allocated | None:
    """What became of the capture recorded under this key, if any (for a replay's
    answer)."""
    rows = await fetch(
        "SELECT id, payment, applied, excess, reason FROM payments_capture WHERE key = {}",
        key,
    )
    if not rows:
        return None
    row = rows[0]
    return Allocated(
        capture_id=row["id"],
        payment_id=row["payment"],
        applied=row["applied"],
        excess=row["excess"],
        reason=row["reason"],
        before=None,
    )
