"""The citizen's dossier pages: start a dossier, fill it in step by step, submit it,
keep the receipt, follow it, add what the agency asks for, withdraw it; and public
tracking by code or by the receipt's QR link.

Every page works without JavaScript: each step is a plain form (the upload steps a
multipart one) that saves on the server and comes back with the errors next to the
fields and in a summary, keeping what was typed. ``frontend/scripts/dossiers/form.js``
adds autosave, uploads with progress, downscaled photos and offline drafts through
the JSON API; the rules all live in ``service``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template

from backend.accounts import service as accounts
from backend.accounts import validation
from backend.accounts.guards import client_of, require_citizen
from backend.accounts.guards import runtime_of as accounts_runtime_of
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.api import CODE
from backend.catalogue.qr import qr_svg
from backend.catalogue.schemas import FormField
from backend.dossiers import service, uploads
from backend.dossiers.api import TOKEN
from backend.dossiers.runtime import runtime_of
from backend.dossiers.schemas import (
    ActionIn,
    ComponentSnapshot,
    DossierRead,
    DraftCreate,
    DraftUpdate,
    FileRead,
    TrackingRead,
)
from backend.errors import AppError, Conflict, InvalidInput, NotFound, TooManyRequests
from backend.web.templates import language, page

# A step's upload form carries a photo and a chosen file (each at most 10 MB) and
# the multipart framing around them.
STEP_BODY_LIMIT = 2 * uploads.MAX_FILE_BYTES + 64 * 1024
# The supplement form may carry a photo and a file for each requested document.
SUPPLEMENT_BODY_LIMIT = service.MAX_DOSSIER_BYTES + 256 * 1024
APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_id_number", "applicant_address")
_ID_NUMBER = re.compile(r"^\d{12}$")

# (where the message points: a field's id or a URL, the message) in page order.
Errors = list[tuple[str, str]]
StepKind = Literal["applicant", "answers", "component", "review"]


# ------------------------------------------------------------------- rendering


WEEKDAYS = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def day(date: dt.date | None, lang: str = "vi") -> str:
    """A calendar day with its weekday: Thứ Tư, 25/11/2026."""
    if date is None:
        return ""
    return f"{WEEKDAYS.get(lang, WEEKDAYS['vi'])[date.weekday()]}, {date:%d/%m/%Y}"


def anchor(field: str | None) -> str:
    """The id of the input an error names (answers are ``f-<name>``)."""
    if not field:
        return "error-summary"
    if field.startswith("form_data."):
        return "f-" + field.removeprefix("form_data.")
    return field


class ErrorList(list[tuple[str, str]]):
    """The errors of a page, as templates read them."""

    def of(self, target: str) -> str:
        """The messages about one field (by its id), or ""."""
        return " ".join(message for where, message in self if where == target)


def answer_text(field: FormField, value: str, lang: str) -> str:
    """An answer as the review and the dossier page show it."""
    if not value:
        return ""
    if field.type == "choice":
        return choice_label(field, value, lang)
    if field.type == "date":
        try:
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return value


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A dossier page: its helpers and errors; never cached, not even by the service
    worker, when it holds personal data (``public`` pages may be kept)."""
    public = context.pop("public", False)
    context["errors"] = ErrorList(context.get("errors") or [])
    template = page(
        request,
        name,
        status_code,
        day=day,
        answer_text=answer_text,
        choice_label=choice_label,
        active=service.active,
        step_url=step_url,
        **context,
    )
    if not public:
        template.headers["Cache-Control"] = "no-store"
    return template


def _status_of(errors: Errors) -> int:
    return 422 if errors else 200


# ---------------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    component: ComponentSnapshot | None = None


def steps_of(dossier: DossierRead) -> list[Step]:
    """The applicant, the procedure's questions (if it asks any), one step per document
    that can be uploaded, and the review."""
    steps = [Step("applicant")]
    if dossier.form_fields:
        steps.append(Step("answers"))
    steps += [Step("component", c) for c in dossier.components if c.uploadable]
    steps.append(Step("review"))
    return steps


