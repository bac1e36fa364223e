"""The rules of ratings and feedback.

Ratings. A dossier's owner (or a member of its organisation) rates it once its result
has been returned: one rating per dossier, which its author may change for seven days.
Anyone may rate a visit to a counter from the counter's QR code, without an account:
the token must be genuine and current, and one device rates one counter once a day
(``rating_key`` is unique; the device is a signed cookie), while the pages also limit
the requests of one client address.

Feedback (phản ánh, kiến nghị). It reaches the agency of what it is about, gets a code
and a signed tracking link, and must be answered within ten working days. Officials of
that agency answer it (the answer may be published when the person agreed) or forward
it; the person is told through the outbox and may rate the answer once.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any, cast

import msgspec
from piccolo.custom_types import Combinable

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.db import fetch, write_transaction
from backend.dossiers import service as dossiers
from backend.dossiers import uploads
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import (
    AnswerIn,
    CounterRatingIn,
    FeedbackDetail,
    FeedbackIn,
    FeedbackQueue,
    FeedbackRead,
    FeedbackSent,
    ForwardIn,
    OfficialRatings,
    PublishedAnswer,
    RatingIn,
    RatingRead,
    RatingSummary,
)
from backend.feedback.tables import Feedback, Rating, RatingOfficial
from backend.outbox import service as outbox
from backend.vietnam import VIETNAM
from backend.workdays import service as workdays

EDIT_DAYS = 7
# Decree 20/2008/NĐ-CP: feedback on administrative rules is handled within ten working days.
ANSWER_DAYS = 10
MAX_PHOTOS = 3
CRITERIA: dict[str, tuple[str, str]] = {
    "info": ("Thông tin đầy đủ, dễ tìm", "Information complete and easy to find"),
    "speed": ("Thời gian giải quyết", "Processing time"),
    "convenience": ("Thuận tiện khi làm thủ tục", "Convenience"),
    "attitude": ("Thái độ của cán bộ", "The officials' attitude"),
}
SCALE: dict[int, tuple[str, str]] = {
    1: ("Rất không hài lòng", "Very dissatisfied"),
    2: ("Không hài lòng", "Dissatisfied"),
    3: ("Bình thường", "Neutral"),
    4: ("Hài lòng", "Satisfied"),
    5: ("Rất hài lòng", "Very satisfied"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "thu_tuc": ("Quy định, thủ tục hành chính", "Rules and procedures"),
    "thoi_gian": ("Chậm trễ, thời gian giải quyết", "Delays"),
    "thai_do": ("Thái độ, hành vi của cán bộ", "The officials' conduct"),
    "phi": ("Phí, lệ phí", "Fees"),
    "co_so": ("Cơ sở vật chất, nơi tiếp nhận", "Premises"),
    "khac": ("Vấn đề khác", "Something else"),
}
STAFF = frozenset({"reception", "processing", "leader"})


# ------------------------------------------------------------------ signed values


def _mac(secret_key: str, purpose: str, value: str, size: int = 12) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:size]).decode().rstrip("=")


def new_device(secret_key: str) -> str:
    """A device's cookie value: a random id and our signature of it."""
    device = secrets.token_urlsafe(12)
    return f"{device}.{_mac(secret_key, 'device', device)}"


def device_of(secret_key: str, cookie: str | None) -> str | None:
    """The device id of a cookie we signed, or None for anything else."""
    if not cookie or len(cookie) > 64 or "." not in cookie:
        return None
    device, _, mac = cookie.partition(".")
    return device if hmac.compare_digest(mac, _mac(secret_key, "device", device)) else None


def tracking_token(secret_key: str, code: str) -> str:
    return _mac(secret_key, "feedback", code)


def tracking_url(runtime: FeedbackRuntime, code: str) -> str:
    return f"{runtime.public_url}/phan-anh/{code}?k={tracking_token(runtime.secret_key, code)}"


# ------------------------------------------------------------------------ ratings


