"""The feedback pages: the satisfaction survey of a returned dossier and of a counter
visit (from the counter's QR code, no account needed), feedback and petitions
(phản ánh, kiến nghị) with their tracking page and the rating of the answer, the
published answers, and the officials' console: the agency's queue, one feedback with
its photos, the answer and forward forms, and the ratings of their work.

Every page is a plain form that works without JavaScript: mistakes come back in a
summary and next to the fields with what was typed kept; a success redirects (Post,
Redirect, Get). Every rule lives in ``service``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Redirect, Response, Template

from backend.accounts.guards import Principal, require_citizen
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, CounterRead
from backend.catalogue.tokens import InvalidCounterToken, RevokedCounterToken
from backend.dossiers import service as dossiers
from backend.dossiers.console import require_official
from backend.errors import AppError, Conflict, InvalidInput, NotFound, TooManyRequests
from backend.feedback import service
from backend.feedback.api import (
    COUNTER_BUCKET,
    COUNTER_TOKEN,
    FEEDBACK_BODY_LIMIT,
    FEEDBACK_BUCKET,
    check_photo,
    check_rate,
    chosen_photos,
    convert,
    device_of,
    feedback_fields,
    photo_response,
    read_photos,
    set_device_cookie,
)
from backend.feedback.runtime import runtime_of
from backend.feedback.schemas import (
    AnswerIn,
    CounterRatingIn,
    FeedbackDetail,
    FeedbackIn,
    ForwardIn,
    RatingIn,
    RatingRead,
)
from backend.web.templates import language, page
from backend.workdays import service as workdays

CONSOLE = "/can-bo/phan-anh"
# A feedback code in a page's address: anything else is simply not found.
TRACKING_CODE = PathParameter(max_length=24)
PAGE_SIZE = 20
# The console queue's tabs: their name in addresses, and the service's status.
QUEUE_TABS = {"chua-tra-loi": "open", "da-tra-loi": "answered", "tat-ca": "all"}
# Where an error of the service points on the feedback form.
SEND_TARGETS = {
    "category": "category-thu_tuc",
    "text": "text",
    "photos": "photos",
    "file": "photos",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "contact_email": "contact_email",
    "agency_code": "agency_code",
    "agency": "agency_code",
}
RATING_FIELDS = ("overall", *service.CRITERIA, "comment")
SEND_FIELDS = (
    "category",
    "text",
    "contact_name",
    "contact_phone",
    "contact_email",
    "agency_code",
)

# (where the message points: an input's id, or "error-summary"; the message)
Errors = list[tuple[str, str]]


class ErrorList(list[tuple[str, str]]):
    """The errors of a page, as templates read them."""

    def of(self, target: str) -> str:
        return " ".join(message for where, message in self if where == target)


def day(value: dt.date | str | None) -> str:
    """A date as people in Vietnam write it: 23/11/2026."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y") if value else ""


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A feedback page; never cached (not even by the service worker) unless public."""
    public = context.pop("public", False)
    context["errors"] = ErrorList(context.get("errors") or [])
    template = page(
        request,
        name,
        status_code,
        day=day,
        scale=service.SCALE,
        criteria=service.CRITERIA,
        categories=service.CATEGORIES,
        max_photos=service.MAX_PHOTOS,
        console=CONSOLE,
        **context,
    )
    if not public:
        template.headers["Cache-Control"] = "no-store"
    return template


def _text(form: Any, name: str, limit: int = 10_000) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def _error(error: AppError, lang: str, targets: dict[str, str]) -> tuple[str, str]:
    return targets.get(error.field or "", "error-summary"), error.message(lang)


def _too_many(response: Template, error: TooManyRequests) -> Template:
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def _sign_in(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/dang-nhap?next={quote(target, safe='/')}", status_code=303)


async def _agencies() -> dict[str, AgencyRead]:
    return {agency.code: agency for agency in await catalogue.list_agencies()}


# ------------------------------------------------------------------- the survey


def rating_form(
    form: Any, lang: str, *, counter: bool = False
) -> tuple[dict[str, str], RatingIn | None, Errors]:
    """The survey's answers from a form: what was typed (to show again), the Struct
    when every answer is valid, and the errors, each naming its question."""
    vi = lang == "vi"
    names = (*RATING_FIELDS, "stated_code") if counter else RATING_FIELDS
    values = {name: _text(form, name) for name in names}
    errors: Errors = []
    data: dict[str, Any] = {}
    levels = {str(level) for level in service.SCALE}
    if values["overall"] not in levels:
        errors.append(
            (
                "overall-1",
                "Hãy chọn mức độ hài lòng chung của bạn."
                if vi
                else "Choose how satisfied you are overall.",
            )
        )
    else:
        data["overall"] = int(values["overall"])
    for name, (label_vi, label_en) in service.CRITERIA.items():
        value = values[name]
        if not value:
            continue
        if value not in levels:
            errors.append(
                (
                    f"{name}-1",
                    f"Hãy chọn lại mức cho “{label_vi}”."
                    if vi
                    else f"Choose again for “{label_en}”.",
                )
            )
        else:
            data[name] = int(value)
    data["comment"] = values["comment"].strip()
    if counter:
        data["stated_code"] = values["stated_code"].strip()
    kind = CounterRatingIn if counter else RatingIn
    if errors:
        # The other answers are still checked, so every mistake shows at once.
        data.setdefault("overall", 3)
    try:
        parsed = convert(data, kind)
    except InvalidInput as error:
        errors.append((error.field or "error-summary", error.message(lang)))
        return values, None, errors
    return values, (None if errors else parsed), errors


def _rating_values(rating: RatingRead | None) -> dict[str, str]:
    if rating is None:
        return {}
    values = {name: str(getattr(rating, name) or "") for name in RATING_FIELDS}
    values["comment"] = rating.comment
    return values


class DossierRatingPages(Controller):
    """The survey of a dossier whose result was returned: its owner (or a member of
    its organisation) rates it once and may change the rating for seven days."""

    include_in_schema = False
    guards = [require_citizen]

    @get("/ho-so/{dossier_id:int}/danh-gia", name="dossier-rating")
    async def form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        done: Annotated[str, QueryParameter(name="xong", max_length=8)] = "",
    ) -> Template:
        return await _dossier_rating(request, principal, dossier_id, done=done)

    @post("/ho-so/{dossier_id:int}/danh-gia")
    async def rate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Template | Redirect:
        lang = language(request)
        values, data, errors = rating_form(await request.form(), lang)
        status_code = 422
        if data is not None:
            try:
                await service.rate_dossier(runtime_of(request), principal, dossier_id, data)
            except NotFound:
                raise
            except AppError as error:
                errors.append(("error-summary", error.message(lang)))
                status_code = error.status_code
            else:
                return Redirect(f"/ho-so/{dossier_id}/danh-gia?xong=1", status_code=303)
        return await _dossier_rating(
            request, principal, dossier_id, values=values, errors=errors, status_code=status_code
        )


async def _dossier_rating(
    request: Request[Any, Any, Any],
    principal: Principal,
    dossier_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    done: str = "",
    status_code: int = 200,
) -> Template:
    dossier, _ = await dossiers.brief(principal, dossier_id)  # someone else's: 404
    rating = await service.my_rating(principal, dossier_id)
    runtime = runtime_of(request)
    editable = rating is None or (
        rating.editable_until is not None and runtime.now() <= rating.editable_until
    )
    return render(
        request,
        "feedback/rate_dossier.html",
        status_code,
        dossier=dossier,
        rating=rating,
        editable=editable,
        values=values if values is not None else _rating_values(rating),
        errors=errors or [],
        done=done,
    )


# ------------------------------------------------------------------ the counter


async def _counter(request: Request[Any, Any, Any], token: str) -> CounterRead:
    runtime = runtime_of(request)
    return await catalogue.counter_for_token(runtime.secret_key, runtime.counter_key_version, token)


def _bad_counter(request: Request[Any, Any, Any], error: AppError) -> Template:
    """A forged, altered or replaced QR code: the counter page's own explanation."""
    return render(
        request,
        "catalogue/counter.html",
        error.status_code,
        error=error,
        counter=None,
        public=True,
    )


