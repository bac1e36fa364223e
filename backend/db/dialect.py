"""Fixed SQL texts written once for both engines, for ``backend.db.fetch``.

The figures' queries (each domain's ``figures`` module and ``backend/stats``) group
by Vietnamese calendar days and carry hints for SQLite's planner; these marks in a
text are written out for the engine in use:

- ``VNDAY(column)``: a timestamp's Vietnamese calendar day (SQLite keeps timestamps
  as UTC text); ``DAYS(a, b)``: the days between two timestamps' Vietnamese days.
- ``RARE(condition)RARE``: the condition holds for few rows; ``NOINDEX condition``:
  the condition's column index is not to drive the query. SQLite has no statistics
  (nothing here runs ``ANALYZE``) or only averages per index, and guesses wrong
  without them; PostgreSQL's statistics know better, so it gets the plain condition.
- ``IN_IDS({})`` and ``IN_TEXTS({})``: the value is one of a list of integers, or
  of strings, given as one JSON parameter (``list_param``), however long the list
  (bound parameters are limited).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TypeVar

from backend.db.engine import active_engine

T = TypeVar("T", int, str)
_VNDAY = re.compile(r"VNDAY\(([\w.]+)\)")
_DAYS = re.compile(r"DAYS\(([\w.]+), ([\w.]+)\)")
_RARE = re.compile(r"RARE\((.*?)\)RARE")
_PG_DAY = r"CAST((\1 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date)"
_PG_DAYS = (
    r"(CAST((\1 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date)"
    r" - CAST((\2 AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS date))"
)
_LITE_DAYS = r"CAST(julianday(date(\1, '+7 hours')) - julianday(date(\2, '+7 hours')) AS INTEGER)"
_PG_IDS = "IN (SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST({} AS json)))"
_PG_TEXTS = "IN (SELECT value FROM json_array_elements_text(CAST({} AS json)))"
_LITE_LIST = "IN (SELECT value FROM json_each({}))"


def for_engine(sql: str, postgres: bool) -> str:
    """``sql`` with its marks written out for PostgreSQL or SQLite."""
    sql = _RARE.sub(r"\1" if postgres else r"likelihood(\1, 0.01)", sql)
    sql = sql.replace("NOINDEX ", "" if postgres else "+")
    sql = sql.replace("IN_IDS({})", _PG_IDS if postgres else _LITE_LIST)
    sql = sql.replace("IN_TEXTS({})", _PG_TEXTS if postgres else _LITE_LIST)
    if postgres:
        return _VNDAY.sub(_PG_DAY, _DAYS.sub(_PG_DAYS, sql))
    return _VNDAY.sub(r"date(\1, '+7 hours')", _DAYS.sub(_LITE_DAYS, sql))


def is_postgres() -> bool:
    return active_engine().engine_type == "postgres"


class Sql:
    """One query's text for both engines, written out once; calling it gives the
    text for the engine in use."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = {False: for_engine(text, False), True: for_engine(text, True)}

    def __call__(self) -> str:
        return self.text[is_postgres()]


def list_param(values: Iterable[T]) -> str:
    """The parameter of an ``IN_IDS({})`` or ``IN_TEXTS({})`` mark."""
    return json.dumps(sorted(set(values)))
