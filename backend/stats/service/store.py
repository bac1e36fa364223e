"""This domain's own tables: the daily aggregates (``stats_daily``) as the refresh
writes them, and its bookkeeping row (``stats_state``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import msgspec
from piccolo.columns import Column

from backend.db import fetch, write_transaction
from backend.stats.service.metrics import ranges
from backend.stats.tables import StatsState

STATE_NAME = "daily"
INSERT_ROWS = 250

Row = tuple[dt.date, str, str, int]  # day, agency code, metric, value


class State(msgspec.Struct, frozen=True):
    """The state row as a refresh that claimed it found it."""

    watermark_ms: int
    rebuild_from: dt.date | None
    rebuild_started_ms: int


_DELETE_RANGE = "DELETE FROM stats_daily WHERE day >= {} AND day <= {}"
_DELETE_PAIR = "DELETE FROM stats_daily WHERE agency_code = {} AND day = {} AND metric IN "
_DELETE_PROVINCE = "DELETE FROM stats_daily WHERE agency_code = '*' AND day >= {} AND day <= {}"
_PROVINCE_SUMS = (
    "INSERT INTO stats_daily (day, agency_code, metric, value)"
    " SELECT day, '*', metric, SUM(value) FROM stats_daily"
    " WHERE agency_code <> '*' AND day >= {} AND day <= {}"
    " GROUP BY day, metric"
)
_INSERT_HEAD = "INSERT INTO stats_daily (day, agency_code, metric, value) VALUES "
_CLAIM = (
    "UPDATE stats_state SET lease_until_ms = {} WHERE name = {} AND lease_until_ms < {}"
    " RETURNING watermark_ms, rebuild_from, rebuild_started_ms"
)
_RELEASE = "UPDATE stats_state SET lease_until_ms = 0 WHERE name = {}"


async def insert(rows: list[Row]) -> None:
    for index in range(0, len(rows), INSERT_ROWS):
        chunk = rows[index : index + INSERT_ROWS]
        sql = _INSERT_HEAD + ", ".join(["({}, {}, {}, {})"] * len(chunk))
        await fetch(sql, *(value for row in chunk for value in row))


async def replace_range(first: dt.date, last: dt.date, rows: list[Row]) -> None:
    """Every row of the days ``first`` to ``last``, agencies' and province's, anew."""
    async with write_transaction():
        await fetch(_DELETE_RANGE, first, last)
        await insert(rows)
        await fetch(_PROVINCE_SUMS, first, last)


async def replace_pairs(
    deletes: list[tuple[str, dt.date, tuple[str, ...]]], rows: list[Row]
) -> None:
    """Replace these metrics of these (agency, day) pairs by ``rows``, then the
    province's rows of their days: one short transaction."""
    async with write_transaction():
        for agency, day, metrics in deletes:
            sql = _DELETE_PAIR + "(" + ", ".join(["{}"] * len(metrics)) + ")"
            await fetch(sql, agency, day, *metrics)
        await insert(rows)
        await _province({day for _, day, _ in deletes})


async def _province(days: Iterable[dt.date]) -> None:
    """The province's rows of these days: sums of the agencies' rows (never the base
    rows, so they too survive a clean-up)."""
    for first, last in ranges(days):
        await fetch(_DELETE_PROVINCE, first, last)
        await fetch(_PROVINCE_SUMS, first, last)


async def ensure_state() -> None:
    if await StatsState.exists().where(StatsState.name == STATE_NAME):
        return
    async with write_transaction():
        await StatsState.insert(StatsState(name=STATE_NAME)).on_conflict(
            target=StatsState.name, action="DO NOTHING"
        )


async def claim(wall_ms: int, lease_ms: int) -> State | None:
    """Hold the state row until ``wall_ms + lease_ms``, unless another refresh does."""
    async with write_transaction():
        rows = await fetch(_CLAIM, wall_ms + lease_ms, STATE_NAME, wall_ms)
    return msgspec.convert(rows[0], State, strict=False) if rows else None


async def release() -> None:
    async with write_transaction():
        await fetch(_RELEASE, STATE_NAME)


async def save(
    *,
    watermark_ms: int | None = None,
    rebuild_from: dt.date | msgspec.UnsetType | None = msgspec.UNSET,
    rebuild_started_ms: int | None = None,
    refreshed_at: dt.datetime | None = None,
) -> None:
    """Change these fields of the state row (the others stay)."""
    changes: dict[Column | str, object] = {}
    if watermark_ms is not None:
        changes[StatsState.watermark_ms] = watermark_ms
    if rebuild_from is not msgspec.UNSET:
        changes[StatsState.rebuild_from] = rebuild_from
    if rebuild_started_ms is not None:
        changes[StatsState.rebuild_started_ms] = rebuild_started_ms
    if refreshed_at is not None:
        changes[StatsState.refreshed_at] = refreshed_at
    async with write_transaction():
        await StatsState.update(changes).where(StatsState.name == STATE_NAME)


async def refreshed_at() -> dt.datetime | None:
    """When the aggregates were last brought up to date (None: never yet)."""
    rows = await StatsState.select(StatsState.refreshed_at).where(StatsState.name == STATE_NAME)
    if not rows:
        return None
    return msgspec.convert(rows[0]["refreshed_at"], dt.datetime | None, strict=False)
