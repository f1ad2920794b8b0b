"""Follow-up drafts ("uppföljning") of the councils' activity plans.

:mod:`~assistant.followup.build` builds the draft from the activity records (rows, filters, cited
introductions), :mod:`~assistant.followup.render` writes it as Markdown, CSV or Word, and
:mod:`~assistant.followup.chat` serves drafts asked for in a chat message, and
:mod:`~assistant.followup.tracking` keeps the follow-up as a workflow (a status per activity in the
application database), :mod:`~assistant.followup.report` writes the annual follow-up report per council
from it (with the chart of :mod:`~assistant.followup.chart`), and
:mod:`~assistant.followup.status_questions` answers chat questions on the statuses. Periods are read by
:mod:`assistant.lang.periods`.
"""

from __future__ import annotations

from assistant.followup.build import (
    DATE_FIELDS,
    CouncilSection,
    FollowUpSummary,
    SummaryError,
    SummaryRow,
    build_summary,
    plan_councils,
    resolve_councils,
)
from assistant.followup.chart import status_chart_png
from assistant.followup.chat import parse_summary_request, summary_reply
from assistant.followup.render import (
    markdown_table,
    render_csv,
    render_markdown,
    render_overview_markdown,
    write_csv,
    write_docx,
)
from assistant.followup.report import (
    AnnualReport,
    build_annual_report,
    render_report_markdown,
    status_counts,
    status_summary,
    write_report_docx,
)
from assistant.followup.status_questions import parse_status_question, status_reply
from assistant.followup.tracking import (
    FollowupError,
    FollowupTracker,
    ImportChange,
    ImportResult,
    StatusRow,
    database_in_use,
    default_user,
    entries_csv,
    resolve_database_url,
    sync_records,
)

__all__ = [
    "AnnualReport",
    "DATE_FIELDS",
    "CouncilSection",
    "FollowUpSummary",
    "FollowupError",
    "FollowupTracker",
    "ImportChange",
    "ImportResult",
    "StatusRow",
    "SummaryError",
    "SummaryRow",
    "build_annual_report",
    "build_summary",
    "database_in_use",
    "default_user",
    "entries_csv",
    "markdown_table",
    "parse_status_question",
    "parse_summary_request",
    "plan_councils",
    "render_csv",
    "render_markdown",
    "render_overview_markdown",
    "render_report_markdown",
    "resolve_councils",
    "resolve_database_url",
    "status_chart_png",
    "status_counts",
    "status_reply",
    "status_summary",
    "summary_reply",
    "sync_records",
    "write_csv",
    "write_docx",
    "write_report_docx",
]
