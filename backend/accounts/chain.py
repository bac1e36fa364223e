"""The audit log's hash chain (issue 20): each entry carries the hash of the one before
it, so changing, removing or reordering an entry already written breaks every link from
there on, and ``verify`` finds the first broken one.

An entry's hash, as hex SHA-256::

    hash = SHA-256(prev_hash || canonical)

``prev_hash`` is the previous entry's ``hash`` as 64 ASCII hex digits (64 zeros for
the first entry), and ``canonical`` the UTF-8 JSON array::

    [seq, at, event, actor_id, subject_id, client_address, details]

with ``at`` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` (always six digits),
absent ids and address as ``null``, ``details`` as the JSON object it is stored as,
keys sorted, no whitespace (msgspec's encoding). The hash is computed from values
read back as both databases give them (a timestamp, JSON as text), so an auditor can
recompute it with any JSON library and ``sha256sum``.

``seq`` numbers the entries 1, 2, 3... without gaps (the ids may have gaps, where a
transaction rolled back): a missing entry shows as a gap. Entries are chained in the
order they commit: on SQLite every write holds the database's write lock; on
PostgreSQL a transaction-scoped advisory lock is held from reading the last entry
until the transaction that appends commits, even when that is another domain's outer
transaction. A unique index on ``seq`` refuses a fork should the lock ever be missed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from backend.db import fetch
from backend.db.dialect import is_postgres

GENESIS = "0" * 64
# The advisory lock space (payments use 7_000_001 and 7_000_003, feedback 7_000_015-16,
# webhooks 7_000_018, appointments 7_000_019-20).
CHAIN_LOCK = 7_000_021
BATCH = 1000


def utc(at: dt.datetime | str) -> dt.datetime:
    """A timestamp as stored: UTC, a naive one taken as UTC (as Piccolo stores it)."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        return at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC)


def canonical_details(details: Mapping[str, Any]) -> str:
    """The text stored for ``details``: what reading it back and encoding it again
    gives (a datetime becomes its ISO text, a tuple a list, keys sorted)."""
    once = msgspec.json.encode(details, order="sorted")
    return msgspec.json.encode(msgspec.json.decode(once), order="sorted").decode()


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: dt.datetime | str,
    event: str,
    actor_id: int | None,
    subject_id: int | None,
    client_address: str | None,
    details: str | Mapping[str, Any],
) -> str:
    """The hash of an entry, from its columns as written or as read back."""
    parsed = msgspec.json.decode(details) if isinstance(details, str) else details
    canonical = msgspec.json.encode(
        [
            seq,
            utc(at).isoformat(timespec="microseconds"),
            event,
            actor_id,
            subject_id,
            client_address,
            parsed,
        ],
        order="sorted",
    )
    return hashlib.sha256(prev_hash.encode("ascii") + canonical).hexdigest()


async def last_link() -> tuple[int, str]:
    """Inside a write transaction: the last entry's ``seq`` and ``hash``, taking the
    chain's lock on PostgreSQL first (held until the transaction ends)."""
    if is_postgres():
        await fetch("SELECT pg_advisory_xact_lock({}, 0)", CHAIN_LOCK)
    rows = await fetch("SELECT seq, hash FROM accounts_audit ORDER BY seq DESC LIMIT 1")
    if not rows:
        return 0, GENESIS
    return int(rows[0]["seq"]), str(rows[0]["hash"])


@dataclass(frozen=True, slots=True)
class ChainBreak:
    id: int
    seq: int
    at: dt.datetime
    # "content": the hash does not match the entry; "link": its prev_hash is not the
    # previous entry's hash; "missing": entries before it are not there; "order": its
    # seq does not follow the previous entry's.
    problem: str
    explanation: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    last_seq: int
    last_hash: str
    broken: ChainBreak | None = None


_PAGE = (
    "SELECT id, seq, prev_hash, hash, at, event, actor_id, subject_id, client_address,"
    " details FROM accounts_audit WHERE id > {} ORDER BY id LIMIT {}"
)


def _problem(row: Mapping[str, Any], seq: int, last_hash: str) -> tuple[str, str] | None:
    if row["seq"] > seq + 1:
        missing = row["seq"] - seq - 1
        return "missing", f"{missing} entry(ies) missing before it (seq {seq + 1}-{row['seq'] - 1})"
    if row["seq"] != seq + 1:
        return "order", f"its seq {row['seq']} does not follow {seq}"
    if row["prev_hash"] != last_hash:
        return "link", "its prev_hash is not the previous entry's hash"
    expected = entry_hash(
        row["prev_hash"],
        seq=row["seq"],
        at=row["at"],
        event=row["event"],
        actor_id=row["actor_id"],
        subject_id=row["subject_id"],
        client_address=row["client_address"],
        details=row["details"],
    )
    if row["hash"] != expected:
        return "content", "its hash does not match its content"
    return None


async def verify(batch: int = BATCH) -> ChainReport:
    """Check the whole chain in id order, ``batch`` entries at a time (never all in
    memory); stop at the first broken link."""
    checked, seq, last_hash, after = 0, 0, GENESIS, 0
    while rows := await fetch(_PAGE, after, batch):
        for row in rows:
            problem = _problem(row, seq, last_hash)
            if problem is not None:
                broken = ChainBreak(int(row["id"]), int(row["seq"]), utc(row["at"]), *problem)
                return ChainReport(checked, seq, last_hash, broken)
            checked, seq, last_hash = checked + 1, int(row["seq"]), str(row["hash"])
        after = int(rows[-1]["id"])
    return ChainReport(checked, seq, last_hash)
