"""Understand a question: clean it, tell its language, and put it into the documents' spelling.

The first stage of the answer path. What comes out is the query the later stages read: council
detection, retrieval and the composer all see "vem är kontakt för språkkraven i mellansverige" when
the user typed "vem ar kontakt for sprakkraven i mellansverge". The question as typed is kept for
the answer object.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from assistant.answer.question import clean_question
from assistant.lang.frequency import common_english_words, english_zipf, swedish_zipf
from assistant.lang.spelling import WORD as _WORD
from assistant.lang.spelling import SpellingSettings, Vocabulary, repair, repair_opening
from assistant.lang.tokens import detect_language, stem
from assistant.lang.words import word_list
from assistant.store.loaded import LoadedIndex

#: Question words ("vilka", "vilken" …), for slips in the word a question opens with.
_INTERROGATIVES = frozenset(word_list("interrogatives"))


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
            cached = Vocabulary(Counter(stored) + Counter(word_list("question_vocabulary")), stem, swedish_zipf)
        else:  # a build from before the vocabulary was stored
            counts = Counter(word.lower() for chunk in index.chunks for word in _WORD.findall(chunk.text))
            counts.update(word.lower() for meta in index.documents().values()
                          for word in _WORD.findall(f"{meta.get('title', '')} {meta.get('council', '')}"))
            cached = Vocabulary(counts + Counter(word_list("question_vocabulary")), stem, swedish_zipf)
        index._vocabulary_cache = cached  # type: ignore[attr-defined]
    return cached


def english_vocabulary(index: LoadedIndex) -> Vocabulary:
    """Common English words and the documents' own words, for English questions (cached on the index)."""
    cached = getattr(index, "_english_vocabulary_cache", None)
    if cached is None:
        counts = Counter({word: max(1, int(english_zipf(word) * 100)) for word in common_english_words()})
        counts.update(vocabulary(index).counts)
        cached = Vocabulary(counts, None, english_zipf)
        index._english_vocabulary_cache = cached  # type: ignore[attr-defined]
    return cached


def repair_query(text: str, language: str, index: LoadedIndex, settings: SpellingSettings) -> str:
    """The question in the documents' spelling (English questions: in English spelling)."""
    if language != "sv":
        return repair(text, english_vocabulary(index), settings)
    return repair(repair_opening(text, _INTERROGATIVES), vocabulary(index), settings)


def understand(question: str, index: LoadedIndex, settings: SpellingSettings) -> Understanding:
    text = clean_question(question)
    language = detect_language(text)
    return Understanding(text=text, query=repair_query(text, language, index, settings), language=language)
