"""The working-day calculator on the official calendar: Tết, 30/4-1/5 with its swapped
Saturday, National Day, year boundaries, n = 0, and counts between two days."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from backend.workdays.service import WorkCalendar, official_seed, seed_calendar

D = dt.date


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return seed_calendar()


def test_the_seed_file_is_consistent() -> None:
    seed = official_seed()
    assert [year.year for year in seed.years] == [2025, 2026, 2027]
    days = [day.day for year in seed.years for day in year.days]
    assert len(days) == len(set(days))
    for year in seed.years:
        assert year.source
        for day in year.days:
            assert day.day.year == year.year
            # Weekend holidays are off anyway (their day in lieu is listed instead); only a
            # Saturday or Sunday can be worked in exchange.
            assert (day.kind == "holiday") == (day.day.weekday() < 5), day
            assert day.name_vi and day.name_en
            if year.year == 2027:
                assert not day.confirmed and day.note
    unconfirmed = [d.day for y in seed.years if y.year < 2027 for d in y.days if not d.confirmed]
    assert unconfirmed == [D(2026, 11, 24)]  # Vietnam Culture Day: law change not verified


def test_tet_2025(calendar: WorkCalendar) -> None:
    # Off from Saturday 25/1 to Sunday 2/2: the five Tết days are Monday 27 to Friday 31.
    assert calendar.is_working_day(D(2025, 1, 24))
    assert not any(calendar.is_working_day(D(2025, 1, d)) for d in range(25, 32))
    assert not calendar.is_working_day(D(2025, 2, 1))
    assert calendar.add_working_days(D(2025, 1, 24), 1) == D(2025, 2, 3)
    assert calendar.add_working_days(D(2025, 1, 23), 2) == D(2025, 2, 3)
    assert calendar.working_days_between(D(2025, 1, 24), D(2025, 2, 3)) == 1
    # No make-up Saturday in Vietnam that year (8/2 was one in Taiwan, not here).
    assert not calendar.is_working_day(D(2025, 2, 8))


def test_tet_2026(calendar: WorkCalendar) -> None:
    # Off from Saturday 14/2 to Sunday 22/2: nine days, Monday 16 to Friday 20 off.
    assert calendar.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert calendar.add_working_days(D(2026, 2, 12), 5) == D(2026, 2, 26)  # 13, 23, 24, 25, 26
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 22)) == 0
    assert calendar.working_days_between(D(2026, 2, 1), D(2026, 2, 28)) == 15


def test_reunification_and_labour_day_2025_with_its_swapped_saturday(
    calendar: WorkCalendar,
) -> None:
    # Friday 2/5 off in exchange for Saturday 26/4, which is worked.
    assert calendar.is_working_day(D(2025, 4, 26))
    assert not calendar.is_working_day(D(2025, 5, 2))
    assert calendar.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)
    assert calendar.add_working_days(D(2025, 4, 25), 2) == D(2025, 4, 28)
    assert calendar.add_working_days(D(2025, 4, 28), 2) == D(2025, 5, 5)
    # Week of 21/4: Monday to Saturday, six working days.
    assert calendar.working_days_between(D(2025, 4, 20), D(2025, 4, 27)) == 6


def test_national_day_2025_is_two_days(calendar: WorkCalendar) -> None:
    assert not calendar.is_working_day(D(2025, 9, 1))
    assert not calendar.is_working_day(D(2025, 9, 2))
    assert calendar.is_working_day(D(2025, 9, 3))
    assert calendar.add_working_days(D(2025, 8, 29), 1) == D(2025, 9, 3)
    assert calendar.add_working_days(D(2025, 4, 4), 1) == D(2025, 4, 8)  # Hùng Kings, Mon 7/4


def test_a_swapped_working_day_counts(calendar: WorkCalendar) -> None:
    # 2026: Friday 2/1 off for Saturday 10/1; Monday 31/8 off for Saturday 22/8.
    assert calendar.add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 10)
    assert calendar.add_working_days(D(2026, 1, 10), 1) == D(2026, 1, 12)
    assert calendar.working_days_between(D(2026, 1, 4), D(2026, 1, 11)) == 6
    assert calendar.add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)
    assert calendar.add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)
    # An ordinary Saturday does not.
    assert calendar.add_working_days(D(2026, 1, 16), 1) == D(2026, 1, 19)


def test_year_boundaries(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)
    assert calendar.working_days_between(D(2025, 12, 31), D(2026, 1, 5)) == 1
    assert calendar.add_working_days(D(2024, 12, 31), 1) == D(2025, 1, 2)
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert calendar.add_working_days(D(2025, 12, 29), 5) == D(2026, 1, 7)
    # Whole years: weekdays, less the weekdays off, plus the Saturdays worked.
    assert calendar.working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 261 - 12 + 1
    assert calendar.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 261 - 14 + 2


def test_zero_days(calendar: WorkCalendar) -> None:
    assert calendar.add_working_days(D(2026, 2, 13), 0) == D(2026, 2, 13)
    assert calendar.add_working_days(D(2026, 2, 14), 0) == D(2026, 2, 23)
    assert calendar.add_working_days(D(2026, 2, 16), 0) == D(2026, 2, 23)
    assert calendar.add_working_days(D(2025, 4, 26), 0) == D(2025, 4, 26)  # a worked Saturday
    with pytest.raises(ValueError, match="zero or more"):
        calendar.add_working_days(D(2026, 2, 13), -1)


def test_working_days_between_is_zero_unless_end_is_after_start(calendar: WorkCalendar) -> None:
    assert calendar.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert calendar.working_days_between(D(2026, 3, 9), D(2026, 3, 2)) == 0
    assert calendar.working_days_between(D(2026, 3, 1), D(2026, 3, 2)) == 1  # end counts
    assert calendar.working_days_between(D(2026, 3, 2), D(2026, 3, 3)) == 1  # start does not


def test_exceptions_that_agree_with_the_weekly_rule_change_nothing() -> None:
    odd = WorkCalendar({D(2026, 3, 7): "holiday", D(2026, 3, 4): "working"})
    plain = WorkCalendar({})
    for offset in range(30):
        start = D(2026, 3, 1) + dt.timedelta(days=offset)
        assert odd.add_working_days(start, 7) == plain.add_working_days(start, 7)
        assert odd.working_days_between(start, D(2026, 4, 15)) == plain.working_days_between(
            start, D(2026, 4, 15)
        )


def test_it_agrees_with_a_day_by_day_walk(calendar: WorkCalendar) -> None:
    def walk(start: dt.date, n: int) -> dt.date:
        day, left = start, n
        if n == 0:
            while not calendar.is_working_day(day):
                day += dt.timedelta(days=1)
            return day
        while left:
            day += dt.timedelta(days=1)
            left -= calendar.is_working_day(day)
        return day

    rng = random.Random(20261122)
    for _ in range(3000):
        start = D(2024, 10, 1) + dt.timedelta(days=rng.randrange(1300))
        n = rng.randrange(400)
        end = walk(start, n)
        assert calendar.add_working_days(start, n) == end, (start, n)
        if n:
            assert calendar.working_days_between(start, end) == n


def test_hundreds_of_deadlines_are_cheap(calendar: WorkCalendar) -> None:
    # A queue page computes one deadline per dossier; a walk day by day would take
    # about 100 times longer than this bound allows.
    start = D(2025, 1, 1)
    for offset in range(20_000):
        calendar.add_working_days(start + dt.timedelta(days=offset % 900), 300)
