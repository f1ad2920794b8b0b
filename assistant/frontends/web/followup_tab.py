"""The follow-up workflow in the Uppföljning tab: statuses per activity, history, overdue, annual report.

:func:`build_followup_section` lays the section out inside the tab (called from
:func:`assistant.frontends.web.layout.build_app`) and wires its events to a :class:`FollowupTab`,
whose handlers go through the service (``Assistant.followup``, a
:class:`~assistant.followup.FollowupTracker`) and catch every error as a Swedish message:

* a table per council of the activities with their latest status, colour-coded, with the summary
  count ("2 av 8 klara, 1 försenad") and the chart of statuses per focus area; filters for council,
  period, status and focus area;
* recording a status (with comment, evidence and date) for a chosen activity: a new entry in its
  history, recorded by the logged-in user (Gradio auth) or else ``settings.followup_user`` (or the
  OS user); a user the database knows as a reader may not record;
* the activity's history, the "Förfallna" view (:meth:`FollowupTracker.due`, the same rule as
  ``assistant followup due``) and the annual report per council as Word and Markdown
  (:mod:`assistant.followup.report`).

All document text is escaped (:func:`~assistant.frontends.web.views.esc`) before it becomes HTML.
"""

from __future__ import annotations

import base64
import logging
import re
from datetime import date
from typing import Any

import gradio as gr

from assistant.db import STATUSES, Entry
from assistant.followup import SummaryError, default_user, plan_councils
from assistant.followup.chart import status_chart_png
from assistant.followup.report import (
    build_annual_report,
    last_update,
    render_report_markdown,
    status_summary,
    write_report_docx,
)
from assistant.followup.tracking import NOT_STARTED, StatusRow
from assistant.frontends.web.files import SummaryFolders, summary_file_stem
from assistant.frontends.web.views import box, esc, user_error
from assistant.lang.spelling import fold
from assistant.messages import FOLLOWUP_MESSAGES
from assistant.service import Assistant

log = logging.getLogger(__name__)

ALL = ""  # the "every status / every focus area" choice
ACTIVITY_LABEL_CHARS = 90
TABLE_HEADERS = ["Id", "Fokusområde", "Aktivitet", "Ansvarig", "Tidplan", "Uppföljningsdatum", "Status",
                 "Kommentar", "Senast uppdaterad"]
HISTORY_HEADERS = ["Datum", "Status", "Kommentar", "Underlag", "Registrerad av", "Registrerad"]
DUE_HEADERS = ["Råd", "Aktivitet", "Ansvarig", "Skulle vara klar", "Enligt", "Status", "Senast uppdaterad"]


def status_slug(status: str) -> str:
    """"Ej påbörjad" → ``ej-paborjad`` (an activity without an entry is "Ej påbörjad")."""
    return re.sub(r"[^a-z]+", "-", fold(status or NOT_STARTED)).strip("-")


def status_class(status: str) -> str:
    """The CSS classes of a status cell: "Ej påbörjad" → ``va-st va-st-ej-paborjad``."""
    return f"va-st va-st-{status_slug(status)}"


def status_badge(status: str) -> str:
    return f'<span class="{status_class(status)}">{esc(status or NOT_STARTED)}</span>'


