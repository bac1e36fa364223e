"""Which kept files feedback photos hold, for the attachments' sweep (the photos are
listed in a JSON column of ``feedback_item``: ``[{"key": ..., ...}]``)."""

from __future__ import annotations

from collections.abc import Sequence

from backend.db import fetch
from backend.db.dialect import is_postgres, list_param

_HELD_SQLITE = (
    "SELECT json_extract(p.value, '$.key') AS key FROM feedback_item f, json_each(f.photos) p"
    " WHERE f.photos <> '[]'"
    " AND json_extract(p.value, '$.key') IN (SELECT value FROM json_each({}))"
)
_HELD_POSTGRES = (
    "SELECT p.value ->> 'key' AS key FROM feedback_item f"
    " CROSS JOIN LATERAL json_array_elements(f.photos) p"
    " WHERE p.value ->> 'key' IN (SELECT value FROM json_array_elements_text(CAST({} AS json)))"
)


async def held_photos(keys: Sequence[str]) -> set[str]:
    """Of these storage keys, those a feedback's photos hold."""
    rows = await fetch(_HELD_POSTGRES if is_postgres() else _HELD_SQLITE, list_param(keys))
    return {row["key"] for row in rows}
