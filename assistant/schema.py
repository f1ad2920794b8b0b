"""The data that flows through the pipeline: documents as read, chunks, activity records.

Plain dataclasses with no behaviour beyond formatting, so that every stage (ingest, store, retrieve,
answer, follow-up) can share them without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.text import join_lines

KIND_ACTIVITY = "activity"
KIND_PARAGRAPH = "paragraph"
KIND_LIST = "list"
KIND_SLIDE = "slide"


@dataclass
class Document:
    """One corpus file as read, with catalog metadata."""

    path: Path
    source: str
    lines: list[str]
    title: str = ""
    council: str = ""
    doc_type: str = ""
    period: str = ""
    url: str = ""
    content_hash: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def span_text(self, start: int, end: int) -> str:
        """Cleaned text of the 1-based inclusive line range ``start..end``."""
        return join_lines(self.lines[start - 1 : end])


@dataclass
class Chunk:
    """A retrievable unit of text with everything needed to cite it."""

    chunk_id: str
    source: str
    title: str
    council: str
    section: str
    line_start: int
    line_end: int
    kind: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    doc_type: str = ""

    @property
    def embed_text(self) -> str:
        """Text handed to the embedder: document, section and body."""
        head = " | ".join(part for part in (self.council, self.title, self.section) if part)
        return f"{head}\n{self.text}"

    def to_metadata(self) -> dict:
        """Flat metadata for the vector store."""
        return {
            "source": self.source, "title": self.title, "council": self.council,
            "section": self.section, "line_start": self.line_start, "line_end": self.line_end,
            "kind": self.kind, "doc_type": self.doc_type,
            "fields": json.dumps(self.fields, ensure_ascii=False),
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict) -> "Chunk":
        return cls(
            chunk_id=chunk_id, source=meta["source"], title=meta.get("title", ""),
            council=meta.get("council", ""), section=meta.get("section", ""),
            line_start=int(meta["line_start"]), line_end=int(meta["line_end"]), kind=meta["kind"],
            text=text, fields=json.loads(meta.get("fields") or "{}"), doc_type=meta.get("doc_type", ""),
        )


@dataclass
class ActivityRecord:
    """One activity a council committed to, with where it stands in the source."""

    council: str
    source: str
    title: str
    section: str
    line_start: int
    line_end: int
    chunk_id: str
    activity: str = ""
    focus_area: str = ""
    goal: str = ""
    owner: str = ""
    contacts: list[str] = field(default_factory=list)
    timeline: str = ""
    measure: str = ""
    follow_up: str = ""
    content: str = ""
    labels: dict[str, str] = field(default_factory=dict)
