"""The words of a question: folded as the catalogue's search folds them, the everyday
phrases of ``everyday.json`` found in them, and which language they are in.

Everything here is plain text work on this machine: no model, nothing downloaded.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import msgspec

from backend.catalogue.service import fold

EVERYDAY_FILE = Path(__file__).with_name("everyday.json")

Language = Literal["vi", "en", "other"]

# A folded Vietnamese syllable: an initial consonant (or none), one to three vowels, a
# final consonant or glide (or none). English words rarely fit ("want", "birth",
# "licence" do not), and the letters f, j, w and z are never in one.
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"[aeiouy]{1,3}(ch|ng|nh|c|m|n|p|t)?"
)
# Letters of Vietnamese that English does not write.
_VIETNAMESE_MARKS = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]"
)


class _Phrases(msgspec.Struct, kw_only=True):
    say: list[str]
    codes: list[str] = msgspec.field(default_factory=list)
    means: str = ""


class _English(msgspec.Struct, kw_only=True):
    stop_words: list[str]
    phrases: list[_Phrases]


class _Everyday(msgspec.Struct, kw_only=True):
    about: str = ""
    spelling: dict[str, str]
    stop_words: list[str]
    action_words: list[str]
    outside: list[str]
    phrases: list[_Phrases]
    english: _English


@dataclass(frozen=True, slots=True)
class Phrase:
    """An everyday phrase (folded words), what it stands for in the catalogue's words,
    and the procedures it points to, the likeliest first."""

    words: tuple[str, ...]
    said: str  # as written in the file, for the explanation of an answer
    means: tuple[str, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Everyday:
    spelling: dict[str, tuple[str, ...]]
    stop_words: frozenset[str]
    action_words: frozenset[str]
    outside: tuple[tuple[str, ...], ...]
    phrases: tuple[Phrase, ...]
    english_stop_words: frozenset[str]
    english_phrases: tuple[Phrase, ...]
    # Every folded word the file knows (a question's words found here are Vietnamese).
    known: frozenset[str]


def _phrases(entries: Iterable[_Phrases]) -> tuple[Phrase, ...]:
    found: dict[tuple[str, ...], Phrase] = {}
    for entry in entries:
        means = tuple(fold(entry.means).split())
        for said in entry.say:
            words = tuple(fold(said).split())
            # A phrase said for two things points to both, the first one's first.
            earlier = found.get(words)
            codes = tuple(dict.fromkeys((*earlier.codes, *entry.codes))) if earlier else ()
            found[words] = Phrase(
                words, said, earlier.means if earlier else means, codes or tuple(entry.codes)
            )
    return tuple(found.values())


@functools.cache
def everyday() -> Everyday:
    data = msgspec.json.decode(EVERYDAY_FILE.read_bytes(), type=_Everyday)
    phrases = _phrases(data.phrases)

    def folded(words: Iterable[str]) -> frozenset[str]:
        return frozenset(word for text in words for word in fold(text).split())

    known = folded(data.stop_words) | folded(data.action_words)
    known |= {word for phrase in phrases for word in (*phrase.words, *phrase.means)}
    return Everyday(
        spelling={
            fold(typed): tuple(fold(right).split()) for typed, right in data.spelling.items()
        },
        stop_words=folded(data.stop_words),
        action_words=folded(data.action_words),
        outside=tuple(tuple(fold(text).split()) for text in data.outside),
        phrases=phrases,
        english_stop_words=folded(data.english.stop_words),
        english_phrases=_phrases(data.english.phrases),
        known=known,
    )


def words_of(question: str, spelling: dict[str, tuple[str, ...]]) -> list[str]:
    """The question's folded words, each common misspelling replaced ("ki" by "ky")."""
    found: list[str] = []
    for word in fold(question).split():
        found.extend(spelling.get(word, (word,)))
    return found


def find_phrases(
    words: Sequence[str], phrases: Iterable[tuple[tuple[str, ...], object]]
) -> list[tuple[int, int, object]]:
    """The phrases found in ``words``, the longest first, none overlapping another:
    (start, end, what the phrase carries)."""
    by_length = sorted(phrases, key=lambda item: -len(item[0]))
    taken = [False] * len(words)
    found: list[tuple[int, int, object]] = []
    for phrase, value in by_length:
        size = len(phrase)
        if not size:
            continue
        for start in range(len(words) - size + 1):
            if tuple(words[start : start + size]) == phrase and not any(
                taken[start : start + size]
            ):
                found.append((start, start + size, value))
                for index in range(start, start + size):
                    taken[index] = True
    return sorted(found, key=lambda item: item[0])


def is_syllable(word: str) -> bool:
    return _SYLLABLE.fullmatch(word) is not None


def language_of(
    question: str, vietnamese_words: frozenset[str], english_words: frozenset[str]
) -> Language:
    """Vietnamese, English or another language, from the letters and words alone.

    Mostly letters of another script (Chinese, Thai, Khmer, Cyrillic...): another
    language. Any letter only Vietnamese writes: Vietnamese. Otherwise, with the folded
    words (numbers aside): most of them Vietnamese syllables or words of the catalogue
    ("gplx"), Vietnamese; most of them words of the English catalogue or common English
    words, English; else another language (a French question, letters at random)."""
    letters = [char for char in question if char.isalpha()]
    if not letters:
        return "other"
    latin = sum(1 for char in letters if "LATIN" in unicodedata.name(char, ""))
    if latin * 2 < len(letters):
        return "other"
    if _VIETNAMESE_MARKS.search(unicodedata.normalize("NFC", question.lower())):
        return "vi"
    # Numbers and single letters say nothing of the language.
    words = [
        word
        for word in fold(question).split()
        if len(word) > 1 and not any(char.isdigit() for char in word)
    ]
    if not words:
        return "vi"
    vietnamese = sum(1 for word in words if is_syllable(word) or word in vietnamese_words)
    english = sum(1 for word in words if word in english_words)
    if english * 2 > len(words) and english >= vietnamese:
        return "en"
    if vietnamese * 10 >= len(words) * 7:
        return "vi"
    return "other"
