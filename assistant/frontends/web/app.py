"""The Gradio web app: tabs "Chatt", "Dokument", "Uppföljning" and "Status" over one :class:`Assistant`.

``app.py`` is a thin launcher around :func:`main`; tests call :func:`build_app` with an injected
Assistant and :func:`launch` on a free port.

Rendering rule: every piece of document text (answers, quotes, titles, sections, file names, lines)
goes through :func:`html.escape` before it is wrapped in markup, so nothing from a document is ever
rendered as HTML. Follow-up drafts (Markdown from :mod:`assistant.followup`) are converted by
:func:`markdown_html`, which escapes every piece of text and emits only its own headings, tables,
lists and paragraphs. Handlers catch every exception and show a Swedish message instead of a traceback.
"""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Iterator

import gradio as gr

from assistant.answer.citations import Citation
from assistant.answer.engine import Answer
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from assistant.store.errors import IndexError_
from assistant.text import normalize_for_match, strip_markup

log = logging.getLogger(__name__)

APP_TITLE = "Vårdkompetens-assistenten"
EXAMPLES = [
    "Vem ansvarar för VFU-arbetet i Södra?",
    "Vilka län omfattar Mellansverige?",
    "När följs aktiviteterna upp i Södra?",
    "Vilka tre fokusområden har Nationella vårdkompetensrådet 2026?",
    "Who owns VFU work in Södra?",
]
STREAM_WORDS = 4          # words added per streamed update
STREAM_DELAY_S = 0.03     # pause between updates (the composer is fast; streaming is for the eye)
CONTEXT_LINES = 2         # lines of context shown around a quote
MAX_SPAN_LINES = 14       # longer cited spans are trimmed around the highlighted quote
KIND_LABELS = {"paragraph": "stycke", "list": "lista", "activity": "aktivitet", "slide": "bild",
               "table": "tabell", "heading": "rubrik"}
UPLOAD_TYPES = [".pdf", ".docx", ".md", ".txt"]
DATE_FIELD_CHOICES = [("Tidplan", "timeline"), ("Uppföljningsdatum", "follow_up"), ("Båda", "any")]
SUMMARY_DIRS_KEPT = 12    # download folders of earlier drafts kept before the oldest is removed
NO_MATCHES = "Inga aktiviteter i planerna matchar urvalet."

CSS = """
.va-answer p { margin: 0 0 .45em 0; }
.va-answer ul { margin: 0 0 .45em 1.2em; }
.va-ref { font-weight: 600; color: var(--color-accent, #2563eb); white-space: nowrap; }
.va-pending { opacity: .7; font-style: italic; }
.va-cursor { opacity: .6; }
.va-sources { margin-top: .6em; border-top: 1px solid var(--border-color-primary, #ddd); padding-top: .4em; }
.va-sources-title { font-weight: 600; font-size: .9rem; margin-bottom: .25em; }
.va-cite { margin: .3em 0; border: 1px solid var(--border-color-primary, #ddd); border-radius: 6px; padding: .25em .5em; }
.va-cite summary { cursor: pointer; font-size: .9rem !important; line-height: 1.4; }
.va-cite summary b { font-weight: 600; font-size: .9rem !important; }
.va-meta { font-size: .85em; opacity: .8; margin: .25em 0; }
.va-quote { margin: .3em 0; }
.va-context, .va-doc { font-family: var(--font-mono, monospace); font-size: .82em; line-height: 1.45;
  background: var(--background-fill-secondary, #f7f7f7); border-radius: 4px; padding: .35em .5em; overflow-x: auto; }
.va-line { display: flex; gap: .6em; white-space: pre-wrap; word-break: break-word; }
.va-ln { flex: 0 0 3.2em; text-align: right; opacity: .55; user-select: none; }
.va-tx { flex: 1 1 auto; }
.va-in { background: rgba(255, 214, 0, .08); }
.va-dim { opacity: .6; }
.va-gap { opacity: .55; padding-left: 3.8em; }
.va-h .va-tx { font-weight: 700; }
mark, .va-context mark { background: #ffe066; color: #111; padding: 0 .1em; border-radius: 2px; }
.va-abstain { font-weight: 600; }
.va-notice { border-left: 4px solid #f59e0b; padding: .3em .6em; }
.va-error { border-left: 4px solid #dc2626; padding: .4em .7em; background: rgba(220, 38, 38, .06); }
.va-ok { border-left: 4px solid #16a34a; padding: .4em .7em; background: rgba(22, 163, 74, .06); }
.va-chunk-start { margin-top: .5em; padding: .15em .5em; border-top: 2px solid var(--color-accent, #2563eb);
  background: rgba(37, 99, 235, .07); font-family: var(--font, sans-serif); font-weight: 600; }
.va-chunk-end { padding: 0 .5em .2em; border-bottom: 1px dashed var(--color-accent, #2563eb);
  opacity: .7; font-family: var(--font, sans-serif); font-size: .9em; }
.va-uncovered { opacity: .5; }
.va-doc-head h3 { margin: .2em 0; }
.va-status table { border-collapse: collapse; }
.va-summary h3 { margin: .5em 0 .25em; font-size: 1.15em; }
.va-summary h4 { margin: .6em 0 .25em; font-size: 1.05em; }
.va-summary h5 { margin: .5em 0 .2em; font-size: .95em; }
.va-summary p { margin: 0 0 .45em 0; }
.va-table-wrap { overflow-x: auto; max-width: 100%; margin: .3em 0 .6em; }
.va-table-wrap table { border-collapse: collapse; font-size: .8em; width: 100%; }
.va-table-wrap th, .va-table-wrap td { border: 1px solid var(--border-color-primary, #ddd); padding: .25em .45em;
  text-align: left; vertical-align: top; min-width: 4em; }
.va-table-wrap th { background: var(--background-fill-secondary, #f3f4f6); font-weight: 600; }
.va-sources-list { font-size: .85em; }
.va-status td, .va-status th { padding: .3em .8em; border-bottom: 1px solid var(--border-color-primary, #ddd);
  text-align: left; vertical-align: top; }
"""