class CounterRatingPages(Controller):
    """Rating today's visit to a counter from its QR code: no account; one device (a
    signed cookie) rates one counter once a day, and one address only so often."""

    include_in_schema = False

    @get("/c/{token:str}/danh-gia", name="counter-rating")
    async def form(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, COUNTER_TOKEN],
        done: Annotated[str, QueryParameter(name="xong", max_length=8)] = "",
    ) -> Template:
        try:
            counter = await _counter(request, token)
        except (InvalidCounterToken, RevokedCounterToken) as error:
            return _bad_counter(request, error)
        device, cookie = device_of(request)
        response = render(
            request,
            "feedback/rate_counter.html",
            counter=counter,
            token=token,
            values={},
            errors=[],
            done=done,
            # Said before the survey, not after the person has filled it in.
            already=not done
            and await service.counter_rated_today(runtime_of(request), token, device),
        )
        if cookie:
            set_device_cookie(response, runtime_of(request), cookie)
        return response

    @post("/c/{token:str}/danh-gia")
    async def rate(
        self, request: Request[Any, Any, Any], token: Annotated[str, COUNTER_TOKEN]
    ) -> Template | Redirect:
        lang = language(request)
        runtime = runtime_of(request)
        form = await request.form()
        try:
            await check_rate(request, COUNTER_BUCKET)
            counter = await _counter(request, token)
        except (InvalidCounterToken, RevokedCounterToken) as error:
            return _bad_counter(request, error)
        except TooManyRequests as error:
            return _too_many(
                render(
                    request,
                    "feedback/rate_counter.html",
                    error.status_code,
                    counter=None,
                    token=token,
                    values={},
                    errors=[("error-summary", error.message(lang))],
                ),
                error,
            )
        values, data, errors = rating_form(form, lang, counter=True)
        device, cookie = device_of(request)
        status_code = 422
        already = False
        if data is not None:
            assert isinstance(data, CounterRatingIn)
            try:
                await service.rate_counter(runtime, token, device, data)
            except Conflict as error:
                errors.append(("error-summary", error.message(lang)))
                status_code, already = error.status_code, True
            except AppError as error:
                errors.append(("error-summary", error.message(lang)))
                status_code = error.status_code
            else:
                response: Template | Redirect = Redirect(
                    f"/c/{token}/danh-gia?xong=1", status_code=303
                )
                if cookie:
                    set_device_cookie(response, runtime, cookie)
                return response
        response = render(
            request,
            "feedback/rate_counter.html",
            status_code,
            counter=counter,
            token=token,
            values=values,
            errors=errors,
            already=already,
        )
        if cookie:
            set_device_cookie(response, runtime, cookie)
        return response


