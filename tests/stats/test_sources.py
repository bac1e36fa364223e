"""What the figures read of the other domains, through their services: each domain's
counts of its own rows (typed rows), on the fixture of tests/stats/conftest.py; no SQL
of the stats domain names another domain's table, nor a domain's figures another's;
the console's link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.catalogue import service as catalogue
from backend.db import fetch
from backend.db.dialect import Sql, list_param
from backend.dossiers import service as dossiers
from backend.feedback import service as feedback
from backend.payments import service as payments
from backend.stats.pages import LEADERS_PATH, register
from backend.web.blocks import Blocks
from backend.web.console import Console
from tests.stats.conftest import (
    FULL_A,
    INFO_B,
    PARTIAL_A,
    A,
    B,
    World,
    build_world,
    d,
    open_database,
    vn,
)

BACKEND = Path(__file__).parents[2] / "backend"
# The tables a module's SQL names (Piccolo queries name their own Table classes).
TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z]+_\w+)")


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    _, database = await open_database(tmp_path_factory.mktemp("sources"), "stats_sources")
    try:
        yield await build_world()
    finally:
        await database.close()


def test_no_sql_of_the_stats_domain_names_another_domains_table() -> None:
    for path in sorted((BACKEND / "stats").glob("*.py")):
        tables = set(TABLE.findall(path.read_text()))
        assert all(table.startswith("stats_") for table in tables), (path.name, tables)


@pytest.mark.parametrize("domain", ["dossiers", "payments", "feedback"])
def test_each_domains_figures_read_its_own_tables_only(domain: str) -> None:
    tables = set(TABLE.findall((BACKEND / domain / "figures.py").read_text()))
    assert tables and all(table.startswith(f"{domain}_") for table in tables), tables


async def test_received_counts_by_groups_of_procedures(world: World) -> None:
    levels = await catalogue.procedure_codes_by_level()
    assert FULL_A in levels["full"] and PARTIAL_A in levels["partial"] and INFO_B in levels["info"]
    groups = {"full": levels["full"], "partial": levels["partial"]}
    rows = await dossiers.received_counts(vn(5, 0), vn(7, 0), groups)
    counts = {(row.day, row.agency, row.channel, row.group): row.count for row in rows}
    assert counts == {
        (d(5), A, "online", "full"): 1,  # a1
        (d(5), A, "counter", "full"): 2,  # a2, a6
        (d(5), B, "counter", "full"): 2,  # b1, b4
        (d(5), B, "counter", ""): 1,  # b2: a procedure for information only
        (d(6), A, "online", "partial"): 1,  # a3, at 00:30 in Vietnam
        (d(6), A, "post", "partial"): 1,  # a4
        (d(6), A, "assisted", "partial"): 1,  # a5
    }
    # No groups: every dossier in none of them.
    assert {row.group for row in await dossiers.received_counts(vn(5, 0), vn(7, 0), {})} == {""}


async def test_unhappy_dossiers_are_found_within_an_id_range(world: World) -> None:
    i = world.ids
    # b2 was rated 2, b1 is the subject of feedback f1; a1 was rated 5.
    everything = await feedback.unhappy_dossier_ids(1, 10**9)
    assert {i["b1"], i["b2"]} <= everything and i["a1"] not in everything
    assert await feedback.unhappy_dossier_ids(i["b2"], i["b2"]) == {i["b2"]}
    # Of them, the ones on time by their result day: b1 (the 6th) and b2 (the 5th).
    counts = await dossiers.on_time_among(vn(1, 0), vn(21, 0), everything)
    assert {(c.day, c.agency, c.count) for c in counts} == {(d(5), B, 1), (d(6), B, 1)}
    assert await dossiers.on_time_among(vn(1, 0), vn(21, 0), set()) == []


async def test_resolved_counts_report_the_ids_of_those_on_time(world: World) -> None:
    i = world.ids
    rows = {
        (row.day, row.agency): row for row in await dossiers.resolved_counts(vn(7, 0), vn(8, 0))
    }
    # a1 at A (on time) and b4, received at B and resolved at A (on time).
    seventh = rows[(d(7), A)]
    assert (seventh.resolved, seventh.on_time) == (2, 2)
    assert (seventh.first_on_time_id, seventh.last_on_time_id) == (
        min(i["a1"], i["b4"]),
        max(i["a1"], i["b4"]),
    )


async def test_paid_dossiers_and_where_they_were_received(world: World) -> None:
    i = world.ids
    paid = await payments.paid_dossiers(vn(5, 0), vn(6, 0))
    assert {(p.dossier_id, p.online) for p in paid} == {
        (i["a1"], True),
        (i["a3"], True),
        (i["a2"], False),
    }
    days = await dossiers.dossier_days({i["a1"], i["b4"], 10**9})
    assert set(days) == {i["a1"], i["b4"]}  # one that is no more is left out
    assert (days[i["b4"]].receiving_agency, days[i["b4"]].agency) == (B, A)
    assert (days[i["b4"]].received_day, days[i["b4"]].result_day) == (d(5), d(7))
    since = await payments.paid_dossiers(vn(6, 0))
    assert {p.dossier_id for p in since} == {i["b1"]}


async def test_what_changed_and_the_first_days(world: World) -> None:
    changed = await feedback.feedback_changed_since(vn(13, 0))
    assert {(c.received_day, c.answered_day) for c in changed} == {(d(6), d(13)), (d(16), None)}
    ratings = await feedback.ratings_changed_since(vn(8, 0))
    assert [(r.day, r.agency, r.dossier_id) for r in ratings] == [(d(8), A, world.ids["a1"])]
    assert await dossiers.first_dossier_day() == d(1, 6)
    assert await feedback.first_feedback_day() == d(5)
    assert await payments.first_paid_day() == d(5)


async def test_the_live_counts(world: World) -> None:
    today = d(20)
    assert await dossiers.overdue_counts(today, [A]) == {A: 2}
    assert await dossiers.overdue_counts(today, await catalogue.agency_codes()) == {A: 2}
    assert await dossiers.overdue_counts(today, [B]) == {}
    assert await dossiers.overdue_counts(today, []) == {}
    assert await feedback.overdue_feedback_counts(today) == {B: 1}
    assert await feedback.overdue_feedback_counts(d(10)) == {}
    levels = await catalogue.procedures_by_level(A)
    assert sum(levels.values()) == len(await catalogue.procedures_of_agency(A))


async def test_a_list_of_ids_is_one_parameter_however_long(world: World) -> None:
    # More ids than either engine takes bound parameters (SQLite 32,766; asyncpg 32,767).
    days = await dossiers.dossier_days(set(range(1, 40_001)))
    assert set(world.ids.values()) & set(days) >= {world.ids["a1"], world.ids["old"]}
    sql = Sql("SELECT COUNT(*) AS n FROM dossiers_dossier WHERE id IN_IDS({})")
    assert int((await fetch(sql(), list_param(range(1, 40_001))))[0]["n"]) == len(days)


def test_the_console_links_leaders_to_the_dashboard() -> None:
    console = Console()
    register(Blocks(), console)
    assert [(s.key, s.href) for s in console.nav("leader")] == [("stats", LEADERS_PATH)]
    assert console.nav("reception") == []
    assert console.nav("leader")[0].label.render("en") == "Figures and service indexes"
