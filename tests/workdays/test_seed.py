"""The official days off and make-up working days are in the database after migrating,
named "(dự kiến)" where no announcement confirms them yet."""

from __future__ import annotations

import datetime as dt

from backend.db import Database
from backend.workdays import service
from backend.workdays.service import official_seed, seed_calendar


async def test_the_seed_rows_are_there_after_migration(database: Database) -> None:
    rows = {row.day: row for year in (2025, 2026, 2027) for row in await service.list_year(year)}
    expected = [day for year in official_seed().years for day in year.days]
    assert len(expected) == 41
    for day in expected:
        row = rows[day.day]
        assert row.kind == day.kind
        suffix_vi, suffix_en = ("", "") if day.confirmed else (" (dự kiến)", " (provisional)")
        assert (row.name_vi, row.name_en) == (day.name_vi + suffix_vi, day.name_en + suffix_en)
        assert row.updated_by is None
    assert rows[dt.date(2026, 2, 17)].name_vi == "Tết Nguyên đán (mùng 1)"
    assert rows[dt.date(2025, 4, 26)].kind == "working"
    assert (
        rows[dt.date(2027, 2, 4)].name_en == "Lunar New Year (28th of the 12th month) (provisional)"
    )


async def test_the_loaded_calendar_is_the_official_one(database: Database) -> None:
    loaded = await service.load()
    official = seed_calendar()
    day = dt.date(2025, 1, 1)
    while day.year < 2028:
        assert loaded.is_working_day(day) == official.is_working_day(day), day
        day += dt.timedelta(days=1)
    assert await service.add_working_days(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 23)
    assert await service.working_days_between(dt.date(2026, 2, 13), dt.date(2026, 2, 23)) == 1
    assert not await service.is_working_day(dt.date(2026, 9, 1))
