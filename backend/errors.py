"""One exception hierarchy for what a person can be told; mapped to HTTP in backend.web.errors.

A message is a ``Text`` (``N_(...)``), translated when shown, and names the field when
there is one. ``InvalidInput`` carries every field's problem at once (``Problems``
collects them), so a page shows them all and an API client gets them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from backend.i18n import N_, Translatable


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """What is wrong with one field (``field`` None: with the request as a whole)."""

    field: str | None
    message: Translatable


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: Translatable, *, field: str | None = None) -> None:
        super().__init__(message.render("en"))
        self.text = message
        self.field = field

    def message(self, lang: str) -> str:
        return self.text.render(lang)

    @property
    def problems(self) -> list[FieldProblem]:
        return [FieldProblem(self.field, self.text)]


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"

    def __init__(
        self,
        message: Translatable | None = None,
        *,
        field: str | None = None,
        problems: Sequence[FieldProblem] = (),
    ) -> None:
        found = list(problems) or [FieldProblem(field, message or _INVALID)]
        # The first problem is the error's own message and field (what a client that
        # reads one error shows); ``problems`` lists them all, in the form's order.
        super().__init__(found[0].message, field=found[0].field)
        self._problems = found

    @property
    def problems(self) -> list[FieldProblem]:
        return list(self._problems)


_INVALID = N_("Dữ liệu không hợp lệ.")


class Problems:
    """Collects a form's problems, then raises them together: a person fixes every
    field in one go instead of meeting the errors one by one."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def add(self, field: str | None, message: Translatable) -> None:
        self.items.append(FieldProblem(field, message))

    def extend(self, error: AppError) -> None:
        self.items.extend(error.problems)

    @contextlib.contextmanager
    def noting(self) -> Iterator[None]:
        """Run one field's check: a refusal joins the problems instead of ending the
        form (raise them together once every field is checked)."""
        try:
            yield
        except InvalidInput as error:
            self.extend(error)

    def has(self, field: str) -> bool:
        return any(problem.field == field for problem in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_any(self) -> None:
        if self.items:
            raise InvalidInput(problems=self.items)


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


class Unavailable(AppError):
    """A service we depend on (a timestamping authority, say) does not answer now."""

    status_code = 503
    code = "unavailable"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: Translatable, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
