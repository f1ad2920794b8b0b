"""The follow-up draft (:class:`~assistant.followup.build.FollowUpSummary`) as Markdown, CSV or Word.

:func:`render_markdown` writes the filters, an overview for a theme over several councils
(:func:`render_overview_markdown`), a section per council with its cited introduction and a pipe
table of its activities, and the sources. :func:`render_csv` gives one line per activity with every
column (its record id first); :func:`write_docx` a landscape Word document with a table per focus area. The cells are the
rows' fields as they are: nothing is paraphrased.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from assistant.answer.citations import Citation
from assistant.followup.build import COLUMNS, CSV_COLUMNS, OPTIONAL_COLUMNS, FollowUpSummary, SummaryRow
from assistant.lang.periods import names_year

OVERVIEW_HEADERS = ["Råd", "Aktivitet", "Ansvarig", "Tidplan", "Uppföljning", "Källa"]
DOCUMENT_TITLE = "Uppföljning av aktivitetsplaner – utkast"


def _cell(row: SummaryRow, name: str) -> str:
    return str(getattr(row, name))


def table_columns(rows: list[SummaryRow], leave_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The columns of a table over ``rows``: optional ones only where some row has a value."""
    return [(name, header) for name, header in COLUMNS if name not in leave_out
            and (name not in OPTIONAL_COLUMNS or any(_cell(row, name) for row in rows))]


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").strip()


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(_md_escape(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(_md_escape(cell) for cell in row) + " |")
    return "\n".join(out)


def _overview_cells(row: SummaryRow) -> list[str]:
    owner = row.owner + (f" (kontakt: {row.contacts})" if row.contacts else "")
    follow = "; ".join(part for part in (f"när: {row.follow_up}" if row.follow_up else "",
                                         f"mått: {row.measure}" if row.measure else "") if part)
    timeline = row.timeline
    if timeline and row.timeline_period and not names_year(timeline):
        timeline += f" (= {row.timeline_period})"  # the plan's year, for a timeline written without one
    return [row.council, row.activity, owner, timeline, follow, row.source_label]


def render_overview_markdown(summary: FollowUpSummary) -> str:
    """Side-by-side table of what each council plans on the theme, who owns it and when."""
    title = f"## Översikt: {summary.theme}" if summary.theme else "## Översikt"
    forms = summary.extra_forms
    note = f"Matchar även ”{'”, ”'.join(forms)}”." if forms else ""
    table = markdown_table(OVERVIEW_HEADERS, [_overview_cells(row) for row in summary.rows])
    return "\n\n".join(part for part in (title, note, table) if part)


def _filters_line(summary: FollowUpSummary) -> str:
    parts = [f"råd: {', '.join(summary.councils)}"]
    if summary.period:
        where = {"any": "tidplan eller uppföljningsdatum", "timeline": "tidplan", "follow_up": "uppföljningsdatum"}[summary.date_field]
        parts.append(f"period: {summary.period} ({where} inom perioden)")
    if summary.keywords:
        parts.append(f"ämne: {summary.theme}" + (f" (även ”{'”, ”'.join(summary.extra_forms)}”)" if summary.extra_forms else ""))
    if summary.focus_area:
        parts.append(f"fokusområde: {summary.focus_area}")
    return "Urval – " + "; ".join(parts) + "."


def _notes(summary: FollowUpSummary) -> list[str]:
    notes = []
    if summary.without_matches:
        notes.append(f"Inga matchande aktiviteter hos: {', '.join(summary.without_matches)}.")
    if summary.unmatched_keywords:
        notes.append(f"Ingen aktivitet handlar om: ”{'”, ”'.join(summary.unmatched_keywords)}”.")
    return notes


def _include_overview(summary: FollowUpSummary, overview: bool | None) -> bool:
    if overview is not None:
        return overview and bool(summary.rows)
    return bool(summary.theme) and len(summary.sections) > 1


def citation_line(citation: Citation) -> str:
    lines = f"rad {citation.lines[0]}" if citation.lines[0] == citation.lines[1] else f"rad {citation.lines[0]}–{citation.lines[1]}"
    return f"[{citation.n}] {citation.title} ({citation.source}, {lines}): ”{citation.quote}”"


def render_markdown(summary: FollowUpSummary, overview: bool | None = None) -> str:
    """The draft as Markdown: filters, overview (for a theme over several councils), a section per council, sources."""
    out = [f"# {DOCUMENT_TITLE}", _filters_line(summary)
           + " Raderna är hämtade ordagrant ur planerna; fyll i kolumnerna Status och Kommentar."]
    if not summary.rows:
        out.append("Inga aktiviteter i planerna matchar urvalet.")
        return "\n\n".join(out) + "\n"
    notes = _notes(summary)
    if notes:
        out.append(" ".join(notes))
    if _include_overview(summary, overview):
        out.append(render_overview_markdown(summary))
    for section in summary.sections:
        out.append(f"## {section.council}")
        out.append(" ".join(section.intro))
        columns = table_columns(section.rows)
        out.append(f"### Aktiviteter ({len(section.rows)})")
        out.append(markdown_table([h for _, h in columns], [[_cell(r, n) for n, _ in columns] for r in section.rows]))
        derived = [r for r in section.rows if r.timeline_from_content]
        if derived:
            out.append("Tidplan hämtad ur aktivitetens Innehåll-text för: "
                       + "; ".join(f"”{_shorten(r.activity)}” ({r.source_label})" for r in derived) + ".")
    if summary.citations:
        out.append("## Källor")
        out.append("\n".join(citation_line(c) for c in summary.citations))
    return "\n\n".join(out) + "\n"


def render_csv(summary: FollowUpSummary, delimiter: str = ",") -> str:
    """One line per activity with every column: "Id" (the record id that ``assistant followup import``
    reads back), council, plan, …, Status and Kommentar (the latest follow-up entry, else empty)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[header for _, header in CSV_COLUMNS], delimiter=delimiter)
    writer.writeheader()
    for row in summary.rows:
        writer.writerow(row.csv_dict())
    return buffer.getvalue()


def write_csv(summary: FollowUpSummary, path: str | Path, delimiter: str = ",") -> Path:
    path = Path(path)
    path.write_text(render_csv(summary, delimiter), encoding="utf-8-sig", newline="")  # BOM: Excel reads å, ä, ö
    return path


#: Usable width of an A4 landscape page with 1.5 cm margins.
A4_LANDSCAPE = (Cm(29.7), Cm(21.0))
TABLE_WIDTH_CM = 29.7 - 2 * 1.5
#: Column width bounds (cm): widths follow the text in each column, within these.
MIN_COLUMN_CM, MAX_COLUMN_CM = 1.6, 9.0


def column_widths(headers: list[str], rows: list[list[str]], total_cm: float = TABLE_WIDTH_CM) -> list[float]:
    """Widths (cm) by how much text each column holds (longest words and average length), filling ``total_cm``."""
    weights = []
    for i, header in enumerate(headers):
        texts = [header] + [row[i] for row in rows if i < len(row)]
        longest_word = max((len(word) for text in texts for word in text.split()), default=4)
        average = sum(len(text) for text in texts) / len(texts)
        weights.append(max(longest_word * 0.8, min(average, 120) ** 0.75))
    raw = [total_cm * w / sum(weights) for w in weights]
    bounded = [min(MAX_COLUMN_CM, max(MIN_COLUMN_CM, w)) for w in raw]
    scale = total_cm / sum(bounded)
    return [round(w * scale, 2) for w in bounded]


def _docx_table(document, headers: list[str], rows: list[list[str]]):
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    header = table.rows[0]
    properties = header._tr.get_or_add_trPr()  # repeat the header row on every page
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell, text in zip(header.cells, headers):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(8)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(8)
    for column, width in zip(table.columns, column_widths(headers, rows)):
        for cell in column.cells:
            cell.width = Cm(width)
    return table


def _docx_source(row: SummaryRow) -> str:
    """The source cell of the Word table: the plan's title and the lines (the file name only without a title)."""
    lines = f"rad {row.line_start}" if row.line_start == row.line_end else f"rad {row.line_start}–{row.line_end}"
    return f"{row.plan or row.source}, {lines}"


def landscape_document(title: str, author: str, on: date) -> Document:
    """An empty Word document on A4 landscape (1.5 cm margins) with title, author and date set."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = A4_LANDSCAPE
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    properties = document.core_properties
    properties.title, properties.author, properties.last_modified_by = title, author, author
    properties.created = properties.modified = datetime.combine(on, datetime.min.time())
    return document


def write_docx(summary: FollowUpSummary, path: str | Path, overview: bool | None = None,
               author: str = "Vårdkompetens-assistenten", on: date | None = None) -> Path:
    """A Word document on A4 landscape: title with the date and the filters, a heading per council and
    per focus area, each with a table (columns as wide as their text needs), then the sources."""
    on = on or date.today()
    document = landscape_document(DOCUMENT_TITLE, author, on)
    document.add_heading(DOCUMENT_TITLE, 0)
    document.add_paragraph(f"Datum: {on.isoformat()}. " + _filters_line(summary)
                           + " Raderna är hämtade ordagrant ur planerna; fyll i kolumnerna Status och Kommentar.")
    if not summary.rows:
        document.add_paragraph("Inga aktiviteter i planerna matchar urvalet.")
    if summary.rows and _notes(summary):
        document.add_paragraph(" ".join(_notes(summary)))
    if _include_overview(summary, overview):
        document.add_heading(f"Översikt: {summary.theme}" if summary.theme else "Översikt", 1)
        _docx_table(document, OVERVIEW_HEADERS, [_overview_cells(row) for row in summary.rows])
    for council_section in summary.sections:
        document.add_heading(council_section.council, 1)
        for sentence in council_section.intro:
            document.add_paragraph(sentence)
        groups: dict[str, list[SummaryRow]] = {}
        for row in council_section.rows:
            groups.setdefault(row.group, []).append(row)
        for group, rows in groups.items():
            document.add_heading(group, 2)
            columns = table_columns(rows, leave_out=("focus_area",))
            _docx_table(document, [h for _, h in columns],
                        [[_docx_source(r) if n == "source_label" else _cell(r, n) for n, _ in columns] for r in rows])
    if summary.citations:
        document.add_heading("Källor", 1)
        for citation in summary.citations:
            document.add_paragraph(citation_line(citation))
    path = Path(path)
    document.save(str(path))
    return path
