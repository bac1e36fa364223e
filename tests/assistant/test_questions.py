"""The quality floor on the public question set (tests/bench/assistant.py prints the
rates in full, with the latency)."""

from __future__ import annotations

from backend.assistant.answerers import Answerer
from tests.assistant import questions
from tests.assistant.conftest import codes_of


async def test_the_hit_rate_holds_on_the_public_set(answerer: Answerer) -> None:
    asked = questions.load()
    assert len(asked) >= 80
    assert sum(1 for q in asked if not q.expect) >= 15
    # At least 30 % never tuned on: "heldout" (written before tuning), "fresh" (after).
    assert sum(1 for q in asked if q.part != "tuned") * 10 >= len(asked) * 3

    async def answer(question: str) -> tuple[str, ...]:
        return await codes_of(answerer, question)

    outcomes = await questions.run(asked, answer)
    whole = questions.rates(outcomes)
    held_out = questions.rates([o for o in outcomes if o.question.part != "tuned"])
    missed = [o.question.q for o in outcomes if o.question.expect and not o.top3]
    assert whole.top3 >= 0.85, missed
    assert whole.top1 >= 0.75, missed
    assert whole.declined >= 0.8
    assert held_out.top3 >= 0.8, missed
