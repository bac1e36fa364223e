"""The feedback pages: the satisfaction survey of a returned dossier and of a counter
visit (``surveys``), feedback and petitions with their tracking page (``items``), and
the officials' console pages (``console``).

Every page is a plain form that works without JavaScript; every rule lives in
``service``.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.schemas import OFFICIAL_ROLES
from backend.feedback.pages.common import FEEDBACK_CONSOLE, RATINGS_CONSOLE
from backend.feedback.pages.console import ConsoleFeedbackPages
from backend.feedback.pages.items import FeedbackPages
from backend.feedback.pages.surveys import CounterRatingPages, DossierRatingPages, dossier_box
from backend.i18n import N_
from backend.web.blocks import Blocks
from backend.web.console import Console, Section

FEEDBACK_PAGES: list[Any] = [
    DossierRatingPages,
    CounterRatingPages,
    FeedbackPages,
    ConsoleFeedbackPages,
]


def register(blocks: Blocks, console: Console) -> None:
    """The rating and feedback box of the citizen's dossier page, and the console's
    sections for feedback and for the ratings of the officials' work."""
    blocks.add("dossier.citizen", "feedback", dossier_box)
    console.add_section(
        Section("feedback", N_("Phản ánh, kiến nghị"), FEEDBACK_CONSOLE, OFFICIAL_ROLES)
    )
    console.add_section(
        Section("ratings", N_("Đánh giá của người dân"), RATINGS_CONSOLE, OFFICIAL_ROLES)
    )


__all__ = ["FEEDBACK_PAGES", "register"]
