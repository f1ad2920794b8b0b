"""The web app in a real browser: Debian's Chromium driven by Playwright (no downloaded browsers).

Screenshots go to test-artifacts/ (git-ignored). Every request the page makes beyond the app's
loopback address is blocked and recorded; a test fails if there were any (the app must work offline).
A missing /usr/bin/chromium or playwright fails the tests with a message saying what to install
(in CI and locally alike); deselect the file explicitly to run without a browser.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import docx
import pytest
from app_helpers import (
    EDITOR_NAME,
    EDITOR_PASSWORD,
    QUESTION,
    SODRA_SOURCE,
    UPLOAD_EXPECTED,
    UPLOAD_LITERAL,
    UPLOAD_NAME,
    UPLOAD_QUESTION,
    UPLOAD_TEXT,
    add_editor,
    isolated_assistant,
    serve,
)
from docx.shared import Cm

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]

PROJECT_ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ANSWER_TIMEOUT_MS = 180_000
INGEST_TIMEOUT_MS = 420_000


def _browser_missing() -> str:
    problems = []
    if not CHROMIUM.exists():
        problems.append(f"{CHROMIUM} saknas (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("Python-paketet playwright saknas (pip install playwright)")
    return "; ".join(problems)


_MISSING = _browser_missing()


@pytest.fixture(scope="module")
def browser():
    if _MISSING:  # a missing browser is a failure everywhere, never a silent skip
        pytest.fail(f"Webbläsartestet kan inte köras: {_MISSING}. Installera det som saknas, eller välj bort "
                    f"webbläsartesterna uttryckligen (pytest --deselect tests/frontends/web/test_browser.py).",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def app_url(browser, built_assistant, tmp_path_factory):
    """The app over a private copy of the built index, so uploads do not touch other tests' index."""
    assistant = isolated_assistant(built_assistant, tmp_path_factory.mktemp("browser"))
    add_editor(assistant)  # uploads need the editor role; the app then asks every visitor to log in
    with serve(assistant) as url:
        yield url


@pytest.fixture()
def page(browser, app_url):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(60_000)
    outside: list[str] = []
    errors: list[str] = []
    origin = app_url.rstrip("/")

    def route(route_):
        url = route_.request.url
        if url.startswith(origin) or url.startswith(("data:", "blob:")):
            route_.continue_()
        else:
            outside.append(url)
            route_.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # log in as the editor (the session cookie is shared by the page)
    assert context.request.post(f"{app_url}login", form={"username": EDITOR_NAME, "password": EDITOR_PASSWORD}).ok
    page.goto(app_url)
    page.wait_for_selector("#va-question textarea")
    yield page
    context.close()
    assert not outside, f"the page tried to reach beyond the app: {outside[:5]}"
    assert not errors, f"JavaScript errors on the page: {errors[:5]}"


def _ask(page, question: str, answers_before: int) -> None:
    page.fill("#va-question textarea", question)
    page.click("#va-send")
    page.wait_for_function(
        "n => document.querySelectorAll('#va-chatbot .va-answer').length > n "
        "&& !document.querySelector('#va-chatbot .va-cursor') && !document.querySelector('#va-chatbot .va-pending')",
        arg=answers_before, timeout=ANSWER_TIMEOUT_MS)


def test_chat_answer_with_citation(page):
    # Record whether a partial (streamed) answer was ever on screen.
    page.evaluate("""() => { window.__sawPartial = false;
        new MutationObserver(() => { if (document.querySelector('#va-chatbot .va-cursor')) window.__sawPartial = true; })
            .observe(document.body, {childList: true, subtree: true}); }""")
    _ask(page, QUESTION, 0)
    answer = page.locator("#va-chatbot .va-answer").last
    assert "Rådet" in answer.inner_text()
    assert re.search(r"\[1\]", answer.inner_text())
    assert page.evaluate("window.__sawPartial"), "the answer should stream in parts"

    citation = page.locator("#va-chatbot details.va-cite").first
    assert "RVKR Södra" in citation.locator("summary").inner_text()
    citation.locator("summary").click()
    mark = citation.locator("mark").first
    mark.wait_for(state="visible")
    assert "Rådet ska inspireras" in mark.inner_text()
    assert SODRA_SOURCE in citation.inner_text()
    # document markup (<b> in the source file) is never rendered as HTML
    assert citation.locator(".va-context b").count() == 0
    page.locator("#va-chatbot").get_by_text(QUESTION).last.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "chat.png"))

    # a follow-up in the same conversation, then a fresh conversation
    _ask(page, "Och när följs det upp?", 1)
    assert page.locator("#va-chatbot .va-answer").count() == 2
    page.screenshot(path=str(ARTIFACTS / "chat-followup.png"))
    page.click("#va-new")
    page.wait_for_function("() => document.querySelectorAll('#va-chatbot .va-answer').length === 0")