def step_url(dossier_id: int, number: int) -> str:
    return f"/ho-so/{dossier_id}/buoc/{number}"


def choice_label(field: FormField, value: str, lang: str) -> str:
    for option in field.options:
        if option.value == value:
            return option.label_vi if lang == "vi" else option.label_en
    return value


def check_answers(
    fields: list[FormField], answers: dict[str, str], lang: str, *, required: bool
) -> tuple[dict[str, str], Errors]:
    """Each answer to ``fields`` checked on its own (so every mistake shows at once):
    the answers to save (valid or empty) and the errors. ``answers`` holds all the
    answers (conditions may name other questions); questions that do not apply are
    cleared."""
    keep: dict[str, str] = {}
    errors: Errors = []
    for field in fields:
        value = answers.get(field.name, "").strip()
        if not service.active(field, answers):
            keep[field.name] = ""
            continue
        if not value:
            keep[field.name] = ""
            if required and field.required:
                label = field.label_vi if lang == "vi" else field.label_en
                message = f"Hãy điền “{label}”." if lang == "vi" else f"Fill in “{label}”."
                if field.type == "choice":
                    message = (
                        f"Hãy chọn một câu trả lời cho “{label}”."
                        if lang == "vi"
                        else f"Choose an answer to “{label}”."
                    )
                errors.append((anchor(f"form_data.{field.name}"), message))
            continue
        try:
            unconditional = msgspec.structs.replace(field, when=None)
            service.check_answers([unconditional], {field.name: value}, complete=True)
        except AppError as error:
            errors.append((anchor(error.field), error.message(lang)))
            continue
        keep[field.name] = value
    return keep, errors


def check_applicant(values: dict[str, str], lang: str) -> tuple[dict[str, str], Errors]:
    """Name and phone are needed; the ID number and address are checked when given."""
    keep: dict[str, str] = {}
    errors: Errors = []
    vi = lang == "vi"
    name = values["applicant_name"].strip()
    if not name:
        errors.append(
            ("applicant_name", "Hãy nhập họ và tên người nộp." if vi else "Enter the full name.")
        )
    else:
        try:
            keep["applicant_name"] = validation.full_name(name, "applicant_name")
        except AppError as error:
            errors.append(("applicant_name", error.message(lang)))
    phone = values["applicant_phone"].strip()
    if not phone:
        errors.append(
            (
                "applicant_phone",
                "Hãy nhập số điện thoại di động." if vi else "Enter a mobile phone number.",
            )
        )
    else:
        try:
            keep["applicant_phone"] = validation.phone(phone, "applicant_phone")
        except AppError as error:
            errors.append(("applicant_phone", error.message(lang)))
    id_number = re.sub(r"\s", "", values["applicant_id_number"])
    if id_number and not _ID_NUMBER.fullmatch(id_number):
        errors.append(
            (
                "applicant_id_number",
                "Số căn cước công dân phải gồm đúng 12 chữ số."
                if vi
                else "The citizen ID number must be exactly 12 digits.",
            )
        )
    else:
        keep["applicant_id_number"] = id_number
    address = " ".join(values["applicant_address"].split())
    if len(address) > 300:
        errors.append(
            (
                "applicant_address",
                "Địa chỉ dài quá 300 ký tự."
                if vi
                else "The address is longer than 300 characters.",
            )
        )
    else:
        keep["applicant_address"] = address
    return keep, errors


def missing_items(dossier: DossierRead, steps: list[Step], lang: str) -> Errors:
    """What submission would still refuse, each with a link to its step."""
    vi = lang == "vi"
    out: Errors = []
    if not dossier.applicant_name or not dossier.applicant_phone:
        out.append(
            (
                step_url(dossier.id, 1),
                "Còn thiếu họ tên hoặc số điện thoại người nộp."
                if vi
                else "The applicant's name or phone number is missing.",
            )
        )
    answers_step = next((i for i, s in enumerate(steps, 1) if s.kind == "answers"), None)
    for field in dossier.form_fields:
        if (
            field.required
            and service.active(field, dossier.form_data)
            and not dossier.form_data.get(field.name)
        ):
            label = field.label_vi if vi else field.label_en
            out.append(
                (
                    step_url(dossier.id, answers_step or 1),
                    f"Chưa trả lời “{label}”." if vi else f"“{label}” is not answered.",
                )
            )
    present = {f.component_id for f in dossier.files if f.purpose == "component"}
    for number, step in enumerate(steps, 1):
        component = step.component
        if component and component.required and component.id not in present:
            name = component.name_vi if vi else component.name_en
            out.append(
                (
                    step_url(dossier.id, number),
                    f"Chưa có ảnh hoặc tệp “{name}”." if vi else f"No photo or file of “{name}”.",
                )
            )
    return out


