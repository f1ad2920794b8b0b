"""Citations: verbatim quotes checked against the original lines, numbered once per answer."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from assistant.ingest.units import Unit, field_values, is_numbered_item, split_units, strip_bullet
from assistant.lang.patterns import OPEN_LEAD_IN, compile_ci
from assistant.schema import Chunk
from assistant.store.loaded import LoadedIndex
from assistant.text import normalize_for_match


@dataclass
class Citation:
    """A checkable source for a claim: file, title, section, line span and a verbatim quote."""

    n: int
    source: str
    title: str
    council: str
    section: str
    lines: tuple[int, int]
    quote: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lines"] = list(self.lines)
        return data


def span_text(index: LoadedIndex, source: str, start: int, end: int) -> str:
    """Normalised text of a 1-based inclusive line range of a source document."""
    lines = index.doc_lines.get(source, [])
    return normalize_for_match("\n".join(lines[start - 1:end]))


def verify_quote(index: LoadedIndex, citation: Citation) -> bool:
    """True when the quote is verbatim in the cited lines (after whitespace/hyphen normalisation)."""
    quote = normalize_for_match(citation.quote)
    return bool(quote) and quote in span_text(index, citation.source, *citation.lines)


def narrow_span(index: LoadedIndex, source: str, start: int, end: int, quote: str) -> tuple[int, int]:
    """The smallest line range inside ``start..end`` that still contains the quote."""
    quote = normalize_for_match(quote)
    while start < end and quote in span_text(index, source, start + 1, end):
        start += 1
    while end > start and quote in span_text(index, source, start, end - 1):
        end -= 1
    return start, end


def quote_between(index: LoadedIndex, source: str, start: int, end: int, first: str, last: str, limit: int = 320) -> str:
    """A verbatim stretch of the span from ``first`` through ``last`` (or just ``last`` if too long)."""
    text = span_text(index, source, start, end)
    head, tail = normalize_for_match(first)[:80], normalize_for_match(last)
    a = text.find(head)
    b = text.find(tail, a + len(head)) if a >= 0 else -1  # the value as it appears after the activity
    b = b if b >= 0 else text.find(tail)
    if a >= 0 and b >= 0:
        lo, hi = min(a, b), max(a + len(head), b + len(tail))
        if hi - lo <= limit:
            return text[lo:hi]
    return text[b:b + len(tail)] if b >= 0 else ""


def quote_covering(index: LoadedIndex, source: str, start: int, end: int, first: str, values: list[str],
                   limit: int = 420) -> str:
    """A verbatim stretch from ``first`` through the furthest of ``values`` that fits in ``limit``.

    Used for activity rows so that the quote covers every value the answer states (owner, timeline …).
    """
    text = span_text(index, source, start, end)
    head = normalize_for_match(first)[:80]
    a = text.find(head)
    if a < 0:
        return quote_between(index, source, start, end, first, values[0]) if values else ""
    ends = []
    for value in values:
        tail = normalize_for_match(value)
        b = text.find(tail, a + len(head)) if tail else -1
        if b >= 0:
            ends.append(b + len(tail))
    fitting = [e for e in ends if e - a <= limit]
    if fitting:
        return text[a:max(fitting)]
    return quote_between(index, source, start, end, first, values[0]) if values else text[a:a + len(head)]


class CitationBuilder:
    """Numbers citations, verifies their quotes and reuses numbers for the same quote."""

    def __init__(self, index: LoadedIndex, limit: int):
        self.index, self.limit = index, limit
        self.items: list[Citation] = []

    def add(self, source: str, start: int, end: int, quote: str, section: str = "") -> int | None:
        """The marker number for this quote, or None when it is not verbatim (or the limit is reached)."""
        quote = normalize_for_match(quote)
        if not quote:
            return None
        for citation in self.items:
            if citation.source == source and citation.quote == quote:
                return citation.n
        if len(self.items) >= self.limit:
            return None
        start, end = narrow_span(self.index, source, start, end, quote)
        meta = self.index.documents().get(source, {})
        citation = Citation(len(self.items) + 1, source, meta.get("title", source), meta.get("council", ""), section,
                            (start, end), quote)
        if not verify_quote(self.index, citation):
            return None
        self.items.append(citation)
        return citation.n


def closest_passages(index: LoadedIndex, hits, limit: int = 3) -> list[Citation]:
    """The passages looked at, shown when the assistant abstains (quotes are verbatim chunk text)."""
    out = []
    for hit in hits[:limit]:
        first = hit.chunk.text.split("\n")[0]
        if hit.chunk.fields:
            first = next((value for value in hit.chunk.fields.values() if value), first)
        citation = Citation(len(out) + 1, hit.chunk.source, hit.chunk.title, hit.chunk.council, hit.chunk.section,
                            (hit.chunk.line_start, hit.chunk.line_end), normalize_for_match(first)[:240])
        if verify_quote(index, citation):
            out.append(citation)
    return out


_OPEN_LEAD_IN = compile_ci(OPEN_LEAD_IN)


def introduced_units(chunk: Chunk, unit: Unit, limit: int) -> list[Unit]:
    """The units after ``unit`` in its chunk when it introduces them (ends in ':', or in an open lead-in
    such as "… föreslår att" followed by list items), up to the next intro."""
    if chunk.fields:
        return _described_by(chunk, unit)
    text = unit.quote.rstrip()
    heading = _is_heading(text)
    if not (text.endswith(":") or heading or _OPEN_LEAD_IN.search(text)):
        return []
    units = _units(chunk)
    try:
        at = units.index(unit)
    except ValueError:
        return []
    if not text.endswith(":"):  # an open lead-in or a heading only introduces list items
        following = units[at + 1:at + 2]
        if not following or not _is_item(following[0]):
            return []
    out = []
    for follower in units[at + 1:at + 1 + limit]:
        if follower.quote.rstrip().endswith(":") or (not text.endswith(":") and not _is_item(follower)):
            break
        out.append(follower)
    return out


def _units(chunk: Chunk) -> list[Unit]:
    """A chunk's units, as cut once and kept on it (:func:`assistant.answer.evidence.sentences`), else cut now."""
    return chunk.__dict__.get("_sentences") or split_units(chunk)


