"""The public verification page ("Kiểm tra văn bản điện tử"): the QR code of a signed
document opens its record, checked now; anyone may also send the PDF they were given
(a bank clerk, an official of another agency) and see whether it is intact, who
signed it and when. Nothing sent is kept."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from backend.catalogue import service as catalogue
from backend.errors import AppError, NotFound
from backend.i18n import N_, Text
from backend.signing import service
from backend.signing.api import BODY_LIMIT, CODE, limited, normal_code, read_pdf
from backend.signing.runtime import runtime_of
from backend.signing.schemas import VerificationRead
from backend.web.errors import with_retry_after
from backend.web.forms import SUMMARY, render, text
from backend.web.templates import language

PAGE = "/xac-thuc"
_TEMPLATE = "signing/verify.html"

# What a check found, as a heading and what it means for whoever holds the file.
OUTCOMES: dict[str, tuple[Text, Text]] = {
    "valid": (
        N_("Văn bản hợp lệ"),
        N_("Chữ ký số hợp lệ và văn bản chưa bị sửa đổi sau khi ký."),
    ),
    "modified": (
        N_("Văn bản đã bị sửa đổi sau khi ký"),
        N_(
            "Nội dung không còn như khi cơ quan ký. Không dùng văn bản này; "
            "hãy xin cơ quan bản gốc."
        ),
    ),
    "unknown_signer": (
        N_("Chữ ký của chứng thư số không được tin cậy"),
        N_(
            "Văn bản được ký bằng một chứng thư số không do tổ chức chứng thực được công nhận "
            "cấp. Không coi đây là văn bản của cơ quan nhà nước."
        ),
    ),
    "revoked": (
        N_("Chứng thư số đã bị thu hồi"),
        N_("Chứng thư số dùng để ký đã bị thu hồi. Hãy liên hệ cơ quan đã ký để được cấp lại."),
    ),
    "expired": (
        N_("Chứng thư số không còn hiệu lực khi ký"),
        N_("Văn bản được ký khi chứng thư số đã hết hạn hoặc chưa có hiệu lực."),
    ),
    "unchecked": (
        N_("Chưa kiểm tra được tình trạng chứng thư số"),
        N_(
            "Chữ ký nguyên vẹn, nhưng lúc này chưa hỏi được danh sách chứng thư bị thu hồi. "
            "Hãy thử lại sau ít phút."
        ),
    ),
    "unsigned": (
        N_("Tệp không có chữ ký số"),
        N_("Tệp PDF này không mang chữ ký số nào, nên không chứng minh được ai đã ban hành."),
    ),
    "withdrawn": (
        N_("Văn bản đã bị cơ quan thu hồi"),
        N_("Cơ quan đã ký văn bản này rồi thu hồi lại trước khi trả; hãy dùng văn bản được trả."),
    ),
    "other_document": (
        N_("Không phải văn bản mang mã này"),
        N_(
            "Tệp có chữ ký số hợp lệ, nhưng không phải văn bản mà mã này chỉ tới. "
            "Hãy kiểm tra lại bạn đã chọn đúng tệp."
        ),
    ),
}
KINDS: dict[str, Text] = {
    "result": N_("Kết quả giải quyết thủ tục hành chính"),
    "form01": N_("Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"),
    "fee_receipt": N_("Biên lai thu phí, lệ phí"),
}


async def _agency_name(result: VerificationRead | None, lang: str) -> str:
    if result is None or result.document is None:
        return ""
    try:
        agency = await catalogue.get_agency(result.document.agency_code)
    except NotFound:
        return result.document.agency_code
    return agency.name_vi if lang == "vi" else agency.name_en


async def _page(
    request: Request[Any, Any, Any],
    *,
    result: VerificationRead | None = None,
    code: str = "",
    checked_file: bool = False,
    error: AppError | None = None,
) -> Template:
    errors = []
    if error is not None:
        target = "file" if error.field == "file" else ("code" if error.field == "code" else SUMMARY)
        errors.append((target, error.message(language(request))))
    response = render(
        request,
        _TEMPLATE,
        error.status_code if error is not None else 200,
        result=result,
        code=code,
        checked_file=checked_file,
        agency_name=await _agency_name(result, language(request)),
        outcomes=OUTCOMES,
        kinds=KINDS,
        errors=errors,
    )
    return with_retry_after(response, error) if error is not None else response


class VerificationPages(Controller):
    path = PAGE
    include_in_schema = False

    @get("", name="verification")
    async def form(
        self,
        request: Request[Any, Any, Any],
        ma: Annotated[str, QueryParameter(max_length=40)] = "",
    ) -> Template | Redirect:
        if not ma.strip():
            return await _page(request)
        try:
            return Redirect(f"{PAGE}/{normal_code(ma)}", status_code=303)
        except AppError as error:
            return await _page(request, error=error)

    @get("/{code:str}", name="verification-code")
    async def by_code(
        self, request: Request[Any, Any, Any], code: Annotated[str, CODE]
    ) -> Template:
        try:
            await limited(request)
            normal = normal_code(code)
            result = await service.check_code(runtime_of(request), normal)
        except AppError as error:
            return await _page(request, code=code, error=error)
        return await _page(request, result=result, code=normal)

    @post("", request_max_body_size=BODY_LIMIT)
    async def check(self, request: Request[Any, Any, Any]) -> Template:
        code = ""
        try:
            # A body over the limit is answered 413 before this (by the CSRF check).
            form = await request.form()
            code = text(form, "code", 40, strip=True)
            await limited(request)
            normal = normal_code(code) if code else ""
            result = await service.check_file(
                runtime_of(request), await read_pdf(form.get("file")), normal
            )
        except AppError as error:
            return await _page(request, code=code, error=error)
        return await _page(request, result=result, code=code, checked_file=True)


VERIFICATION_PAGES = [VerificationPages]
