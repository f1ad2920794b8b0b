"""The web app: rendering (escaping, quote highlighting), handlers, and the running server via gradio_client.

Fast tests use fakes and need no model; tests marked ``slow`` use the session's built index and start the
app on a free loopback port (the network guard in conftest fails them on any non-loopback attempt).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_helpers import (
    QUESTION,
    SODRA_SOURCE,
    UPLOAD_EXPECTED,
    UPLOAD_LITERAL,
    UPLOAD_NAME,
    UPLOAD_QUESTION,
    UPLOAD_TEXT,
    free_port,
    isolated_assistant,
    serve,
)

from assistant.answer.citations import Citation
from assistant.answer.engine import Answer
from assistant.frontends.web.app import (
    Handlers,
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
from assistant.messages import REFUSAL_PHRASE
from assistant.store.errors import IndexNotFound

PROJECT_ROOT = Path(__file__).resolve().parent.parent
pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]


def _progress(*args, **kwargs):
    return None


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


# ------------------------------------------------------------------ fast: rendering and helpers
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


def test_chat_without_index_says_so_in_swedish(settings_factory):
    from assistant.service import Assistant

    assistant = Assistant(settings_factory("ui-no-index"))
    steps = list(Handlers(assistant).respond("Vem ansvarar för VFU?", None, [], []))
    display, conversation, textbox = steps[-1]
    assert "Inget index hittades" in display[-1]["content"] and "va-error" in display[-1]["content"]
    assert textbox == "" and conversation["history"] == []
    api = list(Handlers(assistant).chat_api("Vem ansvarar för VFU?"))
    assert api[-1]["error"] and "Inget index hittades" in api[-1]["answer"]


def test_upload_rejects_bad_type_and_existing_name(settings_factory, tmp_path):
    from assistant.service import Assistant

    assistant = Assistant(settings_factory("ui-upload-errors"))
    handlers = Handlers(assistant)
    exe = tmp_path / "program.exe"
    exe.write_bytes(b"MZ")
    message = handlers.upload(str(exe), progress=_progress)
    assert "va-error" in message and "Filtypen stöds inte (.exe)" in message
    existing = tmp_path / "000_a136ead4faa7fb25.txt"
    existing.write_text("x", encoding="utf-8")
    assert "Det finns redan ett dokument som heter 000_a136ead4faa7fb25.txt" in handlers.upload(str(existing), progress=_progress)
    assert "Välj en fil" in handlers.upload(None, progress=_progress)
    assert not (assistant.settings.corpus_dir / "program.exe").exists()


# ------------------------------------------------------------------ fast: follow-up drafts
EVIL = "<script>alert(1)</script>"


def hand_made_summary(rows: int = 2):
    """A FollowUpSummary as build_summary makes it, with document text that looks like HTML and Markdown."""
    from assistant.answer.citations import Citation as SummaryCitation
    from assistant.followup.summary import CouncilSection, FollowUpSummary, SummaryRow

    made = [SummaryRow(council="RVKR Test", plan=f"Plan {EVIL}", focus_area="VFU & <b>handledning</b>",
                       goal="Mål | med streck", activity=f"Aktivitet {i} {EVIL}", owner="Rådet", contacts="",
                       content="", timeline="Q3 2026", measure="**fet** [x](javascript:alert(1))",
                       follow_up="Q1 2027", source="t.txt", line_start=3 + i, line_end=3 + i, group="VFU")
            for i in range(rows)]
    citation = SummaryCitation(1, "t.txt", f"Plan {EVIL}", "RVKR Test", "", (1, 1), f"Citat {EVIL}")
    section = CouncilSection("RVKR Test", [{"source": "t.txt", "title": f"Plan {EVIL}", "period": "2026"}],
                             [f"Planen är ”Plan {EVIL}” [1]."], made)
    return FollowUpSummary([section] if made else [], [citation] if made else [], ["RVKR Test"],
                           period="Q3 2026" if not made else "")


class FakeSummaryAssistant:
    """An Assistant whose summaries are hand-made; asking a question is an error (drafts skip it)."""

    def __init__(self, summary=None, reply: str | None = None, error: Exception | None = None):
        self._summary, self.reply, self.error = summary, reply, error
        self.calls: list[dict] = []

    def summary(self, **kwargs):
        self.calls.append(kwargs)
        if self.error:
            raise self.error
        return self._summary

    def summary_reply(self, text):
        return self.reply

    def ask(self, *args, **kwargs):
        raise AssertionError("a draft request must not reach the question answering")

    def document_lines(self, source):
        return []


def test_markdown_html_escapes_all_text_and_builds_tables():
    from assistant.followup.summary import markdown_table

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


def test_summary_tab_writes_files_and_reports_problems():
    from assistant.followup.summary import SummaryError

    fake = FakeSummaryAssistant(hand_made_summary())
    handlers = Handlers(fake)
    preview, docx, csv_file, md = handlers.make_summary(["RVKR Test"], " Q3 2026 ", "VFU, handledning", "timeline",
                                                        True)
    assert fake.calls[-1] == {"councils": ["RVKR Test"], "period": "Q3 2026", "keyword": ["VFU", "handledning"],
                              "date_field": "timeline"}
    assert "<script" not in preview and "Översikt" in preview
    assert docx["visible"] and csv_file["visible"] and md["visible"]
    assert Path(docx["value"]).suffix == ".docx" and Path(csv_file["value"]).suffix == ".csv"
    assert EVIL in Path(md["value"]).read_text(encoding="utf-8")  # the file keeps the text as written
    rows = list(csv.DictReader(io.StringIO(Path(csv_file["value"]).read_text(encoding="utf-8-sig"))))
    assert [r["Aktivitet"] for r in rows] == [f"Aktivitet 0 {EVIL}", f"Aktivitet 1 {EVIL}"]

    for summary, error, expected in [
        (hand_made_summary(rows=0), None, "Inga aktiviteter i planerna matchar urvalet"),
        (None, SummaryError("Kunde inte tolka perioden ”hej”."), "Kunde inte tolka perioden"),
        (None, RuntimeError("boom"), "Utkastet kunde inte skapas: Ett oväntat fel inträffade (RuntimeError)"),
    ]:
        preview, docx, csv_file, md = Handlers(FakeSummaryAssistant(summary, error=error)).make_summary(
            [], "hej", "", "any", False)
        assert expected in preview and "Traceback" not in preview and "boom" not in preview
        assert docx == csv_file == md == {"__type__": "update", "value": None, "visible": False}


def test_chat_shows_a_draft_escaped_and_keeps_it_out_of_the_history():
    markdown = f"# Uppföljning\n\n| Aktivitet | Uppföljningsdatum |\n|---|---|\n| {EVIL} | Q1 2027 |\n"
    handlers = Handlers(FakeSummaryAssistant(reply=markdown))
    history = [{"role": "user", "content": "Vem ansvarar för VFU?"}, {"role": "assistant", "content": "Rådet [1]"}]
    steps = list(handlers.respond("Sammanfatta uppföljningen för Test", {"display": [], "history": history}, [], []))
    display, conversation, textbox = steps[-1]
    content = display[-1]["content"]
    assert "va-summary" in content and "<td>Q1 2027</td>" in content
    assert "<script" not in content and "&lt;script&gt;" in content
    assert conversation["history"] == history and textbox == ""
    payloads = list(handlers.chat_api("Sammanfatta uppföljningen för Test"))
    assert len(payloads) == 1
    assert payloads[0]["answer"] == markdown and payloads[0]["summary"] is True and payloads[0]["done"] is True
    assert payloads[0]["citations"] == [] and payloads[0]["abstained"] is False and payloads[0]["error"] is None


def test_app_py_is_a_thin_launcher():
    source = (PROJECT_ROOT / "app.py").read_text(encoding="utf-8")
    assert "from assistant.frontends.web.app import" in source
    assert len(source.splitlines()) < 40


def test_offline_environment_is_set_before_gradio_loads():
    """Importing the web app in a fresh process: the offline variables are set when gradio is imported."""
    code = ("import builtins, os, sys\n"
            "seen = {}\n"
            "real = builtins.__import__\n"
            "def spy(name, *a, **k):\n"
            "    if name == 'gradio' and 'gradio' not in seen:\n"
            "        seen['gradio'] = {key: os.environ.get(key) for key in ('HF_HUB_OFFLINE', 'GRADIO_ANALYTICS_ENABLED', 'ORT_DISABLE_TELEMETRY')}\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = spy\n"
            "import app\n"
            "print(seen['gradio'])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "ORT_DISABLE_TELEMETRY")}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "'HF_HUB_OFFLINE': '1'" in result.stdout and "'GRADIO_ANALYTICS_ENABLED': 'False'" in result.stdout
    assert "'ORT_DISABLE_TELEMETRY': '1'" in result.stdout


# ------------------------------------------------------------------ slow: handlers on the real index
@pytest.mark.slow
def test_ui_respond_streams_html_with_sources(built_assistant):
    steps = list(Handlers(built_assistant).respond(QUESTION, None, [], []))
    contents = [display[-1]["content"] for display, _, _ in steps]
    assert "Söker i dokumenten" in contents[0]
    partial = [c for c in contents if "va-cursor" in c]
    assert len(partial) >= 2, "the answer should arrive in several streamed parts"
    final = contents[-1]
    assert "Rådet" in final and "<details" in final and "<mark>" in final and SODRA_SOURCE in final
    display, conversation, _ = steps[-1]
    assert display[0] == {"role": "user", "content": f"<p>{QUESTION}</p>"}
    assert [m["role"] for m in conversation["history"]] == ["user", "assistant"]
    # a follow-up uses the history
    steps = list(Handlers(built_assistant).respond("Och när följs det upp?", conversation, [], []))
    display, conversation, _ = steps[-1]
    assert len(display) == 4 and len(conversation["history"]) == 4
    assert REFUSAL_PHRASE not in display[-1]["content"]


@pytest.mark.slow
def test_ui_abstains_plainly_with_closest_passages(built_assistant):
    steps = list(Handlers(built_assistant).respond("Vad kostar en parkeringsplats i Kiruna?", None, [], []))
    final = steps[-1][0][-1]["content"]
    assert REFUSAL_PHRASE in final and "Närmaste avsnitt som granskades" in final and "<details" in final


@pytest.mark.slow
def test_status_page_shows_index_facts(built_assistant):
    html = Handlers(built_assistant).status()
    status = built_assistant.status()
    assert "multilingual-e5-small" in html and "inget (inbyggd svarsmotor)" in html
    assert f"<td>{status['documents']}</td>" in html and f"<td>{status['chunks']}</td>" in html
    assert status["index_build"] in html and "Byggtid" in html


@pytest.mark.slow
def test_summary_tab_on_the_real_index(built_assistant):
    from docx import Document

    handlers = Handlers(built_assistant)
    preview, docx, csv_file, md = handlers.make_summary(["RVKR Södra"], "", "", "any", False)
    assert "<table>" in preview and "<td>Q1 2027</td>" in preview and "RVKR Södra" in preview
    document = Document(docx["value"])
    assert len(document.tables) >= 1
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert "Q1 2027" in cells and "Uppföljningsdatum" in cells
    rows = list(csv.DictReader(io.StringIO(Path(csv_file["value"]).read_text(encoding="utf-8-sig"))))
    assert rows and all(r["Råd"] == "RVKR Södra" for r in rows)
    assert any(r["Uppföljningsdatum"] == "Q1 2027" for r in rows)
    assert all(r["Källa"].startswith(SODRA_SOURCE) for r in rows)
    assert Path(md["value"]).read_text(encoding="utf-8").startswith("# Uppföljning av aktivitetsplaner")

    overview, *_ = handlers.make_summary([], "", "VFU", "any", True)
    assert "Översikt: VFU" in overview and "Nationella vårdkompetensrådet" in overview
    period, *_ = handlers.make_summary(["RVKR Södra"], "Q1 2027", "", "follow_up", False)
    assert "period: Q1 2027 (uppföljningsdatum inom perioden)" in period
    none, docx, *_ = handlers.make_summary(["RVKR Södra"], "Q1 2027", "", "timeline", False)
    assert "Inga aktiviteter i planerna matchar urvalet" in none and docx["visible"] is False
    assert handlers.summary_councils(["RVKR Södra", "RVKR Okänd"])["value"] == ["RVKR Södra"]


@pytest.mark.slow
def test_chat_draft_is_shown_but_not_remembered(built_assistant):
    handlers = Handlers(built_assistant)
    steps = list(handlers.respond("Sammanfatta uppföljningen för Södra", None, [], []))
    display, conversation, _ = steps[-1]
    assert "va-summary" in display[-1]["content"] and "<td>Q1 2027</td>" in display[-1]["content"]
    assert conversation["history"] == []
    steps = list(handlers.respond(QUESTION, conversation, [], []))
    display, conversation, _ = steps[-1]
    assert len(display) == 4 and [m["role"] for m in conversation["history"]] == ["user", "assistant"]
    assert "Rådet" in display[-1]["content"] and "<details" in display[-1]["content"]


# ------------------------------------------------------------------ slow: the running app via gradio_client
@pytest.fixture(scope="module")
def app_url(built_assistant):
    with serve(built_assistant) as url:
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=False)


@pytest.mark.slow
def test_api_lists_the_named_chat_endpoint(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert "/chat" in info["named_endpoints"]
    assert [p["parameter_name"] for p in info["named_endpoints"]["/chat"]["parameters"]][:2] == ["question", "history"]


@pytest.mark.slow
def test_api_answers_with_citations(client):
    result = client.predict(QUESTION, [], api_name="/chat")
    assert result["abstained"] is False and result["done"] is True and result["error"] is None
    assert "Rådet" in result["answer"] and "[1]" in result["answer"]
    assert any(c["source"] == SODRA_SOURCE for c in result["citations"])
    first = result["citations"][0]
    assert set(first) >= {"n", "source", "title", "council", "section", "lines", "quote"}
    assert first["council"] == "RVKR Södra" and first["quote"]


@pytest.mark.slow
def test_api_streams_partial_answers(client):
    job = client.submit(QUESTION, "[]", api_name="/chat")
    final = job.result(timeout=300)
    outputs = job.outputs()
    answers = [o["answer"] for o in outputs]
    assert len(outputs) >= 3, f"expected several streamed parts, got {len(outputs)}"
    assert all(final["answer"].startswith(a) for a in answers)
    assert all(len(a) < len(b) for a, b in zip(answers, answers[1:]))
    assert [o["done"] for o in outputs] == [False] * (len(outputs) - 1) + [True]
    assert outputs[-1] == final and final["citations"]


@pytest.mark.slow
def test_api_follow_up_uses_history(client):
    first = client.predict(QUESTION, [], api_name="/chat")
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow = client.predict("Och när följs det upp?", json.dumps(history, ensure_ascii=False), api_name="/chat")
    assert "VFU" in follow["resolved_question"]
    assert follow["abstained"] is False and follow["citations"]


@pytest.mark.slow
def test_api_abstains_and_rejects_empty_questions(client):
    result = client.predict("Vad kostar en parkeringsplats i Kiruna?", [], api_name="/chat")
    assert result["abstained"] is True and REFUSAL_PHRASE in result["answer"] and result["citations"] == []
    assert result["closest"]
    empty = client.predict("   ", [], api_name="/chat")
    assert empty["invalid"] is True and "Skriv en fråga" in empty["answer"]


@pytest.mark.slow
def test_api_returns_a_follow_up_draft(client):
    result = client.predict("Sammanfatta uppföljningen för Södra", [], api_name="/chat")
    assert result["summary"] is True and result["abstained"] is False and result["citations"] == []
    assert result["done"] is True and result["error"] is None
    assert "Q1 2027" in result["answer"] and "Rådet" in result["answer"] and "RVKR Södra" in result["answer"]
    assert result["answer"].startswith("# Uppföljning av aktivitetsplaner")
    question = client.predict(QUESTION, [], api_name="/chat")
    assert question["summary"] is False and question["citations"]


@pytest.mark.slow
def test_api_council_filter(client):
    result = client.predict("Vem ansvarar för VFU-arbetet?", [], ["RVKR Södra"], None, api_name="/chat")
    assert result["citations"] and all(c["council"] == "RVKR Södra" for c in result["citations"])


@pytest.mark.slow
def test_auth_from_settings_is_enforced(built_assistant, tmp_path):
    from gradio_client import Client

    from assistant.service import Assistant

    settings = built_assistant.settings.model_copy(update={"auth_user": "granskare", "auth_password": "hemligt-123"})
    assistant = Assistant(settings)
    assistant._embedder = built_assistant.embedder
    with serve(assistant) as url:
        with pytest.raises(Exception):
            Client(url, verbose=False)
        authed = Client(url, auth=("granskare", "hemligt-123"), verbose=False)
        assert "Rådet" in authed.predict(QUESTION, [], api_name="/chat")["answer"]


@pytest.mark.slow
def test_upload_then_question_finds_the_new_document(built_assistant, tmp_path):
    assistant = isolated_assistant(built_assistant, tmp_path / "iso")
    handlers = Handlers(assistant)
    upload = tmp_path / "up" / UPLOAD_NAME
    upload.parent.mkdir()
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    with serve(assistant) as url:
        from gradio_client import Client

        client = Client(url, verbose=False)
        before = client.predict(UPLOAD_QUESTION, [], api_name="/chat")
        assert not any(c["source"] == UPLOAD_NAME for c in before["citations"])
        message = handlers.upload(str(upload), progress=_progress)
        assert "va-ok" in message and "är nu sökbart" in message
        after = client.predict(UPLOAD_QUESTION, [], api_name="/chat")  # same server, no restart
        assert UPLOAD_EXPECTED in after["answer"]
        assert any(c["source"] == UPLOAD_NAME for c in after["citations"])
    broken = tmp_path / "up" / "trasig.pdf"
    broken.write_bytes(b"%PDF-1.4 not a real pdf")
    message = handlers.upload(str(broken), progress=_progress)
    assert "va-error" in message and "trasig.pdf kunde inte läsas" in message and "Traceback" not in message
    assert not (assistant.settings.corpus_dir / "trasig.pdf").exists()
    view = document_html(assistant, UPLOAD_NAME)
    assert UPLOAD_NAME in view and html.escape(UPLOAD_LITERAL) in view and "<script>" not in view


@pytest.mark.slow
def test_app_py_starts_the_server(built_assistant):
    """`python app.py` with settings from the environment: the index exists, so it only launches."""
    port = free_port()
    env = dict(os.environ, ASSISTANT_CORPUS_DIR=str(built_assistant.settings.corpus_dir),
               ASSISTANT_INDEX_DIR=str(built_assistant.settings.index_dir), ASSISTANT_PORT=str(port),
               ASSISTANT_HOST="127.0.0.1")
    process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, page = time.monotonic() + 180, ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as response:
                    page = response.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(1)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert "Vårdkompetens-assistenten" in page
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
