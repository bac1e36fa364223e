"""What the dossiers' console pages share: the shell (``backend.web.console``) with the
lifecycle's words for the templates, what the page's inputs are called (errors name
them), and the procedures of the official's agency."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ProcedureSummary
from backend.dossiers.forms import FORM_TITLES
from backend.dossiers.lifecycle import ACTION_LABELS, STATUS_LABELS
from backend.i18n import N_, Text
from backend.web.console import render as render_console

SECTION = "dossiers"

# What each input is called on the console's pages: errors made here name it.
LABELS: dict[str, Text] = {
    "action": N_("Thao tác"),
    "version": N_("Phiên bản hồ sơ"),
    "note": N_("Ghi chú"),
    "items": N_("Nội dung cần bổ sung"),
    "reasons": N_("Lý do từ chối"),
    "assignee_id": N_("Cán bộ xử lý"),
    "target_agency": N_("Cơ quan nhận hồ sơ"),
    "decision": N_("Quyết định"),
    "new_due_date": N_("Ngày hẹn trả mới"),
    "file": N_("Tệp văn bản kết quả"),
    "procedure_code": N_("Thủ tục"),
    "channel": N_("Hình thức nộp"),
    "applicant_name": N_("Họ và tên người nộp"),
    "applicant_phone": N_("Số điện thoại"),
    "applicant_id_number": N_("Số căn cước công dân"),
    "applicant_address": N_("Địa chỉ"),
    "form_data": N_("Thông tin khai"),
    "components_received": N_("Giấy tờ đã nhận"),
    "applicant_group": N_("Đối tượng miễn, giảm phí"),
    "group_evidence_received": N_("Giấy tờ chứng minh đối tượng"),
}


def render(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    principal: Principal,
    **context: Any,
) -> Template:
    """A console page of the dossiers' section."""
    return render_console(
        request,
        name,
        status_code,
        principal=principal,
        section=SECTION,
        status_label=STATUS_LABELS,
        action_label=ACTION_LABELS,
        form_title=FORM_TITLES,
        **context,
    )


async def agency_procedures(principal: Principal) -> list[ProcedureSummary]:
    page_of = await catalogue.list_procedures(agency=principal.agency_code, page_size=1000)
    return sorted(page_of.items, key=lambda p: p.code)
