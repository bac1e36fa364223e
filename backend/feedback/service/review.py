"""The review of what ``bursts`` held: a leader of the agency lists its held ratings and
feedback and releases each (a rating then counts; feedback gets its deadline of ten
working days from that day) or rejects it (left out of every figure for good).

Leaders only: the counter's own officials are the ones a counter rating judges, and a
reception official rejecting the bad ratings of their own counter is what the review
is there to prevent. A decision is taken once (``WHERE status = 'held'``); the
rating's or feedback's ``updated_at`` moves, so the figures of its day are recomputed.
"""

from __future__ import annotations

import msgspec

from backend.accounts.schemas import Principal
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, NotFound
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import Decision, FeedbackDetail, RatingRead
from backend.feedback.service.handling import detail
from backend.feedback.service.items import ANSWER_DAYS, unknown
from backend.feedback.service.rows import RatingRow, feedback_by_id, rating_by_id
from backend.feedback.tables import Feedback, Rating
from backend.i18n import N_
from backend.workdays import service as workdays

HELD_LIST = 100


def _leader_agency(principal: Principal) -> str:
    if principal.kind != "staff" or principal.role != "leader" or principal.agency_code is None:
        raise Forbidden(N_("Chỉ lãnh đạo cơ quan duyệt được những gì đang chờ duyệt."))
    return principal.agency_code


def _taken() -> Conflict:
    return Conflict(N_("Mục này đã được duyệt rồi. Hãy tải lại trang."), field="review")


async def held_ratings(principal: Principal) -> list[RatingRead]:
    """The agency's held ratings, the newest first (a leader's review list)."""
    agency = _leader_agency(principal)
    rows = (
        await Rating.select()
        .where((Rating.agency_code == agency) & (Rating.status == "held"))
        .order_by(Rating.id, ascending=False)
        .limit(HELD_LIST)
    )
    return [
        msgspec.convert(row, RatingRead, from_attributes=True)
        for row in msgspec.convert(rows, list[RatingRow], strict=False)
    ]


async def review_rating(
    runtime: FeedbackRuntime, principal: Principal, rating_id: int, decision: Decision
) -> RatingRead:
    """Count a held rating, or reject it."""
    agency = _leader_agency(principal)
    now = runtime.now()
    async with write_transaction():
        updated = (
            await Rating.update(
                {
                    Rating.status: "counted" if decision == "release" else "rejected",
                    Rating.reviewed_by: principal.account_id,
                    Rating.reviewed_at: now,
                    Rating.updated_at: now,
                }
            )
            .where(
                (Rating.id == rating_id)
                & (Rating.agency_code == agency)
                & (Rating.status == "held")
            )
            .returning(Rating.id)
        )
    if not updated:
        exists = await Rating.exists().where(
            (Rating.id == rating_id) & (Rating.agency_code == agency)
        )
        if not exists:
            raise _unknown_rating()
        raise _taken()
    return msgspec.convert(await rating_by_id(rating_id), RatingRead, from_attributes=True)


def _unknown_rating() -> NotFound:
    return NotFound(N_("Không tìm thấy đánh giá này."), field="rating")


async def review_feedback(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, decision: Decision
) -> FeedbackDetail:
    """Release held feedback (its deadline starts today) or reject it."""
    agency = _leader_agency(principal)
    row = await feedback_by_id(feedback_id)
    if row is None or row.agency_code != agency:
        raise unknown()
    today, now = runtime.today(), runtime.now()
    changes: dict[object, object] = {
        Feedback.reviewed_by: principal.account_id,
        Feedback.reviewed_at: now,
        Feedback.updated_at: now,
    }
    if decision == "release":
        calendar = await workdays.load()
        changes |= {
            Feedback.status: "open",
            Feedback.received_day: today,
            Feedback.due_date: calendar.add_working_days(today, ANSWER_DAYS),
        }
    else:
        changes[Feedback.status] = "rejected"
    async with write_transaction():
        updated = (
            await Feedback.update(changes)  # type: ignore[arg-type]
            .where((Feedback.id == feedback_id) & (Feedback.status == "held"))
            .returning(Feedback.id)
        )
    if not updated:
        raise _taken()
    return await detail(runtime, principal, feedback_id)
