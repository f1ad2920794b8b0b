"""The Chatt tab in a real browser: copy as plain text, stored conversations, feedback, examples, layout.

Reuses the Chromium + Playwright setup of ``test_browser.py`` (its ``browser`` fixture and the same
offline checks: every request beyond the app is blocked and fails the test, as do JavaScript errors).
The app runs over a private copy of the index with its own application database, so the test can
look at what was stored.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re

import pytest
from app_helpers import QUESTION, isolated_assistant, serve
from argon2 import PasswordHasher
from docx import Document

from assistant.db import Repository, open_database
from assistant.frontends.cli import feedback_command
from assistant.frontends.web.conversations import BROWSER_STORAGE_KEY

from .test_browser import ANSWER_TIMEOUT_MS, ARTIFACTS, browser  # noqa: F401  (the browser fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]

FOLLOW_UP = "Och när följs det upp?"


@pytest.fixture(scope="module")
def chat_app(browser, built_assistant, tmp_path_factory):  # noqa: F811
    assistant = isolated_assistant(built_assistant, tmp_path_factory.mktemp("browser-chat"))
    with serve(assistant) as url:
        yield url, assistant


@pytest.fixture()
def context(browser, chat_app):  # noqa: F811
    url, _ = chat_app
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="sv-SE")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    outside: list[str] = []
    errors: list[str] = []
    origin = url.rstrip("/")

    def route(route_):
        if route_.request.url.startswith((origin, "data:", "blob:")):
            route_.continue_()
        else:
            outside.append(route_.request.url)
            route_.abort()

    context.route("**/*", route)
    context.va_errors = errors  # type: ignore[attr-defined]
    yield context
    context.close()
    assert not outside, f"the page tried to reach beyond the app: {outside[:5]}"
    assert not errors, f"JavaScript errors on the page: {errors[:5]}"


def _open(context, url):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda exc: context.va_errors.append(str(exc)))
    page.goto(url)
    page.wait_for_selector("#va-question textarea")
    # the browser id is known once the page's load event has listed the conversations
    page.wait_for_function("k => Object.keys(localStorage).some(key => key.includes(k))", arg=BROWSER_STORAGE_KEY)
    return page


@pytest.fixture()
def page(context, chat_app):
    return _open(context, chat_app[0])


def _wait_answers(page, count: int) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('#va-chatbot .va-answer').length >= n "
        "&& !document.querySelector('#va-chatbot .va-cursor') && !document.querySelector('#va-chatbot .va-pending')",
        arg=count, timeout=ANSWER_TIMEOUT_MS)


def _ask(page, question: str, answers_before: int) -> None:
    page.fill("#va-question textarea", question)
    page.click("#va-send")
    _wait_answers(page, answers_before + 1)


def test_load_does_not_scroll_and_labels_are_swedish(page):
    assert page.evaluate("window.scrollY") == 0
    assert page.evaluate("document.activeElement && document.activeElement.tagName") != "TEXTAREA"
    # the title, the tabs and the example questions are on screen at 1366×768 without scrolling
    for text in ("Vårdkompetens-assistenten", "Uppföljning", "Vilka län omfattar Mellansverige?"):
        box = page.get_by_text(text).first.bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 768, (text, box)
    page.screenshot(path=str(ARTIFACTS / "chat-start.png"))


def test_copy_gives_plain_text_with_sources(page):
    _ask(page, QUESTION, 0)
    message = page.locator("#va-chatbot .message-row, #va-chatbot .message").filter(
        has=page.locator(".va-answer")).last
    message.hover()
    button = page.locator("#va-chatbot button[aria-label='Kopiera svaret som text']").last
    button.click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.includes('Källor'))")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "<" not in copied and "va-answer" not in copied, copied[:200]
    answer_text, sources = copied.split("\n\nKällor:\n", 1)
    assert "Rådet" in answer_text and "[1]" in answer_text
    assert "[1] " in sources and "RVKR Södra" in sources and "rad " in sources
    assert "”Rådet ska inspireras" in sources  # the quote
    assert page.locator("#va-chatbot .va-plain").first.is_hidden()


def test_conversation_survives_reload_and_is_resumed(context, chat_app):
    url, assistant = chat_app
    page = _open(context, url)
    _ask(page, QUESTION, 0)
    listed = page.locator("#va-conversations label").filter(has_text=QUESTION[:30])
    listed.first.wait_for()
    page.reload()
    page.wait_for_selector("#va-question textarea")
    assert page.locator("#va-chatbot .va-answer").count() == 0
    listed = page.locator("#va-conversations label").filter(has_text=QUESTION[:30])
    listed.first.wait_for()
    listed.first.click()
    _wait_answers(page, 1)
    assert "Rådet" in page.locator("#va-chatbot .va-answer").first.inner_text()
    assert page.locator("#va-conv-title input, #va-conv-title textarea").first.input_value().startswith(QUESTION[:20])
    # the follow-up state came back: "och när följs det upp?" is about the resumed answer
    _ask(page, FOLLOW_UP, 1)
    follow_up = page.locator("#va-chatbot .va-answer").last.inner_text()
    assert "Q1 2027" in follow_up, follow_up
    page.screenshot(path=str(ARTIFACTS / "chat-resumed.png"))

    # rename, then delete; the list follows
    title = page.locator("#va-conv-title input, #va-conv-title textarea").first
    title.fill("VFU i Södra")
    page.click("#va-conv-rename")
    page.locator("#va-conversations label").filter(has_text="VFU i Södra").first.wait_for()
    page.locator("#va-conversations label").filter(has_text="VFU i Södra").first.click()
    page.click("#va-conv-delete")
    page.wait_for_function("() => !document.querySelector('#va-conversations').innerText.includes('VFU i Södra')")
    assert page.locator("#va-chatbot .va-answer").count() == 0


def test_export_markdown_and_docx(page):
    _ask(page, QUESTION, 0)
    page.click("#va-export")
    page.locator("#va-export-md").wait_for(state="visible")
    with page.expect_download() as download:
        page.click("#va-export-md")
    markdown = open(download.value.path(), encoding="utf-8").read()
    assert f"## Fråga 1: {QUESTION}" in markdown and "**Källor**" in markdown and "> ”Rådet ska inspireras" in markdown
    with page.expect_download() as download:
        page.click("#va-export-docx")
    assert download.value.suggested_filename.endswith(".docx")
    text = "\n".join(p.text for p in Document(download.value.path()).paragraphs)
    assert QUESTION in text and "Källor" in text and "Rådet ska inspireras" in text


def test_feedback_is_stored_and_exported(page, chat_app, tmp_path):
    _, assistant = chat_app
    before = len(assistant.repository.all_feedback())
    _ask(page, QUESTION, 0)
    page.locator("#va-chatbot button[aria-label='Dåligt svar']").last.click()
    comment = page.locator("#va-feedback-comment textarea")
    comment.wait_for(state="visible")
    comment.fill("Fel råd i svaret")
    page.click("#va-feedback-save")
    page.wait_for_function("() => document.querySelector('#va-feedback-notice').innerText.includes('Kommentaren är sparad')")
    stored = assistant.repository.all_feedback()
    assert len(stored) == before + 1
    feedback = stored[-1]
    assert (feedback.rating, feedback.comment, feedback.question) == ("down", "Fel råd i svaret", QUESTION)
    assert "Rådet" in feedback.answer and feedback.citations and feedback.citations[0]["quote"]
    assert feedback.build_id == assistant.index.build_id and feedback.message_id is not None

    out = tmp_path / "feedback.jsonl"
    args = argparse.Namespace(action="export", out=str(out), format=None, delimiter=";")
    assert feedback_command(assistant, args, stdout=io.StringIO()) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[-1]["comment"] == "Fel råd i svaret" and rows[-1]["rating"] == "down"
    out_csv = tmp_path / "feedback.csv"
    args = argparse.Namespace(action="export", out=str(out_csv), format=None, delimiter=";")
    assert feedback_command(assistant, args, stdout=io.StringIO()) == 0
    table = list(csv.reader(io.StringIO(out_csv.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert table[-1][table[0].index("Kommentar")] == "Fel råd i svaret"


def test_example_is_sent_on_click(page):
    page.locator("#va-chatbot").get_by_text("Vilka län omfattar Mellansverige?").first.click()
    _wait_answers(page, 1)
    assert page.locator("#va-chatbot").get_by_text("Vilka län omfattar Mellansverige?").count() >= 1
    assert page.locator("#va-question textarea").input_value() == ""


@pytest.fixture(scope="module")
def login_app(browser, built_assistant, tmp_path_factory):  # noqa: F811
    """The app with two users in its database, so everybody logs in with their own name."""
    assistant = isolated_assistant(built_assistant, tmp_path_factory.mktemp("browser-login"))
    database = open_database(assistant.settings.database_url)
    users = Repository(database, password_hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    for name in ("anna", "berit"):
        users.add_user(name, f"{name}-lösenord-1", role="reader")
    database.dispose()
    with serve(assistant) as url:
        yield url, assistant


def _log_in(context, url, name):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda exc: context.va_errors.append(str(exc)))
    page.goto(url)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").first.fill(f"{name}-lösenord-1")
    page.locator("button").filter(has_text=re.compile("Logga in|Login", re.IGNORECASE)).first.click()
    page.wait_for_selector("#va-question textarea")
    page.wait_for_function("k => Object.keys(localStorage).some(key => key.includes(k))", arg=BROWSER_STORAGE_KEY)
    return page


def test_with_a_login_each_user_sees_only_their_own(browser, login_app):  # noqa: F811
    url, _ = login_app
    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}, locale="sv-SE") for _ in range(2)]
    for context in contexts:
        context.va_errors = []  # type: ignore[attr-defined]
    try:
        anna = _log_in(contexts[0], url, "anna")
        _ask(anna, QUESTION, 0)
        anna.locator("#va-conversations label").filter(has_text=QUESTION[:30]).first.wait_for()
        berit = _log_in(contexts[1], url, "berit")
        assert berit.locator("#va-conversations label").count() == 0  # filled with the browser id on load
        _ask(berit, "Vilka län omfattar Mellansverige?", 0)
        berit.locator("#va-conversations label").filter(has_text="Mellansverige").first.wait_for()
        assert QUESTION[:30] not in berit.locator("#va-conversations").inner_text()
        anna.reload()
        anna.locator("#va-conversations label").filter(has_text=QUESTION[:30]).first.wait_for()
        assert "Mellansverige" not in anna.locator("#va-conversations").inner_text()
        for context in contexts:
            assert not context.va_errors, context.va_errors[:5]
    finally:
        for context in contexts:
            context.close()
