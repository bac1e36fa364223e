"""The portal's line on the console's dossier page ("dossier.console" slot): where the
dossier's sync with the National Public Service Portal stands, and a "Gửi lại" form for
the officials of the agency holding it. The form posts here; the rule (who may, what is
asked again, the audit) is ``service.request_resend``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from backend.accounts.guards import current_principal, require_official
from backend.accounts.schemas import Principal
from backend.dossiers.schemas import DossierRead
from backend.i18n import N_, Text
from backend.portal import service
from backend.portal.runtime import runtime_of
from backend.portal.schemas import SyncState
from backend.web.blocks import Block, BlockState
from backend.web.console import CONSOLE_HOME

NAME = "portal"
DONE = "gui-lai-cong-dvc"
# What went wrong, said by us (the portal's own message follows when it gave one).
PROBLEMS: dict[str, Text] = {
    "timeout": N_("Cổng không trả lời kịp"),
    "unreachable": N_("Không kết nối được tới Cổng"),
    "server": N_("Cổng đang gặp sự cố"),
    "auth": N_("Cổng không chấp nhận tài khoản kết nối của tỉnh"),
    "rejected": N_("Cổng từ chối hồ sơ"),
}


@dataclass(frozen=True, slots=True)
class PortalLine:
    """The console's portal line of a dossier (``portal/_console.html``)."""

    state: SyncState | None
    action: str
    may_resend: bool
    done: bool

    @property
    def problem(self) -> Text | None:
        return PROBLEMS.get(self.state.problem) if self.state else None

    @property
    def retrying_at(self) -> dt.datetime | None:
        return self.state.next_attempt_at if self.state else None


async def console_line(
    request: Request[Any, Any, Any], dossier: DossierRead, state: BlockState | None
) -> Block | None:
    runtime = runtime_of(request)
    principal = await current_principal(request)
    if not runtime.enabled or principal is None or dossier.received_at is None:
        return None
    view = PortalLine(
        state=await service.state_of(dossier.id),
        action=f"{CONSOLE_HOME}/ho-so/{dossier.id}/cong-dvc/gui-lai",
        # Those who act on the dossier: the agency holding it now.
        may_resend=principal.agency_code == dossier.agency_code,
        done=request.query_params.get("xong", "") == DONE,
    )
    return Block("portal/_console.html", view)


class PortalConsolePages(Controller):
    """ "Gửi lại" from the console's dossier page."""

    path = CONSOLE_HOME
    include_in_schema = False
    guards = [require_official]

    @post("/ho-so/{dossier_id:int}/cong-dvc/gui-lai", name="console-portal-resend")
    async def resend(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        dossier_id: FromPath[int],
    ) -> Redirect:
        await service.request_resend(runtime_of(request), principal, dossier_id)
        return Redirect(f"{CONSOLE_HOME}/ho-so/{dossier_id}?xong={DONE}#cong-dvc", status_code=303)
