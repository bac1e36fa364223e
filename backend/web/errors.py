"""The one place where errors become HTTP responses: JSON under /api, a page elsewhere.

What a person reads is in their language and names the field at fault.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from backend.errors import AppError, InvalidInput, NotFound, TooManyRequests
from backend.web.templates import language, page

logger = logging.getLogger("motcua.errors")

_GENERIC = {
    400: ("Yêu cầu không hợp lệ.", "The request is not valid."),
    401: ("Bạn cần đăng nhập để tiếp tục.", "Please sign in to continue."),
    403: (
        "Bạn không có quyền thực hiện việc này. "
        "Nếu trang có biểu mẫu, hãy tải lại trang rồi thử lại.",
        "You are not allowed to do this. If the page has a form, reload it and try again.",
    ),
    404: ("Không tìm thấy trang bạn cần.", "We could not find that page."),
    405: ("Cách gửi yêu cầu này không được hỗ trợ.", "This request method is not supported."),
    413: ("Dữ liệu gửi lên quá lớn.", "What was sent is too large."),
    429: (
        "Bạn thao tác quá nhanh. Vui lòng đợi một chút rồi thử lại.",
        "Too many requests. Please wait a moment and try again.",
    ),
    500: (
        "Hệ thống đang gặp sự cố. Dữ liệu bạn đã lưu vẫn còn nguyên; vui lòng thử lại sau ít phút.",
        "Something went wrong on our side. "
        "What you saved is safe; please try again in a few minutes.",
    ),
}


def _respond(request: Request[Any, Any, Any], error: AppError, status: int) -> Response[Any]:
    if request.url.path.startswith("/api/") or request.url.path in {"/healthz", "/readyz"}:
        body = {
            "error": {
                "code": error.code,
                "message": error.message(language(request)),
                "message_vi": error.message_vi,
                "message_en": error.message_en,
                "field": error.field,
            }
        }
        return Response(body, status_code=status, media_type=MediaType.JSON)
    return page(request, "error.html", status_code=status, error=error, status=status)


def _app_error(request: Request[Any, Any, Any], error: AppError) -> Response[Any]:
    response = _respond(request, error, error.status_code)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    field = None
    if isinstance(error.extra, list) and error.extra:
        first = error.extra[0]
        if isinstance(first, dict):
            field = first.get("key")
    vi, en = "Dữ liệu không hợp lệ", "Invalid data"
    if field:
        vi, en = f"{vi} ở trường “{field}”.", f"{en} in the field “{field}”."
    else:
        vi, en = f"{vi}.", f"{en}."
    return _respond(request, InvalidInput(vi, en, field=field), 400)


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    vi, en = _GENERIC.get(status, _GENERIC[400])
    kind = NotFound if isinstance(error, NotFoundException) else AppError
    app_error = kind(vi, en)
    if status != 404:
        app_error.code = "http_error"
    response = _respond(request, app_error, status)
    if error.headers:
        response.headers.update(error.headers)
    return response


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    logger.exception(
        "unhandled error",
        extra={"fields": {"path": request.url.path, "request_id": request.state.get("request_id")}},
    )
    vi, en = _GENERIC[500]
    app_error = AppError(vi, en)
    app_error.code = "server_error"
    return _respond(request, app_error, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: _app_error,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}