def esc(value: Any) -> str:
    """HTML-escape anything (None becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


# ------------------------------------------------------------------ errors
def user_error(exc: BaseException) -> str:
    """A Swedish message for the user; never a traceback."""
    from assistant.embedding import EmbeddingError
    from assistant.ingest.corpus import DocumentError

    if isinstance(exc, (IndexError_, EmbeddingError, DocumentError, FileExistsError, ValueError)) and str(exc):
        return str(exc)
    if isinstance(exc, PermissionError):
        return "Filen kunde inte sparas: behörighet saknas."
    if isinstance(exc, OSError):
        return f"Ett fil- eller systemfel inträffade ({type(exc).__name__}). Försök igen."
    return (f"Ett oväntat fel inträffade ({type(exc).__name__}). Försök igen, och kontakta "
            "administratören om felet kvarstår.")


def _box(kind: str, text: str) -> str:
    return f'<div class="va-{kind}">{esc(text)}</div>'


# ------------------------------------------------------------------ history
def _content_text(content: Any) -> str:
    """Text of a message content: a string, a Gradio 6 content list or a text block dict."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return " ".join(t for t in (_content_text(c) for c in content) if t)
    return ""


def plain_history(history: Any) -> list[dict]:
    """History as role/content dicts with string content.

    Accepts a JSON string, a list of role/content dicts (content as a string or as Gradio 6 content
    blocks), (user, assistant) pairs or bare user questions.
    """
    if history is None or history == "":
        return []
    if isinstance(history, str):
        try:
            history = json.loads(history)
        except ValueError:
            return [{"role": "user", "content": history}]
    if isinstance(history, dict):
        history = history.get("history") or history.get("messages") or []
    out: list[dict] = []
    for item in history if isinstance(history, (list, tuple)) else []:
        if isinstance(item, dict) and item.get("role") in ("user", "assistant"):
            text = _content_text(item.get("content"))
            if text:
                out.append({"role": item["role"], "content": text})
        elif isinstance(item, (list, tuple)) and item:
            if isinstance(item[0], str) and item[0]:
                out.append({"role": "user", "content": item[0]})
            if len(item) > 1 and isinstance(item[1], str) and item[1]:
                out.append({"role": "assistant", "content": item[1]})
        elif isinstance(item, str) and item:
            out.append({"role": "user", "content": item})
    return out


def _as_list(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = [value]
        value = parsed if isinstance(parsed, list) else [value]
    items = [str(v) for v in value if v not in (None, "")]
    return items or None


# ------------------------------------------------------------------ streaming
def stream_prefixes(text: str, words_per_step: int = STREAM_WORDS) -> list[str]:
    """Growing prefixes of ``text`` (a few words at a time); the last one is the whole text."""
    tokens = re.findall(r"\S+\s*", text or "")
    prefixes = ["".join(tokens[:i]).rstrip() for i in range(words_per_step, len(tokens), words_per_step)]
    prefixes.append(text or "")
    return [p for i, p in enumerate(prefixes) if p and (i == 0 or p != prefixes[i - 1])]


def cited_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d{1,3})\]", text or "")}


# ------------------------------------------------------------------ answer rendering
def _inline(text: str) -> str:
    """Escaped text with citation markers styled (the marker text [n] stays visible)."""
    return re.sub(r"\[(\d{1,3})\]", r'<span class="va-ref">[\1]</span>', esc(text))


_BULLET = re.compile(r"^\s*[-•]\s+")


def answer_body_html(text: str, cursor: bool = False) -> str:
    """The answer text as escaped HTML: lines become paragraphs, "- " lines a list."""
    parts: list[str] = []
    items: list[str] = []
    for line in (text or "").split("\n"):
        if _BULLET.match(line):
            items.append(f"<li>{_inline(_BULLET.sub('', line))}</li>")
            continue
        if items:
            parts.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            parts.append(f"<p>{_inline(line)}</p>")
    if items:
        parts.append("<ul>" + "".join(items) + "</ul>")
    if cursor:
        parts.append('<span class="va-cursor">▍</span>')
    return "".join(parts)


def _display_line(raw: str) -> str:
    """A document line as shown: markup tags and emphasis stripped (as the index reads it)."""
    return strip_markup(raw).rstrip()


def _render_line(number: int, text: str, css: str = "", mark: tuple[int, int] | None = None) -> str:
    if mark:
        a, b = mark
        body = f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"
    else:
        body = esc(text)
    body = body.replace("\t", " │ ") or "&nbsp;"
    return f'<div class="va-line {css}"><span class="va-ln">{number}</span><span class="va-tx">{body}</span></div>'


def locate_quote(lines: list[str], start: int, end: int, quote: str) -> dict[int, tuple[int, int]]:
    """Where the quote lies in the display lines ``start..end`` (1-based): {line: (from, to)}.

    Mirrors :func:`assistant.corpus.join_lines` (stripped markup, collapsed whitespace, words
    hyphenated across lines rejoined) while keeping a map back to each line's characters.
    """
    chars: list[str] = []
    where: list[tuple[int, int] | None] = []
    for number in range(max(1, start), min(end, len(lines)) + 1):
        text = _display_line(lines[number - 1])
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        if not body:
            continue
        if chars:
            joined = "".join(chars[-2:])
            if re.search(r"\w-$", joined) and body[:1].islower() and not re.match(
                    r"^(och|eller|samt|till|resp\.?|respektive|som|and|or)\b", body, re.IGNORECASE):
                if len(chars) >= 2 and chars[-2].islower():
                    chars.pop()
                    where.pop()
            else:
                chars.append(" ")
                where.append(None)
        previous_space = False
        for offset, ch in enumerate(body):
            if ch.isspace():
                if previous_space:
                    continue
                chars.append(" ")
                previous_space = True
            else:
                chars.append(ch)
                previous_space = False
            where.append((number, lead + offset))
    target = normalize_for_match(quote or "")
    found = "".join(chars).find(target) if target else -1
    if found < 0:
        return {}
    spans: dict[int, tuple[int, int]] = {}
    for position in where[found:found + len(target)]:
        if position is None:
            continue
        number, offset = position
        a, b = spans.get(number, (offset, offset + 1))
        spans[number] = (min(a, offset), max(b, offset + 1))
    return spans


