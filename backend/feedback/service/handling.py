"""Feedback from the officials' side: the queue of the agency holding it, one feedback
with its photos, the answer (published only with the sender's consent; the sender is
told through the outbox) and the forward to the agency it concerns, whose deadline
runs on."""

from __future__ import annotations

import datetime as dt

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts.schemas import OFFICIAL_ROLES, Principal
from backend.catalogue import service as catalogue
from backend.db import write_transaction
from backend.errors import Conflict, Forbidden, InvalidInput, Problems
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import AnswerIn, FeedbackDetail, FeedbackQueue, Forward, ForwardIn
from backend.feedback.service.items import unknown
from backend.feedback.service.rows import FeedbackRow, feedback_by_id, feedback_row
from backend.feedback.service.signing import tracking_token
from backend.feedback.tables import Feedback
from backend.i18n import N_
from backend.outbox import service as outbox
from backend.vietnam import VIETNAM


def _agency_of(principal: Principal) -> str:
    if (
        principal.kind != "staff"
        or principal.role not in OFFICIAL_ROLES
        or principal.agency_code is None
    ):
        raise Forbidden(N_("Chỉ cán bộ của cơ quan xử lý phản ánh."))
    return principal.agency_code


def _detail(row: FeedbackRow, today: dt.date) -> FeedbackDetail:
    return msgspec.convert(
        {
            **msgspec.structs.asdict(row),
            "photos": len(row.photos),
            "overdue": row.status == "open" and row.due_date < today,
        },
        FeedbackDetail,
    )


async def _held(principal: Principal, feedback_id: int) -> FeedbackRow:
    """The feedback, if the official's agency holds it (anything else is not found)."""
    agency = _agency_of(principal)
    row = await feedback_by_id(feedback_id)
    if row is None or row.agency_code != agency:
        raise unknown()
    return row


async def queue(
    runtime: FeedbackRuntime,
    principal: Principal,
    status: str = "open",
    page: int = 1,
    page_size: int = 20,
) -> FeedbackQueue:
    """The agency's feedback, the nearest deadline first, and how much is open, late or
    held for review (``status`` "held": the review list)."""
    agency = _agency_of(principal)
    today = runtime.today()
    where: Combinable = Feedback.agency_code == agency
    if status in {"open", "answered", "held"}:
        where = where & (Feedback.status == status)
    else:  # "all": what the agency handles; held (a burst) and rejected stay apart
        where = where & Feedback.status.is_in(["open", "answered"])
    rows = (
        await Feedback.select()
        .where(where)
        .order_by(Feedback.due_date)
        .order_by(Feedback.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
        .output(load_json=True)
    )
    held = Feedback.agency_code == agency
    is_open = Feedback.status == "open"
    return FeedbackQueue(
        items=[_detail(feedback_row(row), today) for row in rows],
        total=await Feedback.count().where(where),
        open=await Feedback.count().where(held & is_open),
        answered=await Feedback.count().where(held & (Feedback.status == "answered")),
        overdue=await Feedback.count().where(held & is_open & (Feedback.due_date < today)),
        held=await Feedback.count().where(held & (Feedback.status == "held")),
        page=page,
        page_size=page_size,
    )


async def detail(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int
) -> FeedbackDetail:
    return _detail(await _held(principal, feedback_id), runtime.today())


async def photo(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, index: int
) -> tuple[bytes, str]:
    """One photo's bytes and media type (``index`` from 0)."""
    row = await _held(principal, feedback_id)
    if not 0 <= index < len(row.photos):
        raise unknown()
    stored = row.photos[index]
    return await runtime.attachments.storage.get(stored.key), stored.media_type


async def answer(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, data: AnswerIn
) -> FeedbackDetail:
    """Answer open feedback; the person is told through the outbox."""
    row = await _held(principal, feedback_id)
    problems = Problems()
    if not data.answer.strip():
        problems.add("answer", N_("Hãy viết câu trả lời cho người phản ánh."))
    if data.publish and not row.publish_consent:
        problems.add(
            "publish",
            N_("Người gửi không đồng ý công khai, nên không thể công khai câu trả lời."),
        )
    problems.raise_any()
    now, today = runtime.now(), runtime.today()
    async with write_transaction():
        updated = (
            await Feedback.update(
                {
                    Feedback.status: "answered",
                    Feedback.answer: data.answer.strip(),
                    Feedback.answered_at: now,
                    Feedback.answered_day: today,
                    Feedback.answered_by: principal.account_id,
                    Feedback.answered_by_name: principal.name,
                    Feedback.on_time: today <= row.due_date,
                    Feedback.published: data.publish,
                    Feedback.updated_at: now,
                }
            )
            .where((Feedback.id == feedback_id) & (Feedback.status == "open"))
            .returning(Feedback.id)
        )
        if not updated:
            raise Conflict(N_("Phản ánh này đã được trả lời."), field="feedback")
        if row.account_id is not None:
            await outbox.enqueue(
                event_key=f"feedback:{feedback_id}:answered",
                kind="feedback.answered",
                subject=f"feedback:{feedback_id}",
                account_ids=[row.account_id],
                payload={"code": row.code, "status": "answered"},
                now=now,
            )
        elif not row.anonymous and (row.contact_phone or row.contact_email):
            # A sender without an account who left a phone or an e-mail address is
            # told by SMS, Zalo or e-mail (issue 16), with the signed tracking link.
            await outbox.enqueue(
                event_key=f"feedback:{feedback_id}:answered",
                kind="feedback.answered",
                subject=f"feedback:{feedback_id}",
                account_ids=[],
                payload={
                    "code": row.code,
                    "status": "answered",
                    "contact": {
                        "phone": row.contact_phone,
                        "email": row.contact_email,
                        "url": f"/phan-anh/{row.code}?k="
                        + tracking_token(runtime.secret_key, row.code),
                    },
                },
                now=now,
            )
    return await detail(runtime, principal, feedback_id)


async def forward(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, data: ForwardIn
) -> FeedbackDetail:
    """Pass open feedback to the agency it concerns; the deadline runs on."""
    row = await _held(principal, feedback_id)
    if not data.agency_code.strip():
        raise InvalidInput(N_("Hãy chọn cơ quan nhận phản ánh."), field="agency_code")
    agency = await catalogue.get_agency(data.agency_code.strip())
    if agency.code == row.agency_code:
        raise InvalidInput(N_("Hãy chọn cơ quan khác."), field="agency_code")
    now = runtime.now()
    passed = Forward(
        at=now.astimezone(VIETNAM).isoformat(timespec="minutes"),
        from_agency=row.agency_code,
        to=agency.code,
        by=principal.name,
        note=data.note.strip(),
    )
    async with write_transaction():
        updated = (
            await Feedback.update(
                {
                    Feedback.agency_code: agency.code,
                    Feedback.history: msgspec.to_builtins([*row.history, passed]),
                    Feedback.updated_at: now,
                }
            )
            .where(
                (Feedback.id == feedback_id)
                & (Feedback.status == "open")
                & (Feedback.agency_code == row.agency_code)
            )
            .returning(Feedback.id)
        )
    if not updated:
        raise Conflict(
            N_("Phản ánh vừa được người khác xử lý. Hãy tải lại trang."), field="feedback"
        )
    moved = await feedback_by_id(feedback_id)
    assert moved is not None
    return _detail(moved, runtime.today())