def _rating_read(row: dict[str, Any], editable_days: int | None = None) -> RatingRead:
    read = msgspec.convert(row, RatingRead, strict=False)
    if editable_days is not None:
        read.editable_until = read.created_at + dt.timedelta(days=editable_days)
    return read


def _rating_fields(data: RatingIn) -> dict[Any, Any]:
    return {
        Rating.overall: data.overall,
        Rating.info: data.info,
        Rating.speed: data.speed,
        Rating.convenience: data.convenience,
        Rating.attitude: data.attitude,
        Rating.comment: data.comment.strip(),
    }


async def _ratable(principal: Principal, dossier_id: int) -> dict[str, Any]:
    if principal.kind != "citizen":
        raise Forbidden(
            "Chỉ người nộp hồ sơ đánh giá được hồ sơ.",
            "Only the applicant may rate a dossier.",
        )
    row, _ = await dossiers.brief(principal, dossier_id)
    if row["status"] != "returned":
        raise InvalidInput(
            "Bạn đánh giá được khi hồ sơ đã trả kết quả.",
            "You can rate the dossier once its result has been returned.",
            field="dossier",
        )
    return row


async def my_rating(principal: Principal, dossier_id: int) -> RatingRead | None:
    """The dossier's rating (whoever of its owner's organisation gave it)."""
    await dossiers.brief(principal, dossier_id)  # the same access as the dossier
    rows = await Rating.select().where(Rating.rating_key == f"dossier:{dossier_id}")
    if not rows:
        return None
    read = _rating_read(rows[0], EDIT_DAYS)
    read.by_me = rows[0]["account_id"] == principal.account_id
    return read


async def rate_dossier(
    runtime: FeedbackRuntime, principal: Principal, dossier_id: int, data: RatingIn
) -> RatingRead:
    """Rate a returned dossier, or change one's rating within seven days."""
    row = await _ratable(principal, dossier_id)
    now = runtime.now()
    key = f"dossier:{dossier_id}"
    async with write_transaction():
        inserted = (
            await Rating.insert(
                Rating(
                    rating_key=key,
                    source="dossier",
                    agency_code=row["agency_code"],
                    dossier_id=dossier_id,
                    procedure_code=row["procedure_code"],
                    account_id=principal.account_id,
                    day=runtime.today(),
                    created_at=now,
                    updated_at=now,
                    **{column._meta.name: value for column, value in _rating_fields(data).items()},
                )
            )
            .on_conflict(target=Rating.rating_key, action="DO NOTHING")
            .returning(Rating.id)
        )
        if inserted:
            officials = await dossiers.handlers_of(dossier_id)
            if officials:
                await RatingOfficial.insert(
                    *(RatingOfficial(rating=inserted[0]["id"], official_id=o) for o in officials)
                )
        else:
            existing = (await Rating.select().where(Rating.rating_key == key))[0]
            if existing["account_id"] != principal.account_id:
                raise Conflict(
                    "Hồ sơ này đã được đánh giá.",
                    "This dossier has already been rated.",
                    field="dossier",
                )
            if now > existing["created_at"] + dt.timedelta(days=EDIT_DAYS):
                raise Conflict(
                    f"Chỉ sửa được đánh giá trong {EDIT_DAYS} ngày sau khi gửi.",
                    f"A rating can be changed only within {EDIT_DAYS} days of sending it.",
                    field="dossier",
                )
            await Rating.update({**_rating_fields(data), Rating.updated_at: now}).where(
                Rating.rating_key == key
            )
    rows = await Rating.select().where(Rating.rating_key == key)
    return _rating_read(rows[0], EDIT_DAYS)


