"""The form toolkit: a posted form becomes a service's Struct, or every field that does
not fit is named, as people call it, with the reason taken from the Struct's own rules."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import pytest
from litestar.datastructures import FormMultiDict

from backend.errors import InvalidInput, Problems
from backend.i18n import N_, Localized
from backend.web.forms import SUMMARY, FormErrors, convert, status_of, text, texts


class Feedback(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=10, max_length=2000)]
    category: Literal["complaint", "suggestion"]
    stars: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    contact: Annotated[str, msgspec.Meta(max_length=20)] = ""


LABELS = {
    "text": Localized("Nội dung phản ánh", "Your feedback"),
    "category": Localized("Loại phản ánh", "Kind of feedback"),
    "stars": Localized("Đánh giá", "Rating"),
    "contact": Localized("Liên hệ", "Contact"),
}


def test_a_valid_form_becomes_the_struct() -> None:
    data = {"text": "Quầy số 2 đông quá", "category": "suggestion", "stars": "4"}
    assert convert(data, Feedback, LABELS) == Feedback(
        text="Quầy số 2 đông quá", category="suggestion", stars=4
    )


def test_every_field_that_does_not_fit_is_named_at_once() -> None:
    data = {"text": "x" * 2001, "category": "praise", "stars": "9", "contact": "c" * 21}
    with pytest.raises(InvalidInput) as caught:
        convert(data, Feedback, LABELS)
    problems = {p.field: p.message for p in caught.value.problems}
    assert list(problems) == ["text", "category", "stars", "contact"]
    assert problems["text"].render("vi") == (
        "“Nội dung phản ánh” dài quá 2.000 ký tự. Hãy viết ngắn hơn."
    )
    assert problems["text"].render("en") == (
        "“Your feedback” is longer than 2,000 characters. Please shorten it."
    )
    assert problems["category"].render("en") == "Choose one of the answers to “Kind of feedback”."
    assert problems["stars"].render("en") == "“Rating” must be a number in the allowed range."
    assert problems["contact"].render("en").startswith("“Contact” is longer than 20")


def test_missing_and_too_short_answers() -> None:
    with pytest.raises(InvalidInput) as caught:
        convert({"text": "   "}, Feedback, LABELS)
    messages = [p.message.render("en") for p in caught.value.problems]
    assert messages == ["Fill in “Your feedback”.", "Fill in “Kind of feedback”."]
    with pytest.raises(InvalidInput) as short:
        convert({"text": "ngắn", "category": "complaint"}, Feedback, LABELS)
    assert short.value.message("vi") == "“Nội dung phản ánh” cần ít nhất 10 ký tự."


def test_a_field_the_struct_does_not_know_means_the_page_is_old() -> None:
    data = {"text": "Quầy số 2 đông quá", "category": "complaint", "extra": "1"}
    with pytest.raises(InvalidInput) as caught:
        convert(data, Feedback, LABELS)
    assert caught.value.message("en") == "This page is out of date. Reload it and try again."


def test_errors_point_at_their_inputs() -> None:
    problems = Problems()
    problems.add("form_data.birth_date", N_("Hãy điền “%(label)s”.", label="Ngày sinh"))
    problems.add(None, N_("Dữ liệu không hợp lệ."))
    errors = FormErrors.of_error(
        InvalidInput(problems=problems.items),
        "vi",
        lambda field: f"f-{field.removeprefix('form_data.')}" if field else SUMMARY,
    )
    assert errors == [
        ("f-birth_date", "Hãy điền “Ngày sinh”."),
        ("error-summary", "Dữ liệu không hợp lệ."),
    ]
    assert errors.of("f-birth_date") == "Hãy điền “Ngày sinh”."
    assert errors.of("f-other") == ""
    assert status_of(errors) == 422 and status_of(FormErrors()) == 200


def test_reading_posted_values() -> None:
    form = FormMultiDict([("note", "  xin chào  "), ("reasons", " a "), ("reasons", "b")])
    assert text(form, "note") == "  xin chào  "
    assert text(form, "note", 4, strip=True) == "xin "
    assert text(form, "missing") == ""
    assert texts(form, "reasons") == ["a", "b"]
