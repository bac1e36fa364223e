"""The requests made under an Idempotency-Key, and their first answers (24 hours)."""

from piccolo.columns import BigInt, Bytea, Integer, Serial, Text, Varchar
from piccolo.table import Table


class IdempotentRequest(Table, tablename="idempotency_request"):
    id: Serial
    # SHA-256 (hex) of who asked (the account, or "anonymous"), the method, the path
    # and the key: one column, since a composite unique key needs ALTER TABLE on SQLite.
    request_key = Varchar(length=64, unique=True)
    # SHA-256 of what was asked (query, content type, body): the same key sent with
    # another request is refused.
    fingerprint = Varchar(length=64)
    # NULL while the first request is in flight; then the answer it got.
    status_code = Integer(null=True, default=None)
    headers = Text(default="{}")  # JSON: the answer's content type, location, cache policy
    body = Bytea(null=True, default=None)
    # Epoch milliseconds (SQLite keeps timestamps as text): when the first request
    # began; also the token of its reservation (a stale one taken over gets a new one).
    created_ms = BigInt(index=True)
