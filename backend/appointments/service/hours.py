"""An agency's opening hours and its own closures: when it receives people, and the
slots a day of it is cut into.

An agency that has set no hours keeps the administrative hours of Vietnam's public
offices (Monday to Friday, 7:30-11:30 and 13:30-17:00), so every agency with counters
takes bookings from the start; its administrator changes them in the console. A day is
open only if the province's calendar works it (holidays and swapped days:
``backend.workdays``) and the agency has not closed it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from itertools import pairwise

from backend.appointments.schemas import ClosureIn, ClosureRead, OpeningIn, OpeningRead
from backend.appointments.tables import Closure, Opening
from backend.db import write_transaction
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_, Localized, Text
from backend.workdays import service as workdays
from backend.workdays.service import WorkCalendar

# The earliest opening and the latest closing a session may have, in minutes.
EARLIEST, LATEST = 6 * 60, 21 * 60
MAX_SESSIONS_A_DAY = 4


@dataclass(frozen=True, slots=True)
class Session:
    """One opening of a weekday (a morning, an afternoon)."""

    weekday: int
    opens: int  # minutes after midnight
    closes: int
    slot_minutes: int
    per_counter: int

    def starts(self) -> list[int]:
        """The starts of its whole slots (a slot never runs past the closing)."""
        return list(range(self.opens, self.closes - self.slot_minutes + 1, self.slot_minutes))


DEFAULT_WEEK = tuple(
    Session(weekday, opens, closes, 30, 2)
    for weekday in range(5)
    for opens, closes in ((7 * 60 + 30, 11 * 60 + 30), (13 * 60 + 30, 17 * 60))
)


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def minutes_of(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes)


async def week_of(agency_code: str) -> tuple[Session, ...]:
    rows = (
        await Opening.select(
            Opening.weekday,
            Opening.opens,
            Opening.closes,
            Opening.slot_minutes,
            Opening.per_counter,
        )
        .where(Opening.agency_code == agency_code)
        .order_by(Opening.weekday)
        .order_by(Opening.opens)
    )
    return tuple(Session(**row) for row in rows) if rows else DEFAULT_WEEK


def sessions_on(week: tuple[Session, ...], day: dt.date, calendar: WorkCalendar) -> list[Session]:
    """The sessions of ``day``: none on a day the calendar does not work; a weekend day
    worked in exchange (làm bù) with no hours of its own keeps a Monday's."""
    if not calendar.is_working_day(day):
        return []
    own = [session for session in week if session.weekday == day.weekday()]
    if own or day.weekday() < 5:
        return own
    return [replace(session, weekday=day.weekday()) for session in week if session.weekday == 0]


def session_at(sessions: list[Session], starts: int) -> Session | None:
    """The session whose slot begins at ``starts``, if any."""
    for session in sessions:
        if starts in session.starts():
            return session
    return None


async def closures_between(
    agency_code: str, start: dt.date, end: dt.date
) -> dict[dt.date, Localized]:
    rows = await Closure.select(Closure.day, Closure.reason_vi, Closure.reason_en).where(
        Closure.agency_code == agency_code, Closure.day >= start, Closure.day <= end
    )
    return {row["day"]: Localized(row["reason_vi"], row["reason_en"]) for row in rows}


