"""Vietnamese full-text search of the catalogue, on SQLite (FTS5) and PostgreSQL.

Both engines see the same folded words (lower case, no diacritics, "đ" as "d") and
go through the same three steps, stopping at the first that finds something:

1. every word typed, each also as a prefix ("xay" finds "xây dựng"), in any order;
2. the same with each word widened to the indexed words one or two typing mistakes
   away (SQLite: a deletion index over the FTS5 vocabulary; PostgreSQL: pg_trgm
   word similarity on the folded name);
3. any of the words (people add words the catalogue does not use, "hộ cá thể").

Before that, the words typed are planned into slots: a run of words that is a synonym's
term ("bang lai", "gplx", the longest first) becomes one slot matched by either the
words typed or the synonym's replacement ("giay phep lai xe"); every other word is a
slot of its own. Synonyms are rows of ``catalogue_synonym`` (catalogue.synonyms),
read again only when the catalogue's version changes.

The engine returns up to ``MAX_RESULTS`` candidates in its own relevance order
(FTS5 bm25 and ts_rank, both weighting the name far above the rest); they are then
re-ranked so that names holding the words typed (or a synonym's), whole and in order,
come first, and, when the query was typed with diacritics, names holding its words
exactly as typed ("đổi" above "đối"). Candidates are converted to
``ProcedureSummary`` once, as they come from the engine; a ranked list is cached and
shared.
"""

from __future__ import annotations

import asyncio
import functools
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

from backend.catalogue.schemas import ProcedureSummary

MAX_QUERY_LENGTH = 200
MAX_WORDS = 8
MAX_WORD_LENGTH = 32
MAX_RESULTS = 200

_NON_WORD = re.compile(r"[^a-z0-9]+")
_WRITTEN_WORD = re.compile(r"[^\W_]+")
_CODE = re.compile(r"^\d{1,2}\.\d{6}$")


def fold(text: str) -> str:
    """Lower-case, drop diacritics and fold đ to d: "Giấy phép" and "giay phep" match."""
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", plain).strip()


@dataclass(frozen=True, slots=True)
class _Name:
    words: frozenset[str]
    spaced: str  # " w1 w2 ... wn ": substring tests at word boundaries run in C
    length: int


@functools.lru_cache(maxsize=16384)
def _name(name: str) -> _Name:
    words = fold(name).split()
    return _Name(frozenset(words), f" {' '.join(words)} ", len(words))


@functools.lru_cache(maxsize=16384)
def _written(name: str) -> frozenset[str]:
    """A name's words as written, lower case (diacritics kept)."""
    return frozenset(_WRITTEN_WORD.findall(unicodedata.normalize("NFC", name.lower())))


def written_words(q: str) -> tuple[str, ...]:
    """The query's words with their diacritics when it was typed with any, else ():
    a query typed without them says nothing about which accented word was meant."""
    words = _WRITTEN_WORD.findall(unicodedata.normalize("NFC", q[:MAX_QUERY_LENGTH].lower()))
    if all(word.isascii() for word in words):
        return ()
    return tuple(dict.fromkeys(word[:MAX_WORD_LENGTH] for word in words[:MAX_WORDS]))


def query_words(q: str) -> list[str]:
    """The folded words of a query, bounded in number and length; duplicates dropped."""
    words: list[str] = []
    for word in fold(q[:MAX_QUERY_LENGTH]).split():
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


@dataclass(frozen=True, slots=True)
class Filters:
    field: str | None = None
    agency: str | None = None
    level: str | None = None
    online_level: str | None = None


# What a search returns for each procedure (one query: no second round trip).
SUMMARY_SQL = (
    "p.code, p.name_vi, p.name_en, p.field_vi, p.field_en, p.level,"
    " p.online_level, p.processing_days, p.anywhere"
)


def _candidates(rows: list[dict[str, Any]]) -> list[ProcedureSummary]:
    return msgspec.convert(rows, list[ProcedureSummary])


# ---- Synonyms ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Folded term -> the folded words of its replacement, as of one catalogue version."""

    signature: tuple[Any, ...]
    replacements: dict[str, tuple[str, ...]]
    longest: int  # words in the longest term


@dataclass(frozen=True, slots=True)
class Slot:
    """One part of a query: the words typed, and what else may stand for them (a
    synonym's replacement), each a tuple of folded words."""

    typed: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]  # the words typed first

    @property
    def plain(self) -> bool:
        return len(self.alternatives) == 1


