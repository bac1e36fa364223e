"""The officials' side, in the console's shell: the agency's feedback with its
deadlines, one feedback with its photos to answer or forward (or, held in a burst, to
release or reject), the ratings of the officials' work and of their agency with the
leader's review list, and each counter's screen showing the code that proves a visit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import Principal, require_official
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import CounterRead, ProcedureRead
from backend.documents import qr_svg
from backend.errors import AppError, InvalidInput, NotFound
from backend.feedback import service
from backend.feedback.pages.common import (
    FEEDBACK_CONSOLE,
    RATINGS_CONSOLE,
    agencies,
    errors_of,
    show,
    show_console,
)
from backend.feedback.requests import photo_response
from backend.feedback.runtime import runtime_of
from backend.feedback.schemas import AnswerIn, Decision, FeedbackDetail, ForwardIn
from backend.feedback.service.labels import FIELDS
from backend.i18n import N_
from backend.web.forms import FormErrors, convert, text
from backend.web.templates import language
from backend.workdays import service as workdays

PAGE_SIZE = 20
# The queue's tabs: their name in addresses, and the service's status.
QUEUE_TABS = {
    "chua-tra-loi": "open",
    "da-tra-loi": "answered",
    "tat-ca": "all",
    "cho-duyet": "held",
}
ANSWER_TARGETS = {"answer": "answer", "publish": "publish"}
FORWARD_TARGETS = {"agency_code": "agency_code", "agency": "agency_code", "note": "note"}


async def _timing(items: list[FeedbackDetail], today: dt.date) -> dict[int, int]:
    """For each open feedback, its working days left (negative: days overdue)."""
    calendar = await workdays.load()
    timing: dict[int, int] = {}
    for item in items:
        if item.status != "open":
            continue
        if item.due_date >= today:
            timing[item.id] = calendar.working_days_between(today, item.due_date)
        else:
            timing[item.id] = -calendar.working_days_between(item.due_date, today)
    return timing


class ConsoleFeedbackPages(Controller):
    path = "/can-bo"
    include_in_schema = False
    guards = [require_official]

    @get("/phan-anh", name="console-feedback")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        tab: Annotated[str, QueryParameter(name="loai", max_length=16)] = "chua-tra-loi",
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
        done: Annotated[str, QueryParameter(name="xong", max_length=12)] = "",
        code: Annotated[str, QueryParameter(name="ma", max_length=24)] = "",
    ) -> Template:
        runtime = runtime_of(request)
        tab = tab if tab in QUEUE_TABS else "chua-tra-loi"
        results = await service.queue(
            runtime, principal, QUEUE_TABS[tab], page=page_number, page_size=PAGE_SIZE
        )
        known = await agencies()
        return show_console(
            request,
            "feedback/console_queue.html",
            principal=principal,
            section="feedback",
            agency=known.get(principal.agency_code or ""),
            tab=tab,
            results=results,
            counts={
                "chua-tra-loi": results.open,
                "da-tra-loi": results.answered,
                "tat-ca": results.open + results.answered,
                "cho-duyet": results.held,
            },
            pages=max(1, (results.total + PAGE_SIZE - 1) // PAGE_SIZE),
            timing=await _timing(results.items, runtime.today()),
            done=done,
            code=code,
        )

    @get("/phan-anh/{feedback_id:int}", name="console-feedback-item")
    async def item(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=12)] = "",
    ) -> Template:
        return await _item_page(request, principal, feedback_id, done=done)

    @get("/phan-anh/{feedback_id:int}/anh/{number:int}", name="console-feedback-photo")
    async def photo(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
        number: FromPath[int],
    ) -> Response[bytes]:
        data, media_type = await service.photo(
            runtime_of(request), principal, feedback_id, number - 1
        )
        return photo_response(data, media_type, feedback_id, number)

    @post("/phan-anh/{feedback_id:int}/tra-loi", name="console-feedback-answer")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        posted = {"answer": text(form, "answer", 10_000), "publish": bool(text(form, "publish"))}
        try:
            data = convert(posted, AnswerIn, FIELDS)
            await service.answer(runtime_of(request), principal, feedback_id, data)
        except NotFound:
            raise
        except AppError as error:
            return await _item_page(
                request,
                principal,
                feedback_id,
                errors=errors_of(error, language(request), ANSWER_TARGETS),
                posted=posted,
                status_code=error.status_code,
            )
        return Redirect(f"{FEEDBACK_CONSOLE}/{feedback_id}?xong=tra-loi#thong-bao", status_code=303)

    @post("/phan-anh/{feedback_id:int}/chuyen", name="console-feedback-forward")
    async def forward(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
    ) -> Template | Redirect:
        form = await request.form()
        posted = {"agency_code": text(form, "agency_code", 100), "note": text(form, "note", 10_000)}
        try:
            data = convert(posted, ForwardIn, FIELDS)
            moved = await service.forward(runtime_of(request), principal, feedback_id, data)
        except AppError as error:
            # The feedback not found (no longer this agency's) is a 404; an unknown
            # agency chosen is a mistake on the form.
            if isinstance(error, NotFound) and error.field != "agency":
                raise
            return await _item_page(
                request,
                principal,
                feedback_id,
                errors=errors_of(error, language(request), FORWARD_TARGETS),
                posted=posted,
                status_code=error.status_code,
            )
        return Redirect(
            f"{FEEDBACK_CONSOLE}?xong=chuyen&ma={moved.code}#thong-bao", status_code=303
        )

    @post("/phan-anh/{feedback_id:int}/duyet", name="console-feedback-review")
    async def review(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
    ) -> Template | Redirect:
        decision = _decision(await request.form())
        try:
            reviewed = await service.review_feedback(
                runtime_of(request), principal, feedback_id, decision
            )
        except NotFound:
            raise
        except AppError as error:
            return await _item_page(
                request,
                principal,
                feedback_id,
                errors=errors_of(error, language(request), {}),
                status_code=error.status_code,
            )
        return Redirect(
            f"{FEEDBACK_CONSOLE}?loai=cho-duyet&xong=duyet&ma={reviewed.code}#thong-bao",
            status_code=303,
        )

    @get("/danh-gia", name="console-ratings")
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        days: Annotated[int, QueryParameter(name="ngay", ge=7, le=366)] = 90,
        done: Annotated[str, QueryParameter(name="xong", max_length=12)] = "",
    ) -> Template:
        return await _ratings_page(request, principal, days, done=done)

    @post("/danh-gia/{rating_id:int}/duyet", name="console-rating-review")
    async def review_rating(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        rating_id: FromPath[int],
    ) -> Template | Redirect:
        decision = _decision(await request.form())
        try:
            await service.review_rating(runtime_of(request), principal, rating_id, decision)
        except AppError as error:
            return await _ratings_page(
                request,
                principal,
                errors=errors_of(error, language(request), {}),
                status_code=error.status_code,
            )
        return Redirect(f"{RATINGS_CONSOLE}?xong=duyet#cho-duyet", status_code=303)

    @get("/danh-gia/quay/{number:int}", name="console-counter-code")
    async def counter_code(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        number: FromPath[int],
    ) -> Template:
        """The counter's screen, turned towards the people it serves: the code that
        proves their visit, as digits and as a QR code of the survey with the code
        filled in. The page reloads itself when the code changes (no script needed)."""
        runtime = runtime_of(request)
        code = await service.visit_code(runtime, principal, number)
        counter = await catalogue.get_counter(code.agency_code, number)
        seconds = max(1, int((code.changes_at - runtime.now()).total_seconds()) + 1)
        response = show(
            request,
            "feedback/counter_code.html",
            counter=counter,
            visit=code,
            qr=qr_svg(code.rating_url).decode(),
            refresh=seconds,
        )
        response.headers["Cache-Control"] = "no-store"
        return response


def _decision(form: Any) -> Decision:
    """The button pressed: release or reject."""
    value = text(form, "decision", 16)
    if value == "release":
        return "release"
    if value == "reject":
        return "reject"
    raise InvalidInput(N_("Hãy chọn tiếp nhận hoặc loại bỏ."), field="decision")


async def _ratings_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    days: int = 90,
    *,
    done: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    known = await agencies()
    agency = principal.agency_code or ""
    return show_console(
        request,
        "feedback/console_ratings.html",
        status_code,
        principal=principal,
        section="ratings",
        agency=known.get(agency),
        ratings=await service.official_ratings(runtime_of(request), principal, days),
        # The leader's review list; the counters whose screens show their visit codes.
        held=await service.held_ratings(principal) if principal.role == "leader" else [],
        counters=await catalogue.counters_of(agency) if agency in known else [],
        days=days,
        done=done,
        errors=errors,
    )


async def _item_page(
    request: Request[Any, Any, Any],
    principal: Principal,
    feedback_id: int,
    *,
    done: str = "",
    errors: FormErrors | None = None,
    posted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    item = await service.detail(runtime, principal, feedback_id)
    known = await agencies()
    counter: CounterRead | None = None
    if item.counter_number is not None:
        try:
            counter = await catalogue.get_counter(item.first_agency, item.counter_number)
        except NotFound:
            counter = None
    procedure: ProcedureRead | None = None
    if item.procedure_code:
        try:
            procedure = await catalogue.get_procedure(item.procedure_code)
        except NotFound:
            procedure = None
    return show_console(
        request,
        "feedback/console_item.html",
        status_code,
        principal=principal,
        section="feedback",
        item=item,
        agencies=known,
        others=[a for code, a in known.items() if code != item.agency_code],
        counter=counter,
        procedure=procedure,
        timing=await _timing([item], runtime.today()),
        posted=posted or {},
        errors=errors,
        done=done,
    )
