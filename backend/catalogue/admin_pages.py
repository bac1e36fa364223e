"""The catalogue administrator's pages: list and search procedures, one form to create
or edit a procedure with its documents and fees, delete with a confirmation step,
import a file and export the catalogue.

Administrators only (``require_staff()`` lets no role but "admin" through). Plain HTML
forms that work without JavaScript: the documents and fees are repeatable groups with
empty rows to fill, and an "add a row" button re-renders the form with one more.
Saving goes through the same service and rules as an import (``transfer``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.catalogue import service, transfer
from backend.catalogue.api import CODE
from backend.catalogue.schemas import (
    DemoComponent,
    DemoProcedure,
    FeeKind,
    FormField,
    Level,
    OnlineLevel,
    PaymentStage,
    ProcedureRead,
)
from backend.web.templates import page

ADMIN_HOME = "/quan-tri/thu-tuc"
EXTRA_ROWS = 2
MAX_ROWS = 50
MAX_UPLOAD_BYTES = 1024 * 1024  # the application's request_max_body_size

TEXT_FIELDS = (
    "code", "name_vi", "name_en", "field_vi", "field_en", "agency", "level", "online_level",
    "processing_days", "purpose_vi", "purpose_en", "result_vi", "result_en", "source",
    "payment_stage",
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

# What each input is called on the page, in both languages: error messages name it.
LABELS: dict[str, tuple[str, str]] = {
    "code": ("Mã thủ tục", "Procedure code"),
    "name_vi": ("Tên thủ tục (tiếng Việt)", "Name (Vietnamese)"),
    "name_en": ("Tên thủ tục (tiếng Anh)", "Name (English)"),
    "field_vi": ("Lĩnh vực (tiếng Việt)", "Field (Vietnamese)"),
    "field_en": ("Lĩnh vực (tiếng Anh)", "Field (English)"),
    "agency": ("Cơ quan giải quyết", "Agency"),
    "level": ("Cấp thực hiện", "Level"),
    "online_level": ("Mức trực tuyến", "Online level"),
    "processing_days": ("Thời hạn (ngày làm việc)", "Processing time (working days)"),
    "purpose_vi": ("Mục đích (tiếng Việt)", "Purpose (Vietnamese)"),
    "purpose_en": ("Mục đích (tiếng Anh)", "Purpose (English)"),
    "result_vi": ("Kết quả (tiếng Việt)", "Result (Vietnamese)"),
    "result_en": ("Kết quả (tiếng Anh)", "Result (English)"),
    "source": ("Nguồn", "Source"),
    "payment_stage": ("Thời điểm nộp phí", "When the fee is paid"),
    "steps_vi": ("Các bước (tiếng Việt)", "Steps (Vietnamese)"),
    "steps_en": ("Các bước (tiếng Anh)", "Steps (English)"),
    "legal_basis": ("Căn cứ pháp lý", "Legal basis"),
    "unconfirmed": ("Thông tin chưa xác nhận", "Unconfirmed information"),
    "components": ("Thành phần hồ sơ", "Documents"),
    "fees": ("Phí, lệ phí", "Fees"),
    "components.name_vi": ("Tên giấy tờ (tiếng Việt)", "Document name (Vietnamese)"),
    "components.name_en": ("Tên giấy tờ (tiếng Anh)", "Document name (English)"),
    "components.originals": ("Số bản chính", "Originals"),
    "components.copies": ("Số bản sao", "Copies"),
    "components.template": ("Mẫu đơn, tờ khai", "Form template"),
    "components.required": ("Bắt buộc", "Required"),
    "components.uploadable": ("Nộp được bản điện tử", "Can be uploaded"),
    "fees.kind": ("Loại", "Kind"),
    "fees.label_vi": ("Nội dung (tiếng Việt)", "Label (Vietnamese)"),
    "fees.label_en": ("Nội dung (tiếng Anh)", "Label (English)"),
    "fees.amount": ("Mức thu (đồng)", "Amount (dong)"),
    "fees.online_amount": ("Mức thu khi nộp trực tuyến (đồng)", "Online amount (dong)"),
    "fees.when_field": ("Chỉ áp dụng khi câu hỏi", "Only when the question"),
    "fees.when_equals": ("có giá trị", "has the answer"),
    "fees.per_field": ("Nhân theo số lượng ở câu hỏi", "Multiplied by the number answered to"),
}


def label(key: str, lang: str) -> str:
    vi, en = LABELS[key]
    return vi if lang == "vi" else en


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with the form: ``target`` is the id of the input (or group) at fault."""

    target: str
    key: str
    row: int | None
    message_vi: str
    message_en: str

    def message(self, lang: str) -> str:
        name = label(self.key, lang)
        if self.row is not None:
            group = label(self.key.split(".")[0], lang)
            name = (
                f"{group} {self.row + 1} – {name}"
                if lang == "vi"
                else f"{group} {self.row + 1}: {name}"
            )
        text = self.message_vi if lang == "vi" else self.message_en
        return f"{name}: {text}"


