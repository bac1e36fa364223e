"""create_app(settings): the one place that wires the application."""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router

from backend.accounts import service as accounts_service
from backend.accounts.api import ACCOUNT_API
from backend.accounts.guards import (
    SignInRequired,
    current_principal,
    provide_principal,
    sign_in_redirect,
)
from backend.accounts.pages import ACCOUNT_PAGES
from backend.accounts.runtime import AccountsRuntime
from backend.appointments import service as appointments_service
from backend.appointments.api import APPOINTMENT_API
from backend.appointments.pages import APPOINTMENT_PAGES
from backend.appointments.pages import register as register_appointments
from backend.appointments.runtime import AppointmentsRuntime
from backend.assistant.api import ASSISTANT_API
from backend.assistant.pages import ASSISTANT_PAGES
from backend.attachments import Attachments, sweep
from backend.catalogue.admin import CatalogueAdminApi
from backend.catalogue.admin_pages import CatalogueAdminPages
from backend.catalogue.agency_api import AGENCY_ADMIN_HANDLERS
from backend.catalogue.agency_pages import register as register_catalogue
from backend.catalogue.api import ProcedureApi
from backend.catalogue.pages import CataloguePages, VendorFiles
from backend.catalogue.service import catalogue_version, get_agency
from backend.catalogue.synonym_pages import SynonymAdminPages
from backend.clock import epoch_ms, utc_now
from backend.db import Database
from backend.dossiers import service as dossiers_service
from backend.dossiers.api import DOSSIER_API
from backend.dossiers.console import CONSOLE_PAGES
from backend.dossiers.console import register as register_dossiers
from backend.dossiers.pages import DOSSIER_PAGES
from backend.dossiers.runtime import DossiersRuntime
from backend.feedback import service as feedback_service
from backend.feedback.api import FEEDBACK_API
from backend.feedback.pages import FEEDBACK_PAGES
from backend.feedback.pages import register as register_feedback
from backend.feedback.runtime import FeedbackRuntime
from backend.home.api import HealthApi
from backend.home.pages import HomePages, ShellFiles
from backend.idempotency import Idempotency
from backend.idempotency import prune as prune_idempotency
from backend.jobs import Chore, Job, at_start, in_process
from backend.notifications.api import CHANGE_PATH, NOTIFICATION_API
from backend.notifications.channel_api import CHANNEL_API, ZNS_WEBHOOK_PATH
from backend.notifications.pages import NOTIFICATION_PAGES
from backend.notifications.runtime import NotificationsRuntime
from backend.notifications.worker import Notifier
from backend.payments import service as payments_service
from backend.payments.api import PAYMENT_API, WEBHOOK_PATH
from backend.payments.pages import PAYMENT_PAGES
from backend.payments.pages import register as register_payments
from backend.payments.runtime import PaymentsRuntime
from backend.payments.sandbox import API_PATH as SANDBOX_API_PATH
from backend.payments.sandbox import SANDBOX_HANDLERS
from backend.portal.pages import PORTAL_PAGES
from backend.portal.pages import register as register_portal
from backend.portal.runtime import PortalRuntime
from backend.portal.worker import PortalSyncJob, nightly_resend
from backend.privacy.api import PRIVACY_API
from backend.privacy.pages import PRIVACY_PAGES
from backend.privacy.runtime import PrivacyRuntime
from backend.settings import Settings
from backend.signing import service as signing_service
from backend.signing.api import API_PATH as VERIFICATION_API_PATH
from backend.signing.api import VERIFICATION_API
from backend.signing.pages import VERIFICATION_PAGES
from backend.stats import service as stats_service
from backend.stats.api import STATS_API
from backend.stats.pages import STATS_PAGES
from backend.stats.pages import register as register_stats
from backend.tickets.api import TICKET_API
from backend.tickets.pages import TICKET_PAGES
from backend.tickets.pages import register as register_tickets
from backend.tickets.runtime import TicketsRuntime
from backend.web.assets import PUBLIC_DIR, Assets
from backend.web.blocks import Blocks
from backend.web.bounds import bounded_integers
from backend.web.console import Console
from backend.web.contract import ContractPlugin
from backend.web.csrf import CsrfMiddleware, CsrfSettings, origin_of
from backend.web.errors import EXCEPTION_HANDLERS
from backend.web.head import HeadAsGet
from backend.web.middleware import EdgeMiddleware, configure_logging
from backend.web.public_pages import PageCache, PublicPages
from backend.web.templates import template_config
from backend.webhooks.api import WEBHOOK_API
from backend.webhooks.pages import WEBHOOK_PAGES
from backend.webhooks.pages import register as register_webhooks
from backend.webhooks.runtime import WebhooksRuntime
from backend.webhooks.worker import WebhookDeliveries
from backend.workdays.api import WORKDAY_HANDLERS
from backend.workdays.pages import register as register_workdays

