"""The feedback pages without JavaScript: the survey of a returned dossier and of a
counter visit (from its QR code, no account), feedback with photos and its tracking
page, the rating of the answer, published answers, and the officials' queue, answer,
forward and ratings. Mistakes come back in a summary with what was typed kept, and
nothing is stored from them."""

from __future__ import annotations

import gzip
import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fpdf import FPDF
from litestar import Litestar

from backend.dossiers.runtime import DossiersRuntime
from backend.feedback import service
from backend.feedback.pages import register
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.service.labels import CATEGORIES, CRITERIA, SCALE
from backend.feedback.tables import Feedback, Rating
from backend.vietnam import VIETNAM
from backend.web import device as devices
from backend.web.blocks import Blocks
from backend.web.console import Console
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import AGENCY, OTHER_AGENCY, PersonFactory, jpeg, submitted
from tests.feedback.conftest import (
    COUNTER_AGENCY,
    COUNTER_NUMBER,
    citizen_browser,
    counter_token,
    official_browser,
    returned,
    send_form,
    visit_code,
    visitor,
    wrong_code,
)

LONG = "Rất tốt. " * 130  # 1,170 characters: more than a comment may hold
PROCEDURE = "1.001193"  # Thủ tục đăng ký khai sinh (a commune procedure)


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def summary(response: httpx.Response) -> str:
    found = re.search(r'<div class="error-summary" role="alert".*?</div>', text_of(response), re.S)
    assert found, "no error summary"
    return found.group(0)


def assert_no_inline_code(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert " style=" not in page and "<style" not in page
    assert not re.search(r"\son[a-z]+=", page), "inline handler"


def gzipped_kib(response: httpx.Response) -> float:
    return len(gzip.compress(response.content, 6)) / 1024


def pdf_bytes() -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text="Khong phai anh")
    return bytes(document.output())


def stored_files(feedback: FeedbackRuntime) -> int:
    root: Path = feedback.attachments.storage.root  # type: ignore[attr-defined]
    return sum(1 for path in root.rglob("*") if path.is_file()) if root.exists() else 0


def kept_names(response: httpx.Response) -> list[str]:
    """The photos a refused feedback form shows as already received."""
    return re.findall(r'<li class="kept-photo"><img src="[^"]+" alt="([^"]*)"', text_of(response))


def rating_form(**answers: str) -> dict[str, str]:
    return {"overall": "", "comment": "", **answers}


def location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"]


async def feedback_count() -> int:
    return int(await Feedback.count())


# ------------------------------------------------------------------ dossier survey