async def rate_counter(
    runtime: FeedbackRuntime, token: str, device: str, data: CounterRatingIn
) -> RatingRead:
    """Rate today's visit to a counter. The caller has checked the device's cookie and
    the client address's rate; the token is checked here."""
    counter = await catalogue.counter_for_token(
        runtime.secret_key, runtime.counter_key_version, token
    )
    today = runtime.today()
    key = _counter_key(counter.agency.code, counter.number, device, today)
    now = runtime.now()
    async with write_transaction():
        inserted = (
            await Rating.insert(
                Rating(
                    rating_key=key,
                    source="counter",
                    agency_code=counter.agency.code,
                    counter_number=counter.number,
                    stated_code=data.stated_code.strip()[:48],
                    day=today,
                    created_at=now,
                    updated_at=now,
                    **{column._meta.name: value for column, value in _rating_fields(data).items()},
                )
            )
            .on_conflict(target=Rating.rating_key, action="DO NOTHING")
            .returning(Rating.id)
        )
    if not inserted:
        raise Conflict(
            "Hôm nay bạn đã đánh giá quầy này rồi. Cảm ơn bạn!",
            "You have already rated this counter today. Thank you!",
            field="counter",
        )
    rows = await Rating.select().where(Rating.id == inserted[0]["id"])
    return _rating_read(rows[0])


def _counter_key(agency_code: str, number: int, device: str, day: dt.date) -> str:
    return f"counter:{agency_code}:{number}:{device}:{day.isoformat()}"


async def counter_rated_today(runtime: FeedbackRuntime, token: str, device: str | None) -> bool:
    """Whether this device has rated this counter today (to say so before the survey)."""
    if device is None:
        return False
    counter = await catalogue.counter_for_token(
        runtime.secret_key, runtime.counter_key_version, token
    )
    key = _counter_key(counter.agency.code, counter.number, device, runtime.today())
    return await Rating.exists().where(Rating.rating_key == key)


def _summary(rows: list[dict[str, Any]]) -> RatingSummary:
    count = len(rows)
    criteria: dict[str, float | None] = {}
    for name in CRITERIA:
        given = [row[name] for row in rows if row[name] is not None]
        criteria[name] = round(sum(given) / len(given), 2) if given else None
    return RatingSummary(
        count=count,
        satisfied=sum(1 for row in rows if row["overall"] >= 4),
        average=round(sum(row["overall"] for row in rows) / count, 2) if count else None,
        from_counter=sum(1 for row in rows if row["source"] == "counter"),
        from_dossiers=sum(1 for row in rows if row["source"] == "dossier"),
        criteria=criteria,
    )


_RATING_SCORES = "SELECT source, overall, info, speed, convenience, attitude FROM feedback_rating"


async def official_ratings(
    runtime: FeedbackRuntime, principal: Principal, days: int = 90
) -> OfficialRatings:
    """The ratings of the dossiers this official handled, and of their agency, over
    the last ``days`` days."""
    if principal.kind != "staff" or principal.agency_code is None:
        raise Forbidden("Chỉ dành cho cán bộ.", "For officials only.")
    since = runtime.today() - dt.timedelta(days=days)
    mine = await fetch(
        _RATING_SCORES + " JOIN feedback_rating_official o ON o.rating = feedback_rating.id"
        " WHERE o.official_id = {} AND day >= {}",
        principal.account_id,
        since,
    )
    agency = await fetch(
        _RATING_SCORES + " WHERE agency_code = {} AND day >= {}", principal.agency_code, since
    )
    recent = (
        await Rating.select()
        .where(
            (Rating.agency_code == principal.agency_code)
            & (Rating.day >= since)
            & (Rating.comment != "")
        )
        .order_by(Rating.id, ascending=False)
        .limit(20)
    )
    return OfficialRatings(
        mine=_summary(mine), agency=_summary(agency), recent=[_rating_read(r) for r in recent]
    )


# ----------------------------------------------------------------------- feedback


def _invalid(field: str, vi: str, en: str) -> InvalidInput:
    return InvalidInput(vi, en, field=field)


def _not_found() -> NotFound:
    return NotFound(
        "Không tìm thấy phản ánh này, hoặc đường dẫn không đúng.",
        "No such feedback, or the link is wrong.",
        field="feedback",
    )


