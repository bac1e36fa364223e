"""Fixtures of the appointments tests: the dossiers tests' app and people, the
appointments runtime on a controllable clock (each test in a week of its own, in 2027,
so that one test's full slots, limits and tickets are never another's), and the demo's
counters: the Hạc Thành ward's counter 1 receives birth registrations, the provincial
centre's counter 2 driving licences."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from litestar import Litestar

from backend.appointments import service
from backend.appointments.runtime import AppointmentsRuntime
from backend.appointments.runtime import utc_now as appointments_now
from backend.appointments.schemas import BookingIn
from backend.tickets.runtime import TicketsRuntime
from backend.tickets.runtime import utc_now as tickets_now
from backend.vietnam import VIETNAM
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import dossiers_app, people
from tests.feedback.conftest import open_browsers

__all__ = ["dossiers_app", "open_browsers", "people"]

WARD = "000.01.40.H56"
CENTRE = "000.00.01.H56"
BIRTH = "1.001193"  # at the ward's counter 1
DEATH = "1.000656"  # carried out by the ward, listed at none of its counters
LICENCE = "1.002820"  # the provincial police's, received at the centre's counter 2
# Monday 1 March 2027, then one week a test.
_FIRST = dt.date(2027, 3, 1)
_weeks = (_FIRST + dt.timedelta(weeks=n) for n in itertools.count())


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=VIETNAM).astimezone(dt.UTC)


@pytest.fixture
def appointments(dossiers_app: Litestar) -> AppointmentsRuntime:
    runtime: AppointmentsRuntime = dossiers_app.state["appointments"]
    return runtime


@pytest.fixture
def clock(dossiers_app: Litestar, appointments: AppointmentsRuntime) -> Iterator[Clock]:
    """08:00 on the Monday of the test's own week."""
    tickets: TicketsRuntime = dossiers_app.state["tickets"]
    clock = Clock(at(next(_weeks), 8))
    appointments.now = tickets.now = clock
    yield clock
    appointments.now, tickets.now = appointments_now, tickets_now


async def open_day(
    clock: Clock, procedure: str = BIRTH, agency: str = WARD, skip: int = 1
) -> dt.date:
    """An open day after today (``skip`` open days on), holidays left out."""
    found = await service.availability(procedure, agency, now=clock())
    return found.days[skip].day


def wanted(
    day: dt.date, time: str = "08:00", procedure: str = BIRTH, agency: str = WARD
) -> BookingIn:
    return BookingIn(procedure_code=procedure, agency_code=agency, day=day, time=time)
