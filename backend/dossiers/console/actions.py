"""The steps an official takes from the dossier's page, as plain forms: each carries
the dossier's version, so a step taken on a page someone else has since changed is
refused with the reason; the result document is uploaded (and removed) before the
step that releases it. A refusal shows the page again with the form as it was sent."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from backend.accounts.guards import require_official
from backend.accounts.schemas import Principal
from backend.dossiers import lifecycle, service
from backend.dossiers.api import UPLOAD_BODY_LIMIT, UploadForm, read_upload
from backend.dossiers.console.dossier import Posted, Refusal, dossier_page
from backend.dossiers.console.page import LABELS
from backend.dossiers.schemas import ActionIn, DossierRead
from backend.errors import AppError, InvalidInput, NotFound, Problems
from backend.i18n import N_, Number, parse_date
from backend.web.console import CONSOLE_HOME
from backend.web.forms import convert, text, texts

# Steps a page form may ask for (the citizen's own steps are not offered here).
CONSOLE_ACTIONS: frozenset[str] = frozenset(lifecycle.ACTIONS) - {
    "submit",
    "supplement",
    "withdraw",
}
MAX_ITEMS = 30
MAX_REASONS = 20
_POSTED = ("note", "reasons", "items_other", "assignee_id", "target_agency", "new_due_date")


def _action_in(form: Any, dossier: DossierRead) -> ActionIn:
    """The step a form asks for. Supplement items are labelled from the dossier (the
    names the citizen saw), so Form 02 lists what is missing in words."""
    action = text(form, "action", 40, strip=True)
    if action not in CONSOLE_ACTIONS:
        raise InvalidInput(N_("Thao tác không hợp lệ."), field="action")
    version = text(form, "version", 12, strip=True)
    data: dict[str, Any] = {
        "action": action,
        "version": int(version) if version.isdigit() else -1,
        "note": text(form, "note", 2000, strip=True),
    }
    problems = Problems()
    if action == "request_supplement":
        components = {str(c.id): c for c in dossier.components}
        fields = {f.name: f for f in dossier.form_fields}
        items: list[dict[str, Any]] = []
        for value in texts(form, "items_component"):
            if value in components:
                items.append({"label": components[value].name_vi, "component_id": int(value)})
        for value in texts(form, "items_field"):
            if value in fields:
                items.append({"label": fields[value].label_vi, "field": value})
        for line in text(form, "items_other", 4000).splitlines():
            if line.strip():
                items.append({"label": line.strip()[:300]})
        if len(items) > MAX_ITEMS:
            problems.add(
                "items",
                N_(
                    "Một phiếu yêu cầu bổ sung liệt kê tối đa %(limit)s nội dung.",
                    limit=Number(MAX_ITEMS),
                ),
            )
        data["items"] = items
    elif action == "refuse":
        reasons = [line.strip()[:500] for line in text(form, "reasons", 4000).splitlines()]
        data["reasons"] = [reason for reason in reasons if reason]
        if len(data["reasons"]) > MAX_REASONS:
            problems.add(
                "reasons", N_("Hãy ghi tối đa %(limit)s lý do.", limit=Number(MAX_REASONS))
            )
    elif action == "assign":
        chosen = text(form, "assignee_id", 12, strip=True)
        data["assignee_id"] = int(chosen) if chosen.isdigit() else None
    elif action == "transfer":
        data["target_agency"] = text(form, "target_agency", 32, strip=True) or None
    elif action in {"propose", "decide"}:
        decision = text(form, "decision", 10, strip=True)
        data["decision"] = decision if decision in {"approve", "reject"} else None
    elif action == "apologise":
        typed = text(form, "new_due_date", 20, strip=True)
        new_due = parse_date(typed)
        data["new_due_date"] = new_due.isoformat() if new_due else None
        if typed and new_due is None:
            problems.add("new_due_date", N_("Ngày hẹn trả mới phải là một ngày, ví dụ 25/12/2026."))
    problems.raise_any()
    return convert(data, ActionIn, LABELS)


def _posted(form: Any, action: str) -> Posted:
    return Posted(
        action=action,
        values={name: text(form, name, 4000, strip=True) for name in _POSTED},
        lists={name: texts(form, name) for name in ("items_component", "items_field")},
    )


def _page_url(dossier_id: int) -> str:
    return f"{CONSOLE_HOME}/ho-so/{dossier_id}"


async def _result_refused(
    request: Request[Any, Any, Any], principal: Principal, dossier_id: int, error: AppError
) -> Template:
    return await dossier_page(
        request,
        principal,
        dossier_id,
        refusal=Refusal(error, "attach_result", default_input="file"),
        status_code=error.status_code,
    )


async def _result_changed(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    change: Awaitable[object],
    done: str,
) -> Template | Redirect:
    """A change to the dossier's results (a file added, signed, removed): back to the
    results' form saying so, or the page with the refusal beside it."""
    try:
        await change
    except NotFound:
        raise
    except AppError as error:
        return await _result_refused(request, principal, dossier_id, error)
    return Redirect(f"{_page_url(dossier_id)}?xong={done}#form-attach_result", status_code=303)


class ActionPages(Controller):
    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_official]

    @post("/ho-so/{dossier_id:int}/thao-tac", name="console-action")
    async def act(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        form = await request.form()
        action = text(form, "action", 40, strip=True)
        try:
            dossier = await service.get_dossier(runtime, principal, dossier_id)
            result = await service.act(runtime, principal, dossier_id, _action_in(form, dossier))
        except NotFound:
            raise
        except AppError as error:
            return await dossier_page(
                request,
                principal,
                dossier_id,
                refusal=Refusal(error, action, _posted(form, action)),
                status_code=error.status_code,
            )
        if action == "transfer":
            # The dossier now belongs to another agency: back to the queues.
            return Redirect(f"{CONSOLE_HOME}?xong=chuyen&ma={result.code or ''}", status_code=303)
        event = result.events[-1]
        return Redirect(
            f"{_page_url(dossier_id)}?xong={action}&su-kien={event.id}#thong-bao", status_code=303
        )

    @post(
        "/ho-so/{dossier_id:int}/ket-qua",
        name="console-result-upload",
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload_result(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        runtime = service.runtime_of(request)
        upload = (await request.form()).get("file")

        async def add() -> None:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise InvalidInput(
                    N_("Hãy chọn tệp văn bản kết quả (PDF hoặc ảnh chụp)."), field="file"
                )
            checked = await read_upload(request, UploadForm(file=upload))
            await service.add_file(runtime, principal, dossier_id, checked, component_id=None)

        return await _result_changed(request, principal, dossier_id, add(), "tai-len")

    @post("/ho-so/{dossier_id:int}/ket-qua/{file_id:int}/ky-so", name="console-result-sign")
    async def sign_result(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
    ) -> Template | Redirect:
        signing = service.sign_result(service.runtime_of(request), principal, dossier_id, file_id)
        return await _result_changed(request, principal, dossier_id, signing, "ky-so")

    @post("/ho-so/{dossier_id:int}/ket-qua/{file_id:int}/xoa", name="console-result-remove")
    async def remove_result(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        file_id: FromPath[int],
    ) -> Template | Redirect:
        removal = service.remove_file(service.runtime_of(request), principal, dossier_id, file_id)
        return await _result_changed(request, principal, dossier_id, removal, "xoa-tep")
