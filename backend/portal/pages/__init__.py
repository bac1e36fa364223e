"""The portal's parts of the console: its line on a dossier's page and "Gửi lại"."""

from __future__ import annotations

from typing import Any

from backend.portal.pages.console import NAME, PortalConsolePages, console_line
from backend.web.blocks import Blocks

PORTAL_PAGES: list[Any] = [PortalConsolePages]


def register(blocks: Blocks) -> None:
    """The portal line of the console's dossier page."""
    blocks.add("dossier.console", NAME, console_line)


__all__ = ["PORTAL_PAGES", "register"]