async def test_a_returned_dossier_is_rated_from_its_page(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    hoa = await citizen_browser(dossiers_app, open_browsers)
    dossier, _ = await returned(runtime, people, hoa.principal)
    browser = hoa.browser

    page = await browser.get(f"/ho-so/{dossier.id}")
    # The feedback domain's block of the dossier page: the rating, and the feedback link.
    assert 'id="rate-dossier"' in page.text
    assert f'href="/ho-so/{dossier.id}/danh-gia"' in page.text
    assert f'href="/phan-anh/gui?ho-so={dossier.id}"' in page.text
    # Not on the receipt, a paper to keep.
    receipt = await browser.get(f"/ho-so/{dossier.id}/bien-nhan")
    assert receipt.status_code == 200 and "/phan-anh/gui" not in receipt.text

    form = await browser.get(f"/ho-so/{dossier.id}/danh-gia")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    body = text_of(form)
    assert 'name="_csrf_token"' in body
    for level, words in SCALE.items():
        assert f'id="overall-{level}"' in body and words.render("vi") in body
    for name in CRITERIA:
        assert f'name="{name}"' in body
    assert_no_inline_code(form.text)
    assert gzipped_kib(form) <= 20

    # Nothing chosen, a comment too long: both named, the comment kept, nothing stored.
    wrong = await send_form(browser, f"/ho-so/{dossier.id}/danh-gia", rating_form(comment=LONG))
    assert wrong.status_code == 422
    errors = summary(wrong)
    assert 'href="#overall-1"' in errors and "“Mức độ hài lòng chung”" in errors
    assert 'href="#comment"' in errors and "1.000 ký tự" in errors
    assert LONG.strip() in text_of(wrong)
    assert await Rating.count().where(Rating.dossier_id == dossier.id) == 0

    sent = await send_form(
        browser,
        f"/ho-so/{dossier.id}/danh-gia",
        rating_form(overall="5", attitude="4", speed="3", comment="Cán bộ tận tình"),
    )
    assert location(sent) == f"/ho-so/{dossier.id}/danh-gia?xong=1"
    thanks = text_of(await browser.get(location(sent)))
    assert "Cảm ơn bạn đã đánh giá!" in thanks
    assert 'id="overall-5" name="overall" value="5" checked' in thanks
    [row] = await Rating.select().where(Rating.dossier_id == dossier.id)
    assert (row["overall"], row["attitude"], row["speed"], row["info"]) == (5, 4, 3, None)
    assert row["comment"] == "Cán bộ tận tình" and row["account_id"] == hoa.principal.account_id

    # Changed within the week: the same rating; after it, shown but not editable.
    clock.advance(days=3)
    changed = await send_form(
        browser, f"/ho-so/{dossier.id}/danh-gia", rating_form(overall="2", comment="")
    )
    assert changed.status_code == 303
    [row] = await Rating.select().where(Rating.dossier_id == dossier.id)
    assert row["overall"] == 2 and row["attitude"] is None
    clock.advance(days=5)
    late_page = text_of(await browser.get(f"/ho-so/{dossier.id}/danh-gia"))
    assert "không sửa được" in late_page and 'id="rating-form"' not in late_page
    late = await send_form(browser, f"/ho-so/{dossier.id}/danh-gia", rating_form(overall="5"))
    assert late.status_code == 409 and "7 ngày" in summary(late)
    [row] = await Rating.select().where(Rating.dossier_id == dossier.id)
    assert row["overall"] == 2


async def test_a_dossier_is_rated_only_by_its_owner_once_it_is_returned(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen_browser(dossiers_app, open_browsers, "Phạm Văn Chủ")
    stranger = await citizen_browser(dossiers_app, open_browsers, "Đỗ Thị Lạ")
    dossier, _ = await returned(runtime, people, owner.principal)
    for response in (
        await stranger.browser.get(f"/ho-so/{dossier.id}/danh-gia"),
        await send_form(
            stranger.browser, f"/ho-so/{dossier.id}/danh-gia", rating_form(overall="1")
        ),
    ):
        assert response.status_code == 404
    pending = await submitted(runtime, owner.principal)
    # Its page offers feedback about it, but no rating yet.
    pending_page = await owner.browser.get(f"/ho-so/{pending.id}")
    assert 'id="dossier-feedback"' in pending_page.text
    assert 'id="rate-dossier"' not in pending_page.text
    page = text_of(await owner.browser.get(f"/ho-so/{pending.id}/danh-gia"))
    assert "khi hồ sơ đã trả kết quả" in page and 'id="rating-form"' not in page
    early = await send_form(
        owner.browser, f"/ho-so/{pending.id}/danh-gia", rating_form(overall="5")
    )
    assert early.status_code == 422 and "đã trả kết quả" in summary(early)
    assert await Rating.count().where(Rating.dossier_id.is_in([dossier.id, pending.id])) == 0
    # Officials have no survey to fill in.
    official = await official_browser(dossiers_app, open_browsers, "reception", AGENCY)
    assert (await official.browser.get(f"/ho-so/{dossier.id}/danh-gia")).status_code == 403


async def test_the_survey_speaks_english(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    lan = await citizen_browser(dossiers_app, open_browsers)
    dossier, _ = await returned(runtime, people, lan.principal)
    page = text_of(
        await lan.browser.get(f"/ho-so/{dossier.id}/danh-gia", headers={"Accept-Language": "en"})
    )
    assert "Overall, how satisfied are you?" in page and "Very satisfied" in page
    assert "The officials' attitude" in page and "Send the rating" in page


# ------------------------------------------------------------------ counter survey


async def test_the_counter_page_leads_to_its_survey_and_a_rating_is_stored(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    phone = await visitor(dossiers_app, open_browsers)
    counter_page = await phone.get(f"/c/{token}")
    assert f'href="/c/{token}/danh-gia"' in counter_page.text
    assert f'href="/phan-anh/gui?c={token}"' in counter_page.text
    assert "Đánh giá quầy này" in counter_page.text

    form = await phone.get(f"/c/{token}/danh-gia")
    assert form.status_code == 200
    cookie = form.headers["set-cookie"]
    assert cookie.startswith("motcua_device=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Max-Age=31536000" in cookie and "Secure" not in cookie
    device = devices.device_of(feedback.secret_key, phone.client.cookies["motcua_device"])
    assert device
    assert 'name="stated_code"' in form.text
    assert_no_inline_code(form.text)
    # Where the code is, in plain words, before anything is typed.
    assert 'name="visit_code"' in form.text and 'inputmode="numeric"' in form.text
    assert "Mã hiện trên màn hình đặt ở quầy" in text_of(form)
    assert "hỏi cán bộ tại quầy" in text_of(form)

    wrong = await send_form(phone, f"/c/{token}/danh-gia", rating_form(comment=LONG))
    assert wrong.status_code == 422 and 'href="#overall-1"' in summary(wrong)
    # Without the code, or with a wrong one: refused at the code, the answers kept.
    for typed, words in (("", "Hãy nhập mã đánh giá"), (wrong_code(feedback), "không đúng")):
        refused = await send_form(
            phone, f"/c/{token}/danh-gia", rating_form(overall="4", visit_code=typed)
        )
        assert refused.status_code == 422 and 'href="#visit_code"' in summary(refused)
        assert words in summary(refused)
        assert 'id="overall-4" name="overall" value="4" checked' in refused.text
    english = await phone.client.post(
        f"/c/{token}/danh-gia",
        data={"_csrf_token": phone.client.cookies["csrftoken"], "overall": "4"},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422 and "code shown" in summary(english)
    assert await Rating.count().where(Rating.rating_key.like(f"counter:%:{device}:%")) == 0
    # The counter's screen links here with its code filled in.
    prefilled = await phone.get(f"/c/{token}/danh-gia?ma={visit_code(feedback)}")
    assert f'value="{visit_code(feedback)}"' in prefilled.text
    sent = await send_form(
        phone,
        f"/c/{token}/danh-gia",
        rating_form(
            overall="4",
            info="5",
            comment="Nhanh",
            stated_code="000.00.01.H56-261005-0001",
            visit_code=visit_code(feedback),
        ),
    )
    assert location(sent) == f"/c/{token}/danh-gia?xong=1"
    thanks = text_of(await phone.get(location(sent)))
    assert "Cảm ơn bạn đã đánh giá!" in thanks and f"/phan-anh/gui?c={token}" in thanks
    again = await send_form(
        phone, f"/c/{token}/danh-gia", rating_form(overall="1", visit_code=visit_code(feedback))
    )
    assert again.status_code == 409 and "đã đánh giá quầy này" in text_of(again)
    rows = await Rating.select().where(Rating.rating_key.like(f"counter:%:{device}:%"))
    assert len(rows) == 1
    row = rows[0]
    assert (row["agency_code"], row["counter_number"]) == (COUNTER_AGENCY, COUNTER_NUMBER)
    assert (row["overall"], row["info"], row["stated_code"]) == (4, 5, "000.00.01.H56-261005-0001")


async def test_forged_and_replaced_counter_codes_are_refused_and_store_nothing(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    phone = await visitor(dossiers_app, open_browsers)
    before = await Rating.count()
    page = await phone.get(f"/c/{forged}/danh-gia")
    assert page.status_code == 404 and "không phải của quầy nào" in text_of(page)
    code = visit_code(feedback)
    post = await send_form(
        phone, f"/c/{forged}/danh-gia", rating_form(overall="5", visit_code=code)
    )
    assert post.status_code == 404
    feedback.counter_key_version += 1
    try:
        replaced = await phone.get(f"/c/{token}/danh-gia")
        assert replaced.status_code == 410 and "đã được thay" in text_of(replaced)
        post = await send_form(
            phone, f"/c/{token}/danh-gia", rating_form(overall="5", visit_code=code)
        )
        assert post.status_code == 410
    finally:
        feedback.counter_key_version -= 1
    assert await Rating.count() == before


# ------------------------------------------------------------------------ feedback


async def test_feedback_from_a_counter_with_photos_gets_a_code_to_follow(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    phone = await visitor(dossiers_app, open_browsers)
    form = await phone.get(f"/phan-anh/gui?c={token}")
    assert form.status_code == 200
    body = text_of(form)
    assert f'name="counter_token" value="{token}"' in body and "Về quầy" in body
    assert 'enctype="multipart/form-data"' in body and 'name="_csrf_token"' in body
    for key in CATEGORIES:
        assert f'id="category-{key}"' in body
    assert_no_inline_code(form.text)
    assert gzipped_kib(form) <= 20

    sent = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "counter_token": token,
            "category": "co_so",
            "text": "Ghế chờ ở quầy 1 bị hỏng, người già phải đứng.",
            "anonymous": "1",
            "publish_consent": "1",
        },
        files=[
            ("photos", ("ghe.jpg", jpeg(), "image/jpeg")),
            ("photos", ("ghe-2.jpg", jpeg(80, 60), "image/jpeg")),
        ],
    )
    target = urlsplit(location(sent))
    code = target.path.rsplit("/", 1)[1]
    query = parse_qs(target.query)
    assert re.fullmatch(r"PA-\d{6}-[A-Z2-9]{6}", code)
    assert query["k"] == [service.tracking_token(feedback.secret_key, code)]
    assert query["moi"] == ["1"]

    tracking = await phone.get(location(sent))
    page = text_of(tracking)
    assert tracking.headers["cache-control"] == "no-store"
    assert tracking.headers["referrer-policy"] == "no-referrer"
    assert "Mã phản ánh của bạn:" in page and f'id="feedback-code">{code}<' in page
    assert "Đang chờ trả lời" in page and "2 ảnh đã gửi" in page
    assert 'id="answer-rating-form"' not in page
    assert_no_inline_code(tracking.text)
    [row] = await Feedback.select().where(Feedback.code == code).output(load_json=True)
    assert (row["agency_code"], row["counter_number"]) == (COUNTER_AGENCY, COUNTER_NUMBER)
    assert row["anonymous"] and row["publish_consent"] and len(row["photos"]) == 2
    assert row["contact_name"] == "" and row["account_id"] is None

    # Without its key, the page is for its sender only.
    assert (await phone.get(f"/phan-anh/{code}")).headers["location"].startswith("/dang-nhap")
    assert (await phone.get(f"/phan-anh/{code}?k=wrong")).status_code == 404
    assert (await phone.get("/phan-anh/khong-co?k=wrong")).status_code == 404


async def test_mistakes_in_feedback_are_named_and_nothing_is_kept(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    before, files_before = await feedback_count(), stored_files(feedback)

    empty = await send_form(phone, "/phan-anh/gui", {"procedure_code": PROCEDURE})
    assert empty.status_code == 422
    errors = summary(empty)
    assert 'href="#category-thu_tuc"' in errors and 'href="#text"' in errors

    typed = "Cán bộ hướng dẫn mỗi lần một khác, tôi phải đi lại ba lần."
    no_contact = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "procedure_code": PROCEDURE,
            "category": "thu_tuc",
            "text": typed,
            "contact_name": "Bà Tư",
        },
    )
    assert no_contact.status_code == 422
    assert 'href="#contact_phone"' in summary(no_contact)
    kept = text_of(no_contact)
    assert typed in kept and 'value="Bà Tư"' in kept and 'value="thu_tuc" checked' in kept

    bad_phone = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "procedure_code": PROCEDURE,
            "category": "thu_tuc",
            "text": typed,
            "contact_name": "Bà Tư",
            "contact_phone": "12345",
        },
    )
    assert bad_phone.status_code == 422 and "10 chữ số" in summary(bad_phone)

    too_long = await send_form(
        phone,
        "/phan-anh/gui",
        {"procedure_code": PROCEDURE, "category": "khac", "text": "x" * 2001, "anonymous": "1"},
    )
    assert too_long.status_code == 422 and "2.000 ký tự" in summary(too_long)

    not_a_photo = await send_form(
        phone,
        "/phan-anh/gui",
        {"procedure_code": PROCEDURE, "category": "khac", "text": typed, "anonymous": "1"},
        files=[("photos", ("giay.pdf", pdf_bytes(), "application/pdf"))],
    )
    assert not_a_photo.status_code == 422
    assert "giay.pdf" in summary(not_a_photo) and "Chỉ gửi được ảnh" in summary(not_a_photo)
    assert 'name="kept_photos"' not in not_a_photo.text, "a refused photo is not kept"

    four = await send_form(
        phone,
        "/phan-anh/gui",
        {"procedure_code": PROCEDURE, "category": "khac", "text": typed, "anonymous": "1"},
        files=[("photos", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in range(4)],
    )
    assert four.status_code == 422 and "tối đa 3 ảnh" in summary(four)

    big = b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024)
    oversized = await send_form(
        phone,
        "/phan-anh/gui",
        {"procedure_code": PROCEDURE, "category": "khac", "text": typed, "anonymous": "1"},
        files=[("photos", ("to.jpg", big, "image/jpeg"))],
    )
    assert oversized.status_code == 422 and "10 MB" in summary(oversized)

    no_csrf = await phone.client.post(
        "/phan-anh/gui", data={"procedure_code": PROCEDURE, "category": "khac", "text": typed}
    )
    assert no_csrf.status_code == 403
    assert await feedback_count() == before and stored_files(feedback) == files_before


async def test_every_mistake_in_feedback_shows_at_once(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    before, files_before = await feedback_count(), stored_files(feedback)
    typed = "Cán bộ hướng dẫn mỗi lần một khác, tôi phải đi lại ba lần."
    good, bad = ("tot.jpg", jpeg(), "image/jpeg"), ("giay.pdf", pdf_bytes(), "application/pdf")
    # The form's own fields and the photos.
    unchosen = await send_form(
        phone,
        "/phan-anh/gui",
        {"procedure_code": PROCEDURE, "text": typed, "anonymous": "1"},
        files=[("photos", good), ("photos", bad)],
    )
    assert unchosen.status_code == 422
    errors = summary(unchosen)
    assert 'href="#category-thu_tuc"' in errors and "“Loại phản ánh”" in errors
    assert "giay.pdf" in errors and "tot.jpg" not in errors
    # The service's rules and the photos.
    ruled = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "procedure_code": PROCEDURE,
            "category": "thu_tuc",
            "text": "Chậm quá",
            "contact_name": "Bà Tư",
            "contact_phone": "12345",
        },
        files=[("photos", good), ("photos", bad)],
    )
    assert ruled.status_code == 422
    errors = summary(ruled)
    for target in ("#text", "#photos", "#contact_phone"):
        assert f'href="{target}"' in errors
    assert "ít nhất 10 ký tự" in errors and "10 chữ số" in errors and "giay.pdf" in errors
    # In the form's order, top to bottom.
    order = [errors.index(f'href="{t}"') for t in ("#text", "#photos", "#contact_phone")]
    assert order == sorted(order)
    # No feedback; the good photo of each refused form is kept for it (until sent or
    # swept), the refused one is not.
    assert await feedback_count() == before and stored_files(feedback) == files_before + 2
    for page in (unchosen, ruled):
        assert kept_names(page) == ["tot.jpg"]


async def test_what_the_feedback_is_about_comes_from_the_link(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    procedure = text_of(await phone.get(f"/phan-anh/gui?p={PROCEDURE}"))
    assert "Về thủ tục" in procedure and "Thủ tục đăng ký khai sinh" in procedure
    assert f'name="procedure_code" value="{PROCEDURE}"' in procedure
    unknown = text_of(await phone.get("/phan-anh/gui?p=9.999999"))
    assert 'id="agency_code"' in unknown and "9.999999" in unknown
    forged = text_of(await phone.get("/phan-anh/gui?c=1.abcd.0123456789012345678901"))
    assert 'id="agency_code"' in forged and "không phải của quầy nào" in forged
    # A dossier: only for its owner, signed in.
    owner = await citizen_browser(dossiers_app, open_browsers, "Vũ Thị Chủ")
    dossier = await submitted(runtime, owner.principal)
    signed_out = await phone.get(f"/phan-anh/gui?ho-so={dossier.id}")
    assert signed_out.headers["location"].startswith("/dang-nhap?next=/phan-anh/gui")
    mine = text_of(await owner.browser.get(f"/phan-anh/gui?ho-so={dossier.id}"))
    assert str(dossier.code) in mine and 'value="Vũ Thị Chủ"' in mine
    stranger = await citizen_browser(dossiers_app, open_browsers)
    assert (await stranger.browser.get(f"/phan-anh/gui?ho-so={dossier.id}")).status_code == 404

    # The owner sends it signed in: no contact needed, followed from "Phản ánh của tôi".
    sent = await send_form(
        owner.browser,
        "/phan-anh/gui",
        {
            "dossier_id": str(dossier.id),
            "category": "thoi_gian",
            "text": "Hồ sơ đã quá hẹn mà chưa thấy trả lời.",
            "contact_name": "Vũ Thị Chủ",
        },
    )
    code = urlsplit(location(sent)).path.rsplit("/", 1)[1]
    [row] = await Feedback.select().where(Feedback.code == code)
    assert row["dossier_id"] == dossier.id and row["agency_code"] == AGENCY
    listed = text_of(await owner.browser.get("/phan-anh"))
    assert code in listed and "Đang chờ trả lời" in listed
    assert (await owner.browser.get(f"/phan-anh/{code}")).status_code == 200
    assert (await stranger.browser.get(f"/phan-anh/{code}")).status_code == 404


async def test_an_official_answers_and_the_sender_rates_the_answer(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    token = counter_token(feedback)
    phone = await visitor(dossiers_app, open_browsers)
    question = "Vì sao phải photo công chứng giấy tờ khi đã có bản điện tử?"
    sent = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "counter_token": token,
            "category": "thu_tuc",
            "text": question,
            "contact_name": "Ngô Văn Hỏi",
            "contact_phone": "0912 345 678",
            "publish_consent": "1",
        },
        files=[("photos", ("giay.jpg", jpeg(), "image/jpeg"))],
    )
    tracking_url = location(sent)
    code = urlsplit(tracking_url).path.rsplit("/", 1)[1]
    [row] = await Feedback.select(Feedback.id).where(Feedback.code == code)
    feedback_id = row["id"]

    official = await official_browser(dossiers_app, open_browsers, "reception", COUNTER_AGENCY)
    stranger = await official_browser(dossiers_app, open_browsers, "reception", OTHER_AGENCY)
    console = await official.browser.get("/can-bo")
    assert 'href="/can-bo/phan-anh"' in console.text and 'href="/can-bo/danh-gia"' in console.text
    clock.advance(days=16)  # past ten working days
    queue = await official.browser.get("/can-bo/phan-anh")
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    # The console's shared navigation, this section current.
    nav = re.search(r'<nav class="console-nav".*?</nav>', queue.text, re.S)
    assert nav and 'href="/can-bo/phan-anh" id="nav-feedback" aria-current="page"' in nav.group(0)
    assert 'href="/can-bo/danh-gia" id="nav-ratings"' in nav.group(0)
    row_html = re.search(
        rf"<tr[^>]*>\s*<th scope=\"row\"><a href=\"/can-bo/phan-anh/{feedback_id}\">.*?</tr>",
        queue.text,
        re.S,
    )
    assert row_html and 'class="overdue"' in row_html.group(0) and "Quá hạn" in row_html.group(0)
    assert_no_inline_code(queue.text)

    item = await official.browser.get(f"/can-bo/phan-anh/{feedback_id}")
    page = text_of(item)
    assert question in page and "Ngô Văn Hỏi" in page and "0912345678" in page
    assert 'name="publish"' in page and "Công khai câu trả lời" in page
    assert f'href="/can-bo/phan-anh/{feedback_id}/anh/1"' in page
    assert 'id="agency_code"' in page and f'value="{COUNTER_AGENCY}"' not in page
    assert_no_inline_code(item.text)
    assert gzipped_kib(item) <= 20
    photo = await official.browser.get(f"/can-bo/phan-anh/{feedback_id}/anh/1")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-disposition"].startswith("attachment;")
    assert photo.content.startswith(b"\xff\xd8")
    assert (await official.browser.get(f"/can-bo/phan-anh/{feedback_id}/anh/2")).status_code == 404
    for path in (f"/can-bo/phan-anh/{feedback_id}", f"/can-bo/phan-anh/{feedback_id}/anh/1"):
        assert (await stranger.browser.get(path)).status_code == 404
    assert (await phone.get("/can-bo/phan-anh")).status_code == 303  # to sign in

    empty = await send_form(
        official.browser, f"/can-bo/phan-anh/{feedback_id}/tra-loi", {"answer": " "}
    )
    assert empty.status_code == 422 and 'href="#answer"' in summary(empty)
    answer = "Từ 2026, bạn chỉ cần xuất trình bản điện tử trên VNeID; cán bộ sẽ đối chiếu."
    answered = await send_form(
        official.browser,
        f"/can-bo/phan-anh/{feedback_id}/tra-loi",
        {"answer": answer, "publish": "1"},
    )
    assert location(answered) == f"/can-bo/phan-anh/{feedback_id}?xong=tra-loi#thong-bao"
    done = text_of(await official.browser.get(location(answered)))
    assert "Đã gửi câu trả lời." in done and "Trễ hạn" in done and 'id="form-answer"' not in done
    again = await send_form(
        official.browser, f"/can-bo/phan-anh/{feedback_id}/tra-loi", {"answer": "Lần hai"}
    )
    assert again.status_code == 409

    # The sender sees the answer and rates it, once.
    page = text_of(await phone.get(tracking_url))
    assert answer in page and 'id="answer-rating-form"' in page
    k = parse_qs(urlsplit(tracking_url).query)["k"][0]
    no_stars = await send_form(phone, f"/phan-anh/{code}/danh-gia", {"k": k})
    assert no_stars.status_code == 422 and 'href="#stars-1"' in summary(no_stars)
    rated = await send_form(phone, f"/phan-anh/{code}/danh-gia", {"k": k, "stars": "4"})
    assert location(rated) == f"/phan-anh/{code}?k={k}&xong=danh-gia#danh-gia"
    thanks = text_of(await phone.get(location(rated)))
    assert "Cảm ơn bạn đã đánh giá câu trả lời!" in thanks and "★★★★☆" in thanks
    twice = await send_form(phone, f"/phan-anh/{code}/danh-gia", {"k": k, "stars": "1"})
    assert twice.status_code == 409
    other_key = ("y" if k[0] == "x" else "x") + k[1:]  # never the real key by chance
    forged = await send_form(phone, f"/phan-anh/{code}/danh-gia", {"k": other_key, "stars": "1"})
    assert forged.status_code == 404
    [row] = await Feedback.select().where(Feedback.id == feedback_id)
    assert row["answer_rating"] == 4 and row["published"]

    # Published for others with the same question, without the sender.
    published = await phone.get("/phan-anh/cong-khai")
    listed = text_of(published)
    assert question in listed and answer in listed
    assert "Ngô Văn Hỏi" not in listed and "0912345678" not in listed
    assert_no_inline_code(published.text)


async def test_publishing_needs_the_senders_consent_and_forwarding_moves_the_feedback(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    sent = await send_form(
        phone,
        "/phan-anh/gui",
        {
            "agency_code": COUNTER_AGENCY,
            "category": "phi",
            "text": "Lệ phí niêm yết khác với số tiền thu.",
            "anonymous": "1",
        },
    )
    code = urlsplit(location(sent)).path.rsplit("/", 1)[1]
    [row] = await Feedback.select(Feedback.id).where(Feedback.code == code)
    official = await official_browser(dossiers_app, open_browsers, "processing", COUNTER_AGENCY)
    other = await official_browser(dossiers_app, open_browsers, "leader", AGENCY)
    page = text_of(await official.browser.get(f"/can-bo/phan-anh/{row['id']}"))
    assert 'name="publish"' not in page and "Ẩn danh" in page
    forced = await send_form(
        official.browser,
        f"/can-bo/phan-anh/{row['id']}/tra-loi",
        {"answer": "Đã kiểm tra.", "publish": "1"},
    )
    assert forced.status_code == 422 and "không đồng ý công khai" in summary(forced)

    nowhere = await send_form(official.browser, f"/can-bo/phan-anh/{row['id']}/chuyen", {})
    assert nowhere.status_code == 422 and 'href="#agency_code"' in summary(nowhere)
    moved = await send_form(
        official.browser,
        f"/can-bo/phan-anh/{row['id']}/chuyen",
        {"agency_code": AGENCY, "note": "Thuộc Sở Tư pháp"},
    )
    assert location(moved) == f"/can-bo/phan-anh?xong=chuyen&ma={code}#thong-bao"
    assert code in text_of(await official.browser.get(location(moved)))
    assert (await official.browser.get(f"/can-bo/phan-anh/{row['id']}")).status_code == 404
    there = text_of(await other.browser.get(f"/can-bo/phan-anh/{row['id']}"))
    assert "Thuộc Sở Tư pháp" in there
    # When it was passed on, in Vietnam time, by Babel.
    assert f"{clock.now.astimezone(VIETNAM):%d/%m/%Y %H:%M}" in there
    assert (
        f'href="/can-bo/phan-anh/{row["id"]}"' in (await other.browser.get("/can-bo/phan-anh")).text
    )


async def test_officials_see_the_ratings_of_their_work(
    dossiers_app: Litestar,
    runtime: DossiersRuntime,
    feedback: FeedbackRuntime,
    clock: Clock,
    people: PersonFactory,
    open_browsers: list[Browser],
) -> None:
    owner = await citizen_browser(dossiers_app, open_browsers)
    dossier, _ = await returned(runtime, people, owner.principal)
    rated = await send_form(
        owner.browser,
        f"/ho-so/{dossier.id}/danh-gia",
        rating_form(overall="4", comment="Đúng hẹn, chu đáo"),
    )
    assert rated.status_code == 303
    # An official who handles the dossier's agency; their own work has no rating yet.
    official = await official_browser(dossiers_app, open_browsers, "leader", AGENCY)
    page = await official.browser.get("/can-bo/danh-gia")
    assert page.status_code == 200
    assert 'id="nav-ratings" aria-current="page"' in page.text
    body = text_of(page)
    assert "Cả cơ quan" in body and "Đúng hẹn, chu đáo" in body
    mine = re.search(r'<section class="rating-summary" id="mine".*?</section>', body, re.S)
    assert mine and "Chưa có đánh giá nào." in mine.group(0)
    agency = re.search(r'<section class="rating-summary" id="agency".*?</section>', body, re.S)
    assert agency and "hài lòng hoặc rất hài lòng" in agency.group(0)
    assert_no_inline_code(page.text)
    citizen_try = await owner.browser.get("/can-bo/danh-gia")
    assert citizen_try.status_code == 403


async def test_published_answers_filter_by_procedure(
    dossiers_app: Litestar, open_browsers: list[Browser]
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    page = await phone.get(f"/phan-anh/cong-khai?p={PROCEDURE}")
    assert page.status_code == 200 and "no-store" not in page.headers.get("cache-control", "")
    body = text_of(page)
    assert "Thủ tục đăng ký khai sinh" in body and 'href="/phan-anh/cong-khai"' in body
    assert f"/phan-anh/gui?p={PROCEDURE}" in body
    procedure_page = await phone.get(f"/p/{PROCEDURE}")
    assert f'href="/phan-anh/gui?p={PROCEDURE}"' in procedure_page.text
    assert f'href="/phan-anh/cong-khai?p={PROCEDURE}"' in procedure_page.text


@pytest.mark.parametrize("path", ["/phan-anh", "/ho-so/1/danh-gia"])
async def test_signing_in_comes_first(
    dossiers_app: Litestar, open_browsers: list[Browser], path: str
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    response = await phone.get(path)
    assert response.status_code == 303 and response.headers["location"].startswith("/dang-nhap")


def test_the_console_lists_feedback_and_ratings_for_officials() -> None:
    console = Console()
    register(Blocks(), console)
    sections = console.nav("reception")
    assert [(s.key, s.href) for s in sections] == [
        ("feedback", "/can-bo/phan-anh"),
        ("ratings", "/can-bo/danh-gia"),
    ]
    assert [s.label.render("en") for s in sections] == [
        "Feedback and petitions",
        "People's ratings",
    ]
    assert console.nav("admin") == [] and console.nav(None) == []
