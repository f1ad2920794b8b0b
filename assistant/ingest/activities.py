"""Structured activity records (owner, contacts, timeline, measure, follow-up) from activity chunks.

Column labels differ between plans ("Genomförande" / "Ansvarig", "Tidplan" / "Tidpunkt",
"Uppföljning - mått" / "Mått på genomförande"); they are mapped to one set of fields here.
"""

from __future__ import annotations

import re

from assistant.schema import KIND_ACTIVITY, ActivityRecord, Chunk

# Canonical field → label patterns (matched against the lower-cased column label).
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "follow_up": (r"uppföljning\s*[-–]\s*när", r"^uppföljning$", r"följs upp"),
    "measure": (r"uppföljning\s*[-–]\s*mått", r"^mått"),
    "focus_area": (r"prioriterade områden", r"^område", r"fokusområde"),
    "goal": (r"^mål$",),
    "activity": (r"^aktivitet",),
    "owner": (r"^genomförande", r"^ansvarig", r"^ansvar$"),
    "contacts": (r"^kontakt",),
    "timeline": (r"^tidplan", r"^tidpunkt", r"^när$", r"^tid$"),
    "content": (r"^innehåll",),
}
_FOCUS_SECTION = re.compile(r"(?:fokusområde|område|prioriterat område)\s*\d*[:.]?\s*(.+)", re.IGNORECASE)


def canonical_field(label: str) -> str | None:
    """The record field a column label fills, or None."""
    lowered = re.sub(r"\s+", " ", label.strip().lower())
    for name, patterns in FIELD_LABELS.items():
        if any(re.search(pattern, lowered) for pattern in patterns):
            return name
    return None


def split_contacts(value: str) -> list[str]:
    """"Anna Letterstål och Elina Mäki-Torko" → ["Anna Letterstål", "Elina Mäki-Torko"]."""
    parts = re.split(r"\s*(?:,|\boch\b|\band\b|&|/)\s*", value)
    return [part.strip(" .") for part in parts if part.strip(" .")]


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
