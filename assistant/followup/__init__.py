"""Follow-up drafts ("uppföljning") of the councils' activity plans.

:mod:`~assistant.followup.build` builds the draft from the activity records (rows, filters, cited
introductions), :mod:`~assistant.followup.render` writes it as Markdown, CSV or Word, and
:mod:`~assistant.followup.chat` serves drafts asked for in a chat message. Periods are read by
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
from assistant.followup.chat import parse_summary_request, summary_reply
from assistant.followup.render import (
    markdown_table,
    render_csv,
    render_markdown,
    render_overview_markdown,
    write_csv,
    write_docx,
)

__all__ = [
    "DATE_FIELDS",
    "CouncilSection",
    "FollowUpSummary",
    "SummaryError",
    "SummaryRow",
    "build_summary",
    "markdown_table",
    "parse_summary_request",
    "plan_councils",
    "render_csv",
    "render_markdown",
    "render_overview_markdown",
    "resolve_councils",
    "summary_reply",
    "write_csv",
    "write_docx",
]