@dataclass(slots=True)
class ProcedureForm:
    """What the person typed, as text, to show again after an error."""

    values: dict[str, str]
    components: list[dict[str, Any]]
    fees: list[dict[str, str]]
    errors: list[FieldError]
    # The procedure's online form questions: not edited here, kept as they are (a fee's
    # condition and quantity name them).
    form_fields: list[FormField] = field(default_factory=list)

    def errors_for(self, target: str) -> list[FieldError]:
        return [error for error in self.errors if error.target == target]


def _blank_component() -> dict[str, Any]:
    return {**dict.fromkeys(COMPONENT_TEXT, ""), "originals": "1", "copies": "0",
            "required": True, "uploadable": True}  # fmt: skip


def _blank_fee() -> dict[str, str]:
    return {**dict.fromkeys(FEE_FIELDS, ""), "kind": "le_phi"}


def _padded(form: ProcedureForm, extra: int = EXTRA_ROWS) -> ProcedureForm:
    form.components += [_blank_component() for _ in range(extra)]
    form.fees += [_blank_fee() for _ in range(extra)]
    return form


def form_of(procedure: ProcedureRead) -> ProcedureForm:
    values = {name: str(getattr(procedure, name)) for name in TEXT_FIELDS if name != "agency"}
    values["agency"] = procedure.agency_code
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
    return ProcedureForm(values, components, fees, [], list(procedure.form_fields))


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

    def text(key: str) -> str:
        value = form.get(key, "")
        return value.strip() if isinstance(value, str) else ""

    values = {name: text(name) for name in (*TEXT_FIELDS, *LINE_FIELDS)}
    components = []
    for i in _row_indexes(form, "components"):
        row: dict[str, Any] = {name: text(f"components-{i}-{name}") for name in COMPONENT_TEXT}
        for flag in COMPONENT_FLAGS:
            row[flag] = bool(text(f"components-{i}-{flag}"))
        if keep_empty or row["name_vi"] or row["name_en"] or row["template"]:
            components.append(row)
    fees = []
    for i in _row_indexes(form, "fees"):
        fee = {name: text(f"fees-{i}-{name}") for name in FEE_FIELDS}
        if keep_empty or any(value for name, value in fee.items() if name != "kind"):
            fees.append(fee)
    return ProcedureForm(values, components, fees, [])


def _number(form: ProcedureForm, value: str, key: str, target: str, row: int | None) -> int:
    if value.isascii() and value.isdigit() and len(value) <= 12:
        return int(value)
    form.errors.append(
        FieldError(
            target,
            key,
            row,
            "phải là một số nguyên không âm.",
            "must be a whole number, zero or more.",
        )
    )
    return 0


def _question(form: ProcedureForm, value: str, key: str, target: str, row: int) -> str | None:
    """A question's name as typed (None when blank); a malformed one is an error."""
    if not value:
        return None
    if QUESTION_NAME.match(value):
        return value
    form.errors.append(
        FieldError(
            target,
            key,
            row,
            "là tên câu hỏi trên mẫu trực tuyến: chữ thường không dấu, số và dấu gạch dưới, "
            "bắt đầu bằng chữ (ví dụ so_ban).",
            "is a question's name on the online form: lowercase letters without accents, "
            "digits and underscores, starting with a letter (for example copies).",
        )
    )
    return None


def _fee_condition(form: ProcedureForm, f: dict[str, str], i: int) -> dict[str, str] | None:
    name = _question(form, f["when_field"], "fees.when_field", f"fees-{i}-when_field", i)
    equals = f["when_equals"]
    if len(equals) > MAX_ANSWER:
        form.errors.append(
            FieldError(
                f"fees-{i}-when_equals",
                "fees.when_equals",
                i,
                f"dài quá {MAX_ANSWER} ký tự.",
                f"is longer than {MAX_ANSWER} characters.",
            )
        )
        return None
    if equals and not f["when_field"]:
        form.errors.append(
            FieldError(
                f"fees-{i}-when_field",
                "fees.when_field",
                i,
                "hãy nêu câu hỏi mà giá trị này thuộc về.",
                "name the question this answer belongs to.",
            )
        )
    return None if name is None else {"field": name, "equals": equals}