# Requests that authenticate otherwise than by cookie: a bank's signed transfer
# notification and the demo gateway's signed merchant API (VNPay's IPN is a GET), and
# the service worker's subscription change, which proves itself with the old
# subscription's secret; the Zalo Official Account's webhook, signed with its secret;
# the check of a signed PDF, which anyone may ask for and which changes nothing.
CSRF_EXEMPT = frozenset(
    {CHANGE_PATH, WEBHOOK_PATH, SANDBOX_API_PATH, ZNS_WEBHOOK_PATH, VERIFICATION_API_PATH}
)


def freeze_start_up_objects() -> None:
    """Move what start-up made (modules, routes, catalogues: ~180k objects) out of the
    collector's reach. Each full collection otherwise walks them all and stops the
    event loop for 110-125 ms every few seconds under load; frozen, 2-50 ms."""
    gc.freeze()


def file_sweep(settings: Settings) -> Chore:
    """Kept files that no row holds (a crash between an upload's bytes and its row),
    removed once past the grace period, daily. Every domain that keeps files through
    ``backend.attachments`` says which keys its rows hold: a kind left out here would
    have its files removed."""
    storage = Attachments.from_settings(settings).storage
    holders = [
        dossiers_service.held_files,
        feedback_service.held_photos,
        accounts_service.held_certificates,
        signing_service.held_files,
    ]

    async def run() -> int:
        swept = await sweep(storage, holders, grace_s=settings.orphan_grace_s)
        return swept.orphans + swept.temporary

    return Chore("attachments.sweep", run, every_s=24 * 3600)


def background_jobs(
    notifications: NotificationsRuntime,
    payments: PaymentsRuntime,
    settings: Settings,
    dossiers: DossiersRuntime | None = None,
    webhooks: WebhooksRuntime | None = None,
    portal: PortalRuntime | None = None,
) -> list[Job]:
    """What the worker does, in the app (embedded) or in ``motcua worker`` processes:
    the outbox's notices and pushes each round, the chores every 30 s, the sweep of
    files daily (and at the start of each). ``dossiers``: the app's runtime (a worker
    process makes its own)."""
    if dossiers is None:
        attachments = Attachments.from_settings(settings)
        signing = signing_service.SigningRuntime.from_settings(settings, attachments.storage)
        dossiers = DossiersRuntime.from_settings(settings, attachments, signing)
    portal = portal or PortalRuntime.from_settings(settings)
    return [
        Notifier(notifications),
        WebhookDeliveries(webhooks or WebhooksRuntime.from_settings(settings)),
        PortalSyncJob(portal),
        nightly_resend(portal),
        Chore("payments.reconcile", functools.partial(payments_service.reconcile, payments)),
        Chore(
            "dossiers.fee_reminders", functools.partial(dossiers_service.remind_unpaid, dossiers)
        ),
        Chore("stats.refresh", lambda: stats_service.refresh(utc_now())),
        Chore("appointments.reminders", lambda: appointments_service.chore(utc_now())),
        file_sweep(settings),
        Chore("idempotency.prune", lambda: prune_idempotency(epoch_ms(utc_now)), every_s=3600),
        audit_anchor(settings),
    ]


