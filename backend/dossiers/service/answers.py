"""The checks of what a dossier says: the answers to the procedure's own questions and
the applicant's details. Each value is checked on its own, so that every mistake is
reported at once, and the valid ones can be kept while the others are fixed."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

from backend.accounts import service as accounts
from backend.catalogue.schemas import FormField
from backend.errors import FieldProblem, InvalidInput
from backend.i18n import N_, Localized, Number, Text, parse_date

APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_id_number", "applicant_address")
ADDRESS_LIMIT = 300
_ID_NUMBER = re.compile(r"^\d{12}$")


def active(field_def: FormField, answers: Mapping[str, str]) -> bool:
    """Whether a question applies, given the answers (its condition)."""
    return field_def.when is None or answers.get(field_def.when.field, "") == field_def.when.equals


def label_of(field_def: FormField) -> Localized:
    return Localized(field_def.label_vi, field_def.label_en)


def unanswered(field_def: FormField) -> Text:
    if field_def.type == "choice":
        return N_("Hãy chọn một câu trả lời cho “%(label)s”.", label=label_of(field_def))
    return N_("Hãy điền “%(label)s”.", label=label_of(field_def))


def sort_answers(
    fields: list[FormField], answers: Mapping[str, str], *, required: Collection[str]
) -> tuple[dict[str, str], list[FieldProblem]]:
    """The valid answers, normalised, and a problem for each other one. Questions that do
    not apply are left out; unknown ones are refused; those named in ``required`` must be
    answered when they apply. ``answers`` holds all the answers (a condition may name
    another question)."""
    by_name = {field_def.name: field_def for field_def in fields}
    problems = [
        FieldProblem(f"form_data.{name}", N_("Biểu mẫu có một ô không thuộc thủ tục này."))
        for name in answers
        if name not in by_name
    ]
    cleaned: dict[str, str] = {}
    for field_def in fields:
        if not active(field_def, {**answers, **cleaned}):
            continue
        value = answers.get(field_def.name, "").strip()
        if not value:
            if field_def.required and field_def.name in required:
                problems.append(FieldProblem(f"form_data.{field_def.name}", unanswered(field_def)))
            continue
        try:
            cleaned[field_def.name] = _normalised(field_def, value)
        except InvalidInput as error:
            problems.extend(error.problems)
    return cleaned, problems


def check_answers(
    fields: list[FormField], answers: Mapping[str, str], *, complete: bool
) -> dict[str, str]:
    """The answers, normalised, or ``InvalidInput`` naming every one at fault.
    ``complete`` also requires every required question that applies (on submission)."""
    cleaned, problems = sort_answers(
        fields, answers, required={f.name for f in fields} if complete else ()
    )
    if problems:
        raise InvalidInput(problems=problems)
    return cleaned


def _normalised(field_def: FormField, value: str) -> str:
    name = f"form_data.{field_def.name}"
    label = label_of(field_def)
    if field_def.type in {"text", "address"}:
        if len(value) > field_def.max_length:
            raise InvalidInput(
                N_(
                    "“%(label)s” dài quá %(limit)s ký tự.",
                    label=label,
                    limit=Number(field_def.max_length),
                ),
                field=name,
            )
        return value
    if field_def.type == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise InvalidInput(N_("“%(label)s” phải là một số.", label=label), field=name) from None
        if (field_def.min is not None and number < field_def.min) or (
            field_def.max is not None and number > field_def.max
        ):
            raise InvalidInput(
                N_("“%(label)s” nằm ngoài khoảng cho phép.", label=label), field=name
            )
        return value.replace(",", ".")
    if field_def.type == "date":
        parsed = parse_date(value)
        if parsed is None:
            raise InvalidInput(
                N_("“%(label)s” phải là một ngày, ví dụ 25/12/2020.", label=label), field=name
            )
        return parsed.isoformat()
    if field_def.type == "choice":
        if value not in {option.value for option in field_def.options}:
            raise InvalidInput(
                N_("Hãy chọn một câu trả lời cho “%(label)s”.", label=label), field=name
            )
        return value
    digits = re.sub(r"\s", "", value)  # id_number
    if not _ID_NUMBER.fullmatch(digits):
        raise InvalidInput(
            N_("“%(label)s” phải gồm đúng 12 chữ số (số căn cước công dân).", label=label),
            field=name,
        )
    return digits


def check_applicant(
    given: Mapping[str, str], *, required: bool
) -> tuple[dict[str, str], list[FieldProblem]]:
    """The applicant's details given (any of ``APPLICANT_FIELDS``), normalised, and a
    problem for each one at fault. ``required``: the name and the phone must be there."""
    cleaned: dict[str, str] = {}
    problems: list[FieldProblem] = []
    checks: tuple[tuple[str, Callable[[str, str], str], Text], ...] = (
        ("applicant_name", accounts.check_full_name, N_("Hãy nhập họ và tên người nộp.")),
        ("applicant_phone", accounts.normalise_phone, N_("Hãy nhập số điện thoại di động.")),
    )
    for name, check, missing in checks:
        if name not in given:
            continue
        value = given[name].strip()
        if value:
            try:
                cleaned[name] = check(value, name)
            except InvalidInput as error:
                problems.extend(error.problems)
        elif required:
            problems.append(FieldProblem(name, missing))
        else:
            cleaned[name] = ""
    if "applicant_id_number" in given:
        id_number = re.sub(r"\s", "", given["applicant_id_number"])
        if id_number and not _ID_NUMBER.fullmatch(id_number):
            problems.append(
                FieldProblem(
                    "applicant_id_number", N_("Số căn cước công dân phải gồm đúng 12 chữ số.")
                )
            )
        else:
            cleaned["applicant_id_number"] = id_number
    if "applicant_address" in given:
        address = " ".join(given["applicant_address"].split())
        if len(address) > ADDRESS_LIMIT:
            problems.append(
                FieldProblem(
                    "applicant_address",
                    N_("Địa chỉ dài quá %(limit)s ký tự.", limit=Number(ADDRESS_LIMIT)),
                )
            )
        else:
            cleaned["applicant_address"] = address
    return cleaned, problems
