"""Evidence units: the sentences, list items and record fields of a chunk, each quotable on its own.

Units are what a short answer is made of. They are cut once per chunk (at ingest for their vectors,
and by the composer), each with what to show and the verbatim text to quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.activities import canonical_field, field_line
from assistant.schema import Chunk

_BULLET_MARK = re.compile(r"^\s*[•●▪◦*–-]+\s*")
_NUMBERED_ITEM = re.compile(r"^\s*(?:\d{1,2}|[a-zA-Z])[.)]\s+\S")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9•–-])")
#: Units shorter than this say nothing on their own.
MIN_UNIT_CHARS = 4


@dataclass(frozen=True)
class Unit:
    """A candidate answer sentence: what to show and the verbatim text to quote."""

    shown: str
    quote: str


def strip_bullet(text: str) -> str:
    return _BULLET_MARK.sub("", text)


def is_numbered_item(text: str) -> bool:
    """A list item numbered as in the document ("1. …", "a) …")."""
    return bool(_NUMBERED_ITEM.match(text))


def field_values(chunk: Chunk, field: str) -> list[str]:
    """The filled values of an activity row's columns that fill record field ``field``, in column order."""
    return [value for label, value in chunk.fields.items() if canonical_field(label) == field and value]


def split_units(chunk: Chunk) -> list[Unit]:
    """Sentences and list items of a chunk; activity rows give one unit per field value."""
    if chunk.fields:
        return [Unit(field_line(label, value), value) for label, value in chunk.fields.items()
                if value and len(value) >= MIN_UNIT_CHARS and label != "Rubrik"]
    out = []
    for line in chunk.text.split("\n"):
        for part in _SENTENCE_END.split(line):
            part = part.strip()
            if len(part) >= MIN_UNIT_CHARS:
                out.append(Unit(strip_bullet(part), part))
    return out


def embed_text(chunk: Chunk, unit: Unit) -> str:
    """What the embedder sees for a unit: where it stands (council, section, the row's activity) and the unit."""
    head = " | ".join(part for part in (chunk.council, chunk.section) if part)
    if chunk.fields:
        activity = next(iter(field_values(chunk, "activity")), "")
        if activity and activity != unit.quote:
            head = f"{head}\n{activity}" if head else activity
    return f"{head}\n{unit.shown}" if head else unit.shown
