"""The web app's rendering: escaping, quote highlighting, documents, follow-up drafts, payload helpers.

All fast: fakes stand in for the Assistant, no model and no gradio server.
"""

from __future__ import annotations

import json

from app_helpers import EVIL, hand_made_summary

from assistant.answer.citations import Citation
from assistant.answer.engine import Answer
from assistant.followup import DATE_FIELDS, markdown_table
from assistant.frontends.web.views import (
    DATE_FIELD_CHOICES,
    answer_body_html,
    answer_html,
    context_html,
    document_html,
    locate_quote,
    markdown_html,
    plain_history,
    stream_prefixes,
    summary_preview_html,
    table_cells,
    user_error,
)
from assistant.store.errors import IndexNotFound


class FakeAssistant:
    """Just enough of Assistant for the renderers."""

    def __init__(self, lines: dict[str, list[str]], chunks: dict[str, list[dict]] | None = None, meta=None):
        self.lines, self.chunks, self.meta = lines, chunks or {}, meta or {}

    def document_lines(self, source):
        return self.lines.get(source, [])

    def document_chunks(self, source):
        return self.chunks.get(source, [])

    def documents(self):
        return [{"source": s, **self.meta.get(s, {})} for s in self.lines]


# ------------------------------------------------------------------ rendering and helpers
def test_stream_prefixes_grow_to_the_full_text():
    text = "Rådet ansvarar för VFU [1]\nRVKR Södra – ”Rådet ska diskutera handledarkompetens”: Genomförande Rådet [2]"
    prefixes = stream_prefixes(text)
    assert len(prefixes) >= 3
    assert prefixes[-1] == text
    assert all(text.startswith(p) for p in prefixes)
    assert all(len(a) < len(b) for a, b in zip(prefixes, prefixes[1:]))
    assert stream_prefixes("Kort.") == ["Kort."]


def test_plain_history_accepts_gradio6_messages_json_and_pairs():
    gradio6 = [{"role": "user", "content": [{"type": "text", "text": "Vem ansvarar för VFU?"}]},
               {"role": "assistant", "content": "Rådet [1]", "metadata": None}]
    assert plain_history(gradio6) == [{"role": "user", "content": "Vem ansvarar för VFU?"},
                                      {"role": "assistant", "content": "Rådet [1]"}]
    assert plain_history(json.dumps(gradio6)) == plain_history(gradio6)
    assert plain_history([["Fråga", "Svar"]]) == [{"role": "user", "content": "Fråga"},
                                                  {"role": "assistant", "content": "Svar"}]
    assert plain_history(None) == [] and plain_history("") == [] and plain_history("[]") == []


def test_document_text_is_escaped_everywhere():
    lines = ["Inledning", "Kostnaden är < 5 & > 2 kr per \"plats\".", "Slut"]
    fake = FakeAssistant({"a.txt": lines})
    citation = Citation(1, "a.txt", "<img src=x onerror=alert(1)>", "RVKR <b>Test</b>", "<i>Avsnitt</i>", (2, 2),
                        "Kostnaden är < 5 & > 2 kr")
    answer = Answer("fråga", "Svaret <script>alert(1)</script> [1]", abstained=False, citations=[citation])
    out = answer_html(answer, fake)
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<img" not in out and "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "<b>Test</b>" not in out and "&lt;b&gt;Test&lt;/b&gt;" in out
    assert "<mark>Kostnaden är &lt; 5 &amp; &gt; 2 kr</mark>" in out
    assert '<span class="va-ref">[1]</span>' in out
    assert "<details" in out and "Källor" in out


def test_quote_is_highlighted_across_lines_and_hyphen_breaks():
    lines = ["Före.", "Rådet ska stärka verksam-", "hetsförlagd   utbildning i hela regionen.", "Efter."]
    marks = locate_quote(lines, 2, 3, "stärka verksamhetsförlagd utbildning")
    assert set(marks) == {2, 3}
    assert lines[1][slice(*marks[2])] == "stärka verksam"
    assert lines[2][slice(*marks[3])] == "hetsförlagd   utbildning"
    html = context_html(lines, 2, 3, "stärka verksamhetsförlagd utbildning")
    assert "<mark>stärka verksam</mark>-" in html
    assert "Före." in html and "Efter." in html  # context lines around the span


