"""The feedback form without JavaScript, as issue 16 found it: labels that say what is
required (the name unless anonymous, a phone number or an e-mail to be answered), the
fields answered without waiting for any photo, and the photos of a refused form kept
for it (shown back as thumbnails, each can be left out) instead of lost."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from PIL import Image

from backend.errors import InvalidInput
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.schemas import FeedbackIn
from backend.feedback.tables import Feedback
from tests.accounts.helpers import Browser, Clock
from tests.dossiers.conftest import jpeg
from tests.feedback.conftest import citizen_browser, counter_token, send_form, visitor
from tests.feedback.test_pages import kept_names, stored_files, summary, text_of

TYPED = "Cán bộ hướng dẫn mỗi lần một khác, tôi phải đi lại ba lần."


def big_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A phone camera's photo: several megabytes of detail."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def the_form(token: str, **fields: str) -> dict[str, Any]:
    return {"counter_token": token, "category": "co_so", "text": TYPED, **fields}


def input_tag(page: str, id_: str) -> str:
    found = re.search(rf'<input [^>]*id="{id_}"[^>]*>', page)
    assert found, id_
    return found.group(0)


def label_of(page: str, id_: str) -> str:
    found = re.search(rf'<label for="{id_}">(.*?)</label>', page, re.S)
    assert found, id_
    return found.group(1)


def kept_token(response: httpx.Response) -> str:
    found = re.search(r'name="kept_photos" value="([^"]+)"', response.text)
    assert found, "no photos kept"
    return found.group(1)


async def test_the_labels_say_what_is_required(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    page = text_of(await phone.get(f"/phan-anh/gui?c={counter_token(feedback)}"))
    assert label_of(page, "contact_name") == "Họ và tên (bắt buộc nếu không gửi ẩn danh)"
    name = input_tag(page, "contact_name")
    assert " required" in name and 'aria-required="true"' in name
    assert "Số điện thoại hoặc email: cần ít nhất một để nhận trả lời" in page
    for id_ in ("contact_name", "contact_phone", "contact_email"):
        assert "không bắt buộc" not in label_of(page, id_), id_
    for id_ in ("contact_phone", "contact_email"):
        # Each is optional alone; the pair's label says one is needed.
        tag = input_tag(page, id_)
        assert "required" not in tag and 'aria-describedby="contact-either"' in tag
    assert 'role="group" aria-labelledby="contact-either"' in page

    # Sent anonymously and refused: the name is no longer required on the page.
    refused = await send_form(
        phone, "/phan-anh/gui", the_form(counter_token(feedback), text="ngắn", anonymous="1")
    )
    assert refused.status_code == 422
    again = text_of(refused)
    assert 'id="anonymous" name="anonymous" value="1" checked' in again
    assert "required" not in input_tag(again, "contact_name")

    english = text_of(
        await phone.get(
            f"/phan-anh/gui?c={counter_token(feedback)}", headers={"Accept-Language": "en"}
        )
    )
    assert label_of(english, "contact_name") == "Full name (required unless you send anonymously)"
    assert "Phone number or email: at least one is needed to receive the answer" in english

    # Signed in, the answer reaches the person's account: phone and e-mail are optional.
    lan = await citizen_browser(dossiers_app, open_browsers)
    signed_in = text_of(await lan.browser.get(f"/phan-anh/gui?c={counter_token(feedback)}"))
    assert "cần ít nhất một" not in signed_in
    assert "Số điện thoại hoặc email (không bắt buộc" in signed_in


async def test_a_refused_form_keeps_its_photos_and_sends_them_without_sending_them_again(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = counter_token(feedback)
    camera = big_jpeg()
    assert len(camera) > 3 * 1024 * 1024
    files_before = stored_files(feedback)
    # No name, no way to answer: refused, the photos kept.
    refused = await send_form(
        phone,
        "/phan-anh/gui",
        the_form(token),
        files=[
            ("photos", ("cua-so.jpg", camera, "image/jpeg")),
            ("photos", ("ghe.jpg", jpeg(), "image/jpeg")),
        ],
    )
    assert refused.status_code == 422
    errors = summary(refused)
    assert 'href="#contact_name"' in errors and 'href="#contact_phone"' in errors
    assert "chọn lại ảnh" not in errors
    assert kept_names(refused) == ["cua-so.jpg", "ghe.jpg"]
    assert "Đã nhận 2 ảnh, không cần chọn lại" in text_of(refused)
    assert stored_files(feedback) == files_before + 2

    # The thumbnails: small, private, only from our pages.
    kept = kept_token(refused)
    thumbnail = await phone.get(f"/phan-anh/anh-giu/1?t={kept}")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.headers["cache-control"] == "private, no-store"
    assert thumbnail.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(thumbnail.content)) as small:
        assert max(small.size) <= 192
    assert len(thumbnail.content) < 40_000

    # Corrected, with no photo chosen again: the feedback has both.
    sent = await send_form(
        phone,
        "/phan-anh/gui",
        the_form(token, contact_name="Bà Tư", contact_phone="0903111222", kept_photos=kept),
    )
    assert sent.status_code == 303, sent.text
    code = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    [row] = await Feedback.select().where(Feedback.code == code).output(load_json=True)
    assert len(row["photos"]) == 2 and row["contact_name"] == "Bà Tư"
    stored = await feedback.attachments.storage.get(row["photos"][0]["key"])
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and max(image.size) <= 2400
    # The feedback holds copies of its own: the kept ones are left to the sweep.
    kept_keys = {photo.key for photo in service.kept_photos(feedback, kept)}
    assert not kept_keys & {photo["key"] for photo in row["photos"]}


async def test_a_kept_photo_can_be_left_out_and_the_limit_counts_kept_ones(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = counter_token(feedback)
    two = [("photos", (f"{n}.jpg", jpeg(), "image/jpeg")) for n in ("mot", "hai")]
    refused = await send_form(phone, "/phan-anh/gui", the_form(token, text="ngắn"), files=two)
    kept = kept_token(refused)
    assert kept_names(refused) == ["mot.jpg", "hai.jpg"]
    page = text_of(refused)
    assert '<input type="checkbox" id="drop-photo-1" name="drop_photo" value="1">' in page
    assert "Bỏ ảnh này" in page

    # Two kept and two more chosen: more than three, the new ones refused.
    too_many = await send_form(
        phone, "/phan-anh/gui", the_form(token, text="ngắn", kept_photos=kept), files=two
    )
    assert too_many.status_code == 422 and "tối đa 3 ảnh" in summary(too_many)
    assert kept_names(too_many) == ["mot.jpg", "hai.jpg"]

    # The first left out: sent with the second only.
    sent = await send_form(
        phone,
        "/phan-anh/gui",
        the_form(token, anonymous="1", kept_photos=kept, drop_photo="1"),
    )
    code = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    [row] = await Feedback.select().where(Feedback.code == code).output(load_json=True)
    assert len(row["photos"]) == 1


@pytest.mark.parametrize("change", ["forged", "altered", "stale", "swept"])
async def test_a_kept_list_we_did_not_sign_or_that_expired_keeps_nothing(
    dossiers_app: Litestar,
    feedback: FeedbackRuntime,
    clock: Clock,
    open_browsers: list[Browser],
    change: str,
) -> None:
    phone = await visitor(dossiers_app, open_browsers)
    token = counter_token(feedback)
    refused = await send_form(
        phone,
        "/phan-anh/gui",
        the_form(token, text="ngắn"),
        files=[("photos", ("anh.jpg", jpeg(), "image/jpeg"))],
    )
    kept = kept_token(refused)
    payload, _, mac = kept.partition(".")
    if change == "forged":
        kept = f"{payload}.{'A' * len(mac)}"
    elif change == "altered":
        kept = f"{payload[:-2]}{'AB' if payload[-2:] != 'AB' else 'CD'}.{mac}"
    elif change == "stale":
        clock.advance(minutes=service.KEPT_MINUTES + 1)
    else:
        [photo] = service.kept_photos(feedback, kept)
        root: Path = feedback.attachments.storage.root  # type: ignore[attr-defined]
        (root / photo.key[:2] / photo.key).unlink()
    thumbnail = await phone.get(f"/phan-anh/anh-giu/1?t={kept}")
    assert thumbnail.status_code == 404
    sent = await send_form(phone, "/phan-anh/gui", the_form(token, anonymous="1", kept_photos=kept))
    if change == "swept":
        # Named, so that the person chooses it again.
        assert sent.status_code == 422
        assert "anh.jpg: ảnh không còn được giữ" in summary(sent) and kept_names(sent) == []
        return
    code = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    [row] = await Feedback.select().where(Feedback.code == code).output(load_json=True)
    assert row["photos"] == []


async def test_the_fields_are_answered_without_any_photo(
    feedback: FeedbackRuntime, clock: Clock
) -> None:
    data = FeedbackIn(
        category="co_so",
        text=TYPED,
        counter_token=counter_token(feedback),
        contact_name=" ",
        contact_email="khong-phai-thu",
    )
    with pytest.raises(InvalidInput) as refused:
        await service.check_fields(feedback, None, data)
    assert [p.field for p in refused.value.problems] == ["contact_name", "contact_email"]
    anonymous = FeedbackIn(
        category="co_so", text=TYPED, counter_token=counter_token(feedback), anonymous=True
    )
    await service.check_fields(feedback, None, anonymous)
