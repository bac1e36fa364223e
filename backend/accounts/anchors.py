"""Anchors of the audit chain outside the database (issue 20).

The hash chain shows an entry changed, removed or reordered, but someone who can write
to the database can also rewrite the whole chain from the changed entry on, every hash
recomputed, and it verifies again. An anchor is the chain's head (the last entry's id,
seq and hash, and when it was read) written somewhere the database cannot reach: the
bucket's ``audit-anchors/`` (one object per anchor; with the bucket's object lock or
versioning, one nobody can replace), else the data dir's ``anchors/audit.jsonl`` (one
line per anchor, appended), each signed with HMAC-SHA256 under
``MOTCUA_AUDIT_ANCHOR_KEY``. ``verify`` checks that every anchored entry is still in
the chain with the same hash: a rewritten chain no longer holds it.

An anchor line (JSON, one line)::

    {"at": "2026-12-08T03:00:00.000000+00:00", "hash": "<64 hex>", "id": 41,
     "mac": "<64 hex>", "seq": 40, "v": 1}

with ``mac`` = HMAC-SHA256(key, "motcua-audit-anchor-v1|id|seq|hash|at") in hex. The
key defaults to one derived from the secret key; set ``MOTCUA_AUDIT_ANCHOR_KEY`` to
give an auditor a key that checks anchors and cannot sign sessions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Protocol

import msgspec

from backend.db import fetch
from backend.settings import Settings

FOLDER: Final = "audit-anchors"
_LABEL: Final = "motcua-audit-anchor-v1"


class Anchor(msgspec.Struct, frozen=True):
    id: int
    seq: int
    hash: str
    at: str
    mac: str
    v: int = 1


class Place(Protocol):
    where: str

    async def append(self, anchor: Anchor, line: bytes) -> None: ...

    def lines(self) -> AsyncIterator[tuple[str, bytes]]:
        """Every anchor written, oldest first, each with where it is (for the report)."""
        ...


class FolderPlace:
    """Lines appended to ``anchors/audit.jsonl`` of the data dir, fsynced."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "audit.jsonl"
        self.where = str(self.path)

    async def append(self, anchor: Anchor, line: bytes) -> None:
        await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)

    async def lines(self) -> AsyncIterator[tuple[str, bytes]]:
        try:
            data = await asyncio.to_thread(self.path.read_bytes)
        except FileNotFoundError:
            return
        for number, line in enumerate(data.splitlines(), start=1):
            if line.strip():
                yield f"{self.path.name} line {number}", line


class BucketPlace:
    """One object per anchor under ``audit-anchors/``, named by time, never replaced."""

    def __init__(self, settings: Settings) -> None:
        from backend.attachments.s3 import S3Storage

        self.bucket = S3Storage(settings.storage)
        prefix = f"{settings.storage.prefix}/" if settings.storage.prefix else ""
        self.where = f"s3://{settings.storage.bucket}/{prefix}{FOLDER}/"

    async def append(self, anchor: Anchor, line: bytes) -> None:
        at = dt.datetime.fromisoformat(anchor.at)
        name = f"{FOLDER}/{at:%Y%m%dT%H%M%S%f}Z-{anchor.seq}-{anchor.hash[:8]}.json"
        await self.bucket.put_named(name, line + b"\n")

    async def lines(self) -> AsyncIterator[tuple[str, bytes]]:
        for name in await self.bucket.names(FOLDER):
            yield name, (await self.bucket.get_named(name)).strip()


def place_of(settings: Settings) -> Place:
    """The bucket when files go to one, else the data dir's folder."""
    if settings.storage.on_s3:
        return BucketPlace(settings)
    return FolderPlace(settings.data_dir / "anchors")


def where(settings: Settings) -> str:
    return place_of(settings).where


def key_of(settings: Settings) -> bytes:
    if settings.audit_anchor_key:
        return settings.audit_anchor_key.encode()
    return hmac.new(settings.secret_key.encode(), _LABEL.encode(), hashlib.sha256).digest()


def mac(key: bytes, entry_id: int, seq: int, entry_hash: str, at: str) -> str:
    message = f"{_LABEL}|{entry_id}|{seq}|{entry_hash}|{at}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def write(settings: Settings, now: dt.datetime, place: Place | None = None) -> Anchor | None:
    """Anchor the chain's head as it is now; None when the log is still empty."""
    rows = await fetch("SELECT id, seq, hash FROM accounts_audit ORDER BY seq DESC LIMIT 1")
    if not rows:
        return None
    head = rows[0]
    at = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
    entry_id, seq, entry_hash = int(head["id"]), int(head["seq"]), str(head["hash"])
    anchor = Anchor(
        entry_id, seq, entry_hash, at, mac(key_of(settings), entry_id, seq, entry_hash, at)
    )
    place = place or place_of(settings)
    await place.append(anchor, msgspec.json.encode(anchor, order="sorted"))
    return anchor


@dataclass(frozen=True, slots=True)
class AnchorProblem:
    where: str
    explanation: str


@dataclass(slots=True)
class AnchorReport:
    where: str
    checked: int = 0
    # Lines whose signature is wrong (forged or damaged): the first few, and how many.
    forged: list[AnchorProblem] = field(default_factory=list)
    forged_count: int = 0
    # The first anchor whose entry the chain no longer holds as anchored.
    mismatch: AnchorProblem | None = None
    last: Anchor | None = None

    @property
    def ok(self) -> bool:
        return not self.forged_count and self.mismatch is None


def _parse(key: bytes, line: bytes) -> Anchor | None:
    try:
        anchor = msgspec.json.decode(line, type=Anchor)
    except msgspec.DecodeError:
        return None
    expected = mac(key, anchor.id, anchor.seq, anchor.hash, anchor.at)
    return anchor if hmac.compare_digest(expected, anchor.mac) else None


async def verify(settings: Settings, place: Place | None = None) -> AnchorReport:
    """Every anchor's signature, then its entry looked up by id: still there, with the
    anchored seq and hash."""
    place = place or place_of(settings)
    key = key_of(settings)
    report = AnchorReport(place.where)
    async for where, line in place.lines():
        anchor = _parse(key, line)
        if anchor is None:
            report.forged_count += 1
            if len(report.forged) < 5:
                report.forged.append(AnchorProblem(where, "its signature does not match"))
            continue
        report.checked += 1
        report.last = anchor
        if report.mismatch is not None:
            continue
        rows = await fetch("SELECT seq, hash FROM accounts_audit WHERE id = {}", anchor.id)
        if not rows:
            problem = f"entry id {anchor.id} (seq {anchor.seq}) is no longer in the log"
        elif (int(rows[0]["seq"]), str(rows[0]["hash"])) != (anchor.seq, anchor.hash):
            problem = (
                f"entry id {anchor.id} now has seq {rows[0]['seq']}, hash {rows[0]['hash']};"
                f" anchored as seq {anchor.seq}, hash {anchor.hash}: the chain was rewritten"
            )
        else:
            continue
        report.mismatch = AnchorProblem(f"{where} (anchored {anchor.at})", problem)
    return report
