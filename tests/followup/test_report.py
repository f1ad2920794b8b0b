"""The annual follow-up report (assistant.followup.report) and its chart (assistant.followup.chart).

Statuses are recorded in a real database (SQLite, and PostgreSQL through ``backend_repo``) over the
plans read straight from the corpus (national plan 5, Södra 8, Mellansverige 16 activities).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from docx import Document

from assistant.followup import FollowupTracker, SummaryError
from assistant.followup.chart import NO_FOCUS_AREA, counts_by_focus_area, status_chart_png
from assistant.followup.report import (
    build_annual_report,
    render_report_markdown,
    status_counts,
    status_summary,
    write_report_docx,
)
from followup.helpers import SODRA, pipe_tables

ON = date(2026, 12, 1)
PNG = b"\x89PNG\r\n\x1a\n"


def rows(*statuses, area="VFU"):
    return [SimpleNamespace(status=status, focus_area=area) for status in statuses]


def test_summary_count_in_words():
    assert status_summary(rows(*["Klar"] * 6, "Försenad", "")) == "6 av 8 klara, 1 försenad, 1 ej påbörjad"
    assert status_summary(rows("Klar", "Pågår", "Pågår", "Struken")) == "1 av 4 klar, 2 pågår, 1 struken"
    assert status_summary(rows("", "")) == "0 av 2 klara, 2 ej påbörjade"
    assert status_counts(rows("Klar", "")) == {"Ej påbörjad": 1, "Pågår": 0, "Klar": 1, "Försenad": 0, "Struken": 0}


def test_chart_counts_and_png():
    data = counts_by_focus_area(rows("Klar", "", area="VFU") + rows("Försenad", area="") + rows("Klar", area="VFU"))
    assert list(data) == ["VFU", NO_FOCUS_AREA]
    assert data["VFU"]["Klar"] == 2 and data["VFU"]["Ej påbörjad"] == 1 and data[NO_FOCUS_AREA]["Försenad"] == 1
    png = status_chart_png(rows("Klar", "Pågår", area="Verksamhetsförlagd utbildning i förnyelse " * 3))
    assert png.startswith(PNG) and len(png) > 5000
    assert status_chart_png([]).startswith(PNG)  # nothing to count still draws an (empty) chart


@pytest.fixture
def recorded(backend_repo, corpus_view):
    """Södra with one activity Klar and one Försenad (by two people)."""
    tracker = FollowupTracker(backend_repo, corpus_view, user="anna")
    first, second = tracker.list_status(council="Södra")[:2]
    tracker.set_status(first.record_id, "Klar", comment="Exempel presenterade", evidence="Protokoll 2026-10-05",
                       entry_date="2026-10-05")
    tracker.set_status(second.record_id, "Försenad", comment="Väntar på underlag", entry_date="2026-11-02",
                       recorded_by="bertil")
    return tracker, first, second


def test_annual_report_for_sodra(recorded, tmp_path):
    tracker, first, second = recorded
    report = build_annual_report(tracker, councils="sodra", on=ON)
    assert report.year == 2026 and [s.council for s in report.sections] == [SODRA]
    section = report.sections[0]
    assert len(section.rows) == 8 and section.summary == "1 av 8 klar, 1 försenad, 6 ej påbörjade"
    # the plan's own follow-up sentences, cited
    intro = " ".join(section.intro)
    assert "redovisas årligen" in intro and "måluppfyllelse" in intro and "[2]" in intro
    assert any("redovisas årligen" in c.quote for c in report.citations)
    # overdue: the rule of FollowupTracker.due (ended timeline, not Klar/Struken), the Klar one is not there
    due_ids = [row.record_id for row in section.due]
    assert due_ids == [row.record_id for row in tracker.due(on=ON, council="Södra")]
    assert second.record_id in due_ids and first.record_id not in due_ids

    markdown = render_report_markdown(report)
    assert "**Sammanfattning:** 1 av 8 klar, 1 försenad, 6 ej påbörjade." in markdown
    tables = pipe_tables(markdown)
    activities = next(t for t in tables if t[0][:2] == ["Fokusområde", "Aktivitet"])
    by_activity = {row[1]: row for row in activities[2:]}
    assert by_activity[first.activity][4:8] == ["Klar", "Exempel presenterade", "Protokoll 2026-10-05",
                                                "2026-10-05, anna"]
    assert by_activity[second.activity][4:8] == ["Försenad", "Väntar på underlag", "", "2026-11-02, bertil"]
    focus = next(t for t in tables if t[0][0] == "Fokusområde" and "Totalt" in t[0])
    assert sum(int(row[-1]) for row in focus[2:]) == 8
    assert f"### Förfallet per {ON.isoformat()}" in markdown

    path = write_report_docx(report, tmp_path / "rapport.docx", author="Sekretariatet")
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Sammanfattning: 1 av 8 klar, 1 försenad, 6 ej påbörjade." in text and "redovisas årligen" in text
    assert document.core_properties.author == "Sekretariatet"
    cells = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert [first.activity, "Rådet", first.timeline, "Klar", "Exempel presenterade"] == \
        next(row for row in cells if first.activity in row)[1:6]
    assert any(second.activity in row and "Försenad" in row for row in cells)
    assert len(document.inline_shapes) == 1  # the chart


def test_report_filters_and_refusals(recorded):
    tracker, first, second = recorded
    delayed = build_annual_report(tracker, councils="Södra", status="Försenad", on=ON)
    assert [row.record_id for row in delayed.rows] == [second.record_id]
    assert delayed.sections[0].summary == "0 av 1 klara, 1 försenad"
    several = build_annual_report(tracker, councils=["Södra", "nationella"], on=ON)
    assert len(several.sections) == 2
    with pytest.raises(SummaryError, match="Okänt råd"):
        build_annual_report(tracker, councils="Atlantis", on=ON)
    empty = build_annual_report(tracker, councils="Södra", period="Q1 2031", on=ON)
    assert not empty.sections and "Inga aktiviteter" in render_report_markdown(empty)


def test_docx_of_an_empty_report(recorded, tmp_path):
    tracker, *_ = recorded
    report = build_annual_report(tracker, councils="Södra", period="Q1 2031", on=ON)
    document = Document(str(write_report_docx(report, tmp_path / "tom.docx")))
    assert any("Inga aktiviteter" in p.text for p in document.paragraphs)
