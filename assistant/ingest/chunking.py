"""Structure-aware chunking: sections, lists, slides and one chunk per activity-table row.

Layouts are recognised from the text itself, never from a file name:

* **tab tables** – a header row of short tab-separated labels followed by tab-separated rows
  (an empty first cell continues the group of the row above); a run of rows without a header right
  after a table with as many columns continues that table (a table broken over a page);
* **Markdown pipe tables** – ``| Aktivitet | Ansvarig |`` with a ``|---|---|`` separator row, read
  like tab tables;
* **two-column tables** – a key–value table ("Diarienummer | S2025/01234") is one chunk whose fields
  are its rows, a question–answer table ("Fråga | Svar") one chunk per question; two columns headed
  by record fields ("Aktivitet | Ansvarig") are a tab table;
* **labelled records** – runs of ``Label: value`` paragraphs (``Mål:``, ``Aktivitet:``,
  ``Tidpunkt:`` …, also as list items with the label in emphasis: ``- **Ansvarig:** …``) with at
  least three distinct labels, optionally under a header such as "Mål och aktivitet 2"; under a
  heading and without an activity label, the heading is the activity ("### 1. Introduktionsår");
* **column-flattened tables** – a header made only of column labels ("Aktivitet" /
  "Genomförande Innehåll") followed by blocks where an activity is followed by a block that starts
  with an organisational role (Arbetsutskottet, Rådet, Arbetsgrupp …);
* **slide decks** – text broken into many short segments by runs of blank lines; a slide's title is
  its first lines, or, where it opens with a bullet, a short closing line (text extracted from a deck
  often puts the title below the bullets; a line closing several slides is a footer, no title);
* everything else – paragraphs and bulleted/numbered lists under detected headings (Markdown
  headings, short standalone lines, numbered section headings such as "2.1 Bakgrund"); a list's
  lead-in and short lines in a row that head no text (signatures, an address) are text.

Column labels are recognised by meaning (:mod:`assistant.ingest.activities`, ``lang/data/columns.json``).
"""

from __future__ import annotations

import hashlib
import re

from assistant.ingest.activities import canonical_field, column_words, field_line, is_column_label
from assistant.lang.spelling import fold
from assistant.schema import KIND_ACTIVITY, KIND_LIST, KIND_PARAGRAPH, KIND_SLIDE, Chunk, Document
from assistant.text import join_lines, strip_markup

MAX_PROSE_CHARS = 900
MAX_SLIDE_CHARS = 1400
SLIDE_BREAK_BLANKS = 3

#: A header cell is a short label; a longer one must be a known column label ("Uppföljning – när och hur").
MAX_HEADER_CELL_CHARS = 40
MAX_LABEL_HEADER_CELL_CHARS = 80
#: A run of header-less table rows continues the table above it when at most this many lines, and this
#: many short non-blank ones (a page footer, a running header), stand between them.
CONTINUATION_GAP_LINES = 12
CONTINUATION_GAP_TEXT_LINES = 4
CONTINUATION_GAP_CHARS = 60
# Organisational roles that own activities (start of the "Genomförande" column).
ROLE_PATTERN = re.compile(
    r"(?:Arbetsutskott(?:et)?|Arbetsgrupp(?:en|er)?|Huvudmanna-?\s*grupp(?:en)?(?:\s+för\s+kommuner)?|"
    r"Rådskansli(?:et)?|Rådet|Kansli(?:et)?|Processledare(?:n)?|Styrgrupp(?:en)?|Ledningsgrupp(?:en)?|"
    r"Sekretariat(?:et)?|Nätverk(?:et)?)\b"
)
_LABEL_LINE = re.compile(r"^\s*([A-ZÅÄÖ][A-Za-zÅÄÖåäö]+(?:[ -][a-zåäöA-ZÅÄÖ]+){0,3}):\s+(\S.*)$")
# A label in a list item or in emphasis ("- **Ansvarig:** Region X", "* __Tidplan__: Q2 2026"); it counts
# only when the label is a column label (a list item "- Kvantitativ data: …" stays a list item).
_MARKED_LABEL_LINE = re.compile(
    r"^\s*(?:[-*•●▪–]\s+)?(?:\*\*|__)?([A-ZÅÄÖ][A-Za-zÅÄÖåäö]+(?:[ -][a-zåäöA-ZÅÄÖ]+){0,3})(?:\*\*|__)?:(?:\*\*|__)?\s+(\S.*)$"
)
_BULLET = re.compile(r"^\s*(?:[•●▪◦‣∙·*–-]{1,2}|\d{1,2}[.)]|[a-z][.)])\s*\S")
_NUMBERED_HEADING = re.compile(r"^[A-ZÅÄÖ][\wåäöÅÄÖ]*(?:\s+och\s+\w+)?\s+\d{1,2}\b")
_URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S+\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+\S")
# "1 Inledning", "2.1 Bakgrund", "3.2.1. Metod" (not "1. Regeringen …", a numbered list item).
_SECTION_NUMBER = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){1,3}\.?|\d{1,2})\s+(?=[A-ZÅÄÖ])")
# "§ 12 Val av justerare", "§§ 14–15 Ekonomi": a numbered paragraph of minutes (a protocol), a heading.
_PARAGRAPH_SIGN = re.compile(r"^\s*§{1,2}\s*\d{1,3}[a-z]?(?:\s*[-–]\s*\d{1,3})?\s+\S")
# A line wholly in emphasis ("**§ 14 Ekonomi**", "__Bakgrund__"): a heading in Markdown written from Word.
_EMPHASIS_LINE = re.compile(r"^\s*(\*\*|__)(?=\S)(.+?)(?<=\S)\1\s*$")
#: A line wholly in emphasis heads a record (see :func:`_named_by_heading`) when it has at most this many words.
MAX_EMPHASIS_HEADING_WORDS = 12
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_PIPE = re.compile(r"(?<!\\)\|")


