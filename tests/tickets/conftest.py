"""Fixtures of the queue tickets' tests: the dossiers tests' app and people, the tickets
runtime on a controllable clock set to 09:00 of a fresh working day for each test (so
that one test's numbers and limits are never another's), and the demo's counters."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from litestar import Litestar

from backend.tickets import service
from backend.tickets.runtime import TicketsRuntime
from backend.tickets.runtime import utc_now as tickets_now
from backend.vietnam import VIETNAM
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import dossiers_app, people
from tests.feedback.conftest import open_browsers

__all__ = ["dossiers_app", "open_browsers", "people"]

# The provincial centre has four counters in the demo catalogue, a ward two; the
# Department of Justice none.
CENTRE = "000.00.01.H56"
WARD = "000.01.40.H56"
NO_COUNTERS = "000.00.12.H56"
# Saturday 3 October 2026.
SATURDAY = dt.datetime(2026, 10, 3, 2, 0, tzinfo=dt.UTC)
# Monday 5 October 2026 onwards: each test takes the next weekday (no holiday then).
_FIRST = dt.date(2026, 10, 5)
_days = (d for d in (_FIRST + dt.timedelta(n) for n in itertools.count()) if d.weekday() < 5)


def nine_am(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9, 0), tzinfo=VIETNAM).astimezone(dt.UTC)


@pytest.fixture
def tickets(dossiers_app: Litestar) -> TicketsRuntime:
    runtime: TicketsRuntime = dossiers_app.state["tickets"]
    return runtime


@pytest.fixture
def clock(tickets: TicketsRuntime) -> Iterator[Clock]:
    clock = Clock(nine_am(next(_days)))
    tickets.now = clock
    yield clock
    tickets.now = tickets_now


def entrance(tickets: TicketsRuntime, agency: str = CENTRE, day: dt.date | None = None) -> str:
    return service.entrance_token(
        tickets.secret_key, tickets.key_version, agency, day or tickets.today()
    )
