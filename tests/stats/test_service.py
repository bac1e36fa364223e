"""The figures, number by number, from the fixture of tests/stats/conftest.py; the
incremental refresh recomputes exactly the (day, agency) pairs a change touches; and
figures survive the clean-up of old rows.

The tests of this module run in order on one database of their own: the last ones
change the data.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from backend.catalogue.service import DEMO_CATALOGUE
from backend.db import Database, fetch
from backend.dossiers.tables import Dossier
from backend.feedback.tables import Feedback, Rating
from backend.stats import service
from backend.stats.schemas import Rate
from backend.stats.tables import StatsState
from tests.stats.conftest import (
    NOW,
    A,
    B,
    World,
    build_world,
    d,
    open_database,
    payment,
    rating,
)

OCTOBER = (d(1), d(20))


@dataclass
class Seeded:
    world: World
    database: Database
    calls: int  # refresh calls the first aggregation took with no time budget


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seeded]:
    _, database = await open_database(tmp_path_factory.mktemp("stats"), "stats")
    world = await build_world()
    calls = 0
    while True:
        calls += 1
        result = await service.refresh_once(NOW, budget_s=0)
        assert result.claimed
        if result.done:
            break
    yield Seeded(world, database, calls)
    await database.close()


def ids(seeded: Seeded) -> dict[str, int]:
    return seeded.world.ids


async def test_the_first_aggregation_goes_a_month_of_days_a_call(seeded: Seeded) -> None:
    # 1 June to 20 October: five batches of at most 31 days.
    assert seeded.calls == 5
    rows = await StatsState.select().where(StatsState.name == "daily")
    state = rows[0]
    assert state["rebuild_from"] is None
    # Changes from two minutes before the aggregation started are looked at next.
    assert state["watermark_ms"] == int(NOW.timestamp() * 1000) - service.MARGIN_MS
    assert state["lease_until_ms"] == 0


PROVINCE_OCTOBER = {
    "received": 11,
    "received.online": 4,
    "received.counter": 5,
    "received.post": 1,
    "received.assisted": 1,
    "received.full": 6,
    "received.full_online": 2,
    "received.partial": 4,
    "received.partial_online": 2,
    "received.online_capable": 10,
    "resolved": 7,
    "resolved.on_time": 5,
    "resolved.days_sum": 11,
    "resolved.unhappy": 4,
    "paid.count": 4,
    "paid.online": 3,
    "ratings.count": 5,
    "ratings.satisfied": 3,
    "ratings.counter": 3,
    "ratings.counter_satisfied": 2,
    "ratings.dossier": 2,
    "ratings.dossier_satisfied": 1,
    "feedback.received": 5,
    "feedback.answered": 3,
    "feedback.on_time": 2,
    "feedback.rated": 2,
    "feedback.rated_satisfied": 1,
    "feedback.unhappy": 2,
}
A_OCTOBER = {
    "received": 7,
    "received.online": 3,
    "received.counter": 2,
    "received.post": 1,
    "received.assisted": 1,
    "received.full": 4,
    "received.full_online": 2,
    "received.partial": 3,
    "received.partial_online": 1,
    "received.online_capable": 7,
    # a1, a2, a4, a5 and b4 (received at B, resolved at A).
    "resolved": 5,
    "resolved.on_time": 3,
    "resolved.days_sum": 10,
    "resolved.unhappy": 2,
    "paid.count": 3,
    "paid.online": 2,
    "ratings.count": 4,
    "ratings.satisfied": 3,
    "ratings.counter": 3,
    "ratings.counter_satisfied": 2,
    "ratings.dossier": 1,
    "ratings.dossier_satisfied": 1,
    "feedback.received": 3,
    "feedback.answered": 1,
    "feedback.unhappy": 1,
}
B_OCTOBER = {
    "received": 4,
    "received.online": 1,
    "received.counter": 3,
    "received.full": 2,
    "received.partial": 1,
    "received.partial_online": 1,
    "received.online_capable": 3,
    "resolved": 2,
    "resolved.on_time": 2,
    "resolved.days_sum": 1,
    "resolved.unhappy": 2,
    "paid.count": 1,
    "paid.online": 1,
    "ratings.count": 1,
    "ratings.dossier": 1,
    "feedback.received": 2,
    "feedback.answered": 2,
    "feedback.on_time": 2,
    "feedback.rated": 2,
    "feedback.rated_satisfied": 1,
    "feedback.unhappy": 1,
}


def demo_procedures_online() -> Rate:
    procedures = json.loads(DEMO_CATALOGUE.read_text())["procedures"]
    online = [p for p in procedures if p["online_level"] in ("full", "partial")]
    return Rate(len(online), len(procedures))


async def test_the_province_in_october_number_by_number(seeded: Seeded) -> None:
    figures = await service.figures(None, *OCTOBER, now=NOW)
    assert figures.totals == PROVINCE_OCTOBER
    assert figures.overdue_now == 2  # a3 and a7; a6 waits for a supplement
    assert figures.feedback_overdue_now == 1  # f4
    assert figures.on_time == Rate(5, 7)
    assert figures.average_days == pytest.approx(11 / 7)
    assert figures.online == Rate(4, 10)
    assert figures.full_online == Rate(2, 6)
    assert figures.partial_online == Rate(2, 4)
    assert figures.online_of_all == Rate(4, 11)
    assert figures.paid_online == Rate(3, 4)
    assert figures.feedback_on_time == Rate(2, 3)
    assert figures.feedback_satisfaction == Rate(1, 3)
    assert figures.feedback_rated_satisfied == Rate(1, 2)
    assert figures.dossier_satisfaction == Rate(3, 7)
    assert figures.satisfaction == Rate(3, 5)
    assert figures.satisfaction_counter == Rate(2, 3)
    assert figures.satisfaction_dossier == Rate(1, 2)
    assert figures.procedures_online == demo_procedures_online()
    assert figures.refreshed_at == NOW


async def test_each_agency_number_by_number(seeded: Seeded) -> None:
    a = await service.figures(A, *OCTOBER, now=NOW)
    b = await service.figures(B, *OCTOBER, now=NOW)
    assert a.totals == A_OCTOBER
    assert b.totals == B_OCTOBER
    assert (a.overdue_now, b.overdue_now) == (2, 0)
    assert (a.feedback_overdue_now, b.feedback_overdue_now) == (0, 1)
    assert a.on_time == Rate(3, 5) and b.on_time == Rate(2, 2)
    assert a.average_days == pytest.approx(2.0) and b.average_days == pytest.approx(0.5)
    assert a.online == Rate(3, 7) and b.online == Rate(1, 3)
    assert b.full_online == Rate(0, 2)
    assert a.dossier_satisfaction == Rate(3, 5) and b.dossier_satisfaction == Rate(0, 2)
    # The province is the sum of its agencies.
    province = await service.figures(None, *OCTOBER, now=NOW)
    for metric, value in province.totals.items():
        assert a.count(metric) + b.count(metric) == value, metric


async def test_days_are_vietnamese_calendar_days(seeded: Seeded) -> None:
    fifth = await service.figures(A, d(5), d(5), now=NOW)
    sixth = await service.figures(A, d(6), d(6), now=NOW)
    # a3 came at 00:30 on the 6th in Vietnam (the 5th in UTC).
    assert (fifth.count("received"), fifth.count("received.online")) == (3, 1)
    assert (sixth.count("received"), sixth.count("received.online")) == (3, 1)
    assert fifth.count("paid.count") == 3
    # VietQR paid at 00:30 on the 6th in Vietnam: B's 6th, not its 5th.
    assert (await service.figures(B, d(6), d(6), now=NOW)).count("paid.online") == 1
    assert (await service.figures(B, d(5), d(5), now=NOW)).count("paid.count") == 0
    # The June dossier counts in June only.
    june = await service.figures(B, d(1, 6), d(30, 6), now=NOW)
    assert june.totals == {
        "received": 1,
        "received.online": 1,
        "received.full": 1,
        "received.full_online": 1,
        "received.online_capable": 1,
        "resolved": 1,
        "resolved.on_time": 1,
        "resolved.days_sum": 1,
    }
    empty = await service.figures(A, d(1, 7), d(31, 7), now=NOW)
    assert empty.totals == {} and empty.on_time.value is None and empty.average_days is None


async def test_series_by_week_and_by_month(seeded: Seeded) -> None:
    weeks = await service.series(A, *OCTOBER, "week")
    assert [(b.start, b.end) for b in weeks.buckets] == [
        (d(1), d(4)),
        (d(5), d(11)),
        (d(12), d(18)),
        (d(19), d(20)),
    ]
    assert [b.count("received") for b in weeks.buckets] == [0, 6, 1, 0]
    assert [b.count("resolved") for b in weeks.buckets] == [0, 5, 0, 0]
    assert weeks.buckets[1].on_time == Rate(3, 5)
    assert weeks.buckets[0].on_time.value is None
    months = await service.series(None, d(1, 6), d(20), "month")
    assert [b.start for b in months.buckets] == [d(1, m) for m in (6, 7, 8, 9, 10)]
    assert months.buckets[-1].end == d(20)
    assert [b.count("received") for b in months.buckets] == [1, 0, 0, 0, 11]
    days = await service.series(None, d(5), d(7), "day")
    assert [b.count("received") for b in days.buckets] == [6, 3, 0]
    assert [b.count("resolved") for b in days.buckets] == [1, 2, 2]


async def test_a_refresh_holding_the_state_is_not_run_twice(seeded: Seeded) -> None:
    far = 2**62
    await StatsState.update({StatsState.lease_until_ms: far}).where(StatsState.name == "daily")
    try:
        assert not (await service.refresh_once(NOW)).claimed
    finally:
        await StatsState.update({StatsState.lease_until_ms: 0}).where(StatsState.name == "daily")


# ------------------------------------------------- from here on, data changes


LATER = NOW + dt.timedelta(minutes=30)


async def test_a_change_recomputes_only_the_pairs_it_touches(seeded: Seeded) -> None:
    i = ids(seeded)
    # a3 (received at A on the 6th, due the 8th) gets its result today, late.
    await Dossier.update(
        {
            Dossier.status: "result_ready",
            Dossier.result_ready_at: LATER,
            Dossier.updated_at: LATER,
        }
    ).where(Dossier.id == i["a3"])
    result = await service.refresh_once(NOW + dt.timedelta(hours=1))
    assert result.pairs == [(d(6), A), (d(20), A)]
    # Its received day's dossier counts, its result day's results: nothing else.
    assert result.families == {"received": [(d(6), A)], "resolved": [(d(20), A)]}
    figures = await service.figures(None, *OCTOBER, now=NOW + dt.timedelta(hours=1))
    expected = dict(PROVINCE_OCTOBER)
    expected.update(
        {
            "resolved": 8,
            "resolved.days_sum": 11 + 14,
            "resolved.unhappy": 5,
        }
    )
    assert figures.totals == expected
    assert figures.on_time == Rate(5, 8)
    assert figures.overdue_now == 1

    # Nothing changed since: nothing is recomputed.
    assert (await service.refresh_once(NOW + dt.timedelta(hours=2))).pairs == []

    # A counter rating and a payment today: today's pairs, at their agencies.
    await rating(B, "counter", 5, d(20))
    await payment("vnpay", "paid", NOW + dt.timedelta(hours=2, minutes=10), [i["a7"]])
    result = await service.refresh_once(NOW + dt.timedelta(hours=3))
    assert result.pairs == [(d(20), A), (d(20), B)]
    assert result.families == {"paid": [(d(20), A)], "ratings": [(d(20), B)]}
    today = await service.figures(None, d(20), d(20), now=NOW + dt.timedelta(hours=3))
    assert today.count("ratings.count") == 1
    assert today.count("paid.online") == 1
    assert today.count("resolved") == 1

    # A feedback about b2 answered today: its received day at B, today at B, and
    # b2's result day (the 5th, at B) whose dossier satisfaction changes.
    rows = await Feedback.insert(
        Feedback(
            code="PA-STATS-LATE",
            agency_code=B,
            first_agency=B,
            dossier_id=i["b2"],
            category="service",
            text="Thử",
            status="answered",
            received_day=d(19),
            due_date=d(26),
            answered_at=NOW + dt.timedelta(hours=3, minutes=10),
            answered_day=d(20),
            on_time=True,
            created_at=NOW,
            updated_at=NOW + dt.timedelta(hours=3, minutes=10),
        )
    ).returning(Feedback.id)
    assert rows
    result = await service.refresh_once(NOW + dt.timedelta(hours=4))
    assert result.pairs == [(d(5), B), (d(19), B), (d(20), B)]
    assert result.families == {
        "feedback.received": [(d(19), B)],
        "feedback.answered": [(d(20), B)],
        "resolved": [(d(5), B)],
    }
    # b2 was already counted unhappy (rated 2): its day's figures stay.
    fifth = await service.figures(B, d(5), d(5), now=NOW + dt.timedelta(hours=4))
    assert fifth.dossier_satisfaction == Rate(0, 1)


async def test_figures_survive_the_clean_up_of_old_rows(seeded: Seeded) -> None:
    i = ids(seeded)
    now = NOW + dt.timedelta(hours=5)
    before = await service.figures(None, *OCTOBER, now=now)
    before_a = await service.figures(A, d(5), d(8), now=now)
    assert before_a.count("received") == 6
    # Clean-up: dossiers a1 and a2, their payments' links, a rating, a feedback.
    await fetch("DELETE FROM payments_dossier WHERE dossier_id IN ({}, {})", i["a1"], i["a2"])
    await Dossier.delete().where(Dossier.id.is_in([i["a1"], i["a2"]]))
    await Rating.delete().where(Rating.id.is_in([i["r2"], i["r5"]]))
    await Feedback.delete().where(Feedback.id == i["f2"])
    assert (await service.refresh_once(now)).pairs == []
    after = await service.figures(None, *OCTOBER, now=now)
    assert after.totals == before.totals
    assert (await service.figures(A, d(5), d(8), now=now)).totals == before_a.totals

    # A counter rating given late for the 5th at A: the ratings of that day are
    # computed again (r2 is gone, this one comes), not its dossiers (a1, a2 are gone).
    await rating(A, "counter", 4, d(5), updated=now)
    result = await service.refresh_once(now + dt.timedelta(minutes=1))
    assert result.families == {"ratings": [(d(5), A)]}
    fifth = await service.figures(A, d(5), d(5), now=now)
    assert fifth.count("received") == 3 and fifth.count("paid.count") == 3
    assert (fifth.count("ratings.count"), fifth.count("ratings.counter_satisfied")) == (2, 2)

    # Much later, a6 (received on 5 October at A) is touched: its day is past
    # FROZEN_DAYS, so it is not computed again from what is left of it.
    much_later = NOW + dt.timedelta(days=200)
    await Dossier.update(
        {Dossier.status: "withdrawn", Dossier.updated_at: much_later - dt.timedelta(hours=1)}
    ).where(Dossier.id == i["a6"])
    result = await service.refresh_once(much_later)
    assert result.claimed and result.pairs == []
    # (The late rating took r2's place in the 5th's counts: the totals are as before.)
    assert (await service.figures(None, *OCTOBER, now=much_later)).totals == before.totals


async def test_the_chore_counts_what_it_did(seeded: Seeded) -> None:
    now = NOW + dt.timedelta(days=201)
    await Dossier.update({Dossier.updated_at: now - dt.timedelta(minutes=1)}).where(
        Dossier.id == ids(seeded)["a7"]
    )
    # a7: received 12 October (frozen by now), nothing else: no pair.
    assert await service.refresh(now) == 0
    rows: list[dict[str, Any]] = await fetch(
        "SELECT COUNT(*) AS n FROM stats_daily WHERE agency_code = '*'"
    )
    assert int(rows[0]["n"]) > 0
