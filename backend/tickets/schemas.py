"""The queue tickets' Structs: a ticket as its page and its JSON show it, a counter's
line, the hall display, and the day's figures of the leaders' dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

State = Literal["waiting", "called", "served", "skipped"]


def display_code(counter_number: int, number: int) -> str:
    """The number people read, hear and see on the hall's screen: the issuing counter
    then the number on three digits (counter 2's 15th ticket is "2015"), the form of
    the centres' queue machines; a transferred ticket keeps it."""
    return f"{counter_number}{number:03d}"


class TicketRead(msgspec.Struct, kw_only=True):
    id: int
    public_id: str
    code: str  # display_code
    agency_code: str
    counter_number: int
    issued_counter: int
    day: str  # ISO, Vietnamese day
    number: int
    state: State
    booked: bool
    account_id: int | None
    procedure_code: str | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    last_called_at: dt.datetime | None
    finished_at: dt.datetime | None
    times_called: int
    called_by: int | None
    transferred_from: int | None


class TicketStatus(msgspec.Struct, kw_only=True):
    """What a ticket's page shows and its script polls (``GET /api/tickets/{id}``)."""

    code: str
    state: State
    agency_code: str
    counter_number: int
    transferred_from: int | None
    # The number the counter serves now ("" when nobody is called yet).
    serving: str
    ahead: int
    # About how long until the turn, in minutes (waiting only): ahead × the counter's
    # average service time today, 5 minutes when none is known yet.
    wait_minutes: int
    times_called: int


class CounterLine(msgspec.Struct, kw_only=True):
    """One counter's line today, as the entrance page and the display show it."""

    counter_number: int
    name_vi: str
    name_en: str
    serving: str
    waiting: int


class CallRead(msgspec.Struct, kw_only=True):
    """A number called to a counter, on the hall's screen."""

    code: str
    counter_number: int
    times_called: int
    at: dt.datetime


class DisplayRead(msgspec.Struct, kw_only=True):
    agency_code: str
    day: str
    # The tickets being called, latest first (the first one highlighted).
    calls: list[CallRead]
    counters: list[CounterLine]


class CounterDayFigures(msgspec.Struct, kw_only=True):
    """A counter's day: tickets issued there (by the sequence of that counter), served,
    skipped, booked, and the wait from issue to the first call (seconds, over the
    tickets called; None when none was)."""

    day: dt.date
    agency_code: str
    counter_number: int
    issued: int
    served: int
    skipped: int
    booked: int
    average_wait_s: int | None
    longest_wait_s: int | None
