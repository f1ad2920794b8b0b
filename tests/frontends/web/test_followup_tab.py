"""The follow-up section of the Uppföljning tab (assistant.frontends.web.followup_tab), handler by handler.

The handlers run against a real tracker and database (SQLite and PostgreSQL) over the plans read
straight from the corpus; the service is a small stand-in with the attributes the tab reads
(``index``, ``settings``, ``followup``, ``database_in_use``).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from docx import Document
from followup.conftest import backend_repo, followup_postgres_server  # noqa: F401  (fixtures)
from followup.helpers import SODRA, corpus_view  # noqa: F401  (fixture)

from assistant.followup import FollowupTracker
from assistant.followup.report import status_summary
from assistant.frontends.web.followup_tab import FollowupTab, status_class, status_table_html
from assistant.settings import Settings

EVIL = "<script>alert(1)</script>"


class Service:
    def __init__(self, repository, view, in_use=True, **settings):
        self.index = view
        self.settings = Settings(**settings)
        self.followup = FollowupTracker(repository, view, user="cli-user")
        self._in_use = in_use

    def database_in_use(self) -> bool:
        return self._in_use


@pytest.fixture
def tab(backend_repo, corpus_view):  # noqa: F811
    return FollowupTab(Service(backend_repo, corpus_view, followup_user="Sekretariatet"))


def value(update):
    return update["value"] if isinstance(update, dict) else update


def test_status_classes():
    assert status_class("Ej påbörjad") == "va-st va-st-ej-paborjad"
    assert status_class("") == "va-st va-st-ej-paborjad"
    assert status_class("Försenad") == "va-st va-st-forsenad"


def test_show_lists_each_council_with_its_summary(tab):
    table, chart, selector = tab.show(["RVKR Södra"], "", "", "")
    assert table.count("<tr class=\"va-fu-row") == 8 and "RVKR Södra" in table and "0 av 8 klara" in table
    assert chart.startswith('<img class="va-fu-chart" src="data:image/png;base64,')
    assert len(selector["choices"]) == 8 and selector["value"] is None
    error, _, _ = tab.show(["Atlantis"], "", "", "")
    assert "va-error" in error and "Okänt råd" in error
    bad_period, _, _ = tab.show([], "blåbärssoppa", "", "")
    assert "va-error" in bad_period and "Kunde inte tolka perioden" in bad_period


def test_save_records_a_new_entry_by_the_logged_in_user(tab):
    _, _, selector = tab.show(["RVKR Södra"], "", "", "")
    first, second = (choice[1] for choice in selector["choices"][:2])
    request = SimpleNamespace(username="anna")
    message, table, _, selector, history = tab.save(first, "Pågår", "Workshop bokad", "https://intranät/protokoll",
                                                    "2026-11-20", ["RVKR Södra"], "", "", "", request)
    assert "va-ok" in message and "Pågår" in message and "anna" in message
    assert "va-st-pagar" in table and "Workshop bokad" in table and "2026-11-20, anna" in table
    assert selector["value"] == first and "Historik (1 poster)" in history
    # without a login: settings.followup_user
    message, table, *_ = tab.save(second, "Klar", "", "", "2026-10-05", ["RVKR Södra"], "", "", "", None)
    assert "Sekretariatet" in message and "1 av 8 klar, 1 pågår, 6 ej påbörjade" in table
    # a second entry keeps the first in the history
    tab.save(first, "Försenad", "Lokal saknas", "", "2026-11-25", ["RVKR Södra"], "", "", "", request)
    history, status, comment, evidence, day = tab.select(first)
    assert history.count("<tr><td>") == 2 and "Workshop bokad" in history and "Lokal saknas" in history
    assert value(status) == "Försenad" and comment == "Lokal saknas" and evidence == ""
    assert day == date.today().isoformat()
    # filters: status and focus area
    only_late, _, selector = tab.show(["RVKR Södra"], "", "Försenad", "")
    assert only_late.count("<tr class=\"va-fu-row") == 1 and [c[1] for c in selector["choices"]] == [first]
    entries = tab.assistant.followup.history(first)
    assert [(e.status, e.recorded_by) for e in entries] == [("Pågår", "anna"), ("Försenad", "anna")]


def test_bad_input_is_refused_and_writes_nothing(tab):
    _, _, selector = tab.show(["RVKR Södra"], "", "", "")
    record = selector["choices"][0][1]
    assert "Välj en aktivitet" in tab.save(None, "Klar", "", "", "", [], "", "", "", None)[0]
    assert "Välj en status" in tab.save(record, None, "", "", "", [], "", "", "", None)[0]
    message = tab.save(record, "Klar", "", "", "20 november", [], "", "", "", None)[0]
    assert "va-error" in message and "ÅÅÅÅ-MM-DD" in message
    assert "va-error" in tab.save("rec-finnsinte", "Klar", "", "", "", [], "", "", "", None)[0]
    assert tab.assistant.followup.history(record) == []


def test_the_shared_login_records_under_its_name(tab):
    record = tab.show(["RVKR Södra"], "", "", "")[2]["choices"][0][1]
    message = tab.save(record, "Pågår", "", "", "", [], "", "", "", SimpleNamespace(username="sekretariat"))[0]
    assert "va-ok" in message and tab.assistant.followup.history(record)[0].recorded_by == "sekretariat"


def test_a_reader_may_not_record(tab):
    repository = tab.assistant.followup.repository
    repository.add_user("lasare", "hemligt-lösenord", role="reader")
    repository.add_user("redaktor", "hemligt-lösenord", role="editor")
    _, _, selector = tab.show(["RVKR Södra"], "", "", "")
    record = selector["choices"][0][1]
    refused = tab.save(record, "Klar", "", "", "", [], "", "", "", SimpleNamespace(username="lasare"))[0]
    assert "rollen redaktör" in refused and tab.assistant.followup.history(record) == []
    accepted = tab.save(record, "Klar", "", "", "", [], "", "", "", SimpleNamespace(username="redaktor"))[0]
    assert "va-ok" in accepted and tab.assistant.followup.history(record)[0].recorded_by == "redaktor"
    removed = tab.save(record, "Pågår", "", "", "", [], "", "", "", SimpleNamespace(username="borttagen"))[0]
    assert "rollen redaktör" in removed and len(tab.assistant.followup.history(record)) == 1
    repository.set_disabled("redaktor")
    disabled = tab.save(record, "Pågår", "", "", "", [], "", "", "", SimpleNamespace(username="redaktor"))[0]
    assert "va-error" in disabled and len(tab.assistant.followup.history(record)) == 1


def test_due_view_and_annual_report(tab):
    _, _, selector = tab.show(["RVKR Södra"], "", "", "")
    ids = [choice[1] for choice in selector["choices"]]
    tab.save(ids[1], "Klar", "Klart i oktober", "", "2026-10-05", [], "", "", "", None)
    due = tab.due(["RVKR Södra"], "2026-12-01")
    expected = tab.assistant.followup.due(on=date(2026, 12, 1), council="Södra")
    assert due.count("<tr class=\"va-fu-row\"") == len(expected) and ids[1] not in due
    assert "va-ok" in tab.due(["RVKR Södra"], "2026-01-01") and "va-error" in tab.due([], "igår")

    message, docx, markdown = tab.report(["RVKR Södra"], "", "", "", "2026-12-01")
    rows = tab.assistant.followup.list_status(council="Södra")
    assert "va-ok" in message and status_summary(rows) in message
    assert docx["visible"] and docx["value"].endswith(".docx") and "arsrapport-2026" in docx["value"]
    text = "\n".join(p.text for p in Document(docx["value"]).paragraphs)
    assert f"Sammanfattning: {status_summary(rows)}." in text
    assert "Klart i oktober" in open(markdown["value"], encoding="utf-8").read()
    nothing = tab.report(["RVKR Södra"], "Q1 2031", "", "", "2026-12-01")
    assert "Inga aktiviteter" in nothing[0] and not nothing[1]["visible"]


def test_loading_the_page_creates_no_database(backend_repo, corpus_view):  # noqa: F811
    tab = FollowupTab(Service(backend_repo, corpus_view, in_use=False))
    table, chart, _ = tab.initial([], "", "", "")
    assert "Klicka på Visa" in table and chart == ""
    councils, focus = tab.filter_choices(["RVKR Södra", "Atlantis"], "Finns inte")
    assert councils["value"] == ["RVKR Södra"] and SODRA in councils["choices"]
    assert focus["value"] == "" and ("Kris- och beredskap", "Kris- och beredskap") in focus["choices"]


def test_document_text_is_escaped():
    from assistant.followup.tracking import StatusRow

    row = StatusRow(record_id="rec-1", council="RVKR Test", activity=f"Aktivitet {EVIL}", owner="Rådet & co",
                    timeline="Q3 2026", follow_up="", focus_area="<b>VFU</b>", source="t.txt", plan="Plan")
    html = status_table_html([row])
    assert EVIL not in html and "&lt;script&gt;" in html and "<b>VFU</b>" not in html
