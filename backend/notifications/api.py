"""The notifications JSON API: this device's push subscription, the inbox, preferences."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts.guards import Principal, require_signed_in
from backend.notifications import service
from backend.notifications.runtime import runtime_of
from backend.notifications.schemas import (
    NoticePage,
    Preferences,
    PublicKey,
    Subscribed,
    SubscriptionChange,
    SubscriptionIn,
    UnreadCount,
    Unsubscribe,
)
from backend.web.templates import language

# The service worker's pushsubscriptionchange has no CSRF token: it proves itself with
# the old subscription's secret instead (see service.change_subscription).
CHANGE_PATH = "/api/push/subscriptions/change"


class PushApi(Controller):
    path = "/api/push"
    tags = ["notifications"]

    @get("/key", operation_id="pushKey", summary="The server's VAPID public key")
    async def key(self, request: Request[Any, Any, Any]) -> PublicKey:
        return PublicKey(public_key=runtime_of(request).public_key)

    @post(
        "/subscriptions",
        operation_id="subscribePush",
        summary="Receive notifications on this device",
        guards=[require_signed_in],
    )
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[SubscriptionIn],
    ) -> Response[Subscribed]:
        subscription_id = await service.subscribe(runtime_of(request), principal, data)
        return Response(Subscribed(id=subscription_id), status_code=HTTP_201_CREATED)

    @delete(
        "/subscriptions",
        operation_id="unsubscribePush",
        summary="Stop notifications on this device",
        guards=[require_signed_in],
        status_code=HTTP_204_NO_CONTENT,
    )
    async def unsubscribe(
        self, principal: NamedDependency[Principal], data: JSONBody[Unsubscribe]
    ) -> None:
        await service.unsubscribe(principal, data.endpoint)

    @post(
        "/subscriptions/change",
        operation_id="changePushSubscription",
        summary="The browser replaced its subscription (from the service worker)",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def change(
        self, request: Request[Any, Any, Any], data: JSONBody[SubscriptionChange]
    ) -> None:
        await service.change_subscription(
            runtime_of(request), data.old_endpoint, data.old_auth, data.subscription
        )

    @get(
        "/preferences",
        operation_id="pushPreferences",
        summary="Kinds of notice not pushed to my devices",
        guards=[require_signed_in],
    )
    async def preferences(self, principal: NamedDependency[Principal]) -> Preferences:
        return await service.get_preferences(principal)

    @put(
        "/preferences",
        operation_id="setPushPreferences",
        summary="Choose the kinds of notice not pushed",
        guards=[require_signed_in],
    )
    async def set_preferences(
        self, principal: NamedDependency[Principal], data: JSONBody[Preferences]
    ) -> Preferences:
        return await service.set_preferences(principal, data.muted)


class NoticeApi(Controller):
    path = "/api/notices"
    tags = ["notifications"]
    guards = [require_signed_in]

    @get("/", operation_id="myNotices", summary="My inbox, newest first")
    async def notices(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> NoticePage:
        return await service.list_notices(principal, page, language(request))

    @get(
        "/unread",
        operation_id="unreadNotices",
        summary="How many notices I have not read (the header and the app badge)",
    )
    async def unread(self, principal: NamedDependency[Principal]) -> UnreadCount:
        return UnreadCount(unread=await service.unread_count(principal.account_id))

    @post(
        "/{notice_id:int}/read",
        operation_id="readNotice",
        summary="Mark a notice read",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        notice_id: FromPath[int],
    ) -> None:
        await service.mark_read(runtime_of(request), principal, notice_id)

    @post(
        "/read-all",
        operation_id="readAllNotices",
        summary="Mark every notice read",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def read_all(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> None:
        await service.mark_all_read(runtime_of(request), principal)


NOTIFICATION_API = (PushApi, NoticeApi)
