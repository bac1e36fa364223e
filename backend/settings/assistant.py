"""The assistant ("Trợ lý", issue 19): which answerer answers the questions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.settings.parse import choice

# The answerers backend.assistant.answerers registers, by name; a test keeps the two
# lists equal. Named here so that a bad value stops the app as it starts, in one line,
# rather than at the first question.
ANSWERERS = ("catalogue",)
DEFAULT_ANSWERER = "catalogue"


@dataclass(frozen=True, slots=True)
class AssistantSettings:
    """``answerer``: "catalogue" (the default, also when the variable is empty),
    retrieval over the catalogue on this machine, with no model and no outside service."""

    answerer: str = DEFAULT_ANSWERER


def assistant_settings(env: Mapping[str, str]) -> AssistantSettings:
    chosen = {"MOTCUA_ASSISTANT": env.get("MOTCUA_ASSISTANT", "").strip() or DEFAULT_ANSWERER}
    return AssistantSettings(
        answerer=choice(chosen, "MOTCUA_ASSISTANT", ANSWERERS, DEFAULT_ANSWERER)
    )
