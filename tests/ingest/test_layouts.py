"""Documents users add: column labels by meaning, and layouts beyond the seed corpus.

Word tables (DOCX), Markdown pipe tables, numbered decision lists, headed prose reports, HTML pages
saved from a browser and PDFs with ruled tables. The documents are in tests/data/layouts/ or made
here (DOCX with python-docx, PDF with reportlab); each table layout must give one activity record
per row with its owner, timeline and follow-up, and every value must be quotable from the lines the
record points at. Fast and offline.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from corpus_names import CORPUS_DIR, SODRA

from assistant.ingest.activities import (
    UNMAPPED,
    canonical_field,
    column_group,
    extract_records,
    is_column_label,
    is_time_value,
    label_key,
)
from assistant.ingest.chunking import chunk_document, find_pipe_tables, find_tab_tables
from assistant.ingest.corpus import (
    drop_page_furniture,
    find_documents,
    infer_council,
    infer_title,
    load_catalog,
    pdf_glyphs,
    read_document,
)
from assistant.ingest.units import split_units
from assistant.lang.councils import COUNCIL_NATIONAL
from assistant.lang.words import column_labels
from assistant.schema import KIND_ACTIVITY, KIND_LIST, KIND_PARAGRAPH, ActivityRecord, Document
from assistant.settings import Settings
from assistant.text import join_lines, normalize_for_match

LAYOUTS = Path(__file__).resolve().parent.parent / "data" / "layouts"
RECORD_FIELDS = ("activity", "owner", "timeline", "follow_up")
PLAN_ROWS = [  # activity, owner, timeline, follow-up
    ("Kartlägga VFU-platser i regionen", "Arbetsutskottet", "Q2 2027", "Utvärdering Q1 2028"),
    ("Anordna en konferens om handledning", "Rådet", "Q4 2027", "Q1 2028"),
    ("Sprida goda exempel på kompetensväxling", "Arbetsgruppen för nära vård", "Q1–Q4 2027", "Rapport Q4 2027"),
]


def rows_of(records: list[ActivityRecord], fields=RECORD_FIELDS) -> list[tuple[str, ...]]:
    return [tuple(getattr(record, name) for name in fields) for record in records]


def assert_quotable(doc, chunks) -> None:
    """Every activity chunk's values stand in the lines it points at (what quotes are checked against);
    a first cell left empty takes the group of the rows above, named in a line above."""
    for chunk in chunks:
        if chunk.kind != KIND_ACTIVITY:
            continue
        span = normalize_for_match(doc.span_text(chunk.line_start, chunk.line_end))
        for n, value in enumerate(chunk.fields.values()):
            if n == 0 and normalize_for_match(value) not in span:
                assert normalize_for_match(value) in normalize_for_match(doc.span_text(1, chunk.line_start)), value
                continue
            assert normalize_for_match(value) in span, (value, chunk.line_start)


def read(path: Path):
    doc = read_document(path, {})
    chunks = chunk_document(doc)
    return doc, chunks, extract_records(chunks)


# ------------------------------------------------------------------------------- column labels
@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Uppföljning", "follow_up"),
        ("Uppfoljning", "follow_up"),
        ("UPPFÖLJNING", "follow_up"),
        ("Uppföljning – när", "follow_up"),
        ("Uppföljningsdatum", "follow_up"),
        ("Uppföljning (datum)", "follow_up"),
        ("Follow-up", "follow_up"),
        ("Follow up", "follow_up"),
        ("Uppföljningsmått", "measure"),
        ("Uppföljning - mått", "measure"),
        ("Mått", "measure"),
        ("Measure", "measure"),
        ("Ansvarig", "owner"),
        ("Ansvarig:", "owner"),
        ("ANSVARIG", "owner"),
        ("Ansvar", "owner"),
        ("Ansvaring", "owner"),  # one slip
        ("Ansvarig organisation", "owner"),  # the first words name it
        ("Genomföran de", "owner"),  # a word broken over a line in a narrow PDF cell
        ("Projektägare", "owner"),  # a compound ending in an alias
        ("Owner", "owner"),
        ("Responsible", "owner"),
        ("Genomförande", "owner"),
        ("Tidplan", "timeline"),
        ("Tidplan (kvartal)", "timeline"),
        ("Tidsplan", "timeline"),
        ("Tidpunkt", "timeline"),
        ("När", "timeline"),
        ("Timeline", "timeline"),
        ("When", "timeline"),
        ("Kontakt", "contacts"),
        ("Kontaktperson(er)", "contacts"),
        ("Kontaktpersoner", "contacts"),
        ("Contact", "contacts"),
        ("Aktivitet", "activity"),
        ("Aktivitet(er)", "activity"),
        ("Aktiviteter", "activity"),
        ("Aktivitetsbeskrivning", "activity"),
        ("Beslut", "activity"),  # minutes: the decision of a paragraph is what is to be done
        ("Beslut:", "activity"),
        ("Återrapportering", "follow_up"),
        ("Beslutsdatum", None),  # a column of its own, no activity
        ("Activity", "activity"),
        ("Mål", "goal"),
        ("Goal", "goal"),
        ("Fokusområde", "focus_area"),
        ("Prioriterat område", "focus_area"),
        ("Rådets prioriterade områden", "focus_area"),
        ("Innehåll", "content"),
        ("Status", None),
        ("Kommentar", None),
        ("Målgrupp", None),
        ("Datum", None),
        ("Rubrik", None),
        ("", None),
    ],
)
def test_column_labels_by_meaning(label, field):
    assert canonical_field(label) == field


def test_known_columns_without_a_record_field_are_column_labels():
    assert column_group("Status") == column_group("Kommentar") == UNMAPPED
    assert is_column_label("Status") and is_column_label("Kommentarer") and is_column_label("Ansvarig:")
    assert not is_column_label("Rubrik") and not is_column_label("Regeringen ger Socialstyrelsen i uppdrag")


def test_label_key_folds_and_drops_brackets_and_punctuation():
    assert label_key("Tidplan (kvartal):") == "tidplan"
    assert label_key("Uppföljning – när") == "uppfoljning nar"
    assert label_key("(Ansvarig)") == "ansvarig"


def test_columns_data_names_record_fields_and_no_alias_is_near_another_fields():
    from rapidfuzz.distance import OSA

    from assistant.ingest.activities import _aliases, _max_edits

    record_fields = {f.name for f in dataclasses.fields(ActivityRecord)}
    assert set(column_labels()) - {UNMAPPED} <= record_fields
    aliases = _aliases()[1]
    for i, (a, group_a) in enumerate(aliases):
        assert column_group(a) == group_a
        for b, group_b in aliases[i + 1:]:
            if group_a != group_b:
                limit = min(_max_edits(a), _max_edits(b))
                assert OSA.distance(a, b) > limit, (a, b)


# --------------------------------------------------------------------- text tables, by meaning
def test_plain_uppfoljning_column_is_the_follow_up(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("Aktivitetsplan 2027\n\nAktivitet\tAnsvarig\tTidplan\tUppföljning\n"
                    "Kartlägga VFU-platser\tRådet\tQ2 2027\tUtvärdering Q1 2028\n", encoding="utf-8")
    [record] = read(path)[2]
    assert (record.follow_up, record.measure) == ("Utvärdering Q1 2028", "")
    assert record.labels["follow_up"] == "Uppföljning"


def test_unknown_repeated_and_extra_columns_are_kept(tmp_path):
    path = tmp_path / "plan.txt"
    path.write_text("Aktivitetsplan 2027\n\nAktivitet\tAnsvarig\tStatus\tBudget (tkr)\tUppföljning\tUppföljning\n"
                    "Kartlägga VFU-platser\tRådet\tPågår\t200\tQ1 2028\tQ3 2028\tnot i marginalen\n", encoding="utf-8")
    doc, chunks, [record] = read(path)
    [row] = [c for c in chunks if c.kind == KIND_ACTIVITY]
    assert row.fields == {"Aktivitet": "Kartlägga VFU-platser", "Ansvarig": "Rådet", "Status": "Pågår",
                          "Budget (tkr)": "200", "Uppföljning": "Q1 2028", "Uppföljning (2)": "Q3 2028",
                          "Kolumn 7": "not i marginalen"}
    assert "Status: Pågår" in row.text
    assert (record.owner, record.follow_up) == ("Rådet", "Q1 2028")
    assert_quotable(doc, chunks)


def test_long_header_cell_that_is_a_column_label(tmp_path):
    path = tmp_path / "plan.txt"
    header = "Aktivitet\tAnsvarig för genomförandet\tUppföljningsdatum och uppföljningsmått för aktiviteten"
    path.write_text(f"Plan\n\n{header}\nKartlägga VFU-platser\tRådet\tQ1 2028 i rådet\n", encoding="utf-8")
    [record] = read(path)[2]
    assert (record.owner, record.follow_up) == ("Rådet", "Q1 2028 i rådet")


def test_heading_above_a_table_stays_a_heading(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\n## Aktiviteter\n\nAktivitet\tAnsvarig\tTidplan\nGöra X\tRådet\tQ1 2027\n",
                    encoding="utf-8")
    [row] = [c for c in read(path)[1] if c.kind == KIND_ACTIVITY]
    assert row.section == "Plan > Aktiviteter"


def test_table_continued_without_header_after_a_page_break():
    lines = ["Aktivitet\tAnsvarig\tTidplan", "Göra X\tRådet\tQ1 2027", "", "Sida 1 av 2", "", "", "",
             "Göra Y\tKansliet\tQ2 2027", "", "Text efter tabellen."]
    first, second = find_tab_tables(lines)
    assert second == (7, 7, ["Aktivitet", "Ansvarig", "Tidplan"], [(7, ["Göra Y", "Kansliet", "Q2 2027"])])
    # rows far from any table, or with another number of columns, are no continuation
    assert len(find_tab_tables(lines[:2] + ["Lång text."] * 6 + lines[7:])) == 1
    assert len(find_tab_tables(lines[:7] + ["Göra Y\tKansliet"])) == 1


# --------------------------------------------------------------------------------- (a) DOCX
def _word_plan(path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Aktivitetsplan 2027 för Regionalt vårdkompetensråd Testregionen", level=1)
    document.add_paragraph("Rådet har beslutat om följande aktiviteter.")
    document.add_paragraph("Aktiviteterna följs upp två gånger om året", style="List Bullet")
    rows = [("Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"), ("Fokusområde 1: Handledning", "", "", "")]
    rows += PLAN_ROWS
    table = document.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value:
                table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(1, 3))  # a row across the table
    document.add_paragraph("Planen revideras årligen.")
    document.save(str(path))


def test_docx_word_table(tmp_path):
    path = tmp_path / "plan.docx"
    _word_plan(path)
    doc, chunks, records = read(path)
    assert rows_of(records) == PLAN_ROWS
    assert all(r.labels == {"activity": "Aktivitet", "owner": "Ansvarig", "timeline": "Tidplan",
                            "follow_up": "Uppföljning"} for r in records)
    assert doc.council == "RVKR Testregionen"
    assert "- Aktiviteterna följs upp två gånger om året" in doc.lines
    assert "Fokusområde 1: Handledning\t\t\t" in doc.lines  # a merged cell is not repeated
    # the row across the table is kept as text, not dropped
    assert any("Fokusområde 1: Handledning" in c.text for c in chunks if c.kind != KIND_ACTIVITY)
    assert_quotable(doc, chunks)


# ------------------------------------------------------------------------ (b) Markdown pipe table
def test_markdown_pipe_table():
    doc, chunks, records = read(LAYOUTS / "pipe_table.md")
    assert rows_of(records) == [
        ("Kartlägga VFU-platser i regionen", "Arbetsutskottet", "Q2 2027", "Utvärdering Q1 2028"),
        ("Anordna en konferens om handledning", "Rådet", "Q4 2027", "Q1 2028"),
        ("Följa den nationella planen", "Rådskansliet", "Q1–Q4 2027", ""),
    ]
    assert [r.contacts for r in records] == [["Karin Berg"], ["Olle Ek", "Lisa Holm"], []]
    assert records[0].labels == {"activity": "Aktivitet", "owner": "ANSVARIG:", "timeline": "Tidplan (kvartal)",
                                 "follow_up": "Uppfoljning", "contacts": "Kontaktperson(er)"}
    rows = [c for c in chunks if c.kind == KIND_ACTIVITY]
    assert [c.line_start for c in rows] == [9, 10, 11]
    assert rows[2].fields["Kommentar"] == "Pågår sedan 2026"  # the unknown column is kept
    assert all(c.section.endswith("> Aktiviteter") for c in rows)
    assert doc.council == "RVKR Testregionen" and doc.doc_type == "aktivitetsplan"
    # the separator row is no record and the text around the table stays prose
    assert [c.kind for c in chunks] == [KIND_PARAGRAPH, KIND_ACTIVITY, KIND_ACTIVITY, KIND_ACTIVITY, KIND_PARAGRAPH]
    assert_quotable(doc, chunks)


def test_pipe_table_needs_a_separator_row():
    assert find_pipe_tables(["| Aktivitet | Ansvarig |", "| Göra X | Rådet |"]) == []
    assert find_pipe_tables(["Aktivitet | Ansvarig", "--- | ---", "Göra X | Rådet"]) == [
        (0, 2, ["Aktivitet", "Ansvarig"], [(2, ["Göra X", "Rådet"])])]
    assert find_pipe_tables(["| a | b |", "|---|---|---|", "| 1 | 2 |"]) == []  # columns differ


# ---------------------------------------------------------- (c) decision list and prose report
def test_numbered_decision_list():
    doc, chunks, records = read(LAYOUTS / "decision_list.txt")
    assert records == []
    [decisions] = [c for c in chunks if c.kind == KIND_LIST]
    assert decisions.section == "Regeringens beslut"
    assert (decisions.line_start, decisions.line_end) == (7, 10)
    items = decisions.text.split("\n")
    assert [item.split(" ", 1)[0] for item in items] == ["1.", "2.", "3.", "10."]
    assert items[0] == ("1. Regeringen ger Socialstyrelsen i uppdrag att ta fram ett nationellt stöd för "
                        "planering av verksamhetsförlagd utbildning.")
    skal = [c for c in chunks if c.section == "Skälen för regeringens beslut"]
    assert [c.kind for c in skal] == [KIND_PARAGRAPH]
    assert doc.doc_type == "regeringsuppdrag"


def test_headed_prose_report_with_numbered_headings():
    doc, chunks, records = read(LAYOUTS / "report.txt")
    assert records == [] and all(c.kind == KIND_PARAGRAPH for c in chunks)
    assert [c.section for c in chunks] == [
        "Sammanfattning", "1 Inledning", "2 Resultat > 2.1 Tillgång till handledare",
        "2 Resultat > 2.2 Ersättning och tid", "3 Slutsatser",
    ]
    assert chunks[2].text.startswith("Bristen på handledare")
    assert doc.doc_type == "rapport"
    for chunk in chunks:
        assert normalize_for_match(chunk.text) == normalize_for_match(doc.span_text(chunk.line_start, chunk.line_end))


# ------------------------------------------------------------------------------------ (d) HTML
def test_html_page_saved_from_a_browser():
    doc, chunks, records = read(LAYOUTS / "aktivitetsplan_testregionen.html")
    assert rows_of(records) == PLAN_ROWS[:2] + [("Sprida goda exempel på kompetensväxling",
                                                 "Arbetsgruppen för nära vård", "Q1–Q4 2027",
                                                 "Rapport till rådet Q4 2027")]
    assert [r.focus_area for r in records] == ["VFU", "VFU", "Nära vård"]  # a cell spanning two rows
    text = "\n".join(doc.lines)
    for dropped in ("gtag", "cookie", "kakor", "Godkänn", "Huvudmeny", "Om rådet", "Till innehållet", "position:"):
        assert dropped not in text
    assert doc.lines[0] == "# Aktivitetsplan 2027"
    assert "## Aktiviteter 2027" in doc.lines and "### Kontakt" in doc.lines
    assert "Fokusområde\tAktivitet\tAnsvarig\tTidplan\tUppföljning" in doc.lines
    assert "- Kompetensförsörjning i nära vård" in doc.lines
    assert doc.title == "Aktivitetsplan 2027"
    assert doc.council == "RVKR Testregionen" and doc.doc_type == "aktivitetsplan"
    assert all(c.section.startswith("Aktivitetsplan 2027 > Aktiviteter 2027") for c in chunks if c.kind == KIND_ACTIVITY)
    assert_quotable(doc, chunks)


def test_html_without_main_or_heading_uses_body_and_title(tmp_path):
    path = tmp_path / "sida.htm"
    path.write_bytes("<html><head><title>Verksamhetsplan för RVKR Norra</title></head><body>"
                     "<p>Första stycket.<br>Andra raden.</p><ol start='3'><li>Tre</li><li>Fyra</li></ol>"
                     "<table><tr><td>a</td><td colspan='2'>bc</td></tr></table></body></html>".encode("cp1252"))
    doc = read_document(path, {})
    assert [line for line in doc.lines if line] == [
        "# Verksamhetsplan för RVKR Norra", "Första stycket.", "Andra raden.", "3. Tre", "4. Fyra", "a\tbc\t"]
    assert doc.council == "RVKR Norra" and doc.doc_type == "verksamhetsplan"


def test_html_suffixes_are_supported(tmp_path):
    for name in ("a.html", "b.HTM", "c.txt"):
        shutil.copyfile(LAYOUTS / "aktivitetsplan_testregionen.html", tmp_path / name)
    assert [p.name for p in find_documents(tmp_path, Settings())] == ["a.html", "b.HTM", "c.txt"]


# ------------------------------------------------------------------------------------- (e) PDF
def _pdf(path: Path, story_of) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import SimpleDocTemplate

    styles = getSampleStyleSheet()

    def footer(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(700, 20, f"Sida {doc.page}")

    SimpleDocTemplate(str(path), pagesize=landscape(A4)).build(story_of(styles), onFirstPage=footer,
                                                                onLaterPages=footer)


def _pdf_table(rows: list[list[str]], widths: list[float], styles, repeat: int = 1):
    from reportlab.lib import colors
    from reportlab.platypus import Paragraph, Table, TableStyle

    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    table = Table([[Paragraph(escape(value).replace("\n", "<br/>"), cell) for value in row] for row in rows], colWidths=widths,
                  repeatRows=repeat)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def test_pdf_small_table(tmp_path):
    from reportlab.platypus import Paragraph

    path = tmp_path / "plan.pdf"
    rows = [["Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"], *map(list, PLAN_ROWS)]
    _pdf(path, lambda styles: [
        Paragraph("Aktivitetsplan 2027", styles["Heading1"]),
        Paragraph("Regionalt vårdkompetensråd Testregionen beslutar om följande aktiviteter.", styles["BodyText"]),
        _pdf_table(rows, [250, 150, 100, 150], styles),
        Paragraph("Planen revideras årligen.", styles["BodyText"]),
    ])
    doc, chunks, records = read(path)
    assert rows_of(records) == PLAN_ROWS
    assert "Aktivitet\tAnsvarig\tTidplan\tUppföljning" in doc.lines
    assert [line for line in doc.lines if line and "\t" not in line] == [  # the title in a larger font: a heading
        "# Aktivitetsplan 2027", "Regionalt vårdkompetensråd Testregionen beslutar om följande aktiviteter.",
        "Planen revideras årligen.", "Sida 1"]
    assert doc.council == "RVKR Testregionen"
    assert_quotable(doc, chunks)


@pytest.mark.parametrize("repeat", [1, 0], ids=["header-repeated", "header-once"])
def test_pdf_table_over_pages(tmp_path, repeat):
    from reportlab.platypus import Paragraph

    path = tmp_path / "lang.pdf"
    rows = [["Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"]]
    rows += [[f"Aktivitet nummer {n} om VFU", "Rådet", f"Q{n % 4 + 1} 2027", "Q1 2028"] for n in range(1, 41)]
    _pdf(path, lambda styles: [Paragraph("Aktivitetsplan 2027", styles["Heading1"]),
                               _pdf_table(rows, [300, 150, 100, 100], styles, repeat)])
    doc, chunks, records = read(path)
    assert doc.lines.count("Aktivitet\tAnsvarig\tTidplan\tUppföljning") == (2 if repeat else 1)
    assert [r.activity for r in records] == [f"Aktivitet nummer {n} om VFU" for n in range(1, 41)]
    assert all((r.owner, r.follow_up) == ("Rådet", "Q1 2028") for r in records)
    assert all(r.labels["timeline"] == "Tidplan" for r in records)
    assert_quotable(doc, chunks)


def test_pdf_box_around_text_is_no_table(tmp_path):
    from reportlab.platypus import Paragraph

    path = tmp_path / "ruta.pdf"
    _pdf(path, lambda styles: [Paragraph("Aktivitetsplan 2027", styles["Heading1"]),
                               _pdf_table([["Viktigt: planen gäller från den 1 januari 2027."]], [400], styles)])
    doc = read_document(path, {})
    assert not any("\t" in line for line in doc.lines)
    assert "Viktigt: planen gäller från den 1 januari 2027." in join_lines(doc.lines)


def test_pdf_falls_back_to_pypdf_when_pdfplumber_fails(tmp_path, monkeypatch):
    import pdfplumber

    path = tmp_path / "plan.pdf"
    rows = [["Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"], *map(list, PLAN_ROWS)]
    _pdf(path, lambda styles: [_pdf_table(rows, [250, 150, 100, 150], styles)])

    def broken(*args, **kwargs):
        raise RuntimeError("trasig")

    monkeypatch.setattr(pdfplumber, "open", broken)
    doc = read_document(path, {})
    assert not any("\t" in line for line in doc.lines)
    assert "Kartlägga VFU-platser i regionen" in join_lines(doc.lines)


# ---------------------------------------------------------- the Södra table as PDF and as DOCX
@pytest.fixture(scope="module")
def sodra():
    """The Södra plan's two tab tables (header, rows of cells) and its 8 records read from the text."""
    doc = read_document(CORPUS_DIR / SODRA, load_catalog(CORPUS_DIR, Settings()))
    tables = [(header, [cells for _, cells in rows]) for _, _, header, rows in find_tab_tables(doc.lines)]
    assert sum(len(rows) for _, rows in tables) == 8
    return tables, extract_records(chunk_document(doc))


