"""Feedback and petitions (phản ánh, kiến nghị) from the sender's side: the form
(anonymous allowed, up to three photos), its tracking page with the answer and the
rating of the answer, the person's own list, and the published answers.

What the feedback is about comes from the link that opened the form (a counter's QR
code, a procedure, a dossier) and travels in hidden fields. A refused form comes back
with every problem at once, what was typed kept, and the photos that passed their
check kept too (``service.kept``: shown as thumbnails, each can be left out), so a
photo travels over a slow network once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import Principal, SignInRequired, require_citizen
from backend.attachments import FILE_HEADERS, CheckedFile
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead, CounterRead, ProcedureRead
from backend.dossiers import service as dossiers
from backend.dossiers.schemas import DossierBrief
from backend.errors import (
    AppError,
    FieldProblem,
    InvalidInput,
    NotFound,
    Problems,
    TooManyRequests,
)
from backend.feedback import service
from backend.feedback.pages.common import agencies, counter_of, errors_of, show
from backend.feedback.requests import (
    FEEDBACK_BODY_LIMIT,
    FEEDBACK_BUCKET,
    check_rate,
    chosen_photos,
    feedback_fields,
    read_photos,
)
from backend.feedback.runtime import FeedbackRuntime, runtime_of
from backend.feedback.schemas import AnswerRatingIn, FeedbackIn, FeedbackSent
from backend.feedback.service.labels import FIELDS
from backend.i18n import N_, Translatable
from backend.web.errors import with_retry_after
from backend.web.forms import FormErrors, convert, text
from backend.web.templates import language

# A feedback code in a page's address: anything else is simply not found.
TRACKING_CODE = PathParameter(max_length=24)
# What was typed, shown again after a refusal.
TYPED = ("category", "text", "contact_name", "contact_phone", "contact_email", "agency_code")
# The form's fields from top to bottom.
FORM_ORDER = (
    "agency_code",
    "agency",
    "category",
    "text",
    "photos",
    "contact_name",
    "contact_phone",
    "contact_email",
)
# Where a problem points on the feedback form.
TARGETS = {
    "category": "category-thu_tuc",
    "text": "text",
    "photos": "photos",
    "contact_name": "contact_name",
    "contact_phone": "contact_phone",
    "contact_email": "contact_email",
    "agency_code": "agency_code",
    "agency": "agency_code",
}
# Photos sent while the address was over its limit are not taken in (no work is done
# for such a request); the photos kept before stay.
_PHOTOS_AGAIN = N_("Ảnh chưa được gửi: hãy chọn lại ảnh sau khi sửa.")
# The signed list of kept photos: three entries of at most a few hundred characters.
KEPT_FIELD_LENGTH = 4096


def _in_form_order(problem: FieldProblem) -> int:
    """Where a problem's field is on the form (the summary lists them in that order)."""
    return FORM_ORDER.index(problem.field) if problem.field in FORM_ORDER else len(FORM_ORDER)


class _Refused(Exception):
    """A refused form, with the photos it now keeps."""

    def __init__(self, error: AppError, kept: list[service.KeptPhoto]) -> None:
        super().__init__(error)
        self.error = error
        self.kept = kept


@dataclass(frozen=True, slots=True)
class About:
    """What the feedback is about, as the form shows it and sends it back."""

    kind: Literal["dossier", "counter", "procedure", "agency"]
    dossier: DossierBrief | None = None
    counter: CounterRead | None = None
    counter_token: str = ""
    procedure: ProcedureRead | None = None
    # The agencies that carry the procedure out, and the one chosen (on its page).
    agencies: tuple[AgencyRead, ...] = ()
    agency_code: str = ""
    # Why the link's counter or procedure could not be used (the agency is chosen).
    problem: Translatable | None = None

    def fields(self) -> dict[str, Any]:
        """FeedbackIn's fields naming the target."""
        if self.dossier is not None:
            return {"dossier_id": self.dossier.id}
        if self.counter is not None:
            return {"counter_token": self.counter_token}
        if self.procedure is not None:
            return {"procedure_code": self.procedure.code, "agency_code": self.agency_code or None}
        return {}


async def _about(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    counter: str,
    procedure: str,
    dossier: str,
    agency: str = "",
) -> About:
    """What the feedback is about, from the form's hidden fields or the address's query.
    A bad counter token or procedure code leaves the agency to be chosen."""
    if dossier:
        if principal is None or not dossier.isdigit():
            raise NotFound(N_("Không tìm thấy hồ sơ này."), field="dossier_id")
        # Someone else's dossier: 404.
        return About("dossier", dossier=await dossiers.brief(principal, int(dossier)))
    if counter:
        try:
            found = await counter_of(request, counter)
        except AppError as error:
            return About("agency", problem=error.text)
        return About("counter", counter=found, counter_token=counter)
    if procedure:
        try:
            found_procedure = await catalogue.get_procedure(procedure)
        except NotFound as error:
            return About("agency", problem=error.text)
        agencies = tuple(await catalogue.agencies_of(found_procedure.code))
        return About(
            "procedure",
            procedure=found_procedure,
            agencies=agencies,
            agency_code=agency if len(agencies) > 1 else agencies[0].code,
        )
    return About("agency")