def audit_anchor(settings: Settings) -> Chore:
    """The audit chain's head written outside the database (issue 20), hourly by
    default: several workers each write theirs, which only adds anchors."""

    async def run() -> int:
        return 0 if await accounts_service.anchor_audit_chain(settings, utc_now()) is None else 1

    return Chore("audit.anchor", run, every_s=settings.audit_anchor_every_s)


async def who_asks(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Whose Idempotency-Keys a request's are: the account signed in, or anyone's."""
    principal = await current_principal(connection)
    return f"account:{principal.account_id}" if principal else "anonymous"


def page_hook(
    idempotency: Idempotency,
) -> Callable[[Request[Any, Any, Any]], Awaitable[Response[bytes] | None]]:
    """The app's one before_request hook.

    A page's header shows who is signed in (base.html reads the principal the guards
    keep on the request's state): a page no guard looked at would show a signed-in
    person the sign-in link, so a page request carrying the session cookie is looked up
    here (one fixed-SQL read, kept for the request). Scripts' and assets' requests do
    not ask for HTML and are left alone. Then Idempotency-Key replays.
    """

    async def before_request(request: Request[Any, Any, Any]) -> Response[bytes] | None:
        if request.method in {"GET", "HEAD"} and "text/html" in request.headers.get("accept", ""):
            await current_principal(request)
        return await idempotency.before_request(request)

    return before_request


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    database = Database(settings)
    assets = Assets()
    attachments = Attachments.from_settings(settings)
    accounts = AccountsRuntime.from_settings(
        settings, find_agency=get_agency, attachments=attachments
    )
    signing = signing_service.SigningRuntime.from_settings(settings, attachments.storage)
    dossiers = DossiersRuntime.from_settings(settings, attachments, signing)
    notifications = NotificationsRuntime.from_settings(settings)
    payments = PaymentsRuntime.from_settings(settings, province_wide=stats_service.PROVINCE_WIDE)
    payments.signing = signing
    feedback = FeedbackRuntime.from_settings(settings, attachments)
    webhooks = WebhooksRuntime.from_settings(settings)
    portal = PortalRuntime.from_settings(settings)
    tickets = TicketsRuntime.from_settings(settings)
    appointments = AppointmentsRuntime.from_settings(settings)
    privacy = PrivacyRuntime(
        accounts, payments, attachments.storage, scratch=settings.data_dir / "archives"
    )
    # Pages made of other domains' parts, and the officials' console: each domain
    # registers its own below.
    blocks = Blocks()
    console = Console()
    idempotency = Idempotency(who_asks)
    register_dossiers(blocks, console)
    register_payments(blocks, console)
    register_feedback(blocks, console)
    register_stats(blocks, console)
    register_catalogue(console)
    register_workdays(console)
    register_webhooks(console)
    register_portal(blocks)
    register_tickets(blocks, console)
    register_appointments(blocks, console)

    @asynccontextmanager
    async def open_database(_: Litestar) -> AsyncIterator[None]:
        await database.open()
        try:
            yield
        finally:
            await database.close()

    def provide(value: object) -> Provide:
        return Provide(lambda: value, sync_to_thread=False, use_cache=True)

    app = Litestar(
        route_handlers=[
            HomePages,
            ShellFiles,
            HealthApi,
            CataloguePages,
            ProcedureApi,
            VendorFiles,
            CatalogueAdminApi,
            CatalogueAdminPages,
            SynonymAdminPages,
            *AGENCY_ADMIN_HANDLERS,
            *WORKDAY_HANDLERS,
            *ACCOUNT_API,
            *ACCOUNT_PAGES,
            *DOSSIER_API,
            *DOSSIER_PAGES,
            *CONSOLE_PAGES,
            *NOTIFICATION_API,
            *CHANNEL_API,
            *NOTIFICATION_PAGES,
            *PAYMENT_API,
            *PAYMENT_PAGES,
            *(SANDBOX_HANDLERS if settings.sandbox_payments else []),
            *FEEDBACK_API,
            *FEEDBACK_PAGES,
            *STATS_PAGES,
            *STATS_API,
            *VERIFICATION_API,
            *VERIFICATION_PAGES,
            *WEBHOOK_API,
            *WEBHOOK_PAGES,
            *PORTAL_PAGES,
            *TICKET_API,
            *TICKET_PAGES,
            *APPOINTMENT_API,
            *APPOINTMENT_PAGES,
            *ASSISTANT_API,
            *ASSISTANT_PAGES,
            *PRIVACY_API,
            *PRIVACY_PAGES,
            create_static_files_router(
                path="/icons",
                directories=[PUBLIC_DIR / "icons"],
                include_in_schema=False,
                # Icon names never change meaning; a day keeps them off slow networks.
                cache_control=CacheControlHeader(public=True, max_age=86400),
                name="icons",
            ),
        ],
        # Every integer path and query parameter bounded (a 2^63 id was a 500).
        guards=[bounded_integers],
        dependencies={
            "settings": provide(settings),
            "database": provide(database),
            "assets": provide(assets),
            "principal": Provide(provide_principal),
        },
        lifespan=[
            open_database,
            attachments.lifespan,
            accounts.lifespan,
            payments.lifespan,
            # Without the worker inside, the app still sweeps the files its own crash
            # may have left, as it starts (the worker processes do it daily).
            (
                in_process(
                    background_jobs(notifications, payments, settings, dossiers, webhooks, portal)
                )
                if settings.worker_in_process
                else at_start([file_sweep(settings)])
            ),
        ],
        on_startup=[freeze_start_up_objects],
        state=State(
            {
                "accounts": accounts,
                "dossiers": dossiers,
                "notifications": notifications,
                "payments": payments,
                "feedback": feedback,
                "signing": signing,
                "webhooks": webhooks,
                "portal": portal,
                "tickets": tickets,
                "appointments": appointments,
                "privacy": privacy,
                "blocks": blocks,
                "console": console,
            }
        ),
        # After the CSRF check and the guards, before the handler: who is signed in,
        # for the page's header, then a replay of a request made under an
        # Idempotency-Key gets the first answer. One hook for the whole app: a
        # controller's own before_request would replace it.
        before_request=page_hook(idempotency),
        middleware=[
            DefineMiddleware(
                CsrfMiddleware,
                settings=CsrfSettings(
                    secret=settings.secret_key,
                    public_origin=origin_of(settings.public_url),
                    session_cookie=accounts.cookie_name,
                    secure=settings.is_https,
                    exclude=CSRF_EXEMPT,
                ),
            ),
            # Outside the handler: records the answer before the client gets it.
            idempotency.middleware,
        ],
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=512, gzip_compress_level=6
        ),
        template_config=template_config(
            assets, settings.public_url, auto_reload=settings.environment == "development"
        ),
        openapi_config=OpenAPIConfig(
            title="Một Cửa API",
            version=version("motcua"),
            path="/schema",
            # The error answers of every operation, documented from the route table.
            render_plugins=[ContractPlugin(session_cookie=accounts.cookie_name)],
        ),
        exception_handlers={
            **EXCEPTION_HANDLERS,
            SignInRequired: sign_in_redirect,
        },
        request_max_body_size=1024 * 1024,
        debug=False,
        # Our JSON logging (backend.web.middleware) is the only configuration.
        logging_config=None,
    )
    handler = app.asgi_handler
    if settings.page_cache_mb:
        # Anonymous public pages from memory, once per catalogue version (issue 21).
        handler = PublicPages(
            handler,
            cache=PageCache(settings.page_cache_mb * 1024 * 1024),
            route_opt=lambda path: app.asgi_router.handle_routing(path=path, method="GET")[1].opt,
            version=catalogue_version,
            session_cookie=accounts.cookie_name,
            csrf_cookies=("csrftoken", "__Host-csrftoken"),
        )
    # HEAD inside the edge: the answer gets the same headers as GET's, the log says HEAD.
    app.asgi_handler = EdgeMiddleware(
        HeadAsGet(handler), settings, session_cookie=accounts.cookie_name
    )
    return app
