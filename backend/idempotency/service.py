"""The bookkeeping of requests made under an Idempotency-Key (the IETF draft
"The Idempotency-Key HTTP Header Field"): the first request with a key reserves it,
and its answer, once a success, is kept for 24 hours and given to every replay.

- the same key, the same request, answered: the first answer again;
- the same key while the first request is still running: 409 (come back later);
- the same key with another request: 422 (a key names one request);
- a first request that failed (a refusal, a crash): the key is free again, so the
  retry is taken as new. A reservation whose process died is taken over once older
  than any request runs (``IN_FLIGHT_MS``).

Keys are scoped to who asks (an account, or "anonymous"), the method and the path.
The reservation and the operation are two transactions: a process killed between the
operation's commit and the answer's record lets a retry run it again. Operations that
must be exactly once keep the key in their own rows (payment orders, drafts).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from backend.db import fetch, write_transaction
from backend.errors import Conflict, InvalidInput
from backend.i18n import N_

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Kept that long: a phone offline for the night still gets its first answer.
KEEP_MS = 24 * 3600 * 1000
# Longer than any request takes: a reservation this old belongs to a dead process.
IN_FLIGHT_MS = 120_000
# What a client may send as a key: as Stripe takes them, 1 to 255 printable ASCII.
_KEY = re.compile(r"[\x20-\x7e]{1,255}")

_RESERVE = (
    "INSERT INTO idempotency_request (request_key, fingerprint, status_code, headers, body,"
    " created_ms) VALUES ({}, {}, NULL, {}, NULL, {})"
    " ON CONFLICT (request_key) DO NOTHING RETURNING id"
)
_FIND = (
    "SELECT fingerprint, status_code, headers, body, created_ms FROM idempotency_request"
    " WHERE request_key = {}"
)
_TAKE_OVER = (
    "UPDATE idempotency_request SET created_ms = {} WHERE request_key = {}"
    " AND status_code IS NULL AND created_ms = {} RETURNING id"
)
_COMPLETE = (
    "UPDATE idempotency_request SET status_code = {}, headers = {}, body = {}"
    " WHERE request_key = {} AND status_code IS NULL AND created_ms = {}"
)
_RELEASE = (
    "DELETE FROM idempotency_request"
    " WHERE request_key = {} AND status_code IS NULL AND created_ms = {}"
)
_PRUNE = "DELETE FROM idempotency_request WHERE created_ms < {} RETURNING id"


@dataclass(frozen=True, slots=True)
class Reservation:
    """The key is ours: run the request, then ``complete`` or ``release``."""

    request_key: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class Answer:
    """The first answer, to give again."""

    status_code: int
    headers: dict[str, str]
    body: bytes


def checked_key(value: str) -> str:
    """A field value's surrounding spaces are not part of it (RFC 9110, 5.5)."""
    key = value.strip(" \t")
    if not _KEY.fullmatch(key):
        raise InvalidInput(
            N_("Idempotency-Key phải có từ 1 đến 255 ký tự ASCII in được (như một UUID)."),
            field=HEADER,
        )
    return key


def request_key(who: str, method: str, path: str, key: str) -> str:
    return hashlib.sha256("\0".join((who, method, path, key)).encode()).hexdigest()


async def reserve(key: str, fingerprint: str, now_ms: int) -> Reservation | Answer:
    """Take the key for this request, or the first answer made under it."""
    async with write_transaction():
        if await fetch(_RESERVE, key, fingerprint, "{}", now_ms):
            return Reservation(key, now_ms)
        rows = await fetch(_FIND, key)
        if not rows:  # pruned between the two statements: take it again
            await fetch(_RESERVE, key, fingerprint, "{}", now_ms)
            return Reservation(key, now_ms)
        row = rows[0]
        if row["fingerprint"] != fingerprint:
            raise InvalidInput(
                N_(
                    "Idempotency-Key này đã được dùng cho một yêu cầu khác. Yêu cầu mới cần"
                    " một khóa mới."
                ),
                field=HEADER,
            )
        if row["status_code"] is not None:
            return Answer(row["status_code"], json.loads(row["headers"]), bytes(row["body"]))
        if row["created_ms"] < now_ms - IN_FLIGHT_MS and await fetch(
            _TAKE_OVER, now_ms, key, row["created_ms"]
        ):
            return Reservation(key, now_ms)
    raise Conflict(
        N_("Yêu cầu trước với cùng Idempotency-Key vẫn đang được xử lý. Hãy thử lại sau giây lát."),
        field=HEADER,
    )


async def complete(reservation: Reservation, answer: Answer) -> None:
    async with write_transaction():
        await fetch(
            _COMPLETE,
            answer.status_code,
            json.dumps(answer.headers),
            answer.body,
            reservation.request_key,
            reservation.created_ms,
        )


async def release(reservation: Reservation) -> None:
    async with write_transaction():
        await fetch(_RELEASE, reservation.request_key, reservation.created_ms)


async def prune(now_ms: int) -> int:
    """Forget the keys of more than a day ago; returns how many."""
    async with write_transaction():
        return len(await fetch(_PRUNE, now_ms - KEEP_MS))
