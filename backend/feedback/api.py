"""The feedback JSON API: ratings of dossiers and of counter visits, feedback
(phản ánh, kiến nghị) with its tracking and the rating of its answer, the published
answers, and the officials' queue, answers, forwards and ratings.

Thin: every rule lives in ``service``. What is HTTP lives here and is shared with the
pages: the device cookie of counter ratings, the per-address rate limits, reading
and checking photos (in a worker thread), the photo download.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts.guards import Principal, client_of, require_signed_in
from backend.accounts.guards import runtime_of as accounts_of
from backend.dossiers import uploads
from backend.dossiers.api import FILE_HEADERS
from backend.dossiers.runtime import runtime_of as dossiers_of
from backend.errors import InvalidInput
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime, runtime_of
from backend.feedback.schemas import (
    AnswerIn,
    AnswerRatingIn,
    CounterRatingIn,
    FeedbackDetail,
    FeedbackIn,
    FeedbackQueue,
    FeedbackRead,
    FeedbackSent,
    ForwardIn,
    OfficialRatings,
    PublishedAnswer,
    RatingIn,
    RatingRead,
)

DEVICE_COOKIE = "motcua_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
# The rate-limit buckets (per client address, counted in Redis when there is one).
COUNTER_BUCKET = "counter-rating"
FEEDBACK_BUCKET = "feedback"
# Up to three photos of at most 10 MB each, the text fields and the multipart framing.
FEEDBACK_BODY_LIMIT = service.MAX_PHOTOS * uploads.MAX_FILE_BYTES + 256 * 1024
COUNTER_TOKEN = PathParameter(max_length=200)
FEEDBACK_CODE = PathParameter(max_length=24, pattern=r"^PA-[0-9]{6}-[A-Z0-9]{6}$")
KEY = QueryParameter(name="k", max_length=64)
MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


# ---------------------------------------------------------------- shared with pages


def device_of(request: Request[Any, Any, Any]) -> tuple[str, str | None]:
    """The device id from its signed cookie, or a new one: (device, cookie value to
    set, or None when the browser already holds a good one)."""
    secret = runtime_of(request).secret_key
    known = service.device_of(secret, request.cookies.get(DEVICE_COOKIE))
    if known is not None:
        return known, None
    cookie = service.new_device(secret)
    device = service.device_of(secret, cookie)
    assert device is not None
    return device, cookie


def set_device_cookie(response: Response[Any], runtime: FeedbackRuntime, value: str) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        path="/",
        secure=runtime.public_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )


async def check_rate(request: Request[Any, Any, Any], bucket: str) -> None:
    """Count one request of the client's address (a trusted proxy's X-Forwarded-For,
    never a header anyone can send) in ``bucket``; TooManyRequests past the limit."""
    await accounts_of(request).limiter.check_address(bucket, client_of(request).address)


def chosen_photos(form: Any, name: str = "photos") -> list[UploadFile]:
    return [
        value
        for value in form.getall(name, [])
        if isinstance(value, UploadFile) and (value.filename or "").strip()
    ]


async def read_photos(photos: list[UploadFile]) -> list[tuple[bytes, str]]:
    """Each chosen photo's bytes (at most the limit and one byte: the check refuses
    more) and its name. Too many photos are refused before any is read."""
    if len(photos) > service.MAX_PHOTOS:
        service.check_photos([(b"", "") for _ in photos])  # raises: too many
    files = []
    for photo in photos:
        data = await photo.read(uploads.MAX_FILE_BYTES + 1)
        await photo.close()
        files.append((data, photo.filename or ""))
    return files


async def check_photo(
    request: Request[Any, Any, Any], data: bytes, name: str
) -> uploads.CheckedFile:
    """One photo checked by content in a worker thread (decoding is CPU and memory
    work: at most two checks run at once, shared with the dossiers' uploads)."""
    async with dossiers_of(request).checks:
        checked = await asyncio.to_thread(service.check_photos, [(data, name)])
    return checked[0]


async def check_photos(
    request: Request[Any, Any, Any], files: list[tuple[bytes, str]]
) -> list[uploads.CheckedFile]:
    if len(files) > service.MAX_PHOTOS:
        service.check_photos(files)  # raises: too many
    return [await check_photo(request, data, name) for data, name in files]


def feedback_fields(form: Any) -> dict[str, Any]:
    """FeedbackIn's fields from a form (multipart or urlencoded): text as sent, yes/no
    boxes as booleans, and nothing for what was left empty."""
    data: dict[str, Any] = {}
    for name in FeedbackIn.__struct_fields__:
        value = form.get(name)
        if not isinstance(value, str):
            continue
        if name in {"anonymous", "publish_consent"}:
            data[name] = value.strip().lower() in {"1", "true", "on", "yes", "co"}
        elif name == "dossier_id":
            if value.strip():
                data[name] = int(value) if value.strip().isdigit() else value
        elif name in {"counter_token", "procedure_code", "agency_code"}:
            if value.strip():
                data[name] = value.strip()
        else:
            data[name] = value
    return data


def invalid_from(
    error: msgspec.ValidationError, labels: dict[str, tuple[str, str]]
) -> InvalidInput:
    """A Struct's refusal (a length, a value), naming the field as people call it."""
    text = str(error)
    name = text.rpartition("$.")[2].strip("`' ") if "$." in text else ""
    name = name.split(".")[0].split("[")[0]
    vi_label, en_label = labels.get(name, (name, name)) if name else ("", "")
    limit = text.partition("length <= ")[2].split(" ")[0].rstrip("`")
    if name and limit.isdigit():
        return InvalidInput(
            f"“{vi_label}” dài quá {int(limit):,} ký tự. Hãy viết ngắn hơn.".replace(",", "."),
            f"“{en_label}” is longer than {int(limit):,} characters. Please shorten it.",
            field=name,
        )
    if name:
        return InvalidInput(
            f"“{vi_label}” không hợp lệ.", f"“{en_label}” is not valid.", field=name
        )
    return InvalidInput("Dữ liệu không hợp lệ.", "Invalid data.")


# Names of the fields in errors, in both languages.
LABELS: dict[str, tuple[str, str]] = {
    "overall": ("Mức độ hài lòng chung", "Overall satisfaction"),
    **service.CRITERIA,
    "comment": ("Ý kiến thêm", "Comment"),
    "stated_code": ("Mã hồ sơ", "Dossier code"),
    "category": ("Loại phản ánh", "Kind of feedback"),
    "text": ("Nội dung phản ánh", "Your feedback"),
    "contact_name": ("Họ và tên", "Full name"),
    "contact_phone": ("Số điện thoại", "Phone number"),
    "contact_email": ("Thư điện tử", "Email"),
    "dossier_id": ("Hồ sơ", "Dossier"),
    "counter_token": ("Mã QR của quầy", "Counter QR code"),
    "procedure_code": ("Thủ tục", "Procedure"),
    "agency_code": ("Cơ quan nhận phản ánh", "Agency"),
    "answer": ("Câu trả lời", "Answer"),
    "note": ("Ghi chú", "Note"),
    "stars": ("Đánh giá câu trả lời", "Rating of the answer"),
}


def convert(data: dict[str, Any], kind: type[Any]) -> Any:
    try:
        return msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as error:
        raise invalid_from(error, LABELS) from None


def photo_response(data: bytes, media_type: str, feedback_id: int, number: int) -> Response[bytes]:
    extension = MEDIA_EXTENSIONS.get(media_type, "bin")
    return Response(
        data,
        media_type=media_type,
        headers={
            **FILE_HEADERS,
            "Content-Disposition": (
                f'attachment; filename="phan-anh-{feedback_id}-anh-{number}.{extension}"'
            ),
        },
    )


# ------------------------------------------------------------------------ ratings


class DossierRatingApi(Controller):
    path = "/api/dossiers/{dossier_id:int}/rating"
    tags = ["feedback: ratings"]
    guards = [require_signed_in]

    @get("/", operation_id="myDossierRating", summary="My rating of a dossier (null if none)")
    async def read(
        self, principal: NamedDependency[Principal], dossier_id: FromPath[int]
    ) -> RatingRead | None:
        return await service.my_rating(principal, dossier_id)

    @put(
        "/",
        operation_id="rateDossier",
        summary="Rate a returned dossier, or change the rating within 7 days",
        status_code=HTTP_200_OK,
    )
    async def rate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
        data: JSONBody[RatingIn],
    ) -> RatingRead:
        return await service.rate_dossier(runtime_of(request), principal, dossier_id, data)


