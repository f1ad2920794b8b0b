"""The follow-up workflow in a real browser (Debian's Chromium through Playwright, as test_browser.py):
record statuses for two Södra activities in the Uppföljning tab, reload the page and see them, and
download the annual report as Word: its table and status summary contain them; then ask the chat
which Södra activities are delayed.

The app runs over a private copy of the built index and its own SQLite database in a temporary folder.
The ``browser`` and ``page`` fixtures are test_browser.py's (every request beyond the app is blocked and
fails the test; JavaScript errors fail it too).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_helpers import isolated_assistant, serve
from docx import Document

from frontends.web.test_browser import ANSWER_TIMEOUT_MS, ARTIFACTS, _ask, browser, page  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting:Warning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated:Warning"),
]

FIRST = "Rådet ska inspireras genom goda exempel"
SECOND = "Rådet ska diskutera hur främjas god tillgång till handledarkompetens"


@pytest.fixture(scope="module")
def served(browser, built_assistant, tmp_path_factory):  # noqa: F811
    base = tmp_path_factory.mktemp("browser-followup")
    assistant = isolated_assistant(built_assistant, base)
    assistant.settings = assistant.settings.model_copy(update={"database_url": f"sqlite:///{base / 'app.db'}",
                                                               "followup_user": "Sekretariatet"})
    with serve(assistant) as url:
        yield assistant, url


@pytest.fixture(scope="module")
def app_url(served):
    return served[1]


def _open_tab(page):  # noqa: F811
    page.get_by_role("tab", name="Uppföljning").click()
    page.wait_for_selector("#va-fu-table table", timeout=ANSWER_TIMEOUT_MS)


def _choose_sodra(page):  # noqa: F811
    page.click("#va-fu-councils input")
    page.get_by_role("option").filter(has_text="RVKR Södra").first.click()
    page.keyboard.press("Escape")


def _record(page, activity: str, status: str, comment: str, day: str) -> None:  # noqa: F811
    page.click("#va-fu-activity input")
    page.fill("#va-fu-activity input", activity[:30])
    page.get_by_role("option").filter(has_text=activity[:30]).first.click()
    page.wait_for_function("() => document.querySelector('#va-fu-history') && "
                           "document.querySelector('#va-fu-history').innerText.includes('Historik')")
    page.locator("#va-fu-new-status label").filter(has_text=status).click()
    page.fill("#va-fu-comment textarea", comment)
    page.locator("#va-fu-date").locator("input, textarea").first.fill(day)
    page.click("#va-fu-save")
    page.wait_for_function("text => { const m = document.querySelector('#va-fu-message .va-ok'); "
                           "return !!m && m.innerText.includes(text); }", arg=f"”{status}” registrerad för ”{activity}",
                           timeout=ANSWER_TIMEOUT_MS)


def _row(page, activity: str):  # noqa: F811
    return page.locator("#va-fu-table tr.va-fu-row").filter(has_text=activity).first


def test_record_two_statuses_reload_and_download_the_report(page):  # noqa: F811
    _open_tab(page)
    _choose_sodra(page)
    page.click("#va-fu-show")
    page.wait_for_function("() => document.querySelectorAll('#va-fu-table tr.va-fu-row').length === 8",
                           timeout=ANSWER_TIMEOUT_MS)
    assert "Mellansverige" not in page.locator("#va-fu-table").inner_text()
    assert page.locator("#va-fu-chart img").count() == 1

    _record(page, FIRST, "Pågår", "Två goda exempel insamlade", "2026-11-20")
    _record(page, SECOND, "Försenad", "Väntar på underlag från lärosätena", "2026-11-25")
    assert "2 ej" not in page.locator("#va-fu-table .va-fu-summary").first.inner_text()
    history = page.locator("#va-fu-history").inner_text()
    assert "Väntar på underlag från lärosätena" in history and "Sekretariatet" in history

    page.reload()
    page.wait_for_selector("#va-question textarea")
    _open_tab(page)
    page.wait_for_function("() => document.querySelectorAll('#va-fu-table tr.va-fu-row').length > 8",
                           timeout=ANSWER_TIMEOUT_MS)  # after a reload: every council, with the saved statuses
    first, second = _row(page, FIRST), _row(page, SECOND)
    assert "Pågår" in first.locator(".va-st").inner_text() and "Två goda exempel insamlade" in first.inner_text()
    assert "2026-11-20, Sekretariatet" in first.inner_text()
    assert "Försenad" in second.locator(".va-st").inner_text()
    assert "va-st-forsenad-row" in (second.get_attribute("class") or "")
    page.locator("#va-fu-table").screenshot(path=str(ARTIFACTS / "uppfoljning-status.png"))

    _choose_sodra(page)
    page.get_by_text("Årsrapport", exact=True).click()
    page.locator("#va-fu-report-date").locator("input, textarea").first.fill("2026-12-01")
    page.click("#va-fu-report")
    page.locator("#va-fu-report-docx").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    assert "RVKR Södra: 0 av 8 klara, 1 försenad, 1 pågår, 6 ej påbörjade" in \
        page.locator("#va-fu-report-message").inner_text()
    with page.expect_download() as download:
        page.click("#va-fu-report-docx")
    assert download.value.suggested_filename.endswith(".docx")
    document = Document(str(Path(download.value.path())))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Sammanfattning: 0 av 8 klara, 1 försenad, 1 pågår, 6 ej påbörjade." in text
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    first_row = next(row for row in rows if FIRST in row and "Pågår" in row)
    assert "Två goda exempel insamlade" in first_row and "2026-11-20, Sekretariatet" in first_row
    assert any(SECOND in row and "Försenad" in row and "Väntar på underlag från lärosätena" in row for row in rows)
    assert len(document.inline_shapes) == 1  # the chart
    page.screenshot(path=str(ARTIFACTS / "uppfoljning-arsrapport.png"), full_page=True)


def test_chat_answers_from_the_recorded_statuses(page, served):  # noqa: F811
    """The chat answers a status question from the entries, cited to the plan."""
    tracker = served[0].followup
    second = next(row for row in tracker.list_status(council="Södra") if row.activity == SECOND)
    tracker.set_status(second.record_id, "Försenad", comment="Väntar på underlag från lärosätena",
                       entry_date="2026-11-25")  # as in the test above (when run alone)
    _ask(page, "vilka aktiviteter i sodra ar forsenade", 0)
    answer = page.locator("#va-chatbot .va-answer").last.inner_text()
    assert SECOND in answer and "Försenad" in answer and "2026-11-25 av Sekretariatet" in answer
    assert FIRST not in answer
    citation = page.locator("#va-chatbot details.va-cite").first
    citation.locator("summary").click()
    assert SECOND in citation.locator("mark").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-status.png"))
