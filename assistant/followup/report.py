"""The annual follow-up report per council, built from the recorded statuses.

Where the draft (:mod:`assistant.followup.build`) lists what the plans promise, the report says how it
went: per council an introduction with the plan's own follow-up sentences cited (the draft's cited
introduction), a summary count by status ("6 av 8 klara, 1 försenad"), a status count per focus area
(a table, and in Word the chart of :mod:`assistant.followup.chart`), the activities with their latest
status, comment, evidence and last update, and what is overdue (:meth:`FollowupTracker.due`, the one
rule for "due"). :func:`render_report_markdown` and :func:`write_report_docx` write it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from docx.shared import Cm

from assistant.answer.citations import Citation
from assistant.db import STATUSES
from assistant.followup.chart import counts_by_focus_area, status_chart_png
from assistant.followup.render import _docx_table, citation_line, landscape_document, markdown_table
from assistant.followup.tracking import NOT_STARTED, FollowupTracker, StatusRow
from assistant.messages import FOLLOWUP_MESSAGES, STATUS_FORMS

REPORT_TITLE = "Årlig uppföljning av aktivitetsplanen"
TABLE_HEADERS = ["Fokusområde", "Aktivitet", "Ansvarig", "Tidplan", "Status", "Kommentar", "Underlag",
                 "Senast uppdaterad", "Källa"]
DUE_HEADERS = ["Aktivitet", "Ansvarig", "Skulle vara klar", "Enligt", "Status", "Källa"]
#: Summary order: done first ("6 av 8 klara"), then what needs attention.
SUMMARY_ORDER = ("Klar", "Försenad", "Pågår", "Ej påbörjad", "Struken")


# ====================================================================== counting
def status_counts(rows) -> dict[str, int]:
    """Status → number of activities, every status listed; an activity without an entry is "Ej påbörjad"."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        status = getattr(row, "status", "") or NOT_STARTED
        counts[status] = counts.get(status, 0) + 1
    return counts


def _form(status: str, count: int) -> str:
    one, several = STATUS_FORMS.get(status, (status.lower(), status.lower()))
    return one if count == 1 else several


def status_summary(rows) -> str:
    """The summary count as a sentence: "6 av 8 klara, 1 försenad, 1 pågår"."""
    rows = list(rows)
    counts = status_counts(rows)
    done = counts.get("Klar", 0)
    parts = [f"{done} av {len(rows)} {_form('Klar', done)}"]
    parts += [f"{counts[status]} {_form(status, counts[status])}" for status in SUMMARY_ORDER[1:] if counts.get(status)]
    return ", ".join(parts)


def last_update(row: StatusRow) -> str:
    """"2026-11-20, anna" for the latest entry, else empty."""
    return f"{row.latest.entry_date.isoformat()}, {row.latest.recorded_by}" if row.latest else ""


# ====================================================================== data
@dataclass
class ReportSection:
    """One council's part of the report."""

    council: str
    plans: list[dict]
    intro: list[str]  # sentences with verified citations [n] (the draft's introduction)
    rows: list[StatusRow]
    sources: dict[str, str]  # record id → "plan title, rad a–b"
    due: list[StatusRow]

    @property
    def counts(self) -> dict[str, int]:
        return status_counts(self.rows)

    @property
    def summary(self) -> str:
        return status_summary(self.rows)