async def _target(
    runtime: FeedbackRuntime, principal: Principal | None, data: FeedbackIn
) -> dict[str, Any]:
    """The agency the feedback goes to, from what it is about."""
    if data.dossier_id is not None:
        if principal is None:
            raise _invalid("dossier_id", "Hãy đăng nhập để phản ánh về hồ sơ.", "Sign in first.")
        row, _ = await dossiers.brief(principal, data.dossier_id)
        return {
            "agency_code": row["agency_code"],
            "procedure_code": row["procedure_code"],
            "dossier_id": row["id"],
        }
    if data.counter_token:
        counter = await catalogue.counter_for_token(
            runtime.secret_key, runtime.counter_key_version, data.counter_token
        )
        return {"agency_code": counter.agency.code, "counter_number": counter.number}
    if data.procedure_code:
        procedure = await catalogue.get_procedure(data.procedure_code)
        return {"agency_code": procedure.agency_code, "procedure_code": procedure.code}
    if data.agency_code:
        agency = await catalogue.get_agency(data.agency_code)
        return {"agency_code": agency.code}
    raise _invalid(
        "agency_code",
        "Hãy chọn cơ quan nhận phản ánh.",
        "Choose the agency the feedback is for.",
    )


def _contact(principal: Principal | None, data: FeedbackIn) -> dict[str, Any]:
    if data.anonymous:
        return {"anonymous": True}
    name = " ".join(data.contact_name.split())
    phone = "".join(ch for ch in data.contact_phone if ch.isdigit())
    email = data.contact_email.strip()
    if not name:
        raise _invalid(
            "contact_name",
            "Hãy cho biết họ tên, hoặc chọn gửi ẩn danh.",
            "Give your name, or send anonymously.",
        )
    if phone and not (phone.startswith("0") and len(phone) == 10):
        raise _invalid(
            "contact_phone",
            "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0.",
            "A phone number has 10 digits starting with 0.",
        )
    if email and ("@" not in email or " " in email or "." not in email.rpartition("@")[2]):
        raise _invalid(
            "contact_email", "Địa chỉ thư điện tử không đúng.", "The email address is not valid."
        )
    if not phone and not email and principal is None:
        raise _invalid(
            "contact_phone",
            "Hãy để lại số điện thoại hoặc thư điện tử để nhận trả lời, hoặc chọn gửi ẩn danh.",
            "Leave a phone number or an email for the answer, or send anonymously.",
        )
    return {
        "anonymous": False,
        "contact_name": name,
        "contact_phone": phone,
        "contact_email": email,
    }


def check_photos(files: list[tuple[bytes, str]]) -> list[uploads.CheckedFile]:
    """Photos checked by content (images only; at most three)."""
    if len(files) > MAX_PHOTOS:
        raise _invalid(
            "photos", f"Gửi tối đa {MAX_PHOTOS} ảnh.", f"Send at most {MAX_PHOTOS} photos."
        )
    checked = [uploads.inspect_upload(data, name) for data, name in files]
    if any(not photo.media_type.startswith("image/") for photo in checked):
        raise _invalid("photos", "Chỉ gửi được ảnh (JPEG, PNG, HEIC).", "Only photos can be sent.")
    return checked


def _new_code(today: dt.date) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"PA-{today:%y%m%d}-" + "".join(secrets.choice(alphabet) for _ in range(6))


async def submit(
    runtime: FeedbackRuntime,
    principal: Principal | None,
    data: FeedbackIn,
    photos: list[uploads.CheckedFile],
) -> FeedbackSent:
    """Record feedback (photos already checked). Nothing is stored if anything is wrong."""
    if len(data.text.strip()) < 10:
        raise _invalid(
            "text",
            "Hãy viết rõ hơn (ít nhất 10 ký tự).",
            "Say a little more (10 characters at least).",
        )
    target = await _target(runtime, principal, data)
    contact = _contact(principal, data)
    today, now = runtime.today(), runtime.now()
    calendar = await workdays.load()
    stored = [
        {
            "key": await runtime.storage.put(photo.data),
            "media_type": photo.media_type,
            "size": len(photo.data),
        }
        for photo in photos
    ]
    code = _new_code(today)
    try:
        async with write_transaction():
            await Feedback.insert(
                Feedback(
                    code=code,
                    first_agency=target["agency_code"],
                    category=data.category,
                    text=data.text.strip(),
                    photos=stored,
                    account_id=principal.account_id
                    if principal and principal.kind == "citizen"
                    else None,
                    status="open",
                    received_day=today,
                    due_date=calendar.add_working_days(today, ANSWER_DAYS),
                    publish_consent=data.publish_consent,
                    created_at=now,
                    updated_at=now,
                    **target,
                    **contact,
                )
            )
    except BaseException:
        for photo in stored:
            await runtime.storage.delete(cast(str, photo["key"]))
        raise
    row = await _feedback_row(code)
    return FeedbackSent(feedback=_read(row), tracking_url=tracking_url(runtime, code))


