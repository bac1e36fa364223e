"""msgspec Structs of the webhooks API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

# The events an integrator may subscribe to.
EventType = Literal[
    "dossier.received", "dossier.status_changed", "dossier.result_ready", "payment.settled"
]
EVENT_TYPES: tuple[EventType, ...] = (
    "dossier.received",
    "dossier.status_changed",
    "dossier.result_ready",
    "payment.settled",
)
DeliveryStatus = Literal["pending", "delivered", "failed"]
# Lenient bounds: the service names what is wrong (the address's rules are its own).
Url = Annotated[str, msgspec.Meta(max_length=2000)]
AgencyCode = Annotated[str, msgspec.Meta(max_length=32)]


class SubscriptionCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    events: Annotated[list[str], msgspec.Meta(max_length=10)]
    # None: an agency's administrator's own agency; the province's administrators may
    # leave it out for every agency's events.
    agency_code: AgencyCode | None = None
    # Deliveries of one dossier in the order of its events (each waits for the last).
    ordered: bool = False
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class KeyRead(msgspec.Struct, kw_only=True):
    key_id: str
    created_at: dt.datetime
    # When a rotated key stops signing (None: the newest, signing until rotated).
    expires_at: dt.datetime | None


class SubscriptionRead(msgspec.Struct, kw_only=True):
    id: int
    url: str
    events: list[str]
    agency_code: str | None
    ordered: bool
    description: str
    created_at: dt.datetime
    keys: list[KeyRead]


class NewKey(msgspec.Struct, kw_only=True):
    """A signing secret, shown this once: keep it where the receiver checks signatures."""

    key_id: str
    secret: str


class SubscriptionCreated(msgspec.Struct, kw_only=True):
    subscription: SubscriptionRead
    key: NewKey


class DeliveryRead(msgspec.Struct, kw_only=True):
    id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: dt.datetime
    last_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
