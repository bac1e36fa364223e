"""What the figures (``backend/stats``) need of payments: the dossiers whose fees were
paid, by the Vietnamese day they were paid (a payment's ``paid_at``).

Only this domain's tables (``payments_payment``, ``payments_dossier``); the stats
domain asks the dossiers' service at which agency each dossier was received.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.db import fetch
from backend.db.dialect import Sql
from backend.vietnam import VIETNAM


class PaidDossier(msgspec.Struct, frozen=True):
    """A dossier whose fees were paid on ``day``; ``online``: at least one of that
    day's payments for it went through a gateway (any provider but cash)."""

    day: dt.date
    dossier_id: int
    online: bool


# Payments drive (CROSS JOIN keeps SQLite from starting elsewhere), found by the day
# they were paid: the index on paid_at makes this a range scan, and NOINDEX keeps
# SQLite off the status index.
_PAID = (
    "SELECT VNDAY(p.paid_at) AS day, pd.dossier_id AS dossier_id,"
    " MAX(CASE WHEN p.provider <> 'cash' THEN 1 ELSE 0 END) AS online"
    " FROM payments_payment p CROSS JOIN payments_dossier pd"
    " WHERE pd.payment = p.id AND NOINDEX p.status = 'paid' AND p.paid_at >= {} RANGE_END"
    " GROUP BY 1, 2"
)
_PAID_BETWEEN = Sql(_PAID.replace("RANGE_END", "AND p.paid_at < {}"))
_PAID_SINCE = Sql(_PAID.replace("RANGE_END", ""))
_FIRST = "SELECT MIN(paid_at) AS paid FROM payments_payment WHERE status = 'paid'"


async def paid_dossiers(start: dt.datetime, end: dt.datetime | None = None) -> list[PaidDossier]:
    """Each dossier paid for at or after ``start`` (and before ``end``, if given), once
    per Vietnamese day it was paid for."""
    if end is None:
        rows = await fetch(_PAID_SINCE(), start)
    else:
        rows = await fetch(_PAID_BETWEEN(), start, end)
    return msgspec.convert(rows, list[PaidDossier], strict=False)


async def first_paid_day() -> dt.date | None:
    """The first Vietnamese day any payment was made."""
    moment = msgspec.convert((await fetch(_FIRST))[0]["paid"], dt.datetime | None, strict=False)
    return None if moment is None else moment.astimezone(VIETNAM).date()