class CounterRatingApi(Controller):
    path = "/api/counters"
    tags = ["feedback: ratings"]

    @post(
        "/{token:str}/ratings",
        operation_id="rateCounter",
        summary="Rate today's visit to a counter (its QR token; one a device a day)",
    )
    async def rate(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, COUNTER_TOKEN],
        data: JSONBody[CounterRatingIn],
    ) -> Response[RatingRead]:
        await check_rate(request, COUNTER_BUCKET)
        runtime = runtime_of(request)
        device, cookie = device_of(request)
        rating = await service.rate_counter(runtime, token, device, data)
        response = Response(rating, status_code=HTTP_201_CREATED)
        if cookie:
            set_device_cookie(response, runtime, cookie)
        return response


# ----------------------------------------------------------------------- feedback


class FeedbackApi(Controller):
    path = "/api/feedback"
    tags = ["feedback"]

    @post(
        "/",
        operation_id="sendFeedback",
        summary="Send feedback: JSON (FeedbackIn), or multipart with the same fields and "
        "up to 3 photos named `photos`",
        request_max_body_size=FEEDBACK_BODY_LIMIT,
        status_code=HTTP_201_CREATED,
    )
    async def send(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> FeedbackSent:
        await check_rate(request, FEEDBACK_BUCKET)
        if request.content_type[0] == "multipart/form-data":
            form = await request.form()
            data = convert(feedback_fields(form), FeedbackIn)
            files = await read_photos(chosen_photos(form))
        else:
            try:
                data = msgspec.json.decode(await request.body(), type=FeedbackIn)
            except msgspec.ValidationError as error:
                raise invalid_from(error, LABELS) from None
            except msgspec.DecodeError:
                raise InvalidInput("Dữ liệu không hợp lệ.", "The body is not valid JSON.") from None
            files = []
        photos = await check_photos(request, files)
        return await service.submit(runtime_of(request), principal, data, photos)

    @get(
        "/published",
        operation_id="publishedAnswers",
        summary="Answers published with their senders' consent",
    )
    async def published(
        self,
        procedure: Annotated[str, QueryParameter(max_length=32)] = "",
        agency: Annotated[str, QueryParameter(max_length=32)] = "",
    ) -> list[PublishedAnswer]:
        return await service.published(procedure or None, agency or None)

    @get(
        "/{code:str}",
        operation_id="trackFeedback",
        summary="Feedback by its tracking link's key (or signed in as its sender)",
    )
    async def track(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: Annotated[str, FEEDBACK_CODE],
        k: Annotated[str, KEY] = "",
    ) -> FeedbackRead:
        runtime = runtime_of(request)
        return await service.track(
            runtime, code, k or await service.token_for(runtime, principal, code)
        )

    @post(
        "/{code:str}/rating",
        operation_id="rateFeedbackAnswer",
        summary="Rate the answer (1-5 stars), once",
        status_code=HTTP_200_OK,
    )
    async def rate_answer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal | None],
        code: Annotated[str, FEEDBACK_CODE],
        data: JSONBody[AnswerRatingIn],
        k: Annotated[str, KEY] = "",
    ) -> FeedbackRead:
        runtime = runtime_of(request)
        token = k or await service.token_for(runtime, principal, code)
        return await service.rate_answer(runtime, code, token, data.stars)