_FEEDBACK = "SELECT * FROM feedback_item WHERE code = {}"


async def _feedback_row(code: str) -> dict[str, Any]:
    rows = await fetch(_FEEDBACK, code[:24])
    if not rows:
        raise _not_found()
    row = rows[0]
    row["photos"] = json.loads(row["photos"])
    row["history"] = json.loads(row["history"])
    return row


def _read(row: dict[str, Any]) -> FeedbackRead:
    return msgspec.convert({**row, "photos": len(row["photos"])}, FeedbackRead, strict=False)


async def track(runtime: FeedbackRuntime, code: str, token: str) -> FeedbackRead:
    """The tracking link's view: anyone holding it, without an account."""
    if not hmac.compare_digest(token.encode(), tracking_token(runtime.secret_key, code).encode()):
        raise _not_found()
    return _read(await _feedback_row(code))


def sender_token(runtime: FeedbackRuntime, principal: Principal | None, row: dict[str, Any]) -> str:
    """The tracking key, for the signed-in person who sent the feedback."""
    if principal is None or row["account_id"] is None or row["account_id"] != principal.account_id:
        raise _not_found()
    return tracking_token(runtime.secret_key, row["code"])


async def token_for(runtime: FeedbackRuntime, principal: Principal | None, code: str) -> str:
    """The tracking key of feedback the signed-in person sent (the answered notice
    links to it without the key)."""
    return sender_token(runtime, principal, await _feedback_row(code))


async def mine(principal: Principal) -> list[FeedbackRead]:
    rows = (
        await Feedback.select()
        .where(Feedback.account_id == principal.account_id)
        .order_by(Feedback.id, ascending=False)
        .limit(100)
        .output(load_json=True)
    )
    return [_read(row) for row in rows]


async def rate_answer(runtime: FeedbackRuntime, code: str, token: str, stars: int) -> FeedbackRead:
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
            "Chỉ đánh giá được câu trả lời một lần, sau khi đã có trả lời.",
            "An answer can be rated once, after it has been given.",
            field="stars",
        )
    return _read(await _feedback_row(code))


# ----------------------------------------------------------------- officials


def _staff(principal: Principal) -> str:
    if principal.kind != "staff" or principal.role not in STAFF or principal.agency_code is None:
        raise Forbidden(
            "Chỉ cán bộ của cơ quan xử lý phản ánh.",
            "Only the agency's officials handle feedback.",
        )
    return principal.agency_code


def _detail(row: dict[str, Any], today: dt.date) -> FeedbackDetail:
    due = row["due_date"]
    if isinstance(due, str):
        due = dt.date.fromisoformat(due)
    return msgspec.convert(
        {
            **row,
            "photos": len(row["photos"]),
            "overdue": row["status"] == "open" and due < today,
        },
        FeedbackDetail,
        strict=False,
    )


async def _held(principal: Principal, feedback_id: int) -> dict[str, Any]:
    agency = _staff(principal)
    rows = await fetch("SELECT code, agency_code FROM feedback_item WHERE id = {}", feedback_id)
    if not rows or rows[0]["agency_code"] != agency:
        raise _not_found()
    return await _feedback_row(rows[0]["code"])


