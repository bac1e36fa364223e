"""Removing kept files that no row holds.

An upload keeps its bytes first and writes its row after; a crash (kill -9, a power
cut) between the two leaves a file nobody holds, and a crash in the middle of the
write a half-written temporary file. Neither may stay: they are people's ID cards and
photos with no owner. Each domain that keeps files says which of a list of keys its
rows hold (a ``Holder``); the sweep removes the files written before a grace period
that none of them holds. The grace covers uploads still running (their row is not
written yet), so it must be longer than any request; a file with a row is never
removed, and a sweep asked of no holder at all refuses to run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass

from backend.attachments.storage import Storage

logger = logging.getLogger("motcua.attachments")

Holder = Callable[[Sequence[str]], Awaitable[Collection[str]]]
"""Of these keys, those the domain's rows hold."""

# Keys asked of the holders at a time: one indexed IN list each.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Swept:
    orphans: int
    temporary: int


async def sweep(
    storage: Storage,
    holders: Sequence[Holder],
    *,
    grace_s: float,
    now: float | None = None,
) -> Swept:
    """Remove the files written more than ``grace_s`` ago that no holder holds, and
    the temporary files of interrupted uploads as old."""
    if not holders:
        raise ValueError("a sweep needs the holders of every kind of file kept")
    before = (time.time() if now is None else now) - grace_s
    temporary = await storage.drop_temporary(before)
    orphans = 0
    async for keys in storage.kept(before):
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            held: set[str] = set()
            for holder in holders:
                held.update(await holder(batch))
            for key in batch:
                if key not in held:
                    await storage.delete(key)
                    orphans += 1
    if orphans or temporary:
        logger.warning(
            "files without a row removed",
            extra={"fields": {"orphans": orphans, "temporary": temporary, "grace_s": grace_s}},
        )
    return Swept(orphans, temporary)