def _submit_error_target(dossier: DossierRead, steps: list[Step], error: AppError) -> str:
    field = error.field or ""
    if field.startswith("applicant"):
        return step_url(dossier.id, 1)
    if field.startswith("form_data"):
        number = next((i for i, s in enumerate(steps, 1) if s.kind == "answers"), 1)
        return step_url(dossier.id, number)
    if field == "files":
        missing = missing_items(dossier, steps, "vi")
        if missing:
            return missing[-1][0]
    return "error-summary"


# ------------------------------------------------------------------- uploads


def _chosen_files(form: Any, names: tuple[str, ...]) -> list[UploadFile]:
    return [
        value
        for name in names
        for value in form.getall(name, [])
        if isinstance(value, UploadFile) and value.filename
    ]


async def _store_uploads(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    component_id: int,
    files: list[UploadFile],
    lang: str,
) -> Errors:
    """Check and keep each chosen file; the refusals, each naming its file."""
    errors: Errors = []
    for upload in files:
        data = await upload.read(uploads.MAX_FILE_BYTES + 1)
        await upload.close()
        try:
            checked = await asyncio.to_thread(uploads.inspect_upload, data, upload.filename)
            await service.add_file(
                runtime_of(request), principal, dossier_id, checked, component_id=component_id
            )
        except AppError as error:
            errors.append((f"file-{component_id}", f"{upload.filename}: {error.message(lang)}"))
    return errors


async def _remove_requested(
    request: Request[Any, Any, Any], principal: Principal, dossier_id: int, form: Any, lang: str
) -> Errors:
    raw = str(form.get("remove", "") or "")
    if not raw.isdigit():
        return []
    try:
        await service.remove_file(runtime_of(request), principal, dossier_id, int(raw))
    except AppError as error:
        return [("error-summary", error.message(lang))]
    return []


def _files_of(dossier: DossierRead, component_id: int, round_: int | None = None) -> list[FileRead]:
    return [
        f
        for f in dossier.files
        if f.purpose == "component"
        and f.component_id == component_id
        and (round_ is None or f.round == round_)
    ]


