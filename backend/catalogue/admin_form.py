"""The administrators' procedure form: what each input is called, the form as typed
(to show it again after a refusal), and its conversion into the procedure that the
service checks and saves.

Plain HTML that works without JavaScript: the documents and fees are repeatable groups
of inputs named ``components-<i>-<name>`` and ``fees-<i>-<name>``; the agencies that
carry the procedure out are checkboxes named ``agencies`` (the page's buttons tick or
untick every commune-level one at once). The form converts
what only it knows (numbers typed as text, choices, the two inputs of a condition); the
rules of a procedure are the service's, as for an import, and its refusal is shown
next to the inputs it names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

import msgspec

from backend.catalogue.schemas import (
    DemoComponent,
    DemoFeeRule,
    DemoProcedure,
    FeeKind,
    FormField,
    Level,
    OnlineLevel,
    PaymentStage,
    ProcedureRead,
)
from backend.catalogue.service import RowError
from backend.errors import FieldProblem, Problems
from backend.i18n import N_, Text, Translatable
from backend.web.forms import SUMMARY, text, texts

EXTRA_ROWS = 2
MAX_ROWS = 50
# Every agency of a province may carry out a commune-level procedure (two per commune).
MAX_AGENCIES = 2000
# What one input may hold as typed: the service's rules say what is too long.
INPUT_LIMIT = 20_000

TEXT_FIELDS = (
    "code", "name_vi", "name_en", "field_vi", "field_en", "level", "online_level",
    "processing_days", "purpose_vi", "purpose_en", "result_vi", "result_en", "source",
    "payment_stage", "anywhere",
)  # fmt: skip
LINE_FIELDS = ("steps_vi", "steps_en", "legal_basis", "unconfirmed")
COMPONENT_TEXT = ("name_vi", "name_en", "originals", "copies", "template")
COMPONENT_FLAGS = ("required", "uploadable")
FEE_FIELDS = (
    "kind", "label_vi", "label_en", "amount", "online_amount", "when_field", "when_equals",
    "per_field",
)  # fmt: skip
# A question's name on the online form (catalogue.schemas.FieldName).
QUESTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ANSWER = 40

# What each input is called on the page: messages name it.
LABELS: dict[str, Text] = {
    "code": N_("Mã thủ tục"),
    "name_vi": N_("Tên thủ tục (tiếng Việt)"),
    "name_en": N_("Tên thủ tục (tiếng Anh)"),
    "field_vi": N_("Lĩnh vực (tiếng Việt)"),
    "field_en": N_("Lĩnh vực (tiếng Anh)"),
    "agencies": N_("Cơ quan thực hiện"),
    "level": N_("Cấp thực hiện"),
    "anywhere": N_("Nộp được ở bất kỳ cơ quan nào thực hiện thủ tục"),
    "online_level": N_("Mức trực tuyến"),
    "processing_days": N_("Thời hạn (ngày làm việc)"),
    "purpose_vi": N_("Mục đích (tiếng Việt)"),
    "purpose_en": N_("Mục đích (tiếng Anh)"),
    "result_vi": N_("Kết quả (tiếng Việt)"),
    "result_en": N_("Kết quả (tiếng Anh)"),
    "source": N_("Nguồn"),
    "payment_stage": N_("Thời điểm nộp phí"),
    "steps_vi": N_("Các bước (tiếng Việt)"),
    "steps_en": N_("Các bước (tiếng Anh)"),
    "legal_basis": N_("Căn cứ pháp lý"),
    "unconfirmed": N_("Thông tin chưa xác nhận"),
    "components": N_("Thành phần hồ sơ"),
    "fees": N_("Phí, lệ phí"),
    "components.name_vi": N_("Tên giấy tờ (tiếng Việt)"),
    "components.name_en": N_("Tên giấy tờ (tiếng Anh)"),
    "components.originals": N_("Số bản chính"),
    "components.copies": N_("Số bản sao"),
    "components.template": N_("Mẫu đơn, tờ khai"),
    "components.required": N_("Bắt buộc"),
    "components.uploadable": N_("Nộp được bản điện tử"),
    "fees.kind": N_("Loại"),
    "fees.label_vi": N_("Nội dung (tiếng Việt)"),
    "fees.label_en": N_("Nội dung (tiếng Anh)"),
    "fees.amount": N_("Mức thu (đồng)"),
    "fees.online_amount": N_("Mức thu khi nộp trực tuyến (đồng)"),
    "fees.when_field": N_("Chỉ áp dụng khi câu hỏi"),
    "fees.when_equals": N_("có giá trị"),
    "fees.per_field": N_("Nhân theo số lượng ở câu hỏi"),
}


def label_of(key: str, row: int | None = None) -> Text:
    """What an input is called; in a document or fee row, with the row's number."""
    if row is None:
        return LABELS[key]
    return N_(
        "%(group)s %(number)s – %(field)s",
        group=LABELS[key.split(".")[0]],
        number=row + 1,
        field=LABELS[key],
    )