def _blank(line: str) -> bool:
    return not join_lines([line])


def _words(line: str) -> list[str]:
    return re.findall(r"[\wåäöÅÄÖ]+", join_lines([line]).lower())


def _make_chunk(doc: Document, start: int, end: int, kind: str, section: str, text: str,
                fields: dict[str, str] | None = None) -> Chunk:
    """Build a chunk for the 0-based inclusive line range ``start..end``."""
    digest = hashlib.sha1(f"{doc.source}:{start}:{end}:{kind}:{text}".encode()).hexdigest()[:16]
    return Chunk(
        chunk_id=f"{doc.source}:{start + 1}-{end + 1}:{digest}", source=doc.source, title=doc.title,
        council=doc.council, section=section, line_start=start + 1, line_end=end + 1, kind=kind,
        text=text, fields=fields or {}, doc_type=doc.doc_type,
    )


def _fields_text(fields: dict[str, str]) -> str:
    return "\n".join(field_line(label, value) for label, value in fields.items() if value)


# ---------------------------------------------------------------- tab tables
def _tab_cells(line: str) -> list[str]:
    return [join_lines([cell]) for cell in line.split("\t")]


def _header_cell(cell: str) -> bool:
    if 0 < len(cell) <= MAX_HEADER_CELL_CHARS:
        return True
    return len(cell) <= MAX_LABEL_HEADER_CELL_CHARS and len(cell.split()) <= 8 and is_column_label(cell)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def _is_tab_header(cells: list[str]) -> bool:
    """Short label cells; a year only in a known column label ("Aktivitet 2025"), never in a data cell."""
    wide_enough = len(cells) >= 3 or (len(cells) == 2 and all(canonical_field(cell) for cell in cells))
    return wide_enough and all(_header_cell(cell) for cell in cells) and not any(
        re.search(r"\d{4}", cell) and not is_column_label(_YEAR.sub("", cell).strip(" -–:")) for cell in cells
    )


Table = tuple[int, int, list[str], list[tuple[int, list[str]]]]


def _continues_table(lines: list[str], previous: Table, start: int, cells: list[str]) -> bool:
    """Whether header-less rows at ``start`` continue the table ``previous`` (same columns, only a page
    break, a footer or a running header between them)."""
    _, end, header, _ = previous
    gap = [join_lines([line]) for line in lines[end + 1:start]]
    text = [line for line in gap if line]
    return (len(cells) == len(header) and start - end - 1 <= CONTINUATION_GAP_LINES
            and len(text) <= CONTINUATION_GAP_TEXT_LINES and all(len(line) <= CONTINUATION_GAP_CHARS for line in text))


def find_tab_tables(lines: list[str]) -> list[Table]:
    """(start, end, header, [(line index, cells)]) for each tab-separated table; a table continued
    without a header (over a page break) starts at its first row and repeats the header above."""
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        if "\t" not in lines[i]:
            i += 1
            continue
        cells = _tab_cells(lines[i])
        j = i
        while j < len(lines) and "\t" in lines[j]:
            j += 1
        inside = i > 0 and "\t" in lines[i - 1]  # a row below other rows of the same block
        if _is_tab_header(cells) and j > i + 1 and (not inside or any(is_column_label(cell) for cell in cells)):
            header, first = cells, i + 1
        elif tables and _continues_table(lines, tables[-1], i, cells):
            header, first = tables[-1][2], i
        else:
            i += 1
            continue
        rows = [(k, row) for k, row in ((k, _tab_cells(lines[k])) for k in range(first, j)) if row != header]
        tables.append((i, j - 1, header, rows))
        i = j
    return tables


def _pipe_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [join_lines([cell.replace("\\|", "|")]) for cell in _PIPE.split(inner)]


def find_pipe_tables(lines: list[str]) -> list[Table]:
    """(start, end, header, [(line index, cells)]) for each Markdown pipe table: a header row, a
    ``|---|---|`` separator with as many columns, and the rows up to the first line without a pipe."""
    tables: list[Table] = []
    i = 0
    while i + 1 < len(lines):
        header = _pipe_cells(lines[i]) if _PIPE.search(lines[i]) else []
        separator = lines[i + 1]
        if len(header) < 2 or not _PIPE_SEPARATOR.match(separator) or not _PIPE.search(separator) \
                or len(_pipe_cells(separator)) != len(header) or not all(header):
            i += 1
            continue
        j = i + 2
        while j < len(lines) and not _blank(lines[j]) and _PIPE.search(lines[j]):
            j += 1
        rows = [(k, row) for k, row in ((k, _pipe_cells(lines[k])) for k in range(i + 2, j)) if row != header]
        tables.append((i, j - 1, header, rows))
        i = j
    return tables


def _unique_labels(header: list[str]) -> list[str]:
    """Column labels as field names: a repeated label gets a number ("Uppföljning (2)"), none is lost."""
    labels: list[str] = []
    for label in header:
        name, n = label, 1
        while name in labels:
            n += 1
            name = f"{label} ({n})"
        labels.append(name)
    return labels


