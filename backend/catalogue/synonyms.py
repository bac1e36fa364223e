"""Search's synonyms and abbreviations as the catalogue administrator keeps them: what
people type ("bằng lái", "sổ đỏ", "LLTP") beside the catalogue's own words ("giấy phép
lái xe", "giấy chứng nhận quyền sử dụng đất", "lý lịch tư pháp").

A synonym is one row: the term as written, its folded form (unique: "bang lai" and
"bằng lái" are one term to search) and the replacement. Every write raises the
catalogue's version (a trigger), so cached searches end with it. ``search`` reads the
rows; this module checks and writes them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import msgspec
from piccolo.querystring import QueryString

from backend.catalogue.schemas import DemoSynonym, SynonymRead
from backend.catalogue.search import MAX_WORD_LENGTH, MAX_WORDS, fold
from backend.catalogue.tables import Synonym
from backend.db import write_transaction
from backend.db.engine import active_engine
from backend.errors import InvalidInput, NotFound, Problems
from backend.i18n import N_, Text, Translatable

# A term is matched as a phrase within a query of at most MAX_WORDS words.
MAX_TERM_WORDS = 4
MAX_TEXT_LENGTH = 200
_NOT_FOUND = N_("Không có từ đồng nghĩa này.")
SYNONYM_LABELS: dict[str, Text] = {
    "term": N_("Từ người dân gõ"),
    "replacement": N_("Từ trong danh mục thủ tục"),
}


def _problems(entry: DemoSynonym) -> Problems:
    problems = Problems()

    def add(name: str, message: Text) -> None:
        label = SYNONYM_LABELS[name]
        problems.add(name, N_("%(label)s: %(problem)s", label=label, problem=message))

    for name, typed, most in (
        ("term", entry.term, MAX_TERM_WORDS),
        ("replacement", entry.replacement, MAX_WORDS),
    ):
        words = fold(typed).split()
        if not words:
            add(name, N_("hãy nhập ít nhất một chữ hoặc số."))
        elif any(unicodedata.category(char) == "Cc" for char in typed):
            # Tabs, NUL and the like: invisible on the page, and NUL is refused by
            # PostgreSQL's text type.
            add(name, N_("không được chứa ký tự điều khiển."))
        elif len(typed) > MAX_TEXT_LENGTH:
            add(name, N_("tối đa %(count)s ký tự.", count=MAX_TEXT_LENGTH))
        elif len(words) > most:
            add(name, N_("tối đa %(count)s từ.", count=most))
        elif any(len(word) > MAX_WORD_LENGTH for word in words):
            add(name, N_("mỗi từ tối đa %(count)s chữ cái.", count=MAX_WORD_LENGTH))
    if not problems.items and fold(entry.term) == fold(entry.replacement):
        add("replacement", N_("phải khác từ người dân gõ, nếu không thì không cần từ này."))
    return problems


def _cleaned(entry: DemoSynonym) -> DemoSynonym:
    return DemoSynonym(
        term=" ".join(entry.term.split()), replacement=" ".join(entry.replacement.split())
    )


async def _serialise_writes() -> None:
    """Check-then-write without a race: SQLite's IMMEDIATE transaction already holds the
    write lock; on PostgreSQL the version row is locked (synonym edits are rare)."""
    engine = active_engine()
    if engine.engine_type != "sqlite":
        await engine.run_querystring(
            QueryString("SELECT version FROM catalogue_version WHERE id = 1 FOR UPDATE")
        )


async def _refuse_duplicate(folded: str, keep: int | None) -> None:
    query = Synonym.select(Synonym.term).where(Synonym.folded == folded)
    if keep is not None:
        query = query.where(Synonym.id != keep)
    rows = await query
    if rows:
        raise InvalidInput(
            N_(
                "%(label)s: đã có “%(term)s”, hãy sửa từ đó thay vì thêm lần nữa.",
                label=SYNONYM_LABELS["term"],
                term=rows[0]["term"],
            ),
            field="term",
        )


async def list_synonyms() -> list[SynonymRead]:
    rows = await Synonym.select(Synonym.id, Synonym.term, Synonym.replacement).order_by(
        Synonym.folded
    )
    return msgspec.convert(rows, list[SynonymRead])


async def synonym(synonym_id: int) -> SynonymRead:
    rows = await Synonym.select(Synonym.id, Synonym.term, Synonym.replacement).where(
        Synonym.id == synonym_id
    )
    if not rows:
        raise NotFound(_NOT_FOUND, field="synonym")
    return msgspec.convert(rows[0], SynonymRead)


def check_synonym(entry: DemoSynonym) -> None:
    """Refuse, naming each field, a synonym that search could not use."""
    problems = _problems(entry)
    if problems.items:
        raise InvalidInput(problems=problems.items)


async def add_synonym(entry: DemoSynonym) -> SynonymRead:
    check_synonym(entry)
    entry = _cleaned(entry)
    folded = fold(entry.term)
    async with write_transaction():
        await _serialise_writes()
        await _refuse_duplicate(folded, None)
        rows = await Synonym.insert(
            Synonym(term=entry.term, folded=folded, replacement=entry.replacement)
        ).returning(Synonym.id)
    return SynonymRead(id=int(rows[0]["id"]), term=entry.term, replacement=entry.replacement)


async def save_synonym(synonym_id: int, entry: DemoSynonym) -> SynonymRead:
    check_synonym(entry)
    entry = _cleaned(entry)
    folded = fold(entry.term)
    async with write_transaction():
        await _serialise_writes()
        await _refuse_duplicate(folded, synonym_id)
        rows = (
            await Synonym.update(
                {
                    Synonym.term: entry.term,
                    Synonym.folded: folded,
                    Synonym.replacement: entry.replacement,
                }
            )
            .where(Synonym.id == synonym_id)
            .returning(Synonym.id)
        )
    if not rows:
        raise NotFound(_NOT_FOUND, field="synonym")
    return SynonymRead(id=synonym_id, term=entry.term, replacement=entry.replacement)


async def remove_synonym(synonym_id: int) -> None:
    async with write_transaction():
        rows = await Synonym.delete().where(Synonym.id == synonym_id).returning(Synonym.id)
    if not rows:
        raise NotFound(_NOT_FOUND, field="synonym")


def file_problems(entries: Sequence[DemoSynonym]) -> list[tuple[int, str, Translatable]]:
    """What is wrong in a file's synonyms: (index in ``entries``, field, message)."""
    found: list[tuple[int, str, Translatable]] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        found.extend((index, str(p.field), p.message) for p in _problems(entry).items)
        folded = fold(entry.term)
        if folded and folded in seen:
            message = N_(
                "“%(term)s” bị lặp (đã có “%(first)s”).", term=entry.term, first=seen[folded]
            )
            found.append((index, "term", message))
        seen.setdefault(folded, entry.term)
    return found


