"""Rules and queries of the working-day calendar.

Deadlines are counted in working days: Monday to Friday, less the weekdays off
(public holidays, compensatory and swapped days off), plus the Saturdays and Sundays
worked in exchange (làm bù). The exceptions are rows of ``workdays_exception``, seeded
from the government's announcements and edited by administrators.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from backend.db import write_transaction
from backend.db.engine import active_engine
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_, Moment, Number, Text, format_day, parse_date
from backend.vietnam import VIETNAM
from backend.workdays.schemas import KINDS, SeedFile, WorkdayRead
from backend.workdays.tables import WorkdayException

logger = logging.getLogger("motcua.workdays")

OFFICIAL_SEED = Path(__file__).with_name("official_2025_2027.json")
HOLIDAY = "holiday"
WORKING = "working"
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_NAME_LENGTH = 200
# How old this process's copy of the calendar may get before it is read again: the
# bound on how long an edit made by another process goes unseen here.
RELOAD_SECONDS = 60.0

_COLUMNS = (
    WorkdayException.day,
    WorkdayException.kind,
    WorkdayException.name_vi,
    WorkdayException.name_en,
    WorkdayException.updated_at,
    WorkdayException.updated_by,
)


def _weekdays_through(ordinal: int) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday, ordinal 1) to this day."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


class WorkCalendar:
    """Which days are worked, and deadlines counted in working days.

    Pure and synchronous. A count is arithmetic on day numbers plus a binary search in
    the sorted exceptions, so a deadline hundreds of working days away costs a few dozen
    steps rather than a walk day by day: it is computed on every dossier page and in
    queue queries."""

    __slots__ = ("_holiday_set", "_holidays", "_working", "_working_set")

    def __init__(self, exceptions: Mapping[dt.date, str]) -> None:
        # An exception that agrees with the weekly rule (a "holiday" on a Sunday, a
        # "working" Tuesday) changes nothing; leaving it out keeps the counts exact.
        self._holidays = sorted(
            day.toordinal()
            for day, kind in exceptions.items()
            if kind == HOLIDAY and day.weekday() < 5
        )
        self._working = sorted(
            day.toordinal()
            for day, kind in exceptions.items()
            if kind == WORKING and day.weekday() >= 5
        )
        self._holiday_set = frozenset(self._holidays)
        self._working_set = frozenset(self._working)

    def is_working_day(self, day: dt.date) -> bool:
        if day.weekday() < 5:
            return day.toordinal() not in self._holiday_set
        return day.toordinal() in self._working_set

    def _rank(self, ordinal: int) -> int:
        """Working days from the epoch up to and including this day; it rises by one on
        each working day and stays level otherwise."""
        return (
            _weekdays_through(ordinal)
            - bisect.bisect_right(self._holidays, ordinal)
            + bisect.bisect_right(self._working, ordinal)
        )

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days d with start < d <= end (0 when end <= start)."""
        if end <= start:
            return 0
        return self._rank(end.toordinal()) - self._rank(start.toordinal())

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day strictly after ``start``; for n == 0, ``start`` itself if
        it is worked, else the next working day."""
        if n < 0:
            raise ValueError("n must be zero or more")
        if n == 0:
            return start if self.is_working_day(start) else self.add_working_days(start, 1)
        origin = start.toordinal()
        target = self._rank(origin) + n
        # Each whole week after start has five weekdays, and no more of them can be off
        # than there are holidays left: the answer lies within this many days.
        holidays_left = len(self._holidays) - bisect.bisect_right(self._holidays, origin)
        low, high = origin + 1, origin + ((n + holidays_left) // 5 + 2) * 7
        while low < high:
            middle = (low + high) // 2
            if self._rank(middle) < target:
                low = middle + 1
            else:
                high = middle
        return dt.date.fromordinal(low)


@dataclass(slots=True)
class _Copy:
    engine: object
    calendar: WorkCalendar
    read_at: float


class _Cache:
    """This process's copy of the calendar.

    Kept per engine, so that tests which open a second database beside the first never
    read each other's calendar. ``generation`` rises with every edit made here, so that
    a copy read while an edit was being saved is not kept."""

    def __init__(self) -> None:
        self.copy: _Copy | None = None
        self.generation = 0
        self.clock: Callable[[], float] = time.monotonic

    def invalidate(self) -> None:
        self.copy = None
        self.generation += 1


_cache = _Cache()


async def load() -> WorkCalendar:
    """The calendar, from this process's copy.

    An edit made through this module drops the copy at once, so this process sees it on
    the next call. An edit made by another process (a second app node, the command line,
    plain SQL) cannot be noticed here: the copy is read again once it is RELOAD_SECONDS
    old, so such an edit shows within a minute."""
    engine = active_engine()
    copy = _cache.copy
    now = _cache.clock()
    if copy is not None and copy.engine is engine and 0 <= now - copy.read_at < RELOAD_SECONDS:
        return copy.calendar
    generation = _cache.generation
    rows = await WorkdayException.select(WorkdayException.day, WorkdayException.kind)
    calendar = WorkCalendar({row["day"]: row["kind"] for row in rows})
    if generation == _cache.generation:
        _cache.copy = _Copy(engine, calendar, now)
    return calendar


async def add_working_days(start: dt.date, n: int) -> dt.date:
    return (await load()).add_working_days(start, n)


async def working_days_between(start: dt.date, end: dt.date) -> int:
    return (await load()).working_days_between(start, end)


async def is_working_day(day: dt.date) -> bool:
    return (await load()).is_working_day(day)


def current_year() -> int:
    return dt.datetime.now(VIETNAM).year


class _Day:
    """A day inside a message with its weekday, as Babel writes them (Chủ Nhật,
    08/03/2026; Sunday, 8 Mar 2026)."""

    __slots__ = ("day",)

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def render(self, lang: str) -> str:
        return format_day(self.day, lang)


def _check_year(year: int, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(
            N_(
                "Lịch ngày làm việc chỉ gồm các năm từ %(low)s đến %(high)s.",
                low=MIN_YEAR,
                high=MAX_YEAR,
            ),
            field=field,
        )


def parse_day(text: str, field: str = "day") -> dt.date:
    """A day written as 2026-04-27 (what date inputs and the API send) or 27/04/2026
    (how people write it here, typed where a browser has no date picker)."""
    day = parse_date(text)
    if day is None:
        raise InvalidInput(
            N_(
                "“%(text)s” không phải là một ngày có thật. Hãy viết ngày/tháng/năm, "
                "ví dụ 27/04/2026, hoặc năm-tháng-ngày, ví dụ 2026-04-27.",
                text=text.strip()[:40],
            ),
            field=field,
        )
    _check_year(day.year, field)
    return day


async def list_year(year: int) -> list[WorkdayRead]:
    """The exceptions of one year, in date order."""
    _check_year(year, "year")
    rows = (
        await WorkdayException.select(*_COLUMNS)
        .where(WorkdayException.day >= dt.date(year, 1, 1))
        .where(WorkdayException.day <= dt.date(year, 12, 31))
        .order_by(WorkdayException.day)
    )
    return msgspec.convert(rows, list[WorkdayRead])


_NAME_VI = N_("Tên ngày (tiếng Việt)")
_NAME_EN = N_("Tên ngày (tiếng Anh)")


def _check_name(value: str, field: str, label: Text) -> None:
    name = value.strip()
    if not name:
        raise InvalidInput(N_("%(label)s không được để trống.", label=label), field=field)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            N_(
                "%(label)s dài quá %(limit)s ký tự.",
                label=label,
                limit=Number(MAX_NAME_LENGTH),
            ),
            field=field,
        )


def _check_kind(day: dt.date | None, kind: str) -> None:
    """The kind, and (once the day is known) that it changes the weekly rule."""
    if kind not in KINDS:
        raise InvalidInput(
            N_("Loại ngày phải là “holiday” (ngày nghỉ) hoặc “working” (ngày làm bù)."),
            field="kind",
        )
    if day is None:
        return
    if kind == HOLIDAY and day.weekday() >= 5:
        raise InvalidInput(
            N_(
                "%(day)s vốn đã là ngày nghỉ: không cần ghi là ngày nghỉ. Nếu ngày lễ trùng "
                "cuối tuần, hãy ghi ngày nghỉ bù (ngày làm việc kế tiếp).",
                day=_Day(day),
            ),
            field="kind",
        )
    if kind == WORKING and day.weekday() < 5:
        raise InvalidInput(
            N_(
                "%(day)s vốn đã là ngày làm việc: chỉ thứ Bảy hoặc Chủ nhật mới là ngày làm bù.",
                day=_Day(day),
            ),
            field="kind",
        )


async def set_day(
    principal_account_id: int | None, day: str, kind: str, name_vi: str, name_en: str
) -> WorkdayRead:
    """Mark a day (as written: 2026-04-27 or 27/04/2026) as a weekday off ("holiday")
    or a weekend day worked ("working"), replacing what the day had. Every field's
    problem is reported at once."""
    problems = Problems()
    parsed: dt.date | None = None
    with problems.noting():
        parsed = parse_day(day)
    with problems.noting():
        _check_kind(parsed, kind)
    for field, value, label in (("name_vi", name_vi, _NAME_VI), ("name_en", name_en, _NAME_EN)):
        with problems.noting():
            _check_name(value, field, label)
    problems.raise_any()
    assert parsed is not None  # a day that cannot be read is one of the problems
    async with write_transaction():
        rows = (
            await WorkdayException.insert(
                WorkdayException(
                    day=parsed,
                    kind=kind,
                    name_vi=name_vi.strip(),
                    name_en=name_en.strip(),
                    updated_at=dt.datetime.now(dt.UTC),
                    updated_by=principal_account_id,
                )
            )
            .on_conflict(
                target=WorkdayException.day,
                action="DO UPDATE",
                values=list(_COLUMNS[1:]),
            )
            .returning(*_COLUMNS)
        )
    # After the commit: a copy read before it would miss the edit.
    _cache.invalidate()
    logger.info(
        "workday_saved",
        extra={
            "fields": {"day": parsed.isoformat(), "kind": kind, "actor_id": principal_account_id}
        },
    )
    return msgspec.convert(rows[0], WorkdayRead)


async def remove_day(day: dt.date, *, principal_account_id: int | None = None) -> None:
    """The day follows the weekly rule again."""
    async with write_transaction():
        rows = (
            await WorkdayException.delete()
            .where(WorkdayException.day == day)
            .returning(WorkdayException.id)
        )
    if not rows:
        raise NotFound(
            N_("Ngày %(day)s không có trong lịch ngày nghỉ, ngày làm bù.", day=Moment(day)),
            field="day",
        )
    _cache.invalidate()
    logger.info(
        "workday_removed",
        extra={"fields": {"day": day.isoformat(), "actor_id": principal_account_id}},
    )


def official_seed(path: Path = OFFICIAL_SEED) -> SeedFile:
    """The official days off and make-up days that the seed migration inserts."""
    return msgspec.json.decode(path.read_bytes(), type=SeedFile)


def seed_calendar(seed: SeedFile | None = None) -> WorkCalendar:
    """A calendar of the official seed alone, without a database."""
    seed = seed or official_seed()
    exceptions: dict[dt.date, str] = {d.day: d.kind for year in seed.years for d in year.days}
    return WorkCalendar(exceptions)
