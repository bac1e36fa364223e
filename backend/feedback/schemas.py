"""msgspec Structs of the feedback API and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

# The five levels of the scale (and the stars of an answer): a choice, not a number.
Stars = Literal[1, 2, 3, 4, 5]
Comment = Annotated[str, msgspec.Meta(max_length=1000)]
Source = Literal["dossier", "counter"]
Category = Literal["thu_tuc", "thoi_gian", "thai_do", "phi", "co_so", "khac"]
# "held": one of a burst, waiting for a leader's review (not counted, no deadline yet).
FeedbackStatus = Literal["open", "answered", "held", "rejected"]
# Only "counted" enters the figures; "unverified": made before visits were proven.
RatingStatus = Literal["counted", "held", "rejected", "unverified"]
Decision = Literal["release", "reject"]


class RatingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The survey: overall satisfaction, then optional criteria and a comment."""

    overall: Stars
    info: Stars | None = None
    speed: Stars | None = None
    convenience: Stars | None = None
    attitude: Stars | None = None
    comment: Comment = ""


class CounterRatingIn(RatingIn, kw_only=True, forbid_unknown_fields=True):
    # The code shown at the counter now (six digits): the proof of the visit, required.
    visit_code: Annotated[str, msgspec.Meta(max_length=16)] = ""
    # A dossier code the person may add; it is kept as typed, never checked or shown.
    stated_code: Annotated[str, msgspec.Meta(max_length=48)] = ""


class RatingRead(msgspec.Struct, kw_only=True):
    id: int
    source: Source
    agency_code: str
    counter_number: int | None
    dossier_id: int | None
    procedure_code: str | None
    overall: int
    info: int | None
    speed: int | None
    convenience: int | None
    attitude: int | None
    comment: str
    day: dt.date
    created_at: dt.datetime
    updated_at: dt.datetime
    # Counted in the figures, or held for review (a burst at its counter).
    status: RatingStatus = "counted"
    held_reason: str = ""
    # Until when the person may still change it (dossier ratings).
    editable_until: dt.datetime | None = None
    # Whether the person asking gave it (or another member of the organisation).
    by_me: bool = True


class VisitCode(msgspec.Struct, kw_only=True):
    """The code a counter shows now, which proves a visit to whoever rates it."""

    agency_code: str
    counter_number: int
    code: str
    # It changes at ``changes_at`` and is still accepted one step longer (someone who
    # read it just before the change still rates).
    changes_at: dt.datetime
    step_minutes: int
    # The counter's survey with this code filled in (the counter's screen shows it as a
    # QR code, so the person need not type it).
    rating_url: str


class ReviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A leader's decision on a held rating or feedback: count it (start its deadline)
    or leave it out for good."""

    decision: Decision


class RatingSummary(msgspec.Struct, kw_only=True):
    count: int
    satisfied: int  # overall 4 or 5
    average: float | None
    from_counter: int
    from_dossiers: int
    # Average of each criterion over the ratings that answered it.
    criteria: dict[str, float | None]


class OfficialRatings(msgspec.Struct, kw_only=True):
    """What an official sees of the ratings of their work and their agency."""

    mine: RatingSummary
    agency: RatingSummary
    recent: list[RatingRead]


class FeedbackIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Feedback or a petition. What it is about: a dossier, a counter (its QR token), a
    procedure, or just an agency."""

    category: Category
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    anonymous: bool = False
    contact_name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=24)] = ""
    contact_email: Annotated[str, msgspec.Meta(max_length=120)] = ""
    publish_consent: bool = False
    dossier_id: int | None = None
    counter_token: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    procedure_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    agency_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class FeedbackRead(msgspec.Struct, kw_only=True):
    """What the person who sent it (and anyone with its tracking link) sees."""

    code: str
    category: Category
    text: str
    agency_code: str
    procedure_code: str | None
    status: FeedbackStatus
    received_day: dt.date
    due_date: dt.date
    photos: int
    answer: str
    answered_at: dt.datetime | None
    answer_rating: int | None
    published: bool
    publish_consent: bool


class Forward(msgspec.Struct, kw_only=True):
    """One pass of feedback from an agency to another."""

    at: str  # Vietnam time, to the minute: "2026-10-05T15:04+07:00"
    from_agency: str = msgspec.field(name="from")
    to: str
    by: str
    note: str

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.at)


class FeedbackDetail(FeedbackRead, kw_only=True):
    """What the agency's officials see."""

    id: int
    anonymous: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    dossier_id: int | None
    counter_number: int | None
    first_agency: str
    answered_by_name: str
    on_time: bool | None
    overdue: bool
    history: list[Forward]


class FeedbackSent(msgspec.Struct, kw_only=True):
    feedback: FeedbackRead
    # The signed link to follow it without an account.
    tracking_url: str


class AnswerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    answer: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    publish: bool = False


class ForwardIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    agency_code: Annotated[str, msgspec.Meta(max_length=32)]
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class AnswerRatingIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    stars: Stars


class PublishedAnswer(msgspec.Struct, kw_only=True):
    code: str
    category: Category
    procedure_code: str | None
    agency_code: str
    text: str
    answer: str
    answered_at: dt.datetime
    answered_day: dt.date  # in Vietnam


class FeedbackQueue(msgspec.Struct, kw_only=True):
    items: list[FeedbackDetail]
    total: int
    open: int
    answered: int
    overdue: int
    page: int
    page_size: int
    # Held for review (one of a burst about the same target), without a deadline yet.
    held: int = 0