_EMBEDDED_LABEL = re.compile(r"(?:^|(?<=\s))([A-ZÅÄÖ][A-Za-zÅÄÖåäö]+(?:[ -][a-zåäö]+){0,2}):\s+(?=\S)")


def _split_embedded_labels(fields: dict[str, str]) -> dict[str, str]:
    """A cell that carries a field the table has no column for, after its label ("Vårdsamverkan Fyrbodal
    Kontakt: Helena Strand" in the Ansvarig column: a line of the cell in the source) → that field on
    its own ("Kontakt": "Helena Strand"); the cell keeps what stands before the label."""
    present = {canonical_field(label) for label in fields}
    out: dict[str, str] = {}
    for label, value in fields.items():
        found = [(m, canonical_field(m.group(1))) for m in _EMBEDDED_LABEL.finditer(value)]
        found = [(m, name) for m, name in found if name and name not in present and m.group(1) not in fields]
        if not found:
            out[label] = value
            continue
        out[label] = value[: found[0][0].start()].strip()
        for n, (match, name) in enumerate(found):
            end = found[n + 1][0].start() if n + 1 < len(found) else len(value)
            out.setdefault(match.group(1), value[match.end():end].strip())
            present.add(name)
    return out


def tab_table_chunks(doc: Document, section_of, consumed: list[bool]) -> list[Chunk]:
    """One activity chunk per row of the tab and pipe tables; a cell beyond the header is kept as "Kolumn N"."""
    chunks = []
    tab_tables = find_tab_tables(doc.lines)
    taken = {k for start, end, _, _ in tab_tables for k in range(start, end + 1)}
    pipe_tables = [t for t in find_pipe_tables(doc.lines) if not taken.intersection(range(t[0], t[1] + 1))]
    tables = sorted(tab_tables + pipe_tables, key=lambda table: table[0])
    previous: Table | None = None
    group = ""
    for table in tables:
        start, end, header, rows = table
        headerless = bool(rows) and rows[0][0] == start
        # rows carried over a page break keep the group of the rows before it
        continued = previous is not None and (headerless or header == previous[2]) \
            and _continues_table(doc.lines, previous, start, header)
        group = group if continued else ""
        labels = _unique_labels(header)
        group_rows: set[int] = set()
        for index, cells in rows:
            extra = cells[len(header):]
            cells = (cells + [""] * len(header))[: len(header)]
            group = cells[0] or group
            cells[0] = cells[0] or group
            fields = _split_embedded_labels(dict(zip(labels, cells)))
            fields.update((f"Kolumn {n}", value) for n, value in enumerate(extra, start=len(header) + 1) if value)
            if sum(1 for value in cells[1:] + extra if value) == 0:
                group_rows.add(index)  # a row naming a group ("Fokusområde 2" across the table) stays prose
                continue
            chunks.append(_make_chunk(doc, index, index, KIND_ACTIVITY, section_of(start), _fields_text(fields), fields))
        for k in range(start, end + 1):
            consumed[k] = k not in group_rows
        previous = table
    return chunks


# ------------------------------------------------------- two-column tables
#: A cell of a header row over a two-column table has at most this many words ("Fråga", "Svar").
MAX_PAIR_HEADER_WORDS = 3


def _pair_header(rows: list[list[str]]) -> bool:
    """Whether the first row of a two-column table labels its columns: both cells are column labels,
    or it is short while the rows below ask questions ("Fråga | Svar" over "Vad kostar …? | …")."""
    first, rest = rows[0], rows[1:]
    if all(is_column_label(cell) for cell in first):
        return True
    questions = sum(1 for cells in rest if cells[0].endswith("?"))
    return not first[0].endswith("?") and 2 * questions >= len(rest) \
        and all(len(cell.split()) <= MAX_PAIR_HEADER_WORDS for cell in first)


def pair_table_chunks(doc: Document, section_of, consumed: list[bool]) -> list[Chunk]:
    """Two-column tables that no header made an activity table: key–value tables ("Diarienummer |
    S2025/01234", "Kontaktperson | Karin Berglund") become one chunk whose fields are the rows (an
    activity record when a key names the activity), question–answer tables ("Fråga | Svar") one chunk
    per question with the question as the label of its answer. A header row is left out of the fields."""
    lines, chunks, i = doc.lines, [], 0
    while i < len(lines):
        if consumed[i] or "\t" not in lines[i]:
            i += 1
            continue
        j = i
        while j < len(lines) and not consumed[j] and "\t" in lines[j]:
            j += 1
        rows = [(k, cells) for k in range(i, j) if any(cells := _tab_cells(lines[k]))]
        pairs = [(k, cells) for k, cells in rows if len(cells) == 2 and cells[0]]
        if len(rows) < 2 or len(pairs) < len(rows):
            i = j
            continue
        if _pair_header([cells for _, cells in pairs]):
            pairs = pairs[1:]
        if sum(1 for _, (key, _value) in pairs if key.endswith("?")) * 2 >= len(pairs):
            for k, (question, answer) in pairs:
                if answer:
                    fields = {question: answer}
                    chunks.append(_make_chunk(doc, k, k, KIND_PARAGRAPH, section_of(i), _fields_text(fields), fields))
        else:
            fields = {key.rstrip(" :"): value for _, (key, value) in pairs if value}
            kind = KIND_ACTIVITY if any(canonical_field(key) == "activity" for key in fields) else KIND_PARAGRAPH
            if fields:
                chunks.append(_make_chunk(doc, i, j - 1, kind, section_of(i), _fields_text(fields), fields))
        for k in range(i, j):
            consumed[k] = True
        i = j
    return chunks


