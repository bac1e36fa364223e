"""Piccolo tables of the webhooks domain.

A ``Subscription`` is an integrator's HTTPS address and the events it wants; each of
its signing secrets is a ``SigningKey`` (a rotated one keeps signing beside the new one
until its grace ends). The dispatcher turns each outbox event into one ``Delivery`` per
matching subscription (``delivery_key`` unique: a second pass changes nothing), and the
sender moves each delivery on, keeping its log on the row itself."""

from piccolo.columns import JSON, BigInt, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class Subscription(Table, tablename="webhooks_subscription"):
    id: Serial  # added by Piccolo; declared for the type checker
    url = Varchar(length=500)
    events = JSON(default=[])  # the event types wanted, e.g. ["dossier.received"]
    # "" for every agency's events (the province's administrators only).
    agency_code = Varchar(length=32, default="", index=True)
    # Deliveries of one dossier wait for the earlier ones to be delivered.
    ordered = Boolean(default=False)
    description = Varchar(length=200, default="")
    created_by = Integer()
    created_at = Timestamptz()


class SigningKey(Table, tablename="webhooks_key"):
    """A subscription's secret. Kept as it is: signing needs it (shown once to whoever
    made it)."""

    id: Serial
    subscription_id = Integer(index=True)
    key_id = Varchar(length=32, unique=True)
    secret = Varchar(length=100)
    created_at = Timestamptz()
    # Set when a newer key replaces it: it still signs (beside the new one) until then.
    expires_ms = BigInt(null=True, default=None)


class Delivery(Table, tablename="webhooks_delivery"):
    """One event for one subscription, and its log: attempts, the last answer."""

    id: Serial
    delivery_key = Varchar(length=220, unique=True)  # "<event id>#<subscription id>"
    subscription_id = Integer(index=True)
    event_id = Varchar(length=200, index=True)  # sent as Webhook-Id
    event_type = Varchar(length=40)
    # The dossier (the outbox subject) whose deliveries keep their order, and where
    # this one comes in it: the outbox message's id, then the event within it.
    order_key = Varchar(length=60, default="")
    seq = BigInt(default=0)
    ordered = Boolean(default=False)
    body = Text()  # the JSON sent, fixed once: a retry or a replay sends the same bytes
    status = Varchar(length=10, default="pending")  # "pending" | "delivered" | "failed"
    attempts = Integer(default=0)
    # Epoch milliseconds, compared in SQL (as the push jobs do).
    available_ms = BigInt(index=True)
    claimed_until_ms = BigInt(null=True, default=None)
    # After this, a failed attempt is the last: the delivery is "failed".
    deadline_ms = BigInt()
    last_status_code = Integer(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()
    last_attempt_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