SODRA_FIELDS = ("activity", "owner", "timeline", "follow_up", "measure", "focus_area")


def test_sodra_table_as_pdf_gives_the_same_records(tmp_path, sodra):
    from reportlab.platypus import PageBreak, Paragraph

    tables, expected = sodra
    widths = [120, 190, 70, 60, 190, 60]
    path = tmp_path / "sodra.pdf"
    _pdf(path, lambda styles: [
        Paragraph("Regionala vårdkompetensrådets verksamhetsplan 2026–2028", styles["Heading1"]),
        Paragraph("Samverkan mellan kommuner, lärosäten och regioner i Södra sjukvårdsregionen.", styles["BodyText"]),
        _pdf_table([tables[0][0], *tables[0][1]], widths, styles), PageBreak(),
        _pdf_table([tables[1][0], *tables[1][1]], widths, styles),
    ])
    doc, chunks, records = read(path)
    assert rows_of(records, SODRA_FIELDS) == rows_of(expected, SODRA_FIELDS)
    assert [r.labels for r in records] == [r.labels for r in expected]
    assert doc.council == "RVKR Södra"  # not "Västra", named in a row further down
    assert_quotable(doc, chunks)


def test_sodra_table_as_docx_gives_the_same_records(tmp_path, sodra):
    import docx

    tables, expected = sodra
    document = docx.Document()
    document.add_heading("Regionala vårdkompetensrådets verksamhetsplan 2026–2028", level=1)
    document.add_paragraph("Samverkan mellan kommuner, lärosäten och regioner i Södra sjukvårdsregionen.")
    for header, rows in tables:
        table = document.add_table(rows=len(rows) + 1, cols=len(header))
        for r, values in enumerate([header, *rows]):
            for c, value in enumerate(values):
                table.cell(r, c).text = value
        # a focus area over several rows is one merged cell in Word
        top = 1
        for r in range(2, len(rows) + 2):
            if r == len(rows) + 1 or rows[r - 1][0]:
                if r - 1 > top:
                    table.cell(top, 0).merge(table.cell(r - 1, 0))
                top = r
        document.add_paragraph("")
    path = tmp_path / "sodra.docx"
    document.save(str(path))
    doc, chunks, records = read(path)
    assert rows_of(records, SODRA_FIELDS) == rows_of(expected, SODRA_FIELDS)
    assert [r.labels for r in records] == [r.labels for r in expected]
    assert doc.council == "RVKR Södra"
    assert_quotable(doc, chunks)