def to_procedure(form: ProcedureForm) -> DemoProcedure | None:
    """The procedure the form describes, with ``form.errors`` filled in: numbers that are
    not numbers read as 0 (so that the service's rules can still speak), and None when a
    choice is not one of those offered."""
    v = form.values
    days = _number(form, v["processing_days"], "processing_days", "processing_days", None)
    components = []
    for i, c in enumerate(form.components):
        components.append(
            DemoComponent(
                name_vi=c["name_vi"],
                name_en=c["name_en"],
                originals=_number(
                    form, c["originals"], "components.originals", f"components-{i}-originals", i
                ),
                copies=_number(form, c["copies"], "components.copies", f"components-{i}-copies", i),
                required=c["required"],
                template=c["template"] or None,
                uploadable=c["uploadable"],
            )
        )
    fees = []
    for i, f in enumerate(form.fees):
        amount = _number(form, f["amount"], "fees.amount", f"fees-{i}-amount", i)
        online = (
            _number(form, f["online_amount"], "fees.online_amount", f"fees-{i}-online_amount", i)
            if f["online_amount"]
            else None
        )
        condition = _fee_condition(form, f, i)
        per_field = _question(form, f["per_field"], "fees.per_field", f"fees-{i}-per_field", i)
        fees.append((f, amount, online, condition, per_field))
    stage = v["payment_stage"] or "reception"
    data = {
        **{name: v[name] for name in TEXT_FIELDS if name != "processing_days"},
        **{
            name: [line.strip() for line in v[name].splitlines() if line.strip()]
            for name in LINE_FIELDS
        },
        "processing_days": days,
        "payment_stage": stage,
        "components": components,
        "fees": [
            {
                "kind": f["kind"],
                "label_vi": f["label_vi"],
                "label_en": f["label_en"],
                "amount": amount,
                "online_amount": online,
                "when": condition,
                "per_field": per_field,
            }
            for f, amount, online, condition, per_field in fees
        ],
        "form_fields": msgspec.to_builtins(form.form_fields),
    }
    bad_choice = False
    for key, value, target, row, allowed in (
        ("level", v["level"], "level", None, get_args(Level)),
        ("online_level", v["online_level"], "online_level", None, get_args(OnlineLevel)),
        ("payment_stage", stage, "payment_stage", None, get_args(PaymentStage)),
        *(("fees.kind", f["kind"], f"fees-{i}-kind", i, get_args(FeeKind))
          for i, f in enumerate(form.fees)),
    ):  # fmt: skip
        if value not in allowed:
            bad_choice = True
            form.errors.append(
                FieldError(
                    target,
                    key,
                    row,
                    "hãy chọn một giá trị trong danh sách.",
                    "choose one of the values listed.",
                )
            )
    if bad_choice:
        return None
    for i, f in enumerate(form.fees):
        if not f["label_vi"] or not f["label_en"]:
            name = "label_vi" if not f["label_vi"] else "label_en"
            form.errors.append(
                FieldError(f"fees-{i}-{name}", f"fees.{name}", i, "cần điền.", "is required.")
            )
    return msgspec.convert(data, DemoProcedure)


def with_service_errors(form: ProcedureForm, errors: list[transfer.RowError]) -> None:
    """The service's rules, named by the input they concern."""
    for error in errors:
        key = error.field if error.field in LABELS else "code"
        form.errors.append(FieldError(key, key, None, error.message_vi, error.message_en))