# --------------------------------------------------------------------- feedback


async def _about(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    counter: str,
    procedure: str,
    dossier: str,
) -> tuple[dict[str, Any], str]:
    """What the feedback is about, from the form's hidden fields or the address's
    query: (the target to show and send back, a problem with it to show, or "").
    A bad counter token or procedure code leaves the agency to be chosen."""
    lang = language(request)
    if dossier:
        if principal is None or not dossier.isdigit():
            raise NotFound("Không tìm thấy hồ sơ này.", "No such dossier.", field="dossier_id")
        row, _ = await dossiers.brief(principal, int(dossier))  # someone else's: 404
        return {"kind": "dossier", "dossier_id": row["id"], "dossier": row}, ""
    if counter:
        try:
            found_counter = await _counter(request, counter)
        except AppError as error:
            return {"kind": "agency"}, error.message(lang)
        return {"kind": "counter", "counter_token": counter, "counter": found_counter}, ""
    if procedure:
        try:
            found = await catalogue.get_procedure(procedure)
        except NotFound as error:
            return {"kind": "agency"}, error.message(lang)
        return {"kind": "procedure", "procedure_code": found.code, "procedure": found}, ""
    return {"kind": "agency"}, ""


class FeedbackPages(Controller):
    """Feedback and petitions: the form (anonymous allowed), its tracking page with the
    answer and the rating of the answer, the person's own list, and published answers."""

    include_in_schema = False

    @get("/phan-anh/gui", name="feedback-send")
    async def form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        counter: Annotated[str, QueryParameter(name="c", max_length=200)] = "",
        procedure: Annotated[str, QueryParameter(name="p", max_length=32)] = "",
        dossier: Annotated[str, QueryParameter(name="ho-so", max_length=12)] = "",
    ) -> Template | Redirect:
        if dossier and principal is None:
            return _sign_in(request)
        about, problem = await _about(request, principal, counter, procedure, dossier)
        values = {name: "" for name in SEND_FIELDS}
        if principal is not None and principal.kind == "citizen":
            values["contact_name"] = principal.name
        return await _send_page(request, principal, about, values, problem=problem)

    @post("/phan-anh/gui", request_max_body_size=FEEDBACK_BODY_LIMIT)
    async def send(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> Template | Redirect:
        lang = language(request)
        vi = lang == "vi"
        runtime = runtime_of(request)
        try:
            await check_rate(request, FEEDBACK_BUCKET)  # before any work on what was sent
        except TooManyRequests as error:
            limited: TooManyRequests | None = error
        else:
            limited = None
        form = await request.form()
        values = {name: _text(form, name, 5000) for name in SEND_FIELDS}
        flags = {
            "anonymous": bool(_text(form, "anonymous")),
            "publish_consent": bool(_text(form, "publish_consent")),
        }
        about, problem = await _about(
            request,
            principal,
            _text(form, "counter_token", 200),
            _text(form, "procedure_code", 32),
            _text(form, "dossier_id", 12),
        )
        if limited is not None:
            return _too_many(
                await _send_page(
                    request,
                    principal,
                    about,
                    values,
                    flags,
                    errors=[("error-summary", limited.message(lang))],
                    status_code=limited.status_code,
                ),
                limited,
            )
        errors: Errors = []
        if values["category"] not in service.CATEGORIES:
            errors.append(
                (
                    "category-thu_tuc",
                    "Hãy chọn phản ánh về việc gì." if vi else "Choose what the feedback is about.",
                )
            )
        if not values["text"].strip():
            errors.append(("text", "Hãy viết nội dung phản ánh." if vi else "Write your feedback."))
        fields = feedback_fields(form)
        fields.setdefault("category", "khac")
        fields.setdefault("text", "")
        for name in ("counter_token", "procedure_code", "dossier_id", "agency_code"):
            fields.pop(name, None)
        fields.update({k: v for k, v in about.items() if k in FeedbackIn.__struct_fields__})
        if about["kind"] == "agency" and values["agency_code"]:
            fields["agency_code"] = values["agency_code"]
        data: FeedbackIn | None = None
        try:
            data = convert(fields, FeedbackIn)
        except InvalidInput as error:
            target = SEND_TARGETS.get(error.field or "", "error-summary")
            if not any(where == target for where, _ in errors):
                errors.append((target, error.message(lang)))
        chosen = chosen_photos(form)
        checked = []
        try:
            files = await read_photos(chosen)
        except AppError as error:
            errors.append(("photos", error.message(lang)))
            files = []
        for data_bytes, name in files:
            try:
                checked.append(await check_photo(request, data_bytes, name))
            except AppError as error:
                errors.append(("photos", f"{name}: {error.message(lang)}"))
        if not errors and data is not None:
            try:
                sent = await service.submit(runtime, principal, data, checked)
            except AppError as error:
                errors.append(_error(error, lang, SEND_TARGETS))
            else:
                code = sent.feedback.code
                key = service.tracking_token(runtime.secret_key, code)
                return Redirect(f"/phan-anh/{code}?k={key}&moi=1", status_code=303)
        if chosen:
            errors.append(
                (
                    "photos",
                    "Ảnh chưa được gửi: hãy chọn lại ảnh sau khi sửa."
                    if vi
                    else "The photos were not sent: choose them again after the corrections.",
                )
            )
        return await _send_page(
            request,
            principal,
            about,
            values,
            flags,
            problem=problem,
            errors=errors,
            status_code=422,
        )

    @get("/phan-anh", name="my-feedback", guards=[require_citizen])
    async def mine(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return render(
            request,
            "feedback/mine.html",
            items=await service.mine(principal),
            agencies=await _agencies(),
        )

    @get("/phan-anh/cong-khai", name="published-answers")
    async def published(
        self,
        request: Request[Any, Any, Any],
        procedure: Annotated[str, QueryParameter(name="p", max_length=32)] = "",
        agency: Annotated[str, QueryParameter(name="co-quan", max_length=32)] = "",
    ) -> Template:
        answers = await service.published(procedure or None, agency or None)
        names: dict[str, Any] = {}
        for code in {a.procedure_code for a in answers if a.procedure_code} | (
            {procedure} if procedure else set()
        ):
            try:
                names[code] = await catalogue.get_procedure(code)
            except NotFound:
                continue
        return render(
            request,
            "feedback/published.html",
            answers=answers,
            procedures=names,
            procedure=procedure,
            agency=agency,
            agencies=await _agencies(),
            public=True,
        )

    @get("/phan-anh/{code:str}", name="feedback-tracking")
    async def track(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: Annotated[str, TRACKING_CODE],
        k: Annotated[str, QueryParameter(name="k", max_length=64)] = "",
        new: Annotated[str, QueryParameter(name="moi", max_length=4)] = "",
        done: Annotated[str, QueryParameter(name="xong", max_length=12)] = "",
    ) -> Template | Redirect:
        if not k and principal is None:
            return _sign_in(request)
        return await _tracking(request, principal, code, k, new=new == "1", done=done)

    @post("/phan-anh/{code:str}/danh-gia")
    async def rate_answer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: Annotated[str, TRACKING_CODE],
    ) -> Template | Redirect:
        lang = language(request)
        runtime = runtime_of(request)
        form = await request.form()
        k = _text(form, "k", 64)
        token = k or await service.token_for(runtime, principal, code)
        stars = _text(form, "stars", 2)
        try:
            if stars not in {"1", "2", "3", "4", "5"}:
                raise InvalidInput(
                    "Hãy chọn số sao cho câu trả lời.",
                    "Choose how many stars the answer deserves.",
                    field="stars",
                )
            await service.rate_answer(runtime, code, token, int(stars))
        except NotFound:
            raise
        except AppError as error:
            target = "stars-1" if error.field == "stars" and stars == "" else "error-summary"
            return await _tracking(
                request,
                principal,
                code,
                k,
                errors=[(target, error.message(lang))],
                status_code=error.status_code,
            )
        query = urlencode({**({"k": k} if k else {}), "xong": "danh-gia"})
        return Redirect(f"/phan-anh/{code}?{query}#danh-gia", status_code=303)


async def _send_page(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    about: dict[str, Any],
    values: dict[str, str],
    flags: dict[str, bool] | None = None,
    *,
    problem: str = "",
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "feedback/send.html",
        status_code,
        about=about,
        problem=problem,
        values=values,
        flags=flags or {"anonymous": False, "publish_consent": False},
        agencies=list((await _agencies()).values()) if about["kind"] == "agency" else [],
        signed_in=principal is not None and principal.kind == "citizen",
        errors=errors or [],
    )


async def _tracking(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    code: str,
    k: str,
    *,
    new: bool = False,
    done: str = "",
    errors: Errors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    token = k or await service.token_for(runtime, principal, code)
    feedback = await service.track(runtime, code, token)
    try:
        agency: AgencyRead | None = await catalogue.get_agency(feedback.agency_code)
    except NotFound:
        agency = None
    response = render(
        request,
        "feedback/track.html",
        status_code,
        feedback=feedback,
        agency=agency,
        k=k,
        new=new,
        done=done,
        errors=errors or [],
    )
    # The address holds the key: never sent on to other sites.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --------------------------------------------------------------------- console


def _label(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "vi" else pair[1]


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
    """The officials' side: the agency's feedback with its deadlines, one feedback to
    answer or forward, and the ratings of their work."""

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
        agencies = await _agencies()
        return render(
            request,
            "feedback/console_queue.html",
            principal=principal,
            agency=agencies.get(principal.agency_code or ""),
            agencies=agencies,
            tab=tab,
            results=results,
            counts={
                "chua-tra-loi": results.open,
                "da-tra-loi": results.answered,
                "tat-ca": results.open + results.answered,
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
        return await _console_item(request, principal, feedback_id, done=done)

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
        lang = language(request)
        form = await request.form()
        answer_text = _text(form, "answer")
        publish = bool(_text(form, "publish"))
        posted: dict[str, Any] = {"answer": answer_text, "publish": publish}
        try:
            if not answer_text.strip():
                raise InvalidInput(
                    "Hãy viết câu trả lời cho người phản ánh.",
                    "Write the answer to the person.",
                    field="answer",
                )
            data = convert({"answer": answer_text.strip(), "publish": publish}, AnswerIn)
            await service.answer(runtime_of(request), principal, feedback_id, data)
        except NotFound:
            raise
        except AppError as error:
            target = {"answer": "answer", "publish": "publish"}.get(error.field or "", "")
            return await _console_item(
                request,
                principal,
                feedback_id,
                errors=[(target or "error-summary", error.message(lang))],
                posted=posted,
                status_code=error.status_code,
            )
        return Redirect(f"{CONSOLE}/{feedback_id}?xong=tra-loi#thong-bao", status_code=303)

    @post("/phan-anh/{feedback_id:int}/chuyen", name="console-feedback-forward")
    async def forward(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
    ) -> Template | Redirect:
        lang = language(request)
        form = await request.form()
        posted = {"agency_code": _text(form, "agency_code", 32), "note": _text(form, "note")}
        try:
            if not posted["agency_code"]:
                raise InvalidInput(
                    "Hãy chọn cơ quan nhận phản ánh.",
                    "Choose the agency to pass it to.",
                    field="agency_code",
                )
            data = convert(posted, ForwardIn)
            result = await service.forward(runtime_of(request), principal, feedback_id, data)
        except AppError as error:
            if isinstance(error, NotFound) and error.field != "agency":
                raise
            target = {"agency_code": "agency_code", "agency": "agency_code", "note": "note"}
            return await _console_item(
                request,
                principal,
                feedback_id,
                errors=[(target.get(error.field or "", "error-summary"), error.message(lang))],
                posted=posted,
                status_code=error.status_code,
            )
        return Redirect(f"{CONSOLE}?xong=chuyen&ma={result.code}#thong-bao", status_code=303)

    @get("/danh-gia", name="console-ratings")
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        days: Annotated[int, QueryParameter(name="ngay", ge=7, le=366)] = 90,
    ) -> Template:
        agencies = await _agencies()
        return render(
            request,
            "feedback/console_ratings.html",
            principal=principal,
            agency=agencies.get(principal.agency_code or ""),
            ratings=await service.official_ratings(runtime_of(request), principal, days),
            days=days,
        )


async def _console_item(
    request: Request[Any, Any, Any],
    principal: Principal,
    feedback_id: int,
    *,
    done: str = "",
    errors: Errors | None = None,
    posted: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    item = await service.detail(runtime, principal, feedback_id)
    agencies = await _agencies()
    counter_name = ""
    if item.counter_number is not None:
        try:
            counter = await catalogue.get_counter(item.first_agency, item.counter_number)
            counter_name = _label((counter.name_vi, counter.name_en), language(request))
        except NotFound:
            counter_name = ""
    procedure = None
    if item.procedure_code:
        try:
            procedure = await catalogue.get_procedure(item.procedure_code)
        except NotFound:
            procedure = None
    return render(
        request,
        "feedback/console_item.html",
        status_code,
        principal=principal,
        item=item,
        agencies=agencies,
        others=[a for code, a in agencies.items() if code != item.agency_code],
        counter_name=counter_name,
        procedure=procedure,
        timing=await _timing([item], runtime.today()),
        posted=posted or {},
        errors=errors or [],
        done=done,
    )


FEEDBACK_PAGES: list[Any] = [
    DossierRatingPages,
    CounterRatingPages,
    FeedbackPages,
    ConsoleFeedbackPages,
]
