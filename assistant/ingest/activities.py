"""Structured activity records (owner, contacts, timeline, measure, follow-up) from activity chunks.

Column labels differ between plans ("Genomförande" / "Ansvarig", "Tidplan" / "Tidpunkt",
"Uppföljning - mått" / "Mått på genomförande", "Owner", "Tidplan (kvartal)", "ANSVARIG:"); they are
mapped to one set of fields by meaning, from the aliases in ``lang/data/columns.json``
(see :func:`canonical_field`). A column whose label fills no field stays in the chunk under its own label.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA

from assistant.lang.periods import find_periods
from assistant.lang.spelling import fold
from assistant.lang.words import column_labels, word_list
from assistant.schema import KIND_ACTIVITY, ActivityRecord, Chunk

#: The group of ``columns.json`` that lists column labels filling no record field (Status, Kommentar …).
UNMAPPED = "unmapped"
_FOCUS_SECTION = re.compile(r"(?:fokusområde|område|prioriterat område)\s*\d*[:.]?\s*(.+)", re.IGNORECASE)
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_KEY_WORD = re.compile(r"[0-9a-z]+")
#: A label word may be read as the start of a longer one ("Aktivitetsbeskrivning", "Tidplanen") from this length.
MIN_PREFIX_CHARS = 5
#: A label word may be read as a compound ending in an alias ("Projektägare") from this alias length.
MIN_COMPOUND_HEAD_CHARS = 4


def label_key(label: str) -> str:
    """A label as compared with the aliases: folded words, without a part in brackets or punctuation
    ("Tidplan (kvartal):" → "tidplan", "Uppföljning – när" → "uppfoljning nar")."""
    words = _KEY_WORD.findall(fold(_BRACKETED.sub(" ", label)))
    return " ".join(words or _KEY_WORD.findall(fold(label)))


def _max_edits(key: str) -> int:
    """Edits a label may differ from an alias by: none for short words ("Mål" is not "Mått"), one, two."""
    return 0 if len(key) <= 4 else 1 if len(key) <= 8 else 2


@lru_cache(maxsize=1)
def _aliases() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """(alias key → group, (alias key, group) in file order); a group is a record field or ``UNMAPPED``."""
    exact: dict[str, str] = {}
    ordered = []
    for group, labels in column_labels().items():
        for label in labels:
            key = label_key(label)
            if key and key not in exact:
                exact[key] = group
                ordered.append((key, group))
    return exact, tuple(ordered)


@lru_cache(maxsize=4096)
def column_group(label: str) -> str | None:
    """The group a column label belongs to (a record field, or ``UNMAPPED``), or None for no column label.

    In order: the folded label is an alias; it is one or two edits from one (by its length); its first
    words are one ("Ansvarig organisation"); it contains a multi-word alias ("Rådets prioriterade
    områden"); its first word starts with one ("Aktivitetsbeskrivning") or is a compound ending in one
    ("Projektägare")."""
    key = label_key(label)
    if not key:
        return None
    exact, ordered = _aliases()
    if key in exact:
        return exact[key]
    best: tuple[int, str] | None = None
    for alias, group in ordered:
        limit = min(_max_edits(key), _max_edits(alias))
        if limit and abs(len(alias) - len(key)) <= limit:
            distance = OSA.distance(key, alias, score_cutoff=limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, group)
    if best:
        return best[1]
    words = key.split()
    for n in range(len(words) - 1, 0, -1):
        head = " ".join(words[:n])
        if head in exact:
            return exact[head]
    padded = f" {key} "
    for alias, group in sorted(ordered, key=lambda item: -len(item[0])):
        if " " in alias and f" {alias} " in padded:
            return group
    first = words[0]
    prefixes = [(alias, group) for alias, group in ordered
                if " " not in alias and len(alias) >= MIN_PREFIX_CHARS and first.startswith(alias)]
    heads = [(alias, group) for alias, group in ordered
             if " " not in alias and len(alias) >= MIN_COMPOUND_HEAD_CHARS
             and len(first) - len(alias) >= 3 and first.endswith(alias)]
    for found in (prefixes, heads):
        if found:
            return max(found, key=lambda item: len(item[0]))[1]
    return None


def canonical_field(label: str) -> str | None:
    """The record field a column label fills, or None ("Status" is a column label that fills none)."""
    group = column_group(label)
    return None if group == UNMAPPED else group


def is_column_label(label: str) -> bool:
    """Whether ``label`` names a column of an activity table (a record field or a known other column)."""
    return column_group(label) is not None


@lru_cache(maxsize=1)
def column_words() -> frozenset[str]:
    """Folded words that column labels are made of (what a header of a column-flattened table consists of):
    every one-word alias, and the words of longer aliases that are not function words."""
    stopwords = {fold(word) for name in ("swedish_stopwords", "english_stopwords") for word in word_list(name)}
    words = set()
    for key, _group in _aliases()[1]:
        parts = key.split()
        if len(parts) == 1:
            words.add(key)
        else:
            words.update(part for part in parts if len(part) >= MIN_PREFIX_CHARS and part not in stopwords)
    return frozenset(words)


def field_line(label: str, value: str) -> str:
    """A field as shown: "Ansvarig: Region X"; a question as label is followed by its answer ("Vad kostar
    förslagen? 48 miljoner kronor")."""
    return f"{label} {value}" if label.endswith("?") else f"{label}: {value}"


def split_contacts(value: str) -> list[str]:
    """"Anna Letterstål och Elina Mäki-Torko" → ["Anna Letterstål", "Elina Mäki-Torko"]."""
    parts = re.split(r"\s*(?:,|\boch\b|\band\b|&|/)\s*", value)
    return [part.strip(" .") for part in parts if part.strip(" .")]


#: Words that may stand beside the time expressions of a value that is only a time ("senast Q2 2026",
#: "Q1 2026 till Q3 2026", "by June 2027").
TIME_VALUE_WORDS = frozenset({"senast", "fran", "till", "och", "under", "hela", "by", "from", "until", "to", "and"})


def is_time_value(value: str) -> bool:
    """Whether a cell says nothing but when: "Q4 2026", "senast mars 2027", "2026–2027"."""
    periods = find_periods(value)
    if not periods:
        return False
    rest = value
    for _interval, (start, end) in reversed(periods):
        rest = rest[:start] + " " + rest[end:]
    return all(word in TIME_VALUE_WORDS for word in _KEY_WORD.findall(fold(rest)))


def record_from_chunk(chunk: Chunk) -> ActivityRecord:
    record = ActivityRecord(
        council=chunk.council, source=chunk.source, title=chunk.title, section=chunk.section,
        line_start=chunk.line_start, line_end=chunk.line_end, chunk_id=chunk.chunk_id,
    )
    for label, value in chunk.fields.items():
        name = canonical_field(label)
        if not name or not value:
            continue
        record.labels[name] = label
        if name == "contacts":
            record.contacts.extend(split_contacts(value))
        elif not getattr(record, name):
            setattr(record, name, value)
    if not record.timeline:
        # a column no label names ("Klart", "Färdigt") whose cell is only a time is the timeline
        label = next((label for label, value in chunk.fields.items()
                      if value and column_group(label) is None and is_time_value(value)), None)
        if label:
            record.timeline, record.labels["timeline"] = chunk.fields[label], label
    if not record.focus_area and chunk.section:
        match = _FOCUS_SECTION.search(chunk.section.split(" > ")[-1])
        if match:
            record.focus_area = chunk.section.split(" > ")[-1]
    return record


def extract_records(chunks: list[Chunk]) -> list[ActivityRecord]:
    """A record for every activity-table chunk that names an activity."""
    records = []
    for chunk in chunks:
        if chunk.kind != KIND_ACTIVITY:
            continue
        record = record_from_chunk(chunk)
        if record.activity:
            records.append(record)
    return records
