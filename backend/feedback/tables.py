"""Piccolo tables of the feedback domain: satisfaction ratings and feedback
(phản ánh, kiến nghị).

A rating is about a dossier (by its owner, once, editable for a week) or about a
visit to a counter (anonymous, from the counter's QR code: one per device, counter and
day, which ``rating_key`` makes unique) that proved the visit (``proof``). A rating
counts in the figures only while ``status`` is "counted": one held as part of a burst
waits for a leader's review (issue 15). Feedback gets a code the person follows, a
deadline in working days (from its release, when it was held), and one answer. Days
are Vietnamese calendar days, kept as dates so the figures can group by them.
"""

from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class Rating(Table, tablename="feedback_rating"):
    id: Serial  # added by Piccolo; declared for the type checker
    # "dossier:<id>", or "counter:<agency>:<number>:<device>:<YYYY-MM-DD>".
    rating_key = Varchar(length=160, unique=True)
    source = Varchar(length=16)  # "dossier" | "counter"
    agency_code = Varchar(length=32, index=True)
    counter_number = Integer(null=True, default=None)
    dossier_id = Integer(null=True, default=None, index=True)
    procedure_code = Varchar(length=32, null=True, default=None)
    account_id = Integer(null=True, default=None)
    # A dossier code typed at the counter: not checked, never shown to anyone else.
    stated_code = Varchar(length=48, default="")
    overall = Integer()  # 1 very unsatisfied ... 5 very satisfied
    info = Integer(null=True, default=None)  # information up to date and easy to find
    speed = Integer(null=True, default=None)  # processing time
    convenience = Integer(null=True, default=None)
    attitude = Integer(null=True, default=None)  # the officials' attitude
    comment = Text(default="")
    # What proved the visit: "account" (the dossier's owner), "visit_code" (the code
    # shown at the counter); "" for counter ratings made before proofs were asked.
    proof = Varchar(length=16, default="")
    # "counted" | "held" (a burst, waiting for review) | "rejected" | "unverified"
    # (no proof: kept, never counted). Only "counted" enters any figure.
    status = Varchar(length=12, default="counted", index=True)
    held_reason = Varchar(length=16, default="")  # "burst" | "identical"
    reviewed_by = Integer(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    day = Date(index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz(index=True)


class RatingOfficial(Table, tablename="feedback_rating_official"):
    """The officials who handled a rated dossier: each sees the ratings of their work."""

    id: Serial
    rating = ForeignKey(references=Rating, on_delete=OnDelete.cascade, index=True)
    official_id = Integer(index=True)


class Feedback(Table, tablename="feedback_item"):
    id: Serial
    code = Varchar(length=24, unique=True)  # "PA-261005-7K3Q9M", what the person quotes
    agency_code = Varchar(length=32, index=True)  # handling it now
    first_agency = Varchar(length=32)
    procedure_code = Varchar(length=32, null=True, default=None)
    dossier_id = Integer(null=True, default=None, index=True)
    counter_number = Integer(null=True, default=None)
    category = Varchar(length=24)
    text = Text()
    # [{"key": storage key, "media_type": ..., "size": ...}]
    photos = JSON(default=[])
    anonymous = Boolean(default=False)
    contact_name = Text(default="")
    contact_phone = Varchar(length=16, default="")
    contact_email = Varchar(length=120, default="")
    account_id = Integer(null=True, default=None, index=True)
    # "open" | "answered" | "held" (one of a burst about the same target: no deadline
    # yet, not in the figures, until released) | "rejected"
    status = Varchar(length=16, index=True)
    received_day = Date(index=True)
    due_date = Date(index=True)
    answer = Text(default="")
    answered_at = Timestamptz(null=True, default=None)
    answered_day = Date(null=True, default=None, index=True)
    answered_by = Integer(null=True, default=None)
    answered_by_name = Text(default="")
    on_time = Boolean(null=True, default=None)
    publish_consent = Boolean(default=False)
    published = Boolean(default=False, index=True)
    answer_rating = Integer(null=True, default=None)  # 1..5, by the person
    # Forwards between agencies: [{"at", "from", "to", "by", "note"}].
    history = JSON(default=[])
    # What it is about, as the per-target limit counts it: "dossier:<id>",
    # "counter:<agency>:<number>", "procedure:<agency>:<code>" or "agency:<code>".
    target_key = Varchar(length=80, default="")
    reviewed_by = Integer(null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz(index=True)
