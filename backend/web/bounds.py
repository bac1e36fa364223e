"""Every integer path and query parameter bounded, for every route at once.

An id of 2^63 fits no SQLite integer, and our ids are PostgreSQL ``SERIAL`` columns
(32 bits: 2^31 already fails): unchecked, such an id reached the database and came
back as a 500 with a traceback. ``bounded_integers`` is an application-wide guard, so
a new endpoint cannot forget it: it reads each handler's own bounds
(``Parameter(ge=..., le=...)``) and otherwise admits 1 to 2^31 - 1 (every id, page
and number of ours counts from 1 and fits a SERIAL; a handler that means otherwise
says so).
A path value out of range names an object that cannot exist: 404, like any unknown
id. A query value out of range is the client's mistake: 400 naming the parameter, as
Litestar answers a query value of the wrong kind.
The same bounds are written into the OpenAPI document (``backend.web.contract``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.constants import RESERVED_KWARGS
from litestar.enums import ParamType
from litestar.handlers.base import BaseRouteHandler
from litestar.params import ParameterKwarg
from litestar.typing import FieldDefinition

from backend.errors import FieldProblem, InvalidInput, NotFound
from backend.i18n import N_

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# The largest id a PostgreSQL SERIAL column holds.
ID_MAX = 2**31 - 1
# Digits only, as Litestar reads an integer; anything else is left to its refusal (400).
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


class _OutOfRange(InvalidInput):
    status_code = 400


@dataclass(frozen=True, slots=True)
class IntParameter:
    """An integer parameter of a handler: its name in the path or the query string."""

    name: str
    in_path: bool
    low: int
    high: int


# Per handler, by identity (handlers take no weak references); the handler is kept
# beside its answer so that a reused id never finds another's.
_KNOWN: dict[int, tuple[BaseRouteHandler, tuple[IntParameter, ...]]] = {}


def _is_int(field: FieldDefinition) -> bool:
    if field.annotation is int:
        return True
    return field.is_optional and any(
        inner.annotation is int for inner in field.inner_types if not inner.is_none_type
    )


def _bounds(kwarg: ParameterKwarg | None) -> tuple[int, int]:
    low, high = 1, ID_MAX
    if kwarg is not None:
        if kwarg.ge is not None:
            low = math.ceil(kwarg.ge)
        if kwarg.gt is not None:
            low = math.floor(kwarg.gt) + 1
        if kwarg.le is not None:
            high = math.floor(kwarg.le)
        if kwarg.lt is not None:
            high = math.ceil(kwarg.lt) - 1
    return max(low, INT64_MIN), min(high, INT64_MAX)


def int_parameters(handler: BaseRouteHandler, path_names: set[str]) -> tuple[IntParameter, ...]:
    """The handler's integer path and query parameters with their bounds."""
    entry = _KNOWN.get(id(handler))
    if entry is not None and entry[0] is handler:
        return entry[1]
    dependencies = handler.resolve_dependencies()
    found = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        if name in dependencies or name in RESERVED_KWARGS or not _is_int(field):
            continue
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            if kwarg.param_type not in {ParamType.PATH, ParamType.QUERY}:
                continue
            in_path = kwarg.param_type is ParamType.PATH or name in path_names
            alias = kwarg.name or name
        elif kwarg is None:
            in_path, alias = name in path_names, name
        else:  # a body or a dependency
            continue
        low, high = _bounds(kwarg)
        found.append(IntParameter(alias, in_path, low, high))
    known = tuple(found)
    _KNOWN[id(handler)] = (handler, known)
    return known


def _query_integer(raw: str | None) -> int | None:
    if raw is None or not _INTEGER.fullmatch(raw):
        return None
    return int(raw)


async def bounded_integers(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """The guard: 404 for a path id that cannot exist, 400 for a query number out of range."""
    path_params = connection.path_params
    problems: list[FieldProblem] = []
    # The route's own handler (a guard is handed a copy, new each request).
    handler = connection.route_handler
    for parameter in int_parameters(handler, set(path_params)):
        if parameter.in_path:
            value = path_params.get(parameter.name)
            if isinstance(value, int) and not parameter.low <= value <= parameter.high:
                raise NotFound(N_("Không tìm thấy trang bạn cần."))
            continue
        number = _query_integer(connection.query_params.get(parameter.name))
        if number is not None and not parameter.low <= number <= parameter.high:
            problems.append(
                FieldProblem(
                    parameter.name,
                    N_(
                        "“%(field)s” phải là số nguyên từ %(low)s đến %(high)s.",
                        field=parameter.name,
                        low=str(parameter.low),
                        high=str(parameter.high),
                    ),
                )
            )
    if problems:
        raise _OutOfRange(problems=problems)
