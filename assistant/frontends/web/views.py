"""Pure rendering for the web app: answers, sources, documents, status, follow-up drafts, API payloads.

No gradio here: every function takes plain values (an :class:`Answer`, a citation, the lines of a
document, an object with the :class:`Assistant` methods it reads) and returns HTML, a dict or text.

Rendering rule: every piece of document text (answers, quotes, titles, sections, file names, lines)
goes through :func:`html.escape` before it is wrapped in markup, so nothing from a document is ever
rendered as HTML. Follow-up drafts (Markdown from :mod:`assistant.followup`) are converted by
:func:`markdown_html`, which escapes every piece of text and emits only its own headings, tables,
lists and paragraphs.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from assistant.answer.citations import Citation
from assistant.answer.engine import Answer
from assistant.embedding import EmbeddingError
from assistant.followup import DATE_FIELDS, render_markdown
from assistant.frontends.web.security import redact_paths
from assistant.ingest.corpus import DocumentError
from assistant.messages import PROVENANCE_NOTES
from assistant.store.errors import IndexError_
from assistant.text import normalize_for_match, strip_markup

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

STREAM_WORDS = 4          # words added per streamed update
CONTEXT_LINES = 2         # lines of context shown around a quote
MAX_SPAN_LINES = 14       # longer cited spans are trimmed around the highlighted quote
KIND_LABELS = {"paragraph": "stycke", "list": "lista", "activity": "aktivitet", "slide": "bild",
               "table": "tabell", "heading": "rubrik"}
#: Swedish labels of the follow-up date fields (assistant.followup.DATE_FIELDS); "any" is listed last.
DATE_FIELD_LABELS = {"timeline": "Tidplan", "follow_up": "Uppföljningsdatum", "any": "Båda"}
DATE_FIELD_CHOICES = [(DATE_FIELD_LABELS.get(field, field), field)
                      for field in [f for f in DATE_FIELDS if f != "any"] + ["any"]]
NO_MATCHES = "Inga aktiviteter i planerna matchar urvalet."


def esc(value: Any) -> str:
    """HTML-escape anything (None becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


# ------------------------------------------------------------------ errors
def user_error(exc: BaseException) -> str:
    """A Swedish message for the user; never a traceback, never an absolute server path."""
    if isinstance(exc, (IndexError_, EmbeddingError, DocumentError, FileExistsError, ValueError)) and str(exc):
        return redact_paths(str(exc))
    if isinstance(exc, PermissionError):
        return "Filen kunde inte sparas: behörighet saknas."
    if isinstance(exc, OSError):
        return f"Ett fil- eller systemfel inträffade ({type(exc).__name__}). Försök igen."
    return (f"Ett oväntat fel inträffade ({type(exc).__name__}). Försök igen, och kontakta "
            "administratören om felet kvarstår.")


def box(kind: str, text: str) -> str:
    """A message box (``kind``: notice, error or ok) with the text escaped."""
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
        return box("notice", "Dokumentets text finns inte i det aktiva indexet.")
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


def unreviewed_sources(assistant: Any) -> frozenset[str]:
    """The documents whose citations carry the "unreviewed upload" note (empty when it cannot be told)."""
    try:
        return frozenset(assistant.unreviewed_sources())
    except Exception:  # a fake or an unreadable catalog: no notes rather than no answer
        return frozenset()


def unreviewed_note(language: str = "sv") -> str:
    """The note next to a citation of an unreviewed upload: "(ogranskad uppladdning)"."""
    note = PROVENANCE_NOTES["unreviewed"]
    return f"({note.get(language, note['sv'])})"


def citation_html(citation: Citation, lines: list[str], label: str | None = None, open_: bool = False,
                  unreviewed: bool = False) -> str:
    """One source as a collapsible block: title, council, section, lines, quote in context; ``unreviewed``
    adds the note that the document is an upload nobody has reviewed."""
    a, b = citation.lines
    span = f"rad {a}" if a == b else f"rad {a}–{b}"
    head = label if label is not None else f"[{citation.n}]"
    note = (f' <span class="va-unreviewed" title="Dokumentet är uppladdat och ännu inte granskat av en redaktör.">'
            f"{esc(unreviewed_note())}</span>") if unreviewed else ""
    summary = (f'<span class="va-ref">{esc(head)}</span> <b>{esc(citation.title or citation.source)}</b>{note}'
               f" · {esc(citation.council or 'okänt råd')} · {esc(span)}")
    meta = (f'<div class="va-meta">Avsnitt: {esc(citation.section or "–")} · Fil: {esc(citation.source)}'
            f" · {esc(span)}</div>")
    return (f'<details class="va-cite"{" open" if open_ else ""}><summary>{summary}</summary>{meta}'
            f"{context_html(lines, a, b, citation.quote)}</details>")


def sources_html(assistant: Assistant, citations: list[Citation], title: str, labels: bool = True) -> str:
    if not citations:
        return ""
    blocks = []
    unreviewed = unreviewed_sources(assistant)
    for i, citation in enumerate(citations, 1):
        try:
            lines = assistant.document_lines(citation.source)
        except Exception:  # the index may be switching; show the quote without context
            lines = []
        blocks.append(citation_html(citation, lines, None if labels else f"Avsnitt {i}",
                                    unreviewed=citation.source in unreviewed))
    return f'<div class="va-sources"><div class="va-sources-title">{esc(title)}</div>{"".join(blocks)}</div>'


def answer_html(answer: Answer, assistant: Assistant, partial: str | None = None,
                councils: list[str] | None = None, sources: list[str] | None = None) -> str:
    """The chat message for an answer; ``partial`` renders a streamed prefix (sources come last)."""
    if answer.invalid:
        return box("notice", answer.answer)
    if partial is not None and partial != answer.answer:
        return f'<div class="va-answer">{answer_body_html(partial, cursor=True)}</div>'
    if answer.abstained:
        # Formatted like any answer (lines, lists, markers). A partial answer (the refusal plus what the
        # documents do say, with markers) lists its own citations under "Källor"; a plain refusal says so
        # and lists the closest passages, labelled [n] only when the text refers to them by number.
        parts = [f'<div class="va-answer va-abstained">{answer_body_html(answer.answer)}']
        if not answer.citations:
            parts.append("<p>Jag hittade inget i dokumenten som besvarar frågan, så jag svarar inte.</p>")
        if councils or sources:
            parts.append('<p class="va-notice">Obs: sökningen var begränsad av filtren. '
                         "Prova att ta bort dem.</p>")
        parts.append("</div>")
        if answer.citations:
            parts.append(sources_html(assistant, answer.citations, "Källor"))
        elif answer.closest:
            parts.append(sources_html(assistant, answer.closest, "Närmaste avsnitt som granskades",
                                      labels=bool(cited_numbers(answer.answer))))
        return "".join(parts)
    body = f'<div class="va-answer">{answer_body_html(answer.answer)}</div>'
    return body + sources_html(assistant, answer.citations, "Källor")


def answer_payload(answer: Answer, partial: str | None = None, unreviewed: frozenset[str] | set[str] = frozenset()) -> dict:
    """The API result: the whole answer, or a streamed prefix with the citations it mentions so far.

    Each citation carries ``unreviewed``: True when it cites an upload nobody has reviewed yet."""
    data = answer.to_dict()
    text = answer.answer if partial is None else partial
    numbers = cited_numbers(text)
    citations = data["citations"] if partial is None else [c for c in data["citations"] if c["n"] in numbers]
    citations = [{**c, "unreviewed": c["source"] in unreviewed} for c in citations]
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
    return box("notice", f"{NO_MATCHES} Urval – {'; '.join(selection)}. Prova en annan period, ett annat "
                         "datumfält, fler råd eller ett annat ämne.")



# ------------------------------------------------------------------ documents and status
def documents_rows(assistant: Assistant) -> list[list]:
    unreviewed = unreviewed_sources(assistant)
    return [[d["source"], d.get("title", ""), d.get("council", ""), d.get("doc_type", ""), d.get("period", ""),
             d.get("chunks", 0), "ogranskad" if d["source"] in unreviewed else "granskad"]
            for d in assistant.documents()]


DOC_HEADERS = ["Fil", "Titel", "Råd", "Typ", "Period", "Textavsnitt", "Granskning"]


def provenance_text(entry: dict) -> str:
    """Who added a document and whether it is reviewed, in one Swedish line."""
    added = ", ".join(part for part in (entry.get("added_by"), (entry.get("added_at") or "")[:10]) if part)
    if entry.get("reviewed", True):
        reviewed = ", ".join(part for part in (entry.get("reviewed_by"), (entry.get("reviewed_at") or "")[:10]) if part)
        text = "Granskad" + (f" ({reviewed})" if reviewed else "")
    else:
        text = "Ogranskad uppladdning: svar som citerar dokumentet märks så tills en redaktör har granskat det"
    return text + (f" · tillagd av {added}" if added else "")


def ingest_report_html(report: dict, verb: str = "lades till") -> str:
    """The per-document ingest report after an upload or a replacement: what the index made of the file."""
    kinds = ", ".join(f"{count} {KIND_LABELS.get(kind, kind)}" for kind, count in report.get("chunks_by_kind", {}).items())
    facts = [
        ("Titel", report.get("title") or "–"), ("Råd", report.get("council") or "inget råd utläst"),
        ("Typ", report.get("doc_type") or "–"), ("Period", report.get("period") or "–"),
        ("Textavsnitt", f"{report.get('chunks', 0)}" + (f" ({kinds})" if kinds else "")),
        ("Aktivitetsposter", str(report.get("records", 0))),
    ]
    rows = "".join(f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in facts)
    seconds = report.get("seconds")
    head = (f"{report['source']} {verb} och är nu sökbart i chatten"
            + (f" (indexeringen tog {seconds:.1f} s)." if seconds is not None else "."))
    warnings = "".join(f"<li>{esc(text)}</li>" for text in report.get("warnings", []))
    return (box("ok", head) + f'<table class="va-report">{rows}</table>'
            + (f'<div class="va-notice"><b>Varningar</b><ul>{warnings}</ul></div>' if warnings else "")
            + f'<div class="va-meta">{esc(provenance_text(report))}</div>')


def document_html(assistant: Assistant, source: str | None) -> str:
    """The document's lines with chunk boundaries (kind, line span, section) marked."""
    if not source:
        return box("notice", "Välj ett dokument i listan för att läsa det.")
    meta = next((d for d in assistant.documents() if d["source"] == source), None)
    if meta is None:
        return box("error", f"Dokumentet {source} finns inte i indexet.")
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
        return box("error", user_error(exc))
    rows = []
    if info.get("index"):
        rows.append(f'<tr><th>Index</th><td><div class="va-error">{esc(redact_paths(info["index"]))}</div></td></tr>')
    for key, label in STATUS_LABELS:
        if key in info:
            rows.append(f"<tr><th>{esc(label)}</th><td>{esc(_status_value(key, info[key]))}</td></tr>")
    settings = assistant.settings
    rows.append(f"<tr><th>Samtidiga förfrågningar</th><td>{esc(settings.max_concurrent_requests)}</td></tr>")
    return f'<div class="va-status"><table>{"".join(rows)}</table></div>'
