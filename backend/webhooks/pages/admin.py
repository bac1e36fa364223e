"""The administrators' page of webhooks (``/quan-tri/webhook``): the subscriptions one
manages and a form to add one; a subscription's page with its keys (rotate), its
delivery log (replay one) and removal. Plain HTML forms with the CSRF token that work
without JavaScript, through the same service as the API; a secret is shown on the
answer to the form that made it, once (never cached)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.errors import AppError, Forbidden, InvalidInput
from backend.i18n import N_
from backend.web import console
from backend.web.console import Console, Section
from backend.web.forms import FormErrors, text, texts
from backend.web.templates import language
from backend.webhooks import service
from backend.webhooks.runtime import runtime_of
from backend.webhooks.schemas import EVENT_TYPES, NewKey, SubscriptionCreate

ADMIN_PAGE = "/quan-tri/webhook"
SECTION = "webhooks"
IdParam = Annotated[int, PathParameter(ge=1)]
Done = Annotated[str, QueryParameter(name="xong", max_length=20)]
EVENT_LABELS = {
    "dossier.received": N_("Hồ sơ được tiếp nhận"),
    "dossier.status_changed": N_("Hồ sơ đổi trạng thái (mọi thay đổi)"),
    "dossier.result_ready": N_("Hồ sơ có kết quả"),
    "payment.settled": N_("Phí, lệ phí đã được thanh toán"),
}


def register(console: Console) -> None:
    console.add_section(
        Section(
            SECTION,
            N_("Gửi sự kiện cho hệ thống khác"),
            ADMIN_PAGE,
            frozenset({"admin", "catalogue"}),
        )
    )


def _render(
    request: Request[Any, Any, Any],
    principal: Principal,
    name: str,
    status: int = 200,
    **context: Any,
) -> Template:
    return console.render(
        request,
        f"webhooks/{name}",
        status,
        principal=principal,
        section=SECTION,
        event_types=EVENT_TYPES,
        event_labels=EVENT_LABELS,
        **context,
    )


async def _index(
    request: Request[Any, Any, Any],
    principal: Principal,
    status: int = 200,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
    done: str = "",
) -> Template:
    subscriptions = await service.list_subscriptions(runtime_of(request), principal)
    return _render(
        request,
        principal,
        "index.html",
        status,
        subscriptions=subscriptions,
        errors=errors or FormErrors(),
        values=values or {"url": "", "events": [], "agency_code": "", "description": ""},
        done=done,
    )


async def _subscription(
    request: Request[Any, Any, Any],
    principal: Principal,
    subscription_id: int,
    status: int = 200,
    new_key: NewKey | None = None,
    done: str = "",
) -> Template:
    subscription = await service.get_subscription(runtime_of(request), principal, subscription_id)
    log = await service.delivery_log(principal, subscription_id)
    return _render(
        request,
        principal,
        "subscription.html",
        status,
        subscription=subscription,
        deliveries=log,
        new_key=new_key,
        done=done,
    )


class WebhookAdminPages(Controller):
    path = ADMIN_PAGE
    include_in_schema = False
    guards = [require_staff("admin", "catalogue")]

    @get("", name="webhooks-admin")
    async def index(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Done = "",
    ) -> Template:
        return await _index(request, principal, done=done)

    @post("", name="webhooks-admin-create")
    async def create(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template:
        form = await request.form()
        values: dict[str, Any] = {
            "url": text(form, "url", 2000, strip=True),
            "events": texts(form, "events", limit=10),
            "agency_code": text(form, "agency_code", 32, strip=True),
            "ordered": text(form, "ordered", 10) == "on",
            "description": text(form, "description", 2000, strip=True),
        }
        try:
            created = await service.create_subscription(
                runtime_of(request),
                principal,
                SubscriptionCreate(
                    url=values["url"],
                    events=values["events"],
                    agency_code=values["agency_code"] or None,
                    ordered=values["ordered"],
                    description=values["description"],
                ),
            )
        except AppError as error:
            if not isinstance(error, InvalidInput | Forbidden):
                raise
            errors = FormErrors.of_error(error, language(request))
            return await _index(request, principal, error.status_code, errors, values)
        return await _subscription(
            request, principal, created.subscription.id, 201, new_key=created.key, done="tao"
        )

    @get("/{subscription_id:int}", name="webhooks-admin-subscription")
    async def subscription(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
        done: Done = "",
    ) -> Template:
        return await _subscription(request, principal, subscription_id, done=done)

    @post("/{subscription_id:int}/khoa", name="webhooks-admin-rotate")
    async def rotate(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
    ) -> Template:
        key = await service.rotate_key(runtime_of(request), principal, subscription_id)
        return await _subscription(request, principal, subscription_id, new_key=key, done="khoa")

    @post("/{subscription_id:int}/gui-lai/{delivery_id:int}", name="webhooks-admin-replay")
    async def replay(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        subscription_id: IdParam,
        delivery_id: IdParam,
    ) -> Redirect:
        await service.replay(runtime_of(request), principal, subscription_id, delivery_id)
        return Redirect(f"{ADMIN_PAGE}/{subscription_id}?xong=gui-lai", status_code=303)

    @post("/{subscription_id:int}/xoa", name="webhooks-admin-remove")
    async def remove(
        self, principal: NamedDependency[Principal], subscription_id: IdParam
    ) -> Redirect:
        await service.remove_subscription(principal, subscription_id)
        return Redirect(f"{ADMIN_PAGE}?xong=xoa", status_code=303)


WEBHOOK_PAGES = (WebhookAdminPages,)
