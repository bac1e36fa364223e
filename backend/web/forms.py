"""The form toolkit of every page: reading a posted form, turning it into a service's
Struct, and showing what was wrong next to each field and in a summary.

Pages work without JavaScript: a form posts, the service decides, and on a refusal
the page comes back with every problem at once (``FormErrors``, shown by the macros
of ``frontend/templates/_forms.html``) and what the person typed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.response import Template

from backend.errors import AppError, FieldProblem, InvalidInput
from backend.i18n import N_, Number, Translatable
from backend.web.templates import page

T = TypeVar("T")
# Where a message points: an input's id, a URL, or "error-summary".
SUMMARY = "error-summary"


class FormErrors(list[tuple[str, str]]):
    """A page's errors in page order: (target, message in the page's language)."""

    def of(self, target: str) -> str:
        """The messages about one input (by its id), or ""."""
        return " ".join(message for where, message in self if where == target)

    @classmethod
    def of_error(
        cls, error: AppError, lang: str, target: Callable[[str | None], str] | None = None
    ) -> FormErrors:
        """Every problem of a refusal, each pointed at its input by ``target`` (a field
        name to an input's id; by default the field's own name, or the summary)."""
        aim = target or (lambda field: field or SUMMARY)
        return cls((aim(problem.field), problem.message.render(lang)) for problem in error.problems)


def text(form: Any, name: str, limit: int = 2000, *, strip: bool = False) -> str:
    """One posted text value, at most ``limit`` characters ("" if absent or a file)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    return (value.strip() if strip else value)[:limit]


def texts(form: Any, name: str, *, limit: int = 100) -> list[str]:
    """Every value posted under ``name`` (checkboxes, repeated inputs), stripped."""
    return [value.strip() for value in form.getall(name, []) if isinstance(value, str)][:limit]


def render(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    public: bool = False,
    errors: Iterable[tuple[str, str]] = (),
    **context: Any,
) -> Template:
    """A page with a form. Never cached, not even by the service worker, unless
    ``public`` (a page with nobody's data in it may be kept for offline use)."""
    template = page(request, name, status_code, errors=FormErrors(errors), **context)
    if not public:
        template.headers["Cache-Control"] = "no-store"
    return template


def status_of(errors: Iterable[object]) -> int:
    return 422 if any(True for _ in errors) else 200


# ------------------------------------------------------------------- conversion


def convert(data: Mapping[str, Any], kind: type[T], labels: Mapping[str, Translatable]) -> T:
    """``data`` (from a form) as the Struct ``kind``, or ``InvalidInput`` naming every
    field that does not fit, as people call it (``labels``), and why."""
    problems: list[FieldProblem] = []
    for name, (annotation, required) in _fields(kind).items():  # type: ignore[arg-type]
        label = labels.get(name) or name
        if name not in data:
            if required:
                problems.append(FieldProblem(name, N_("Hãy điền “%(label)s”.", label=label)))
            continue
        try:
            msgspec.convert(data[name], annotation, strict=False)
        except msgspec.ValidationError:
            problems.append(FieldProblem(name, _why(data[name], annotation, label)))
    if problems:
        raise InvalidInput(problems=problems)
    try:
        return msgspec.convert(dict(data), kind, strict=False)
    except msgspec.ValidationError:
        # What no single field shows (a field the Struct does not know).
        raise InvalidInput(N_("Trang này đã cũ. Hãy tải lại trang rồi thử lại.")) from None


@functools.cache
def _fields(kind: type[Any]) -> dict[str, tuple[Any, bool]]:
    return {
        field.encode_name: (field.type, field.required) for field in msgspec.structs.fields(kind)
    }


def _why(value: Any, annotation: Any, label: Translatable | str) -> Translatable:
    """Why a value does not fit its field, from the field's declared constraints."""
    for info in _candidates(msgspec.inspect.type_info(annotation)):
        if isinstance(info, msgspec.inspect.StrType) and isinstance(value, str):
            if info.max_length is not None and len(value) > info.max_length:
                return N_(
                    "“%(label)s” dài quá %(limit)s ký tự. Hãy viết ngắn hơn.",
                    label=label,
                    limit=Number(info.max_length),
                )
            if info.min_length is not None and len(value) < info.min_length:
                if not value.strip():
                    return N_("Hãy điền “%(label)s”.", label=label)
                return N_(
                    "“%(label)s” cần ít nhất %(limit)s ký tự.",
                    label=label,
                    limit=Number(info.min_length),
                )
        if isinstance(info, msgspec.inspect.LiteralType | msgspec.inspect.EnumType):
            return N_("Hãy chọn một câu trả lời cho “%(label)s”.", label=label)
        if isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            return N_("“%(label)s” phải là một số trong khoảng cho phép.", label=label)
    return N_("“%(label)s” không hợp lệ.", label=label)


def _candidates(info: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    """The types a value may take (an optional field: the type beside None)."""
    if isinstance(info, msgspec.inspect.UnionType):
        return [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
    return [info]