async def open_days(agency_code: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days from ``start`` to ``end`` the agency receives people."""
    calendar = await workdays.load()
    week = await week_of(agency_code)
    closed = await closures_between(agency_code, start, end)
    days = []
    day = start
    while day <= end:
        if day not in closed and sessions_on(week, day, calendar):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


async def why_closed(agency_code: str, day: dt.date) -> Text | None:
    """Why the agency receives nobody on ``day`` (None: it is open)."""
    closed = await closures_between(agency_code, day, day)
    if day in closed:
        reason = closed[day]
        return N_("Cơ quan nghỉ ngày này: %(reason)s.", reason=reason)
    calendar = await workdays.load()
    if not calendar.is_working_day(day):
        return N_("Ngày này là ngày nghỉ (cuối tuần hoặc ngày lễ). Hãy chọn ngày làm việc.")
    if not sessions_on(await week_of(agency_code), day, calendar):
        return N_("Cơ quan không tiếp công dân vào thứ này. Hãy chọn ngày khác.")
    return None


# ---- The administrator's edits --------------------------------------------------------


def openings_read(week: tuple[Session, ...]) -> list[OpeningRead]:
    return [
        OpeningRead(
            weekday=s.weekday,
            opens=clock(s.opens),
            closes=clock(s.closes),
            slot_minutes=s.slot_minutes,
            per_counter=s.per_counter,
        )
        for s in week
    ]


def _checked(openings: list[OpeningIn]) -> list[Session]:
    problems = Problems()
    sessions = []
    for index, opening in enumerate(openings):
        where = f"sessions.{index}"
        opens, closes = minutes_of(opening.opens), minutes_of(opening.closes)
        if not EARLIEST <= opens < closes <= LATEST:
            problems.add(
                where,
                N_(
                    "Giờ mở cửa phải trước giờ đóng cửa, trong khoảng 06:00 đến 21:00 "
                    "(%(opens)s–%(closes)s).",
                    opens=opening.opens,
                    closes=opening.closes,
                ),
            )
            continue
        if closes - opens < opening.slot_minutes:
            problems.add(where, N_("Buổi làm việc ngắn hơn một lượt hẹn."))
            continue
        sessions.append(
            Session(opening.weekday, opens, closes, opening.slot_minutes, opening.per_counter)
        )
    for weekday in range(7):
        day = sorted((s for s in sessions if s.weekday == weekday), key=lambda s: s.opens)
        if len(day) > MAX_SESSIONS_A_DAY:
            problems.add("sessions", N_("Mỗi ngày có nhiều nhất 4 buổi làm việc."))
        if any(later.opens < earlier.closes for earlier, later in pairwise(day)):
            problems.add(
                "sessions", N_("Các buổi làm việc trong một ngày không được chồng lên nhau.")
            )
    problems.raise_any()
    return sessions


async def set_week(agency_code: str, openings: list[OpeningIn]) -> list[OpeningRead]:
    """Replace the agency's hours (bookings already made keep their slots)."""
    sessions = _checked(openings)
    async with write_transaction():
        await Opening.delete().where(Opening.agency_code == agency_code)
        if sessions:
            await Opening.insert(
                *(
                    Opening(
                        agency_code=agency_code,
                        weekday=s.weekday,
                        opens=s.opens,
                        closes=s.closes,
                        slot_minutes=s.slot_minutes,
                        per_counter=s.per_counter,
                    )
                    for s in sessions
                )
            )
    return openings_read(await week_of(agency_code))


async def list_closures(agency_code: str, start: dt.date) -> list[ClosureRead]:
    rows = (
        await Closure.select(Closure.day, Closure.reason_vi, Closure.reason_en)
        .where(Closure.agency_code == agency_code, Closure.day >= start)
        .order_by(Closure.day)
    )
    return [ClosureRead(**row) for row in rows]


async def add_closure(agency_code: str, data: ClosureIn, today: dt.date) -> ClosureRead:
    if data.day < today:
        raise InvalidInput(N_("Ngày nghỉ phải từ hôm nay trở đi."), field="day")
    if not data.reason_vi.strip():
        raise InvalidInput(N_("Hãy ghi lý do nghỉ để người dân được biết."), field="reason_vi")
    async with write_transaction():
        await Closure.delete().where(Closure.agency_code == agency_code, Closure.day == data.day)
        await Closure.insert(
            Closure(
                agency_code=agency_code,
                day=data.day,
                reason_vi=data.reason_vi.strip(),
                reason_en=data.reason_en.strip() or data.reason_vi.strip(),
            )
        )
    reason_vi = data.reason_vi.strip()
    return ClosureRead(
        day=data.day, reason_vi=reason_vi, reason_en=data.reason_en.strip() or reason_vi
    )


async def remove_closure(agency_code: str, day: dt.date) -> None:
    async with write_transaction():
        found = await Closure.exists().where(Closure.agency_code == agency_code, Closure.day == day)
        if not found:
            raise NotFound(N_("Không có ngày nghỉ này."), field="day")
        await Closure.delete().where(Closure.agency_code == agency_code, Closure.day == day)
