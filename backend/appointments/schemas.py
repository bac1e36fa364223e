"""msgspec Structs of the appointments API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

State = Literal["booked", "cancelled", "arrived", "no_show"]
# "HH:MM", Vietnam time: a slot's start as people read it and forms send it.
Clock = Annotated[str, msgspec.Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]$")]
Code = Annotated[str, msgspec.Meta(max_length=32)]


class BookingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    procedure_code: Code
    agency_code: Code
    day: dt.date
    time: Clock


class ChangeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    day: dt.date
    time: Clock


class CheckInIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The entrance's QR code, proving the person is at the centre."""

    entrance: Annotated[str, msgspec.Meta(max_length=200)]


class SlotRead(msgspec.Struct, frozen=True, kw_only=True):
    time: str  # "HH:MM"
    ends: str
    free: int


class DayRead(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    free: int  # places left that day, for the procedure


class PlaceRead(msgspec.Struct, frozen=True, kw_only=True):
    """An agency where a procedure is received, at these counters."""

    agency_code: str
    name_vi: str
    name_en: str
    address: str
    counters: list[int]


class AvailabilityRead(msgspec.Struct, frozen=True, kw_only=True):
    procedure_code: str
    places: list[PlaceRead]
    agency_code: str = ""  # the place chosen ("" when there is none)
    days: list[DayRead] = msgspec.field(default_factory=list)
    day: dt.date | None = None  # the day chosen
    slots: list[SlotRead] = msgspec.field(default_factory=list)


class BookingRead(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    state: State
    procedure_code: str
    agency_code: str
    counter_number: int
    day: dt.date
    time: str
    ends: str
    created_at: dt.datetime
    arrived_at: dt.datetime | None = None
    ticket_path: str = ""


class OpeningIn(msgspec.Struct, frozen=True, kw_only=True):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)]
    opens: Clock
    closes: Clock
    slot_minutes: Annotated[int, msgspec.Meta(ge=10, le=120)] = 30
    per_counter: Annotated[int, msgspec.Meta(ge=1, le=20)] = 2


class OpeningRead(msgspec.Struct, frozen=True, kw_only=True):
    weekday: int
    opens: str
    closes: str
    slot_minutes: int
    per_counter: int


class ClosureIn(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    reason_vi: Annotated[str, msgspec.Meta(max_length=200)] = ""
    reason_en: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ClosureRead(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    reason_vi: str
    reason_en: str


class CounterDayRead(msgspec.Struct, frozen=True, kw_only=True):
    """A counter's day for the leaders: bookings and what became of them."""

    day: dt.date
    agency_code: str
    counter_number: int
    booked: int
    arrived: int
    no_show: int
    cancelled: int