def _problem(problems: Problems, target: str, name: Text, message: Translatable) -> None:
    problems.add(target, N_("%(label)s: %(problem)s", label=name, problem=message))


@dataclass(slots=True)
class ProcedureForm:
    """What the person typed, as text, to show again after a refusal."""

    values: dict[str, str]
    components: list[dict[str, Any]]
    fees: list[dict[str, str]]
    # The codes of the agencies ticked as carrying it out.
    agencies: list[str] = field(default_factory=list)
    # The procedure's online form questions: not edited here, kept as they are (a fee's
    # condition and quantity name them).
    form_fields: list[FormField] = field(default_factory=list)
    # Its fee rules: edited on their own page, kept as they are here.
    fee_rules: list[DemoFeeRule] = field(default_factory=list)


def blank_component() -> dict[str, Any]:
    return {**dict.fromkeys(COMPONENT_TEXT, ""), "originals": "1", "copies": "0",
            "required": True, "uploadable": True}  # fmt: skip


def blank_fee() -> dict[str, str]:
    return {**dict.fromkeys(FEE_FIELDS, ""), "kind": "le_phi"}


def padded(form: ProcedureForm, extra: int = EXTRA_ROWS) -> ProcedureForm:
    """The form with empty rows to fill (no script is needed to add one)."""
    form.components += [blank_component() for _ in range(extra)]
    form.fees += [blank_fee() for _ in range(extra)]
    return form


def new_form() -> ProcedureForm:
    values = dict.fromkeys((*TEXT_FIELDS, *LINE_FIELDS), "")
    values.update(level="commune", online_level="full", payment_stage="reception")
    return padded(ProcedureForm(values, [], []))


def form_of(procedure: ProcedureRead) -> ProcedureForm:
    values = {name: str(getattr(procedure, name)) for name in TEXT_FIELDS}
    values["anywhere"] = "on" if procedure.anywhere else ""
    for name in LINE_FIELDS:
        values[name] = "\n".join(getattr(procedure, name))
    components = [
        {
            "name_vi": c.name_vi,
            "name_en": c.name_en,
            "originals": str(c.originals),
            "copies": str(c.copies),
            "template": c.template or "",
            "required": c.required,
            "uploadable": c.uploadable,
        }
        for c in procedure.components
    ]
    fees = [
        {
            "kind": f.kind,
            "label_vi": f.label_vi,
            "label_en": f.label_en,
            "amount": str(f.amount),
            "online_amount": "" if f.online_amount is None else str(f.online_amount),
            "when_field": "" if f.when is None else f.when.field,
            "when_equals": "" if f.when is None else f.when.equals,
            "per_field": f.per_field or "",
        }
        for f in procedure.fees
    ]
    rules = [
        msgspec.convert(msgspec.to_builtins(rule), DemoFeeRule) for rule in procedure.fee_rules
    ]
    return padded(
        ProcedureForm(
            values,
            components,
            fees,
            list(procedure.agency_codes),
            list(procedure.form_fields),
            rules,
        )
    )