# ------------------------------------------------------------------------------------ metadata
@pytest.mark.parametrize(
    ("text", "council"),
    [
        ("Aktivitetsplan 2027\nRegionalt vårdkompetensråd Testregionen\n", "RVKR Testregionen"),
        ("# Verksamhetsplan – Regionalt vårdkompetensråd Testregionen\n", "RVKR Testregionen"),
        ("Regionala vårdkompetensrådet Testregionen och dess uppdrag\n", "RVKR Testregionen"),
        ("Regionala vårdkompetensrådet i Norrland\n", "RVKR Norrland"),
        ("REGIONALT VÅRDKOMPETENSRÅD SÖDRA\n", "RVKR Södra"),
        ("Aktivitetsplan för RVKR Sydöstra 2027\n", "RVKR Sydöstra"),
        ("Plan för kompetensförsörjning i Västra sjukvårdsregionen\n", "RVKR Västra"),
        ("Sjukvårdsregion Mellansverige: aktivitetsplan\n", "RVKR Mellansverige"),
        # the first regional name wins: the document's own region before a council it works with
        ("Plan för Södra sjukvårdsregionen\n\nRådet samarbetar med Regionala vårdkompetensrådet Västra.\n",
         "RVKR Södra"),
        # a national document that mentions a region later stays national
        ("Nationella vårdkompetensrådets verksamhetsplan\n\nI Norra sjukvårdsregionen pågår ett arbete.\n",
         COUNCIL_NATIONAL),
        ("Varje sjukvårdsregion har ett regionalt råd.\n", ""),
        ("Rapport om vårdens kompetensförsörjning\n", ""),
    ],
)
def test_infer_council_names(text, council):
    assert infer_council(text) == council


