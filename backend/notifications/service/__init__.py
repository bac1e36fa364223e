"""The rules of notifications, one module a part: what a notice says (``notices``),
Web Push subscriptions (``subscriptions``), the inbox (``inbox``), what a person does
not want pushed (``preferences``), and the worker's two steps: fan-out, outbox message
to notices and push jobs (``fanout``), and delivery bookkeeping (``delivery``).

Both steps are idempotent and claim their work: on PostgreSQL several workers run at
once, each taking rows with ``FOR UPDATE SKIP LOCKED``; on SQLite writes are
serialised anyway.
"""

from backend.notifications.service.delivery import (
    Job,
    Outcome,
    claim_jobs,
    leases_kept,
    record,
)
from backend.notifications.service.fanout import fan_out
from backend.notifications.service.inbox import (
    list_notices,
    mark_all_read,
    mark_read,
    unread_count,
)
from backend.notifications.service.notices import KINDS
from backend.notifications.service.preferences import (
    choose_kinds,
    get_preferences,
    set_preferences,
)
from backend.notifications.service.subscriptions import (
    change_subscription,
    subscribe,
    unsubscribe,
)

__all__ = [
    "KINDS",
    "Job",
    "Outcome",
    "change_subscription",
    "choose_kinds",
    "claim_jobs",
    "fan_out",
    "get_preferences",
    "leases_kept",
    "list_notices",
    "mark_all_read",
    "mark_read",
    "record",
    "set_preferences",
    "subscribe",
    "unread_count",
    "unsubscribe",
]
