"""The assistant's JSON API: ``GET /api/assistant?q=...``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from backend.accounts.schemas import Principal
from backend.assistant import service
from backend.assistant.schemas import AssistantReply
from backend.settings import Settings
from backend.web.errors import EXCEPTION_HANDLERS, PROBLEM_JSON, problem_body
from backend.web.templates import language

# The documented limit is the question's own (and keeps every valid request's address
# within what the server reads).
QuestionQuery = Annotated[str, QueryParameter(name="q", max_length=service.MAX_QUESTION_LENGTH)]


def _refused(request: Request[Any, Any, Any], error: ValidationException) -> Response[Any]:
    """A question over the limit is refused before the handler: answered with the
    assistant's own message, which names the limit and the length, in both languages."""
    extra = error.extra if isinstance(error.extra, list) else []
    if any(isinstance(item, dict) and item.get("key") == "q" for item in extra):
        try:
            service.checked(request.query_params.get("q", ""))
        except service.QuestionRefused as refused:
            body = problem_body(refused, refused.status_code, language(request))
            return Response(body, status_code=refused.status_code, media_type=PROBLEM_JSON)
    return EXCEPTION_HANDLERS[ValidationException](request, error)


class AssistantApi(Controller):
    path = "/api/assistant"
    tags = ["assistant"]
    exception_handlers = {ValidationException: _refused}

    @get(
        "",
        operation_id="askAssistant",
        summary="Ask the assistant a question in everyday Vietnamese (or English)",
        description=(
            "Answers from the procedure catalogue only: 'found' with up to three "
            "procedures (what to bring, the fee, the working days, where to go, links), "
            "each cited by code and page; 'unknown' with the catalogue search and whom to "
            "ask; 'refused' for a question in another language. A question is at most "
            f"{service.MAX_QUESTION_LENGTH} characters (longer, or empty: 400, with a "
            "message naming the limit). "
            "Nothing is stored."
        ),
        cache_control=None,
    )
    async def ask(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal | None],
        q: QuestionQuery = "",
    ) -> Response[AssistantReply]:
        reply = await service.ask(q, language(request), principal, settings.assistant.answerer)
        # The reply may name the commune of a signed-in person's address.
        return Response(reply, headers={"Cache-Control": "no-store"})


ASSISTANT_API = [AssistantApi]
