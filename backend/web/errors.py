"""The one place where errors become HTTP responses: problem details (RFC 9457) under
/api, a page elsewhere.

What a person reads is in their language and names the field at fault. An API error
is ``application/problem+json`` with ``invalid_params`` listing every field's problem
(name and reason, in the reader's language and in both); the ``error`` member keeps
the first one in the shape the page scripts and the service workers already installed
on phones read.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, TypeVar

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap

from backend.db import DatabaseUnavailable
from backend.errors import AppError, FieldProblem, InvalidInput, NotFound, TooManyRequests
from backend.i18n import N_, Text
from backend.web.templates import language, page

logger = logging.getLogger("motcua.errors")
PROBLEM_JSON = "application/problem+json"

_GENERIC: dict[int, Text] = {
    400: N_("Yêu cầu không hợp lệ."),
    401: N_("Bạn cần đăng nhập để tiếp tục."),
    403: N_(
        "Bạn không có quyền thực hiện việc này. "
        "Nếu trang có biểu mẫu, hãy tải lại trang rồi thử lại."
    ),
    404: N_("Không tìm thấy trang bạn cần."),
    405: N_("Cách gửi yêu cầu này không được hỗ trợ."),
    413: N_("Dữ liệu gửi lên quá lớn."),
    429: N_("Bạn thao tác quá nhanh. Vui lòng đợi một chút rồi thử lại."),
    500: N_(
        "Hệ thống đang gặp sự cố. Dữ liệu bạn đã lưu vẫn còn nguyên; vui lòng thử lại sau ít phút."
    ),
    503: N_(
        "Hệ thống tạm thời không truy cập được dữ liệu. "
        "Dữ liệu bạn đã lưu vẫn còn nguyên; vui lòng thử lại sau vài giây."
    ),
}


def is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in {"/healthz", "/readyz"}


def problem_body(error: AppError, status: int, lang: str) -> dict[str, Any]:
    message = error.message(lang)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": message,
        "code": error.code,
        "error": {
            "code": error.code,
            "message": message,
            "message_vi": error.message("vi"),
            "message_en": error.message("en"),
            "field": error.field,
        },
    }
    named = [problem for problem in error.problems if problem.field]
    if named:
        body["invalid_params"] = [_param(problem, lang) for problem in named]
    return body


def _param(problem: FieldProblem, lang: str) -> dict[str, str | None]:
    return {
        "name": problem.field,
        "reason": problem.message.render(lang),
        "reason_vi": problem.message.render("vi"),
        "reason_en": problem.message.render("en"),
    }


def _respond(request: Request[Any, Any, Any], error: AppError, status: int) -> Response[Any]:
    if is_api(request):
        return Response(
            problem_body(error, status, language(request)),
            status_code=status,
            media_type=PROBLEM_JSON,
        )
    return page(request, "error.html", status_code=status, error=error, status=status)


R = TypeVar("R", bound=Response[Any])


def with_retry_after(response: R, error: AppError) -> R:
    """A refusal for going too fast tells the client when to come back, whether it is
    answered here or by a page that shows its form again."""
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _app_error(request: Request[Any, Any, Any], error: AppError) -> Response[Any]:
    return with_retry_after(_respond(request, error, error.status_code), error)


def _validation(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """Litestar's refusal of a body or parameter: a problem for each field it names."""
    problems: list[FieldProblem] = []
    for item in error.extra if isinstance(error.extra, list) else []:
        field = item.get("key") if isinstance(item, dict) else None
        if field:
            problems.append(
                FieldProblem(
                    str(field), N_("Dữ liệu không hợp lệ ở trường “%(field)s”.", field=field)
                )
            )
    return _respond(request, InvalidInput(problems=problems), 400)


def _http(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    status = error.status_code
    kind = NotFound if isinstance(error, NotFoundException) else AppError
    app_error = kind(_GENERIC.get(status, _GENERIC[400]))
    if status != 404:
        app_error.code = "http_error"
    response = _respond(request, app_error, status)
    if error.headers:
        response.headers.update(error.headers)
    return response


def _undecodable(request: Request[Any, Any, Any], _: UnicodeDecodeError) -> Response[Any]:
    """A form field that is not UTF-8 (Litestar's multipart parser raises): the
    client's mistake, not ours, so a 400 and no traceback."""
    return _respond(request, AppError(N_("Dữ liệu gửi lên không phải văn bản UTF-8.")), 400)


def _unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    logger.exception(
        "unhandled error",
        extra={"fields": {"path": request.url.path, "request_id": request.state.get("request_id")}},
    )
    app_error = AppError(_GENERIC[500])
    app_error.code = "server_error"
    return _respond(request, app_error, HTTP_500_INTERNAL_SERVER_ERROR)


def _database_unavailable(
    request: Request[Any, Any, Any], error: DatabaseUnavailable
) -> Response[Any]:
    """The database is away for now (backend.db says why): 503 and when to come back,
    with one log line rather than a traceback a request while it lasts."""
    logger.warning(
        "database unavailable",
        extra={
            "fields": {
                "path": request.url.path,
                "request_id": request.state.get("request_id"),
                "reason": f"{error}: {error.__cause__!r}",
            }
        },
    )
    app_error = AppError(_GENERIC[503])
    app_error.code = "database_unavailable"
    response = _respond(request, app_error, HTTP_503_SERVICE_UNAVAILABLE)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: _app_error,
    DatabaseUnavailable: _database_unavailable,
    ValidationException: _validation,
    HTTPException: _http,
    UnicodeDecodeError: _undecodable,
    Exception: _unexpected,
}
