"""Status questions through the service (``Assistant.respond``) over a built index: routed to the
follow-up entries when they ask about statuses, to the answer engine otherwise (slow: builds the index)."""

from __future__ import annotations

import pytest
from app_helpers import isolated_assistant

from assistant.followup import tracking

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def assistant(built_assistant, tmp_path_factory):
    base = tmp_path_factory.mktemp("service-status")
    copy = isolated_assistant(built_assistant, base)
    copy.settings = copy.settings.model_copy(update={"database_url": f"sqlite:///{base / 'app.db'}",
                                                     "followup_user": "Sekretariatet"})
    return copy


def test_status_questions_are_answered_from_the_entries(assistant):
    sodra = assistant.followup.list_status(council="Södra")
    assistant.followup.set_status(sodra[1].record_id, "Försenad", comment="Väntar på underlag",
                                  entry_date="2026-11-02")
    for question in ("Vilka aktiviteter i Södra är försenade?", "vilka aktiviteter i sodra ar forsenade"):
        reply = assistant.respond(question)
        assert reply.kind == "answer" and reply.answer.plan == "followup"
        assert sodra[1].activity in reply.answer.answer and "2026-11-02 av Sekretariatet" in reply.answer.answer
        (citation,) = reply.answer.citations
        assert citation.source == sodra[1].source and citation.quote == sodra[1].activity
    filtered = assistant.respond("Vilka aktiviteter är försenade?", councils=["RVKR Södra"])
    assert "RVKR Södra" in filtered.answer.answer and sodra[1].activity in filtered.answer.answer
    plan_question = assistant.respond("Vem ansvarar för VFU-arbetet i Södra?")
    assert plan_question.kind == "answer" and plan_question.answer.plan != "followup"


def test_without_a_database_nothing_is_created(built_assistant, tmp_path, monkeypatch):
    monkeypatch.setattr(tracking, "PROJECT_ROOT", tmp_path)  # the default database file would be here
    copy = isolated_assistant(built_assistant, tmp_path / "copy")
    copy.settings = copy.settings.model_copy(update={"database_url": None})  # no database configured
    reply = copy.respond("Vad återstår för Mellansverige i år?")
    assert reply.answer.plan == "followup" and "Inga statusar är registrerade" in reply.answer.answer
    assert not (tmp_path / "var").exists() and not list(tmp_path.rglob("*.db"))