def typed_words(q: str) -> tuple[str, ...]:
    """The folded words of a query in the order typed, repeats kept ("cap lai bang lai"
    holds the term "bang lai"), bounded in number and length."""
    words = fold(q[:MAX_QUERY_LENGTH]).split()[: MAX_WORDS * 2]
    return tuple(word[:MAX_WORD_LENGTH] for word in words)


def plan(words: Sequence[str], synonyms: Synonyms) -> list[Slot]:
    """The query's slots, left to right, the longest synonym term first; a word or term
    typed again is one slot, and there are at most MAX_WORDS slots."""
    slots: list[Slot] = []
    start = 0
    while start < len(words) and len(slots) < MAX_WORDS:
        for size in range(min(synonyms.longest, len(words) - start), 0, -1):
            typed = tuple(words[start : start + size])
            replacement = synonyms.replacements.get(" ".join(typed))
            if replacement is not None:
                slot = Slot(typed, (typed, replacement))
                start += size
                break
        else:
            slot = Slot((words[start],), ((words[start],),))
            start += 1
        if slot not in slots:
            slots.append(slot)
    return slots


_synonyms: dict[int, Synonyms] = {}


async def _load_synonyms(engine: Engine[Any], signature: tuple[Any, ...]) -> Synonyms:
    """The synonyms, read again only when the catalogue's version has changed."""
    cached = _synonyms.get(id(engine))
    if cached is not None and cached.signature == signature:
        return cached
    rows = await engine.run_querystring(
        QueryString("SELECT folded, replacement FROM catalogue_synonym")
    )
    replacements = {
        row["folded"]: words
        for row in rows
        if (words := tuple(fold(row["replacement"]).split()[:MAX_WORDS]))
    }
    loaded = Synonyms(
        signature, replacements, max((len(term.split()) for term in replacements), default=0)
    )
    _synonyms[id(engine)] = loaded
    return loaded


# ---- Ranking ------------------------------------------------------------------------


def _alternative_score(words: tuple[str, ...], name: _Name) -> float:
    total = 0.0
    for word in words:
        if word in name.words:
            total += 3
        elif f" {word}" in name.spaced:
            total += 2
    if len(words) > 1 and f" {' '.join(words)} " in name.spaced:
        total += 2
    return total


def rerank(
    slots: Sequence[Slot],
    raw_query: str,
    candidates: Sequence[ProcedureSummary],
    written: Sequence[str] = (),
) -> list[ProcedureSummary]:
    """Summaries in final order: the exact code, then names holding more of the words
    (whole words above prefixes, the words in the order typed above any order; a
    synonym's replacement counts as the words it stands for, in the same place),
    then, for a query typed with diacritics, names with its words as written, then the
    engine's own order."""
    words = [word for slot in slots for word in slot.typed]
    # The words in the order typed, as typed or with each synonym's replacement.
    phrases = {
        f" {' '.join(words)} ",
        f" {' '.join(word for slot in slots for word in slot.alternatives[-1])} ",
    }
    code = raw_query.strip()

    def score(item: tuple[int, ProcedureSummary]) -> tuple[float, int]:
        position, candidate = item
        name = _name(candidate.name_vi)
        total = 0.0
        for slot in slots:
            if slot.plain:
                total += _alternative_score(slot.typed, name)
                continue
            # Each slot is worth its words typed, whichever alternative the name holds.
            total += max(
                _alternative_score(alternative, name) * len(slot.typed) / len(alternative)
                for alternative in slot.alternatives
            )
        if len(words) > 1 and any(phrase in name.spaced for phrase in phrases):
            total += 2
        if written:
            as_written = _written(candidate.name_vi)
            total += sum(1 for word in written if word in as_written)
        if candidate.code == code:
            total += 100
        return (-total + 0.01 * name.length, position)

    return [candidate for _, candidate in sorted(enumerate(candidates), key=score)]


# ---- SQLite -----------------------------------------------------------------------


def _fts_group(alternatives: Sequence[str]) -> str:
    # Words are [a-z0-9] only (fold() guarantees it), so quoting is safe.
    return "(" + " OR ".join(f'"{word}" *' for word in alternatives) + ")"


