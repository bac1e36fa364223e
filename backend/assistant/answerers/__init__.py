"""The answerers: one interface (``base``), one module per way of answering, and this
registry of them by name (``MOTCUA_ASSISTANT``). Adding one is adding a module, a line
below and its name in backend/settings/assistant.py."""

from __future__ import annotations

import functools
from collections.abc import Callable

from backend.assistant.answerers import catalogue
from backend.assistant.answerers.base import Answer, Answerer, AnswerKind, Cited, Reason
from backend.settings import SettingsError

REGISTRY: dict[str, Callable[[], Answerer]] = {catalogue.NAME: catalogue.CatalogueAnswerer}


@functools.cache
def build(name: str) -> Answerer:
    """The named answerer, made once per process."""
    factory = REGISTRY.get(name)
    if factory is None:
        raise SettingsError("MOTCUA_ASSISTANT", f"must be one of {', '.join(sorted(REGISTRY))}")
    return factory()


__all__ = ["REGISTRY", "Answer", "AnswerKind", "Answerer", "Cited", "Reason", "build"]