# ------------------------------------------------------- labelled records
def label_match(line: str) -> tuple[str, str] | None:
    """(label, value) of a ``Label: value`` line, also as a list item or with the label in emphasis
    ("- **Ansvarig:** Region X") when the label is a column label; None for other lines."""
    match = _LABEL_LINE.match(line)
    if match:
        return match.group(1).strip(), match.group(2)
    match = _MARKED_LABEL_LINE.match(line)
    if match and is_column_label(match.group(1)):
        return match.group(1).strip(), match.group(2)
    return None


def _listed_label(line: str) -> tuple[str, str] | None:
    """(label, value) of a list item ``- Label: value`` whatever its label ("- Återrapportering: …"); it
    is a field of the record only right below another field's line (see :func:`_label_paragraphs`)."""
    match = _MARKED_LABEL_LINE.match(line)
    return (match.group(1).strip(), match.group(2)) if match and _BULLET.match(line) else None


def _label_paragraphs(lines: list[str], consumed: list[bool]) -> list[tuple[int, int, str, list[str]]]:
    """(start, end, label, lines) for each ``Label: value`` paragraph with its continuation lines."""
    paragraphs = []
    i = 0
    while i < len(lines):
        match = None
        if not consumed[i]:
            match = label_match(lines[i]) or (_listed_label(lines[i]) if paragraphs and paragraphs[-1][1] == i - 1 else None)
        if not match:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not consumed[j] and not _blank(lines[j]) and not label_match(lines[j]) \
                and not _listed_label(lines[j]) and not _MD_HEADING.match(lines[j]):
            j += 1
        paragraphs.append((i, j - 1, match[0], [match[1], *lines[i + 1:j]]))
        i = j
    return paragraphs


def labelled_record_chunks(doc: Document, section_of, consumed: list[bool]) -> list[Chunk]:
    lines = doc.lines
    paragraphs = _label_paragraphs(lines, consumed)
    records: list[list[tuple[int, int, str, list[str]]]] = []
    current: list = []
    for para in paragraphs:
        gap = range(current[-1][1] + 1, para[0]) if current else range(0)
        gap_has_text = any(not _blank(lines[k]) for k in gap)
        if current and (gap_has_text or para[2] in {p[2] for p in current}):
            records.append(current)
            current = []
        current.append(para)
    if current:
        records.append(current)

    chunks = []
    for record in records:
        start, end = record[0][0], record[-1][1]
        labels = {p[2] for p in record}
        named = _named_by_heading(lines, start, consumed, labels)
        if len(labels) + bool(named) < 3:
            continue
        header_index = None if named else _record_header(lines, start)
        fields: dict[str, str] = {}
        if header_index is not None:
            fields["Rubrik"] = join_lines([lines[header_index]])
            start = header_index
        if named:
            start, activity, description = named
            fields[ACTIVITY_LABEL] = activity
            if description:
                fields[DESCRIPTION_LABEL] = description
        for p_start, _p_end, label, p_lines in record:
            fields[label] = join_lines(p_lines).rstrip(" .") if label else ""
        chunks.append(_make_chunk(doc, start, end, KIND_ACTIVITY, section_of(start), _fields_text(fields), fields))
        for k in range(start, end + 1):
            consumed[k] = True
    return chunks


#: Field labels of a record named by the heading above it: the heading is its activity, the prose
#: between them its description.
ACTIVITY_LABEL = "Aktivitet"
DESCRIPTION_LABEL = "Beskrivning"
_SECTION_NUMBER_PREFIX = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Za-z][.)]|§{1,2}\s*\d{1,3}[a-z]?(?:\s*[-–]\s*\d{1,3})?)\s+")
#: At most this many lines of prose between a heading and the labels of the record it names.
MAX_RECORD_DESCRIPTION_LINES = 8


def _named_by_heading(lines: list[str], start: int, consumed: list[bool], labels: set[str]) -> tuple[int, str, str] | None:
    """(heading line, activity, description) when the labelled lines at ``start`` have no activity of
    their own but fill record fields (owner, timeline …) and stand under a heading, with at most a
    short description between: "### 1. Introduktionsår" / prose / "- **Ansvarig:** …". The heading,
    without its number, is the activity."""
    fields = {canonical_field(label) for label in labels}
    if "activity" in fields or not fields - {None, "content", "goal", "focus_area"}:
        return None
    k, prose = start - 1, []
    while k >= 0 and start - k <= MAX_RECORD_DESCRIPTION_LINES + 2 and not consumed[k]:
        if _record_heading(lines, k):
            activity = _SECTION_NUMBER_PREFIX.sub("", join_lines([lines[k]]))
            description = units_text(lines, k + 1, start - 1) if prose else ""
            if activity and len(description) <= MAX_PROSE_CHARS and not any(label_match(line) for line in prose):
                return k, activity, description.replace("\n", " ")
            return None
        if not _blank(lines[k]):
            prose.append(lines[k])
        k -= 1
    return None