def _table(headers: list[str], rows: list[str], css: str = "va-fu-table") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return (f'<div class="va-table-wrap"><table class="{css}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def status_table_html(rows: list[StatusRow]) -> str:
    """A table per council of the activities with their latest status (colour-coded) and the summary count."""
    if not rows:
        return box("notice", FOLLOWUP_MESSAGES["no_activities"])
    councils: dict[str, list[StatusRow]] = {}
    for row in rows:
        councils.setdefault(row.council, []).append(row)
    parts = []
    for council, listed in councils.items():
        body = []
        for row in listed:
            latest = row.latest
            body.append(
                f'<tr class="va-fu-row va-st-{status_slug(row.status)}-row" data-record="{esc(row.record_id)}">'
                f'<td class="va-fu-id">{esc(row.record_id)}</td><td>{esc(row.focus_area)}</td>'
                f"<td>{esc(row.activity)}</td><td>{esc(row.owner)}</td><td>{esc(row.timeline)}</td>"
                f"<td>{esc(row.follow_up)}</td><td>{status_badge(row.status)}</td>"
                f"<td>{esc(latest.comment if latest else '')}</td><td>{esc(last_update(row))}</td></tr>")
        parts.append(f'<div class="va-fu-council"><h4>{esc(council)}</h4>'
                     f'<div class="va-fu-summary">{esc(status_summary(listed))}.</div>'
                     f"{_table(TABLE_HEADERS, body)}</div>")
    return "".join(parts)


def chart_html(rows: list[StatusRow]) -> str:
    """The chart of statuses per focus area as an inline PNG (one per council)."""
    councils: dict[str, list[StatusRow]] = {}
    for row in rows:
        councils.setdefault(row.council, []).append(row)
    images = []
    for council, listed in councils.items():
        png = base64.b64encode(status_chart_png(listed, f"Status per fokusområde – {council}")).decode("ascii")
        images.append(f'<img class="va-fu-chart" src="data:image/png;base64,{png}" '
                      f'alt="{esc("Status per fokusområde för " + council)}">')
    return "".join(images)


def history_html(row: StatusRow | None, entries: list[Entry]) -> str:
    """An activity's history, oldest first (every entry ever recorded; nothing is overwritten)."""
    if row is None:
        return box("notice", FOLLOWUP_MESSAGES["choose_activity"])
    head = (f'<div class="va-fu-history-head"><b>{esc(row.activity)}</b><div class="va-meta">{esc(row.council)}'
            f" · {esc(row.record_id)} · tidplan: {esc(row.timeline or '–')} · uppföljning: "
            f"{esc(row.follow_up or '–')}</div></div>")
    if not entries:
        return head + box("notice", f"Historik: {FOLLOWUP_MESSAGES['no_entry']}.")
    body = [f"<tr><td>{esc(e.entry_date.isoformat())}</td><td>{status_badge(e.status)}</td><td>{esc(e.comment)}</td>"
            f"<td>{esc(e.evidence)}</td><td>{esc(e.recorded_by)}</td>"
            f"<td>{esc(e.recorded_at.strftime('%Y-%m-%d %H:%M'))} UTC</td></tr>" for e in entries]
    return head + f"<div class='va-meta'>Historik ({len(entries)} poster)</div>" + _table(HISTORY_HEADERS, body,
                                                                                         "va-fu-history")


def due_html(rows: list[StatusRow], on: date) -> str:
    if not rows:
        return box("ok", FOLLOWUP_MESSAGES["nothing_due"].format(date=on.isoformat()))
    body = [f'<tr class="va-fu-row" data-record="{esc(row.record_id)}"><td>{esc(row.council)}</td>'
            f"<td>{esc(row.activity)}</td><td>{esc(row.owner)}</td>"
            f"<td>{esc(row.due_date.isoformat() if row.due_date else '')}</td><td>{esc(row.due_because)}</td>"
            f"<td>{status_badge(row.status)}</td><td>{esc(last_update(row))}</td></tr>" for row in rows]
    count = f"{len(rows)} aktivitet{'er' if len(rows) != 1 else ''} har passerat sin tidplan eller sitt " \
            f"uppföljningsdatum per {on.isoformat()} utan att vara klara eller strukna."
    return f'<div class="va-notice">{esc(count)}</div>' + _table(DUE_HEADERS, body, "va-fu-table va-fu-due")


def activity_label(row: StatusRow) -> str:
    activity = row.activity if len(row.activity) <= ACTIVITY_LABEL_CHARS else \
        row.activity[:ACTIVITY_LABEL_CHARS - 1].rsplit(" ", 1)[0] + " …"
    return f"{activity} – {row.council} ({row.status or NOT_STARTED})"


def _parse_day(text: str | None) -> date:
    text = (text or "").strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"Ogiltigt datum ”{text}”. Skriv datumet som ÅÅÅÅ-MM-DD.") from None


