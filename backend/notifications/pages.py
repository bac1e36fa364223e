"""The citizen's notification pages: the inbox (``/thong-bao``) and the settings
(``/tai-khoan/thong-bao``).

Both work without JavaScript: opening a notice is a link (``/thong-bao/{id}`` marks it
read and goes on to what it is about), "mark all as read" and the choice of what to
be told are plain forms. ``frontend/scripts/notifications/`` adds what only a script
can do: turning push on or off on this device, the count in the header, the app badge.
The service worker opens ``/thong-bao/{id}`` when a notification is tapped, so a tap
marks the notice read with a plain GET (the service worker cannot send a CSRF token).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.response import Redirect, Template

from backend.accounts.guards import require_signed_in
from backend.accounts.schemas import Principal
from backend.errors import InvalidInput
from backend.notifications import service
from backend.notifications.runtime import runtime_of
from backend.web import forms
from backend.web.forms import FormErrors
from backend.web.paths import local_path
from backend.web.templates import language

INBOX = "/thong-bao"
SETTINGS = "/tai-khoan/thong-bao"
# Deep pages of an inbox are not worth a query each: a bound keeps OFFSET cheap.
MAX_PAGE = 1000
Done = Annotated[str, QueryParameter(name="xong", max_length=20)]
StopToken = Annotated[str, Parameter(max_length=60)]


class NotificationPages(Controller):
    include_in_schema = False
    guards = [require_signed_in]

    # ----------------------------------------------------------------- inbox

    @get(INBOX, name="notices")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        page_number: Annotated[int, QueryParameter(name="trang", ge=1, le=MAX_PAGE)] = 1,
        done: Done = "",
    ) -> Template:
        notices = await service.list_notices(principal, page_number, language(request))
        return forms.render(
            request,
            "notifications/inbox.html",
            notices=notices,
            unread=notices.unread,
            has_next=notices.page * notices.page_size < notices.total,
            done=done,
        )

    @get(INBOX + "/{notice_id:int}", name="notice")
    async def open_notice(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        notice_id: FromPath[int],
    ) -> Redirect:
        """Marks the notice read and goes to what it is about (someone else's: 404)."""
        notice = await service.mark_read(
            runtime_of(request), principal, notice_id, language(request)
        )
        return Redirect(local_path(notice.url, INBOX), status_code=303)

    @post(INBOX + "/doc-het", name="notices-read-all")
    async def read_all(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Redirect:
        await service.mark_all_read(runtime_of(request), principal)
        return Redirect(f"{INBOX}?xong=doc-het", status_code=303)

    # -------------------------------------------------------------- settings

    @get(SETTINGS, name="notification-settings")
    async def settings(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        done: Done = "",
    ) -> Template:
        preferences = await service.get_preferences(principal)
        return await _settings(
            request,
            principal,
            muted=preferences.muted,
            chosen=preferences.channels,
            email=preferences.email,
            done=done,
        )

    @post(SETTINGS, name="notification-settings-save")
    async def save_settings(
        self, request: Request[Any, Any, Any], principal: NamedDependency[Principal]
    ) -> Template | Redirect:
        """The form lists the kinds the person wants pushed (ticked; the others are
        muted) and, per channel on offer, the kinds they want by it."""
        form = await request.form()
        wanted = forms.texts(form, "kind", limit=len(service.KINDS) + 1)
        runtime = runtime_of(request)
        chosen = {
            name: forms.texts(form, f"channel-{name}", limit=len(service.KINDS) + 1)
            for name in runtime.channels
        }
        email = forms.text(form, "email", limit=300, strip=True)
        try:
            if runtime.channels:
                await service.choose_channels(
                    principal,
                    service.kinds_offered(runtime),
                    chosen,
                    email,
                    language(request),
                )
            await service.choose_kinds(principal, wanted)
        except InvalidInput as error:
            return await _settings(
                request,
                principal,
                muted=[kind for kind in service.KINDS if kind not in wanted],
                chosen=_by_kind(chosen),
                email=email,
                errors=FormErrors.of_error(error, language(request)),
            )
        return Redirect(f"{SETTINGS}?xong=luu", status_code=303)


async def _settings(
    request: Request[Any, Any, Any],
    principal: Principal,
    *,
    muted: list[str],
    chosen: dict[str, list[str]],
    email: str,
    done: str = "",
    errors: FormErrors | None = None,
) -> Template:
    offered = service.kinds_offered(runtime_of(request))
    # One list of boxes a channel on offer: the kinds it can carry, ticked as chosen.
    channels = [
        (
            name,
            service.CHANNEL_NAMES[name],
            [
                (kind, label, name in chosen.get(kind, []))
                for kind, label in service.KINDS.items()
                if name in offered[kind]
            ],
        )
        for name in runtime_of(request).channels
    ]
    return forms.render(
        request,
        "notifications/settings.html",
        forms.status_of(errors or ()),
        errors=errors or (),
        kinds=service.KINDS.items(),
        muted=set(muted),
        channels=channels,
        email=email,
        unread=await service.unread_count(principal.account_id),
        # The public id of this sign-in session (the devices page shows it too): the
        # script tells "push is on for this session" from "on for a session since ended"
        # (signing out stops a device's notifications on the server).
        session_marker=principal.session_id,
        done=done,
    )


def _by_kind(chosen: dict[str, list[str]]) -> dict[str, list[str]]:
    """The form's boxes (channel -> kinds) as the preferences keep them (kind -> channels)."""
    by_kind: dict[str, list[str]] = {}
    for name, kinds in chosen.items():
        for kind in kinds:
            by_kind.setdefault(kind, []).append(name)
    return by_kind


class StopPages(Controller):
    """Someone without an account stops our e-mails to their address from the link in
    each one: the link shows a button (a mail scanner that opens links stops nothing)."""

    include_in_schema = False

    @get(service.STOP_PATH + "/{token:str}", name="notifications-stop")
    async def ask(self, request: Request[Any, Any, Any], token: StopToken) -> Template:
        service.check_stop(runtime_of(request), token)
        return forms.render(request, "notifications/stop.html", token=token, stopped=False)

    @post(service.STOP_PATH + "/{token:str}", name="notifications-stop-confirm")
    async def stop(self, request: Request[Any, Any, Any], token: StopToken) -> Template:
        await service.opt_out(runtime_of(request), token)
        return forms.render(request, "notifications/stop.html", token=token, stopped=True)


NOTIFICATION_PAGES = [NotificationPages, StopPages]