@dataclass
class AnnualReport:
    year: int
    on: date
    sections: list[ReportSection]
    citations: list[Citation]
    councils: list[str]
    period: str = ""
    focus_area: str = ""
    status: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[StatusRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def theme(self) -> str:  # named like the draft's, for the file name (assistant.frontends.web.files)
        return self.status


def build_annual_report(tracker: FollowupTracker, councils: list[str] | str | None = None,
                        period: str | None = None, focus_area: str | None = None, status: str | None = None,
                        on: date | None = None, year: int | None = None) -> AnnualReport:
    """The annual follow-up report of ``councils`` (default all) on ``on`` (default today).

    ``period``/``focus_area``/``status`` filter the activities as :meth:`FollowupTracker.list_status`
    does (an unknown council or an unreadable period raises
    :class:`~assistant.followup.build.SummaryError`); the overdue list is
    :meth:`FollowupTracker.due` on ``on``, limited to the listed activities.
    """
    on = on or date.today()
    summary = tracker.summary(councils=councils, period=period, focus_area=focus_area)
    listed = {row.record_id: row for row in tracker.list_status(council=councils, period=period, status=status,
                                                                focus_area=focus_area)}
    due = [row for row in tracker.due(on=on, council=councils) if row.record_id in listed]
    sections = []
    for section in summary.sections:
        rows = [listed[row.record_id] for row in section.rows if row.record_id in listed]
        if not rows:
            continue
        sources = {}
        one_plan = len(section.plans) == 1  # the plan is named in the intro; the lines are enough
        for row in section.rows:
            lines = f"rad {row.line_start}" if row.line_start == row.line_end else f"rad {row.line_start}–{row.line_end}"
            sources[row.record_id] = lines if one_plan else f"{row.plan or row.source}, {lines}"
        ids = {row.record_id for row in rows}
        sections.append(ReportSection(council=section.council, plans=section.plans, intro=section.intro, rows=rows,
                                      sources=sources, due=[row for row in due if row.record_id in ids]))
    notes = [f"Inga matchande aktiviteter hos: {', '.join(summary.without_matches)}."] if summary.without_matches else []
    return AnnualReport(year=year or on.year, on=on, sections=sections, citations=summary.citations,
                        councils=summary.councils, period=summary.period, focus_area=summary.focus_area,
                        status=status or "", notes=notes)


# ====================================================================== rendering
def _title(report: AnnualReport) -> str:
    return f"{REPORT_TITLE} {report.year}"


def _selection(report: AnnualReport) -> str:
    parts = [f"råd: {', '.join(report.councils)}"]
    if report.period:
        parts.append(f"period: {report.period}")
    if report.focus_area:
        parts.append(f"fokusområde: {report.focus_area}")
    if report.status:
        parts.append(f"status: {report.status}")
    return f"Datum: {report.on.isoformat()}. Urval – " + "; ".join(parts) + "."


def table_rows(section: ReportSection) -> list[list[str]]:
    """The cells of the report's activity table (TABLE_HEADERS) for a section."""
    return [[row.focus_area, row.activity, row.owner, row.timeline, row.status or NOT_STARTED,
             row.latest.comment if row.latest else "", row.latest.evidence if row.latest else "", last_update(row),
             section.sources.get(row.record_id, row.source)] for row in section.rows]


def due_rows(section: ReportSection) -> list[list[str]]:
    return [[row.activity, row.owner, row.due_date.isoformat() if row.due_date else "", row.due_because,
             row.status or NOT_STARTED, section.sources.get(row.record_id, row.source)] for row in section.due]


def focus_area_rows(section: ReportSection) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the status count per focus area (only statuses that occur)."""
    data = counts_by_focus_area(section.rows)
    used = [status for status in STATUSES if any(counts.get(status) for counts in data.values())]
    rows = [[area, *[str(counts.get(status, 0)) for status in used], str(sum(counts.values()))]
            for area, counts in data.items()]
    return ["Fokusområde", *used, "Totalt"], rows


def _due_heading(report: AnnualReport) -> str:
    return f"Förfallet per {report.on.isoformat()}"


def _due_intro(section: ReportSection) -> str:
    return ("Aktiviteter vars tidplan eller uppföljningsdatum har passerats utan att de är klara eller strukna: "
            f"{len(section.due)}.")


def render_report_markdown(report: AnnualReport) -> str:
    """The report as Markdown: title, selection, per council intro, summary, counts, table, overdue; sources."""
    out = [f"# {_title(report)}", _selection(report)]
    if not report.sections:
        out.append(FOLLOWUP_MESSAGES["no_activities"])
        return "\n\n".join(out) + "\n"
    out += report.notes
    for section in report.sections:
        out.append(f"## {section.council}")
        out.append(" ".join(section.intro))
        out.append(f"**Sammanfattning:** {section.summary}.")
        headers, rows = focus_area_rows(section)
        out.append("### Status per fokusområde")
        out.append(markdown_table(headers, rows))
        out.append(f"### Aktiviteter ({len(section.rows)})")
        out.append(markdown_table(TABLE_HEADERS, table_rows(section)))
        out.append(f"### {_due_heading(report)}")
        out.append(_due_intro(section) if section.due else FOLLOWUP_MESSAGES["nothing_due"].format(date=report.on.isoformat()))
        if section.due:
            out.append(markdown_table(DUE_HEADERS, due_rows(section)))
    if report.citations:
        out.append("## Källor")
        out.append("\n".join(citation_line(c) for c in report.citations))
    return "\n\n".join(out) + "\n"


def write_report_docx(report: AnnualReport, path: str | Path, author: str = "Vårdkompetens-assistenten") -> Path:
    """The report as a Word document on A4 landscape, with the status chart per council."""
    document = landscape_document(_title(report), author, report.on)
    document.add_heading(_title(report), 0)
    document.add_paragraph(_selection(report))
    if not report.sections:
        document.add_paragraph(FOLLOWUP_MESSAGES["no_activities"])
    for note in report.notes:
        document.add_paragraph(note)
    for section in report.sections:
        document.add_heading(section.council, 1)
        for sentence in section.intro:
            document.add_paragraph(sentence)
        summary = document.add_paragraph()
        summary.add_run("Sammanfattning: ").bold = True
        summary.add_run(f"{section.summary}.")
        document.add_heading("Status per fokusområde", 2)
        headers, rows = focus_area_rows(section)
        _docx_table(document, headers, rows)
        document.add_picture(io.BytesIO(status_chart_png(section.rows, f"Status per fokusområde – {section.council}")),
                             width=Cm(20))
        document.add_heading(f"Aktiviteter ({len(section.rows)})", 2)
        _docx_table(document, TABLE_HEADERS, table_rows(section))
        document.add_heading(_due_heading(report), 2)
        if section.due:
            document.add_paragraph(_due_intro(section))
            _docx_table(document, DUE_HEADERS, due_rows(section))
        else:
            document.add_paragraph(FOLLOWUP_MESSAGES["nothing_due"].format(date=report.on.isoformat()))
    if report.citations:
        document.add_heading("Källor", 1)
        for citation in report.citations:
            document.add_paragraph(citation_line(citation))
    path = Path(path)
    document.save(str(path))
    return path


__all__ = ["AnnualReport", "ReportSection", "build_annual_report", "last_update", "render_report_markdown",
           "status_counts", "status_summary", "write_report_docx"]
