"""A dossier's fees: fixed on submission from the catalogue's definitions, settled and
refunded by the payments domain (inside its own transactions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec

from backend.catalogue import service as catalogue
from backend.catalogue.schemas import FeeRuleRead
from backend.dossiers.tables import Dossier


def fees_due(
    fees: list[dict[str, Any]],
    channel: str,
    answers: dict[str, str],
    *,
    rules: Sequence[FeeRuleRead],
    on: dt.date,
    agency_code: str,
    group: str,
) -> dict[Any, Any]:
    """The columns of the fee lines a submitted dossier owes, computed here from the
    catalogue's definitions, never taken from a client, and fixed from then on: the
    procedure's fee rules in force ``on`` the Vietnamese day of submission, for the
    receiving agency, the channel and the applicant group declared ("" for none; its
    evidence checked before). Each line names the rule that lowered it (``rule_vi``)."""
    lines = catalogue.fee_lines(
        fees, channel, answers, rules=rules, on=on, agency_code=agency_code, group=group
    )
    total = catalogue.fees_total(lines)
    return {
        Dossier.fee_lines: msgspec.to_builtins(lines),
        Dossier.fee_total: total,
        Dossier.payment_status: "unpaid" if total > 0 else "none",
    }


async def settle_fees(dossier_ids: list[int]) -> list[int]:
    """Mark these dossiers' fees paid, inside the caller's transaction; returns the ones
    that were unpaid (the others were settled by an earlier payment)."""
    if not dossier_ids:
        return []
    rows = (
        await Dossier.update({Dossier.payment_status: "paid"})
        .where(Dossier.id.is_in(dossier_ids) & (Dossier.payment_status == "unpaid"))
        .returning(Dossier.id)
    )
    return sorted(int(row["id"]) for row in rows)


class FeeState(msgspec.Struct, frozen=True, kw_only=True):
    """Where a dossier's fees stand, for the payments domain to apply money to them."""

    id: int
    fee_total: int
    status: str
    payment_status: str


async def fee_states(dossier_ids: list[int]) -> dict[int, FeeState]:
    """These dossiers' fee totals and states, inside the caller's transaction: for the
    payments domain applying money an order of its own names them for (no principal:
    the gateway's word is the authority)."""
    if not dossier_ids:
        return {}
    rows = await Dossier.select(
        Dossier.id, Dossier.fee_total, Dossier.status, Dossier.payment_status
    ).where(Dossier.id.is_in(dossier_ids))
    return {row["id"]: msgspec.convert(row, FeeState) for row in rows}


async def mark_refunded(dossier_id: int) -> None:
    await Dossier.update({Dossier.payment_status: "refunded"}).where(
        (Dossier.id == dossier_id) & (Dossier.payment_status == "paid")
    )
