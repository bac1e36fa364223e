"""The assistant's page, ``/tro-ly``: a plain form (GET, so it works without
JavaScript and can be linked), the reply rendered on the server."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from backend.accounts.schemas import Principal
from backend.assistant import service
from backend.settings import Settings
from backend.web.forms import FormErrors, render
from backend.web.templates import language

QuestionQuery = Annotated[str | None, QueryParameter(name="q", max_length=20_000)]


class AssistantPages(Controller):
    include_in_schema = False

    @get("/tro-ly", name="assistant")
    async def ask(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        principal: NamedDependency[Principal | None],
        q: QuestionQuery = None,
    ) -> Template:
        lang = language(request)
        if q is None:
            return render(request, "assistant/ask.html", q="", reply=None)
        try:
            reply = await service.ask(q, lang, principal, settings.assistant.answerer)
        except service.QuestionRefused as refused:
            return render(
                request,
                "assistant/ask.html",
                status_code=refused.status_code,
                # What was typed is shown again, cut to the limit (escaped, as all is).
                q=q[: service.MAX_QUESTION_LENGTH],
                reply=None,
                errors=FormErrors.of_error(refused, lang),
            )
        return render(request, "assistant/ask.html", q=reply.question, reply=reply)


ASSISTANT_PAGES = [AssistantPages]
