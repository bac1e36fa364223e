"""What every answerer is: given a question (already checked: not empty, not too long)
and the reader's language, say which procedures answer it, or why none.

An answerer only picks procedures: the reply a person reads (what to bring, the fee,
where to go) is built by the service from the catalogue itself, so whatever answers,
the reply says nothing the catalogue does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

AnswerKind = Literal["found", "unknown", "refused"]
# Why there is no answer: not understood, a topic other offices handle, or a question
# in a language the assistant does not read.
Reason = Literal["", "not_understood", "outside", "language"]


@dataclass(frozen=True, slots=True)
class Cited:
    """A procedure an answer comes from, and what in the question matched it."""

    code: str
    score: float
    matched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    kind: AnswerKind
    procedures: tuple[Cited, ...] = ()
    reason: Reason = ""
    # The language the question was read in ("vi", "en"), or "other".
    question_language: str = "vi"


class Answerer(Protocol):
    name: str

    async def answer(self, question: str, language: str) -> Answer: ...
