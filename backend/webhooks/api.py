"""The webhooks API (``/api/webhooks``): subscriptions, their keys, the delivery log and
replay. The province's administrators ("catalogue") and agencies' administrators
("admin", for their own agency's subscriptions); the pages of ``pages`` do the same
through the same service, for a browser."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.webhooks import service
from backend.webhooks.runtime import runtime_of
from backend.webhooks.schemas import (
    DeliveryRead,
    DeliveryStatus,
    NewKey,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)

IdParam = Annotated[int, PathParameter(ge=1)]


class WebhookApi(Controller):
    path = "/api/webhooks/subscriptions"
    tags = ["webhooks"]
    guards = [require_staff("admin", "catalogue")]

    @get("", operation_id="listWebhookSubscriptions", summary="The subscriptions I manage")
    async def subscriptions(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> list[SubscriptionRead]:
        return await service.list_subscriptions(runtime_of(request), principal)

    @post(
        "",
        operation_id="createWebhookSubscription",
        summary="Subscribe an HTTPS address to events; the signing secret is shown once",
        status_code=HTTP_201_CREATED,
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        data: JSONBody[SubscriptionCreate],
    ) -> SubscriptionCreated:
        return await service.create_subscription(runtime_of(request), principal, data)

    @get("/{subscription_id:int}", operation_id="getWebhookSubscription", summary="One")
    async def subscription(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
    ) -> SubscriptionRead:
        return await service.get_subscription(runtime_of(request), principal, subscription_id)

    @delete(
        "/{subscription_id:int}",
        operation_id="removeWebhookSubscription",
        summary="Remove a subscription, its keys and its log",
    )
    async def remove(self, principal: NamedDependency[Principal], subscription_id: IdParam) -> None:
        await service.remove_subscription(principal, subscription_id)

    @post(
        "/{subscription_id:int}/keys",
        operation_id="rotateWebhookKey",
        summary="A new signing secret (shown once); the old one signs too for the grace period",
        status_code=HTTP_201_CREATED,
    )
    async def rotate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
    ) -> NewKey:
        return await service.rotate_key(runtime_of(request), principal, subscription_id)

    @get(
        "/{subscription_id:int}/deliveries",
        operation_id="listWebhookDeliveries",
        summary="The delivery log, newest first (at most 100)",
    )
    async def deliveries(
        self,
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
        status: Annotated[DeliveryStatus | None, QueryParameter()] = None,
    ) -> list[DeliveryRead]:
        return await service.delivery_log(principal, subscription_id, status)

    @post(
        "/{subscription_id:int}/deliveries/{delivery_id:int}/replay",
        operation_id="replayWebhookDelivery",
        summary="Send one delivery again (same body, same Webhook-Id)",
        status_code=200,
    )
    async def replay(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
        delivery_id: IdParam,
    ) -> DeliveryRead:
        return await service.replay(runtime_of(request), principal, subscription_id, delivery_id)


WEBHOOK_API = (WebhookApi,)