def _described_by(chunk: Chunk, unit: Unit) -> list[Unit]:
    """An activity row's name says little on its own: its content (else its goal) comes with it."""
    activity = next(iter(field_values(chunk, "activity")), "")
    if not activity or unit.quote != activity:
        return []
    units = _units(chunk)
    for wanted in ("content", "goal"):
        values = set(field_values(chunk, wanted))
        found = [u for u in units if u.quote in values]
        if found:
            return found[:1]
    return []


def item_line(text: str) -> str:
    """A list item as an answer line: "- …", or as numbered in the document ("4. …")."""
    text = strip_bullet(text)
    return text if is_numbered_item(text) else f"- {text}"


def _is_item(unit: Unit) -> bool:
    """A list item: bulleted ("• …", "- …") or numbered ("1. …", "a) …")."""
    return strip_bullet(unit.quote) != unit.quote or is_numbered_item(unit.quote)


def _is_heading(text: str) -> bool:
    """A heading line ("Rekommendationer till regeringen", "Vad ska förslag till plan innehålla?"): not a list
    item and not a sentence ending in a full stop; it introduces the list items right after it."""
    return strip_bullet(text) == text and not text.endswith((".", ",", ";")) and len(text) <= 200


def cite_unit(index: LoadedIndex, cite: CitationBuilder, chunk: Chunk, unit: Unit, shown: str,
              items_max: int) -> list[str]:
    """Answer lines for one unit, ``shown`` plus its marker; an intro ending in ':' brings its items.

    "Rådet har fem prioriterade områden …:" says nothing without what follows it, so the items are
    shown under it, quoted with it in one stretch when that fits, otherwise each on its own.
    """
    items = introduced_units(chunk, unit, items_max)
    quote = unit.quote
    if items:
        quote = quote_covering(index, chunk.source, chunk.line_start, chunk.line_end, unit.quote,
                               [item.quote for item in items]) or unit.quote
    n = cite.add(chunk.source, chunk.line_start, chunk.line_end, quote, chunk.section)
    if n is None:
        return []
    lines = [f"{shown} [{n}]"]
    covered, m = normalize_for_match(quote), n
    for i, item in enumerate(items):
        if normalize_for_match(item.quote) not in covered:
            # the items the first quote could not hold: one stretch from this item through as many as fit
            stretch = quote_covering(index, chunk.source, chunk.line_start, chunk.line_end, item.quote,
                                     [later.quote for later in items[i + 1:]]) or item.quote
            m = cite.add(chunk.source, chunk.line_start, chunk.line_end, stretch, chunk.section)
            if m is None:
                m = cite.add(chunk.source, chunk.line_start, chunk.line_end, item.quote, chunk.section)
            covered = normalize_for_match(stretch) if m is not None else covered
        if m is not None:
            lines.append(f"{item_line(item.shown)} [{m}]")
    return lines
