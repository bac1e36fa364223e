"""What is counted: the metrics, their families, and the days they are counted by.

Each metric is one number per Vietnamese calendar day and agency (``PROVINCE`` holds
each day's sum over the agencies); ``backend.stats.service`` documents each one. A
family is the metrics one kind of row gives; a change recomputes its family only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from backend.vietnam import VIETNAM

PROVINCE = "*"
CHANNELS = ("online", "counter", "post", "assisted")
METRICS: tuple[str, ...] = (
    "received",
    *(f"received.{channel}" for channel in CHANNELS),
    "received.full",
    "received.partial",
    "received.online_capable",
    "received.full_online",
    "received.partial_online",
    "resolved",
    "resolved.on_time",
    "resolved.days_sum",
    "resolved.unhappy",
    "paid.count",
    "paid.online",
    "ratings.count",
    "ratings.satisfied",
    "ratings.counter",
    "ratings.counter_satisfied",
    "ratings.dossier",
    "ratings.dossier_satisfied",
    "feedback.received",
    "feedback.answered",
    "feedback.on_time",
    "feedback.rated",
    "feedback.rated_satisfied",
    "feedback.unhappy",
)
# Each family of metrics comes from one kind of row, and is replaced as a whole: a
# change to a rating recomputes the ratings of its day, not the dossiers.
FAMILIES: dict[str, tuple[str, ...]] = {
    "received": tuple(m for m in METRICS if m.startswith("received")),
    "resolved": tuple(m for m in METRICS if m.startswith("resolved")),
    "paid": ("paid.count", "paid.online"),
    "ratings": tuple(m for m in METRICS if m.startswith("ratings.")),
    "feedback.received": ("feedback.received",),
    "feedback.answered": tuple(
        m for m in METRICS if m.startswith("feedback.") and m != "feedback.received"
    ),
}
# A first aggregation, and a recomputation, go this many days at a time at most.
BATCH_DAYS = 31

Pair = tuple[dt.date, str]  # (Vietnamese calendar day, agency code)
Values = dict[Pair, dict[str, int]]  # metric -> value, by pair
Touched = dict[str, set[Pair]]  # the pairs to recompute, by family


def vietnam_today(now: dt.datetime) -> dt.date:
    return now.astimezone(VIETNAM).date()


def start_of(day: dt.date) -> dt.datetime:
    """The first moment of a Vietnamese calendar day."""
    return dt.datetime.combine(day, dt.time(), VIETNAM)


def ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as ranges of at most BATCH_DAYS days."""
    found: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if found:
            first, last = found[-1]
            if day == last + dt.timedelta(days=1) and (day - first).days < BATCH_DAYS:
                found[-1] = (first, day)
                continue
        found.append((day, day))
    return found
