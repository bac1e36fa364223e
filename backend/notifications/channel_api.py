"""Where the channels' providers report deliveries: eSMS's status callback (a GET to
the signed address each message carried) and the Zalo Official Account's webhook.
No cookie, no CSRF token: the HMAC or the signature is their proof."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from backend.notifications.runtime import runtime_of
from backend.notifications.service import channel_status

ZNS_WEBHOOK_PATH = "/api/channels/zns/events"
# A webhook event is small; anything larger is not one.
EVENT_BODY_LIMIT = 16 * 1024


class ReportAnswer(msgspec.Struct, frozen=True):
    result: Literal["applied", "replayed", "unknown", "ignored"]


class ChannelReportsApi(Controller):
    path = "/api/channels"
    tags = ["notifications"]

    @get(
        "/esms/{job_id:int}/{token:str}",
        operation_id="esmsStatus",
        summary="eSMS's report on one SMS (the HMAC in the path names the message)",
    )
    async def esms_status(
        self, request: Request[Any, Any, Any], job_id: FromPath[int], token: FromPath[str]
    ) -> ReportAnswer:
        query = {key: str(value) for key, value in request.query_params.items()}
        return ReportAnswer(
            await channel_status.esms_callback(runtime_of(request), job_id, token, query)
        )

    @post(
        ZNS_WEBHOOK_PATH.removeprefix(path),
        operation_id="znsEvent",
        summary="An event of the Zalo Official Account's webhook (X-ZEvent-Signature)",
        request_max_body_size=EVENT_BODY_LIMIT,
        status_code=HTTP_200_OK,
    )
    async def zns_event(self, request: Request[Any, Any, Any]) -> ReportAnswer:
        body = await request.body()
        return ReportAnswer(
            await channel_status.zns_event(
                runtime_of(request), body, request.headers.get("x-zevent-signature")
            )
        )


CHANNEL_API = [ChannelReportsApi]