def admin_page(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    template = page(request, name, status_code, label=label, **context)
    template.headers["Cache-Control"] = "no-store"
    return template


class CatalogueAdminPages(Controller):
    path = ADMIN_HOME
    include_in_schema = False
    guards = [require_staff()]

    @get("", name="catalogue-admin")
    async def index(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUERY_LENGTH)] = "",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1000)] = 1,
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
        code: Annotated[str, QueryParameter(name="ma", max_length=32)] = "",
    ) -> Template:
        return await _index(request, q=q, page_number=page_number, done=done, code=code)

    @post("/nhap", name="catalogue-admin-import")
    async def import_file(self, request: Request[Any, Any, Any]) -> Template:
        upload = (await request.form()).get("file")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        if not data.strip():
            return await _index(request, no_file=True, status_code=422)
        # The content decides the format, never the file's name.
        fmt: transfer.Format = (
            "json" if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"
        )
        try:
            result = await transfer.import_catalogue(data, fmt)
        except transfer.ImportRejected as error:
            return await _index(request, rejected=error, status_code=422)
        return await _index(request, imported=result)

    @get("/moi", name="catalogue-admin-new")
    async def new(self, request: Request[Any, Any, Any]) -> Template:
        form = _padded(
            ProcedureForm({name: "" for name in (*TEXT_FIELDS, *LINE_FIELDS)}, [], [], [])
        )
        form.values.update(
            level="commune", online_level="full", processing_days="", payment_stage="reception"
        )
        return await _edit(request, form, code=None)

    @post("/moi")
    async def create(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        return await _save(request, code=None)

    @get("/{code:str}", name="catalogue-admin-edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        code: Annotated[str, CODE],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        form = _padded(form_of(await service.get_procedure(code)))
        return await _edit(request, form, code=code, done=done)

    @post("/{code:str}")
    async def save(
        self, request: Request[Any, Any, Any], code: Annotated[str, CODE]
    ) -> Template | Redirect:
        stored = await service.get_procedure(code)  # 404 for an unknown code
        return await _save(request, code=code, form_fields=stored.form_fields)

    @get("/{code:str}/xoa", name="catalogue-admin-delete")
    async def confirm_delete(
        self, request: Request[Any, Any, Any], code: Annotated[str, CODE]
    ) -> Template:
        procedure = await service.get_procedure(code)
        return admin_page(request, "catalogue/admin/delete.html", procedure=procedure)

    @post("/{code:str}/xoa")
    async def delete(self, code: Annotated[str, CODE]) -> Redirect:
        await transfer.delete_procedure(code)
        return Redirect(f"{ADMIN_HOME}?xong=xoa&ma={code}", status_code=303)


async def _index(
    request: Request[Any, Any, Any],
    *,
    q: str = "",
    page_number: int = 1,
    done: str = "",
    code: str = "",
    imported: transfer.ImportResult | None = None,
    rejected: transfer.ImportRejected | None = None,
    no_file: bool = False,
    status_code: int = 200,
) -> Template:
    results = await service.list_procedures(q=q, page=page_number)
    return admin_page(
        request,
        "catalogue/admin/index.html",
        status_code,
        q=q,
        results=results,
        done=done,
        code=code,
        imported=imported,
        rejected=rejected,
        no_file=no_file,
        max_upload_kib=MAX_UPLOAD_BYTES // 1024,
    )


async def _edit(
    request: Request[Any, Any, Any],
    form: ProcedureForm,
    *,
    code: str | None,
    done: str = "",
    status_code: int = 200,
) -> Template:
    return admin_page(
        request,
        "catalogue/admin/edit.html",
        status_code,
        form=form,
        code=code,
        done=done,
        agencies=await service.list_agencies(),
    )


async def _save(
    request: Request[Any, Any, Any],
    *,
    code: str | None,
    form_fields: list[FormField] | None = None,
) -> Template | Redirect:
    submitted = await request.form()
    action = submitted.get("action", "save")
    form = read_form(submitted, keep_empty=action in ("add-component", "add-fee"))
    form.form_fields = list(form_fields or [])
    if code is not None:
        form.values["code"] = code  # the code of a procedure is its address: not edited here
    if action == "add-component":
        form.components.append(_blank_component())
        return await _edit(request, form, code=code)
    if action == "add-fee":
        form.fees.append(_blank_fee())
        return await _edit(request, form, code=code)
    procedure = to_procedure(form)
    if code is None and procedure is not None and await service.procedure_exists(procedure.code):
        form.errors.append(
            FieldError(
                "code",
                "code",
                None,
                "đã có thủ tục mang mã này; hãy sửa thủ tục đó.",
                "a procedure already has this code; edit that one instead.",
            )
        )
    if procedure is not None and form.errors:
        with_service_errors(form, await transfer.check_procedure(procedure))
    elif procedure is not None:
        try:
            await transfer.save_procedure(procedure)
        except transfer.ImportRejected as error:
            with_service_errors(form, error.errors)
        else:
            return Redirect(f"{ADMIN_HOME}/{procedure.code}?xong=luu", status_code=303)
    return await _edit(request, _padded(form, 1), code=code, status_code=422)