def _record_heading(lines: list[str], k: int) -> bool:
    """Whether line ``k`` is a heading that can name the record below it: a Markdown heading, or a
    standalone line (blank lines around it) wholly in emphasis or opening with a paragraph sign —
    "**§ 14 Verksamhetsförlagd utbildning**" in minutes written from Word."""
    if _MD_HEADING.match(lines[k]):
        return True
    standalone = (k == 0 or _blank(lines[k - 1])) and (k + 1 >= len(lines) or _blank(lines[k + 1]))
    text = join_lines([lines[k]])
    if not standalone or not text or text.endswith((":", ".")) or len(text.split()) > MAX_EMPHASIS_HEADING_WORDS:
        return False
    return bool(_EMPHASIS_LINE.match(lines[k]) or _PARAGRAPH_SIGN.match(text))


def _record_header(lines: list[str], start: int) -> int | None:
    """A short numbered header line ("Mål och aktivitet 2") right above a record, if any."""
    k = start - 1
    while k >= 0 and _blank(lines[k]):
        k -= 1
    text = join_lines([lines[k]]) if k >= 0 else ""
    # "Mål och aktivitet 2" names the record; "Fokusområde 2: Ledarskap" is a section heading above it.
    if k >= 0 and start - k <= 4 and _NUMBERED_HEADING.match(text) and len(_words(lines[k])) <= 6 and ":" not in text:
        return k
    return None


# ------------------------------------------------ column-flattened tables
def _is_label_only(line: str) -> bool:
    words = _words(line)
    return bool(words) and len(words) <= 4 and all(fold(word) in column_words() for word in words)


def _flattened_header(lines: list[str], i: int) -> tuple[int, list[str]] | None:
    """If a header of column labels starts at ``i``: (last header line, labels)."""
    if "\t" in lines[i] or _MD_HEADING.match(lines[i]) or not _is_label_only(lines[i]):
        return None
    labels = [join_lines([lines[i]])]
    j, last = i + 1, i
    while j < len(lines) and j - last <= 4:
        if _blank(lines[j]):
            j += 1
            continue
        if "\t" in lines[j] or _MD_HEADING.match(lines[j]) or not _is_label_only(lines[j]):
            break  # a table's header row or a heading is no part of a flattened header
        labels.extend(join_lines([lines[j]]).split())
        last = j
        j += 1
    return (last, labels) if len(labels) >= 2 else None


def _blocks(lines: list[str], start: int, end: int) -> list[tuple[int, int]]:
    """Runs of non-blank lines in ``start..end`` (0-based inclusive)."""
    blocks, k = [], start
    while k <= end:
        if _blank(lines[k]):
            k += 1
            continue
        b = k
        while k <= end and not _blank(lines[k]):
            k += 1
        blocks.append((b, k - 1))
    return blocks


def flattened_table_chunks(doc: Document, section_of, consumed: list[bool]) -> list[Chunk]:
    lines, chunks, i = doc.lines, [], 0
    while i < len(lines):
        header = None if consumed[i] else _flattened_header(lines, i)
        if not header:
            i += 1
            continue
        header_end, labels = header
        end = header_end + 1
        while end < len(lines) and not consumed[end] and not _URL_LINE.match(lines[end]) and not _flattened_header(lines, end):
            end += 1
        rows = _flattened_rows(lines, _blocks(lines, header_end + 1, end - 1))
        for row_start, row_end, activity, owner, content in rows:
            fields = {labels[0]: activity, labels[1]: owner}
            fields[" ".join(labels[2:]) or "Innehåll"] = content
            contacts = _contacts_in(lines[row_start:row_end + 1])
            if contacts:
                fields["Kontakt"] = contacts
            chunks.append(_make_chunk(doc, row_start, row_end, KIND_ACTIVITY, section_of(i), _fields_text(fields), fields))
        for k in range(i, end):
            consumed[k] = True
        i = end
    return chunks


_CONTACT = re.compile(r"\bKontakt(?:person(?:er)?)?:\s*(.+?)\s*$")


def _contacts_in(row_lines: list[str]) -> str:
    """Names after "Kontakt:" up to the end of their line (the cell ends there in the source)."""
    names = [m.group(1) for m in (_CONTACT.search(join_lines([line])) for line in row_lines) if m]
    return ", ".join(names)


def _starts_with_role(text: str) -> bool:
    return bool(ROLE_PATTERN.match(text))


def _split_inline_role(text: str) -> tuple[str, str, str] | None:
    """"Activity words Arbetsutskott rest" → (activity, role, rest) when a role follows ≥3 words."""
    for match in ROLE_PATTERN.finditer(text):
        before = text[: match.start()].strip()
        if len(before.split()) >= 3 and text[match.start() - 1] == " ":
            return before, match.group(0), text[match.end():].strip()
    return None


