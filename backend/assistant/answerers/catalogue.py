"""The default answerer: retrieval over the catalogue (``backend.assistant.index``),
on this machine, with no model, no outside service and nothing downloaded.

Questions are read in Vietnamese (with or without diacritics) against the
catalogue's Vietnamese text, synonyms and everyday phrases, or in English against its
English names, purposes and results (the site has English pages, and the English
text is already in the catalogue: it costs one more index). Any other language is
refused with a message saying which languages it reads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from backend.assistant import snapshot
from backend.assistant.answerers.base import Answer, Cited
from backend.assistant.index import Index
from backend.assistant.words import everyday, language_of

NAME = "catalogue"


@dataclass(frozen=True, slots=True)
class _Indexes:
    vi: Index
    en: Index
    vietnamese_words: frozenset[str]
    english_words: frozenset[str]


def _build(current: snapshot.Snapshot) -> _Indexes:
    data = everyday()
    procedures = list(current.procedures.values())
    vi = Index(procedures, data, current.synonyms, "vi")
    en = Index(procedures, data, (), "en")
    english = set(en.vocabulary) | data.english_stop_words
    english |= {word for phrase in data.english_phrases for word in phrase.words}
    return _Indexes(vi, en, frozenset(vi.known), frozenset(english))


class CatalogueAnswerer:
    name = NAME

    def __init__(self) -> None:
        self._lock = asyncio.Lock()

    async def _indexes(self) -> _Indexes:
        current = await snapshot.current()
        built = current.derived.get(NAME)
        if isinstance(built, _Indexes):
            return built
        async with self._lock:
            built = current.derived.get(NAME)
            if isinstance(built, _Indexes):
                return built
            # A large catalogue takes a moment: not on the event loop.
            made = await asyncio.to_thread(_build, current)
            current.derived[NAME] = made
            return made

    async def answer(self, question: str, language: str) -> Answer:
        indexes = await self._indexes()
        read_as = language_of(question, indexes.vietnamese_words, indexes.english_words)
        if read_as == "other":
            return Answer("refused", reason="language", question_language="other")
        index = indexes.vi if read_as == "vi" else indexes.en
        scored = index.answers(question)
        if not scored.matches:
            return Answer(
                "unknown",
                reason="outside" if scored.outside else "not_understood",
                question_language=read_as,
            )
        return Answer(
            "found",
            tuple(Cited(match.code, match.score, match.reasons) for match in scored.matches),
            question_language=read_as,
        )