class StaffFeedbackApi(Controller):
    path = "/api/staff"
    tags = ["feedback: officials"]
    guards = [require_signed_in]

    @get("/feedback", operation_id="feedbackQueue", summary="The agency's feedback")
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        status: Annotated[str, QueryParameter(pattern="^(open|answered|all)$")] = "open",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> FeedbackQueue:
        return await service.queue(runtime_of(request), principal, status, page=page)

    @get("/feedback/{feedback_id:int}", operation_id="feedbackDetail", summary="One feedback")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
    ) -> FeedbackDetail:
        return await service.detail(runtime_of(request), principal, feedback_id)

    @get(
        "/feedback/{feedback_id:int}/photos/{number:int}",
        operation_id="feedbackPhoto",
        summary="A photo of the feedback (1, 2 or 3), as an attachment",
    )
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

    @post(
        "/feedback/{feedback_id:int}/answer",
        operation_id="answerFeedback",
        summary="Answer open feedback (publish only with the sender's consent)",
        status_code=HTTP_200_OK,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
        data: JSONBody[AnswerIn],
    ) -> FeedbackDetail:
        return await service.answer(runtime_of(request), principal, feedback_id, data)

    @post(
        "/feedback/{feedback_id:int}/forward",
        operation_id="forwardFeedback",
        summary="Pass open feedback to another agency",
        status_code=HTTP_200_OK,
    )
    async def forward(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
        data: JSONBody[ForwardIn],
    ) -> FeedbackDetail:
        return await service.forward(runtime_of(request), principal, feedback_id, data)

    @get("/ratings", operation_id="officialRatings", summary="My ratings and my agency's")
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        days: Annotated[int, QueryParameter(ge=1, le=366)] = 90,
    ) -> OfficialRatings:
        return await service.official_ratings(runtime_of(request), principal, days)


FEEDBACK_API: list[Any] = [DossierRatingApi, CounterRatingApi, FeedbackApi, StaffFeedbackApi]
