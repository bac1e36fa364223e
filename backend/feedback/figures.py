"""What the figures (``backend/stats``) need of ratings and feedback: counts by
Vietnamese calendar day and agency, what changed, the dossiers people were unhappy
with, and the live counts of open feedback past its deadline.

Only this domain's tables (``feedback_rating``, ``feedback_item``). A rating counts
on its day at the rated agency (``agency_code``): a counter's agency, or for a
dossier the agency that handled it and gave its result (the dossier's
``agency_code``, which after a transfer is not the one that received it: the agency
its result counts at in the figures); feedback on the day received at the agency
first given it, and on the day answered at the agency that answered. Satisfied: 4 or
5 out of 5; unhappy: 1 or 2. Only counted ratings (their visit proven, not held in a
burst) and accepted feedback (not held, not rejected) are counted (issue 15).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from backend.db import fetch
from backend.db.dialect import Sql


class RatingCount(msgspec.Struct, frozen=True):
    day: dt.date
    agency: str
    source: str  # "counter" | "dossier"
    count: int
    satisfied: int


class FeedbackReceived(msgspec.Struct, frozen=True):
    day: dt.date
    agency: str
    count: int


class FeedbackAnswered(msgspec.Struct, frozen=True):
    """Feedback answered on ``day`` by ``agency``: on time, rated by the person, rated
    4-5, and unhappy (answered late, or rated 1-2)."""

    day: dt.date
    agency: str
    answered: int
    on_time: int
    rated: int
    rated_satisfied: int
    unhappy: int


class RatingChange(msgspec.Struct, frozen=True):
    day: dt.date
    agency: str
    dossier_id: int | None


class FeedbackChange(msgspec.Struct, frozen=True):
    received_day: dt.date
    first_agency: str
    answered_day: dt.date | None
    agency: str
    dossier_id: int | None


# Status is nearly always the same value: never the index that drives these (SQLite
# would otherwise read every counted rating instead of the days asked for).
_RATINGS = Sql(
    "SELECT day, agency_code AS agency, source, COUNT(*) AS count,"
    " SUM(CASE WHEN overall >= 4 THEN 1 ELSE 0 END) AS satisfied"
    " FROM feedback_rating WHERE day >= {} AND day <= {} AND NOINDEX status = 'counted'"
    " GROUP BY 1, 2, 3"
)
_RECEIVED = Sql(
    "SELECT received_day AS day, first_agency AS agency, COUNT(*) AS count"
    " FROM feedback_item WHERE received_day >= {} AND received_day <= {}"
    # Feedback held for review (a burst about one target) or rejected is in no figure.
    " AND NOINDEX status IN ('open', 'answered')"
    " GROUP BY 1, 2"
)
_ANSWERED = (
    "SELECT answered_day AS day, agency_code AS agency, COUNT(*) AS answered,"
    " SUM(CASE WHEN on_time THEN 1 ELSE 0 END) AS on_time,"
    " SUM(CASE WHEN answer_rating IS NOT NULL THEN 1 ELSE 0 END) AS rated,"
    " SUM(CASE WHEN answer_rating >= 4 THEN 1 ELSE 0 END) AS rated_satisfied,"
    " SUM(CASE WHEN on_time THEN (CASE WHEN answer_rating <= 2 THEN 1 ELSE 0 END)"
    " ELSE 1 END) AS unhappy"
    " FROM feedback_item WHERE answered_day >= {} AND answered_day <= {}"
    " GROUP BY 1, 2"
)
# Both by the dossier_id indexes: the range is that of the dossiers the caller counts.
_UNHAPPY = Sql(
    "SELECT dossier_id FROM feedback_rating"
    " WHERE dossier_id >= {} AND dossier_id <= {} AND overall <= 2"
    " AND NOINDEX status = 'counted'"
    " UNION SELECT dossier_id FROM feedback_item WHERE dossier_id >= {} AND dossier_id <= {}"
    " AND NOINDEX status IN ('open', 'answered')"
)
# Few rows changed since the last refresh: by updated_at, whatever SQLite guesses (it
# would otherwise scan the day index for the DISTINCT, 0.5 s on 200,000 ratings).
_RATINGS_CHANGED = Sql(
    "SELECT DISTINCT day, agency_code AS agency, dossier_id"
    " FROM feedback_rating WHERE RARE(updated_at >= {})RARE"
)
_FEEDBACK_CHANGED = Sql(
    "SELECT DISTINCT received_day, first_agency, answered_day, agency_code AS agency,"
    " dossier_id FROM feedback_item WHERE RARE(updated_at >= {})RARE"
)
_FIRST = (
    "SELECT (SELECT MIN(day) FROM feedback_rating) AS rated,"
    " (SELECT MIN(received_day) FROM feedback_item) AS received"
)
# Open feedback is rare, and nearly every deadline is past: by status, whatever
# SQLite's statistics say.
_OVERDUE = Sql(
    "SELECT agency_code AS agency, COUNT(*) AS n FROM feedback_item"
    " WHERE RARE(status = 'open')RARE AND NOINDEX due_date < {} GROUP BY agency_code"
)


async def rating_counts(first: dt.date, last: dt.date) -> list[RatingCount]:
    """Ratings of the days ``first`` to ``last``, by day, agency and source."""
    rows = await fetch(_RATINGS(), first, last)
    return msgspec.convert(rows, list[RatingCount], strict=False)


async def feedback_received_counts(first: dt.date, last: dt.date) -> list[FeedbackReceived]:
    """Feedback received on the days ``first`` to ``last``, by day and first agency."""
    rows = await fetch(_RECEIVED(), first, last)
    return msgspec.convert(rows, list[FeedbackReceived], strict=False)


async def feedback_answered_counts(first: dt.date, last: dt.date) -> list[FeedbackAnswered]:
    """Feedback answered on the days ``first`` to ``last``, by day and agency."""
    rows = await fetch(_ANSWERED, first, last)
    return msgspec.convert(rows, list[FeedbackAnswered], strict=False)


async def unhappy_dossier_ids(first_id: int, last_id: int) -> set[int]:
    """The dossiers with ids from ``first_id`` to ``last_id`` that their applicant
    rated 1 or 2, or that are the subject of a feedback (Decision 766's unhappy)."""
    rows = await fetch(_UNHAPPY(), first_id, last_id, first_id, last_id)
    return {int(row["dossier_id"]) for row in rows}


async def ratings_changed_since(since: dt.datetime) -> list[RatingChange]:
    rows = await fetch(_RATINGS_CHANGED(), since)
    return msgspec.convert(rows, list[RatingChange], strict=False)


async def feedback_changed_since(since: dt.datetime) -> list[FeedbackChange]:
    rows = await fetch(_FEEDBACK_CHANGED(), since)
    return msgspec.convert(rows, list[FeedbackChange], strict=False)


async def first_feedback_day() -> dt.date | None:
    """The first day anything was rated or any feedback received."""
    row = (await fetch(_FIRST))[0]
    days = msgspec.convert([row["rated"], row["received"]], list[dt.date | None], strict=False)
    return min((day for day in days if day is not None), default=None)


async def overdue_feedback_counts(today: dt.date) -> dict[str, int]:
    """Open feedback whose deadline is before ``today``, by the agency holding it (an
    agency with none is left out)."""
    rows = await fetch(_OVERDUE(), today)
    return {str(row["agency"]): int(row["n"]) for row in rows}
