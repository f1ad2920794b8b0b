"""English → Swedish domain glossary (data in ``lang/data/glossary.json``) and query expansion."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def glossary() -> dict[str, list[str]]:
    data = json.loads(resources.files("assistant.lang").joinpath("data/glossary.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def _glossary_patterns() -> list[tuple[str, re.Pattern, list[str]]]:
    return [(phrase, re.compile(rf"\b{re.escape(phrase)}\b"), terms) for phrase, terms in glossary().items()]


def expand_query(question: str, abbreviations_map: dict[str, str] | None = None) -> str:
    """Append Swedish equivalents of English domain terms and the long forms of abbreviations."""
    lowered = question.lower()
    # the substring tests are cheap necessary conditions for the regex matches
    extra = [term for phrase, pattern, terms in _glossary_patterns()
             if phrase in lowered and pattern.search(lowered) for term in terms]
    for short, long in (abbreviations_map or {}).items():
        if short.lower() in lowered and re.search(rf"(?<![\wåäö]){re.escape(short.lower())}(?![\wåäö])", lowered):
            extra.append(long)
    return f"{question} {' '.join(extra)}" if extra else question
