"""msgspec Structs of the working-day calendar."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

Kind = Literal["holiday", "working"]
KINDS: tuple[Kind, ...] = ("holiday", "working")


class WorkdayRead(msgspec.Struct, kw_only=True):
    """A day that breaks the Monday-to-Friday rule: "holiday" is a weekday off,
    "working" a Saturday or Sunday worked (làm bù)."""

    day: dt.date
    kind: Kind
    name_vi: str
    name_en: str
    updated_at: dt.datetime
    # The administrator who last saved it; None for a row of the official seed.
    updated_by: int | None


class WorkdayWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What an administrator sends to mark a day. The kind and the names are plain text
    here and checked by the service, so a wrong value is answered the way the admin page
    answers it: 422, in the reader's language, naming the field."""

    kind: Annotated[
        str, msgspec.Meta(description="holiday (a weekday off) or working (a weekend day worked)")
    ]
    name_vi: str = ""
    name_en: str = ""


class SeedDay(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    day: dt.date
    kind: Kind
    name_vi: str
    name_en: str
    # False until an official announcement confirms the day.
    confirmed: bool
    note: str = ""


class SeedYear(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    year: int
    source: str
    days: list[SeedDay]


class SeedFile(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The shape of ``official_2025_2027.json``."""

    description: str
    rules: str
    years: list[SeedYear]