def _fts_slot(slot: Slot) -> str:
    """Any alternative of the slot, each with all its words (as prefixes)."""
    return (
        "("
        + " OR ".join(
            "(" + " AND ".join(f'"{word}" *' for word in words) + ")" for words in slot.alternatives
        )
        + ")"
    )


class _Vocabulary:
    """The indexed words with a deletion index for edits (SymSpell's idea): two words
    within one edit share a key made by deleting at most one letter from each."""

    def __init__(self, terms: Sequence[str], signature: tuple[Any, ...]) -> None:
        self.signature = signature
        self.terms = set(terms)
        self.keys: dict[str, set[str]] = {}
        for term in self.terms:
            for key in _deletions(term, 2 if len(term) >= 6 else 1):
                self.keys.setdefault(key, set()).add(term)

    def near(self, word: str) -> list[str]:
        limit = 2 if len(word) >= 6 else 1
        found: set[str] = set()
        for key in _deletions(word, limit):
            for term in self.keys.get(key, ()):
                if term != word and _distance(word, term) <= limit:
                    found.add(term)
        return sorted(found)[:8]


def _deletions(word: str, depth: int) -> set[str]:
    keys = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        keys |= frontier
    return keys


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance (an adjacent swap counts as one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]


_vocabularies: dict[int, _Vocabulary] = {}


async def _catalogue_signature(engine: Engine[Any]) -> tuple[Any, ...]:
    """Changes whenever a procedure or an agency is added, removed or edited, by any
    path (database triggers raise it): the key of the caches below."""
    rows = await engine.run_querystring(
        QueryString("SELECT version FROM catalogue_version WHERE id = 1")
    )
    return (rows[0]["version"],)


async def _sqlite_vocabulary(engine: Engine[Any], signature: tuple[Any, ...]) -> _Vocabulary:
    """The vocabulary, rebuilt (in a thread) only when the catalogue has changed."""
    cached = _vocabularies.get(id(engine))
    if cached is not None and cached.signature == signature:
        return cached
    rows = await engine.run_querystring(
        QueryString("SELECT term FROM catalogue_procedure_vocab WHERE length(term) > 1")
    )
    vocabulary = await asyncio.to_thread(_Vocabulary, [row["term"] for row in rows], signature)
    _vocabularies[id(engine)] = vocabulary
    return vocabulary


# The agency filter: procedures the agency carries out (one index probe a candidate).
_CARRIED_OUT_BY = (
    "EXISTS (SELECT 1 FROM catalogue_provision v JOIN catalogue_agency a ON a.id = v.agency"
    " WHERE v.procedure = p.id AND a.code = {})"
)


def _filter_sql(filters: Filters, args: list[Any], placeholder: str) -> str:
    clauses = []
    for column, value in (
        ("p.field_vi", filters.field),
        ("p.level", filters.level),
        ("p.online_level", filters.online_level),
    ):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = {placeholder}")
    if filters.agency is not None:
        args.append(filters.agency)
        clauses.append(_CARRIED_OUT_BY.format(placeholder))
    return "".join(f" AND {clause}" for clause in clauses)


async def _sqlite_candidates(
    engine: Engine[Any], match: str, filters: Filters
) -> list[ProcedureSummary]:
    args: list[Any] = [match]
    where = _filter_sql(filters, args, "{}")
    # Only fixed fragments are joined in; every value typed is a bound parameter.
    sql = (
        f"SELECT {SUMMARY_SQL} FROM catalogue_procedure_fts f"  # noqa: S608
        " JOIN catalogue_procedure p ON p.id = f.rowid"
        f" WHERE catalogue_procedure_fts MATCH {{}}{where}"
        f" ORDER BY bm25(catalogue_procedure_fts, 10.0, 1.0) LIMIT {MAX_RESULTS}"
    )
    return _candidates(await engine.run_querystring(QueryString(sql, *args)))


async def _sqlite_search(
    engine: Engine[Any], slots: list[Slot], filters: Filters, signature: tuple[Any, ...]
) -> list[ProcedureSummary]:
    found = await _sqlite_candidates(engine, " AND ".join(map(_fts_slot, slots)), filters)
    if found:
        return found
    # Typing mistakes are looked for in the words that are no synonym's term.
    vocabulary = await _sqlite_vocabulary(engine, signature)
    widened = [
        [slot.typed[0], *vocabulary.near(slot.typed[0])] if slot.plain else None for slot in slots
    ]
    if any(group is not None and len(group) > 1 for group in widened):
        found = await _sqlite_candidates(
            engine,
            " AND ".join(
                _fts_group(group) if group is not None else _fts_slot(slot)
                for slot, group in zip(slots, widened, strict=True)
            ),
            filters,
        )
        if found:
            return found
    if len(slots) == 1:
        return []
    anything = [
        word
        for slot, group in zip(slots, widened, strict=True)
        for word in (group if group is not None else _words_of(slot))
    ]
    return await _sqlite_candidates(engine, _fts_group(anything), filters)


