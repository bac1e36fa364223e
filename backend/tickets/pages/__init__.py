"""The queue's pages: taking a ticket at the entrance (``entrance``), the ticket's own
page (``ticket``), the hall's screen (``display``) and the officials' queue
(``console``). Each works without JavaScript; every rule lives in ``service``."""

from __future__ import annotations

from typing import Any

from backend.i18n import N_
from backend.tickets.pages.common import CONSOLE_PAGE
from backend.tickets.pages.console import QueueConsolePages
from backend.tickets.pages.display import DisplayPages
from backend.tickets.pages.entrance import EntrancePages
from backend.tickets.pages.ticket import TicketPages
from backend.tickets.service import QUEUE_ROLES
from backend.web.blocks import Blocks
from backend.web.console import Console, Section

TICKET_PAGES: list[Any] = [EntrancePages, TicketPages, DisplayPages, QueueConsolePages]


def register(blocks: Blocks, console: Console) -> None:
    """The console's section for the queue. The entrance page draws the slot
    ``"tickets.entrance"`` (subject: the agency's code) for other domains' blocks (a
    booking of today); this domain registers nothing in it."""
    del blocks
    console.add_section(Section("queue", N_("Hàng chờ, gọi số"), CONSOLE_PAGE, QUEUE_ROLES))


__all__ = ["TICKET_PAGES", "register"]