def context_html(lines: list[str], start: int, end: int, quote: str, pad: int = CONTEXT_LINES) -> str:
    """The cited lines with ``pad`` lines of context, the quote highlighted with <mark>."""
    if not lines:
        return _box("notice", "Dokumentets text finns inte i det aktiva indexet.")
    start, end = max(1, start), min(max(start, end), len(lines))
    marks = locate_quote(lines, start, end, quote)
    first, last = start, end
    if end - start + 1 > MAX_SPAN_LINES:
        if marks:
            first, last = max(start, min(marks) - 1), min(end, max(marks) + 1)
        else:
            last = start + MAX_SPAN_LINES - 1
    rows = []
    lo, hi = max(1, first - pad), min(len(lines), last + pad)
    if lo > 1:
        rows.append('<div class="va-gap">…</div>')
    for number in range(lo, hi + 1):
        text = _display_line(lines[number - 1])
        css = "va-in" if start <= number <= end else "va-dim"
        rows.append(_render_line(number, text, css, marks.get(number)))
    if hi < len(lines):
        rows.append('<div class="va-gap">…</div>')
    html_rows = "".join(rows)
    quote_row = "" if marks else f'<div class="va-quote">Citat: <mark>{esc(quote)}</mark></div>'
    return f'{quote_row}<div class="va-context">{html_rows}</div>'


def citation_html(citation: Citation, lines: list[str], label: str | None = None, open_: bool = False) -> str:
    """One source as a collapsible block: title, council, section, lines, quote in context."""
    a, b = citation.lines
    span = f"rad {a}" if a == b else f"rad {a}–{b}"
    head = label if label is not None else f"[{citation.n}]"
    summary = (f'<span class="va-ref">{esc(head)}</span> <b>{esc(citation.title or citation.source)}</b>'
               f" · {esc(citation.council or 'okänt råd')} · {esc(span)}")
    meta = (f'<div class="va-meta">Avsnitt: {esc(citation.section or "–")} · Fil: {esc(citation.source)}'
            f" · {esc(span)}</div>")
    return (f'<details class="va-cite"{" open" if open_ else ""}><summary>{summary}</summary>{meta}'
            f"{context_html(lines, a, b, citation.quote)}</details>")


def sources_html(assistant: Assistant, citations: list[Citation], title: str, labels: bool = True) -> str:
    if not citations:
        return ""
    blocks = []
    for i, citation in enumerate(citations, 1):
        try:
            lines = assistant.document_lines(citation.source)
        except Exception:  # the index may be switching; show the quote without context
            lines = []
        blocks.append(citation_html(citation, lines, None if labels else f"Avsnitt {i}"))
    return f'<div class="va-sources"><div class="va-sources-title">{esc(title)}</div>{"".join(blocks)}</div>'


def answer_html(answer: Answer, assistant: Assistant, partial: str | None = None,
                councils: list[str] | None = None, sources: list[str] | None = None) -> str:
    """The chat message for an answer; ``partial`` renders a streamed prefix (sources come last)."""
    if answer.invalid:
        return _box("notice", answer.answer)
    if partial is not None and partial != answer.answer:
        return f'<div class="va-answer">{answer_body_html(partial, cursor=True)}</div>'
    if answer.abstained:
        parts = [f'<div class="va-answer"><p class="va-abstain">{esc(answer.answer)}</p>',
                 "<p>Jag hittade inget i dokumenten som besvarar frågan, så jag svarar inte.</p>"]
        if councils or sources:
            parts.append('<p class="va-notice">Obs: sökningen var begränsad av filtren. '
                         "Prova att ta bort dem.</p>")
        parts.append("</div>")
        if answer.closest:
            parts.append(sources_html(assistant, answer.closest, "Närmaste avsnitt som granskades", labels=False))
        return "".join(parts)
    body = f'<div class="va-answer">{answer_body_html(answer.answer)}</div>'
    return body + sources_html(assistant, answer.citations, "Källor")


def answer_payload(answer: Answer, partial: str | None = None) -> dict:
    """The API result: the whole answer, or a streamed prefix with the citations it mentions so far."""
    data = answer.to_dict()
    text = answer.answer if partial is None else partial
    numbers = cited_numbers(text)
    citations = data["citations"] if partial is None else [c for c in data["citations"] if c["n"] in numbers]
    return {"answer": text, "citations": citations, "abstained": answer.abstained, "invalid": answer.invalid,
            "closest": data["closest"] if partial is None else [], "language": answer.language,
            "resolved_question": answer.resolved_question, "done": partial is None, "error": None,
            "summary": False}


def error_payload(message: str) -> dict:
    return {"answer": message, "citations": [], "abstained": False, "invalid": False, "closest": [],
            "language": "sv", "resolved_question": "", "done": True, "error": message, "summary": False}


def summary_payload(markdown: str, question: str) -> dict:
    """The API result for a follow-up draft: the Markdown as the answer (its sources are listed in it)."""
    english = markdown.startswith("Draft follow-up report")
    return {"answer": markdown, "citations": [], "abstained": False, "invalid": False, "closest": [],
            "language": "en" if english else "sv", "resolved_question": question, "done": True, "error": None,
            "summary": True}


# ------------------------------------------------------------------ follow-up drafts (Markdown → safe HTML)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_BULLET = re.compile(r"^\s*[-*]\s+")
_MD_SOURCE = re.compile(r"^\[\d{1,3}\]\s")


def table_cells(line: str) -> list[str]:
    """The cells of a Markdown table row; ``\\|`` is a literal bar and ``\\\\`` a backslash."""
    cells, current, i, closed = [], [], 0, False
    text = line.strip()
    while i < len(text):
        ch = text[i]
        closed = False
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i + 1])
            i += 2
            continue
        if ch == "|":
            cells.append("".join(current))
            current, closed = [], True
        else:
            current.append(ch)
        i += 1
    if not closed:
        cells.append("".join(current))
    if text.startswith("|"):
        cells = cells[1:]
    return [cell.strip() for cell in cells]


