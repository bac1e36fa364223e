"""Retrieval over the catalogue: BM25 over folded words and word pairs of each
procedure's own text, the question widened with the catalogue's synonyms and the
everyday phrases, and a confidence that says when not to answer.

How a question is scored, so that every answer can be explained:

1. Its words are folded (``words``), common misspellings replaced, and a word the
   catalogue does not know is taken for the known word one typing mistake away, the
   one that makes a pair the catalogue uses ("khai sin" → "khai sinh") first.
2. Phrases are found, the longest first: the catalogue's synonyms ("sổ đỏ"), everyday
   phrases ("mới sinh", "mất bằng lái") and topics other offices handle ("hộ chiếu").
   A synonym or phrase adds the catalogue's words it stands for to the question;
   a phrase also points straight at national procedure codes.
3. Each procedure gets BM25 over the question's words and word pairs, its name
   weighing most, then its field, purpose and result, its documents least; plus a
   fixed bonus for each phrase pointing at it.
4. Confidence is the evidence for the best procedure: the weight (IDF) of the
   question's topic words found in its name, field, purpose or result (a single word
   alone, or a word guessed from a typing mistake, counts for little), and the phrases
   pointing at it. Words that only say what to do ("đăng ký", "cấp lại") are no
   evidence. Below ``CONFIDENT`` the assistant says it does not know; a
   question naming only another office's topic gets the same answer.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from backend.assistant.words import Everyday, Phrase, find_phrases, words_of
from backend.catalogue.schemas import DemoProcedure
from backend.catalogue.service import fold

# Field weights (a word in the name counts three times one in the purpose).
NAME, FIELD, TEXT, COMPONENT = 3.0, 1.0, 1.0, 0.3
K1, B = 1.2, 0.5
PAIR_WEIGHT = 1.5  # a word pair found is worth more than its two words
EXPANSION_WEIGHT = 0.8  # the words a phrase stands for, beside the words typed
PRIMARY_BONUS, SECONDARY_BONUS = 6.0, 3.0
CONFIDENT = 3.0  # the evidence below which the assistant does not answer
# Procedures after the first are shown when their score is at least this share of it.
RUNNER_UP_SHARE = 0.45
MAX_ANSWERS = 3


@dataclass(slots=True)
class _Document:
    code: str
    terms: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    strong: set[str] = field(default_factory=set)
    name: set[str] = field(default_factory=set)  # the name's and the field's terms
    length: float = 0.0


@dataclass(frozen=True, slots=True)
class Match:
    code: str
    score: float
    evidence: float
    # What matched, as the person wrote it or as the catalogue says it.
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    matches: tuple[Match, ...]
    # The question named only a topic other offices handle ("hộ chiếu").
    outside: bool = False


def _terms(words: Sequence[str], ignored: frozenset[str]) -> list[str]:
    """Words (not ignored) and word pairs (not both ignored), in order."""
    terms = [word for word in words if word not in ignored]
    terms += [
        f"{a} {b}" for a, b in itertools.pairwise(words) if not (a in ignored and b in ignored)
    ]
    return terms


class Index:
    """The procedures of one catalogue version in one language ("vi" or "en")."""

    def __init__(
        self,
        procedures: Iterable[DemoProcedure],
        everyday: Everyday,
        synonyms: Sequence[tuple[str, str]] = (),
        language: str = "vi",
    ) -> None:
        self.language = language
        self.everyday = everyday
        vi = language == "vi"
        self.ignored = everyday.stop_words if vi else everyday.english_stop_words
        self.actions = everyday.action_words if vi else _ENGLISH_ACTIONS
        self.spelling = everyday.spelling if vi else {}
        self.synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
        if vi:
            for term, replacement in synonyms:
                folded = tuple(fold(term).split())
                if folded:
                    self.synonyms[folded] = tuple(fold(replacement).split())
        self.documents: dict[str, _Document] = {}
        for procedure in procedures:
            self.documents[procedure.code] = self._document(procedure, vi)
        self.df: Counter[str] = Counter()
        for document in self.documents.values():
            self.df.update(document.terms.keys())
        count = max(len(self.documents), 1)
        self.average = sum(d.length for d in self.documents.values()) / count
        self.idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in self.df.items()
        }
        self.vocabulary = {term for term in self.df if " " not in term}
        self.vocabulary |= {word for words in self.synonyms for word in words}
        phrases = everyday.phrases if vi else everyday.english_phrases
        self.codes = set(self.documents)
        # Kept even when none of a phrase's codes is in this catalogue: the words it
        # stands for still help (another province's catalogue, other codes).
        self.phrases = list(phrases)
        self.known = self.vocabulary | (everyday.known if vi else set()) | set(self.ignored)
        self._near = _NearWords(self.vocabulary)

    def _document(self, procedure: DemoProcedure, vi: bool) -> _Document:
        document = _Document(procedure.code)

        def add(text: str, weight: float, strong: bool) -> None:
            words = fold(text).split()
            for term in _terms(words, frozenset()):
                document.terms[term] += weight
                if strong:
                    document.strong.add(term)
            document.length += weight * len(words)

        name = procedure.name_vi if vi else procedure.name_en
        add(name, NAME, True)
        document.name = set(_terms(fold(name).split(), frozenset()))
        field_text = procedure.field_vi if vi else procedure.field_en
        add(field_text, FIELD, True)
        document.name |= set(_terms(fold(field_text).split(), frozenset()))
        add(procedure.purpose_vi if vi else procedure.purpose_en, TEXT, True)
        add(procedure.result_vi if vi else procedure.result_en, TEXT, True)
        for component in procedure.components:
            add(component.name_vi if vi else component.name_en, COMPONENT, False)
        return document

    # ---- a question -------------------------------------------------------------

    def corrected(self, words: list[str]) -> list[str]:
        """Each unknown word replaced by a known one a typing mistake away, if any."""
        fixed = list(words)
        for position, word in enumerate(words):
            if word in self.known or len(word) < 3 or word.isdigit():
                continue
            candidates = self._near.near(word)
            if not candidates:
                continue
            neighbours = [fixed[i] for i in (position - 1, position + 1) if 0 <= i < len(fixed)]

            def pairs(candidate: str, neighbours: list[str] = neighbours) -> int:
                return sum(
                    1
                    for other in neighbours
                    if f"{other} {candidate}" in self.df or f"{candidate} {other}" in self.df
                )

            best = max(candidates, key=lambda c: (pairs(c), self.df.get(c, 0), c))
            if pairs(best) or len(word) >= 4:
                fixed[position] = best
        return fixed

    def score(self, question: str) -> Scored:
        as_typed = words_of(question, self.spelling)
        words = self.corrected(as_typed)
        # A word taken for another is a guess: it weighs half as evidence.
        guessed = frozenset(word for word, was in zip(words, as_typed, strict=True) if word != was)
        if not words:
            return Scored(())
        tagged: list[tuple[tuple[str, ...], object]] = [
            (phrase.words, phrase) for phrase in self.phrases
        ]
        tagged += [(term, ("synonym", replacement)) for term, replacement in self.synonyms.items()]
        if self.language == "vi":
            tagged += [(words_out, ("outside", words_out)) for words_out in self.everyday.outside]
        found = find_phrases(words, tagged)
        weights: defaultdict[str, float] = defaultdict(float)
        for term in _terms(words, self.ignored):
            weights[term] += PAIR_WEIGHT if " " in term else 1.0
        bonus: defaultdict[str, float] = defaultdict(float)
        reasons: dict[str, list[str]] = {}
        outside: list[tuple[str, ...]] = []
        understood = False
        for start, end, value in found:
            typed = " ".join(words[start:end])
            if isinstance(value, Phrase):
                understood = True
                for term in _terms(value.means, self.ignored):
                    weights[term] += EXPANSION_WEIGHT * (PAIR_WEIGHT if " " in term else 1.0)
                present = [code for code in value.codes if code in self.codes]
                for rank, code in enumerate(present):
                    bonus[code] += PRIMARY_BONUS if rank == 0 else SECONDARY_BONUS
                    reasons.setdefault(code, []).append(value.said)
            elif isinstance(value, tuple) and value[0] == "synonym":
                understood = True
                for term in _terms(value[1], self.ignored):
                    weights[term] += PAIR_WEIGHT if " " in term else 1.0
            elif isinstance(value, tuple) and value[0] == "outside":
                outside.append(tuple(typed.split()))
        matches = []
        for code, document in self.documents.items():
            score, evidence, matched = self._bm25(document, weights, guessed)
            score += bonus[code]
            evidence += bonus[code]
            if score > 0:
                why = [*reasons.get(code, []), *matched]
                matches.append(Match(code, score, evidence, tuple(dict.fromkeys(why))[:6]))
        matches.sort(key=lambda match: (-match.score, match.code))
        if outside and not understood:
            named = matches and any(
                " ".join(words_out) in self.documents[matches[0].code].name for words_out in outside
            )
            if not named:
                return Scored((), outside=True)
        return Scored(tuple(matches))

    def _bm25(
        self, document: _Document, weights: dict[str, float], guessed: frozenset[str] = frozenset()
    ) -> tuple[float, float, list[str]]:
        score = evidence = 0.0
        matched: list[str] = []
        norm = K1 * (1 - B + B * document.length / (self.average or 1))
        for term, weight in weights.items():
            tf = document.terms.get(term)
            if not tf:
                continue
            idf = self.idf[term]
            score += weight * idf * tf * (K1 + 1) / (tf + norm)
            if term in document.strong and not self._action(term):
                # The name and field say what a procedure is; its purpose and result
                # mention other things too ("mua đất" in a certificate's purpose).
                share = 1.0 if term in document.name else 0.5
                if guessed and any(word in guessed for word in term.split()):
                    share /= 2
                evidence += share * idf * min(weight, 1.5)
                matched.append(term)
        # One word alone is a coincidence ("mưa" in "mua đất", "cửa" in "cửa hàng"): the
        # words typed are evidence only as a pair, or two words, or with a phrase.
        if len(matched) == 1 and " " not in matched[0]:
            evidence = 0.0
        return score, evidence, matched

    def _action(self, term: str) -> bool:
        return all(word in self.actions or word in self.ignored for word in term.split())

    def answers(self, question: str) -> Scored:
        """The procedures to answer with (at most three), or none when not confident."""
        scored = self.score(question)
        if not scored.matches or scored.matches[0].evidence < CONFIDENT:
            return Scored((), outside=scored.outside)
        best = scored.matches[0].score
        kept = [
            match
            for match in scored.matches[:MAX_ANSWERS]
            if match.score >= best * RUNNER_UP_SHARE and match.evidence >= CONFIDENT
        ]
        return Scored(tuple(kept))


_ENGLISH_ACTIONS = frozenset(
    {
        "register", "registration", "certificate", "issue", "issuing", "reissue", "change",
        "apply", "application", "procedure", "get", "new", "confirmation", "copy", "of",
        "for", "the", "and", "a", "to", "in", "by",
    }
)  # fmt: skip


class _NearWords:
    """Known words within one typing mistake (two for long words) of a word: a
    deletion index (SymSpell's idea) over the vocabulary."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.keys: dict[str, set[str]] = {}
        for word in vocabulary:
            for key in _deletions(word):
                self.keys.setdefault(key, set()).add(word)

    def near(self, word: str) -> list[str]:
        limit = 2 if len(word) >= 7 else 1
        found = {
            known
            for key in _deletions(word)
            for known in self.keys.get(key, ())
            if _distance(word, known) <= limit
        }
        return sorted(found)


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Edit distance with an adjacent swap as one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        previous2, previous = previous, current
    return previous[-1]
