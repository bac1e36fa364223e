"""Piccolo tables of the portal domain.

One ``PortalSync`` row per received dossier: the latest version of it known here (the
id of its last history line), the version the portal last accepted, and where the
sync stands: "requested" (to be sent), "synced", or "error" with what went wrong and
the portal's own words. ``next_ms`` is when it is due (NULL: nothing to do until a new
history line, the nightly resend or an official's "Gửi lại")."""

from piccolo.columns import BigInt, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class PortalSync(Table, tablename="portal_sync"):
    id: Serial  # added by Piccolo; declared for the type checker
    dossier_id = Integer(unique=True)
    wanted_version = BigInt(default=0)
    sent_version = BigInt(null=True, default=None)
    state = Varchar(length=10, default="requested")  # "requested" | "synced" | "error"
    # What went wrong ("timeout", "unreachable", "server", "auth", "rejected"), and the
    # portal's message if it gave one (shown to officials as it came).
    problem = Varchar(length=16, default="")
    message = Text(default="")
    attempts = Integer(default=0)
    # Epoch milliseconds, compared in SQL (as the webhooks' deliveries are).
    next_ms = BigInt(null=True, default=None, index=True)
    claimed_until_ms = BigInt(null=True, default=None)
    requested_ms = BigInt(default=0)
    # Since when sends fail in a row: automatic retries stop after the retry window.
    failing_since_ms = BigInt(null=True, default=None)
    updated_at = Timestamptz()
