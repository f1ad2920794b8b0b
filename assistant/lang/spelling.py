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
from typing import Callable

from rapidfuzz import process
from rapidfuzz.distance import OSA

_FOLD = str.maketrans({"å": "a", "ä": "a", "ö": "o", "Å": "a", "Ä": "a", "Ö": "o", "æ": "a", "ø": "o"})
_DOUBLED = re.compile(r"(.)\1+")
_DIACRITICS = re.compile(r"[åäöÅÄÖæøÆØéÉüÜ]")
#: A word, as the vocabulary counts words.
WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+")


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
    #: Longest word length that allows only one edit; longer words allow two (a typed slip is one edit;
    #: two edits on shorter words turn unknown words into other document words: "deltagare" → "deltagande").
    one_edit_max_length: int = 12
    #: A correction must occur at least this often in the documents.
    min_frequency: int = 1
    #: A typed word at least this common in the language (Zipf scale) is a real word: no edit-distance
    #: or stem correction (with a ``frequency`` function).
    known_word_zipf: float = 3.0
    #: The same bar for English questions, lower: English spellings of one word vary more ("organises"
    #: 2.7 is as real as "organizes"), and an English question is repaired only against English words.
    english_known_word_zipf: float = 2.0
    #: A word typed without diacritics takes the documents' spelling only if that spelling is this much
    #: more common ("ar" 4.6 → "är" 7.5; "slags" stays).
    diacritics_gain_zipf: float = 1.5
    #: Shortest part of a compound put together from two document words ("tandvårds" + "frågorna").
    compound_part_min_length: int = 4


def _within(word: str, by_length: dict[int, list[str]], max_edits: int) -> list[tuple[str, float, int]]:
    """(candidate, slips, index) for the words of ``by_length`` at most ``max_edits`` slips (OSA) from ``word``."""
    candidates = [w for n in range(len(word) - max_edits, len(word) + max_edits + 1) for w in by_length.get(n, ())]
    return process.extract(word, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=None)


class Lexicon:
    """A language's common words (most common first), for words the documents do not use.

    ``spelling`` restores å/ä/ö ("traffas" → "träffas"); ``nearest`` finds the most common word one
    slip away ("sennast" → "senast", "groas" → "göras"), both on folded forms.
    """

    def __init__(self, words, frequency: Callable[[str], float]):
        self.frequency = frequency
        self._marked: dict[str, str] = {}
        self._written: dict[str, str] = {}
        for word in words:
            if not word.isalpha():
                continue
            folded = fold(word)
            self._written.setdefault(folded, word)
            if folded != word:
                self._marked.setdefault(folded, word)
        self._by_length: dict[int, list[str]] = {}
        for folded in self._written:
            self._by_length.setdefault(len(folded), []).append(folded)

    def spelling(self, folded: str) -> str:
        """The most common word with å/ä/ö that folds to ``folded``, or ""."""
        return self._marked.get(folded, "")

    def nearest(self, folded: str, max_edits: int = 1) -> str:
        """The most common word within ``max_edits`` slips of ``folded`` (folded forms compared), or ""."""
        found = [item for item in _within(folded, self._by_length, max_edits) if item[1] > 0]  # not "gruda" itself
        if not found:
            return ""
        best = max(found, key=lambda item: (-item[1], self.frequency(self._written[item[0]]), item[0]))[0]
        return self._written[best]


