"""The feedback JSON API: ratings of dossiers and of counter visits, feedback
(phản ánh, kiến nghị) with its tracking and the rating of its answer, the published
answers, and the officials' queue, answers, forwards and ratings.

Thin: every rule lives in ``service``; what the pages share about a request (the
device cookie, the rate limits, the photos) in ``requests``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts.guards import Principal, require_signed_in
from backend.errors import InvalidInput
from backend.feedback import service
from backend.feedback.requests import (
    COUNTER_TOKEN,
    FEEDBACK_BODY_LIMIT,
    FEEDBACK_BUCKET,
    check_rate,
    chosen_photos,
    device_of,
    feedback_fields,
    photo_response,
    rate_counter,
    read_photos,
    set_device_cookie,
)
from backend.feedback.runtime import runtime_of
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
    ReviewIn,
    VisitCode,
)
from backend.feedback.service import Upload
from backend.feedback.service.labels import FIELDS
from backend.i18n import N_
from backend.idempotency import IDEMPOTENT
from backend.web.forms import convert

FEEDBACK_CODE = PathParameter(max_length=24, pattern=r"^PA-[0-9]{6}-[A-Z0-9]{6}$")
KEY = QueryParameter(name="k", max_length=64)


async def _feedback_in(request: Request[Any, Any, Any]) -> tuple[FeedbackIn, list[Upload]]:
    """What was sent: JSON (FeedbackIn), or a multipart form with the photos."""
    if request.content_type[0] == "multipart/form-data":
        form = await request.form()
        data = convert(feedback_fields(form), FeedbackIn, FIELDS)
        return data, await read_photos(chosen_photos(form))
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError:
        raise InvalidInput(N_("Nội dung gửi lên không phải JSON hợp lệ.")) from None
    if not isinstance(body, dict):
        raise InvalidInput(N_("Nội dung gửi lên không phải JSON hợp lệ."))
    return convert(body, FeedbackIn, FIELDS), []


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
        opt=IDEMPOTENT,
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
        summary="Rate today's visit to a counter (its QR token and the code it shows now; "
        "one a device a day; `status` says whether it counts or is held for review)",
        opt=IDEMPOTENT,
    )
    async def rate(
        self,
        request: Request[Any, Any, Any],
        token: Annotated[str, COUNTER_TOKEN],
        data: JSONBody[CounterRatingIn],
    ) -> Response[RatingRead]:
        device, cookie = device_of(request)
        rating = await rate_counter(request, token, device, data)
        response = Response(rating, status_code=HTTP_201_CREATED)
        if cookie:
            set_device_cookie(response, runtime_of(request), cookie)
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
        opt=IDEMPOTENT,
    )
    async def send(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal | None]
    ) -> FeedbackSent:
        await check_rate(request, FEEDBACK_BUCKET)
        data, files = await _feedback_in(request)
        return await service.submit(runtime_of(request), principal, data, files)

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
        opt=IDEMPOTENT,
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
        status: Annotated[str, QueryParameter(pattern="^(open|answered|held|all)$")] = "open",
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

    @post(
        "/feedback/{feedback_id:int}/review",
        operation_id="reviewFeedback",
        summary="Release held feedback (its deadline starts today) or reject it (leaders)",
        status_code=HTTP_200_OK,
    )
    async def review(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        feedback_id: FromPath[int],
        data: JSONBody[ReviewIn],
    ) -> FeedbackDetail:
        return await service.review_feedback(
            runtime_of(request), principal, feedback_id, data.decision
        )

    @get(
        "/counters/{number:int}/visit-code",
        operation_id="counterVisitCode",
        summary="The code one of my agency's counters shows now (it proves a visit)",
    )
    async def visit_code(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        number: FromPath[int],
    ) -> Response[VisitCode]:
        code = await service.visit_code(runtime_of(request), principal, number)
        return Response(code, headers={"Cache-Control": "no-store"})

    @get(
        "/ratings/held",
        operation_id="heldRatings",
        summary="My agency's ratings held for review (leaders)",
    )
    async def held_ratings(self, principal: NamedDependency[Principal]) -> list[RatingRead]:
        return await service.held_ratings(principal)

    @post(
        "/ratings/{rating_id:int}/review",
        operation_id="reviewRating",
        summary="Count a held rating or reject it (leaders)",
        status_code=HTTP_200_OK,
    )
    async def review_rating(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        rating_id: FromPath[int],
        data: JSONBody[ReviewIn],
    ) -> RatingRead:
        return await service.review_rating(runtime_of(request), principal, rating_id, data.decision)

    @get("/ratings", operation_id="officialRatings", summary="My ratings and my agency's")
    async def ratings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        days: Annotated[int, QueryParameter(ge=1, le=366)] = 90,
    ) -> OfficialRatings:
        return await service.official_ratings(runtime_of(request), principal, days)


FEEDBACK_API: list[Any] = [DossierRatingApi, CounterRatingApi, FeedbackApi, StaffFeedbackApi]