def _cell_html(text: str) -> str:
    return _inline(text)  # escaped like all document text (a "<br>" in a cell stays visible text)


def _table_html(rows: list[str]) -> str:
    header, body = table_cells(rows[0]), [table_cells(r) for r in rows[2:]]
    head = "".join(f"<th>{_cell_html(h)}</th>" for h in header)
    lines = []
    for cells in body:
        cells = (cells + [""] * len(header))[:len(header)] if header else cells
        lines.append("<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in cells) + "</tr>")
    return (f'<div class="va-table-wrap"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(lines)}</tbody></table></div>')


def markdown_html(markdown: str) -> str:
    """A follow-up draft's Markdown as HTML: headings, tables, lists and paragraphs; all text escaped.

    Only the structure is interpreted (``#`` headings, ``|`` tables, ``- `` lists, blank-line
    paragraphs, ``[n]`` markers); everything else, raw HTML and Markdown emphasis included, is shown as
    the literal text it is. The result has no blank lines, so a Markdown-rendering host (the chatbot)
    treats it as one HTML block and leaves it alone.
    """
    lines = (markdown or "").replace("\r\n", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            css = ' class="va-sources-list"' if all(_MD_SOURCE.match(p) for p in paragraph) else ""
            out.append(f"<p{css}>" + "<br>".join(_inline(p) for p in paragraph) + "</p>")
            paragraph.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        heading = _MD_HEADING.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            level = min(len(heading.group(1)) + 2, 6)  # "#" → h3: the draft sits inside a page or a message
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and _MD_SEPARATOR.match(lines[i + 1]):
            flush()
            rows = [line, lines[i + 1]]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            out.append(_table_html(rows))
            continue
        elif _MD_BULLET.match(line):
            if paragraph:
                flush()
            items.append(_MD_BULLET.sub("", line))
        else:
            if items:
                flush()
            paragraph.append(line.strip())
        i += 1
    flush()
    return "".join(out)


def summary_chat_html(markdown: str) -> str:
    """A follow-up draft as a chat message."""
    note = ("<p class='va-meta'>Utkastet ingår inte i samtalet, så nästa fråga ställs fristående. "
            "Under fliken Uppföljning kan du välja period och ämne och ladda ned utkastet som Word, CSV "
            "eller Markdown.</p>")
    return f'<div class="va-answer va-summary">{markdown_html(markdown)}{note}</div>'


def summary_preview_html(summary, overview: bool = False) -> str:
    """The preview of the Uppföljning tab: counts and notes, then the draft (with the overview when asked)."""
    from assistant.followup.summary import render_markdown

    if not summary.rows:
        return no_matches_html(summary)
    councils = len(summary.sections)
    count = (f"{len(summary.rows)} aktivitet{'er' if len(summary.rows) != 1 else ''} från "
             f"{councils} råd.")
    body = markdown_html(render_markdown(summary, overview=bool(overview)))
    return f'<div class="va-summary"><div class="va-ok">{esc(count)}</div>{body}</div>'


def no_matches_html(summary) -> str:
    """Swedish advice when no activity matched the selection."""
    selection = [f"råd: {', '.join(summary.councils)}"]
    if summary.period:
        where = {"any": "tidplan eller uppföljningsdatum", "timeline": "tidplan",
                 "follow_up": "uppföljningsdatum"}.get(summary.date_field, "datum")
        selection.append(f"period: {summary.period} ({where} inom perioden)")
    if summary.keywords:
        selection.append(f"ämne: ”{summary.theme}” (söks i aktivitet, fokusområde, mål och uppföljningsmått)")
    if summary.focus_area:
        selection.append(f"fokusområde: {summary.focus_area}")
    return _box("notice", f"{NO_MATCHES} Urval – {'; '.join(selection)}. Prova en annan period, ett annat "
                          "datumfält, fler råd eller ett annat ämne.")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")[:40]


def summary_file_stem(summary) -> str:
    """A file name for the draft from its selection: uppfoljning-RVKR-Sodra-Q1-2027."""
    parts = ["uppfoljning"]
    if summary.councils and len(summary.councils) <= 2:
        parts += [_slug(c) for c in summary.councils]
    for value in (summary.period, summary.theme, summary.focus_area):
        if value:
            parts.append(_slug(value))
    return "-".join(p for p in parts if p)[:100] or "uppfoljning"


def write_summary_files(summary, folder: Path, overview: bool = False) -> dict[str, Path]:
    """The draft as DOCX, CSV (UTF-8 with BOM, so Excel reads å, ä, ö) and Markdown in ``folder``."""
    from assistant.followup.summary import render_csv, render_markdown, write_docx

    folder.mkdir(parents=True, exist_ok=True)
    stem = summary_file_stem(summary)
    docx = write_docx(summary, folder / f"{stem}.docx", overview=bool(overview))
    csv_path = folder / f"{stem}.csv"
    csv_path.write_text(render_csv(summary), encoding="utf-8-sig", newline="")
    md_path = folder / f"{stem}.md"
    md_path.write_text(render_markdown(summary, overview=bool(overview)), encoding="utf-8")
    return {"docx": docx, "csv": csv_path, "md": md_path}


# ------------------------------------------------------------------ documents and status
def documents_rows(assistant: Assistant) -> list[list]:
    return [[d["source"], d.get("title", ""), d.get("council", ""), d.get("doc_type", ""), d.get("period", ""),
             d.get("chunks", 0)] for d in assistant.documents()]


DOC_HEADERS = ["Fil", "Titel", "Råd", "Typ", "Period", "Textavsnitt"]


def document_html(assistant: Assistant, source: str | None) -> str:
    """The document's lines with chunk boundaries (kind, line span, section) marked."""
    if not source:
        return _box("notice", "Välj ett dokument i listan för att läsa det.")
    meta = next((d for d in assistant.documents() if d["source"] == source), None)
    if meta is None:
        return _box("error", f"Dokumentet {source} finns inte i indexet.")
    lines = assistant.document_lines(source)
    chunks = assistant.document_chunks(source)
    starts, ends = defaultdict(list), defaultdict(list)
    covered: set[int] = set()
    for number, chunk in enumerate(chunks, 1):
        a, b = chunk["lines"]
        starts[a].append((number, chunk))
        ends[b].append(number)
        covered.update(range(a, b + 1))
    url = meta.get("url") or ""
    link = (f' · <a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'
            if re.match(r"^https?://", url) else "")
    head = (f'<div class="va-doc-head"><h3>{esc(meta.get("title") or source)}</h3>'
            f'<div class="va-meta">Fil: {esc(source)} · Råd: {esc(meta.get("council") or "–")} · '
            f'Typ: {esc(meta.get("doc_type") or "–")} · Period: {esc(meta.get("period") or "–")} · '
            f"{len(lines)} rader · {len(chunks)} textavsnitt{link}</div>"
            '<div class="va-meta">▼ och ▲ visar var ett textavsnitt (det som söks och citeras) börjar och '
            "slutar; tonade rader ingår inte i något avsnitt.</div></div>")
    rows = []
    for number, raw in enumerate(lines, 1):
        for chunk_no, chunk in starts.get(number, []):
            a, b = chunk["lines"]
            span = f"rad {a}" if a == b else f"rad {a}–{b}"
            kind = KIND_LABELS.get(chunk["kind"], chunk["kind"])
            rows.append(f'<div class="va-chunk-start">▼ Textavsnitt {chunk_no} · {esc(kind)} · {esc(span)}'
                        f' · {esc(chunk.get("section") or "–")}</div>')
        css = "" if number in covered else "va-uncovered"
        if re.match(r"^\s{0,3}#{1,6}\s", raw):
            css += " va-h"
        rows.append(_render_line(number, _display_line(raw), css))
        for chunk_no in ends.get(number, []):
            rows.append(f'<div class="va-chunk-end">▲ slut på textavsnitt {chunk_no}</div>')
    return head + f'<div class="va-doc">{"".join(rows)}</div>'


STATUS_LABELS = [
    ("version", "Version"), ("index_build", "Aktivt index"), ("built_at", "Byggt"), ("build_seconds", "Byggtid"),
    ("documents", "Dokument"), ("chunks", "Textavsnitt"), ("chunks_by_kind", "Textavsnitt per typ"),
    ("records", "Aktivitetsposter"), ("embedding_model", "Embeddingmodell"), ("llm_backend", "Språkmodell (LLM)"),
    ("vector_store", "Vektorlager"), ("skipped", "Överhoppade filer"),
]


def _status_value(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "–" if key != "skipped" else "inga"
    if key == "build_seconds":
        return f"{float(value):.1f} s"
    if key == "chunks_by_kind" and isinstance(value, dict):
        return ", ".join(f"{KIND_LABELS.get(k, k)}: {v}" for k, v in sorted(value.items()))
    if key == "skipped":
        return "; ".join(f"{item[0]}: {item[1]}" if isinstance(item, (list, tuple)) and len(item) == 2 else str(item)
                         for item in value)
    return str(value)


def status_html(assistant: Assistant) -> str:
    try:
        info = assistant.status()
    except Exception as exc:  # status must always render
        log.exception("status failed")
        return _box("error", user_error(exc))
    rows = []
    if info.get("index"):
        rows.append(f'<tr><th>Index</th><td><div class="va-error">{esc(info["index"])}</div></td></tr>')
    for key, label in STATUS_LABELS:
        if key in info:
            rows.append(f"<tr><th>{esc(label)}</th><td>{esc(_status_value(key, info[key]))}</td></tr>")
    settings = assistant.settings
    rows.append(f"<tr><th>Samtidiga förfrågningar</th><td>{esc(settings.max_concurrent_requests)}</td></tr>")
    return f'<div class="va-status"><table>{"".join(rows)}</table></div>'


# ------------------------------------------------------------------ handlers
class Handlers:
    """Event handlers; each one catches its errors and answers in Swedish."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self._summary_dirs: deque[Path] = deque()
        self._summary_lock = threading.Lock()

    def _summary_reply(self, question: str) -> str | None:
        """The follow-up draft (Markdown) a chat message asks for, else None (also when it fails:
        the question path then answers, or reports the error)."""
        try:
            return self.assistant.summary_reply(question)
        except Exception:
            log.warning("summary_reply failed; answering as a question", exc_info=True)
            return None

    # -- chat -------------------------------------------------------------
    def respond(self, question: str, conversation: dict | None, councils: list[str] | None,
                sources: list[str] | None) -> Iterator[tuple]:
        """Stream one answer into the chat. ``conversation`` holds display messages and plain history."""
        conversation = {"display": list((conversation or {}).get("display", [])),
                        "history": list((conversation or {}).get("history", []))}
        display = conversation["display"]
        question = (question or "").strip()
        if not question:
            gr.Warning("Skriv en fråga först.")
            yield list(display), conversation, ""
            return
        display.append({"role": "user", "content": f"<p>{esc(question)}</p>"})
        display.append({"role": "assistant", "content": '<p class="va-pending">Söker i dokumenten …</p>'})
        yield list(display), conversation, ""
        draft = self._summary_reply(question)
        if draft is not None:
            # shown, but kept out of the history: the next question is not a follow-up to a draft
            try:
                display[-1] = {"role": "assistant", "content": summary_chat_html(draft)}
            except Exception as exc:
                log.exception("rendering the draft failed")
                display[-1] = {"role": "assistant", "content": _box("error", user_error(exc))}
            yield list(display), conversation, ""
            return
        councils, sources = _as_list(councils), _as_list(sources)
        try:
            answer = self.assistant.ask(question, conversation["history"], councils=councils, sources=sources)
        except Exception as exc:
            log.exception("ask failed")
            display[-1] = {"role": "assistant", "content": _box("error", user_error(exc))}
            yield list(display), conversation, ""
            return
        try:
            if not answer.invalid and not answer.abstained:
                for prefix in stream_prefixes(answer.answer)[:-1]:
                    display[-1] = {"role": "assistant", "content": answer_html(answer, self.assistant, partial=prefix)}
                    yield list(display), conversation, ""
                    time.sleep(STREAM_DELAY_S)
            display[-1] = {"role": "assistant",
                           "content": answer_html(answer, self.assistant, councils=councils, sources=sources)}
        except Exception as exc:
            log.exception("rendering failed")
            display[-1] = {"role": "assistant", "content": _box("error", user_error(exc))}
        if not answer.invalid:
            conversation["history"] += [{"role": "user", "content": question},
                                        {"role": "assistant", "content": answer.answer}]
        yield list(display), conversation, ""

    @staticmethod
    def new_conversation():
        return [], {"display": [], "history": []}, ""

    def chat_api(self, question: str, history: list | str | None = None, councils: list | str | None = None,
                 sources: list | str | None = None) -> Iterator[dict]:
        """Answer a question with citations; streams growing partial answers, the last one has done=True.

        history: earlier turns as role/content dicts (or a JSON string of them); councils/sources: filters.
        A request for a follow-up draft ("Sammanfatta uppföljningen för Södra") is answered with the
        draft as Markdown and summary=True (citations are then listed in the Markdown itself).
        """
        draft = self._summary_reply((question or "").strip()) if (question or "").strip() else None
        if draft is not None:
            yield summary_payload(draft, (question or "").strip())
            return
        try:
            answer = self.assistant.ask(question or "", plain_history(history), councils=_as_list(councils),
                                        sources=_as_list(sources))
        except Exception as exc:
            log.exception("api ask failed")
            yield error_payload(user_error(exc))
            return
        if not answer.invalid:
            for prefix in stream_prefixes(answer.answer)[:-1]:
                yield answer_payload(answer, partial=prefix)
                time.sleep(STREAM_DELAY_S)
        yield answer_payload(answer)

    # -- documents ----------------------------------------------------------
    def filter_choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        docs = self.assistant.documents()
        councils = sorted({d["council"] for d in docs if d.get("council")})
        documents = [(f"{d.get('title') or d['source']} ({d['source']})", d["source"]) for d in docs]
        return councils, documents

    def refresh(self, selected_councils=None, selected_sources=None, selected_doc=None):
        """New choices and contents for every view that depends on the index."""
        try:
            councils, documents = self.filter_choices()
            rows = documents_rows(self.assistant)
            notice = ""
        except Exception as exc:
            log.exception("refresh failed")
            councils, documents, rows, notice = [], [], [], _box("error", user_error(exc))
        known = {value for _, value in documents}
        selected_councils = [c for c in (selected_councils or []) if c in councils]
        selected_sources = [s for s in (selected_sources or []) if s in known]
        selected_doc = selected_doc if selected_doc in known else None
        return (gr.update(choices=councils, value=selected_councils),
                gr.update(choices=documents, value=selected_sources),
                gr.update(value=rows),
                gr.update(choices=documents, value=selected_doc),
                notice,
                status_html(self.assistant))

    def show_document(self, source: str | None) -> str:
        try:
            return document_html(self.assistant, source)
        except Exception as exc:
            log.exception("document view failed")
            return _box("error", user_error(exc))

    def select_row(self, evt: gr.SelectData):
        try:
            row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
            source = documents_rows(self.assistant)[int(row)][0]
        except Exception:
            return gr.update()
        return gr.update(value=source)

    def upload(self, file: Any, progress=gr.Progress()) -> str:
        """Add an uploaded file to the corpus and re-index; a Swedish message either way."""
        if not file:
            return _box("notice", "Välj en fil att ladda upp först.")
        path = Path(file if isinstance(file, (str, Path)) else getattr(file, "name", str(file)))
        try:
            target = self.assistant.add_document(path)
        except Exception as exc:
            if not isinstance(exc, (ValueError, FileExistsError)):
                log.exception("add_document failed")
            return _box("error", f"Dokumentet lades inte till: {user_error(exc)}")
        progress(0.0, desc="Indexerar …")
        try:
            report = self.assistant.ingest(progress=lambda fraction, message: progress(
                min(max(float(fraction), 0.0), 1.0), desc=str(message)))
        except Exception as exc:
            log.exception("ingest after upload failed")
            _remove_quietly(target)
            return _box("error", f"Dokumentet lades inte till eftersom indexeringen misslyckades: {user_error(exc)}")
        skipped = {name: reason for name, reason in report.skipped}
        if target.name in skipped:
            _remove_quietly(target)
            return _box("error", f"Filen {target.name} kunde inte läsas och lades inte till: {skipped[target.name]}")
        chunks = next((d.get("chunks", 0) for d in self.assistant.documents() if d["source"] == target.name), None)
        if chunks is None:
            return _box("notice", f"{target.name} sparades, men finns inte i indexet. Se fliken Status.")
        return _box("ok", f"{target.name} lades till ({chunks} textavsnitt) och är nu sökbart i chatten. "
                          f"Indexeringen tog {report.seconds:.1f} s.")

    def status(self) -> str:
        return status_html(self.assistant)

    # -- follow-up drafts ----------------------------------------------------
    def summary_councils(self, selected=None):
        """Choices for the Uppföljning tab's council selector: the councils with activity plans."""
        from assistant.followup.summary import plan_councils

        try:
            choices = plan_councils(self.assistant.index)
        except Exception:
            log.warning("council choices for the summary failed", exc_info=True)
            choices = []
        return gr.update(choices=choices, value=[c for c in (selected or []) if c in choices])

    def _summary_folder(self) -> Path:
        """A fresh folder for one draft's files; the oldest folders are removed."""
        folder = Path(tempfile.mkdtemp(prefix="va-uppfoljning-"))
        with self._summary_lock:
            self._summary_dirs.append(folder)
            while len(self._summary_dirs) > SUMMARY_DIRS_KEPT:
                shutil.rmtree(self._summary_dirs.popleft(), ignore_errors=True)
        return folder

    def make_summary(self, councils=None, period: str | None = None, keyword: str | None = None,
                     date_field: str | None = "any", overview: bool = False):
        """The Uppföljning tab: (preview HTML, DOCX, CSV and Markdown download buttons).

        ``keyword`` may hold several words or phrases separated by commas (an activity matching any
        of them is taken). No matches or an error give a Swedish message and hidden download buttons.
        """
        from assistant.followup.summary import SummaryError

        hidden = gr.update(value=None, visible=False)
        keywords = [k.strip() for k in re.split(r"[,;]", keyword or "") if k.strip()]
        try:
            summary = self.assistant.summary(councils=_as_list(councils), period=(period or "").strip() or None,
                                             keyword=keywords or None, date_field=date_field or "any")
        except SummaryError as exc:
            return _box("error", str(exc)), hidden, hidden, hidden
        except Exception as exc:
            log.exception("summary failed")
            return _box("error", f"Utkastet kunde inte skapas: {user_error(exc)}"), hidden, hidden, hidden
        if not summary.rows:
            return no_matches_html(summary), hidden, hidden, hidden
        try:
            preview = summary_preview_html(summary, overview=bool(overview))
            files = write_summary_files(summary, self._summary_folder(), overview=bool(overview))
        except Exception as exc:
            log.exception("writing the summary failed")
            return _box("error", f"Utkastet kunde inte sparas: {user_error(exc)}"), hidden, hidden, hidden
        return (preview,
                gr.update(value=str(files["docx"]), visible=True),
                gr.update(value=str(files["csv"]), visible=True),
                gr.update(value=str(files["md"]), visible=True))


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        log.warning("could not remove %s", path)


# ------------------------------------------------------------------ the app
def build_app(assistant: Assistant | None = None, settings: Settings | None = None) -> gr.Blocks:
    """The Blocks app over ``assistant`` (created from ``settings`` when not given)."""
    if assistant is None:
        assistant = Assistant(settings or get_settings())
    settings = assistant.settings
    ui = Handlers(assistant)
    try:
        council_choices, document_choices = ui.filter_choices()
        rows, start_notice = documents_rows(assistant), ""
    except Exception as exc:
        council_choices, document_choices, rows, start_notice = [], [], [], _box("error", user_error(exc))
    plan_choices = ui.summary_councils().get("choices", [])

    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        gr.HTML(f"<h2 style='margin:.2em 0'>{esc(APP_TITLE)}</h2>"
                "<div class='va-meta'>Svar på frågor om vårdkompetensrådens planer – varje påstående har en "
                "källhänvisning [n] med ordagrant citat. Finns svaret inte i dokumenten säger assistenten det.</div>")
        with gr.Tabs():
            with gr.Tab("Chatt", id="chatt"):
                with gr.Row():
                    with gr.Column(scale=4):
                        chatbot = gr.Chatbot(label="Konversation", height=640, latex_delimiters=[],
                                             elem_id="va-chatbot", buttons=["copy"], feedback_options=None,
                                             placeholder="Ställ en fråga om planerna, eller välj en exempelfråga nedan.")
                        with gr.Row():
                            question = gr.Textbox(show_label=False, placeholder="Skriv din fråga här …",
                                                  lines=1, max_lines=4, scale=5, elem_id="va-question",
                                                  autofocus=True)
                            send = gr.Button("Skicka", variant="primary", scale=1, elem_id="va-send")
                        with gr.Row():
                            new = gr.Button("Ny konversation", variant="secondary", elem_id="va-new")
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[question], label="Exempelfrågor")
                    with gr.Column(scale=1, min_width=240):
                        councils = gr.Dropdown(choices=council_choices, value=[], multiselect=True,
                                               label="Filtrera på råd", elem_id="va-councils",
                                               info="Tomt = alla råd")
                        sources = gr.Dropdown(choices=document_choices, value=[], multiselect=True,
                                              label="Filtrera på dokument", elem_id="va-sources",
                                              info="Tomt = alla dokument")
                        gr.HTML("<div class='va-meta'>Följdfrågor förstås utifrån samtalet "
                                "(t.ex. ”Och när följs det upp?”). Klicka på en källa under svaret för att se "
                                "citatet markerat i sitt sammanhang.</div>")
                conversation = gr.State({"display": [], "history": []})

            with gr.Tab("Dokument", id="dokument"):
                doc_notice = gr.HTML(start_notice)
                doc_table = gr.Dataframe(value=rows, headers=DOC_HEADERS, interactive=False, wrap=True,
                                         column_widths=["17%", "38%", "17%", "11%", "9%", "8%"],
                                         label="Dokument i indexet", elem_id="va-doc-table")
                with gr.Row():
                    with gr.Column(scale=3):
                        doc_select = gr.Dropdown(choices=document_choices, value=None, label="Läs dokument",
                                                 elem_id="va-doc-select")
                        doc_view = gr.HTML(_box("notice", "Välj ett dokument i listan för att läsa det."),
                                           elem_id="va-doc-view", max_height=700)
                    with gr.Column(scale=2):
                        gr.HTML("<h3 style='margin:.2em 0'>Lägg till dokument</h3>"
                                "<div class='va-meta'>PDF, DOCX, MD eller TXT. Dokumentet indexeras direkt och "
                                "blir sökbart utan omstart.</div>")
                        upload_file = gr.File(label="Fil", file_types=UPLOAD_TYPES, type="filepath",
                                              elem_id="va-upload")
                        add_button = gr.Button("Lägg till och indexera", variant="primary", elem_id="va-add")
                        upload_message = gr.HTML("", elem_id="va-upload-message", min_height=40)

            with gr.Tab("Uppföljning", id="uppfoljning"):
                gr.HTML("<h3 style='margin:.2em 0'>Utkast till uppföljning av aktivitetsplanerna</h3>"
                        "<div class='va-meta'>Aktiviteterna hämtas ordagrant ur planerna med ansvarig, tidplan, "
                        "uppföljningsmått och källa; kolumnerna Status och Kommentar fyller du i själv.</div>")
                with gr.Row():
                    with gr.Column(scale=1, min_width=260):
                        sum_councils = gr.Dropdown(choices=plan_choices, value=[], multiselect=True, label="Råd",
                                                   info="Tomt = alla råd", elem_id="va-sum-councils")
                        sum_period = gr.Textbox(label="Period", placeholder="t.ex. Q3 2026, 2026 eller Q1 2027",
                                                info="Tomt = alla datum", max_lines=1, elem_id="va-sum-period")
                        sum_keyword = gr.Textbox(label="Ämne eller fokusområde", placeholder="t.ex. VFU",
                                                 info="Tomt = alla aktiviteter; flera ämnen med komma",
                                                 max_lines=1, elem_id="va-sum-keyword")
                        sum_date_field = gr.Radio(choices=DATE_FIELD_CHOICES, value="any",
                                                  label="Datum som ska ligga inom perioden",
                                                  elem_id="va-sum-date-field")
                        sum_overview = gr.Checkbox(value=False, label="Översikt över råden",
                                                   info="En tabell som ställer rådens aktiviteter sida vid sida",
                                                   elem_id="va-sum-overview")
                        sum_create = gr.Button("Skapa utkast", variant="primary", elem_id="va-sum-create")
                        sum_docx = gr.DownloadButton("Ladda ned Word (DOCX)", visible=False, size="md",
                                                     elem_id="va-sum-docx")
                        sum_csv = gr.DownloadButton("Ladda ned CSV", visible=False, size="md", elem_id="va-sum-csv")
                        sum_md = gr.DownloadButton("Ladda ned Markdown", visible=False, size="md",
                                                   elem_id="va-sum-md")
                    with gr.Column(scale=4):
                        sum_preview = gr.HTML(
                            _box("notice", "Välj råd, period och ämne och klicka på Skapa utkast."),
                            elem_id="va-sum-preview", max_height=900)

            with gr.Tab("Status", id="status") as status_tab:
                gr.HTML("<h3 style='margin:.2em 0'>Indexets status</h3>")
                status_view = gr.HTML(status_html(assistant), elem_id="va-status")
                status_refresh = gr.Button("Uppdatera", elem_id="va-status-refresh")

        chat_inputs = [question, conversation, councils, sources]
        chat_outputs = [chatbot, conversation, question]
        question.submit(ui.respond, chat_inputs, chat_outputs, api_visibility="undocumented", show_progress="hidden")
        send.click(ui.respond, chat_inputs, chat_outputs, api_visibility="undocumented", show_progress="hidden")
        new.click(ui.new_conversation, None, chat_outputs, api_visibility="undocumented", queue=False)
        chatbot.clear(ui.new_conversation, None, chat_outputs, api_visibility="undocumented", queue=False)

        refresh_outputs = [councils, sources, doc_table, doc_select, doc_notice, status_view]
        doc_select.change(ui.show_document, [doc_select], [doc_view], api_visibility="undocumented")
        doc_table.select(ui.select_row, None, [doc_select], api_visibility="undocumented")
        add_button.click(
            ui.upload, [upload_file], [upload_message], api_visibility="undocumented",
            show_progress="full", show_progress_on=[upload_message],
        ).then(
            ui.refresh, [councils, sources, doc_select], refresh_outputs, api_visibility="undocumented",
        ).then(
            ui.summary_councils, [sum_councils], [sum_councils], api_visibility="undocumented",
        ).then(lambda: None, None, [upload_file], api_visibility="undocumented")
        status_tab.select(ui.status, None, [status_view], api_visibility="undocumented")
        status_refresh.click(ui.status, None, [status_view], api_visibility="undocumented")
        demo.load(ui.refresh, [councils, sources, doc_select], refresh_outputs, api_visibility="undocumented")
        demo.load(ui.summary_councils, [sum_councils], [sum_councils], api_visibility="undocumented")

        summary_inputs = [sum_councils, sum_period, sum_keyword, sum_date_field, sum_overview]
        summary_outputs = [sum_preview, sum_docx, sum_csv, sum_md]
        for trigger in (sum_create.click, sum_period.submit, sum_keyword.submit):
            trigger(ui.make_summary, summary_inputs, summary_outputs, api_visibility="undocumented",
                    show_progress="minimal", show_progress_on=[sum_preview])

        gr.api(ui.chat_api, api_name="chat")

    demo.queue(default_concurrency_limit=settings.max_concurrent_requests)
    demo.va_settings = settings  # type: ignore[attr-defined]
    return demo


def launch(demo: gr.Blocks, settings: Settings | None = None, **overrides):
    """Start the server with the app's settings (host, port, auth, CSS); ``overrides`` go to launch()."""
    settings = settings or getattr(demo, "va_settings", None) or get_settings()
    auth = (settings.auth_user, settings.auth_password) if settings.auth_user and settings.auth_password else None
    options = dict(
        server_name=settings.host, server_port=settings.port, auth=auth,
        auth_message="Logga in för att använda Vårdkompetens-assistenten.",
        share=False, ssr_mode=False, mcp_server=False, run_history=False, footer_links=["api", "settings"],
        show_error=False, css=CSS, theme=gr.themes.Default(), max_file_size=settings.max_file_bytes,
    )
    options.update(overrides)
    return demo.launch(**options)


def _print_progress(fraction: float, message: str) -> None:
    print(f"\r[{'#' * int(fraction * 30):<30}] {fraction * 100:5.1f}%  {message[:60]:<60}",
          end="", file=sys.stderr, flush=True)
    if fraction >= 1.0:
        print(file=sys.stderr)


def _warm_up(assistant: Assistant) -> None:
    """Load the index and the embedding model so the first question is fast."""
    try:
        _ = assistant.index
        assistant.embedder.embed_query("uppvärmning")
    except Exception:
        log.warning("warm-up failed", exc_info=True)


def main(argv: list[str] | None = None) -> int:
    """Build the index if missing, then start the web app."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    assistant = Assistant(settings)
    try:
        report = assistant.ensure_index(progress=_print_progress)
    except Exception as exc:
        from assistant.embedding import EmbeddingError

        print(f"Kunde inte förbereda indexet: {user_error(exc)}", file=sys.stderr)
        return 4 if isinstance(exc, EmbeddingError) else 3 if isinstance(exc, IndexError_) else 1
    if report is not None:
        print(f"Index byggt: {report.documents} dokument, {report.chunks} textavsnitt.", file=sys.stderr)
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    demo = build_app(assistant)
    where = f"http://{settings.host}:{settings.port}/"
    print(f"{APP_TITLE} startar på {where}", file=sys.stderr)
    launch(demo, settings)
    return 0
