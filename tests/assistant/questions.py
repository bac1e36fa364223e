"""The assistant's public question set (``questions.json``) and its hit rates: shared
by the quality floor of test_questions.py and by tests/bench/assistant.py."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

QUESTIONS_FILE = Path(__file__).with_name("questions.json")


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    expect: tuple[str, ...]  # empty: the assistant should say it does not know
    part: str  # "tuned" or "heldout"
    kind: str


@dataclass(frozen=True, slots=True)
class Outcome:
    question: Question
    codes: tuple[str, ...]  # the procedures answered, in order (none: no answer)

    @property
    def top1(self) -> bool:
        return bool(self.codes) and self.codes[0] in self.question.expect

    @property
    def top3(self) -> bool:
        return bool(set(self.codes[:3]) & set(self.question.expect))

    @property
    def declined(self) -> bool:
        return not self.codes


def load() -> list[Question]:
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [
        Question(item["q"], tuple(item["expect"]), item["part"], item["kind"])
        for item in data["questions"]
    ]


async def run(
    questions: Sequence[Question], answer: Callable[[str], Awaitable[tuple[str, ...]]]
) -> list[Outcome]:
    return [Outcome(question, await answer(question.q)) for question in questions]


@dataclass(frozen=True, slots=True)
class Rates:
    answerable: int
    top1: float
    top3: float
    unanswerable: int
    declined: float


def rates(outcomes: Sequence[Outcome]) -> Rates:
    answerable = [o for o in outcomes if o.question.expect]
    others = [o for o in outcomes if not o.question.expect]

    def share(hits: int, total: int) -> float:
        return hits / total if total else 1.0

    return Rates(
        answerable=len(answerable),
        top1=share(sum(o.top1 for o in answerable), len(answerable)),
        top3=share(sum(o.top3 for o in answerable), len(answerable)),
        unanswerable=len(others),
        declined=share(sum(o.declined for o in others), len(others)),
    )