async def queue(
    runtime: FeedbackRuntime,
    principal: Principal,
    status: str = "open",
    page: int = 1,
    page_size: int = 20,
) -> FeedbackQueue:
    agency = _staff(principal)
    today = runtime.today()
    where: Combinable = Feedback.agency_code == agency
    if status in {"open", "answered"}:
        where = where & (Feedback.status == status)
    rows = (
        await Feedback.select()
        .where(where)
        .order_by(Feedback.due_date)
        .order_by(Feedback.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
        .output(load_json=True)
    )
    total = await Feedback.count().where(where)
    open_count = await Feedback.count().where(
        (Feedback.agency_code == agency) & (Feedback.status == "open")
    )
    answered = await Feedback.count().where(
        (Feedback.agency_code == agency) & (Feedback.status == "answered")
    )
    overdue = await Feedback.count().where(
        (Feedback.agency_code == agency) & (Feedback.status == "open") & (Feedback.due_date < today)
    )
    return FeedbackQueue(
        items=[_detail(row, today) for row in rows],
        total=total,
        open=open_count,
        answered=answered,
        overdue=overdue,
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
    row = await _held(principal, feedback_id)
    if not 0 <= index < len(row["photos"]):
        raise _not_found()
    stored = row["photos"][index]
    return await runtime.storage.get(stored["key"]), cast(str, stored["media_type"])


async def answer(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, data: AnswerIn
) -> FeedbackDetail:
    """Answer open feedback; the person is told through the outbox."""
    row = await _held(principal, feedback_id)
    if data.publish and not row["publish_consent"]:
        raise _invalid(
            "publish",
            "Người gửi không đồng ý công khai, nên không thể công khai câu trả lời.",
            "The sender did not agree to publication.",
        )
    now, today = runtime.now(), runtime.today()
    due = (
        row["due_date"]
        if isinstance(row["due_date"], dt.date)
        else dt.date.fromisoformat(row["due_date"])
    )
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
                    Feedback.on_time: today <= due,
                    Feedback.published: data.publish,
                    Feedback.updated_at: now,
                }
            )
            .where((Feedback.id == feedback_id) & (Feedback.status == "open"))
            .returning(Feedback.id)
        )
        if not updated:
            raise Conflict(
                "Phản ánh này đã được trả lời.",
                "This feedback has already been answered.",
                field="feedback",
            )
        if row["account_id"] is not None:
            await outbox.enqueue(
                event_key=f"feedback:{feedback_id}:answered",
                kind="feedback.answered",
                subject=f"feedback:{feedback_id}",
                account_ids=[int(row["account_id"])],
                payload={"code": row["code"], "status": "answered"},
                now=now,
            )
    return await detail(runtime, principal, feedback_id)


async def forward(
    runtime: FeedbackRuntime, principal: Principal, feedback_id: int, data: ForwardIn
) -> FeedbackDetail:
    """Pass open feedback to the agency it concerns; the deadline runs on."""
    row = await _held(principal, feedback_id)
    agency = await catalogue.get_agency(data.agency_code)
    if agency.code == row["agency_code"]:
        raise _invalid("agency_code", "Hãy chọn cơ quan khác.", "Choose another agency.")
    history = [
        *row["history"],
        {
            "at": runtime.now().astimezone(VIETNAM).isoformat(timespec="minutes"),
            "from": row["agency_code"],
            "to": agency.code,
            "by": principal.name,
            "note": data.note.strip(),
        },
    ]
    async with write_transaction():
        updated = (
            await Feedback.update(
                {
                    Feedback.agency_code: agency.code,
                    Feedback.history: history,
                    Feedback.updated_at: runtime.now(),
                }
            )
            .where(
                (Feedback.id == feedback_id)
                & (Feedback.status == "open")
                & (Feedback.agency_code == row["agency_code"])
            )
            .returning(Feedback.id)
        )
    if not updated:
        raise Conflict(
            "Phản ánh vừa được người khác xử lý. Hãy tải lại trang.",
            "Someone else has just handled this feedback. Reload the page.",
            field="feedback",
        )
    return _detail(await _feedback_row(row["code"]), runtime.today())


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
        )
        .where(where)
        .order_by(Feedback.answered_at, ascending=False)
        .limit(limit)
    )
    return msgspec.convert(rows, list[PublishedAnswer], strict=False)