def _text(form: Any, name: str, limit: int = 2000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


# ---------------------------------------------------------------- the forms


class StartForm(msgspec.Struct, kw_only=True):
    draft_key: str = ""
    organisation_id: str = ""


class ClaimForm(msgspec.Struct, kw_only=True):
    code: str = ""
    phone: str = ""


class WithdrawForm(msgspec.Struct, kw_only=True):
    version: str = ""
    note: str = ""


class TrackForm(msgspec.Struct, kw_only=True):
    code: str = ""
    phone_last4: str = ""


def _new_draft_key() -> str:
    return secrets.token_urlsafe(18)


# ---------------------------------------------------------------------- pages


class DossierPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    # ---------------------------------------------------------------- start

    @get("/p/{code:str}/nop", name="dossier-start")
    async def start(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: Annotated[str, CODE],
    ) -> Template:
        return await _start(request, principal, code)

    @post("/p/{code:str}/nop")
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        code: Annotated[str, CODE],
        data: URLEncodedBody[StartForm],
    ) -> Template | Redirect:
        lang = language(request)
        organisation = data.organisation_id.strip()
        try:
            draft = msgspec.convert(
                {
                    "procedure_code": code,
                    "draft_key": data.draft_key,
                    "organisation_id": int(organisation) if organisation.isdigit() else None,
                },
                DraftCreate,
            )
        except msgspec.ValidationError:
            error = InvalidInput(
                "Trang này đã cũ. Hãy bấm “Bắt đầu” một lần nữa.",
                "This page is out of date. Press “Start” once more.",
            )
            return await _start(
                request, principal, code, errors=[("start", error.message(lang))], status_code=422
            )
        try:
            dossier, _ = await service.create_draft(runtime_of(request), principal, draft)
        except AppError as error:
            if isinstance(error, NotFound) and error.field != "organisation_id":
                raise
            return await _start(
                request,
                principal,
                code,
                errors=[("start", error.message(lang))],
                status_code=error.status_code,
            )
        return Redirect(step_url(dossier.id, 1), status_code=303)

    # ---------------------------------------------------------- my dossiers

    @get("/ho-so", name="my-dossiers")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template:
        return await _mine(request, principal, done=done)

    @post("/ho-so/nhan")
    async def claim(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: URLEncodedBody[ClaimForm],
    ) -> Template | Redirect:
        lang = language(request)
        limiter = accounts_runtime_of(request).limiter
        try:
            await limiter.check_address("dossier-claim", client_of(request).address)
            await limiter.check_account("dossier-claim", principal.account_id)
            if not data.code.strip():
                raise InvalidInput(
                    "Hãy nhập mã hồ sơ ghi trên giấy biên nhận.",
                    "Enter the dossier code printed on the receipt.",
                    field="code",
                )
            dossier = await service.claim(
                runtime_of(request), principal, data.code[:48], data.phone[:24]
            )
        except AppError as error:
            claim_field = "claim-code" if error.field in {None, "code"} else "claim-phone"
            response = await _mine(
                request,
                principal,
                claim=data,
                errors=[(claim_field, error.message(lang))],
                status_code=error.status_code,
            )
            if isinstance(error, TooManyRequests):
                response.headers["Retry-After"] = str(error.retry_after)
            return response
        return Redirect(f"/ho-so/{dossier.id}?xong=nhan", status_code=303)

    # ---------------------------------------------------------- the dossier

    @get("/ho-so/{dossier_id:int}", name="dossier")
    async def dossier(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(runtime_of(request), principal, dossier_id)
        if dossier.status == "draft":
            return Redirect(step_url(dossier_id, 1), status_code=303)
        return render(
            request,
            "dossiers/dossier.html",
            dossier=dossier,
            done=done,
            fees=await _fees_box(request, principal, dossier),
        )

    # ---------------------------------------------------------------- steps

    @get("/ho-so/{dossier_id:int}/buoc/{number:int}", name="dossier-step")
    async def step(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        number: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(runtime_of(request), principal, dossier_id)
        if dossier.status != "draft":
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return _step_page(request, dossier, number, done=done)

    @post(
        "/ho-so/{dossier_id:int}/buoc/{number:int}",
        request_max_body_size=STEP_BODY_LIMIT,
    )
    async def save_step(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        number: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        lang = language(request)
        form = await request.form()
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if dossier.status != "draft":
            target = f"/ho-so/{dossier_id}/bien-nhan" if dossier.code else f"/ho-so/{dossier_id}"
            return Redirect(target, status_code=303)
        steps = steps_of(dossier)
        if not 1 <= number <= len(steps):
            raise _no_step()
        step = steps[number - 1]
        next_url = step_url(dossier_id, number + 1)

        if step.kind == "applicant":
            values = {name: _text(form, name, 400) for name in APPLICANT_FIELDS}
            keep, errors = check_applicant(values, lang)
            update = msgspec.convert(keep, DraftUpdate)
            errors += await _save(request, principal, dossier_id, update, lang)
            if errors:
                return _step_page(request, dossier, number, values=values, errors=errors)
            return Redirect(next_url, status_code=303)

        if step.kind == "answers":
            values = {f.name: _text(form, f.name, f.max_length + 50) for f in dossier.form_fields}
            keep, errors = check_answers(dossier.form_fields, values, lang, required=True)
            errors += await _save(request, principal, dossier_id, DraftUpdate(form_data=keep), lang)
            if errors:
                return _step_page(request, dossier, number, values=values, errors=errors)
            return Redirect(next_url, status_code=303)

        if step.kind == "component":
            assert step.component is not None
            component = step.component
            errors = await _store_uploads(
                request,
                principal,
                dossier_id,
                component.id,
                _chosen_files(form, ("photo", "file")),
                lang,
            )
            errors += await _remove_requested(request, principal, dossier_id, form, lang)
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            going_on = _text(form, "action", 20) == "next"
            if (
                going_on
                and not errors
                and component.required
                and not _files_of(dossier, component.id)
            ):
                name = component.name_vi if lang == "vi" else component.name_en
                errors.append(
                    (
                        f"file-{component.id}",
                        f"Hãy chụp ảnh hoặc chọn tệp “{name}” trước khi tiếp tục."
                        if lang == "vi"
                        else f"Take a photo of “{name}” or choose its file before going on.",
                    )
                )
            if errors:
                return _step_page(request, dossier, number, errors=errors)
            if going_on:
                return Redirect(next_url, status_code=303)
            return Redirect(f"{step_url(dossier_id, number)}?xong=tai-len", status_code=303)

        # The review: submit.
        try:
            await service.submit(runtime, principal, dossier_id)
        except Conflict as error:
            if error.field == "dossier":  # already submitted (a second press, a replay)
                return Redirect(f"/ho-so/{dossier_id}/bien-nhan", status_code=303)
            raise
        except InvalidInput as error:
            target = _submit_error_target(dossier, steps, error)
            return _step_page(request, dossier, number, errors=[(target, error.message(lang))])
        return Redirect(f"/ho-so/{dossier_id}/bien-nhan", status_code=303)

    # -------------------------------------------------------------- receipt

    @get("/ho-so/{dossier_id:int}/bien-nhan", name="dossier-receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if dossier.code is None:
            return Redirect(step_url(dossier_id, 1), status_code=303)
        url = service.tracking_url(runtime, dossier.code)
        lang = language(request)
        title = "Mã QR tra cứu hồ sơ" if lang == "vi" else "QR code to track the dossier"
        return render(
            request,
            "dossiers/receipt.html",
            dossier=dossier,
            tracking_url=url,
            qr=qr_svg(url, title).decode(),
            fees=await _fees_box(request, principal, dossier),
        )

    # ------------------------------------------------------------- withdraw

    @get("/ho-so/{dossier_id:int}/rut", name="dossier-withdraw")
    async def withdraw_confirm(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        dossier = await service.get_dossier(runtime_of(request), principal, dossier_id)
        if "withdraw" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return render(request, "dossiers/withdraw.html", dossier=dossier, errors=[])

    @post("/ho-so/{dossier_id:int}/rut")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: URLEncodedBody[WithdrawForm],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        try:
            await service.act(
                runtime,
                principal,
                dossier_id,
                ActionIn(
                    action="withdraw",
                    version=int(data.version) if data.version.isdigit() else -1,
                    note=data.note.strip()[:2000],
                ),
            )
        except AppError as error:
            if isinstance(error, NotFound):
                raise
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            return render(
                request,
                "dossiers/withdraw.html",
                error.status_code,
                dossier=dossier,
                note=data.note,
                errors=[("note", error.message(language(request)))],
            )
        return Redirect(f"/ho-so/{dossier_id}?xong=rut", status_code=303)

    # ----------------------------------------------------------- supplement

    @get("/ho-so/{dossier_id:int}/bo-sung", name="dossier-supplement")
    async def supplement_page(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=20)] = "",
    ) -> Template | Redirect:
        dossier = await service.get_dossier(runtime_of(request), principal, dossier_id)
        if "supplement" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        return _supplement_page(request, dossier, done=done)

    @post("/ho-so/{dossier_id:int}/bo-sung", request_max_body_size=SUPPLEMENT_BODY_LIMIT)
    async def supplement(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        lang = language(request)
        form = await request.form()
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if "supplement" not in dossier.actions:
            return Redirect(f"/ho-so/{dossier_id}", status_code=303)
        errors: Errors = []
        for component_id in _requested_components(dossier):
            errors += await _store_uploads(
                request,
                principal,
                dossier_id,
                component_id,
                _chosen_files(form, (f"photo-{component_id}", f"file-{component_id}")),
                lang,
            )
        errors += await _remove_requested(request, principal, dossier_id, form, lang)
        fields = _requested_fields(dossier)
        values = {f.name: _text(form, f.name, f.max_length + 50) for f in fields}
        sending = _text(form, "action", 20) == "send"
        note = _text(form, "note").strip()
        if fields:
            answers = {**dossier.form_data, **values}
            keep, field_errors = check_answers(fields, answers, lang, required=sending)
            errors += field_errors
            errors += await _save(request, principal, dossier_id, DraftUpdate(form_data=keep), lang)
        dossier = await service.get_dossier(runtime, principal, dossier_id)
        if not errors and sending:
            try:
                await service.act(
                    runtime,
                    principal,
                    dossier_id,
                    ActionIn(action="supplement", version=dossier.version, note=note),
                )
            except AppError as error:
                if isinstance(error, NotFound):
                    raise
                errors.append((anchor(error.field), error.message(lang)))
            else:
                return Redirect(f"/ho-so/{dossier_id}?xong=bo-sung", status_code=303)
        if errors:
            return _supplement_page(request, dossier, values=values, note=note, errors=errors)
        return Redirect(f"/ho-so/{dossier_id}/bo-sung?xong=luu", status_code=303)


async def _fees_box(
    request: Request[Any, Any, Any], principal: Principal, dossier: DossierRead
) -> Any:
    """The dossier's fees and payments for the page's "Phí, lệ phí" box."""
    # Here, not at the top: the payments service imports the dossiers service.
    from backend.payments import pages as payment_pages

    return await payment_pages.citizen_box(request, principal, dossier)


def _no_step() -> NotFound:
    return NotFound("Không có bước này.", "There is no such step.")


async def _save(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    update: DraftUpdate,
    lang: str,
) -> Errors:
    if update.form_data is msgspec.UNSET and all(
        getattr(update, name) is msgspec.UNSET for name in APPLICANT_FIELDS
    ):
        return []
    try:
        await service.update_draft(runtime_of(request), principal, dossier_id, update)
    except AppError as error:
        if isinstance(error, NotFound):
            raise
        return [(anchor(error.field), error.message(lang))]
    return []


async def _start(
    request: Request[Any, Any, Any],
    principal: Principal,
    code: str,
    *,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    procedure = await catalogue.get_procedure(code)
    return render(
        request,
        "dossiers/start.html",
        status_code,
        procedure=procedure,
        organisations=await accounts.my_organisations(principal),
        draft_key=_new_draft_key(),
        errors=errors or [],
    )


async def _mine(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    done: str = "",
    claim: ClaimForm | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    dossiers = await service.my_dossiers(runtime_of(request), principal)
    return render(
        request,
        "dossiers/mine.html",
        status_code,
        drafts=[d for d in dossiers if d.status == "draft"],
        dossiers=[d for d in dossiers if d.status != "draft"],
        done=done,
        claim=claim,
        errors=errors or [],
    )


def _step_page(
    request: Request[Any, Any, Any],
    dossier: DossierRead,
    number: int,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    done: str = "",
) -> Template:
    steps = steps_of(dossier)
    if not 1 <= number <= len(steps):
        raise _no_step()
    step = steps[number - 1]
    lang = language(request)
    if values is None:
        if step.kind == "applicant":
            values = {name: getattr(dossier, name) for name in APPLICANT_FIELDS}
        else:
            values = dict(dossier.form_data)
    errors = errors or []
    return render(
        request,
        "dossiers/step.html",
        _status_of(errors),
        dossier=dossier,
        steps=steps,
        number=number,
        step=step,
        values=values,
        errors=errors,
        done=done,
        files=_files_of(dossier, step.component.id) if step.component else [],
        missing=missing_items(dossier, steps, lang) if step.kind == "review" else [],
        used_bytes=sum(f.size for f in dossier.files),
    )


def _requested_components(dossier: DossierRead) -> list[int]:
    return [i.component_id for i in dossier.supplement_items if i.component_id is not None]


def _requested_fields(dossier: DossierRead) -> list[FormField]:
    wanted = {i.field for i in dossier.supplement_items if i.field}
    return [f for f in dossier.form_fields if f.name in wanted]


def _supplement_page(
    request: Request[Any, Any, Any],
    dossier: DossierRead,
    *,
    values: dict[str, str] | None = None,
    note: str = "",
    errors: Errors | None = None,
    done: str = "",
) -> Template:
    components = {c.id: c for c in dossier.components}
    errors = errors or []
    return render(
        request,
        "dossiers/supplement.html",
        _status_of(errors),
        dossier=dossier,
        documents=[
            (
                item,
                components.get(item.component_id),
                _files_of(dossier, item.component_id, dossier.version),
            )
            for item in dossier.supplement_items
            if item.component_id is not None
        ],
        fields=_requested_fields(dossier),
        others=[i for i in dossier.supplement_items if i.component_id is None and not i.field],
        values=values if values is not None else dict(dossier.form_data),
        note=note,
        errors=errors,
        done=done,
        used_bytes=sum(f.size for f in dossier.files),
    )


# -------------------------------------------------------------------- tracking


class TrackingPages(Controller):
    """Anyone with the code and the phone's last four digits, or the receipt's QR link,
    sees where a dossier is: steps and dates only, never names or answers."""

    include_in_schema = False

    @get("/tra-cuu", name="tracking")
    async def form(self, request: Request[Any, Any, Any]) -> Template:
        return render(
            request, "dossiers/track.html", form=None, result=None, errors=[], public=True
        )

    @post("/tra-cuu")
    async def track(
        self, request: Request[Any, Any, Any], data: URLEncodedBody[TrackForm]
    ) -> Template:
        lang = language(request)
        try:
            await accounts_runtime_of(request).limiter.check_address(
                "track", client_of(request).address
            )
            if not data.code.strip():
                raise InvalidInput(
                    "Hãy nhập mã hồ sơ ghi trên giấy biên nhận.",
                    "Enter the dossier code printed on the receipt.",
                    field="code",
                )
            result = await service.track(data.code[:48], data.phone_last4[:8])
        except AppError as error:
            return _tracking_error(request, error, lang, data)
        return await _tracking_page(request, result, data)

    @get("/tra-cuu/{token:str}", name="tracking-link")
    async def by_link(
        self, request: Request[Any, Any, Any], token: Annotated[str, TOKEN]
    ) -> Template:
        lang = language(request)
        try:
            await accounts_runtime_of(request).limiter.check_address(
                "track", client_of(request).address
            )
            result = await service.track_by_token(runtime_of(request).secret_key, token)
        except AppError as error:
            return _tracking_error(request, error, lang, None)
        return await _tracking_page(request, result, None)


def _tracking_error(
    request: Request[Any, Any, Any], error: AppError, lang: str, form: TrackForm | None
) -> Template:
    message = error.message(lang)
    if isinstance(error, TooManyRequests):
        minutes = max(1, round(error.retry_after / 60))
        message = (
            f"Bạn đã tra cứu nhiều lần liên tiếp. Để bảo vệ hồ sơ của mọi người, "
            f"vui lòng đợi khoảng {minutes} phút rồi thử lại."
            if lang == "vi"
            else f"You have looked up many times in a row. To protect everyone's dossiers, "
            f"please wait about {minutes} minute(s) and try again."
        )
    field = "phone_last4" if error.field == "phone_last4" else "code"
    response = render(
        request,
        "dossiers/track.html",
        error.status_code,
        form=form,
        result=None,
        errors=[(field if form else "error-summary", message)],
    )
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def _tracking_page(
    request: Request[Any, Any, Any], result: TrackingRead, form: TrackForm | None
) -> Template:
    try:
        agency = await catalogue.get_agency(result.agency_code)
    except NotFound:
        agency = None
    return render(
        request, "dossiers/track.html", form=form, result=result, agency=agency, errors=[]
    )


DOSSIER_PAGES = [DossierPages, TrackingPages]