def test_council_from_a_title_without_catalog(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("# Aktivitetsplan 2027 Regionalt vårdkompetensråd Testregionen\n\nText.\n", encoding="utf-8")
    assert read_document(path, {}).council == "RVKR Testregionen"


# ------------------------------------------ (f) labelled activities, two-column tables, PDF pages
def test_labelled_activities_under_headings_in_markdown():
    """"### 1. Activity" with a description and "- **Ansvarig:** …" items: the heading is the activity."""
    doc, chunks, records = read(LAYOUTS / "labelled_activities.md")
    assert rows_of(records) == [
        ("Kartlägga VFU-platser i regionen", "Arbetsutskottet", "Q2 2027", "Utvärdering Q1 2028"),
        ("Anordna en konferens om handledning", "Rådet", "Q4 2027", "Q1 2028"),  # "* __Ansvarig__: Rådet"
        ("Sprida goda exempel på kompetensväxling", "Arbetsgruppen för nära vård", "Q1–Q4 2027", ""),  # plain labels
    ]
    assert [r.contacts for r in records] == [["Karin Berg"], [], []]
    first = next(c for c in chunks if c.kind == KIND_ACTIVITY)
    assert first.fields["Beskrivning"] == "En gemensam kartläggning av platserna för verksamhetsförlagd utbildning."
    assert (first.line_start, first.section) == (7, f"{doc.title} > Aktiviteter")  # from the heading on
    assert doc.council == "RVKR Stockholm-Gotland"  # a region's name of two names
    # a list item whose label is no column label stays a list item; a list's lead-in is no heading
    [items] = [c for c in chunks if c.kind == KIND_LIST]
    assert items.text.split("\n")[0] == "Rådet föreslår att" and items.section.endswith("> Övrigt")
    assert "- Kvantitativ data: antalet VFU-platser per termin" in items.text.split("\n")
    assert_quotable(doc, chunks)


def test_lead_in_to_a_lower_case_list_is_no_heading(tmp_path):
    path = tmp_path / "forslag.txt"
    path.write_text("Förslag\n\nSocialstyrelsen föreslår att\n\n- utbildningsplatserna utökas,\n\n"
                    "- en modell för betald vidareutbildning införs.\n\nBakgrund\n\nText om bakgrunden.\n", encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    assert [(c.section, c.text.split("\n")[0]) for c in chunks] == [
        ("Förslag", "Socialstyrelsen föreslår att"), ("Bakgrund", "Text om bakgrunden.")]


def _word_report(path: Path) -> None:
    """A report with Word's styles: a key–value table, a numbered list and a question–answer table."""
    import docx

    document = docx.Document()
    document.add_heading("Redovisning av uppdrag om handledning", level=0)
    table = document.add_table(rows=3, cols=2)
    for r, (key, value) in enumerate((("Diarienummer", "S2027/00123"), ("Redovisas senast", "31 mars 2027"),
                                      ("Kontaktperson", "Karin Berg, utredare"))):
        table.cell(r, 0).text, table.cell(r, 1).text = key, value
    document.add_heading("Förslag", level=1)
    document.add_paragraph("Myndigheten föreslår att")
    for item in ("handledarutbildningen blir avgiftsfri,", "kommunerna får ett statsbidrag."):
        document.add_paragraph(item, style="List Number")
    document.add_heading("Frågor och svar", level=1)
    table = document.add_table(rows=3, cols=2)
    for r, (question, answer) in enumerate((("Fråga", "Svar"), ("Vad kostar förslagen?", "12 miljoner kronor per år."),
                                            ("När kan förslagen börja gälla?", "Tidigast den 1 januari 2028."))):
        table.cell(r, 0).text, table.cell(r, 1).text = question, answer
    document.add_heading("Aktiviteter", level=1)
    table = document.add_table(rows=2, cols=2)
    for r, (activity, owner) in enumerate((("Aktivitet", "Ansvarig"), ("Utbilda handledare", "Rådet"))):
        table.cell(r, 0).text, table.cell(r, 1).text = activity, owner
    document.save(str(path))


def test_docx_report_with_key_value_and_question_answer_tables(tmp_path):
    path = tmp_path / "redovisning.docx"
    _word_report(path)
    doc, chunks, records = read(path)
    assert doc.title == "Redovisning av uppdrag om handledning" and doc.doc_type == "regeringsuppdrag"
    # the key–value table: one chunk, a field per row (its lines stay quotable)
    meta = chunks[0]
    assert (meta.kind, meta.section) == (KIND_PARAGRAPH, doc.title)
    assert meta.fields == {"Diarienummer": "S2027/00123", "Redovisas senast": "31 mars 2027",
                           "Kontaktperson": "Karin Berg, utredare"}
    assert "Diarienummer: S2027/00123" in meta.text.split("\n")
    assert [unit.shown for unit in split_units(meta)][0] == "Diarienummer: S2027/00123"
    # the numbered list keeps its lead-in; the question–answer table gives a chunk per question
    [proposals] = [c for c in chunks if c.kind == KIND_LIST]
    assert proposals.section == f"{doc.title} > Förslag"  # Heading 1 stands below the Title style
    assert proposals.text.startswith("Myndigheten föreslår att\n1. handledar")  # Word's numbers are kept
    assert "2. kommunerna får ett statsbidrag." in doc.lines
    assert doc.lines[0] == f"# {doc.title}" and "## Förslag" in doc.lines
    answers = [c for c in chunks if c.section.endswith("> Frågor och svar")]
    assert [c.fields for c in answers] == [{"Vad kostar förslagen?": "12 miljoner kronor per år."},
                                           {"När kan förslagen börja gälla?": "Tidigast den 1 januari 2028."}]
    assert [unit.shown for c in answers for unit in split_units(c)] == [
        "Vad kostar förslagen? 12 miljoner kronor per år.", "När kan förslagen börja gälla? Tidigast den 1 januari 2028."]
    assert [unit.quote for c in answers for unit in split_units(c)] == [
        "12 miljoner kronor per år.", "Tidigast den 1 januari 2028."]
    # a two-column table headed by record fields is an activity table
    assert rows_of(records, ("activity", "owner")) == [("Utbilda handledare", "Rådet")]
    for chunk in chunks:
        span = normalize_for_match(doc.span_text(chunk.line_start, chunk.line_end))
        assert all(normalize_for_match(value) in span for value in chunk.fields.values()), chunk.fields


def test_pair_tables_need_two_cells_in_every_row():
    """Rows of two and of three cells in one block are no key–value table (nor an activity table)."""
    chunks = chunk_document(_doc_of(["Text.", "", "Ensam\tcell", "Tre\tceller\there", "", "Slut."]))
    assert not any(c.fields for c in chunks)
    [pairs] = [c for c in chunk_document(_doc_of(["Ort\tUmeå", "År\t2027", ""])) if c.fields]
    assert pairs.fields == {"Ort": "Umeå", "År": "2027"}


def _doc_of(lines: list[str]) -> Document:
    return Document(path=Path("x.txt"), source="x.txt", lines=lines, title="X", council="", doc_type="dokument",
                    period="", url="", content_hash="", meta={})


def test_a_cell_with_a_field_of_its_own_is_split():
    """A contact written on its own line inside the Ansvarig cell fills the contact field."""
    lines = ["Aktivitet\tAnsvarig\tTidplan", "Kartlägga VFU\tVårdsamverkan Fyrbodal Kontakt: Helena Strand\tQ3 2026",
             "Utbilda handledare\tHögskolan Väst\tQ4 2026", ""]
    records = extract_records(chunk_document(_doc_of(lines)))
    assert [(r.owner, r.contacts) for r in records] == [("Vårdsamverkan Fyrbodal", ["Helena Strand"]),
                                                        ("Högskolan Väst", [])]
    # a table that has a contact column keeps the cell as it is
    lines = ["Aktivitet\tAnsvarig\tKontakt", "Kartlägga VFU\tRådet Kontakt: Eva Ek\tOlle Berg", ""]
    [record] = extract_records(chunk_document(_doc_of(lines)))
    assert (record.owner, record.contacts) == ("Rådet Kontakt: Eva Ek", ["Olle Berg"])


def test_pdf_running_header_footer_and_headings_by_font_size(tmp_path):
    """A report over two pages: the running header and page footer are dropped, a title and headings
    in larger fonts become headings (a title wrapped over two lines one heading), the table's rows on
    the second page keep its section, and a line break in a cell is read as a space."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    path = tmp_path / "handlingsplan.pdf"
    rows = [["Aktivitet", "Ansvarig", "Tidplan", "Uppföljning"]]
    rows += [[f"Aktivitet nummer {n} om VFU", "Rådet", f"Q{n % 4 + 1} 2027", "Q1 2028"] for n in range(1, 61)]
    rows[3][1] = "Vårdsamverkan Fyrbodal\nKontakt: Helena Strand"

    def decorate(canvas, document):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(72, A4[1] - 40, "Regionalt vårdkompetensråd Testregionen")
        canvas.drawRightString(A4[0] - 72, 30, f"Handlingsplan 2027 – sida {document.page}")

    from reportlab.lib.styles import getSampleStyleSheet

    styles = getSampleStyleSheet()
    story = [Paragraph("Handlingsplan för kompetensförsörjning i primärvården i Testregionen under åren 2027 och 2028",
                       styles["Heading1"]),
             Paragraph("Regionalt vårdkompetensråd Testregionen beslutar om följande.", styles["BodyText"]),
             Paragraph("Aktiviteter", styles["Heading2"]),
             _pdf_table(rows, [200, 150, 80, 80], styles, 1),
             Paragraph("Budget", styles["Heading2"]),
             Paragraph("Rådet avsätter 2,4 miljoner kronor.", styles["BodyText"])]
    SimpleDocTemplate(str(path), pagesize=A4).build(story, onFirstPage=decorate, onLaterPages=decorate)
    doc, chunks, records = read(path)
    title = "Handlingsplan för kompetensförsörjning i primärvården i Testregionen under åren 2027 och 2028"
    assert doc.lines[0] == f"# {title}" and doc.title == title
    assert "## Aktiviteter" in doc.lines and "## Budget" in doc.lines
    assert not any("sida" in line or line == "Regionalt vårdkompetensråd Testregionen" for line in doc.lines)
    assert doc.lines.count("Aktivitet\tAnsvarig\tTidplan\tUppföljning") == 2  # one table over two pages
    assert doc.council == "RVKR Testregionen" and doc.doc_type == "aktivitetsplan"
    assert [r.activity for r in records] == [f"Aktivitet nummer {n} om VFU" for n in range(1, 61)]
    assert {c.section for c in chunks if c.kind == KIND_ACTIVITY} == {f"{title} > Aktiviteter"}
    assert (records[2].owner, records[2].contacts) == ("Vårdsamverkan Fyrbodal", ["Helena Strand"])
    assert [c.section for c in chunks][-1] == f"{title} > Budget"
    assert_quotable(doc, chunks)


def test_page_furniture_is_only_what_repeats_at_the_page_ends():
    pages = ["Rapport 2027\nFörsta sidans text.\nMer text.\nSida 1", "Rapport 2027\nAndra sidan.\nText.\nSida 2"]
    assert drop_page_furniture(pages) == ["Första sidans text.\nMer text.", "Andra sidan.\nText."]
    assert drop_page_furniture(pages[:1]) == pages[:1]  # one page: nothing repeats
    short = ["Sida 1", "Sida 2"]  # pages with nothing else keep their text
    assert drop_page_furniture(short) == short
    chapters = ["# Kapitel 1\nText.\nMer text.", "# Kapitel 2\nText.\nMer text."]  # a heading atop each page stays
    assert drop_page_furniture(chapters) == ["# Kapitel 1\nText.", "# Kapitel 2\nText."]
    tables = ["Aktivitet\tAnsvarig\nA\tB\nText 1", "Aktivitet\tAnsvarig\nC\tD\nText 2"]
    assert drop_page_furniture(tables) == ["Aktivitet\tAnsvarig\nA\tB", "Aktivitet\tAnsvarig\nC\tD"]


def test_pdf_decision_with_letterhead_bold_headings_and_signatures(tmp_path):
    """A government decision: a letterhead above the title, headings in bold body text, bullets whose
    glyph the font does not map, signatures and a copy list (text, not headings)."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    path = tmp_path / "beslut.pdf"
    story = [Table([[Paragraph("Regeringen<br/>Socialdepartementet", body),
                     Paragraph("Regeringsbeslut II:7<br/>2027-05-21<br/>S2027/03117", body)]], colWidths=[250, 200]),
             Paragraph("Uppdrag att ta fram ett introduktionsprogram för sjuksköterskor", styles["Heading3"]),
             Paragraph("<b>Regeringens beslut</b>", body),
             Paragraph("Regeringen ger Socialstyrelsen i uppdrag att ta fram ett program. I uppdraget ingår att", body),
             Paragraph("• beskriva de program som finns i dag,", body),
             Paragraph("• föreslå gemensamma mål.", body),
             Paragraph("<b>Skälen för regeringens beslut</b>", body),
             Paragraph("Var femte sjuksköterska lämnar sin första anställning inom två år.", body),
             Paragraph("På regeringens vägnar", body), Paragraph("Maria Lund", body), Paragraph("Jonas Ek", body),
             Paragraph("<b>Kopia till</b>", body),
             Paragraph("Universitetskanslersämbetet<br/>Sveriges Kommuner och Regioner", body)]
    SimpleDocTemplate(str(path)).build(story)
    doc, chunks, _ = read(path)
    title = "Uppdrag att ta fram ett introduktionsprogram för sjuksköterskor"
    assert doc.title == title and doc.doc_type == "regeringsuppdrag"  # not the letterhead's first line
    assert f"# {title}" in doc.lines and "## Regeringens beslut" in doc.lines and "## Kopia till" in doc.lines
    assert not any("(cid:" in line for line in doc.lines)
    assert "• beskriva de program som finns i dag," in doc.lines
    by_section = {c.section.split(" > ")[-1]: c.text.split("\n") for c in chunks}
    assert by_section["Regeringens beslut"][1:] == ["• beskriva de program som finns i dag,", "• föreslå gemensamma mål."]
    assert by_section["Skälen för regeringens beslut"][-3:] == ["På regeringens vägnar", "Maria Lund", "Jonas Ek"]
    assert by_section["Kopia till"] == ["Universitetskanslersämbetet Sveriges Kommuner och Regioner"]


def test_pdf_glyph_codes():
    assert pdf_glyphs("(cid:127) beskriva programmen,") == "• beskriva programmen,"
    assert pdf_glyphs("Text(cid:3) med kod") == "Text med kod"
    assert pdf_glyphs("Vanlig rad") == "Vanlig rad"
    assert pdf_glyphs("en speciﬁk ﬂyttning") == "en specifik flyttning"  # ligatures spelt out
    # a soft hyphen ending a line breaks a word (joined again with the next line); elsewhere it is dropped
    assert pdf_glyphs("kompetens\xadförsörj\xad") == "kompetensförsörj-"
    assert join_lines([pdf_glyphs("kompetensförsörj\xad"), "ningen"]) == "kompetensförsörjningen"


def test_pdf_footnote_marks_are_no_line_of_their_own(tmp_path):
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    path = tmp_path / "fotnot.pdf"
    SimpleDocTemplate(str(path)).build([
        Paragraph("Bristen på barnmorskor är stor<super>3</super> enligt rådet.<super>12</super> Det kostar 48 miljoner.",
                  styles["BodyText"]),
        Paragraph("<font size=7>3 Socialstyrelsen 2025.</font>", styles["BodyText"]),
        Paragraph("12", styles["BodyText"])])  # a line of digits in the body's font is text
    assert [line for line in read_document(path, {}).lines if line] == [
        "Bristen på barnmorskor är stor enligt rådet. Det kostar 48 miljoner.", "3 Socialstyrelsen 2025.", "12"]


def test_title_is_the_first_top_level_heading_of_the_opening():
    assert infer_title(["Regeringen Regeringsbeslut II:7", "S2027/1", "", "# Uppdrag att göra X", "", "Text."]) \
        == "Uppdrag att göra X"
    assert infer_title(["Aktivitetsplan 2027", "", "## Aktiviteter"]) == "Aktivitetsplan 2027"


def test_short_lines_in_a_row_are_text_not_headings(tmp_path):
    """Signatures before a marked heading, and an address over two adjacent lines, are text; title
    lines over the first paragraph stay headings."""
    path = tmp_path / "beslut.md"
    path.write_text("Aktivitetsplan 2027\n\nRegionala rådet Testregionen\n\nRådets uppdrag\n\nRådet samverkar.\n\n"
                    "På rådets vägnar\n\nMaria Lund\n\nJonas Ek\n\n# Kopia till\n\nUniversitetskanslersämbetet\n"
                    "Sveriges Kommuner och Regioner\n", encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    assert [(c.section, c.text) for c in chunks] == [
        (chunks[0].section, "Rådet samverkar.\nPå rådets vägnar\nMaria Lund\nJonas Ek"),
        ("Kopia till", "Universitetskanslersämbetet Sveriges Kommuner och Regioner")]
    assert chunks[0].section.endswith("Rådets uppdrag")


def test_press_contact_block_is_text(tmp_path):
    """A press release's contact lines (short, on adjacent lines) are text, not a heading over nothing."""
    path = tmp_path / "press.txt"
    path.write_text("Rådet startar en satsning\n\nRådet startar en satsning på validering i höst.\n\n"
                    "Presskontakt\nAnna Andersson\nPressekreterare hos rådet\nTelefon 070-123 45 67\n", encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    assert [c.section for c in chunks] == ["Rådet startar en satsning"]
    assert chunks[0].text.split("\n")[-1] == "Presskontakt Anna Andersson Pressekreterare hos rådet Telefon 070-123 45 67"
    # a title wrapped onto a short second line above the text stays one heading
    path.write_text("Regionala rådets verksamhetsplan\n2027\n\nRådet samverkar.\n", encoding="utf-8")
    [chunk] = chunk_document(read_document(path, {}))
    assert (chunk.section, chunk.text) == ("Regionala rådets verksamhetsplan 2027", "Rådet samverkar.")


def test_html_press_release_with_fact_box_dateline_and_contact_cards(tmp_path):
    """A press release page: a definition list (fact box) becomes labelled lines read as one record of
    fields, the dateline is no heading, and the contact cards are text under "Kontakt"."""
    path = tmp_path / "press.html"
    path.write_text(
        "<html><head><title>Pressmeddelande</title></head><body><nav><a href='/'>Start</a></nav><main>"
        "<p>Pressmeddelande</p><h1>Nytt utbildningsspår för vårdbiträden</h1><p>Publicerad 3 september 2026</p>"
        "<p>Rådet startar ett utbildningsspår i januari 2027.</p>"
        "<aside><h2>Fakta</h2><dl><dt>Målgrupp</dt><dd>Vårdbiträden</dd><dt>Studietakt</dt><dd>Deltid</dd>"
        "<dd>två dagar i veckan</dd><div><dt>Finansiering:</dt><dd>14 miljoner kronor</dd></div></dl></aside>"
        "<h2>Kontakt</h2><p>Lena Sjöberg, ordförande<br>Regionala rådet<br>Telefon: 010-123 45 00</p>"
        "<p>Jakob Nord, presskontakt<br>Telefon: 010-123 45 10</p></main></body></html>", encoding="utf-8")
    doc, chunks, records = read(path)
    assert "Studietakt: Deltid; två dagar i veckan" in doc.lines and "Finansiering: 14 miljoner kronor" in doc.lines
    facts = next(c for c in chunks if c.section.endswith("> Fakta"))
    assert facts.fields == {"Målgrupp": "Vårdbiträden", "Studietakt": "Deltid; två dagar i veckan",
                            "Finansiering": "14 miljoner kronor"}
    assert records == []  # a fact box names no activity
    assert [c.section for c in chunks if "januari 2027" in c.text] == ["Nytt utbildningsspår för vårdbiträden"]
    [contact] = [c for c in chunks if c.section.endswith("> Kontakt")]
    assert contact.text.split("\n") == ["Lena Sjöberg, ordförande Regionala rådet Telefon: 010-123 45 00",
                                        "Jakob Nord, presskontakt Telefon: 010-123 45 10"]
    assert_quotable(doc, chunks)


# ------------------------------------------------------- (g) minutes of a meeting, a slide deck PDF
def test_minutes_with_paragraph_sign_headings_in_emphasis():
    """Minutes written from Word: "**§ 5 Handledning**" lines are headings (not list items, although they
    open with "**"), a decision with "- Ansvarig: …" and "- Återrapportering: …" below it is one record
    under its paragraph: the decision ("Beslut:") is the activity, "Återrapportering" the follow-up."""
    doc, chunks, records = read(LAYOUTS / "protokoll.md")
    sections = [c.section.removeprefix(doc.title + " > ") for c in chunks]
    assert sections[-1] == "§ 6 Nästa sammanträde"
    assert "§ 4 Val av justerare" in sections
    [decision] = [c for c in chunks if "Beslut: Rådet utser" in c.text]
    assert decision.section.endswith("> § 4 Val av justerare")
    assert "Frånvarande: Siv Ek, Testköping" in next(c for c in chunks if "Olle Bäck, Testby" in c.text).text
    [record] = records
    assert (record.activity, record.owner, record.follow_up) == (
        "Rådet ger arbetsgruppen för VFU i uppdrag att ta fram en plan för fler handledare",
        "Karl Ås, processledare", "vid sammanträdet den 1 oktober 2027")
    assert record.labels == {"activity": "Beslut", "owner": "Ansvarig", "follow_up": "Återrapportering"}
    assert record.section.endswith("> § 5 Handledning i kommunerna")
    assert (record.line_start, record.line_end) == (22, 25)  # the decision and its two items
    background = next(c for c in chunks if "Kansliet redogjorde" in c.text)
    assert background.kind == KIND_PARAGRAPH and background.section.endswith("> § 5 Handledning i kommunerna")
    [chunk] = [c for c in chunks if c.kind == KIND_ACTIVITY]
    assert chunk.fields["Beslut"] == "Rådet ger arbetsgruppen för VFU i uppdrag att ta fram en plan för fler handledare"
    assert chunk.fields["Återrapportering"] == "vid sammanträdet den 1 oktober 2027"
    assert chunk.fields["Ansvarig"] == "Karl Ås, processledare"  # the next item is no part of the owner
    assert doc.council == "RVKR Testregionen"
    assert_quotable(doc, chunks)


def test_list_item_with_an_unknown_label_alone_stays_a_list_item(tmp_path):
    path = tmp_path / "lista.md"
    path.write_text("# Underlag\n\nRådet använder\n\n- Kvantitativ data: antal platser\n- Kvalitativ data: intervjuer\n",
                    encoding="utf-8")
    doc, chunks, records = read(path)
    assert records == [] and not any(c.kind == KIND_ACTIVITY for c in chunks)


@pytest.mark.parametrize(("value", "is_time"), [
    ("Q4 2026", True), ("senast mars 2027", True), ("2026–2027", True), ("Q1 2026 till Q3 2026", True),
    ("Rapport Q4 2027", False), ("Bergslagens högskola", False), ("", False),
])
def test_is_time_value(value, is_time):
    assert is_time_value(value) is is_time


def test_slide_deck_pdf_with_a_table_whose_time_column_no_label_names(tmp_path):
    """A slide deck (landscape, a large title and bullets per page, a footer with the page number) with
    one slide holding a small table: its rows are records, and the column "Klart", which no alias names,
    is their timeline because its cells are only times; the other slides stay text under their titles."""
    from reportlab.platypus import PageBreak, Paragraph

    path = tmp_path / "bilder.pdf"
    rows = [["Aktivitet", "Ansvarig", "Klart"], ["Kartlägga VFU-platser i regionen", "Arbetsutskottet", "Q2 2027"],
            ["Anordna en konferens om handledning", "Rådet", "senast december 2027"]]
    _pdf(path, lambda styles: [
        Paragraph("Lägesbild för Regionalt vårdkompetensråd Testregionen", styles["Title"]), PageBreak(),
        Paragraph("Bakgrund", styles["Heading2"]), Paragraph("• Brist på handledare i kommunerna", styles["BodyText"]),
        PageBreak(), Paragraph("Aktiviteter", styles["Heading2"]), _pdf_table(rows, [300, 200, 120], styles),
        PageBreak(), Paragraph("Nästa steg", styles["Heading2"]), Paragraph("• Rådet möts i juni", styles["BodyText"]),
    ])
    doc, chunks, records = read(path)
    assert rows_of(records, ("activity", "owner", "timeline")) == [
        ("Kartlägga VFU-platser i regionen", "Arbetsutskottet", "Q2 2027"),
        ("Anordna en konferens om handledning", "Rådet", "senast december 2027")]
    assert {r.labels["timeline"] for r in records} == {"Klart"}
    assert not any("Sida" in line for line in doc.lines)  # the footer repeated on every page is dropped
    assert [c.section.rsplit(" > ", 1)[-1] for c in chunks if "•" in c.text] == ["Bakgrund", "Nästa steg"]
    assert_quotable(doc, chunks)


def test_slide_deck_pdf_with_titles_below_the_bullets(tmp_path):
    """A deck whose pages put the slide's name below its bullets (a short closing line, no list item, no
    sentence): that line is the slide's title; pages with a title at the top keep theirs."""
    from reportlab.platypus import PageBreak, Paragraph

    path = tmp_path / "bilder.pdf"

    def story(styles):
        out = [Paragraph("Lägesbild för rådet i Testregionen", styles["Title"]), PageBreak()]
        for n, (title, on_top) in enumerate([("Bakgrund", True), ("Arbetsgrupp Handledning", False),
                                             ("Arbetsgrupp Bemanning", False), ("Nästa steg", True)]):
            if on_top:
                out.append(Paragraph(title, styles["Heading2"]))
            out += [Paragraph(f"• Punkt {n} om handledare i kommunerna", styles["BodyText"]),
                    Paragraph(f"• Ytterligare punkt {n}", styles["BodyText"])]
            if not on_top:
                out.append(Paragraph(title, styles["BodyText"]))
            out.append(PageBreak())
        return out[:-1]

    _pdf(path, story)
    doc, chunks, _ = read(path)
    assert [c.section for c in chunks] == ["Bild 1: Lägesbild för rådet i Testregionen", "Bild 2: Bakgrund",
                                           "Bild 3: Arbetsgrupp Handledning", "Bild 4: Arbetsgrupp Bemanning",
                                           "Bild 5: Nästa steg"]
    third = chunks[2]
    assert third.text == "• Punkt 1 om handledare i kommunerna\n• Ytterligare punkt 1\nArbetsgrupp Handledning"
    assert join_lines([doc.lines[third.line_end - 1]]) == "Arbetsgrupp Handledning"
    assert_quotable(doc, chunks)


def test_html_page_without_main_drops_cookie_banner_site_header_and_footer():
    """A page saved from a site that does not mark its main content: a visible cookie banner (by its id
    and class), the site's header without the page's heading, a search box (by its role) and the site's
    footer are dropped; the document's heading, text and table are read."""
    doc, chunks, records = read(LAYOUTS / "sida_utan_main.html")
    assert [line for line in doc.lines if line] == [
        "# Handlingsplan 2027", "Regionalt vårdkompetensråd Testregionen har beslutat om följande aktiviteter.",
        "Aktivitet\tAnsvarig\tTidplan\tUppföljning", "\t".join(PLAN_ROWS[0]), "\t".join(PLAN_ROWS[1])]
    assert rows_of(records) == PLAN_ROWS[:2]
    assert doc.council == "RVKR Testregionen"


def test_html_header_with_the_page_heading_is_kept_without_main(tmp_path):
    path = tmp_path / "sida.html"
    path.write_text("<html><body><header><h1>Verksamhetsplan 2027</h1><p>Ingress.</p></header>"
                    "<section class='cookie-notice'><p>Vi använder kakor.</p></section>"
                    "<article><p>Artikel.</p><footer><p>Publicerad 2 maj 2027</p></footer></article>"
                    "<footer><p>Webbplatsens sidfot</p></footer></body></html>", encoding="utf-8")
    doc = read_document(path, {})
    assert [line for line in doc.lines if line] == ["# Verksamhetsplan 2027", "Ingress.", "Artikel.",
                                                     "Publicerad 2 maj 2027"]
