"""One exception hierarchy for what a person can be told; mapped to HTTP in backend.web.errors.

Every message exists in Vietnamese and English and names the field when there is one.
"""

from __future__ import annotations


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message_vi: str, message_en: str, *, field: str | None = None) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field

    def message(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message_vi: str, message_en: str, *, retry_after: int) -> None:
        super().__init__(message_vi, message_en)
        self.retry_after = retry_after