def _as_list(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    items = [value] if isinstance(value, str) else list(value)
    return [str(item) for item in items if item] or None


class FollowupTab:
    """The handlers of the follow-up section; each one answers in Swedish, never with a traceback."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._folders = SummaryFolders()

    # ------------------------------------------------------------------ who
    def user(self, request: gr.Request | None) -> str:
        """Who records: the logged-in user when Gradio auth is on, else settings.followup_user (or the OS user)."""
        name = getattr(request, "username", None) if request is not None else None
        return str(name).strip() if name and str(name).strip() else default_user(self.assistant.settings)

    def may_edit(self, request: gr.Request | None) -> bool:
        """Whether ``request`` may record statuses: without a login or with the one shared login
        (``auth_user``, no users in the database) yes; a logged-in user of the database only as an
        active editor or admin (read on every save, so a lowered role applies at once)."""
        name = getattr(request, "username", None) if request is not None else None
        if not name:
            return True
        repository = self.assistant.followup.repository
        known = repository.get_user(str(name))
        if known is None:
            return not repository.list_users()  # the shared login; a removed user may not
        return known.can_edit

    # ------------------------------------------------------------------ reading
    def _rows(self, councils=None, period=None, status=None, focus_area=None) -> list[StatusRow]:
        return self.assistant.followup.list_status(council=_as_list(councils), period=(period or "").strip() or None,
                                                   status=status or None, focus_area=focus_area or None)

    def filter_choices(self, selected_councils=None, selected_focus=None):
        """Choices of the council and focus-area filters (the plans' councils and focus areas)."""
        try:
            index = self.assistant.index
            councils = plan_councils(index)
            areas = sorted({" ".join(r.focus_area.split()) for r in index.records if r.focus_area.strip()})
        except Exception:
            log.warning("follow-up filter choices failed", exc_info=True)
            councils, areas = [], []
        return (gr.update(choices=councils, value=[c for c in (selected_councils or []) if c in councils]),
                gr.update(choices=[("Alla", ALL)] + [(a, a) for a in areas],
                          value=selected_focus if selected_focus in areas else ALL))

    def show(self, councils=None, period=None, status=None, focus_area=None, selected=None):
        """(table HTML, chart HTML, activity selector) for the filters."""
        try:
            rows = self._rows(councils, period, status, focus_area)
        except (SummaryError, ValueError) as exc:
            return box("error", str(exc)), "", gr.update()
        except Exception as exc:
            log.exception("follow-up list failed")
            return box("error", f"Uppföljningen kunde inte visas: {user_error(exc)}"), "", gr.update()
        choices = [(activity_label(row), row.record_id) for row in rows]
        ids = {row.record_id for row in rows}
        try:
            chart = chart_html(rows) if rows else ""
        except Exception:
            log.exception("follow-up chart failed")
            chart = ""
        return status_table_html(rows), chart, gr.update(choices=choices, value=selected if selected in ids else None)

    def initial(self, councils=None, period=None, status=None, focus_area=None, selected=None):
        """What the page shows when it loads: the table when a database is in use, else how to start
        (so that merely opening the page never creates a database)."""
        if not self.assistant.database_in_use():
            return box("notice", FOLLOWUP_MESSAGES["start"]), "", gr.update()
        return self.show(councils, period, status, focus_area, selected)

    def select(self, record_id=None):
        """(history HTML, status, comment, evidence, date) of the chosen activity, the form prefilled
        with its latest entry and today's date."""
        today = date.today().isoformat()
        if not record_id:
            return history_html(None, []), gr.update(value=None), "", "", today
        try:
            tracker = self.assistant.followup
            row = next((r for r in tracker.list_status() if r.record_id == record_id), None)
            entries = tracker.history(record_id)
        except Exception as exc:
            log.exception("follow-up history failed")
            return box("error", user_error(exc)), gr.update(), "", "", today
        latest = entries[-1] if entries else None
        return (history_html(row, entries), gr.update(value=latest.status if latest else None),
                latest.comment if latest else "", latest.evidence if latest else "", today)

    def due(self, councils=None, on_text=None):
        try:
            on = _parse_day(on_text)
            rows = self.assistant.followup.due(on=on, council=_as_list(councils))
        except (SummaryError, ValueError) as exc:
            return box("error", str(exc))
        except Exception as exc:
            log.exception("follow-up due failed")
            return box("error", f"Förfallna aktiviteter kunde inte visas: {user_error(exc)}")
        return due_html(rows, on)

    # ------------------------------------------------------------------ writing
    def save(self, record_id=None, status=None, comment=None, evidence=None, entry_date=None, councils=None,
             period=None, status_filter=None, focus_area=None, request: gr.Request = None):
        """Record a status (a new history entry); then the message, the refreshed table, chart,
        selector and the history."""
        unchanged = (gr.update(), gr.update(), gr.update(), gr.update())
        if not record_id:
            return (box("notice", FOLLOWUP_MESSAGES["choose_activity"]), *unchanged)
        if not status:
            return (box("notice", FOLLOWUP_MESSAGES["choose_status"]), *unchanged)
        try:
            if not self.may_edit(request):
                return (box("error", FOLLOWUP_MESSAGES["read_only"]), *unchanged)
            who = self.user(request)
            entry = self.assistant.followup.set_status(record_id, status, comment=comment or "",
                                                        evidence=evidence or "",
                                                        entry_date=(entry_date or "").strip() or None, recorded_by=who)
            record = self.assistant.followup.repository.get_record(record_id)
        except ValueError as exc:
            return (box("error", str(exc)), *unchanged)
        except Exception as exc:
            log.exception("recording a follow-up status failed")
            return (box("error", f"Statusen sparades inte: {user_error(exc)}"), *unchanged)
        message = box("ok", FOLLOWUP_MESSAGES["saved"].format(
            status=entry.status, activity=record.activity if record else record_id,
            date=entry.entry_date.isoformat(), user=entry.recorded_by))
        table, chart, selector = self.show(councils, period, status_filter, focus_area, selected=record_id)
        history, *_ = self.select(record_id)
        return message, table, chart, selector, history

    def report(self, councils=None, period=None, status=None, focus_area=None, on_text=None):
        """The annual report of the selection: (message, DOCX download, Markdown download)."""
        hidden = gr.update(value=None, visible=False)
        try:
            on = _parse_day(on_text)
            report = build_annual_report(self.assistant.followup, councils=_as_list(councils),
                                         period=(period or "").strip() or None, status=status or None,
                                         focus_area=focus_area or None, on=on)
        except (SummaryError, ValueError) as exc:
            return box("error", str(exc)), hidden, hidden
        except Exception as exc:
            log.exception("annual report failed")
            return box("error", f"Årsrapporten kunde inte skapas: {user_error(exc)}"), hidden, hidden
        if not report.sections:
            return box("notice", FOLLOWUP_MESSAGES["no_activities"]), hidden, hidden
        try:
            folder = self._folders.new()
            stem = summary_file_stem(report).replace("uppfoljning", f"arsrapport-{report.year}", 1)
            docx = write_report_docx(report, folder / f"{stem}.docx", author=self.assistant.settings.document_author)
            markdown = folder / f"{stem}.md"
            markdown.write_text(render_report_markdown(report), encoding="utf-8")
        except Exception as exc:
            log.exception("writing the annual report failed")
            return box("error", f"Årsrapporten kunde inte sparas: {user_error(exc)}"), hidden, hidden
        counts = "; ".join(f"{section.council}: {section.summary}" for section in report.sections)
        return (box("ok", f"Årsrapport {report.year} klar – {counts}."),
                gr.update(value=str(docx), visible=True), gr.update(value=str(markdown), visible=True))


def build_followup_section(demo: gr.Blocks, assistant: Assistant, tab_element: gr.Tab | None = None) -> FollowupTab:
    """The follow-up section, laid out where it is called (inside the Uppföljning tab) with its events.

    With ``tab_element`` (the tab it sits in) the council and focus-area choices are read again each
    time the tab is opened, so a plan uploaded since the page loaded is offered.
    """
    tab = FollowupTab(assistant)
    gr.HTML("<h3 style='margin:.2em 0'>Status per aktivitet</h3>"
            "<div class='va-meta'>Senaste status för varje aktivitet i planerna. Välj en aktivitet för att "
            "registrera en ny status – varje ändring sparas som en ny post i aktivitetens historik.</div>")
    with gr.Row():
        councils = gr.Dropdown(choices=[], value=[], multiselect=True, label="Råd", info="Tomt = alla råd",
                               elem_id="va-fu-councils", scale=2)
        period = gr.Textbox(label="Period", placeholder="t.ex. 2026 eller Q3 2026", info="Tomt = alla datum",
                            max_lines=1, elem_id="va-fu-period", scale=1)
        status = gr.Dropdown(choices=[("Alla", ALL)] + [(s, s) for s in STATUSES], value=ALL, label="Status",
                             elem_id="va-fu-status", scale=1)
        focus = gr.Dropdown(choices=[("Alla", ALL)], value=ALL, label="Fokusområde", elem_id="va-fu-focus", scale=2)
        show = gr.Button("Visa", variant="primary", elem_id="va-fu-show", scale=0, min_width=90)
    table = gr.HTML(box("notice", "Laddar uppföljningen …"), elem_id="va-fu-table", max_height=700)
    chart = gr.HTML("", elem_id="va-fu-chart")
    with gr.Row():
        with gr.Column(scale=2, min_width=300):
            gr.HTML("<h4 style='margin:.2em 0'>Registrera status</h4>")
            activity = gr.Dropdown(choices=[], value=None, label="Aktivitet", elem_id="va-fu-activity")
            new_status = gr.Radio(choices=list(STATUSES), value=None, label="Ny status", elem_id="va-fu-new-status")
            comment = gr.Textbox(label="Kommentar", lines=2, max_lines=6, elem_id="va-fu-comment")
            evidence = gr.Textbox(label="Underlag", placeholder="t.ex. protokoll, länk", max_lines=1,
                                  elem_id="va-fu-evidence")
            entry_date = gr.Textbox(label="Datum", value=lambda: date.today().isoformat(), max_lines=1,
                                    info="ÅÅÅÅ-MM-DD: dagen statusen avser", elem_id="va-fu-date")
            save = gr.Button("Spara status", variant="primary", elem_id="va-fu-save")
            message = gr.HTML("", elem_id="va-fu-message")
        with gr.Column(scale=3):
            history = gr.HTML(box("notice", FOLLOWUP_MESSAGES["choose_activity"]), elem_id="va-fu-history")
    with gr.Accordion("Förfallna aktiviteter", open=False, elem_id="va-fu-due-box"):
        with gr.Row():
            due_date = gr.Textbox(label="Per datum", value=lambda: date.today().isoformat(), max_lines=1,
                                  info="Tidplan eller uppföljningsdatum passerat, inte Klar eller Struken",
                                  elem_id="va-fu-due-date")
            due_show = gr.Button("Visa förfallna", elem_id="va-fu-due-show")
        due_view = gr.HTML("", elem_id="va-fu-due")
    with gr.Accordion("Årsrapport", open=False, elem_id="va-fu-report-box"):
        gr.HTML("<div class='va-meta'>Årlig uppföljning per råd för urvalet ovan: planens egna meningar om "
                "uppföljning (citerade), antal per status, diagram per fokusområde, tabellen och det som är "
                "förfallet per datumet nedan.</div>")
        with gr.Row():
            report_date = gr.Textbox(label="Rapportdatum", value=lambda: date.today().isoformat(), max_lines=1,
                                     elem_id="va-fu-report-date")
            report_make = gr.Button("Skapa årsrapport", variant="primary", elem_id="va-fu-report")
        report_message = gr.HTML("", elem_id="va-fu-report-message")
        with gr.Row():
            report_docx = gr.DownloadButton("Ladda ned årsrapport (DOCX)", visible=False, size="md",
                                            elem_id="va-fu-report-docx")
            report_md = gr.DownloadButton("Ladda ned årsrapport (Markdown)", visible=False, size="md",
                                          elem_id="va-fu-report-md")

    filters = [councils, period, status, focus]
    shown = [table, chart, activity]
    options = dict(api_visibility="undocumented")
    for trigger in (show.click, period.submit):
        trigger(tab.show, filters + [activity], shown, show_progress="minimal", show_progress_on=[table], **options)
    activity.change(tab.select, [activity], [history, new_status, comment, evidence, entry_date], **options)
    save.click(tab.save, [activity, new_status, comment, evidence, entry_date] + filters,
               [message, table, chart, activity, history], **options)
    due_show.click(tab.due, [councils, due_date], [due_view], **options)
    report_make.click(tab.report, filters + [report_date], [report_message, report_docx, report_md],
                      show_progress="minimal", show_progress_on=[report_message], **options)
    demo.load(tab.filter_choices, [councils, focus], [councils, focus], **options).then(
        tab.initial, filters + [activity], shown, **options)
    if tab_element is not None:
        tab_element.select(tab.filter_choices, [councils, focus], [councils, focus], **options)
    return tab


__all__ = ["FollowupTab", "build_followup_section", "chart_html", "due_html", "history_html", "status_badge",
           "status_class", "status_slug", "status_table_html"]