async def put_all(entries: Sequence[DemoSynonym]) -> tuple[int, int]:
    """An import's synonyms, checked by ``file_problems``: a term already there gets the
    file's replacement, a new one is added; those the file does not name stay.
    Inside the caller's transaction; (added, replaced)."""
    known = {row["folded"]: row["id"] for row in await Synonym.select(Synonym.id, Synonym.folded)}
    added = replaced = 0
    for entry in map(_cleaned, entries):
        folded = fold(entry.term)
        if folded in known:
            await Synonym.update(
                {Synonym.term: entry.term, Synonym.replacement: entry.replacement}
            ).where(Synonym.id == known[folded])
            replaced += 1
        else:
            await Synonym.insert(
                Synonym(term=entry.term, folded=folded, replacement=entry.replacement)
            )
            added += 1
    return added, replaced


async def add_missing(entries: Sequence[DemoSynonym]) -> int:
    """Add the synonyms whose term is not there yet (the demo seed, an import); an
    administrator's own version of a term stays. Inside the caller's transaction."""
    for entry in entries:
        check_synonym(entry)
    known = {row["folded"] for row in await Synonym.select(Synonym.folded)}
    added = 0
    for entry in map(_cleaned, entries):
        folded = fold(entry.term)
        if folded in known:
            continue
        await Synonym.insert(Synonym(term=entry.term, folded=folded, replacement=entry.replacement))
        known.add(folded)
        added += 1
    return added