def test_abstention_is_plain(page):
    _ask(page, "Vad kostar en parkeringsplats i Kiruna?", 0)
    text = page.locator("#va-chatbot .va-answer").last.inner_text()
    assert "Det framgår inte av dokumenten" in text
    assert page.locator("#va-chatbot .va-sources").last.inner_text().startswith("Närmaste avsnitt som granskades")
    page.screenshot(path=str(ARTIFACTS / "chat-abstain.png"))


def _open_documents(page):
    page.get_by_role("tab", name="Dokument").click()
    page.wait_for_selector("#va-doc-table")
    page.get_by_text(SODRA_SOURCE).first.wait_for()


def _pick_document(page, source: str):
    page.click("#va-doc-select input")
    page.get_by_role("option").filter(has_text=source).first.click()
    page.wait_for_function("s => { const v = document.querySelector('#va-doc-view'); "
                           "return v && v.innerText.includes(s) && v.querySelector('.va-chunk-start'); }", arg=source)


def test_documents_tab(page):
    _open_documents(page)
    _pick_document(page, SODRA_SOURCE)
    view = page.locator("#va-doc-view")
    assert "Textavsnitt 1" in view.inner_text() and "slut på textavsnitt 1" in view.inner_text()
    assert view.locator(".va-doc b").count() == 0
    page.screenshot(path=str(ARTIFACTS / "documents.png"))


def test_status_tab(page):
    page.get_by_role("tab", name="Status").click()
    page.wait_for_selector("#va-status table")
    text = page.locator("#va-status").inner_text()
    assert "multilingual-e5-small" in text and "inget (inbyggd svarsmotor)" in text and "Byggtid" in text
    page.screenshot(path=str(ARTIFACTS / "status.png"))


def test_upload_then_question_finds_it(page, tmp_path):
    upload = tmp_path / UPLOAD_NAME
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    _open_documents(page)
    page.set_input_files("#va-upload input[type=file]", str(upload))
    page.get_by_text(UPLOAD_NAME).first.wait_for()
    page.click("#va-add")
    page.wait_for_selector("#va-upload-message .va-ok, #va-upload-message .va-error", timeout=INGEST_TIMEOUT_MS)
    message = page.locator("#va-upload-message").inner_text()
    assert "är nu sökbart" in message, message
    page.wait_for_function("s => document.querySelector('#va-doc-table').innerText.includes(s)", arg=UPLOAD_NAME)
    _pick_document(page, UPLOAD_NAME)
    view = page.locator("#va-doc-view")
    assert UPLOAD_LITERAL in view.inner_text() and "49" not in view.inner_text()
    assert view.locator("script").count() == 0
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)

    page.get_by_role("tab", name="Chatt").click()
    _ask(page, UPLOAD_QUESTION, 0)
    assert UPLOAD_EXPECTED in page.locator("#va-chatbot .va-answer").last.inner_text()
    citation = page.locator("#va-chatbot details.va-cite").first
    citation.locator("summary").click()
    citation.locator("mark").first.wait_for(state="visible")
    assert UPLOAD_NAME in citation.inner_text()
    assert "(ogranskad uppladdning)" in citation.locator("summary").inner_text()  # nobody has reviewed it yet
    page.screenshot(path=str(ARTIFACTS / "upload-answer.png"))


