"""Follow-up drafts (assistant.followup.render): Markdown pipe tables, Word and CSV.

Most tests run twice: on a view built straight from the corpus (fast) and on the built index
(``@pytest.mark.slow``), which must give the same drafts.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from app_helpers import hand_made_summary

from assistant.followup.build import CSV_COLUMNS, build_summary
from assistant.followup.render import OVERVIEW_HEADERS, render_csv, render_markdown, write_docx
from followup.helpers import NATIONAL, SODRA, pipe_tables


def test_markdown_renders_as_pipe_tables(view):
    markdown = render_markdown(build_summary(view, councils="Södra"))
    [table] = pipe_tables(markdown)
    header, separator, *body = table
    assert header == ["Fokusområde", "Aktivitet", "Ansvarig", "Kontakt", "Tidplan", "Uppföljningsmått", "Uppföljningsdatum",
                      "Källa", "Status", "Kommentar"]
    assert all(re.fullmatch(r"-{3,}", cell) for cell in separator) and len(separator) == len(header)
    assert len(body) == 8 and all(len(row) == len(header) for row in body)
    handledare = body[1]
    assert handledare[header.index("Tidplan")] == "Q3 2026" and handledare[header.index("Ansvarig")] == "Rådet"
    assert handledare[header.index("Källa")] == "002_8b6a782e2b1e2be8.txt, rad 78"
    assert handledare[header.index("Status")] == handledare[header.index("Kommentar")] == ""
    assert "## Källor" in markdown and markdown.index("## Källor") > markdown.index("| Fokusområde")


def test_markdown_all_councils(view):
    markdown = render_markdown(build_summary(view))
    tables = pipe_tables(markdown)
    assert [len(t) - 2 for t in tables] == [5, 16, 8]
    assert "Mål" in tables[0][0] and "Mål" not in tables[2][0]          # goals only where the plan has them
    assert "Innehåll" in tables[1][0] and "Fokusområde" not in tables[1][0]
    for table in tables:
        assert len({len(row) for row in table}) == 1


def test_docx_opens_with_a_heading_per_council_and_focus_area_and_tables(view, tmp_path):
    import docx

    path = write_docx(build_summary(view, councils=["Södra", "nationella"]), tmp_path / "utkast.docx")
    document = docx.Document(str(path))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert ("Heading 1", SODRA) in headings and ("Heading 1", NATIONAL) in headings and ("Heading 1", "Källor") in headings
    assert ("Heading 2", "Verksamhetsförlagd utbildning i förnyelse") in headings
    assert ("Heading 2", "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)") in headings
    tables = document.tables
    assert len(tables) == 3 + 5  # national: 3 focus areas, Södra: 5
    sodra_tables = tables[3:]
    header = [cell.text for cell in sodra_tables[0].rows[0].cells]
    assert header == ["Aktivitet", "Ansvarig", "Kontakt", "Tidplan", "Uppföljningsmått", "Uppföljningsdatum", "Källa",
                      "Status", "Kommentar"]
    assert sum(len(table.rows) - 1 for table in sodra_tables) == 8
    assert sum(len(table.rows) - 1 for table in tables[:3]) == 5
    row = [cell.text for cell in sodra_tables[0].rows[2].cells]
    assert row[0].startswith("Rådet ska diskutera hur främjas god tillgång till handledarkompetens")
    assert (row[header.index("Ansvarig")], row[header.index("Tidplan")], row[header.index("Uppföljningsdatum")]) == \
        ("Rådet", "Q3 2026", "Q1 2027")
    assert row[header.index("Status")] == row[header.index("Kommentar")] == ""
    national_header = [cell.text for cell in tables[0].rows[0].cells]
    assert national_header[0] == "Mål" and tables[0].rows[1].cells[national_header.index("Ansvarig")].text == "Rådskansliet"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "redovisas årligen" in text and "[1] " in text


def test_docx_overview_for_a_theme(view, tmp_path):
    import docx

    document = docx.Document(str(write_docx(build_summary(view, keyword="VFU"), tmp_path / "vfu.docx")))
    overview = document.tables[0]
    assert [c.text for c in overview.rows[0].cells] == OVERVIEW_HEADERS
    assert len(overview.rows) == 1 + 6


def test_csv_round_trips(view):
    summary = build_summary(view)
    text = render_csv(summary)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows == [row.csv_dict() for row in summary.rows]
    assert list(rows[0]) == [header for _, header in CSV_COLUMNS]
    sodra = [r for r in rows if r["Råd"] == SODRA]
    assert len(sodra) == 8 and sodra[1]["Tidplan"] == "Q3 2026" and sodra[1]["Ansvarig"] == "Rådet"
    assert {r["Status"] for r in rows} == {r["Kommentar"] for r in rows} == {""}
    national = [r for r in rows if r["Råd"] == NATIONAL]
    assert national[3]["Tidplan (tolkad)"] == "Q3 2026"
    semicolon = list(csv.DictReader(io.StringIO(render_csv(summary, delimiter=";"), newline=""), delimiter=";"))
    assert semicolon == rows


@pytest.mark.slow
def test_drafts_from_the_index_equal_those_from_the_corpus(built_assistant, corpus_view):
    index = built_assistant.index
    assert render_markdown(build_summary(index)) == render_markdown(build_summary(corpus_view))
    assert render_csv(build_summary(index, keyword="VFU")) == render_csv(build_summary(corpus_view, keyword="VFU"))


def test_docx_is_a4_landscape_dated_with_author_plan_titles_and_widths_by_content(tmp_path):
    from datetime import date

    import docx
    from docx.shared import Cm

    from assistant.followup.render import column_widths, write_docx

    summary = hand_made_summary()
    path = write_docx(summary, tmp_path / "utkast.docx", author="Kansliet Södra", on=date(2026, 12, 1))
    document = docx.Document(str(path))
    section = document.sections[0]
    assert abs(section.page_width - Cm(29.7)) < Cm(0.05) and abs(section.page_height - Cm(21.0)) < Cm(0.05)
    assert document.core_properties.author == "Kansliet Södra"
    assert "python-docx" not in (document.core_properties.author or "")
    assert any("Datum: 2026-12-01" in p.text for p in document.paragraphs)
    sources = [row.cells[-3].text for table in document.tables for row in table.rows[1:]]
    assert sources and all(not s.endswith(".txt") and ", rad " in s for s in sources)
    assert any(row.plan in s for row in summary.rows for s in sources)
    widths = column_widths(["Aktivitet", "Tidplan"], [["Ett långt aktivitetsnamn som tar plats i tabellen", "Q3 2026"]])
    assert widths[0] > widths[1] and abs(sum(widths) - 26.7) < 0.05
