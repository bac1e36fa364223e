"""Pages made of other domains' parts, and the console shell's navigation."""

from __future__ import annotations

from typing import Any

from backend.i18n import N_
from backend.web.blocks import Block, Blocks, BlockState
from backend.web.console import Console, Section
from backend.web.forms import FormErrors


async def test_a_slot_draws_its_blocks_in_order_each_with_only_its_own_state() -> None:
    blocks = Blocks()
    seen: list[tuple[str, Any, BlockState | None]] = []

    def source(name: str, shows: bool) -> Any:
        async def draw(request: Any, subject: Any, state: BlockState | None) -> Block | None:
            seen.append((name, subject, state))
            return Block(f"{name}.html", {"of": subject}) if shows else None

        return draw

    blocks.add("dossier.console", "payments", source("payments", True))
    blocks.add("dossier.console", "ratings", source("ratings", False))
    blocks.add("dossier.citizen", "payments", source("box", True))
    state = BlockState("payments", FormErrors([("cash-confirm", "Hãy đánh dấu")]), {"a": "1"})

    drawn = await blocks.draw("dossier.console", None, 42, state)

    assert drawn == [Block("payments.html", {"of": 42})]
    assert seen == [("payments", 42, state), ("ratings", 42, None)]
    assert state.value("a") == "1" and state.value("b", "-") == "-"
    assert await blocks.draw("nobody.draws.here", None, 42) == []


async def test_the_console_shows_each_role_its_sections_and_pages_again() -> None:
    console = Console()
    officials = frozenset({"reception", "processing", "leader"})
    console.add_section(Section("dossiers", N_("Hồ sơ"), "/can-bo", officials))
    console.add_section(
        Section("stats", N_("Thống kê"), "/lanh-dao/thong-ke", frozenset({"leader"}))
    )
    assert [s.key for s in console.nav("reception")] == ["dossiers"]
    assert [s.key for s in console.nav("leader")] == ["dossiers", "stats"]
    assert console.nav(None) == []

    calls = []

    async def again(request: Any, subject_id: int, state: BlockState, status: int) -> Any:
        calls.append((subject_id, state.block, status))
        return "page"

    console.add_page("dossier", again)
    state = BlockState("payments", FormErrors())
    assert await console.page_again("dossier", None, 7, state, 422) == "page"  # type: ignore[arg-type]
    assert calls == [(7, "payments", 422)]
