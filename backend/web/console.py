"""The officials' console shell: its address, its sections, and the pages others may
show again.

Each domain with console work registers a section (the navigation's links, shown to
the roles that do that work) and, for a page that carries other domains' blocks, how
to show it again with a block's state: the payments domain's cash form, refused, is
shown on the dossiers domain's page without either importing the other's pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.response import Template

from backend.i18n import Text
from backend.web.blocks import BlockState
from backend.web.forms import render as render_form

CONSOLE_HOME = "/can-bo"

# (request, the subject's id, the block's state, the status) -> the page
PageAgain = Callable[[Request[Any, Any, Any], int, BlockState, int], Awaitable[Template]]


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    label: Text
    href: str
    roles: frozenset[str]


class Console:
    def __init__(self) -> None:
        self.sections: list[Section] = []
        self._pages: dict[str, PageAgain] = {}

    def add_section(self, section: Section) -> None:
        self.sections.append(section)

    def nav(self, role: str | None) -> list[Section]:
        return [section for section in self.sections if role in section.roles]

    def add_page(self, name: str, again: PageAgain) -> None:
        self._pages[name] = again

    async def page_again(
        self,
        name: str,
        request: Request[Any, Any, Any],
        subject_id: int,
        state: BlockState,
        status: int,
    ) -> Template:
        return await self._pages[name](request, subject_id, state, status)


def console_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Console:
    console: Console = connection.app.state["console"]
    return console


def render(
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    *,
    principal: Any,
    section: str,
    **context: Any,
) -> Template:
    """A console page: personal data, never cached; the shell's navigation for the
    signed-in official (``principal``), with ``section`` as the current one."""
    return render_form(
        request,
        name,
        status_code,
        principal=principal,
        console_home=CONSOLE_HOME,
        # Not named like the shell's console_nav() macro, which would hide it.
        console_sections=console_of(request).nav(principal.role),
        console_section=section,
        **context,
    )
