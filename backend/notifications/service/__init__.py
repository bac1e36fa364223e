"""The rules of notifications, one module a part: what a notice says (``notices``),
Web Push subscriptions (``subscriptions``), the inbox (``inbox``), what a person does
not want pushed and the channels they chose (``preferences``), and the worker's steps:
fan-out, outbox message to notices, push jobs and channel jobs (``fanout``), delivery
bookkeeping (``delivery`` for push, ``channel_jobs`` for e-mail, SMS and ZNS) and the
providers' delivery reports (``channel_status``).

Both steps are idempotent and claim their work: on PostgreSQL several workers run at
once, each taking rows with ``FOR UPDATE SKIP LOCKED``; on SQLite writes are
serialised anyway.
"""

from backend.notifications.service.channel_jobs import (
    STOP_PATH,
    check_stop,
    kinds_offered,
    opt_out,
)
from backend.notifications.service.channel_jobs import claim as claim_channel_jobs
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
from backend.notifications.service.personal import forget_recipient, notifications_of_person
from backend.notifications.service.preferences import (
    CHANNEL_NAMES,
    choose_channels,
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
    "CHANNEL_NAMES",
    "KINDS",
    "STOP_PATH",
    "Job",
    "Outcome",
    "change_subscription",
    "check_stop",
    "choose_channels",
    "choose_kinds",
    "claim_channel_jobs",
    "claim_jobs",
    "fan_out",
    "forget_recipient",
    "get_preferences",
    "kinds_offered",
    "leases_kept",
    "list_notices",
    "mark_all_read",
    "mark_read",
    "notifications_of_person",
    "opt_out",
    "record",
    "set_preferences",
    "subscribe",
    "unread_count",
    "unsubscribe",
]
