from piccolo.columns import JSON, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxMessage(Table, tablename="outbox_message"):
    """One event to act on after its transaction committed.

    ``event_key`` is unique: the same event written twice (a retried request) is one
    message, and it is the idempotency key a worker sends with."""

    id: Serial  # added by Piccolo; declared for the type checker
    event_key = Varchar(length=120, unique=True)
    kind = Varchar(length=40, index=True)  # e.g. "dossier.received"
    subject = Varchar(length=60, index=True)  # e.g. "dossier:42"
    account_ids = JSON(default=[])  # who is told
    payload = JSON(default={})  # no personal data beyond codes and states
    created_at = Timestamptz()
    available_at = Timestamptz(index=True)
    attempts = Integer(default=0)
    done_at = Timestamptz(null=True, default=None)
    last_error = Text(null=True, default=None)
