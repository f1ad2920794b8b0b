"""The web app's event handlers: chat (streaming, drafts, errors), uploads, the Uppföljning tab, status.

Fast tests use fakes or an Assistant without an index; tests marked ``slow`` use the session's built index.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from app_helpers import EVIL, QUESTION, SODRA_SOURCE, add_editor, hand_made_summary, no_progress

from assistant.followup import SummaryError
from assistant.frontends.web import Handlers
from assistant.frontends.web.handlers import ApiInputError, check_api_input
from assistant.messages import API_INPUT_ERRORS, REFUSAL_PHRASE
from assistant.service import Assistant
from assistant.settings import Settings

pytestmark = [  # pandas deprecations raised inside gradio's queue, not by this project
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]


class FakeSummaryAssistant:
    """An Assistant whose summaries are hand-made; asking a question is an error (drafts skip it).

    Chat messages are routed by the real :meth:`Assistant.respond` over the fake's summary_reply and ask.
    """

    respond = Assistant.respond
    settings = Settings()

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


# ------------------------------------------------------------------ fast
def test_chat_without_index_says_so_in_swedish(settings_factory):
    assistant = Assistant(settings_factory("ui-no-index"))
    steps = list(Handlers(assistant).respond("Vem ansvarar för VFU?", None, [], []))
    display, conversation, textbox = steps[-1]
    assert "Inget index hittades" in display[-1]["content"] and "va-error" in display[-1]["content"]
    assert textbox == "" and conversation["history"] == []
    api = Handlers(assistant).chat_api("Vem ansvarar för VFU?")
    assert api["error"] and "Inget index hittades" in api["answer"] and api["done"] is True


def test_upload_rejects_bad_type_and_existing_name(settings_factory, tmp_path):
    assistant = Assistant(settings_factory("ui-upload-errors", database_url=f"sqlite:///{tmp_path / 'app.db'}"))
    editor = add_editor(assistant)  # changing the corpus needs the editor role
    handlers = Handlers(assistant)
    exe = tmp_path / "program.exe"
    exe.write_bytes(b"MZ")
    message = handlers.upload(str(exe), request=editor, progress=no_progress)
    assert "va-error" in message and "Filtypen stöds inte (.exe)" in message
    existing = tmp_path / "000_a136ead4faa7fb25.txt"
    existing.write_text("x", encoding="utf-8")
    assert "Det finns redan ett dokument som heter 000_a136ead4faa7fb25.txt" in handlers.upload(
        str(existing), request=editor, progress=no_progress)
    assert "Välj en fil" in handlers.upload(None, request=editor, progress=no_progress)
    assert not (assistant.settings.corpus_dir / "program.exe").exists()


def test_summary_tab_writes_files_and_reports_problems():
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
    rows = list(csv.DictReader(io.StringIO(Path(csv_file["value"]).read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [r["Aktivitet"] for r in rows] == [f"Aktivitet 0 {EVIL}", f"Aktivitet 1 {EVIL}"]
    # ',' on request (for programs other than Swedish Excel); anything else falls back to ';'
    _, _, comma_file, _ = handlers.make_summary(["RVKR Test"], "", "", "any", False, ",")
    text = Path(comma_file["value"]).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].count(",") > text.splitlines()[0].count(";")
    assert [r["Aktivitet"] for r in csv.DictReader(io.StringIO(text), delimiter=",")][0] == f"Aktivitet 0 {EVIL}"
    _, _, odd_file, _ = handlers.make_summary(["RVKR Test"], "", "", "any", False, "|")
    assert Path(odd_file["value"]).read_text(encoding="utf-8-sig").splitlines()[0].count(";") >= 3

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
    payload = handlers.chat_api("Sammanfatta uppföljningen för Test")
    assert payload["answer"] == markdown and payload["summary"] is True and payload["done"] is True
    assert payload["citations"] == [] and payload["abstained"] is False and payload["error"] is None


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
    rows = list(csv.DictReader(io.StringIO(Path(csv_file["value"]).read_text(encoding="utf-8-sig")), delimiter=";"))
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


def test_api_input_of_the_wrong_type_or_size_is_refused_before_any_work():
    settings = Settings(max_history_messages=3, max_history_message_chars=50, max_filter_values=2)
    check_api_input("Vem ansvarar för VFU?", [{"role": "user", "content": "Hej"}], ["Södra"], None, settings)  # fine
    check_api_input("", '[{"role": "user", "content": "Hej"}]', "Södra", "", settings)  # JSON text and one name
    refused = {
        "question_type": (12345, None, None, None),
        "history_type": ("Vem?", 42, None, None),
        "history_count": ("Vem?", [{"role": "user", "content": "a"}] * 4, None, None),
        "history_chars": ("Vem?", [{"role": "user", "content": "a" * 51}], None, None),
        "filter_type": ("Vem?", None, {"a": 1}, None),
        "filter_count": ("Vem?", None, None, ["a.txt", "b.txt", "c.txt"]),
    }
    for key, args in refused.items():
        with pytest.raises(ApiInputError) as caught:
            check_api_input(*args, settings)
        assert str(caught.value).startswith(API_INPUT_ERRORS[key].split("{")[0]), key


def test_chat_api_answers_misuse_with_the_error_payload(settings_factory):
    handlers = Handlers(Assistant(settings_factory("ui-misuse")))
    for args in ((12345,), ("Vem?", None, {"a": 1}), ("Vem?", [{"role": "user", "content": "y" * 1_000_000}])):
        payload = handlers.chat_api(*args)
        assert payload["error"] and payload["done"] is True and "Traceback" not in payload["answer"]


@pytest.mark.slow
def test_a_huge_draft_request_is_refused_as_too_long(built_assistant):
    # a 4 MB "Sammanfatta uppföljningen …" is refused as too long at once, not parsed as a draft request
    payload = Handlers(built_assistant).chat_api("Sammanfatta uppföljningen för Södra " + "x" * 4_000_000)
    assert payload["invalid"] is True and "för lång" in payload["answer"] and payload["summary"] is False
