"""Bringing the daily aggregates up to date: the first aggregation, a batch of days at a
time within a time budget, then incremental refreshes of the (day, agency) pairs that
changed rows count in (``backend.stats.service`` tells the whole story)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from backend.stats.service import store
from backend.stats.service.metrics import BATCH_DAYS, FAMILIES, Pair, Touched, ranges, vietnam_today
from backend.stats.service.sources import compute, first_day, touched_since

logger = logging.getLogger("motcua.stats")

# Rows changed this long before a refresh are looked at again by the next one: a
# transaction that took its timestamp before the refresh but committed after it.
MARGIN_MS = 2 * 60 * 1000
# How long a refresh may hold the state row (a worker that died lets go after this).
LEASE_MS = 10 * 60 * 1000
# A first aggregation stops after this many seconds a call and goes on at the next.
BUDGET_S = 5.0
# Days older than this are final: a late change to one of their rows is not counted.
FROZEN_DAYS = 92


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


async def rebuild(first: dt.date, last: dt.date) -> int:
    """Aggregate the days ``first`` to ``last`` again from the other domains' rows,
    for every agency and metric. For data imported late: rows deleted since (clean-up)
    are then lost from those days' figures. Returns the number of days."""
    day = first
    while day <= last:
        end = min(day + dt.timedelta(days=BATCH_DAYS - 1), last)
        values = await compute(day, end)
        rows = [
            (pair[0], pair[1], metric, n)
            for pair, metrics in sorted(values.items())
            for metric, n in sorted(metrics.items())
        ]
        await store.replace_range(day, end, rows)
        day = end + dt.timedelta(days=1)
    return max(0, (last - first).days + 1)


async def recompute(touched: Touched) -> None:
    """Compute exactly these families of these (day, agency) pairs again and replace
    them, then the province's rows of their days. The reads come first; the writes
    are one short transaction."""
    deletes: list[tuple[str, dt.date, tuple[str, ...]]] = []
    rows: list[store.Row] = []
    for family, pairs in sorted(touched.items()):
        metrics = FAMILIES[family]
        for first, last in ranges(day for day, _ in pairs):
            values = await compute(first, last, (family,))
            for day, agency in sorted(pair for pair in pairs if first <= pair[0] <= last):
                deletes.append((agency, day, metrics))
                rows.extend(
                    (day, agency, metric, n)
                    for metric, n in sorted(values.get((day, agency), {}).items())
                )
    if deletes:
        await store.replace_pairs(deletes, rows)


@dataclass
class Refreshed:
    """What one call of ``refresh_once`` did."""

    claimed: bool = False
    # Pairs computed again by an incremental refresh (any family), sorted.
    pairs: list[Pair] = field(default_factory=list)
    # The same by family of metrics.
    families: dict[str, list[Pair]] = field(default_factory=dict)
    # Days aggregated by a first (full) aggregation in this call.
    days: int = 0
    # False while a first aggregation is still under way.
    done: bool = True


async def refresh_once(now: dt.datetime, budget_s: float = BUDGET_S) -> Refreshed:
    """One round of the refresh (see ``backend.stats.service``)."""
    await store.ensure_state()
    state = await store.claim(int(time.time() * 1000), LEASE_MS)
    if state is None:
        return Refreshed()
    try:
        if state.watermark_ms == 0 or state.rebuild_from is not None:
            return await _first_aggregation(now, state, budget_s)
        return await _incremental(now, state.watermark_ms)
    finally:
        await store.release()


async def _first_aggregation(now: dt.datetime, state: store.State, budget_s: float) -> Refreshed:
    today = vietnam_today(now)
    day = state.rebuild_from
    started_ms = state.rebuild_started_ms
    if day is None:
        day = await first_day() or today
        started_ms = _ms(now)
        await store.save(rebuild_from=day, rebuild_started_ms=started_ms)
    deadline = time.monotonic() + budget_s
    done = 0
    while day <= today:
        last = min(day + dt.timedelta(days=BATCH_DAYS - 1), today)
        done += await rebuild(day, last)
        day = last + dt.timedelta(days=1)
        await store.save(rebuild_from=day)
        if time.monotonic() >= deadline:
            break
    if day <= today:
        logger.info("stats: first aggregation under way", extra={"fields": {"next_day": str(day)}})
        return Refreshed(claimed=True, days=done, done=False)
    await store.save(
        rebuild_from=None, watermark_ms=max(1, started_ms - MARGIN_MS), refreshed_at=now
    )
    return Refreshed(claimed=True, days=done)


async def _incremental(now: dt.datetime, watermark_ms: int) -> Refreshed:
    oldest = vietnam_today(now) - dt.timedelta(days=FROZEN_DAYS)
    touched = {
        family: kept
        for family, pairs in (await touched_since(_moment(watermark_ms))).items()
        if (kept := {pair for pair in pairs if pair[0] >= oldest})
    }
    await recompute(touched)
    await store.save(watermark_ms=max(watermark_ms, _ms(now) - MARGIN_MS), refreshed_at=now)
    return Refreshed(
        claimed=True,
        pairs=sorted(set().union(*touched.values())),
        families={family: sorted(pairs) for family, pairs in touched.items()},
    )


async def refresh(now: dt.datetime) -> int:
    """The outbox worker's chore: bring the daily aggregates up to date. Returns how
    many (day, agency) pairs or days were aggregated."""
    result = await refresh_once(now)
    return len(result.pairs) + result.days