def _flattened_rows(lines: list[str], blocks: list[tuple[int, int]]) -> list[tuple[int, int, str, str, str]]:
    """Assign blocks to rows: (start, end, activity, owner, content) with 0-based line indices."""
    texts = [join_lines(lines[b:e + 1]) for b, e in blocks]
    indented = [lines[b][:1].isspace() and not lines[b].strip().startswith(("•", "-")) for b, _ in blocks]
    rows: list[dict] = []

    def new_row(index: int, activity: str) -> dict:
        row = {"start": blocks[index][0], "end": blocks[index][1], "activity": activity, "owner": "", "content": []}
        rows.append(row)
        return row

    for n, text in enumerate(texts):
        nxt = texts[n + 1] if n + 1 < len(texts) else None
        current = rows[-1] if rows else None
        first_line = join_lines([lines[blocks[n][0]]])
        inline = _split_inline_role(first_line) if not _starts_with_role(text) else None
        if inline:
            inline = (inline[0], inline[1], text[len(first_line) - len(inline[2]):].strip())
        if _starts_with_role(text):
            row = current or new_row(n, "")
            role = ROLE_PATTERN.match(text).group(0)
            if row["owner"]:
                row["content"].append(text)
            else:
                row["owner"] = join_lines([role])
                rest = text[len(role):].strip(" ,;")
                if rest:
                    row["content"].append(rest)
        elif inline:
            row = new_row(n, inline[0])
            row["owner"], rest = join_lines([inline[1]]), inline[2]
            if rest:
                row["content"].append(rest)
        elif indented[n] and current:
            current["content"].append(text)
        elif (nxt is not None and (_starts_with_role(nxt) or indented[n + 1])) or not current or not current["owner"]:
            new_row(n, text)
        else:
            current["content"].append(text)
        rows[-1]["end"] = max(rows[-1]["end"], blocks[n][1])
    return [(r["start"], r["end"], r["activity"], r["owner"], " ".join(r["content"])) for r in rows]


# ------------------------------------------------------------- headings
def detect_headings(lines: list[str], consumed: list[bool]) -> dict[int, tuple[int, str]]:
    """Line index → (level, heading text) for Markdown and plain-text headings."""
    headings: dict[int, tuple[int, str]] = {}
    guessed: list[int] = []  # headings by their look alone (no "#", no section number)
    merged: set[int] = set()  # second lines of wrapped titles
    cards: set[int] = set()  # short lines right above a "Label: value" line
    for i, line in enumerate(lines):
        if consumed[i] or _blank(line):
            continue
        text = join_lines([line])
        md = _MD_HEADING.match(line)
        if md:
            headings[i] = (len(md.group(1)), text)
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        prev_ends = i > 0 and join_lines([lines[i - 1]]).endswith((".", ":")) and _blank(nxt)
        prev_blank = i == 0 or _blank(lines[i - 1]) or (i - 1) in headings or prev_ends
        number = _SECTION_NUMBER.match(line)
        if number and prev_blank and _blank(nxt) and "\t" not in line and len(text) <= 90 \
                and len(text.split()) <= 12 and text[-1] not in ".,;:-–":
            headings[i] = (2 + number.group(1).rstrip(".").count("."), text)  # "2.1 Bakgrund" is level 3
            continue
        if not prev_blank or "\t" in line or (_BULLET.match(line) and not _EMPHASIS_LINE.match(line)) or label_match(line):
            continue  # ("**§ 12 Upprop**" is in emphasis, no list item)
        if _FULL_DATE.search(text) and len(text.split()) <= MAX_DATE_LINE_WORDS:
            continue  # "Publicerad 3 september 2026", "Stockholm 2026-05-20": a dateline, not a heading
        if not (3 <= len(text) <= 90 and (text[0].isupper() or _PARAGRAPH_SIGN.match(text))
                and text[-1] not in ".,;:-–" and len(text.split()) <= 11):
            continue
        if not _blank(nxt) and join_lines([nxt])[:1].islower():
            continue  # a sentence wrapped onto the next line, not a heading
        tail = join_lines([nxt])
        if tail and not _BULLET.match(nxt) and tail.endswith((".", "!", "?")) and (i + 1) not in headings \
                and len(tail.split()) <= 3:
            continue  # "… samordnare Eva Lindqvist, Västra" / "Götalandsregionen.": a sentence's last words
        if _introduces_list(lines, i, consumed):
            continue  # "Socialstyrelsen föreslår att" / "- utbildningsplatserna …": a list's lead-in
        if not _blank(nxt) and not consumed[i + 1] and label_match(nxt):
            cards.add(i)  # "Jakob Nord, presskontakt" / "Telefon: 010-…": a contact card, not a heading
        after_tail = lines[i + 2] if i + 2 < len(lines) else ""
        if tail and len(tail.split()) <= 3 and not tail.endswith(".") and not _BULLET.match(nxt) \
                and (_blank(after_tail) or "\t" in after_tail):  # a block of short lines is no wrapped title
            text = f"{text} {tail}"  # a title wrapped onto a short second line ("… verksamhetsplan" / "2026")
            consumed[i + 1] = True
            merged.add(i + 1)
        level = 3 if _NUMBERED_HEADING.match(text) else 2
        headings[i] = (level, text)
        guessed.append(i)
    _drop_runs_of_short_lines(lines, headings, guessed, merged, consumed, cards)
    return headings


def _drop_runs_of_short_lines(lines: list[str], headings: dict[int, tuple[int, str]], guessed: list[int],
                              merged: set[int], consumed: list[bool], cards: set[int]) -> None:
    """Short lines taken for headings by their look alone, one or several following each other with
    nothing but blank lines between, are text when they head no text of their own (a marked heading
    or the end of the document follows them) — signatures ("På regeringens vägnar" / "Maria Lund" /
    "Jonas Ek"), an addressee above a title — or when some of them stand on adjacent lines (an address,
    a copy list, a press contact) or right above a ``Label: value`` line (``cards``: "Jakob Nord,
    presskontakt" / "Telefon: …"). Title lines over a document's first paragraph stay headings."""
    runs: list[list[int]] = []
    for i in guessed:
        previous = runs[-1][-1] if runs else None
        last = previous + 1 if previous is not None and previous + 1 in merged else previous
        if last is not None and all(_blank(line) for line in lines[last + 1:i]):
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        adjacent = any(b == a + 1 or (a + 1 in merged and b == a + 2) for a, b in zip(run, run[1:]))
        end = run[-1] + 1 + (run[-1] + 1 in merged)
        after = next((k for k in range(end, len(lines)) if not _blank(lines[k])), None)
        heads_nothing = after is None or (not consumed[after] and _MD_HEADING.match(lines[after]) is not None)
        if heads_nothing or adjacent or cards.intersection(run):
            for i in run:
                del headings[i]
                if i + 1 in merged:
                    consumed[i + 1] = False


