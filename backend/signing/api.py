"""The verification API, for an integrator's system (a bank's, another agency's): a
code's record and its stored file checked now, or a PDF sent in and checked. Anonymous,
changes nothing, keeps nothing; limited per client address."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, PathParameter

from backend.accounts.guards import client_of
from backend.accounts.guards import runtime_of as accounts_runtime_of
from backend.errors import InvalidInput, NotFound
from backend.i18n import N_
from backend.signing import service
from backend.signing.runtime import runtime_of
from backend.signing.schemas import VerificationRead

API_PATH = "/api/verification"
BODY_LIMIT = service.MAX_CHECK_BYTES + 64 * 1024
CODE = PathParameter(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z]+$")
_CODE = re.compile(r"[A-HJ-NP-Z2-9]{10}")


def normal_code(typed: str) -> str:
    """A code as typed from paper (spaces, lower case) in its printed form; a code that
    cannot be one of ours is not looked up."""
    code = "".join(typed.split()).upper()
    if not _CODE.fullmatch(code):
        raise NotFound(N_("Không có văn bản nào mang mã này."), field="code")
    return code


async def limited(request: Request[Any, Any, Any]) -> None:
    """Checking costs CPU (and may fetch a CRL): per address, like the sign-in flows."""
    await accounts_runtime_of(request).limiter.check_address("verify", client_of(request).address)


async def read_pdf(upload: Any) -> bytes:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput(N_("Hãy chọn tệp PDF cần kiểm tra."), field="file")
    data = await upload.read(service.MAX_CHECK_BYTES + 1)
    await upload.close()
    if len(data) > service.MAX_CHECK_BYTES:
        raise InvalidInput(too_large(), field="file")
    return data


def too_large() -> Any:
    return N_(
        "Tệp lớn hơn 20 MB: văn bản điện tử do cơ quan ký không lớn như vậy. "
        "Hãy chọn đúng tệp PDF bạn nhận được."
    )


@dataclass
class CheckForm:
    file: UploadFile
    # The code of the QR code, to check that the file is the document it names.
    code: str = ""


class VerificationApi(Controller):
    path = API_PATH
    tags = ["verification"]

    @get("/{code:str}", summary="The record of a signed document, its file checked now")
    async def by_code(
        self, request: Request[Any, Any, Any], code: Annotated[str, CODE]
    ) -> VerificationRead:
        await limited(request)
        return await service.check_code(runtime_of(request), normal_code(code))

    @post(
        "",
        summary="Check the signatures of a PDF (and whether it is the document a code names)",
        request_max_body_size=BODY_LIMIT,
        status_code=200,
    )
    async def check(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[CheckForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> VerificationRead:
        await limited(request)
        code = normal_code(data.code) if data.code.strip() else ""
        return await service.check_file(runtime_of(request), await read_pdf(data.file), code)


VERIFICATION_API = [VerificationApi]