@dataclass
class Vocabulary:
    """The documents' words: folded form → the spellings seen, with their counts.

    With a ``stemmer``, an inflection the documents do not use is still put into their spelling
    through its stem: "sprakkraven" → the documents' "språkkrav" → "språkkraven".
    """

    counts: Counter = field(default_factory=Counter)
    stemmer: Callable[[str], str] | None = None
    #: How common a word is in the language in general (Zipf scale); None: every word counts as unknown.
    frequency: Callable[[str], float] | None = None
    #: The language's common words, for words the documents do not use ("traffas" → "träffas",
    #: "sennast" → "senast"); None: only the documents' spellings are restored.
    lexicon: Lexicon | None = None

    def __post_init__(self) -> None:
        spellings: dict[str, Counter] = {}
        stems: dict[str, Counter] = {}
        for word, count in self.counts.items():
            spellings.setdefault(fold(word), Counter())[word] += count
            if self.stemmer is not None and len(word) >= 4:
                stems.setdefault(fold(self.stemmer(word)), Counter())[self.stemmer(word)] += count
        self.stems = stems
        self.spellings = spellings
        self.folded_counts = {key: sum(c.values()) for key, c in spellings.items()}
        self._by_length: dict[int, list[str]] = {}
        for key in self.folded_counts:
            self._by_length.setdefault(len(key), []).append(key)
        self._stems_by_length: dict[int, list[str]] = {}
        for key in self.stems:
            self._stems_by_length.setdefault(len(key), []).append(key)
        self._memo: dict[tuple[str, SpellingSettings], str | None] = {}

    @classmethod
    def from_texts(cls, texts, stemmer: Callable[[str], str] | None = None,
                   frequency: Callable[[str], float] | None = None) -> "Vocabulary":
        counts: Counter = Counter()
        for text in texts:
            counts.update(word.lower() for word in WORD.findall(text))
        return cls(counts, stemmer, frequency)

    def _zipf(self, word: str) -> float:
        return self.frequency(word) if self.frequency is not None else 0.0

    def __contains__(self, word: str) -> bool:
        return fold(word) in self.folded_counts

    def spelling(self, folded: str) -> str:
        """The documents' most frequent spelling of a folded word."""
        return self.spellings[folded].most_common(1)[0][0]

    def correct(self, word: str, settings: SpellingSettings = SpellingSettings(),
                without_diacritics: bool = False) -> str | None:
        """The document word meant by ``word`` (its own spelling when it is one), or None.

        ``without_diacritics``: the whole text was typed without å/ä/ö, so a real word that the
        documents never use but write with diacritics is taken as theirs ("starkt" → "stärkt").
        """
        key = (word, settings, without_diacritics)
        if key not in self._memo:
            self._memo[key] = self._correct(word, settings, without_diacritics)
        return self._memo[key]

    def _correct(self, word: str, settings: SpellingSettings, without_diacritics: bool = False) -> str | None:
        word = word.lower()
        if word in self.counts:  # typed as the documents write it
            return word
        folded = fold(word)
        if "aa" in folded and folded not in self.folded_counts:  # "aa" typed for å: "tandvaard" → "tandvård"
            single = self._correct(folded.replace("aa", "a"), settings, without_diacritics)
            if single is not None:
                return single
        typed_zipf = self._zipf(word)
        if folded in self.folded_counts:
            written = self.spelling(folded)
            if typed_zipf < settings.known_word_zipf or self._zipf(written) - typed_zipf >= settings.diacritics_gain_zipf \
                    or (without_diacritics and written != folded):
                return written
            return None
        spelled = self.lexicon.spelling(folded) if self.lexicon is not None else ""
        if spelled and spelled != word and self._zipf(spelled) - typed_zipf >= settings.diacritics_gain_zipf:
            return spelled  # typed without å/ä/ö, a word the documents do not use ("borjar" → "börjar")
        if typed_zipf >= settings.known_word_zipf:  # a real word the documents do not use …
            if len(folded) >= 4 and folded.isalpha():
                # … unless it is a rare one, one slip from a far more common word ("upsala" → "uppsala",
                # "wich" → "which"); a short word needs twice the gain ("form" stays, "from" is not it)
                gain = settings.diacritics_gain_zipf * (1 if len(folded) >= settings.min_length else 2)
                best = self._nearest(folded, self._by_length, self.folded_counts, 1)
                if best is not None and self._zipf(self.spelling(best)) - typed_zipf >= gain:
                    return self.spelling(best)
            return None
        own_stem = self.stemmer(folded) if self.stemmer is not None and folded.isalpha() else ""
        if own_stem and len(own_stem) >= 4 and folded.startswith(own_stem):
            written = self.stems.get(own_stem)
            if written:  # an inflection the documents do not use: their stem, the typed ending …
                inflected = self._with_ending(written, own_stem, folded)
                if inflected == folded and self.lexicon is not None and self.stemmer is not None:
                    # … unless a common word of the same stem is one slip away ("kontakat" → "kontakta")
                    near = self.lexicon.nearest(folded, 1)
                    if near and fold(self.stemmer(near)) == own_stem:
                        return near
                return inflected
        if folded.isalpha():  # a key pressed twice, also in short words: "vffu" → "vfu"
            single = _DOUBLED.sub(r"\1", folded)
            if single != folded and single in self.folded_counts:
                return self.spelling(single)
        if len(folded) < settings.min_length or not folded.isalpha():
            return self._short_slip(folded) if len(folded) >= 4 and folded.isalpha() else None
        max_edits = 1 if len(folded) <= settings.one_edit_max_length else 2
        best = self._nearest(folded, self._by_length, self.folded_counts, max_edits)
        if best is not None:
            if self.folded_counts[best] < settings.min_frequency:
                return None
            return self.spelling(best)
        if own_stem and len(own_stem) >= settings.min_length and folded.startswith(own_stem):
            # a slip in an inflection the documents do not use: the nearest stem, the typed ending
            nearest = self._nearest(own_stem, self._stems_by_length, {k: sum(c.values()) for k, c in self.stems.items()}, 1)
            if nearest is not None:  # (the typed word may already hold the whole stem: "inrikta" for "inrikt")
                return self._with_ending(self.stems[nearest], nearest if folded.startswith(nearest) else own_stem, folded)
        compound = self._compound(folded, settings)
        if compound is None and self.lexicon is not None:  # a slip in a common word the documents do not use
            compound = self.lexicon.nearest(folded, 1) or None
        return compound

    def _short_slip(self, folded: str) -> str | None:
        """A short word with two letters swapped or a doubled letter typed once ("nvrk" → "nvkr",
        "fins" → "finns"): only these slips, the documents' most frequent such word."""
        candidates = {folded[:i] + folded[i + 1] + folded[i] + folded[i + 2:] for i in range(len(folded) - 1)}
        candidates |= {folded[:i] + folded[i] + folded[i:] for i in range(len(folded))}
        known = [c for c in candidates - {folded} if c in self.folded_counts]
        if not known:
            return None
        return self.spelling(max(known, key=lambda c: (self.folded_counts[c], c)))

    def _compound(self, folded: str, settings: SpellingSettings) -> str | None:
        """A compound the documents do not use, put together from two parts they do (folded):
        "tandvardsfragorna" → "tandvårds" + "frågorna" (the second part may be an unused inflection)."""
        part = settings.compound_part_min_length
        for cut in range(len(folded) - part, part - 1, -1):
            left, right = folded[:cut], folded[cut:]
            head = left[:-1] if left.endswith("s") and left[:-1] in self.folded_counts else left
            if head not in self.folded_counts:
                continue
            tail = self._simple(right, settings)
            if tail:
                return self.spelling(head) + left[len(head):] + tail
        return None

    def _simple(self, folded: str, settings: SpellingSettings) -> str | None:
        """A word's document spelling by folding or by its stem only (no edit distance), or the
        language's spelling with å/ä/ö ("mattet" → "måttet")."""
        if folded in self.folded_counts:
            return self.spelling(folded)
        if self.lexicon is not None and self.lexicon.spelling(folded):
            return self.lexicon.spelling(folded)
        own_stem = self.stemmer(folded) if self.stemmer is not None else ""
        if own_stem and len(own_stem) >= 4 and folded.startswith(own_stem) and own_stem in self.stems:
            return self._with_ending(self.stems[own_stem], own_stem, folded)
        return None

    @staticmethod
    def _with_ending(written: Counter, stem: str, folded: str) -> str:
        stem_as_written = written.most_common(1)[0][0]
        return stem_as_written + folded[len(stem):]

    @staticmethod
    def _nearest(word: str, by_length: dict[int, list[str]], counts: dict[str, int], max_edits: int) -> str | None:
        found = _within(word, by_length, max_edits)
        if not found:
            return None
        return min(found, key=lambda item: (item[1], -counts[item[0]], item[0]))[0]


