"""Questions as people type them: without å/ä/ö, with typos — repaired against the corpus's own words.

Users write "vem ar kontakt for sprakkraven i mellansverge". Every later stage (council detection,
BM25, the composer's term matching) expects the documents' spelling, so the question is first put
into it:

1. each word is *folded* (å/ä → a, ö → o, accents dropped, lower case) and looked up among the folded
   forms of the words that occur in the indexed documents; a hit is replaced by the document's own
   most frequent spelling ("sprakkraven" → "språkkraven", "ar" → "är");
2. a word that still is not a document word and is long enough is matched within a small edit
   distance (optimal string alignment: a dropped, doubled, swapped or wrong letter) against the
   document words, the most frequent candidate winning ("ansvarr" → "ansvar", "mellansverge" →
   "mellansverige").

Quotes are never touched: only the query is repaired. English questions are left alone (English
words are not document words, and folding them into Swedish ones would change their meaning).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "a", "Ä": "a", "Ö": "o", "æ": "a", "ø": "o"})
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without diacritics: "Språkkraven" → "sprakkraven", "Södra" → "sodra"."""
    text = text.translate(_FOLD).lower()
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


@dataclass(frozen=True)
class SpellingSettings:
    """How hard to try (documented defaults; the answer settings carry the values)."""

    #: Shortest word that may be corrected by edit distance (shorter words are only folded).
    min_length: int = 5
    #: Longest word length that allows only one edit; longer words allow two.
    one_edit_max_length: int = 8
    #: A correction must occur at least this often in the documents.
    min_frequency: int = 1


@dataclass
class Vocabulary:
    """The documents' words: folded form → the spellings seen, with their counts."""

    counts: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        spellings: dict[str, Counter] = {}
        for word, count in self.counts.items():
            spellings.setdefault(fold(word), Counter())[word] += count
        self.spellings = spellings
        self.folded_counts = {key: sum(c.values()) for key, c in spellings.items()}
        self._by_length: dict[int, list[str]] = {}
        for key in self.folded_counts:
            self._by_length.setdefault(len(key), []).append(key)
        self._memo: dict[tuple[str, SpellingSettings], str | None] = {}

    @classmethod
    def from_texts(cls, texts) -> "Vocabulary":
        counts: Counter = Counter()
        for text in texts:
            counts.update(word.lower() for word in _WORD.findall(text))
        return cls(counts)

    def __contains__(self, word: str) -> bool:
        return fold(word) in self.folded_counts

    def spelling(self, folded: str) -> str:
        """The documents' most frequent spelling of a folded word."""
        return self.spellings[folded].most_common(1)[0][0]

    def correct(self, word: str, settings: SpellingSettings = SpellingSettings()) -> str | None:
        """The document word meant by ``word`` (its own spelling when it is one), or None."""
        key = (word, settings)
        if key not in self._memo:
            self._memo[key] = self._correct(word, settings)
        return self._memo[key]

    def _correct(self, word: str, settings: SpellingSettings) -> str | None:
        if word.lower() in self.counts:  # typed as the documents write it
            return word.lower()
        folded = fold(word)
        if folded in self.folded_counts:
            return self.spelling(folded)
        if len(folded) < settings.min_length or not folded.isalpha():
            return None
        max_edits = 1 if len(folded) <= settings.one_edit_max_length else 2
        candidates = [w for n in range(len(folded) - max_edits, len(folded) + max_edits + 1)
                      for w in self._by_length.get(n, ())]
        found = process.extract(folded, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=None)
        if not found:
            return None
        best = min(found, key=lambda item: (item[1], -self.folded_counts[item[0]], item[0]))
        if self.folded_counts[best[0]] < settings.min_frequency:
            return None
        return self.spelling(best[0])


def repair(text: str, vocabulary: Vocabulary, settings: SpellingSettings = SpellingSettings(),
           keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every word put into the documents' spelling where one is meant.

    Words in ``keep`` (folded) are left as typed; case is kept for a first capital letter.
    """
    def replace(match: re.Match) -> str:
        word = match.group(0)
        if fold(word) in keep or word.isdigit():
            return word
        fixed = vocabulary.correct(word, settings)
        if fixed is None or fixed == word.lower():
            return word
        return fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed

    return _WORD.sub(replace, text)
