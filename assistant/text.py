"""Text normalisation shared by ingest, citations and presentation.

Lines are kept exactly as read; cleaning happens when lines are *joined* (:func:`join_lines`):
markup is stripped, words hyphenated across line breaks are rejoined and whitespace is collapsed.
Quote verification uses the very same function, so a quote is checkable against the original lines.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_MD_EMPHASIS = re.compile(r"(?<![\w*])([*_]{1,3})(?![\s*_])(.+?)(?<![\s*_])\1(?![\w*])")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACES = re.compile(r"\s+")
# A word broken across a line: "verksam-" + "hetsförlagd". Not a suspended compound ("hälso- och").
_HYPHEN_BREAK = re.compile(r"\w-$")
_SUSPENDED_NEXT = re.compile(r"^(och|eller|samt|till|resp\.?|respektive|som|and|or)\b", re.IGNORECASE)


def strip_markup(line: str) -> str:
    """Remove HTML-like tags, Markdown heading markers and emphasis from one line (until none is left,
    so that cleaning cleaned text changes nothing: "# # Rubrik", "<<b>b>")."""
    while True:
        cleaned = _MD_EMPHASIS.sub(r"\2", _MD_HEADING.sub("", _TAG.sub("", line)))
        if cleaned == line:
            return cleaned
        line = cleaned


def join_lines(lines: list[str]) -> str:
    """Join original lines into clean running text.

    Strips markup, rejoins words hyphenated across line breaks and collapses whitespace (tabs
    included). Used both to build chunk text and to verify quotes, so the two always agree.
    """
    out = ""
    for raw in lines:
        line = strip_markup(raw).strip()
        if not line:
            continue
        if out and _HYPHEN_BREAK.search(out) and line[:1].islower() and not _SUSPENDED_NEXT.match(line):
            # "verksam-" + "hetsförlagd" → one word; "AT-" + "föreskriften" keeps its hyphen.
            out = (out[:-1] if out[-2].islower() else out) + line
        else:
            out = f"{out} {line}" if out else line
    return _SPACES.sub(" ", out).strip()


@lru_cache(maxsize=4096)
def normalize_for_match(text: str) -> str:
    """Canonical form for verbatim-quote checks: cleaned, single-spaced, case kept (cached: citations
    check the same spans for many questions)."""
    return join_lines(text.split("\n"))
