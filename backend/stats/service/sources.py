"""The metrics, computed from what the other domains count: each domain's service gives
its own rows' counts by day and agency (dossiers, payments, ratings and feedback), the
catalogue the procedures at each online level (dossiers count the received by those
groups of codes), and this module puts them together. No SQL
here: this domain reads no other domain's table.

Two counts need two domains at once, and are put together without an unbounded list
of ids:

- ``paid.*`` is by the agency that received the dossier: payments give the dossiers
  paid each day (a day's or a month's payments), dossiers the agency of each.
- ``resolved.unhappy`` is: late, or on time but rated 1-2 or complained about. The
  late are ``resolved - on_time``; for the others, feedback gives the dossiers people
  were unhappy with among the ids of those on time (the range the dossiers' counts
  report, a few weeks of ids), and dossiers count which of them were on time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from backend.catalogue import service as catalogue
from backend.dossiers import service as dossiers
from backend.feedback import service as feedback
from backend.payments import service as payments
from backend.stats.service.metrics import FAMILIES, Touched, Values, start_of

# The catalogue's levels of procedures offered online, fully or partly.
ONLINE_LEVELS = ("full", "partial")


class _Sums:
    """Values being added up, by (day, agency) and metric; zeroes are left out."""

    def __init__(self) -> None:
        self.values: Values = defaultdict(lambda: defaultdict(int))

    def add(self, day: dt.date | None, agency: str, metric: str, n: int) -> None:
        if day is not None and agency and n:
            self.values[(day, agency)][metric] += n


async def _received(sums: _Sums, start: dt.datetime, end: dt.datetime) -> None:
    # The procedure's online level now, when the day is aggregated.
    levels = await catalogue.procedure_codes_by_level()
    groups = {level: levels.get(level, []) for level in ONLINE_LEVELS}
    for row in await dossiers.received_counts(start, end, groups):
        day, agency, n = row.day, row.agency, row.count
        sums.add(day, agency, "received", n)
        sums.add(day, agency, f"received.{row.channel}", n)
        if row.group:
            sums.add(day, agency, f"received.{row.group}", n)
            sums.add(day, agency, "received.online_capable", n)
            if row.channel == "online":
                sums.add(day, agency, f"received.{row.group}_online", n)


async def _resolved(sums: _Sums, start: dt.datetime, end: dt.datetime) -> None:
    rows = await dossiers.resolved_counts(start, end)
    for row in rows:
        sums.add(row.day, row.agency, "resolved", row.resolved)
        sums.add(row.day, row.agency, "resolved.on_time", row.on_time)
        sums.add(row.day, row.agency, "resolved.days_sum", row.days_sum)
        sums.add(row.day, row.agency, "resolved.unhappy", row.resolved - row.on_time)
    firsts = [row.first_on_time_id for row in rows if row.first_on_time_id is not None]
    lasts = [row.last_on_time_id for row in rows if row.last_on_time_id is not None]
    if not firsts:
        return
    unhappy = await feedback.unhappy_dossier_ids(min(firsts), max(lasts))
    for count in await dossiers.on_time_among(start, end, unhappy):
        sums.add(count.day, count.agency, "resolved.unhappy", count.count)


async def _paid(sums: _Sums, start: dt.datetime, end: dt.datetime) -> None:
    rows = await payments.paid_dossiers(start, end)
    agencies = await dossiers.dossier_days({row.dossier_id for row in rows})
    for row in rows:
        of = agencies.get(row.dossier_id)
        if of is not None:  # a dossier cleaned up since counts nowhere
            sums.add(row.day, of.receiving_agency, "paid.count", 1)
            sums.add(row.day, of.receiving_agency, "paid.online", int(row.online))


async def _ratings(sums: _Sums, first: dt.date, last: dt.date) -> None:
    for row in await feedback.rating_counts(first, last):
        sums.add(row.day, row.agency, "ratings.count", row.count)
        sums.add(row.day, row.agency, "ratings.satisfied", row.satisfied)
        if row.source in ("counter", "dossier"):
            sums.add(row.day, row.agency, f"ratings.{row.source}", row.count)
            sums.add(row.day, row.agency, f"ratings.{row.source}_satisfied", row.satisfied)


async def _feedback_received(sums: _Sums, first: dt.date, last: dt.date) -> None:
    for row in await feedback.feedback_received_counts(first, last):
        sums.add(row.day, row.agency, "feedback.received", row.count)


async def _feedback_answered(sums: _Sums, first: dt.date, last: dt.date) -> None:
    for row in await feedback.feedback_answered_counts(first, last):
        sums.add(row.day, row.agency, "feedback.answered", row.answered)
        sums.add(row.day, row.agency, "feedback.on_time", row.on_time)
        sums.add(row.day, row.agency, "feedback.rated", row.rated)
        sums.add(row.day, row.agency, "feedback.rated_satisfied", row.rated_satisfied)
        sums.add(row.day, row.agency, "feedback.unhappy", row.unhappy)


async def compute(
    first: dt.date, last: dt.date, families: Iterable[str] = tuple(FAMILIES)
) -> Values:
    """The metrics of these families, of every agency, on the days ``first`` to
    ``last``, from the other domains' rows. Zero values are left out."""
    sums = _Sums()
    start, end = start_of(first), start_of(last + dt.timedelta(days=1))
    wanted = set(families)
    if "received" in wanted:
        await _received(sums, start, end)
    if "resolved" in wanted:
        await _resolved(sums, start, end)
    if "paid" in wanted:
        await _paid(sums, start, end)
    if "ratings" in wanted:
        await _ratings(sums, first, last)
    if "feedback.received" in wanted:
        await _feedback_received(sums, first, last)
    if "feedback.answered" in wanted:
        await _feedback_answered(sums, first, last)
    return {
        pair: {metric: n for metric, n in metrics.items() if n}
        for pair, metrics in sums.values.items()
        if first <= pair[0] <= last
    }


