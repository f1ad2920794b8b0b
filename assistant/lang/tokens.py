"""Language helpers shared by BM25, retrieval and the answer composer: tokens, stems, language."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.lang.patterns import compile_ci, follow_up_verb
from assistant.lang.spelling import SpellingSettings, Vocabulary, fold, repair
from assistant.lang.words import word_list

_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+")

SWEDISH_STOPWORDS = frozenset(word_list("swedish_stopwords"))

ENGLISH_STOPWORDS = frozenset(word_list("english_stopwords"))

_ENGLISH_MARKERS = frozenset(word_list("english_markers"))
_SWEDISH_MARKERS = frozenset(word_list("swedish_markers"))


@lru_cache(maxsize=2)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(language)


def words(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated forms split ("VFU-arbetet" → "vfu", "arbetet")."""
    return [w.lower() for w in _WORD.findall(text)]


#: Consonant pairs whose last letter Snowball's Swedish stemmer drops ("inrikt" → "inrik").
_SNOWBALL_PAIRS = frozenset({"dd", "gd", "nn", "dt", "gt", "kt", "tt"})


def stem(word: str, language: str = "swedish") -> str:
    """Snowball stem, plus the definite neuter ending "-et" that Snowball keeps ("verktyget" → "verktyg"); a noun
    made from a verb, and a verb's present or passive form, share the verb's stem."""
    stemmed = _stemmer(language).stemWord(word)
    if len(stemmed) >= 7 and stemmed.endswith("et"):
        stemmed = stemmed[:-2]
    # a noun made from a verb is the verb's word: "bevakning" → "bevak" (bevaka), "planering" → "planer"
    if stemmed.endswith("ering") and len(stemmed) >= 9:
        stemmed = stemmed[:-3]
    elif stemmed.endswith("ning") and len(stemmed) >= 8 and stemmed[-5] not in "aeiouyåäö":
        stemmed = stemmed[:-4]
        if stemmed[-2:] in _SNOWBALL_PAIRS:  # as Snowball ends the verb: "inriktning" → "inrik" like "inrikta"
            stemmed = stemmed[:-1]
    elif stemmed.endswith("ation") and len(stemmed) >= 11:  # "rekommendation" → "rekommend" (rekommendera)
        stemmed = stemmed[:-5]
    elif stemmed.endswith("an") and len(stemmed) >= 7 and not stemmed.endswith("plan"):  # "ansökan" → "ansök"
        stemmed = stemmed[:-2]
    elif stemmed[-2:] in ("år", "ås") and len(stemmed) >= 7:  # present and passive: "föreslår", "föreslås" → "föreslå"
        stemmed = stemmed[:-1]
    return stemmed


def content_words(text: str) -> list[str]:
    """Words that carry meaning (stopwords in either language and lone letters, as in "NVKR:s", removed)."""
    return [w for w in words(text) if w not in SWEDISH_STOPWORDS and w not in ENGLISH_STOPWORDS
            and (len(w) > 1 or w.isdigit())]


def tokenize(text: str) -> list[str]:
    """BM25 tokens: content words stemmed with the Swedish Snowball stemmer.

    Long compounds also contribute their head ("handledarutbildning" → also "utbildning"-stem)
    via :func:`compound_parts`, so a query for "utbildning" reaches compound forms.
    """
    return list(_tokens(text))


@lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    """Cached tokens: the composer scores the same chunk sentences for many questions."""
    tokens = []
    for word in content_words(text):
        tokens.append(stem(word))
        tokens.extend(stem(part) for part in compound_parts(word))
    tokens.extend(particle_verbs(text))
    return tuple(tokens)


@lru_cache(maxsize=65536)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of ``text`` (cached)."""
    return frozenset(_tokens(text))


_PARTICLE_VERB = compile_ci(follow_up_verb(4))


def particle_verbs(text: str) -> list[str]:
    """"följs (aktiviteterna) upp" means uppföljning: emit the noun's stem so the two forms meet."""
    return [stem("uppföljning") for _ in _PARTICLE_VERB.finditer(text)]


# Heads that Swedish planning documents build compounds with; a generic morphological list, not a
# list of document terms.
_COMPOUND_HEADS = word_list("compound_heads")


def compound_parts(word: str) -> list[str]:
    """Split a long compound into (modifier, head) when it ends in a known head word."""
    if len(word) < 9:
        return []
    for head in sorted(_COMPOUND_HEADS, key=len, reverse=True):
        if word.endswith(head) and len(word) - len(head) >= 3:
            modifier = word[: -len(head)]
            if modifier.endswith("s") and len(modifier) > 4:
                modifier = modifier[:-1]
            return [modifier, head]
    return []


def detect_language(text: str) -> str:
    """"en" or "sv" from simple lexical cues (Swedish letters, function words).

    Swedish typed without å/ä/ö or with a slip ("viilken", "vilkka") still counts: words that are not
    English function words are first put into the spelling of the Swedish function words.
    """
    tokens = words(text)
    if not tokens:
        return "sv"
    english = frozenset(fold(t) for t in tokens if t in _ENGLISH_MARKERS or t in ENGLISH_STOPWORDS)
    tokens = words(repair(text, _function_words(), SpellingSettings(min_length=5), keep=english))
    # Letters å/ä/ö are a strong cue, but in a capitalised name only a weak one ("What are Södra's …?").
    marked = [w for w in re.findall(r"\w+", text) if re.search(r"[åäöÅÄÖ]", w)]
    swedish_hits = 2 if any(not w[:1].isupper() for w in marked) else (0.5 if marked else 0)
    swedish_hits += sum(1 for t in tokens if t in SWEDISH_STOPWORDS or t in _SWEDISH_MARKERS)
    english_hits = sum(1 for t in tokens if t in _ENGLISH_MARKERS or t in ENGLISH_STOPWORDS)
    return "en" if english_hits > swedish_hits else "sv"


@lru_cache(maxsize=1)
def _function_words() -> Vocabulary:
    return Vocabulary.from_texts([" ".join(sorted(SWEDISH_STOPWORDS | _SWEDISH_MARKERS))])
