"""A dossier's fees: fixed on submission from the catalogue's definitions, settled and
refunded by the payments domain (inside its own transactions)."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.catalogue import service as catalogue
from backend.dossiers.tables import Dossier


def fees_due(fees: list[dict[str, Any]], channel: str, answers: dict[str, str]) -> dict[Any, Any]:
    """The columns of the fee lines a submitted dossier owes, computed here from the
    catalogue's definitions, never taken from a client. The channel decides between a
    line's online and full amount: online and mobile-team ("assisted") dossiers are
    charged the online one (``catalogue.fees.ONLINE_FEE_CHANNELS``)."""
    lines = catalogue.fee_lines(fees, channel, answers)
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


async def mark_refunded(dossier_id: int) -> None:
    await Dossier.update({Dossier.payment_status: "refunded"}).where(
        (Dossier.id == dossier_id) & (Dossier.payment_status == "paid")
    )
