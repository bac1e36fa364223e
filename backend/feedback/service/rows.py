"""The stored rows of ratings and feedback, typed, and the reads every page makes.

The hot reads (one feedback by its code or id, one rating by its key) use fixed SQL
text (``backend.db.fetch``): Piccolo builds a query's SQL anew each call, which costs
more than the query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.db import fetch
from backend.feedback.schemas import Category, FeedbackStatus, Forward, RatingStatus, Source


class RatingRow(msgspec.Struct, kw_only=True):
    id: int
    rating_key: str
    source: Source
    agency_code: str
    counter_number: int | None
    dossier_id: int | None
    procedure_code: str | None
    account_id: int | None
    stated_code: str
    overall: int
    info: int | None
    speed: int | None
    convenience: int | None
    attitude: int | None
    comment: str
    proof: str
    status: RatingStatus
    held_reason: str
    reviewed_by: int | None
    reviewed_at: dt.datetime | None
    day: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime


class Scores(msgspec.Struct, kw_only=True):
    """What a summary of ratings counts."""

    source: Source
    overall: int
    info: int | None
    speed: int | None
    convenience: int | None
    attitude: int | None


class StoredPhoto(msgspec.Struct, kw_only=True):
    key: str  # in the shared attachments' storage
    media_type: str
    size: int


class FeedbackRow(msgspec.Struct, kw_only=True):
    id: int
    code: str
    agency_code: str
    first_agency: str
    procedure_code: str | None
    dossier_id: int | None
    counter_number: int | None
    category: Category
    text: str
    photos: list[StoredPhoto]
    anonymous: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    account_id: int | None
    status: FeedbackStatus
    received_day: dt.date
    due_date: dt.date
    answer: str
    answered_at: dt.datetime | None
    answered_day: dt.date | None
    answered_by: int | None
    answered_by_name: str
    on_time: bool | None
    publish_consent: bool
    published: bool
    answer_rating: int | None
    history: list[Forward]
    target_key: str
    reviewed_by: int | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


def feedback_row(row: Mapping[str, Any]) -> FeedbackRow:
    """A feedback row from the database (its JSON columns as text, or already loaded)."""
    loaded = {
        **row,
        "photos": _loaded(row["photos"]),
        "history": _loaded(row["history"]),
    }
    return msgspec.convert(loaded, FeedbackRow, strict=False)


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_BY_CODE = "SELECT * FROM feedback_item WHERE code = {}"
_BY_ID = "SELECT * FROM feedback_item WHERE id = {}"
_RATING = "SELECT * FROM feedback_rating WHERE rating_key = {}"
_RATING_BY_ID = "SELECT * FROM feedback_rating WHERE id = {}"


async def feedback_by_code(code: str) -> FeedbackRow | None:
    rows = await fetch(_BY_CODE, code[:24])
    return feedback_row(rows[0]) if rows else None


async def feedback_by_id(feedback_id: int) -> FeedbackRow | None:
    rows = await fetch(_BY_ID, feedback_id)
    return feedback_row(rows[0]) if rows else None


async def rating_by_key(key: str) -> RatingRow | None:
    rows = await fetch(_RATING, key)
    return msgspec.convert(rows[0], RatingRow, strict=False) if rows else None


async def rating_by_id(rating_id: int) -> RatingRow:
    rows = await fetch(_RATING_BY_ID, rating_id)
    return msgspec.convert(rows[0], RatingRow, strict=False)


async def scores(sql: str, *args: Any) -> list[Scores]:
    return msgspec.convert(await fetch(sql, *args), list[Scores], strict=False)
