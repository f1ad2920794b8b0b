"""How common a word is in Swedish (or English) in general (wordfreq's Zipf scale: 7 ≈ "är", 3 ≈ rare, 0 = unseen).

The spelling repair uses it to leave real words alone: "slags" and "deltagare" are Swedish words even
when the documents never use them, while "ansvarr" is not and "ar" is far rarer than "är".
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import top_n_list, zipf_frequency


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
