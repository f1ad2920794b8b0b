"""Word lists as data (``lang/data/words.json``): stopwords, question and intent words, compound heads …

One home for every list of words the pipeline uses to read text; code asks for a list by name.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _lists() -> dict[str, list[str]]:
    data = json.loads(resources.files("assistant.lang").joinpath("data/words.json").read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_") and isinstance(value, list)}


def word_list(name: str) -> tuple[str, ...]:
    """The named list, in file order (raises KeyError for an unknown name)."""
    return tuple(_lists()[name])


@lru_cache(maxsize=1)
def answer_cues() -> dict[str, tuple[str, ...]]:
    """Question word → words a sentence answering it tends to use ("varför" → "syfte", "syftar" …)."""
    data = json.loads(resources.files("assistant.lang").joinpath("data/words.json").read_text(encoding="utf-8"))
    return {key: tuple(value) for key, value in data["answer_cues"].items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def field_words() -> dict[str, tuple[str, ...]]:
    """Record field → the words that name it in a question (``lang/data/fields.json``)."""
    data = json.loads(resources.files("assistant.lang").joinpath("data/fields.json").read_text(encoding="utf-8"))
    return {key: tuple(value) for key, value in data.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def column_labels() -> dict[str, tuple[str, ...]]:
    """Record field → the column labels that fill it in an activity table (``lang/data/columns.json``);
    the key ``unmapped`` holds column labels that fill no record field (Status, Kommentar …)."""
    data = json.loads(resources.files("assistant.lang").joinpath("data/columns.json").read_text(encoding="utf-8"))
    return {key: tuple(value) for key, value in data.items() if not key.startswith("_")}
