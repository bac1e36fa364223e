"""Python messages: marked for Babel, translated when shown, Vietnamese when a
translation is missing, parameters translated too."""

from __future__ import annotations

import pytest

from backend.errors import FieldProblem, InvalidInput, NotFound, Problems
from backend.i18n import N_, Localized, Money, Number, ngettext, text_of


def test_a_message_is_translated_when_shown() -> None:
    message = N_("Không tìm thấy trang bạn cần.")
    assert message.render("vi") == "Không tìm thấy trang bạn cần."
    assert message.render("en") == "We could not find that page."


def test_parameters_are_shown_in_the_readers_language() -> None:
    message = N_(
        "“%(label)s” dài quá %(limit)s ký tự. Hãy viết ngắn hơn.",
        label=Localized("Họ và tên", "Full name"),
        limit=Number(2000),
    )
    assert message.render("vi") == "“Họ và tên” dài quá 2.000 ký tự. Hãy viết ngắn hơn."
    assert message.render("en") == "“Full name” is longer than 2,000 characters. Please shorten it."


def test_a_message_without_english_shows_in_vietnamese() -> None:
    assert N_("Một câu chưa có bản dịch %(x)s.", x=1).render("en") == "Một câu chưa có bản dịch 1."


def test_plural_forms_follow_the_number() -> None:
    one, many = ngettext("%(num)d tệp", "%(num)d tệp", 1), ngettext("%(num)d tệp", "%(num)d tệp", 3)
    assert (one.render("en"), many.render("en")) == ("1 file", "3 files")
    assert many.render("vi") == "3 tệp"


def test_localized_data_and_amounts() -> None:
    assert Localized("Khai sinh", "Birth registration").render("en") == "Birth registration"
    # An English value left empty in the data falls back to Vietnamese.
    assert Localized("Khai sinh", "").render("en") == "Khai sinh"
    assert Money(150000).render("vi") == "150.000\xa0₫"
    assert text_of(None, "vi") == ""


def test_errors_carry_every_field_problem() -> None:
    problems = Problems()
    problems.add("applicant_name", N_("Hãy điền “%(label)s”.", label="Họ tên"))
    problems.add("applicant_phone", N_("Hãy điền “%(label)s”.", label="Số điện thoại"))
    assert problems.has("applicant_phone") and not problems.has("email")
    with pytest.raises(InvalidInput) as caught:
        problems.raise_any()
    error = caught.value
    # The first problem is the error's own message and field, for clients that read one.
    assert error.field == "applicant_name"
    assert error.message("en") == "Fill in “Họ tên”."
    assert [p.field for p in error.problems] == ["applicant_name", "applicant_phone"]
    assert error.status_code == 422


def test_an_error_without_problems_is_its_own_problem() -> None:
    error = NotFound(N_("Không tìm thấy trang bạn cần."), field="page")
    assert error.problems == [FieldProblem("page", N_("Không tìm thấy trang bạn cần."))]
    assert InvalidInput().message("en") == "Invalid data."
    Problems().raise_any()  # nothing collected: nothing raised


def test_problems_note_each_fields_refusal_and_go_on() -> None:
    problems = Problems()
    with problems.noting():
        raise InvalidInput(N_("Dữ liệu không hợp lệ."), field="phone")
    with problems.noting():
        pass  # a field that is right
    assert [p.field for p in problems.items] == ["phone"]
    # Other errors are not a field's problem: they end the request.
    with pytest.raises(NotFound), problems.noting():
        raise NotFound(N_("Không tìm thấy trang bạn cần."))