def _row_indexes(form: Any, group: str) -> list[int]:
    indexes = set()
    for key in form:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == group and parts[1].isdigit():
            indexes.add(int(parts[1]))
    return sorted(indexes)[:MAX_ROWS]


def read_form(form: Any, *, keep_empty: bool = False) -> ProcedureForm:
    """The submitted form as text; empty document and fee rows are dropped unless kept
    (to show the form again with as many rows as it had)."""

    def typed(key: str) -> str:
        return text(form, key, INPUT_LIMIT, strip=True)

    values = {name: typed(name) for name in (*TEXT_FIELDS, *LINE_FIELDS)}
    components = []
    for i in _row_indexes(form, "components"):
        row: dict[str, Any] = {name: typed(f"components-{i}-{name}") for name in COMPONENT_TEXT}
        for flag in COMPONENT_FLAGS:
            row[flag] = bool(typed(f"components-{i}-{flag}"))
        if keep_empty or row["name_vi"] or row["name_en"] or row["template"]:
            components.append(row)
    fees = []
    for i in _row_indexes(form, "fees"):
        fee = {name: typed(f"fees-{i}-{name}") for name in FEE_FIELDS}
        if keep_empty or any(value for name, value in fee.items() if name != "kind"):
            fees.append(fee)
    agencies = list(dict.fromkeys(texts(form, "agencies", limit=MAX_AGENCIES)))
    return ProcedureForm(values, components, fees, agencies)


# ------------------------------------------------------------------ conversion


def _number(problems: Problems, value: str, key: str, target: str, row: int | None) -> int:
    if value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    _problem(problems, target, label_of(key, row), N_("phải là một số nguyên không âm."))
    return 0


def _question(problems: Problems, value: str, key: str, target: str, row: int) -> str | None:
    """A question's name as typed (None when blank); a malformed one is a problem."""
    if not value:
        return None
    if QUESTION_NAME.match(value):
        return value
    _problem(
        problems,
        target,
        label_of(key, row),
        N_(
            "là tên câu hỏi trên mẫu trực tuyến: chữ thường không dấu, số và dấu gạch dưới, "
            "bắt đầu bằng chữ (ví dụ so_ban)."
        ),
    )
    return None


def _fee_condition(problems: Problems, f: dict[str, str], i: int) -> dict[str, str] | None:
    name = _question(problems, f["when_field"], "fees.when_field", f"fees-{i}-when_field", i)
    equals = f["when_equals"]
    if len(equals) > MAX_ANSWER:
        _problem(
            problems,
            f"fees-{i}-when_equals",
            label_of("fees.when_equals", i),
            N_("dài quá %(limit)s ký tự.", limit=MAX_ANSWER),
        )
        return None
    if equals and not f["when_field"]:
        _problem(
            problems,
            f"fees-{i}-when_field",
            label_of("fees.when_field", i),
            N_("hãy nêu câu hỏi mà giá trị này thuộc về."),
        )
    return None if name is None else {"field": name, "equals": equals}


