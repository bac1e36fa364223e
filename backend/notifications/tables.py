"""Piccolo tables of the notifications domain.

An outbox message becomes one ``Notice`` per person (their inbox) and one ``PushJob``
per device of theirs; each attempt to deliver a job is a ``Delivery`` row. Unique keys
derived from the outbox event make every step idempotent: a worker that dies half-way
and starts again repeats nothing that committed.
"""

from piccolo.columns import JSON, BigInt, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class PushSubscription(Table, tablename="notifications_subscription"):
    """One device's Web Push subscription, tied to the sign-in session it was made in."""

    id: Serial  # added by Piccolo; declared for the type checker
    account_id = Integer(index=True)
    session_id = Varchar(length=32, index=True)  # accounts_session.public_id
    endpoint = Varchar(length=1000, unique=True)
    p256dh = Varchar(length=100)
    auth = Varchar(length=40)
    lang = Varchar(length=2, default="vi")
    created_at = Timestamptz()
    last_sent_at = Timestamptz(null=True, default=None)


class Notice(Table, tablename="notifications_notice"):
    """A line of a person's inbox: kept whether or not any push got through."""

    id: Serial
    notice_key = Varchar(length=160, unique=True)  # "<outbox event key>:<account id>"
    account_id = Integer(index=True)
    kind = Varchar(length=40)
    dossier_id = Integer(null=True, default=None)
    code = Varchar(length=48, null=True, default=None)
    status = Varchar(length=24, default="")
    due_date = Varchar(length=10, null=True, default=None)
    # The agency a notice names: the one now handling a transferred dossier, or the one
    # whose counter added a passkey.
    agency_code = Varchar(length=32, default="")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class PushJob(Table, tablename="notifications_push_job"):
    """Delivering one notice to one device."""

    id: Serial
    job_key = Varchar(length=200, unique=True)  # "<notice key>:<subscription id>"
    notice_id = Integer(index=True)
    subscription_id = Integer(index=True)
    status = Varchar(length=8, default="pending")  # "pending" | "sent" | "dead"
    attempts = Integer(default=0)
    # Epoch milliseconds, not timestamps: claims compare times in SQL, and SQLite keeps
    # timestamps as text that does not always sort as time.
    available_ms = BigInt(index=True)
    # A worker's claim: until then nobody else takes the job; after it, a dead worker's
    # job is taken again (and sent again, with the same Topic, so the phone shows one).
    claimed_until_ms = BigInt(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)


class Delivery(Table, tablename="notifications_delivery"):
    """One attempt: what the push service answered."""

    id: Serial
    job_id = Integer(index=True)
    attempt = Integer()
    at = Timestamptz()
    status_code = Integer(null=True, default=None)
    outcome = Varchar(length=8)  # "sent" | "retry" | "gone" | "failed"
    detail = Text(default="")


class Preference(Table, tablename="notifications_preference"):
    id: Serial
    account_id = Integer(unique=True)
    muted = JSON(default=[])  # kinds this person does not want pushed
    # Issue 16: the channels beside push each kind goes to ({kind: ["sms", ...]}), and
    # the address e-mails go to ("" for none).
    channels = JSON(default={})
    email = Varchar(length=254, default="")
    # The language the person chose in (e-mails and texts go out in it).
    lang = Varchar(length=2, default="vi")


class ChannelJob(Table, tablename="notifications_channel_job"):
    """Delivering one notice over one channel (e-mail, SMS, ZNS) to one address: one
    job per notice and channel (``job_key``), so never a second message."""

    id: Serial
    job_key = Varchar(length=200, unique=True)  # "<event key>:<recipient>:<channel>"
    channel = Varchar(length=8)
    notice_id = Integer(null=True, default=None)  # the inbox line (people with an account)
    kind = Varchar(length=40)
    dossier_id = Integer(null=True, default=None)
    code = Varchar(length=48, null=True, default=None)
    due_date = Varchar(length=10, null=True, default=None)
    agency_code = Varchar(length=32, default="")
    # What the event adds to its code, as its notice's ``status`` (a visit's time).
    note = Varchar(length=40, default="")
    lang = Varchar(length=2, default="vi")
    url = Varchar(length=300, default="")  # the path the message links to
    address = Varchar(length=254)  # a phone number or an e-mail address: never logged
    # "pending" | "sending" (claimed) | "sent" | "delivered" | "failed" | "unknown"
    status = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    available_ms = BigInt(index=True)
    claimed_until_ms = BigInt(null=True, default=None)
    provider_id = Varchar(length=100, null=True, default=None, index=True)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    detail = Text(default="")


class ChannelAttempt(Table, tablename="notifications_channel_attempt"):
    """One attempt at a channel job: what the provider answered (never the address)."""

    id: Serial
    job_id = Integer(index=True)
    attempt = Integer()
    at = Timestamptz()
    outcome = Varchar(length=8)  # "sent" | "retry" | "failed" | "unknown"
    detail = Text(default="")


class ChannelReport(Table, tablename="notifications_channel_report"):
    """A provider's status report received (a callback or webhook event): the unique key
    makes a replayed report change nothing."""

    id: Serial
    report_key = Varchar(length=200, unique=True)
    job_id = Integer(index=True)
    at = Timestamptz()
    delivered = Boolean()
    detail = Text(default="")


class ChannelOptOut(Table, tablename="notifications_channel_opt_out"):
    """An address without an account that asked to be sent nothing more (the link in
    our e-mails). Kept as the recipient key, an HMAC of the address: no address here."""

    id: Serial
    recipient = Varchar(length=40, unique=True)
    at = Timestamptz()