def test_manage_a_document_in_the_documents_tab(page, tmp_path):
    """Upload with metadata, the ingest report, review, then remove: all as the logged-in editor."""
    name = "hanteringsplan-testdalen.md"
    upload = tmp_path / name
    upload.write_text("# Plan för journalgranskning\n\nJournalgranskningen i Testdalen görs varje kvartal av "
                      "kvalitetsrådet.\n", encoding="utf-8")
    _open_documents(page)
    page.locator("#va-edit").first.wait_for(state="visible")
    assert "redaktör" in page.locator("#va-edit-notice").inner_text()
    page.set_input_files("#va-upload input[type=file]", str(upload))
    page.get_by_text(name).first.wait_for()
    page.get_by_text("Metadata (förifylld").click()
    # the form is prefilled with what the file's text gives; the editor corrects the council
    page.wait_for_function("() => [...document.querySelectorAll('#va-meta-title textarea, #va-meta-title input')]"
                           ".some(e => e.value === 'Plan för journalgranskning')")
    page.fill("#va-meta-council textarea, #va-meta-council input", "RVKR Testdalen")
    page.click("#va-add")
    page.wait_for_selector("#va-upload-message .va-ok, #va-upload-message .va-error", timeout=INGEST_TIMEOUT_MS)
    report = page.locator("#va-upload-message").inner_text()
    assert "är nu sökbart" in report and "RVKR Testdalen" in report and "Aktivitetsposter" in report, report
    page.wait_for_function("s => document.querySelector('#va-doc-table').innerText.includes(s)", arg=name)
    _pick_document(page, name)
    page.locator("#va-manage-info").filter(has_text="Ogranskad").wait_for()
    page.click("#va-review")
    page.wait_for_function("() => (document.querySelector('#va-manage-message') || {}).innerText"
                           "?.includes('markerat som granskat')", timeout=ANSWER_TIMEOUT_MS)
    page.locator("#va-manage-info").filter(has_text="Granskad").wait_for()
    page.locator("#va-remove-box").first.get_by_text("Ta bort", exact=True).click()
    page.check("#va-remove-confirm input")
    page.click("#va-remove")
    page.wait_for_function("() => (document.querySelector('#va-manage-message') || {}).innerText?.includes('togs bort')",
                           timeout=INGEST_TIMEOUT_MS)
    page.wait_for_function("s => !document.querySelector('#va-doc-table').innerText.includes(s)", arg=name)
    page.screenshot(path=str(ARTIFACTS / "documents-managed.png"), full_page=True)


def test_follow_up_tab(page):
    page.get_by_role("tab", name="Uppföljning").click()
    page.wait_for_selector("#va-sum-councils")
    page.click("#va-sum-councils input")
    page.get_by_role("option").filter(has_text="RVKR Södra").first.click()
    page.keyboard.press("Escape")
    page.click("#va-sum-create")
    page.wait_for_selector("#va-sum-preview table", timeout=ANSWER_TIMEOUT_MS)
    preview = page.locator("#va-sum-preview")
    assert "RVKR Södra" in preview.inner_text() and "Mellansverige" not in preview.inner_text()
    table = preview.locator("table").first
    assert "Q1 2027" in table.inner_text() and "Uppföljningsdatum" in table.inner_text()
    assert preview.locator("script").count() == 0
    page.locator("#va-sum-docx").wait_for(state="visible")
    with page.expect_download() as download:
        page.click("#va-sum-csv")
    assert download.value.suggested_filename.endswith(".csv")
    assert "Q1 2027" in Path(download.value.path()).read_text(encoding="utf-8-sig")
    with page.expect_download() as download:
        page.click("#va-sum-docx")
    document = docx.Document(download.value.path())  # A4 landscape, the plan's title in the source column
    section = document.sections[0]
    assert abs(section.page_width - Cm(29.7)) < Cm(0.05) and abs(section.page_height - Cm(21.0)) < Cm(0.05)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(text.startswith("Regionala vårdkompetensrådets verksamhetsplan") and "rad 7" in text for text in cells)
    assert not any(SODRA_SOURCE in text for text in cells)
    page.screenshot(path=str(ARTIFACTS / "uppfoljning.png"))


def test_chat_follow_up_draft(page):
    _ask(page, "Sammanfatta uppföljningen för Södra", 0)
    draft = page.locator("#va-chatbot .va-summary").last
    assert "Q1 2027" in draft.locator("table").first.inner_text()
    assert "Utkastet ingår inte i samtalet" in draft.inner_text()
    draft.locator("h3").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "chat-uppfoljning.png"))


def test_phone_layout_shows_every_tab_and_scrolls_wide_tables(browser, app_url):
    # 390 × 844 (a phone): the four tabs stay in the bar (no "…" menu) and the document table keeps its
    # column widths and scrolls sideways instead of wrapping one letter per line
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="sv-SE")
    try:
        assert context.request.post(f"{app_url}login", form={"username": EDITOR_NAME, "password": EDITOR_PASSWORD}).ok
        page = context.new_page()
        page.goto(app_url)
        page.wait_for_selector("#va-question textarea", timeout=60_000)
        for name in ("Chatt", "Dokument", "Uppföljning", "Status"):
            assert page.get_by_role("tab", name=name).is_visible(), f"tab {name} hidden on a phone"
        page.get_by_role("tab", name="Dokument").click()
        first_cell = page.locator("#va-doc-table th:visible").first
        first_cell.wait_for()
        assert first_cell.bounding_box()["width"] >= 150
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390 + 1  # the page itself does not
        page.screenshot(path=str(ARTIFACTS / "phone-dokument.png"))
        page.get_by_role("tab", name="Uppföljning").click()
        page.wait_for_selector("#va-fu-table")
        page.screenshot(path=str(ARTIFACTS / "phone-uppfoljning.png"))
    finally:
        context.close()
