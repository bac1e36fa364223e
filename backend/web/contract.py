"""The OpenAPI document as the API answers: every error status and its real body.

Litestar documents a 400 of its own shape (``{status_code, detail}``) and nothing
else, while every error of ours is the problem body of ``backend.web.errors``. Rather
than each endpoint listing its errors (and a new one forgetting), ``ContractPlugin``
serves ``/schema/openapi.json`` with one post-processing step over the route table:
the ``Problem`` component, and on each operation the statuses that fit it:

- every operation: 429 (rate limits) and 503 (a dependency away), with
  ``Retry-After``; 500 (the generic problem);
- with parameters or a body: 400 (refused by Litestar) and 422 (refused by a rule);
- with a path parameter: 404 (an unknown, foreign or impossible object);
- guarded, or reading who is signed in (a ``principal`` parameter): 401 and 403,
  with the session cookie as the operation's security;
- unsafe methods: 401 and 403 (a passkey or signature refused; CSRF, its header then
  part of the security), 404 (the body names an unknown object), 409 (a conflict, a
  replayed idempotency key) and 422; with a body, 413.

Integer parameters get the bounds ``backend.web.bounds`` enforces.
"""

from __future__ import annotations

import copy
import re
from http import HTTPStatus
from typing import Any

from litestar import Litestar, Request
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from backend.web.bounds import bounded_integers, int_parameters

PROBLEM_JSON = "application/problem+json"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}

PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": (
        "RFC 9457 problem details; `error` repeats the first problem in the shape the "
        "page scripts and installed service workers read; `invalid_params` names each "
        "field at fault, in the reader's language and in both."
    ),
    "required": ["type", "title", "status", "detail", "code", "error"],
    "properties": {
        "type": _TEXT,
        "title": _TEXT,
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": _TEXT,
        "code": _TEXT,
        "error": {
            "type": "object",
            "required": ["code", "message", "message_vi", "message_en", "field"],
            "properties": {
                "code": _TEXT,
                "message": _TEXT,
                "message_vi": _TEXT,
                "message_en": _TEXT,
                "field": _NULLABLE_TEXT,
            },
        },
        "invalid_params": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "reason", "reason_vi", "reason_en"],
                "properties": {
                    "name": _TEXT,
                    "reason": _TEXT,
                    "reason_vi": _TEXT,
                    "reason_en": _TEXT,
                },
            },
        },
    },
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}


def _answer(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    """An error answer with the problem body (a handler's own description kept)."""
    description = HTTPStatus(status).phrase
    if existing and existing.get("description") and status != 400:
        description = existing["description"]
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if status in {429, 503}:
        answer["headers"] = _RETRY_AFTER
    return answer


class Contract:
    """The post-processing step, over one app's route table."""

    def __init__(self, app: Litestar, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie
        csrf = app.csrf_config
        self.csrf_header = csrf.header_name if csrf else None
        exempt = ([csrf.exclude] if isinstance(csrf.exclude, str) else csrf.exclude) if csrf else []
        self.csrf_exempt = re.compile("|".join(exempt)) if exempt else None

    def apply(self, schema: dict[str, Any]) -> dict[str, Any]:
        document = copy.deepcopy(schema)
        components = document.setdefault("components", {})
        components.setdefault("schemas", {})["Problem"] = PROBLEM
        schemes = components.setdefault("securitySchemes", {})
        schemes["session"] = {"type": "apiKey", "in": "cookie", "name": self.session_cookie}
        if self.csrf_header:
            schemes["csrf"] = {"type": "apiKey", "in": "header", "name": self.csrf_header}
        paths = document.get("paths", {})
        for route in self.app.routes:
            if not isinstance(route, HTTPRoute) or route.path_format not in paths:
                continue
            item = paths[route.path_format]
            for method, (handler, _) in route.route_handler_map.items():
                operation = item.get(method.lower())
                if isinstance(operation, dict):
                    self._operation(route, method, handler, operation)
        return document

    def _operation(
        self, route: HTTPRoute, method: str, handler: Any, operation: dict[str, Any]
    ) -> None:
        path_names = set(route.path_parameters)
        bounds = {p.name: p for p in int_parameters(handler, path_names)}
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            bound = bounds.get(parameter.get("name"))
            if bound is not None and parameter.get("in") in {"path", "query"}:
                _bound(parameter.setdefault("schema", {}), bound.low, bound.high)
        body = "requestBody" in operation
        unsafe = method in UNSAFE
        guards = [guard for guard in handler.resolve_guards() if guard is not bounded_integers]
        personal = bool(guards) or "principal" in handler.parsed_fn_signature.parameters
        csrf = unsafe and self.csrf_header is not None and not self._exempt(route, handler)
        statuses = {429, 500, 503}
        if parameters or body or unsafe:
            statuses |= {400, 422}
        if path_names:
            statuses.add(404)
        if personal:
            statuses |= {401, 403}
        if unsafe:
            # A proof refused (CSRF, a passkey, a signed notification), an object the
            # body names that does not exist, a conflict or a replayed idempotency key.
            statuses |= {401, 403, 404, 409}
        if body:
            statuses.add(413)
        responses = operation.setdefault("responses", {})
        _successes(responses)
        for status in sorted(statuses):
            responses[str(status)] = _answer(status, responses.get(str(status)))
        requirement: dict[str, list[str]] = {
            **({"session": []} if personal else {}),
            **({"csrf": []} if csrf else {}),
        }
        if requirement:
            operation["security"] = [requirement]
            if personal and not guards:
                # Reads who is signed in but admits nobody too (signing out, tracking).
                operation["security"].append({"csrf": []} if csrf else {})

    def _exempt(self, route: HTTPRoute, handler: Any) -> bool:
        if handler.opt.get("exclude_from_csrf"):
            return True
        return bool(self.csrf_exempt and self.csrf_exempt.search(route.path))


def _successes(responses: dict[str, Any]) -> None:
    """Litestar's guesses about successes that the answers contradict: a 204 has no
    body; a ``Response[bytes]`` of JSON (encoded once, for an ETag or a WebAuthn
    library's own encoder) is a JSON value, not a string (a handler that can say
    which names it with ``responses=``)."""
    for status, answer in responses.items():
        if status == "204":
            answer.pop("content", None)
            continue
        json_body = answer.get("content", {}).get("application/json")
        if status.startswith("2") and json_body and json_body.get("schema") == {"type": "string"}:
            json_body["schema"] = {"description": "A JSON value"}


def _bound(schema: dict[str, Any], low: int, high: int) -> None:
    """Bounds on an integer's schema (also inside ``oneOf: [integer, null]``)."""
    if schema.get("type") == "integer":
        schema["minimum"], schema["maximum"] = low, high
    for option in schema.get("oneOf", []):
        _bound(option, low, high)


class ContractPlugin(JsonRenderPlugin):
    """``/schema/openapi.json`` with ``Contract`` applied (computed once per schema)."""

    def __init__(self, *, session_cookie: str) -> None:
        super().__init__()
        self.session_cookie = session_cookie
        self._done: tuple[dict[str, Any], bytes] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._done is None or self._done[0] is not openapi_schema:
            document = Contract(request.app, self.session_cookie).apply(openapi_schema)
            self._done = (openapi_schema, self.render_json(request, document))
        return self._done[1]
