"""Questions over the set of activities in a user's own plans: the plan named by its title, the council
named as scope (not as an owner whose name contains it)."""

from __future__ import annotations

import pytest

PRIMARY_CARE_PLAN = """# Handlingsplan för primärvården 2027 – Regionalt vårdkompetensråd Testregionen

Rådet har beslutat om följande aktiviteter för primärvården under 2027.

## Aktiviteter

| Aktivitet | Ansvarig | Tidplan |
|---|---|---|
| Karriärmodell för undersköterskor | Region Testregionen, HR-avdelningen | Q1 2027 |
| Introduktion för läkare utbildade utanför EU | Region Testregionen och lärosätet | Q2 2027 |
| Gemensam annonsering av ST-tjänster | Rådets kansli | Q3 2027 |
| Handledarutbildning i hemsjukvården | Kommunförbundet | Q4 2027 |
"""

OTHER_PLAN = """# Aktivitetsplan 2027 – Regionalt vårdkompetensråd Testregionen

Rådets övriga aktiviteter 2027.

## Aktiviteter

| Aktivitet | Ansvarig | Tidplan |
|---|---|---|
| Kartlägga VFU-platser i tandvården | Arbetsutskottet | Q2 2027 |
| Konferens om språk som resurs | Rådet | Q4 2027 |
"""


def _assistant_over(settings_factory, tmp_path_factory, name: str, files: dict[str, str]):
    """An Assistant with its own index over a corpus of just ``files`` (file name → text)."""
    from assistant.service import Assistant

    corpus = tmp_path_factory.mktemp(name)
    for file_name, text in files.items():
        (corpus / file_name).write_text(text, encoding="utf-8")
    assistant = Assistant(settings_factory(name, corpus=corpus))
    assistant.ingest()
    return assistant


@pytest.fixture(scope="module")
def plans_assistant(settings_factory, model_ready, tmp_path_factory):
    return _assistant_over(settings_factory, tmp_path_factory, "plans",
                           {"handlingsplan_primarvard.md": PRIMARY_CARE_PLAN, "aktivitetsplan_2027.md": OTHER_PLAN})


@pytest.mark.slow
def test_a_plan_named_by_its_title_scopes_the_count_and_the_council_is_no_owner(plans_assistant):
    answer = plans_assistant.ask("Hur många aktiviteter innehåller handlingsplanen för primärvården i Testregionen?")
    assert answer.plan == "aggregate"
    assert answer.answer.startswith("4 aktiviteter")
    assert "Konferens om språk som resurs" not in answer.answer


@pytest.mark.slow
def test_what_a_council_plans_for_a_period_lists_its_activities_then(built_assistant):
    answer = built_assistant.ask("What does Södra plan for Q4 2026?")
    assert answer.plan == "aggregate" and "Nya yrkesroller" in answer.answer  # Södra's only Q4 2026 activity


@pytest.mark.slow
def test_the_council_named_in_a_genitive_is_the_scope_not_an_owner_filter(built_assistant):
    answer = built_assistant.ask("Vilka av nationella rådets aktiviteter pågår hela året?")
    assert "återvända till vårdyrken" in answer.answer and "Följa utvecklingen" in answer.answer
    assert "digital workshop" not in answer.answer  # Kvartal 2 only


@pytest.mark.slow
def test_a_topic_word_reaches_the_corpus_compounds_of_it(built_assistant):
    answer = built_assistant.ask("vilka aktiviteter handlar om forskning i mellansverige")
    assert "forskarskolor" in answer.answer and "Följa forskningen" in answer.answer


TWIN_PLAN = """# Verksamhetsplan 2027 – Regionalt vårdkompetensråd Tvillingregionen

## Aktivitetslista

Mål: Fler handledare i kommunerna
Aktivitet: Sprida goda exempel
Tidpunkt: Kvartal 2
Ansvarig: Rådskansliet

Mål: Bättre introduktion för nyanställda
Aktivitet: Sprida goda exempel
Tidpunkt: Kvartal 4
Ansvarig: Rådskansliet
"""


@pytest.fixture(scope="module")
def twin_assistant(settings_factory, model_ready, tmp_path_factory):
    return _assistant_over(settings_factory, tmp_path_factory, "twins", {"verksamhetsplan_tvilling.md": TWIN_PLAN})


@pytest.mark.slow
def test_two_activities_of_one_name_are_told_apart_by_their_goal(twin_assistant):
    answer = twin_assistant.ask("Vilka aktiviteter har Tvillingregionen 2027?")
    assert answer.plan == "aggregate"
    assert "Fler handledare i kommunerna" in answer.answer and "Bättre introduktion för nyanställda" in answer.answer
    quotes = [citation.quote for citation in answer.citations]  # each line's quote covers the goal it names
    assert any("Fler handledare" in q for q in quotes) and any("Bättre introduktion" in q for q in quotes)


@pytest.mark.slow
def test_a_file_without_catalog_metadata_takes_its_period_from_its_title(twin_assistant):
    # "Verksamhetsplan 2027 – …": the undated rows ("Kvartal 2") are 2027's
    assert twin_assistant.index.documents()["verksamhetsplan_tvilling.md"]["period"] == "2027"
