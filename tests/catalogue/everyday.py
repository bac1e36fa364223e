"""The public set of everyday searches (``everyday_queries.json``) and its top-3 hit
rate: shared by the quality floor of test_everyday_queries.py and by the search
benchmark, which prints the rate on the demo catalogue and on the grown one."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

QUERIES_FILE = Path(__file__).with_name("everyday_queries.json")


@dataclass(frozen=True, slots=True)
class Query:
    q: str
    expect: tuple[str, ...]
    kind: str


@dataclass(frozen=True, slots=True)
class Outcome:
    query: Query
    top: tuple[str, ...]

    @property
    def hit(self) -> bool:
        return bool(set(self.top[:3]) & set(self.query.expect))


def load() -> list[Query]:
    data = json.loads(QUERIES_FILE.read_text(encoding="utf-8"))
    return [Query(item["q"], tuple(item["expect"]), item["kind"]) for item in data["queries"]]


def rate(outcomes: Sequence[Outcome]) -> float:
    return sum(outcome.hit for outcome in outcomes) / len(outcomes)


def report(outcomes: Sequence[Outcome], show: Callable[[str], None] = print) -> None:
    """The rate, then each miss with what came first instead."""
    hits = sum(outcome.hit for outcome in outcomes)
    show(f"everyday queries: top-3 hit rate {rate(outcomes):.1%} ({hits}/{len(outcomes)})")
    for outcome in outcomes:
        if not outcome.hit:
            show(
                f"  miss {outcome.query.q!r}: expected {'/'.join(outcome.query.expect)},"
                f" top 3 {list(outcome.top[:3])}"
            )
