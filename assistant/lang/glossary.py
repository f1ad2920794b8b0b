"""English → Swedish domain glossary (data in ``lang/data/glossary.json``) and query expansion."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from assistant.lang.tokens import stem

_ENGLISH_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def glossary() -> dict[str, list[str]]:
    data = json.loads(resources.files("assistant.lang").joinpath("data/glossary.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def _stemmed_phrases() -> list[tuple[tuple[str, ...], list[str]]]:
    """Glossary phrases as English stems, longest first: ("organis",) for "organise" (and "organize" …)."""
    phrases: dict[tuple[str, ...], list[str]] = {}
    for phrase in glossary():
        key = tuple(stem(w, "english") for w in _ENGLISH_WORD.findall(phrase))
        if key:
            phrases.setdefault(key, []).append(phrase)
    return sorted(phrases.items(), key=lambda item: -len(item[0]))


def glossary_matches(text: str) -> list[tuple[str, int, int]]:
    """Glossary phrases in an English text, inflections included ("organises", "interim reports"):
    (phrase, start, end) of each non-overlapping match, longest phrases first."""
    lowered = text.lower()
    tokens = [(m.start(), m.end(), stem(m.group(0), "english")) for m in _ENGLISH_WORD.finditer(lowered)]
    stems = [t[2] for t in tokens]
    taken = [False] * len(tokens)
    found = []
    for key, phrases in _stemmed_phrases():
        n = len(key)
        for i in range(len(stems) - n + 1):
            if tuple(stems[i:i + n]) == key and not any(taken[i:i + n]):
                taken[i:i + n] = [True] * n
                start, end = tokens[i][0], tokens[i + n - 1][1]
                written = lowered[start:end]  # the phrase as typed when the glossary has that form
                found.append((written if written in phrases else min(phrases, key=len), start, end))
    return sorted(found, key=lambda item: item[1])


def without_glossary_phrases(text: str, matches: list[tuple[str, int, int]] | None = None) -> str:
    """``text`` (lower case) with every glossary phrase blanked out (``matches``: its glossary_matches, if known)."""
    lowered = text.lower()
    for _, start, end in reversed(glossary_matches(lowered) if matches is None else matches):
        lowered = lowered[:start] + " " + lowered[end:]
    return lowered


def expand_query(question: str, abbreviations_map: dict[str, str] | None = None) -> str:
    """Append Swedish equivalents of English domain terms and the long forms of abbreviations."""
    lowered = question.lower()
    extra = [term for phrase, _, _ in glossary_matches(lowered) for term in glossary()[phrase]]
    for short, long in (abbreviations_map or {}).items():
        if short.lower() in lowered and re.search(rf"(?<![\wåäö]){re.escape(short.lower())}(?![\wåäö])", lowered):
            extra.append(long)
    return f"{question} {' '.join(extra)}" if extra else question
