"""What the feedback API and pages share about a request: the device cookie of counter
ratings and rating a counter as that device, the per-address rate limit of feedback,
reading a feedback's fields and photos from a form, and serving a photo back."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.params import PathParameter

from backend.accounts.guards import client_of
from backend.accounts.guards import runtime_of as accounts_of
from backend.attachments import MAX_FILE_BYTES, file_response
from backend.feedback import service
from backend.feedback.runtime import FeedbackRuntime, runtime_of
from backend.feedback.schemas import CounterRatingIn, FeedbackIn, RatingRead
from backend.web.device import keep_device, request_device

# The rate-limit bucket of feedback (per client address, in Redis when there is one).
# Counter ratings have none: a proven visit is never limited by an address that every
# phone on a centre's Wi-Fi shares (the service limits wrong visit codes instead).
FEEDBACK_BUCKET = "feedback"
# Up to three photos of at most 10 MB each, the text fields and the multipart framing.
FEEDBACK_BODY_LIMIT = service.MAX_PHOTOS * MAX_FILE_BYTES + 256 * 1024
COUNTER_TOKEN = PathParameter(max_length=200)
MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}
_YES = {"1", "true", "on", "yes", "co"}


def device_of(request: Request[Any, Any, Any]) -> tuple[str, str | None]:
    """The device id from its signed cookie, or a new one (``backend.web.device``)."""
    return request_device(request, runtime_of(request).secret_key)


def set_device_cookie(response: Response[Any], runtime: FeedbackRuntime, value: str) -> None:
    keep_device(response, value, secure=runtime.public_url.startswith("https://"))


async def check_rate(request: Request[Any, Any, Any], bucket: str) -> None:
    """Count one request of the client's address (a trusted proxy's X-Forwarded-For,
    never a header anyone can send) in ``bucket``; TooManyRequests past the limit."""
    await accounts_of(request).limiter.check_address(bucket, client_of(request).address)


async def rate_counter(
    request: Request[Any, Any, Any], token: str, device: str, data: CounterRatingIn
) -> RatingRead:
    """Rate a counter visit as ``device`` (``device_of``) from this client address."""
    return await service.rate_counter(
        runtime_of(request),
        accounts_of(request).limiter,
        token,
        device,
        client_of(request).address,
        data,
    )


def feedback_fields(form: Any) -> dict[str, Any]:
    """FeedbackIn's fields from a form (multipart or urlencoded): text as sent, yes/no
    boxes as booleans, nothing for an optional field left empty. An unanswered
    question (no category chosen) is an empty answer, which the Struct refuses."""
    data: dict[str, Any] = {"category": "", "text": ""}
    for name in FeedbackIn.__struct_fields__:
        value = form.get(name)
        if not isinstance(value, str):
            continue
        if name in {"anonymous", "publish_consent"}:
            data[name] = value.strip().lower() in _YES
        elif name in {"dossier_id", "counter_token", "procedure_code", "agency_code"}:
            if value.strip():
                data[name] = value.strip()
        else:
            data[name] = value
    return data


def chosen_photos(form: Any, name: str = "photos") -> list[UploadFile]:
    return [
        value
        for value in form.getall(name, [])
        if isinstance(value, UploadFile) and (value.filename or "").strip()
    ]


async def read_photos(photos: list[UploadFile]) -> list[service.Upload]:
    """Each chosen photo's bytes (at most the limit and one byte: the check refuses
    more) and its name. Too many photos are refused before any is read."""
    service.check_photo_count(len(photos))
    files = []
    for photo in photos:
        data = await photo.read(MAX_FILE_BYTES + 1)
        await photo.close()
        files.append((data, photo.filename or ""))
    return files


def photo_response(data: bytes, media_type: str, feedback_id: int, number: int) -> Response[bytes]:
    extension = MEDIA_EXTENSIONS.get(media_type, "bin")
    return file_response(data, media_type, f"phan-anh-{feedback_id}-anh-{number}.{extension}")
