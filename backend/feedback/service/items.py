"""Feedback and petitions (phản ánh, kiến nghị) from the sender's side: sending it, with
up to three photos, following it by its signed tracking link, the sender's own list,
rating the answer, and the answers published with their senders' consent.

Feedback reaches the agency of what it is about (a dossier, a counter, a procedure, or
an agency chosen), gets a code and a deadline of ten working days (Decree
20/2008/NĐ-CP); one of a burst about the same target is held, without a deadline,
until a leader of the agency releases it (``bursts``, ``review``). Everything wrong
with it is reported at once, and nothing is stored, photos included, while anything is.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts.schemas import Principal
from backend.attachments import CheckedFile
from backend.catalogue import service as catalogue
from backend.db import write_transaction
from backend.dossiers import service as dossiers
from backend.errors import Conflict, InvalidInput, NotFound, Problems, TooManyRequests
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import (
    FeedbackIn,
    FeedbackRead,
    FeedbackSent,
    PublishedAnswer,
    Stars,
)
from backend.feedback.service.bursts import (
    FEEDBACK_REFUSED_AFTER,
    TARGET_LOCK,
    feedback_about,
    lock,
)
from backend.feedback.service.rows import FeedbackRow, feedback_by_code, feedback_row
from backend.feedback.service.signing import tracking_key_matches, tracking_token, tracking_url
from backend.feedback.tables import Feedback
from backend.i18n import N_
from backend.workdays import service as workdays

# Decree 20/2008/NĐ-CP: feedback on administrative rules is handled within ten working days.
ANSWER_DAYS = 10
MAX_PHOTOS = 3
MIN_TEXT = 10
# A photo as sent: its bytes and its name on the sender's phone.
Upload = tuple[bytes, str]


def unknown() -> NotFound:
    return NotFound(N_("Không tìm thấy phản ánh này, hoặc đường dẫn không đúng."), field="feedback")


async def row_of(code: str) -> FeedbackRow:
    row = await feedback_by_code(code)
    if row is None:
        raise unknown()
    return row


def read_of(row: FeedbackRow) -> FeedbackRead:
    return msgspec.convert({**msgspec.structs.asdict(row), "photos": len(row.photos)}, FeedbackRead)


# ------------------------------------------------------------------------ photos


def check_photo_count(count: int) -> None:
    """At most three photos: refused before any is read or checked."""
    if count > MAX_PHOTOS:
        raise InvalidInput(N_("Gửi tối đa %(n)d ảnh.", n=MAX_PHOTOS), field="photos")


async def checked_photos(
    runtime: FeedbackRuntime, files: Sequence[Upload], problems: Problems, kept: int = 0
) -> list[CheckedFile]:
    """Each photo checked by content (images only), every refusal named by its file;
    ``kept``: how many photos the form holds already (a refused form's)."""
    try:
        check_photo_count(kept + len(files))
    except InvalidInput as error:
        problems.extend(error)
        return []
    photos = []
    for data, name in files:
        try:
            photo = await runtime.attachments.check(data, name)
        except InvalidInput as error:
            for problem in error.problems:
                problems.add(
                    "photos", N_("%(name)s: %(reason)s", name=name, reason=problem.message)
                )
            continue
        if not photo.media_type.startswith("image/"):
            problems.add("photos", N_("%(name)s: Chỉ gửi được ảnh (JPEG, PNG, HEIC).", name=name))
            continue
        photos.append(photo)
    return photos


async def check_photos(runtime: FeedbackRuntime, files: Sequence[Upload]) -> list[CheckedFile]:
    """The photos checked as ``submit`` checks them, or every refusal at once."""
    problems = Problems()
    photos = await checked_photos(runtime, files, problems)
    problems.raise_any()
    return photos


# ----------------------------------------------------------------------- sending


@dataclass(frozen=True, slots=True)
class _Target:
    """The agency the feedback goes to, and what it is about."""

    agency_code: str
    procedure_code: str | None = None
    dossier_id: int | None = None
    counter_number: int | None = None

    @property
    def key(self) -> str:
        """What the feedback is about, as the per-target limit counts it."""
        if self.dossier_id is not None:
            return f"dossier:{self.dossier_id}"
        if self.counter_number is not None:
            return f"counter:{self.agency_code}:{self.counter_number}"
        if self.procedure_code is not None:
            return f"procedure:{self.agency_code}:{self.procedure_code}"
        return f"agency:{self.agency_code}"


async def _target(
    runtime: FeedbackRuntime, principal: Principal | None, data: FeedbackIn, problems: Problems
) -> _Target | None:
    if data.dossier_id is not None:
        if principal is None:
            problems.add("dossier_id", N_("Hãy đăng nhập để phản ánh về hồ sơ."))
            return None
        dossier = await dossiers.brief(principal, data.dossier_id)
        return _Target(dossier.agency_code, dossier.procedure_code, dossier_id=dossier.id)
    if data.counter_token:
        counter = await catalogue.counter_for_token(
            runtime.secret_key, runtime.counter_key_version, data.counter_token
        )
        return _Target(counter.agency.code, counter_number=counter.number)
    if data.procedure_code:
        procedure = await catalogue.get_procedure(data.procedure_code)
        # About a procedure that many agencies carry out: the one the person chose.
        agency = await catalogue.agency_for(procedure, data.agency_code)
        if agency is not None:
            return _Target(agency.code, procedure.code)
    if data.agency_code:
        return _Target((await catalogue.get_agency(data.agency_code)).code)
    problems.add("agency_code", N_("Hãy chọn cơ quan nhận phản ánh."))
    return None


@dataclass(frozen=True, slots=True)
class _Contact:
    anonymous: bool
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""


def _contact(principal: Principal | None, data: FeedbackIn, problems: Problems) -> _Contact:
    if data.anonymous:
        return _Contact(anonymous=True)
    name = " ".join(data.contact_name.split())
    phone = "".join(ch for ch in data.contact_phone if ch.isdigit())
    email = data.contact_email.strip()
    if not name:
        problems.add("contact_name", N_("Hãy cho biết họ tên, hoặc chọn gửi ẩn danh."))
    if phone and not (phone.startswith("0") and len(phone) == 10):
        problems.add("contact_phone", N_("Số điện thoại gồm 10 chữ số, bắt đầu bằng 0."))
    if email and ("@" not in email or " " in email or "." not in email.rpartition("@")[2]):
        problems.add("contact_email", N_("Địa chỉ thư điện tử không đúng."))
    if not phone and not email and principal is None:
        problems.add(
            "contact_phone",
            N_("Hãy để lại số điện thoại hoặc thư điện tử để nhận trả lời, hoặc chọn gửi ẩn danh."),
        )
    return _Contact(False, name, phone, email)


def _refused_after(runtime: FeedbackRuntime) -> int:
    return runtime.feedback_burst * FEEDBACK_REFUSED_AFTER


def _flooded(runtime: FeedbackRuntime) -> TooManyRequests:
    return TooManyRequests(
        N_(
            "Đã có quá nhiều phản ánh về cùng nội dung này trong %(minutes)d phút qua. "
            "Vui lòng gửi lại sau.",
            minutes=runtime.feedback_burst_minutes,
        ),
        retry_after=runtime.feedback_burst_minutes * 60,
    )


def _new_code(today: dt.date) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"PA-{today:%y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(6))


async def _about_and_text(
    runtime: FeedbackRuntime, principal: Principal | None, data: FeedbackIn, problems: Problems
) -> _Target | None:
    """What the feedback is about, and its text, checked."""
    target = await _target(runtime, principal, data, problems)
    if len(data.text.strip()) < MIN_TEXT:
        problems.add("text", N_("Hãy viết rõ hơn (ít nhất %(n)d ký tự).", n=MIN_TEXT))
    return target


async def check_fields(
    runtime: FeedbackRuntime, principal: Principal | None, data: FeedbackIn
) -> None:
    """The rules ``submit`` applies to everything but the photos, every problem at once:
    a form is answered on its fields without waiting for any photo's check."""
    problems = Problems()
    await _about_and_text(runtime, principal, data, problems)
    _contact(principal, data, problems)
    problems.raise_any()


async def submit(
    runtime: FeedbackRuntime,
    principal: Principal | None,
    data: FeedbackIn,
    files: Sequence[Upload] = (),
    *,
    checked: Sequence[CheckedFile] = (),
) -> FeedbackSent:
    """Record feedback with its photos (``files`` as sent, ``checked`` already checked
    by content: those a refused form kept). Every problem is reported at once (what it
    is about, the text, each photo, the contact), and nothing is stored if there is any."""
    # In the form's order: what it is about, the text, the photos, the contact.
    problems = Problems()
    target = await _about_and_text(runtime, principal, data, problems)
    photos = [*checked, *await checked_photos(runtime, files, problems, kept=len(checked))]
    contact = _contact(principal, data, problems)
    problems.raise_any()
    assert target is not None  # a missing target is a problem
    today, now = runtime.today(), runtime.now()
    window = (now - dt.timedelta(minutes=runtime.feedback_burst_minutes), now)
    # A flood is refused before its photos are kept (and again under the lock below).
    if await feedback_about(target.key, window) >= _refused_after(runtime):
        raise _flooded(runtime)
    calendar = await workdays.load()
    stored = [
        {
            "key": await runtime.attachments.storage.put(photo.data),
            "media_type": photo.media_type,
            "size": len(photo.data),
        }
        for photo in photos
    ]
    code = _new_code(today)
    try:
        async with write_transaction():
            await lock(TARGET_LOCK, target.key)
            recent = await feedback_about(target.key, window)
            if recent >= _refused_after(runtime):
                raise _flooded(runtime)
            await Feedback.insert(
                Feedback(
                    code=code,
                    first_agency=target.agency_code,
                    category=data.category,
                    text=data.text.strip(),
                    photos=stored,
                    account_id=principal.account_id
                    if principal and principal.kind == "citizen"
                    else None,
                    # One of a burst about the same target: no deadline runs until a
                    # leader releases it (``review``); the deadline is counted then.
                    status="held" if recent >= runtime.feedback_burst else "open",
                    target_key=target.key,
                    received_day=today,
                    due_date=calendar.add_working_days(today, ANSWER_DAYS),
                    publish_consent=data.publish_consent,
                    created_at=now,
                    updated_at=now,
                    **asdict(target),
                    **asdict(contact),
                )
            )
    except BaseException:
        for photo in stored:
            await runtime.attachments.storage.delete(str(photo["key"]))
        raise
    return FeedbackSent(
        feedback=read_of(await row_of(code)),
        tracking_url=tracking_url(runtime.public_url, runtime.secret_key, code),
    )


# ---------------------------------------------------------------- following it


async def track(runtime: FeedbackRuntime, code: str, token: str) -> FeedbackRead:
    """The tracking link's view: anyone holding it, without an account."""
    if not tracking_key_matches(runtime.secret_key, code, token):
        raise unknown()
    return read_of(await row_of(code))


async def token_for(runtime: FeedbackRuntime, principal: Principal | None, code: str) -> str:
    """The tracking key of feedback the signed-in person sent (the answered notice
    links to it without the key)."""
    row = await row_of(code)
    if principal is None or row.account_id is None or row.account_id != principal.account_id:
        raise unknown()
    return tracking_token(runtime.secret_key, row.code)


async def mine(principal: Principal) -> list[FeedbackRead]:
    rows = (
        await Feedback.select()
        .where(Feedback.account_id == principal.account_id)
        .order_by(Feedback.id, ascending=False)
        .limit(100)
        .output(load_json=True)
    )
    return [read_of(feedback_row(row)) for row in rows]


async def rate_answer(
    runtime: FeedbackRuntime, code: str, token: str, stars: Stars
) -> FeedbackRead:
    """The person rates the answer, once (through the tracking link)."""
    await track(runtime, code, token)
    async with write_transaction():
        updated = (
            await Feedback.update(
                {Feedback.answer_rating: stars, Feedback.updated_at: runtime.now()}
            )
            .where(
                (Feedback.code == code)
                & (Feedback.status == "answered")
                & Feedback.answer_rating.is_null()
            )
            .returning(Feedback.id)
        )
    if not updated:
        raise Conflict(
            N_("Chỉ đánh giá được câu trả lời một lần, sau khi đã có trả lời."), field="feedback"
        )
    return read_of(await row_of(code))


async def published(
    procedure_code: str | None = None, agency_code: str | None = None, limit: int = 50
) -> list[PublishedAnswer]:
    """Answers published with their senders' consent: no names, no contacts."""
    where: Combinable = Feedback.published == True  # noqa: E712 (a Piccolo expression)
    if procedure_code:
        where = where & (Feedback.procedure_code == procedure_code)
    if agency_code:
        where = where & (Feedback.agency_code == agency_code)
    rows = (
        await Feedback.select(
            Feedback.code,
            Feedback.category,
            Feedback.procedure_code,
            Feedback.agency_code,
            Feedback.text,
            Feedback.answer,
            Feedback.answered_at,
            Feedback.answered_day,
        )
        .where(where)
        .order_by(Feedback.answered_at, ascending=False)
        .limit(limit)
    )
    return msgspec.convert(rows, list[PublishedAnswer], strict=False)