def _words_of(slot: Slot) -> list[str]:
    return list(dict.fromkeys(word for words in slot.alternatives for word in words))


# ---- PostgreSQL ---------------------------------------------------------------------

# Stored generated columns (see the migration): folded once per write.
_PG_DOCUMENT = "p.search_document"


async def _pg_candidates(
    engine: Engine[Any], condition: str, order: str, value: str, filters: Filters
) -> list[ProcedureSummary]:
    """``condition`` and ``order`` each hold one placeholder, both given ``value``."""
    args: list[Any] = [value]
    where = _filter_sql(filters, args, "{}")
    args.append(value)
    # Only fixed fragments are joined in; every value typed is a bound parameter.
    sql = (
        f"SELECT {SUMMARY_SQL} FROM catalogue_procedure p"  # noqa: S608
        f" WHERE {condition}{where} ORDER BY {order}, p.name_vi LIMIT {MAX_RESULTS}"
    )
    return _candidates(await engine.run_querystring(QueryString(sql, *args)))


async def _pg_text(engine: Engine[Any], tsquery: str, filters: Filters) -> list[ProcedureSummary]:
    return await _pg_candidates(
        engine,
        f"{_PG_DOCUMENT} @@ to_tsquery('simple', {{}})",
        f"ts_rank({_PG_DOCUMENT}, to_tsquery('simple', {{}})) DESC",
        tsquery,
        filters,
    )


def _ts_slot(slot: Slot) -> str:
    # Words are [a-z0-9] only (fold() guarantees it): no tsquery operator gets in.
    return (
        "("
        + " | ".join(
            "(" + " & ".join(f"{word}:*" for word in words) + ")" for words in slot.alternatives
        )
        + ")"
    )


async def _pg_search(
    engine: Engine[Any], slots: list[Slot], filters: Filters
) -> list[ProcedureSummary]:
    found = await _pg_text(engine, " & ".join(map(_ts_slot, slots)), filters)
    if found:
        return found
    # Typing mistakes: the query with each synonym's replacement, as close as can be.
    phrase = " ".join(word for slot in slots for word in slot.alternatives[-1])
    found = await _pg_candidates(
        engine,
        "{} <% p.search_name",
        "word_similarity({}, p.search_name) DESC",
        phrase,
        filters,
    )
    if found or len(slots) == 1:
        return found
    anything = dict.fromkeys(word for slot in slots for word in _words_of(slot))
    return await _pg_text(engine, " | ".join(f"{word}:*" for word in anything), filters)


# Ranked results of recent searches, kept while the catalogue is unchanged: people
# type the same few things, and a search costs up to three full-text queries and a
# re-rank where checking the catalogue's signature costs one small query.
RESULTS_CACHE_SIZE = 2048
_results: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], list[ProcedureSummary]]] = (
    OrderedDict()
)


async def search(engine: Engine[Any], q: str, filters: Filters) -> list[ProcedureSummary]:
    """The procedures matching ``q``, best first (at most MAX_RESULTS).

    The list and its items may be shared with other callers: read them, never change them."""
    words = typed_words(q)
    if not words:
        return []
    code = q if _CODE.match(q.strip()) else ""
    written = written_words(q)
    signature = await _catalogue_signature(engine)
    key = (id(engine), words, written, code, filters)
    cached = _results.get(key)
    if cached is not None and cached[0] == signature:
        _results.move_to_end(key)
        return cached[1]
    slots = plan(words, await _load_synonyms(engine, signature))
    if engine.engine_type == "sqlite":
        candidates = await _sqlite_search(engine, slots, filters, signature)
    else:
        candidates = await _pg_search(engine, slots, filters)
    ranked = rerank(slots, code, candidates, written)
    _results[key] = (signature, ranked)
    _results.move_to_end(key)
    while len(_results) > RESULTS_CACHE_SIZE:
        _results.popitem(last=False)
    return ranked