async def touched_since(since: dt.datetime) -> Touched:
    """For each family, the (day, agency) pairs that rows changed at or after
    ``since`` count in."""
    touched: Touched = {family: set() for family in FAMILIES}

    def take(family: str, day: dt.date | None, agency: str | None) -> None:
        if day is not None and agency:
            touched[family].add((day, agency))

    for changed in await dossiers.dossiers_changed_since(since):
        take("received", changed.received_day, changed.receiving_agency)
        take("resolved", changed.result_day, changed.agency)
    ratings = await feedback.ratings_changed_since(since)
    items = await feedback.feedback_changed_since(since)
    paid = await payments.paid_dossiers(since)
    # One look-up of the dossiers these rows are about: a rating or a feedback may
    # change its dossier's satisfaction, a payment counts where the dossier was received.
    about = await dossiers.dossier_days(
        {rating.dossier_id for rating in ratings if rating.dossier_id is not None}
        | {item.dossier_id for item in items if item.dossier_id is not None}
        | {payment.dossier_id for payment in paid}
    )

    def take_result(dossier_id: int | None) -> None:
        subject = None if dossier_id is None else about.get(dossier_id)
        if subject is not None:
            take("resolved", subject.result_day, subject.agency)

    for rating in ratings:
        take("ratings", rating.day, rating.agency)
        take_result(rating.dossier_id)
    for item in items:
        take("feedback.received", item.received_day, item.first_agency)
        take("feedback.answered", item.answered_day, item.agency)
        take_result(item.dossier_id)
    for payment in paid:
        if (of := about.get(payment.dossier_id)) is not None:
            take("paid", payment.day, of.receiving_agency)
    return {family: pairs for family, pairs in touched.items() if pairs}


async def first_day() -> dt.date | None:
    """The first day anything was received, resolved, paid, rated or sent."""
    days = [
        await dossiers.first_dossier_day(),
        await payments.first_paid_day(),
        await feedback.first_feedback_day(),
    ]
    return min((day for day in days if day is not None), default=None)
