"""The satisfaction survey: of a returned dossier (its owner, or a member of its
organisation, rates it once and may change the rating for seven days), and of today's
visit to a counter from its QR code (no account; the code the counter shows proves the
visit; one device rates one counter once a day).

A refused survey comes back with every mistake named at its question and what was
chosen kept; a rating sent redirects (Post, Redirect, Get).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import Principal, require_citizen
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierRead
from backend.errors import AppError, Conflict, NotFound
from backend.feedback import service
from backend.feedback.pages.common import counter_of, errors_of, show
from backend.feedback.requests import COUNTER_TOKEN, device_of, rate_counter
from backend.feedback.requests import set_device_cookie as keep_device
from backend.feedback.runtime import runtime_of
from backend.feedback.schemas import CounterRatingIn, RatingIn, RatingRead
from backend.feedback.service.labels import CRITERIA, FIELDS
from backend.web.blocks import Block, BlockState
from backend.web.errors import with_retry_after
from backend.web.forms import FormErrors, convert, text
from backend.web.templates import language

Rated = TypeVar("Rated", bound=RatingIn)
DONE = QueryParameter(name="xong", max_length=8)
VISIT_CODE = QueryParameter(name="ma", max_length=16)
ANSWERS = ("overall", *CRITERIA, "comment")
# Where a problem with an answer points: the first choice of its question.
TARGETS = {
    "overall": "overall-1",
    **{name: f"{name}-1" for name in CRITERIA},
    "comment": "comment",
    "stated_code": "stated_code",
    "visit_code": "visit_code",
}


def answers_of(form: Any, *, counter: bool) -> dict[str, str]:
    """The survey's answers as sent (to show again)."""
    names = (*ANSWERS, "visit_code", "stated_code") if counter else ANSWERS
    return {name: text(form, name, 10_000) for name in names}


def rating_of(answers: dict[str, str], kind: type[Rated]) -> Rated:
    """The answers as the service's Struct: the overall question must be answered (an
    empty answer is refused), the others may be left out."""
    given = {name: value for name, value in answers.items() if name == "overall" or value.strip()}
    return convert(given, kind, FIELDS)


def _answers_given(rating: RatingRead | None) -> dict[str, str]:
    if rating is None:
        return {}
    answers = {name: str(getattr(rating, name) or "") for name in ANSWERS}
    answers["comment"] = rating.comment
    return answers


async def dossier_box(
    request: Request[Any, Any, Any], dossier: DossierRead, state: BlockState | None
) -> Block:
    """The citizen's dossier page ("dossier.citizen"): the way to rate it once the result
    is returned, and to send feedback about it."""
    return Block("feedback/_dossier_box.html", dossier)


class DossierRatingPages(Controller):
    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/danh-gia", name="dossier-rating")
    async def form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, DONE] = "",
    ) -> Template:
        return await _dossier_survey(request, principal, dossier_id, done=done)

    @post("/ho-so/{dossier_id:int}/danh-gia")
    async def rate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        answers = answers_of(await request.form(), counter=False)
        try:
            data = rating_of(answers, RatingIn)
            await service.rate_dossier(runtime_of(request), principal, dossier_id, data)
        except NotFound:
            raise
        except AppError as error:
            return await _dossier_survey(
                request,
                principal,
                dossier_id,
                answers=answers,
                errors=errors_of(error, language(request), TARGETS),
                status_code=error.status_code,
            )
        return Redirect(f"/ho-so/{dossier_id}/danh-gia?xong=1", status_code=303)


async def _dossier_survey(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    *,
    answers: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    done: str = "",
    status_code: int = 200,
) -> Template:
    dossier = await dossiers.brief(principal, dossier_id)  # someone else's: 404
    rating = await service.my_rating(principal, dossier_id)
    editable = rating is None or (
        rating.editable_until is not None and runtime_of(request).now() <= rating.editable_until
    )
    return show(
        request,
        "feedback/rate_dossier.html",
        status_code,
        dossier=dossier,
        rating=rating,
        editable=editable,
        values=answers if answers is not None else _answers_given(rating),
        errors=errors,
        done=done,
    )


def _refused_code(request: Request[Any, Any, Any], error: AppError) -> Template:
    """A forged, altered or replaced QR code (or a counter no longer listed)."""
    return show(
        request, "feedback/counter_refused.html", error.status_code, error=error, public=True
    )


class CounterRatingPages(Controller):
    include_in_schema = False

    @get("/c/{token:str}/danh-gia", name="counter-rating")
    async def form(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, COUNTER_TOKEN],
        done: Annotated[str, DONE] = "",
        code: Annotated[str, VISIT_CODE] = "",
    ) -> Template:
        try:
            counter = await counter_of(request, token)
        except AppError as error:
            return _refused_code(request, error)
        runtime = runtime_of(request)
        device, cookie = device_of(request)
        response = show(
            request,
            "feedback/rate_counter.html",
            counter=counter,
            token=token,
            # The counter's screen shows a QR code of this page with its code filled in.
            values={"visit_code": code},
            visit_minutes=runtime.visit_code_minutes,
            done=done,
            # Said before the survey, not after the person has filled it in.
            already=not done and await service.counter_rated_today(runtime, token, device),
        )
        if cookie:
            keep_device(response, runtime, cookie)
        return response

    @post("/c/{token:str}/danh-gia")
    async def rate(
        self, request: Request[Any, Any, Any], token: Annotated[str, COUNTER_TOKEN]
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        form = await request.form()
        try:
            counter = await counter_of(request, token)
        except AppError as error:
            return _refused_code(request, error)
        answers = answers_of(form, counter=True)
        device, cookie = device_of(request)
        try:
            data = rating_of(answers, CounterRatingIn)
            rating = await rate_counter(request, token, device, data)
        except AppError as error:
            refused = show(
                request,
                "feedback/rate_counter.html",
                error.status_code,
                counter=counter,
                token=token,
                values=answers,
                visit_minutes=runtime.visit_code_minutes,
                errors=errors_of(error, language(request), TARGETS),
                already=isinstance(error, Conflict),
            )
            response: Template | Redirect = with_retry_after(refused, error)
        else:
            # Held (one of a burst at this counter): thanked, and told it is checked first.
            outcome = "1" if rating.status == "counted" else "cho"
            response = Redirect(f"/c/{token}/danh-gia?xong={outcome}", status_code=303)
        if cookie:
            keep_device(response, runtime, cookie)
        return response
