"""Pages composed of parts that other domains own.

A page names a slot ("dossier.console": the officials' dossier page; "dossier.citizen":
the citizen's; "dossier.receipt": the receipt) and shows whatever blocks are registered
for it, in order; the domain
that owns a block registers it in ``create_app`` and draws it with its own template
and data. The page's domain never imports the block's: the console's payment box is
the payments domain's, on a page of the dossiers domain.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from backend.web.forms import FormErrors


@dataclass(frozen=True, slots=True)
class Block:
    """A drawn part of a page: its template reads ``block.view``."""

    template: str
    view: Any


@dataclass(frozen=True, slots=True)
class BlockState:
    """A block's own form, shown again after a refusal: what was wrong, what was sent."""

    block: str
    errors: FormErrors
    values: Mapping[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


# (request, the page's subject, the block's state or None) -> the block, or None to
# show nothing.
Source = Callable[[Any, Any, BlockState | None], Awaitable[Block | None]]


class Blocks:
    def __init__(self) -> None:
        self._sources: dict[str, list[tuple[str, Source]]] = {}

    def add(self, slot: str, name: str, source: Source) -> None:
        self._sources.setdefault(slot, []).append((name, source))

    async def draw(
        self, slot: str, request: Any, subject: Any, state: BlockState | None = None
    ) -> list[Block]:
        """The slot's blocks for ``subject``; each gets the state only if it is its own."""
        drawn = []
        for name, source in self._sources.get(slot, []):
            block = await source(request, subject, state if state and state.block == name else None)
            if block is not None:
                drawn.append(block)
        return drawn


def blocks_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Blocks:
    blocks: Blocks = connection.app.state["blocks"]
    return blocks