#: A line giving a full date in at most this many words is a dateline (no heading).
MAX_DATE_LINE_WORDS = 6
_FULL_DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}\s+(?:jan(?:uari)?|feb(?:ruari)?|mar(?:s)?|apr(?:il)?|maj|jun(?:i)?|jul(?:i)?|"
    r"aug(?:usti)?|sep(?:t|tember)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+\d{4})\b",
    re.IGNORECASE,
)
_LIST_ITEM_TEXT = re.compile(r"^\s*(?:[•●▪◦‣∙·*–-]{1,2}|\d{1,2}[.)]|[a-z][.)])\s*(\S)")


def _introduces_list(lines: list[str], i: int, consumed: list[bool]) -> bool:
    """Whether the line at ``i`` begins a sentence that list items finish: the next non-blank line (at
    most one blank line between) is a list item starting with a lower-case letter."""
    for k in range(i + 1, min(i + 3, len(lines))):
        if consumed[k]:
            return False
        if _blank(lines[k]):
            continue
        item = _LIST_ITEM_TEXT.match(strip_markup(lines[k]))
        return bool(item) and item.group(1).islower()
    return False


class SectionIndex:
    """Maps a line index to the section path ("A > B") of the headings above it."""

    def __init__(self, headings: dict[int, tuple[int, str]], n_lines: int):
        self.paths: list[str] = []
        stack: list[tuple[int, str]] = []
        for i in range(n_lines):
            if i in headings:
                level, text = headings[i]
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
            self.paths.append(" > ".join(text for _, text in stack))

    def __call__(self, index: int) -> str:
        return self.paths[index] if 0 <= index < len(self.paths) else ""


# ---------------------------------------------------------------- slides
def slide_spans(lines: list[str]) -> list[tuple[int, int]]:
    """Segments separated by runs of at least ``SLIDE_BREAK_BLANKS`` blank lines."""
    spans, start, blanks, last = [], None, 0, 0
    for i, line in enumerate(lines):
        if _blank(line):
            blanks += 1
            continue
        if start is None:
            start = i
        elif blanks >= SLIDE_BREAK_BLANKS:
            spans.append((start, last))
            start = i
        last, blanks = i, 0
    if start is not None:
        spans.append((start, last))
    return spans


def looks_like_slides(lines: list[str]) -> bool:
    spans = slide_spans(lines)
    nonblank = sum(1 for line in lines if not _blank(line))
    return len(spans) >= 4 and nonblank / len(spans) <= 25


def slide_chunks(doc: Document) -> list[Chunk]:
    chunks = []
    spans = slide_spans(doc.lines)
    closing = [_closing_title(doc.lines, start, end) for start, end in spans]
    for number, (start, end) in enumerate(spans, start=1):
        title_lines, k = [], start
        while k <= end and len(title_lines) < 2 and not _blank(doc.lines[k]) and not _BULLET.match(doc.lines[k]):
            title_lines.append(doc.lines[k])
            k += 1
        own = closing[number - 1] if closing.count(closing[number - 1]) == 1 else ""  # a running footer is no title
        title = join_lines(title_lines)[:120] or own or f"Bild {number}"
        section = f"Bild {number}: {title}"
        for part_start, part_end in _split_span(doc.lines, start, end, MAX_SLIDE_CHARS):
            text = units_text(doc.lines, part_start, part_end)
            chunks.append(_make_chunk(doc, part_start, part_end, KIND_SLIDE, section, text))
    return chunks


#: A slide without a title at its top takes its last line as the title when it is this short (and
#: no list item, no sentence): text extracted from a slide deck often puts the title after the bullets.
MAX_CLOSING_TITLE_WORDS = 12
MAX_CLOSING_TITLE_LINES = 2


def _closing_title(lines: list[str], start: int, end: int) -> str:
    """The title of a slide ``start..end`` that has none at its top, from its last block of lines: a
    block of at most ``MAX_CLOSING_TITLE_LINES`` lines after a blank line, below the slide's other text,
    that is no list item, starts with a capital or a digit, has at most ``MAX_CLOSING_TITLE_WORDS`` words
    and does not end like a sentence ("• …" / "" / "Arbetsgrupp Klinisk forskning"); "" otherwise."""
    last = end
    while last >= start and _blank(lines[last]):
        last -= 1
    first = last
    while first - 1 >= start and not _blank(lines[first - 1]):
        first -= 1
    if first <= start or last - first + 1 > MAX_CLOSING_TITLE_LINES or _BULLET.match(lines[first]) \
            or label_match(lines[first]):
        return ""
    text = join_lines(lines[first:last + 1])
    if not text or not (text[0].isupper() or text[0].isdigit()) or text.endswith((".", ",", ";", ":")) \
            or len(text.split()) > MAX_CLOSING_TITLE_WORDS:
        return ""
    return text[:120]