def to_procedure(form: ProcedureForm, problems: Problems) -> DemoProcedure | None:
    """The procedure the form describes, with what does not convert added to
    ``problems``: numbers that are not numbers read as 0 (so that the service's rules
    can still speak), and None when a choice is not one of those offered."""
    v = form.values
    bad_choice = False
    stage = v["payment_stage"] or "reception"
    for key, value, row, allowed in (
        ("level", v["level"], None, get_args(Level)),
        ("online_level", v["online_level"], None, get_args(OnlineLevel)),
        ("payment_stage", stage, None, get_args(PaymentStage)),
        *(("fees.kind", f["kind"], i, get_args(FeeKind)) for i, f in enumerate(form.fees)),
    ):
        if value not in allowed:
            bad_choice = True
            target = key if row is None else f"fees-{row}-kind"
            _problem(
                problems, target, label_of(key, row), N_("hãy chọn một giá trị trong danh sách.")
            )
    days = _number(problems, v["processing_days"], "processing_days", "processing_days", None)
    components = [
        DemoComponent(
            name_vi=c["name_vi"],
            name_en=c["name_en"],
            originals=_number(
                problems, c["originals"], "components.originals", f"components-{i}-originals", i
            ),
            copies=_number(problems, c["copies"], "components.copies", f"components-{i}-copies", i),
            required=c["required"],
            template=c["template"] or None,
            uploadable=c["uploadable"],
        )
        for i, c in enumerate(form.components)
    ]
    fees = []
    for i, f in enumerate(form.fees):
        online = f["online_amount"]
        fees.append(
            {
                "kind": f["kind"],
                "label_vi": f["label_vi"],
                "label_en": f["label_en"],
                "amount": _number(problems, f["amount"], "fees.amount", f"fees-{i}-amount", i),
                "online_amount": _number(
                    problems, online, "fees.online_amount", f"fees-{i}-online_amount", i
                )
                if online
                else None,
                "when": _fee_condition(problems, f, i),
                "per_field": _question(
                    problems, f["per_field"], "fees.per_field", f"fees-{i}-per_field", i
                ),
            }
        )
    if bad_choice:
        return None
    data = {
        **{name: v[name] for name in TEXT_FIELDS if name not in ("processing_days", "anywhere")},
        "agencies": form.agencies,
        "anywhere": bool(v["anywhere"]),
        **{
            name: [line.strip() for line in v[name].splitlines() if line.strip()]
            for name in LINE_FIELDS
        },
        "processing_days": days,
        "payment_stage": stage,
        "components": components,
        "fees": fees,
        "form_fields": msgspec.to_builtins(form.form_fields),
        "fee_rules": msgspec.to_builtins(form.fee_rules),
    }
    return msgspec.convert(data, DemoProcedure)


# The inputs in the order the page shows them: the summary lists problems that way.
PAGE_ORDER = (
    "code", "name_vi", "name_en", "field_vi", "field_en", "level", "agencies", "anywhere",
    "online_level", "processing_days", "purpose_vi", "purpose_en", "steps_vi", "steps_en",
    "result_vi", "result_en", "legal_basis", "unconfirmed", "source", "components",
    "payment_stage", "fees",
)  # fmt: skip
_ROW_ORDER = (*COMPONENT_TEXT, *COMPONENT_FLAGS, *FEE_FIELDS)


def in_page_order(problems: Problems) -> list[FieldProblem]:
    """The problems as the page shows their inputs, top to bottom (the form's own and
    the service's came in two rounds)."""

    def position(problem: FieldProblem) -> tuple[int, int, int]:
        group, _, rest = (problem.field or "").partition("-")
        row, _, name = rest.partition("-")
        return (
            PAGE_ORDER.index(group) if group in PAGE_ORDER else len(PAGE_ORDER),
            int(row) if row.isdigit() else -1,
            _ROW_ORDER.index(name) if name in _ROW_ORDER else -1,
        )

    return sorted(problems.items, key=position)


def add_refusal(problems: Problems, errors: Sequence[RowError]) -> None:
    """The service's findings, each next to the input it names (the field, or the
    document's or fee's own input)."""
    for error in errors:
        group = error.field or ""
        if error.entry is not None and error.part and group in ("components", "fees"):
            part = error.part.replace(".", "_")
            if f"{group}.{part}" in LABELS:
                target = f"{group}-{error.entry}-{part}"
                _problem(problems, target, label_of(f"{group}.{part}", error.entry), error.text)
                continue
        if group in LABELS:
            _problem(problems, group, LABELS[group], error.text)
        else:
            problems.add(SUMMARY, error.text)