async def _sent(
    runtime: FeedbackRuntime,
    principal: Principal | None,
    form: Any,
    about: About,
    kept: list[service.KeptPhoto],
) -> FeedbackSent:
    """Send the form's feedback with the photos it keeps and those just chosen, or raise
    _Refused naming all that is wrong, with every photo that passed its check kept."""
    # What it is about is what the page made of the hidden fields (a bad counter code
    # leaves the agency to be chosen).
    fields = {
        name: value
        for name, value in feedback_fields(form).items()
        if name not in {"dossier_id", "counter_token", "procedure_code", "agency_code"}
    }
    fields.update(about.fields())
    chosen_agency = text(form, "agency_code", 100, strip=True)
    if about.kind == "agency" and chosen_agency:
        fields["agency_code"] = chosen_agency
    problems = Problems()
    photos: list[CheckedFile] = []
    try:
        held, gone = await service.read_kept(runtime, kept)
        for photo in gone:
            problems.add(
                "photos", N_("%(name)s: ảnh không còn được giữ, hãy chọn lại ảnh.", name=photo.name)
            )
        kept = [photo for photo in kept if photo not in gone]
        files: list[service.Upload] = []
        with problems.noting():
            files = await read_photos(chosen_photos(form))
        photos = await service.checked_photos(runtime, files, problems, kept=len(kept))
        data: FeedbackIn | None = None
        with problems.noting():
            data = convert(fields, FeedbackIn, FIELDS)
        if data is not None and not problems:
            return await service.submit(runtime, principal, data, checked=[*held, *photos])
        # Something is wrong already: the other fields are checked all the same (without
        # the photos), so that every problem shows at once.
        if data is not None:
            with problems.noting():
                await service.check_fields(runtime, principal, data)
        raise InvalidInput(problems=sorted(problems.items, key=_in_form_order))
    except AppError as error:
        raise _Refused(error, [*kept, *await service.keep(runtime, photos)]) from error


