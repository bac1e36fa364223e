"""Everyday words: the public query set's top-3 hit rate at a floor, and the cases of
issue 16 one by one (on the session's database: SQLite, or PostgreSQL with
DATABASE_URL)."""

from __future__ import annotations

import pytest

from backend.catalogue import search, service
from backend.db import Database
from tests.catalogue import everyday

# The set's rate on the demo catalogue was 100% on both databases when the synonyms
# were added (43.4% before them); the floor leaves room for two queries to move when the
# demo catalogue changes, never for the layer to go missing.
FLOOR = 0.95


async def _top(query: str) -> tuple[str, ...]:
    result = await service.list_procedures(q=query, page_size=10)
    return tuple(item.code for item in result.items)


def test_the_query_set_is_large_and_varied() -> None:
    queries = everyday.load()
    assert len(queries) >= 40
    assert len({code for query in queries for code in query.expect}) >= 20
    typed = [query.q for query in queries]
    assert sum(q.isascii() for q in typed) >= 20 and sum(not q.isascii() for q in typed) >= 10
    kinds = " ".join(query.kind for query in queries)
    for kind in ("abbreviation", "misspelled", "no diacritics", "everyday word", "old name"):
        assert kind in kinds


async def test_the_top_3_hit_rate_stays_above_the_floor(database: Database) -> None:
    outcomes = [everyday.Outcome(q, await _top(q.q)) for q in everyday.load()]
    lines: list[str] = []
    everyday.report(outcomes, lines.append)
    print("\n".join(lines))  # the figure, with pytest -s
    assert everyday.rate(outcomes) >= FLOOR, "\n".join(lines)


def test_a_query_plan_is_bounded_and_keeps_terms_across_repeated_words() -> None:
    synonyms = search.Synonyms((), {"bang lai": ("giay", "phep", "lai", "xe")}, 2)
    slots = search.plan(search.typed_words("Cấp lại bằng lái"), synonyms)
    assert [slot.typed for slot in slots] == [("cap",), ("lai",), ("bang", "lai")]
    assert slots[2].alternatives[1] == ("giay", "phep", "lai", "xe")
    many = search.plan(search.typed_words(" ".join(f"w{i}" for i in range(40))), synonyms)
    assert len(many) == search.MAX_WORDS
    assert len(search.plan(search.typed_words("bang lai " * 50), synonyms)) == 1
    assert search.plan(search.typed_words("?! ..."), synonyms) == []


@pytest.mark.parametrize(
    ("query", "first"),
    [
        # "doi" also folds "đối tượng": the funeral support came first.
        ("doi bang lai xe", "1.002809"),
        ("xac nhan doc than", "1.004873"),
        ("mat bang lai xe", "1.002820"),
        ("lltp", "2.000488"),
        ("nhap ho khau", "1.004222"),
        ("so do", "1.012790"),
    ],
)
async def test_the_issue_s_searches_find_the_procedure_first(
    database: Database, query: str, first: str
) -> None:
    top = await _top(query)
    assert top[:1] == (first,), f"{query!r}: {top[:3]}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("gplx", {"1.002809", "1.002820"}), ("cong chung", {"2.000815", "2.000884"})],
)
async def test_abbreviations_and_everyday_words_find_every_procedure_meant(
    database: Database, query: str, expected: set[str]
) -> None:
    assert set((await _top(query))[:2]) == expected


def _has(name: str, word: str) -> bool:
    return word in name.lower().replace(",", " ").split()


async def test_a_word_typed_with_diacritics_prefers_names_written_so(database: Database) -> None:
    """The words "đổi" (to exchange) and "đối" (towards) fold alike: typed with its
    diacritics, every name holding "đổi" comes before the names holding only "đối"."""
    items = (await service.list_procedures(q="đổi", page_size=50)).items
    names = [item.name_vi for item in items]
    exact = [i for i, name in enumerate(names) if _has(name, "đổi")]
    other = [i for i, name in enumerate(names) if _has(name, "đối") and not _has(name, "đổi")]
    assert exact and other, names
    assert max(exact) < min(other), names
    # The other way round for "đối tượng" typed with its diacritics.
    towards = (await service.list_procedures(q="đối", page_size=50)).items
    first = [item.name_vi for item in towards][: len(other)]
    assert all(_has(name, "đối") for name in first), first


async def test_a_word_typed_without_diacritics_finds_every_folded_match(
    database: Database,
) -> None:
    codes = await _top("doi")
    # "Đổi giấy phép lái xe", "thay đổi nội dung", "mai táng cho đối tượng": all found.
    assert {"1.002809", "1.011442", "1.001731"} <= set(codes)
    plain = await service.list_procedures(q="doi", page_size=50)
    accented = await service.list_procedures(q="đổi", page_size=50)
    assert plain.total == accented.total  # the same matches, in another order
