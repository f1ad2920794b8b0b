"""The Chatt tab's conversations without a browser: plain-text copies, exports, storing, resuming,
owners and feedback (an in-memory application database; a scripted answer engine)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from docx import Document

from assistant.answer.citations import Citation
from assistant.answer.engine import Answer
from assistant.db import Repository, open_database
from assistant.frontends.web.conversations import (
    ChatSessions,
    conversation_markdown,
    copy_block,
    owner_key,
    plain_text,
    write_conversation_docx,
)
from assistant.frontends.web.handlers import Handlers
from assistant.frontends.web.views import answer_html
from assistant.service import Reply

BROWSER = "0123456789abcdef0123456789abcdef"
CITATION = Citation(1, "plan.txt", "Plan för <Södra>", "RVKR Södra", "VFU", (3, 4), "Rådet ansvarar för VFU.")
LINES = ["# Plan", "", "Rådet ansvarar", "för VFU.", "Slut."]


class ScriptedAssistant:
    """Answers from a script; the history it was given is recorded (the follow-up state)."""

    def __init__(self, repository):
        self.repository = repository
        self.histories: list[list[dict]] = []
        self.settings = SimpleNamespace(document_author="Testförfattare")
        self.index = SimpleNamespace(build_id="build-42")

    def respond(self, text, history=None, councils=None, sources=None):
        self.histories.append(list(history or []))
        if text.startswith("Och"):
            return Reply(kind="answer", answer=Answer(text, "Uppföljning Q1 2027 [1].", abstained=False,
                                                      citations=[CITATION]))
        if "Kiruna" in text:
            return Reply(kind="answer", answer=Answer(text, "Det framgår inte av dokumenten.", abstained=True,
                                                      closest=[CITATION]))
        return Reply(kind="answer", answer=Answer(text, "Rådet ansvarar för VFU [1].\n- VFU-samordnare [1]",
                                                  abstained=False, citations=[CITATION]))

    def document_lines(self, source):
        return LINES if source == "plan.txt" else []

    def unreviewed_sources(self):
        return frozenset()


@pytest.fixture
def repository():
    database = open_database("sqlite:///:memory:")
    yield Repository(database)
    database.dispose()


@pytest.fixture
def sessions(repository, monkeypatch):
    monkeypatch.setattr("assistant.frontends.web.handlers.STREAM_DELAY_S", 0)
    monkeypatch.setattr("gradio.Warning", lambda *a, **k: None)
    monkeypatch.setattr("gradio.Info", lambda *a, **k: None)
    assistant = ScriptedAssistant(repository)
    return ChatSessions(assistant, Handlers(assistant))


def request(username=None):
    return SimpleNamespace(username=username)


def ask(sessions, question, state=None, browser=BROWSER, user=None):
    steps = list(sessions.respond(question, state, [], [], browser, request(user)))
    display, state, text, listing, title = steps[-1]
    return state, listing, title


def test_plain_text_lists_the_sources_under_the_answer():
    answer = Answer("q", "Rådet ansvarar för VFU [1].", abstained=False, citations=[CITATION])
    turn = {"answer": answer.answer, "citations": [c.to_dict() for c in answer.citations]}
    text = plain_text(turn)
    body, sources = text.split("\n\nKällor:\n")
    assert body == "Rådet ansvarar för VFU [1]."
    assert sources.splitlines() == ["[1] Plan för <Södra> · RVKR Södra · avsnitt: VFU · rad 3–4 · fil: plan.txt",
                                    "    ”Rådet ansvarar för VFU.”"]
    block = copy_block(text)
    assert "\n" not in block and "&#10;" in block and "&lt;Södra&gt;" in block  # one HTML line, escaped


def test_refusal_lists_the_closest_passages_with_matching_labels():
    refusal = {"answer": "Det framgår inte av dokumenten.", "citations": [], "closest": [CITATION.to_dict()]}
    assert "Avsnitt 1: Plan för <Södra>" in plain_text(refusal)
    partial = {**refusal, "answer": "Det framgår inte av dokumenten. Närmast: [1]"}
    assert "[1] Plan för <Södra>" in plain_text(partial)


def test_abstained_answers_are_rendered_like_answers():
    fake = ScriptedAssistant(None)
    refusal = answer_html(Answer("q", "Det framgår inte av dokumenten.", abstained=True, closest=[CITATION]), fake)
    assert "Jag hittade inget i dokumenten" in refusal and "Avsnitt 1" in refusal
    partial = Answer("q", "Det framgår inte av dokumenten.\n- Ansvarig: Rådet [1]", abstained=True,
                     citations=[CITATION])
    html = answer_html(partial, fake)
    assert "<li>" in html and "<p>Det framgår inte av dokumenten.</p>" in html  # line breaks and the list kept
    assert "Jag hittade inget i dokumenten" not in html  # it did find something
    assert "Källor" in html and re.search(r'class="va-ref">\[1\]</span> <b>', html)  # the label matches [1]
    marked = answer_html(Answer("q", "Det framgår inte. Närmast [1].", abstained=True, closest=[CITATION]), fake)
    assert "Avsnitt 1" not in marked and re.search(r'class="va-ref">\[1\]</span> <b>', marked)


def test_answers_are_stored_and_the_list_shows_them(sessions, repository):
    state, listing, title = ask(sessions, "Vem ansvarar för VFU?")
    assert title["value"] == "Vem ansvarar för VFU?"
    assert listing["value"] == state["id"] and listing["choices"][0][1] == state["id"]
    messages = repository.conversation_messages(state["id"], f"browser:{BROWSER}")
    assert [m.role for m in messages] == ["user", "assistant"]
    assert messages[1].citations[0]["quote"] == "Rådet ansvarar för VFU." and messages[1].build_id == "build-42"
    assert 'class="va-plain"' in messages[1].display  # the copy text is part of the stored message


def test_resuming_restores_the_follow_up_state(sessions):
    state, _, _ = ask(sessions, "Vem ansvarar för VFU?")
    display, resumed, title, *_ = sessions.resume(state["id"], None, BROWSER, request())
    assert resumed["history"] == state["history"] and len(display) == 2 and title["value"].startswith("Vem")
    resumed_state, _, _ = ask(sessions, "Och när följs det upp?", resumed)
    assert sessions.assistant.histories[-1] == state["history"]  # the follow-up was asked with the old turn
    assert resumed_state["id"] == state["id"]
    assert len(sessions.repository.conversation_messages(state["id"], f"browser:{BROWSER}")) == 4


def test_a_logged_in_user_sees_only_their_own(sessions):
    anna, _, _ = ask(sessions, "Vem ansvarar för VFU?", user="anna")
    ask(sessions, "Vem ansvarar för VFU i Norr?", user="berit")
    assert [value for _, value in sessions.choices(owner_key(request("anna"), BROWSER))] == [anna["id"]]
    # Berit, even in the same browser, can neither open nor delete Anna's conversation
    display, state, *_ = sessions.resume(anna["id"], None, BROWSER, request("berit"))
    assert state.get("id") is None
    sessions.delete(anna["id"], None, BROWSER, request("berit"))
    assert sessions.choices(owner_key(request("anna"), BROWSER))


def test_rename_and_delete(sessions):
    state, _, _ = ask(sessions, "Vem ansvarar för VFU?")
    listing = sessions.rename(state["id"], "VFU Södra", BROWSER, request())
    assert listing["choices"][0][0].startswith("VFU Södra · ")
    display, cleared, listing, title = sessions.delete(state["id"], state, BROWSER, request())
    assert display == [] and cleared["id"] is None and listing["choices"] == []


def test_feedback_is_stored_with_question_answer_citations_and_build(sessions, repository):
    state, _, _ = ask(sessions, "Vem ansvarar för VFU?")
    like = SimpleNamespace(index=1, value=None, liked=False)
    feedback_id, comment_box, *_ = sessions.like(state, BROWSER, like, request())
    assert comment_box["visible"] is True
    sessions.comment(feedback_id, "Fel råd", BROWSER, request())
    (feedback,) = repository.all_feedback()
    assert (feedback.rating, feedback.comment, feedback.question, feedback.build_id) == (
        "down", "Fel råd", "Vem ansvarar för VFU?", "build-42")
    assert feedback.citations[0]["source"] == "plan.txt" and feedback.conversation_id == state["id"]
    sessions.like(state, BROWSER, SimpleNamespace(index=1, value=None, liked=True), request())
    assert [f.rating for f in repository.all_feedback()] == ["up"]  # the same answer rated again
    sessions.like(state, BROWSER, SimpleNamespace(index=1, value=None, liked=None), request())
    assert repository.all_feedback() == []  # withdrawn


def test_export_markdown_and_docx(sessions, tmp_path):
    state, _, _ = ask(sessions, "Vem ansvarar för VFU?")
    state, _, _ = ask(sessions, "Vad kostar parkering i Kiruna?", state)
    markdown = conversation_markdown(state["turns"], "VFU")
    assert "## Fråga 1: Vem ansvarar för VFU?" in markdown and "- VFU-samordnare [1]" in markdown
    assert "> ”Rådet ansvarar för VFU.”" in markdown and "**Närmaste avsnitt som granskades**" in markdown
    path = write_conversation_docx(state["turns"], tmp_path / "k.docx", "VFU", author="Anna")
    document = Document(str(path))
    assert round(document.sections[0].page_width.cm, 1) == 21.0 and document.core_properties.author == "Anna"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Fråga 2: Vad kostar parkering i Kiruna?" in text and "”Rådet ansvarar för VFU.”" in text
    md_button, docx_button = sessions.export(state, "VFU Södra")
    assert md_button["value"].endswith("VFU-Södra.md") and docx_button["value"].endswith(".docx")


def test_no_owner_no_storage(sessions, repository):
    state, listing, _ = ask(sessions, "Vem ansvarar för VFU?", browser="inte ett id")
    assert state["id"] is None and repository.all_feedback() == []
    browser, listing = sessions.load(None, request())
    assert re.fullmatch(r"[0-9a-f]{32}", browser) and listing["choices"] == []


def test_owners():
    assert owner_key(request("Anna"), BROWSER) == owner_key(request("anna"), None) == "user:anna"
    assert owner_key(request(None), BROWSER) == f"browser:{BROWSER}"
    assert owner_key(request(None), "<script>") is None
    # under the one shared login everybody is the same user, so conversations stay per browser
    assert owner_key(request("team"), BROWSER, shared_user="Team") == f"browser:{BROWSER}"
    assert owner_key(request("anna"), BROWSER, shared_user="team") == "user:anna"


def test_a_resumed_refusal_keeps_its_closest_passages_apart(sessions):
    state, _, _ = ask(sessions, "Vad kostar parkering i Kiruna?")
    _, resumed, *_ = sessions.resume(state["id"], None, BROWSER, request())
    (turn,) = resumed["turns"]
    assert turn["citations"] == [] and turn["closest"][0]["source"] == "plan.txt"
    assert "Närmaste avsnitt som granskades:\nAvsnitt 1:" in plain_text(turn)
    assert resumed["history"] == state["history"]
