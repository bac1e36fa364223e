"""Bursts held for review (issue 15): what one person can do with a valid visit code and
a browser that drops its cookies, or with a script sending feedback, must not move a
public figure nor start deadlines officials have to meet.

- A counter's ratings: more than ``counter_rating_burst`` within
  ``counter_rating_burst_minutes`` is more than a counter serves (a person every few
  minutes, and not every one rates), so the rating is held, and so are the ratings of
  the same burst counted before it, which were part of it; more than
  ``IDENTICAL_RATINGS`` identical ones (every answer and the comment alike) within the
  window are held too, since a script sends the same answers again.
- Feedback about one target (a dossier, a counter, a procedure at an agency, an
  agency): more than ``feedback_burst`` within ``feedback_burst_minutes`` are held
  without a deadline until a leader releases them; past ``FEEDBACK_REFUSED_AFTER``
  times that, more is refused (429), so a flood cannot fill the review list.

Counting and inserting are one transaction per counter or target: SQLite's write lock
does it, and on PostgreSQL a transaction-scoped advisory lock on the key, so a burst
sent all at once is counted as it is.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from typing import Any

import msgspec

from backend.db import fetch
from backend.db.dialect import Sql, is_postgres, list_param

# The advisory lock spaces (payments use 7_000_001 and 7_000_003).
COUNTER_LOCK = 7_000_015
TARGET_LOCK = 7_000_016
IDENTICAL_RATINGS = 3
FEEDBACK_REFUSED_AFTER = 4


async def lock(space: int, key: str) -> None:
    """Inside a write transaction: ``key``'s burst is ours to count until it ends."""
    if is_postgres():
        number = zlib.crc32(key.encode())
        await fetch("SELECT pg_advisory_xact_lock({}, {})", space, number - 2**31)


class _Recent(msgspec.Struct, kw_only=True):
    id: int
    status: str
    reviewed_by: int | None
    overall: int
    info: int | None
    speed: int | None
    convenience: int | None
    attitude: int | None
    comment: str

    @property
    def answers(self) -> tuple[Any, ...]:
        return (self.overall, self.info, self.speed, self.convenience, self.attitude, self.comment)


_RECENT_RATINGS = (
    "SELECT id, status, reviewed_by, overall, info, speed, convenience, attitude, comment"
    " FROM feedback_rating WHERE agency_code = {} AND counter_number = {}"
    " AND created_at >= {} AND created_at <= {} AND source = 'counter'"
)


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # "counted" | "held"
    reason: str = ""  # "burst" | "identical"
    # The ratings counted before this one that were part of the same burst.
    also_hold: list[int] = field(default_factory=list)


async def judge_counter_rating(
    agency_code: str,
    number: int,
    window: tuple[dt.datetime, dt.datetime],
    answers: tuple[Any, ...],
    burst: int,
) -> Verdict:
    """Whether a new rating of the counter, with ``answers``, counts or is held, given
    its ratings within ``window`` (since, now). A rating a leader released stays counted."""
    rows = msgspec.convert(
        await fetch(_RECENT_RATINGS, agency_code, number, *window), list[_Recent], strict=False
    )
    unreviewed = [row for row in rows if row.status == "counted" and row.reviewed_by is None]
    if len(rows) + 1 > burst:
        return Verdict("held", "burst", [row.id for row in unreviewed])
    alike = [row for row in rows if row.answers == answers]
    if len(alike) + 1 > IDENTICAL_RATINGS:
        return Verdict("held", "identical", [row.id for row in unreviewed if row in alike])
    return Verdict("counted")


_HOLD = Sql(
    "UPDATE feedback_rating SET status = 'held', held_reason = {}, updated_at = {}"
    " WHERE status = 'counted' AND id IN_IDS({})"
)


async def hold_ratings(ids: list[int], reason: str, now: dt.datetime) -> None:
    if ids:
        await fetch(_HOLD(), reason, now, list_param(ids))


_RECENT_FEEDBACK = (
    "SELECT COUNT(*) AS n FROM feedback_item WHERE target_key = {}"
    " AND created_at >= {} AND created_at <= {}"
)


async def feedback_about(target_key: str, window: tuple[dt.datetime, dt.datetime]) -> int:
    """How much feedback about ``target_key`` came within ``window`` (since, now),
    whatever became of it."""
    return int((await fetch(_RECENT_FEEDBACK, target_key, *window))[0]["n"])