def test_quote_not_found_is_still_shown_marked():
    html = context_html(["En rad."], 1, 1, "Något helt annat")
    assert "Citat: <mark>Något helt annat</mark>" in html


def test_markup_in_document_lines_is_stripped_then_escaped():
    lines = ["<b>Rubrik</b>\tRådet & <u>parterna</u>"]
    html = context_html(lines, 1, 1, "Rådet & parterna")
    assert "<b>" not in html and "<u>" not in html
    assert "<mark>Rådet &amp; parterna</mark>" in html


def test_answer_body_renders_lists_and_markers():
    html = answer_body_html("Fokusområden:\n- Ett [1]\n- Två [2]")
    assert "<ul><li>Ett <span class=\"va-ref\">[1]</span></li><li>Två" in html


def test_document_view_shows_chunk_boundaries_escaped():
    lines = ["# Titel", "", "Första <stycket> & mer.", "Andra stycket."]
    chunks = [{"lines": [3, 3], "kind": "paragraph", "section": "Titel > <Del>", "text": "Första stycket & mer."},
              {"lines": [4, 4], "kind": "activity", "section": "Titel", "text": "Andra stycket."}]
    fake = FakeAssistant({"d.md": lines}, {"d.md": chunks}, {"d.md": {"title": "T <x>", "council": "RVKR Test"}})
    html = document_html(fake, "d.md")
    assert "Textavsnitt 1 · stycke · rad 3 · Titel &gt; &lt;Del&gt;" in html
    assert "Textavsnitt 2 · aktivitet · rad 4" in html
    assert "slut på textavsnitt 1" in html
    assert "&lt;stycket&gt; &amp; mer." in html or "Första  &amp; mer." in html
    assert "<x>" not in html and "T &lt;x&gt;" in html
    assert "va-uncovered" in html  # the heading line belongs to no chunk
    assert "finns inte i indexet" in document_html(fake, "saknas.txt")


def test_user_errors_are_swedish_and_without_tracebacks():
    assert user_error(IndexNotFound("Inget index hittades i /x.")) == "Inget index hittades i /x."
    message = user_error(RuntimeError("boom\nTraceback (most recent call last)"))
    assert "oväntat fel" in message and "Traceback" not in message


# ------------------------------------------------------------------ follow-up drafts
def test_markdown_html_escapes_all_text_and_builds_tables():
    cells = ["a | b", "back\\slash", EVIL, "[1] & **x**"]
    markdown = ("# Rubrik <i>x</i>\n\nStycke med " + EVIL + " [2].\n\n"
                + markdown_table(["H1", "H2", "H3", "H4"], [cells]) + "\n\n## Källor\n\n[1] Källa <b>\n[2] Annan")
    assert table_cells(markdown_table(["x"], [cells]).splitlines()[2]) == cells  # "|" and "\\" round-trip
    out = markdown_html(markdown)
    assert "<script" not in out and "<i>" not in out and "<b>" not in out
    assert out.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert "<h3>Rubrik &lt;i&gt;x&lt;/i&gt;</h3>" in out and "<h4>Källor</h4>" in out
    assert "<th>H1</th>" in out and "<td>a | b</td>" in out and "<td>back\\slash</td>" in out
    assert "**x**" in out and "<strong>" not in out  # Markdown emphasis in document text stays literal
    assert '<span class="va-ref">[2]</span>' in out
    assert "\n\n" not in out  # one HTML block: the chatbot's Markdown leaves it alone


def test_summary_preview_escapes_document_text():
    summary = hand_made_summary()
    for overview in (False, True):
        out = summary_preview_html(summary, overview=overview)
        assert "<script" not in out and "<b>" not in out and "<a " not in out and "href" not in out
        assert "Aktivitet 0 &lt;script&gt;alert(1)&lt;/script&gt;" in out
        assert "<td>Q1 2027</td>" in out and "<table>" in out and "2 aktiviteter från 1 råd" in out
        assert ("Översikt" in out) is overview


def test_date_field_choices_cover_the_follow_up_date_fields_with_swedish_labels():
    assert DATE_FIELD_CHOICES == [("Tidplan", "timeline"), ("Uppföljningsdatum", "follow_up"), ("Båda", "any")]
    assert sorted(value for _, value in DATE_FIELD_CHOICES) == sorted(DATE_FIELDS)