def repair(text: str, vocabulary: Vocabulary, settings: SpellingSettings = SpellingSettings(),
           keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every word put into the documents' spelling where one is meant.

    Words in ``keep`` (folded) are left as typed; case is kept for a first capital letter.
    """
    without_diacritics = not _DIACRITICS.search(text)

    def replace(match: re.Match) -> str:
        word = match.group(0)
        if fold(word) in keep or word.isdigit():
            return word
        fixed = vocabulary.correct(word, settings, without_diacritics)
        if fixed is None or fixed == word.lower():
            return word
        return fixed[:1].upper() + fixed[1:] if word[:1].isupper() else fixed

    return WORD.sub(replace, text)


def repair_opening(text: str, interrogatives: frozenset[str], min_length: int = 4) -> str:
    """A slip in the question word a question opens with: "vila är …" → "vilka är …", "viken …" → "vilken …".

    Only long question words (``min_length`` + 1 letters or more) are candidates, so that common
    openers one letter away from a short one ("har", "kan", "var") are never touched; a real word
    such as "vila" is taken as the question word only in the first position.
    """
    match = WORD.match(text.lstrip())
    if not match:
        return text
    word = match.group(0)
    folded = fold(word)
    targets = {fold(w): w for w in interrogatives if len(w) > min_length}
    if len(folded) < min_length or folded in {fold(w) for w in interrogatives}:
        return text
    near = [written for key, written in targets.items() if OSA.distance(folded, key) == 1]
    if len(near) != 1:
        return text
    fixed = near[0][:1].upper() + near[0][1:] if word[:1].isupper() else near[0]
    offset = len(text) - len(text.lstrip())
    return text[:offset] + fixed + text[offset + len(word):]
