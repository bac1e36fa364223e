"""A person's ratings and feedback for their data archive, and what deleting their
account does to them (``backend.privacy``).

Feedback is a petition the agency must answer and keep (the law on citizens'
petitions): its text, photos and the contact details given for the answer stay; only
the link to the account goes, as it does from ratings, which count in the figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from backend.attachments import Storage
from backend.db import write_transaction
from backend.feedback.tables import Feedback, Rating

# (path inside the archive, how to read its bytes)
ArchiveFile = tuple[str, Callable[[], Awaitable[bytes]]]


async def feedback_of_person(
    account_id: int, storage: Storage
) -> tuple[dict[str, Any], list[ArchiveFile]]:
    ratings = (
        await Rating.select(*Rating.all_columns(exclude=[Rating.rating_key]))
        .where(Rating.account_id == account_id)
        .order_by(Rating.id)
    )
    items = (
        await Feedback.select(*Feedback.all_columns(exclude=[Feedback.target_key]))
        .where(Feedback.account_id == account_id)
        .order_by(Feedback.id)
        .output(load_json=True)
    )
    files: list[ArchiveFile] = []
    for item in items:
        photos = []
        for n, photo in enumerate(item["photos"], 1):
            kind = "png" if "png" in str(photo.get("media_type", "")) else "jpg"
            path = f"files/feedback/{item['code']}/anh-{n}.{kind}"
            photos.append({"path": path, "media_type": photo.get("media_type", "")})
            files.append((path, partial(storage.get, photo["key"])))
        item["photos"] = photos
    return {"ratings": ratings, "feedback": items}, files


async def forget_rater(account_id: int) -> int:
    """Ratings and feedback kept, unlinked from the account; answers how many."""
    async with write_transaction():
        ratings = (
            await Rating.update({Rating.account_id: None})
            .where(Rating.account_id == account_id)
            .returning(Rating.id)
        )
        items = (
            await Feedback.update({Feedback.account_id: None})
            .where(Feedback.account_id == account_id)
            .returning(Feedback.id)
        )
    return len(ratings) + len(items)
