"""Understand a question: clean it, tell its language, and put it into the documents' spelling.

The first stage of the answer path. What comes out is the query the later stages read: council
detection, retrieval and the composer all see "vem är kontakt för språkkraven i mellansverige" when
the user typed "vem ar kontakt for sprakkraven i mellansverge". The question as typed is kept for
the answer object.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from assistant.answer.question import clean_question
from assistant.lang.councils import HEALTHCARE_REGIONS, council_region
from assistant.lang.frequency import common_english_words, english_zipf, swedish_lexicon, swedish_zipf
from assistant.lang.patterns import PARAGRAPH_WORD, YEARS_TYPED_AFTER_NUMBER, compile_ci
from assistant.lang.spelling import WORD as _WORD
from assistant.lang.spelling import SpellingSettings, Vocabulary, fold, repair, repair_opening
from assistant.lang.tokens import detect_language, stem
from assistant.lang.words import word_list
from assistant.store.loaded import LoadedIndex

#: Question words ("vilka", "vilken" …), for slips in the word a question opens with.
_INTERROGATIVES = frozenset(word_list("interrogatives"))
#: Healthcare regions and their counties as typed (folded), never "corrected" into other words.
_REGION_NAMES = frozenset(fold(part) for region, names in HEALTHCARE_REGIONS.items() for name in (region, *names)
                          for part in name.split())
#: "första" → 1, "andra" → 2 …: "det andra målområdet" is the documents' "Målområde 2".
_ORDINALS = {word: number for number, word in enumerate(word_list("ordinals"), start=1)}
_ORDINAL_PHRASE = re.compile(rf"\b(?:(den|det|de)\s+)?({'|'.join(_ORDINALS)})\s+([a-zåäö]{{4,}})", re.IGNORECASE)


@dataclass
class Understanding:
    """A question as typed (cleaned) and as the documents would spell it."""

    text: str
    query: str
    language: str


def vocabulary(index: LoadedIndex) -> Vocabulary:
    """The words of an index build with their counts (cached on the index object)."""
    cached = getattr(index, "_vocabulary_cache", None)
    if cached is None:
        stored = index.lexicon.get("words")
        if stored:
            cached = Vocabulary(Counter(stored) + Counter(word_list("question_vocabulary")), stem, swedish_zipf,
                                swedish_lexicon())
        else:  # a build from before the vocabulary was stored
            counts = Counter(word.lower() for chunk in index.chunks for word in _WORD.findall(chunk.text))
            counts.update(word.lower() for meta in index.documents().values()
                          for word in _WORD.findall(f"{meta.get('title', '')} {meta.get('council', '')}"))
            cached = Vocabulary(counts + Counter(word_list("question_vocabulary")), stem, swedish_zipf,
                                swedish_lexicon())
        index._vocabulary_cache = cached  # type: ignore[attr-defined]
    return cached


#: How much more a question word counts than its frequency in running text when a typo is put right.
INTERROGATIVE_WEIGHT = 3


def english_vocabulary(index: LoadedIndex) -> Vocabulary:
    """Common English words and the documents' own words, for English questions (cached on the index)."""
    cached = getattr(index, "_english_vocabulary_cache", None)
    if cached is None:
        counts = Counter({word: max(1, int(english_zipf(word) * 100)) for word in common_english_words()})
        for word in word_list("interrogatives"):  # in a question "wich" is "which" rather than "with"
            if word in counts:
                counts[word] *= INTERROGATIVE_WEIGHT
        counts.update(vocabulary(index).counts)
        cached = Vocabulary(counts, None, english_zipf)
        index._english_vocabulary_cache = cached  # type: ignore[attr-defined]
    return cached


def numbered_name(query: str, index: LoadedIndex) -> str:
    """An ordinal before a noun as the documents number it: "det andra målområdet" → "Målområde 2".

    Only where the documents write the noun's stem followed by that number.
    """
    def replace(match: re.Match) -> str:
        number, noun = _ORDINALS[match.group(2).lower()], stem(match.group(3).lower())
        found = _numbered(index, noun, number) if len(noun) >= 4 else ""
        return found or match.group(0)

    return _ORDINAL_PHRASE.sub(replace, query)


def _numbered(index: LoadedIndex, noun_stem: str, number: int) -> str:
    """The documents' own "<Noun> <number>" for a stem and a number ("Målområde 2"), or "" (cached per build)."""
    cache = getattr(index, "_numbered_cache", None)
    if cache is None:
        cache = index._numbered_cache = {}  # type: ignore[attr-defined]
    key = (noun_stem, number)
    if key not in cache:
        pattern = re.compile(rf"\b({re.escape(noun_stem)}\w*)\s+{number}\b", re.IGNORECASE)
        found = ""
        for chunk in index.chunks:
            match = pattern.search(chunk.text)
            if match:
                found = f"{match.group(1)} {number}"
                break
        cache[key] = found
    return cache[key]


def council_names(query: str, index: LoadedIndex, settings: SpellingSettings) -> str:
    """A slip in a short council name that the general repair leaves alone ("sora", "sdra" → "södra").

    A word one slip from a region name of the indexed councils (or its genitive) is taken as that
    name unless it is a word the documents use or a real word (``known_word_zipf``).
    """
    regions = {fold(region) for region in filter(None, (council_region(council) for council in index.councils()))}
    if not regions:
        return query
    known = vocabulary(index)

    def replace(match: re.Match) -> str:
        word = match.group(0)
        folded = fold(word)
        if len(folded) < 4 or folded in regions or folded[:-1] in regions:
            return word
        if word.lower() in known.counts or folded in known.folded_counts or swedish_zipf(word.lower()) >= settings.known_word_zipf:
            return word  # a word the documents use, or a real word
        for key in regions:
            for name in (key, key + "s"):  # folded: the repair that follows restores the documents' spelling
                if abs(len(name) - len(folded)) <= 1 and OSA.distance(folded, name) == 1:
                    return name.capitalize() if word[:1].isupper() else name
        return word

    return _WORD.sub(replace, query)


_YEARS_AFTER_NUMBER = compile_ci(YEARS_TYPED_AFTER_NUMBER)
_PARAGRAPH = compile_ci(PARAGRAPH_WORD)


def years_after_number(text: str) -> str:
    """ "ar" typed for "år" after a number: "hur manga ar sitter de" → "hur manga år sitter de"."""
    return _YEARS_AFTER_NUMBER.sub(lambda m: f"{m.group(1)} år", text)


def paragraph_signs(text: str) -> str:
    """ "paragraf 17 a" as the documents write it: "§ 17 a"."""
    return _PARAGRAPH.sub("§ ", text)


def repair_query(text: str, language: str, index: LoadedIndex, settings: SpellingSettings) -> str:
    """The question in the documents' spelling (English questions: in English spelling)."""
    text = paragraph_signs(text)
    if language != "sv":
        english = dataclasses.replace(settings, known_word_zipf=settings.english_known_word_zipf)
        named = council_names(text, index, settings)  # "sora" → "sodra" in English questions too
        return repair(named, english_vocabulary(index), english, keep=_REGION_NAMES)  # "Norra" is no "Nora"
    named = council_names(years_after_number(repair_opening(text, _INTERROGATIVES)), index, settings)
    return numbered_name(repair(named, vocabulary(index), settings), index)


def understand(question: str, index: LoadedIndex, settings: SpellingSettings) -> Understanding:
    text = clean_question(question)
    language = detect_language(text)
    return Understanding(text=text, query=repair_query(text, language, index, settings), language=language)