def units_text(lines: list[str], start: int, end: int) -> str:
    """Clean text of a span with one line per paragraph or bullet."""
    units: list[list[str]] = []
    for k in range(start, end + 1):
        if _blank(lines[k]):
            if units and units[-1]:
                units.append([])
            continue
        if _BULLET.match(lines[k]) and units and units[-1]:
            units.append([])
        if units and not units[-1] and len(units) > 1 and _continues(units[-2], lines[k]):
            units.pop()  # a bullet wrapped over a blank line: "… publicerade dec 2020" / "analysen …"
        if not units:
            units.append([])
        units[-1].append(lines[k])
    return "\n".join(text for text in (join_lines(unit) for unit in units) if text)


def _continues(previous: list[str], line: str) -> bool:
    """Whether ``line`` continues the unit ``previous`` (lower-case start, no sentence end before it)."""
    text = join_lines([line])
    return bool(text) and text[0].islower() and not join_lines(previous).endswith((".", ":", "!", "?"))


def _split_span(lines: list[str], start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """Split a span at paragraph/bullet boundaries so that each part stays under ``limit``."""
    parts, part_start, size = [], start, 0
    for k in range(start, end + 1):
        size += len(lines[k])
        boundary = k + 1 <= end and (_blank(lines[k]) or _BULLET.match(lines[k + 1]))
        if size >= limit and boundary:
            parts.append((part_start, k))
            part_start, size = k + 1, 0
    if part_start <= end:
        parts.append((part_start, end))
    return [(s, e) for s, e in (_trim(lines, s, e) for s, e in parts) if s <= e]


def _trim(lines: list[str], start: int, end: int) -> tuple[int, int]:
    while start <= end and _blank(lines[start]):
        start += 1
    while end >= start and _blank(lines[end]):
        end -= 1
    return start, end


# ----------------------------------------------------------------- prose
def prose_chunks(doc: Document, section_of, headings: dict[int, tuple[int, str]], consumed: list[bool]) -> list[Chunk]:
    """Paragraphs and lists outside tables, merged within a section up to ``MAX_PROSE_CHARS``."""
    lines = doc.lines
    units: list[tuple[int, int, str]] = []  # (start, end, kind)
    i = 0
    while i < len(lines):
        if consumed[i] or _blank(lines[i]) or i in headings:
            i += 1
            continue
        j = i
        while j + 1 < len(lines) and not consumed[j + 1] and not _blank(lines[j + 1]) and (j + 1) not in headings \
                and not _BULLET.match(lines[j + 1]):
            j += 1
        if _URL_LINE.match(join_lines(lines[i:j + 1])):
            i = j + 1
            continue  # a bare link carries nothing to retrieve
        units.append((i, j, KIND_LIST if _BULLET.match(lines[i]) else KIND_PARAGRAPH))
        i = j + 1

    chunks: list[Chunk] = []
    group: list[tuple[int, int, str]] = []

    def flush() -> None:
        if not group:
            return
        start, end = group[0][0], group[-1][1]
        kind = KIND_LIST if any(unit[2] == KIND_LIST for unit in group) else KIND_PARAGRAPH
        text = "\n".join(join_lines(lines[s:e + 1]) for s, e, _ in group)
        chunks.append(_make_chunk(doc, start, end, kind, section_of(start), text))
        group.clear()

    for unit in units:
        if group:
            same_section = section_of(unit[0]) == section_of(group[0][0])
            size = sum(len(join_lines(lines[s:e + 1])) for s, e, _ in group)
            unit_size = len(join_lines(lines[unit[0]:unit[1] + 1]))
            continues_list = unit[2] == KIND_LIST and (group[-1][2] == KIND_LIST or join_lines(lines[group[-1][0]:group[-1][1] + 1]).endswith(":"))
            if not same_section or (size + unit_size > MAX_PROSE_CHARS and not (continues_list and size + unit_size <= 2 * MAX_PROSE_CHARS)):
                flush()
        group.append(unit)
    flush()
    return [piece for chunk in chunks for piece in _split_long(doc, chunk)]


def _split_long(doc: Document, chunk: Chunk) -> list[Chunk]:
    if len(chunk.text) <= 2 * MAX_PROSE_CHARS:
        return [chunk]
    pieces = []
    for start, end in _split_span(doc.lines, chunk.line_start - 1, chunk.line_end - 1, MAX_PROSE_CHARS):
        pieces.append(_make_chunk(doc, start, end, chunk.kind, chunk.section, join_lines(doc.lines[start:end + 1])))
    return pieces


# ------------------------------------------------------------------ entry
def chunk_document(doc: Document) -> list[Chunk]:
    """All chunks of one document, in reading order."""
    lines = doc.lines
    consumed = [False] * len(lines)
    # Tables first (their lines must not be mistaken for headings); sections are filled in after.
    no_section = lambda index: ""  # noqa: E731 - sections are resolved once headings are known
    chunks = tab_table_chunks(doc, no_section, consumed)
    chunks += pair_table_chunks(doc, no_section, consumed)
    chunks += flattened_table_chunks(doc, no_section, consumed)
    chunks += labelled_record_chunks(doc, no_section, consumed)
    if not chunks and looks_like_slides(lines):
        return slide_chunks(doc)
    pending_sections = list(chunks)
    headings = detect_headings(lines, consumed)
    section_of = SectionIndex(headings, len(lines))
    for chunk in pending_sections:
        chunk.section = section_of(chunk.line_start - 1)
    chunks += prose_chunks(doc, section_of, headings, consumed)
    return sorted(chunks, key=lambda c: (c.line_start, c.line_end))