class FeedbackPages(Controller):
    include_in_schema = False

    @get("/phan-anh/gui", name="feedback-send")
    async def form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        counter: Annotated[str, QueryParameter(name="c", max_length=200)] = "",
        procedure: Annotated[str, QueryParameter(name="p", max_length=32)] = "",
        dossier: Annotated[str, QueryParameter(name="ho-so", max_length=12)] = "",
        agency: Annotated[str, QueryParameter(name="co-quan", max_length=32)] = "",
    ) -> Template:
        if dossier and principal is None:
            raise SignInRequired()
        about = await _about(request, principal, counter, procedure, dossier, agency)
        typed = {name: "" for name in TYPED}
        if principal is not None and principal.kind == "citizen":
            typed["contact_name"] = principal.name
        return await _send_page(request, principal, about, typed)

    @post("/phan-anh/gui", request_max_body_size=FEEDBACK_BODY_LIMIT)
    async def send(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> Template | Redirect:
        lang = language(request)
        runtime = runtime_of(request)
        limited: TooManyRequests | None = None
        try:
            await check_rate(request, FEEDBACK_BUCKET)  # before any work on what was sent
        except TooManyRequests as error:
            limited = error
        form = await request.form()
        typed = {name: text(form, name, 10_000) for name in TYPED}
        flags = {
            "anonymous": bool(text(form, "anonymous")),
            "publish_consent": bool(text(form, "publish_consent")),
        }
        about = await _about(
            request,
            principal,
            text(form, "counter_token", 200),
            text(form, "procedure_code", 32),
            text(form, "dossier_id", 12),
            text(form, "agency_code", 32, strip=True),
        )
        # The photos a refused form kept, but those the person chose to leave out.
        left_out = {value for value in form.getall("drop_photo", []) if isinstance(value, str)}
        kept = [
            photo
            for number, photo in enumerate(
                service.kept_photos(runtime, text(form, "kept_photos", KEPT_FIELD_LENGTH)), 1
            )
            if str(number) not in left_out
        ]
        if limited is not None:
            errors = errors_of(limited, lang, {})
            if chosen_photos(form):
                errors.append(("photos", _PHOTOS_AGAIN.render(lang)))
            page = await _send_page(
                request,
                principal,
                about,
                typed,
                flags,
                kept=kept,
                errors=errors,
                status_code=limited.status_code,
            )
            return with_retry_after(page, limited)
        try:
            sent = await _sent(runtime, principal, form, about, kept)
        except _Refused as refused:
            return await _send_page(
                request,
                principal,
                about,
                typed,
                flags,
                kept=refused.kept,
                errors=errors_of(refused.error, lang, TARGETS),
                status_code=422,
            )
        code = sent.feedback.code
        key = service.tracking_token(runtime.secret_key, code)
        return Redirect(f"/phan-anh/{code}?k={key}&moi=1", status_code=303)

    @get("/phan-anh/anh-giu/{number:int}", name="feedback-kept-photo")
    async def kept_photo(
        self,
        request: Request[Any, Any, Any],
        number: Annotated[int, PathParameter(ge=1, le=service.MAX_PHOTOS)],
        token: Annotated[str, QueryParameter(name="t", max_length=KEPT_FIELD_LENGTH)],
    ) -> Response[bytes]:
        """A small picture of a photo a refused form keeps (the token is the form's)."""
        data = await service.kept_thumbnail(runtime_of(request), token, number)
        return Response(data, media_type="image/jpeg", headers=dict(FILE_HEADERS))

    @get("/phan-anh", name="my-feedback", guards=[require_citizen])
    async def mine(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        return show(
            request,
            "feedback/mine.html",
            items=await service.mine(principal),
            agencies=await agencies(),
        )

    @get("/phan-anh/cong-khai", name="published-answers")
    async def published(
        self,
        request: Request[Any, Any, Any],
        procedure: Annotated[str, QueryParameter(name="p", max_length=32)] = "",
        agency: Annotated[str, QueryParameter(name="co-quan", max_length=32)] = "",
    ) -> Template:
        answers = await service.published(procedure or None, agency or None)
        procedures: dict[str, ProcedureRead] = {}
        for code in {a.procedure_code for a in answers if a.procedure_code} | (
            {procedure} if procedure else set()
        ):
            try:
                procedures[code] = await catalogue.get_procedure(code)
            except NotFound:
                continue
        return show(
            request,
            "feedback/published.html",
            answers=answers,
            procedures=procedures,
            procedure=procedure,
            agency=agency,
            agencies=await agencies(),
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
    ) -> Template:
        if not k and principal is None:
            raise SignInRequired()
        return await _tracking(request, principal, code, k, new=new == "1", done=done)

    @post("/phan-anh/{code:str}/danh-gia")
    async def rate_answer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: Annotated[str, TRACKING_CODE],
    ) -> Template | Redirect:
        runtime = runtime_of(request)
        form = await request.form()
        k = text(form, "k", 64)
        token = k or await service.token_for(runtime, principal, code)
        try:
            data = convert({"stars": text(form, "stars", 2)}, AnswerRatingIn, FIELDS)
            await service.rate_answer(runtime, code, token, data.stars)
        except NotFound:
            raise
        except AppError as error:
            return await _tracking(
                request,
                principal,
                code,
                k,
                errors=errors_of(error, language(request), {"stars": "stars-1"}),
                status_code=error.status_code,
            )
        query = urlencode({**({"k": k} if k else {}), "xong": "danh-gia"})
        return Redirect(f"/phan-anh/{code}?{query}#danh-gia", status_code=303)


async def _send_page(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    about: About,
    typed: dict[str, str],
    flags: dict[str, bool] | None = None,
    *,
    kept: list[service.KeptPhoto] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    choices: list[AgencyRead] = list((await agencies()).values()) if about.kind == "agency" else []
    kept = kept or []
    return show(
        request,
        "feedback/send.html",
        status_code,
        about=about,
        values=typed,
        flags=flags or {"anonymous": False, "publish_consent": False},
        agencies=choices,
        signed_in=principal is not None and principal.kind == "citizen",
        # Signed in, the person is told of the answer in the app: no contact needed.
        contact_needed=principal is None,
        kept=kept,
        kept_token=service.kept_token(runtime_of(request), kept),
        errors=errors,
    )


async def _tracking(
    request: Request[Any, Any, Any],
    principal: Principal | None,
    code: str,
    k: str,
    *,
    new: bool = False,
    done: str = "",
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Template:
    runtime = runtime_of(request)
    token = k or await service.token_for(runtime, principal, code)
    feedback = await service.track(runtime, code, token)
    try:
        agency: AgencyRead | None = await catalogue.get_agency(feedback.agency_code)
    except NotFound:
        agency = None
    response = show(
        request,
        "feedback/track.html",
        status_code,
        feedback=feedback,
        agency=agency,
        k=k,
        new=new,
        done=done,
        errors=errors,
    )
    # The address holds the key: never sent on to other sites.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
