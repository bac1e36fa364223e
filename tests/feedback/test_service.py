"""Ratings and feedback through the service: who may rate what and how often, the
feedback's code, deadline, answer and forward, and what nobody else may see."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from backend.accounts.service import RateLimiter
from backend.catalogue.service import InvalidCounterToken, RevokedCounterToken
from backend.dossiers.runtime import DossiersRuntime
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import AnswerIn, CounterRatingIn, FeedbackIn, ForwardIn, RatingIn
from backend.feedback.tables import Feedback, Rating
from backend.outbox import service as outbox
from backend.web import device as devices
from tests.accounts.helpers import Clock
from tests.dossiers.conftest import AGENCY, OTHER_AGENCY, PersonFactory, jpeg, submitted
from tests.feedback.conftest import COUNTER_AGENCY, counter_token, returned, visit_code

ADDRESS = "192.0.2.10"

GOOD = RatingIn(overall=5, attitude=4, comment="Cán bộ nhiệt tình")


# ------------------------------------------------------------------ dossier ratings


async def test_a_returned_dossier_is_rated_once_and_editable_for_a_week(
    runtime: DossiersRuntime, feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier, officials = await returned(runtime, people, citizen)
    rating = await service.rate_dossier(feedback, citizen, dossier.id, GOOD)
    assert (rating.overall, rating.attitude, rating.info) == (5, 4, None)
    assert rating.agency_code == AGENCY and rating.source == "dossier"
    assert rating.editable_until == rating.created_at + dt.timedelta(days=7)
    clock.advance(days=6)
    changed = await service.rate_dossier(feedback, citizen, dossier.id, RatingIn(overall=2))
    assert changed.id == rating.id and changed.overall == 2 and changed.comment == ""
    seen = await service.my_rating(citizen, dossier.id)
    assert seen is not None and seen.by_me and seen.overall == 2
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 1
    clock.advance(days=2)
    with pytest.raises(Conflict) as late:
        await service.rate_dossier(feedback, citizen, dossier.id, GOOD)
    assert "7 ngày" in late.value.message("vi")
    # The officials who handled it see it among their own ratings.
    for official in officials:
        seen = await service.official_ratings(feedback, official)
        assert seen.mine.count == 1 and seen.mine.satisfied == 0
        assert seen.agency.from_dossiers >= 1


async def test_only_a_returned_dossier_of_ones_own_can_be_rated(
    runtime: DossiersRuntime, feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen, stranger = await people(), await people()
    pending = await submitted(runtime, citizen)
    with pytest.raises(InvalidInput):
        await service.rate_dossier(feedback, citizen, pending.id, GOOD)
    dossier, [reception, *_] = await returned(runtime, people, citizen)
    with pytest.raises(NotFound):
        await service.rate_dossier(feedback, stranger, dossier.id, GOOD)
    with pytest.raises(Forbidden):
        await service.rate_dossier(feedback, reception, dossier.id, GOOD)
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 0


async def test_two_submissions_at_once_make_one_rating(
    runtime: DossiersRuntime, feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    dossier, _ = await returned(runtime, people, citizen)
    await asyncio.gather(
        *(service.rate_dossier(feedback, citizen, dossier.id, GOOD) for _ in range(5))
    )
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 1


# ------------------------------------------------------------------ counter ratings


async def test_one_device_rates_a_counter_once_a_day(
    feedback: FeedbackRuntime, limiter: RateLimiter, clock: Clock
) -> None:
    token = counter_token(feedback)
    device = devices.device_of(feedback.secret_key, devices.new_device(feedback.secret_key))
    assert device

    def rating(overall: int) -> CounterRatingIn:
        return CounterRatingIn(overall=overall, visit_code=visit_code(feedback))  # type: ignore[arg-type]

    assert not await service.counter_rated_today(feedback, token, device)
    first = await service.rate_counter(feedback, limiter, token, device, ADDRESS, rating(4))
    assert await service.counter_rated_today(feedback, token, device)
    assert not await service.counter_rated_today(feedback, token, "another-device")
    assert first.source == "counter" and first.agency_code == COUNTER_AGENCY
    assert first.status == "counted"
    outcomes = await asyncio.gather(
        *(
            service.rate_counter(feedback, limiter, token, device, ADDRESS, rating(1))
            for _ in range(49)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(o, Conflict) for o in outcomes)
    stored = await Rating.select().where(Rating.rating_key.like(f"counter:%:{device}:%"))
    assert [r["overall"] for r in stored] == [4]
    assert stored[0]["proof"] == "visit_code"
    clock.advance(days=1)
    await service.rate_counter(feedback, limiter, token, device, ADDRESS, rating(3))
    assert await Rating.count().where(Rating.rating_key.like(f"counter:%:{device}:%")) == 2


async def test_forged_and_revoked_counter_tokens_store_nothing(
    feedback: FeedbackRuntime, limiter: RateLimiter, clock: Clock
) -> None:
    token = counter_token(feedback)
    before = await Rating.count()
    rating = CounterRatingIn(overall=5, visit_code=visit_code(feedback))
    with pytest.raises(InvalidCounterToken):
        await service.rate_counter(feedback, limiter, token[:-2] + "xx", "dev", ADDRESS, rating)
    feedback.counter_key_version += 1
    try:
        with pytest.raises(RevokedCounterToken):
            await service.rate_counter(feedback, limiter, token, "dev", ADDRESS, rating)
    finally:
        feedback.counter_key_version -= 1
    assert await Rating.count() == before


def test_device_cookies_are_ours_only(feedback: FeedbackRuntime) -> None:
    cookie = devices.new_device(feedback.secret_key)
    device = devices.device_of(feedback.secret_key, cookie)
    assert device and cookie.startswith(device + ".")
    assert devices.device_of(feedback.secret_key, device + ".forged") is None
    assert devices.device_of("another secret key of 32 characters", cookie) is None
    assert devices.device_of(feedback.secret_key, None) is None
    assert devices.device_of(feedback.secret_key, "x" * 100) is None


# ---------------------------------------------------------------------- feedback


def _feedback(**fields: object) -> FeedbackIn:
    values: dict[str, object] = {
        "category": "thoi_gian",
        "text": "Hồ sơ của tôi chờ quá lâu mà không ai báo.",
        "contact_name": "Trần Văn Ba",
        "contact_phone": "0912 345 678",
        "publish_consent": True,
        "agency_code": AGENCY,
    }
    return FeedbackIn(**{**values, **fields})  # type: ignore[arg-type]


async def test_feedback_is_answered_and_the_sender_told(
    runtime: DossiersRuntime, feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    citizen = await people()
    reception = await people("staff", "reception", agency=AGENCY, name="Lê Thị Đáp")
    sent = await service.submit(feedback, citizen, _feedback(), [])
    item = sent.feedback
    assert item.code.startswith("PA-261005-") and item.status == "open"
    assert item.due_date == dt.date(2026, 10, 19)  # ten working days after Mon 5/10
    assert sent.tracking_url.endswith(
        f"/phan-anh/{item.code}?k={service.tracking_token(feedback.secret_key, item.code)}"
    )
    assert [f.code for f in await service.mine(citizen)] == [item.code]

    queue = await service.queue(feedback, reception)
    assert queue.open >= 1 and item.code in [f.code for f in queue.items]
    [mine] = [f for f in queue.items if f.code == item.code]
    assert mine.contact_phone == "0912345678" and not mine.overdue
    clock.advance(days=3)
    answered = await service.answer(
        feedback, reception, mine.id, AnswerIn(answer="Đã xử lý, xin lỗi ông.", publish=True)
    )
    assert answered.status == "answered" and answered.on_time and answered.published
    assert answered.answered_by_name == "Lê Thị Đáp"
    with pytest.raises(Conflict):
        await service.answer(feedback, reception, mine.id, AnswerIn(answer="Lần hai"))
    [notice] = await outbox.messages_for(f"feedback:{mine.id}")
    assert notice["kind"] == "feedback.answered" and notice["account_ids"] == [citizen.account_id]
    assert notice["payload"] == {"code": item.code, "status": "answered"}

    # The answered notice links without the key: the signed-in sender gets it, nobody else.
    token = await service.token_for(feedback, citizen, item.code)
    assert token == service.tracking_token(feedback.secret_key, item.code)
    with pytest.raises(NotFound):
        await service.token_for(feedback, reception, item.code)
    with pytest.raises(NotFound):
        await service.token_for(feedback, None, item.code)
    rated = await service.rate_answer(feedback, item.code, token, 5)
    assert rated.answer_rating == 5
    with pytest.raises(Conflict):
        await service.rate_answer(feedback, item.code, token, 1)
    public = await service.published(agency_code=AGENCY)
    [shown] = [p for p in public if p.code == item.code]
    assert shown.answer == "Đã xử lý, xin lỗi ông." and not hasattr(shown, "contact_name")


async def test_the_tracking_link_and_the_queue_are_guarded(
    feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    elsewhere = await people("staff", "reception", agency=OTHER_AGENCY)
    citizen = await people()
    sent = await service.submit(feedback, None, _feedback(anonymous=True), [])
    code = sent.feedback.code
    assert (
        await service.track(feedback, code, service.tracking_token(feedback.secret_key, code))
    ).code == code
    with pytest.raises(NotFound):
        await service.track(feedback, code, "forged")
    with pytest.raises(NotFound):
        await service.rate_answer(feedback, code, "forged", 5)
    row = (await Feedback.select(Feedback.id).where(Feedback.code == code))[0]
    with pytest.raises(NotFound):
        await service.detail(feedback, elsewhere, row["id"])
    with pytest.raises(Forbidden):
        await service.queue(feedback, citizen)
    with pytest.raises(Conflict):  # not answered yet
        await service.rate_answer(
            feedback, code, service.tracking_token(feedback.secret_key, code), 4
        )


async def test_forwarding_moves_it_to_the_other_agency(
    feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    here = await people("staff", "leader", agency=AGENCY)
    there = await people("staff", "reception", agency=OTHER_AGENCY)
    sent = await service.submit(feedback, None, _feedback(publish_consent=False), [])
    row = (await Feedback.select(Feedback.id).where(Feedback.code == sent.feedback.code))[0]
    with pytest.raises(InvalidInput):
        await service.forward(feedback, here, row["id"], ForwardIn(agency_code=AGENCY))
    moved = await service.forward(
        feedback, here, row["id"], ForwardIn(agency_code=OTHER_AGENCY, note="Thuộc thẩm quyền Sở")
    )
    assert moved.agency_code == OTHER_AGENCY and moved.first_agency == AGENCY
    assert moved.history[-1].to == OTHER_AGENCY and moved.history[-1].note
    assert moved.history[-1].from_agency == AGENCY and moved.history[-1].by
    with pytest.raises(NotFound):
        await service.detail(feedback, here, row["id"])
    with pytest.raises(InvalidInput) as no_consent:
        await service.answer(feedback, there, row["id"], AnswerIn(answer="Trả lời", publish=True))
    assert no_consent.value.field == "publish"
    clock.advance(days=20)
    late = await service.answer(feedback, there, row["id"], AnswerIn(answer="Trả lời muộn"))
    assert late.on_time is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": "ngắn"}, "text"),
        ({"contact_name": ""}, "contact_name"),
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_phone": "", "contact_email": "khong-phai-thu"}, "contact_email"),
        ({"contact_phone": ""}, "contact_phone"),
        ({"agency_code": None}, "agency_code"),
    ],
)
async def test_bad_feedback_is_refused_and_nothing_stored(
    feedback: FeedbackRuntime, clock: Clock, fields: dict[str, object], field: str
) -> None:
    before = await Feedback.count()
    with pytest.raises(InvalidInput) as refused:
        await service.submit(feedback, None, _feedback(**fields), [])
    assert refused.value.field == field
    assert await Feedback.count() == before


async def test_photos_are_checked_by_content(feedback: FeedbackRuntime) -> None:
    checked = await service.check_photos(feedback, [(jpeg(), "anh.jpg")])
    assert [p.media_type for p in checked] == ["image/jpeg"]
    with pytest.raises(InvalidInput):
        await service.check_photos(feedback, [(b"%PDF-1.4 not an image", "anh.jpg")])
    with pytest.raises(InvalidInput):
        await service.check_photos(feedback, [(jpeg(), f"anh{i}.jpg") for i in range(4)])
    with pytest.raises(InvalidInput):
        await service.check_photos(
            feedback, [(b"\xff\xd8" + b"\x00" * (11 * 1024 * 1024), "to.jpg")]
        )
    # Every refused photo is named, the good ones are not.
    with pytest.raises(InvalidInput) as refused:
        await service.check_photos(
            feedback, [(jpeg(), "tot.jpg"), (b"not an image", "a.jpg"), (b"", "b.jpg")]
        )
    messages = [p.message.render("vi") for p in refused.value.problems]
    assert [p.field for p in refused.value.problems] == ["photos", "photos"]
    assert messages[0].startswith("a.jpg: ") and messages[1].startswith("b.jpg: ")


async def test_every_problem_of_a_feedback_is_reported_at_once(
    feedback: FeedbackRuntime, clock: Clock
) -> None:
    before, files_before = await Feedback.count(), _stored(feedback)
    with pytest.raises(InvalidInput) as refused:
        await service.submit(
            feedback,
            None,
            _feedback(
                agency_code=None,
                text="ngắn",
                contact_name=" ",
                contact_phone="123",
                contact_email="khong-phai-thu",
            ),
            [(jpeg(), "tot.jpg"), (b"%PDF-1.4 not an image", "giay.jpg")],
        )
    assert [p.field for p in refused.value.problems] == [
        "agency_code",
        "text",
        "photos",
        "contact_name",
        "contact_phone",
        "contact_email",
    ]
    assert "giay.jpg" in refused.value.problems[2].message.render("vi")
    assert refused.value.problems[3].message.render("en") == (
        "Give your name, or send anonymously."
    )
    # Nothing kept, not even the good photo.
    assert await Feedback.count() == before and _stored(feedback) == files_before


def _stored(feedback: FeedbackRuntime) -> int:
    root = feedback.attachments.storage.root  # type: ignore[attr-defined]
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0


async def test_photos_are_kept_and_served_to_the_agency_only(
    feedback: FeedbackRuntime, clock: Clock, people: PersonFactory
) -> None:
    reception = await people("staff", "reception", agency=AGENCY)
    sent = await service.submit(feedback, None, _feedback(anonymous=True), [(jpeg(), "anh.jpg")])
    assert sent.feedback.photos == 1
    row = (await Feedback.select(Feedback.id).where(Feedback.code == sent.feedback.code))[0]
    data, media_type = await service.photo(feedback, reception, row["id"], 0)
    assert media_type == "image/jpeg" and data.startswith(b"\xff\xd8")
    with pytest.raises(NotFound):
        await service.photo(feedback, reception, row["id"], 1)
