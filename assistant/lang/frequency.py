"""How common a word is in Swedish (or English) in general (wordfreq's Zipf scale: 7 ≈ "är", 3 ≈ rare, 0 = unseen).

The spelling repair uses it to leave real words alone: "slags" and "deltagare" are Swedish words even
when the documents never use them, while "ansvarr" is not and "ar" is far rarer than "är".
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import top_n_list, zipf_frequency

from assistant.lang.spelling import Lexicon


@lru_cache(maxsize=65536)
def swedish_zipf(word: str) -> float:
    return zipf_frequency(word, "sv")


@lru_cache(maxsize=65536)
def english_zipf(word: str) -> float:
    return zipf_frequency(word, "en")


@lru_cache(maxsize=1)
def common_english_words(n: int = 30000) -> tuple[str, ...]:
    """The ``n`` most common English words (alphabetic, two letters or more)."""
    return tuple(w for w in top_n_list("en", n) if w.isalpha() and len(w) >= 2)


#: How many of the most common Swedish words the lexicon holds (for words the documents do not use).
SWEDISH_LEXICON_SIZE = 100_000


@lru_cache(maxsize=1)
def swedish_lexicon() -> Lexicon:
    """Common Swedish words (wordfreq), for restoring å/ä/ö and slips in words the documents do not use."""
    return Lexicon(top_n_list("sv", SWEDISH_LEXICON_SIZE), swedish_zipf)
