"""The assistant's tests run on the session's database (SQLite, or PostgreSQL with
DATABASE_URL), loaded with the demo catalogue."""

from __future__ import annotations

import pytest

from backend.assistant.answerers import Answerer, build
from backend.db import Database


@pytest.fixture
def answerer(database: Database) -> Answerer:
    return build("catalogue")


async def codes_of(answerer: Answerer, question: str) -> tuple[str, ...]:
    answer = await answerer.answer(question, "vi")
    return tuple(cited.code for cited in answer.procedures)
