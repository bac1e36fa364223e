"""The webhooks domain's rules and queries: subscriptions and keys
(``subscriptions``), where a delivery may go (``targets``), how it is signed
(``signing``), the outbox's events turned into deliveries (``dispatch``), and the
deliveries' bookkeeping and log (``deliveries``)."""

from backend.webhooks.service.deliveries import (
    Claim,
    Outcome,
    claim,
    delivery_log,
    record,
    replay,
)
from backend.webhooks.service.dispatch import KINDS, dispatch, events_of
from backend.webhooks.service.signing import Key, signature
from backend.webhooks.service.subscriptions import (
    create_subscription,
    get_subscription,
    list_subscriptions,
    remove_subscription,
    rotate_key,
)
from backend.webhooks.service.targets import Refused, Target, check_url, pin

__all__ = [
    "KINDS",
    "Claim",
    "Key",
    "Outcome",
    "Refused",
    "Target",
    "check_url",
    "claim",
    "create_subscription",
    "delivery_log",
    "dispatch",
    "events_of",
    "get_subscription",
    "list_subscriptions",
    "pin",
    "record",
    "remove_subscription",
    "replay",
    "rotate_key",
    "signature",
]
