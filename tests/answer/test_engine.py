"""The answer engine's plans on the real corpus: typed questions, definitions, aggregates, conversations,
two-part questions, absent facts. Expected values are read off the documents in corpus/."""

from __future__ import annotations

import re

import pytest

from assistant.answer.definition import described_subject
from assistant.answer.engine import split_question
from assistant.messages import REFUSAL_PHRASE


def test_split_question_into_its_parts():
    assert split_question("Vem är kontakt för X i Mellansverige, och när ska Södra arbeta med Y?") == \
        ["Vem är kontakt för X i Mellansverige", "när ska Södra arbeta med Y?"]
    assert split_question("Who owns it and when is it followed up?") == ["Who owns it", "when is it followed up?"]
    assert split_question("Vem ansvarar för VFU och handledning i Södra?") == ["Vem ansvarar för VFU och handledning i Södra?"]


def _markers_resolve(answer) -> bool:
    numbers = {c.n for c in answer.citations}
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} <= numbers


@pytest.mark.slow
def test_typed_without_diacritics_and_with_a_slip(built_assistant):
    answer = built_assistant.ask("vem ar kontakt for sprakkraven i mellansverge")
    assert not answer.abstained
    assert "Jesper" in answer.answer  # Mellansverige's row on språkkrav: "Kontakt: Jesper"
    assert answer.resolved_question.startswith("vem är kontakt för")
    assert _markers_resolve(answer)


@pytest.mark.slow
def test_definition_from_the_defining_passage(built_assistant):
    answer = built_assistant.ask("Vad står VFU för?")
    assert answer.plan == "definition" and not answer.abstained
    assert "verksamhetsförlagd utbildning" in answer.answer.lower()
    assert "(VFU)" in answer.citations[0].quote
    english = built_assistant.ask("what does AKS stand for")
    assert "avancerade roller för sjuksköterskor" in english.answer


@pytest.mark.slow
def test_aggregate_counts_and_lists_each_activity(built_assistant):
    answer = built_assistant.ask("Hur många av Södras aktiviteter pågår hela året?")
    assert answer.plan == "aggregate"
    # Södra's table: Q1-Q4 2026 (three rows) and Q1-4 2026 (one row)
    assert answer.answer.startswith("4 aktiviteter")
    assert len(answer.citations) == 4 and _markers_resolve(answer)
    assert all("Q1" in c.quote for c in answer.citations)


@pytest.mark.slow
def test_aggregate_missing_field_and_owner(built_assistant):
    answer = built_assistant.ask("Vilka av arbetsutskottets aktiviteter i Mellansverige saknar kontaktperson?")
    assert answer.plan == "aggregate"
    assert "Samverka med övriga regionala vårdkompetensråd" in answer.answer
    assert "Jesper" not in answer.answer and "Pia Linde" not in answer.answer


@pytest.mark.slow
def test_conversation_keeps_the_set_and_swaps_the_period(built_assistant):
    history = ["vilka aktiviteter har sodra under q3"]
    first = built_assistant.ask(history[0])
    assert first.plan == "aggregate" and "handledarkompetens" in first.answer
    follow = built_assistant.ask("och q2?", history=history)
    assert follow.plan == "aggregate"
    assert "RVKR Västra" in follow.answer and "handledarkompetens" not in follow.answer


@pytest.mark.slow
def test_conversation_another_field_of_the_same_activity(built_assistant):
    history = ["Vem ansvarar för den digitala workshoppen om förenade anställningar i nationella rådets plan?"]
    follow = built_assistant.ask("Och när?", history=history)
    assert not follow.abstained
    assert "Kvartal 2" in follow.answer


@pytest.mark.slow
def test_history_with_assistant_turns_gives_the_same_answer(built_assistant):
    question = "vilka aktiviteter har sodra under q3"
    first = built_assistant.ask(question)
    only_user = built_assistant.ask("och q2?", history=[question])
    with_answers = built_assistant.ask("och q2?", history=[{"role": "user", "content": question},
                                                          {"role": "assistant", "content": first.answer}])
    assert only_user.answer == with_answers.answer


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Hur många deltagare väntas på workshoppen om förenade anställningar?",
    "Vilken dag hålls konferensen hösten 2026?",
    "Vad är e-postadressen till kontaktpersonen för språkkraven?",
    "Vilken budget har de praktiknära forskarskolorna för sjuksköterskor?",
    # the text gives a planning basis, not a number of posts (a citation marker "[1]" is no number either)
    "Hur många ST-tjänster i allmänmedicin behövs enligt rekommendationen i regeringsuppdraget om primärvården?",
])
def test_absent_facts_of_the_asked_kind_abstain(built_assistant, question):
    answer = built_assistant.ask(question)
    assert answer.abstained and REFUSAL_PHRASE in answer.answer


@pytest.mark.slow
def test_two_part_question_answers_both_parts(built_assistant):
    answer = built_assistant.ask("Vem ansvarar för den digitala workshoppen i nationella rådets plan, och när ska Södra "
                                 "arbeta med språk som resurs?")
    assert answer.plan == "parts" and _markers_resolve(answer)
    assert "Q3 2026" in answer.answer  # Södra: språk som resurs, Q3 2026
    assert "rådskansliet" in answer.answer.lower()


@pytest.mark.slow
def test_an_abbreviation_the_documents_never_spell_out_is_not_answered_with_a_sentence_using_it(built_assistant):
    # Mellansverige's plan mentions SKR ("SKR har nätverk …") but nowhere says what it stands for.
    answer = built_assistant.ask("vad star SKR for")
    assert answer.abstained and answer.plan == "refusal"
    assert built_assistant.ask("Vad står VFU för?").plan == "definition"


@pytest.mark.slow
def test_a_sentence_that_introduces_a_list_brings_its_items(built_assistant):
    # Södra: "Rådet har fem prioriterade områden för verksamhetsperioden 2026–2028:" + five lines
    answer = built_assistant.ask("Vilka fem prioriterade områden har Södra för 2026–2028?")
    assert not answer.abstained
    for area in ("Verksamhetsförlagd utbildning i förnyelse", "Kris- och beredskap", "Språk som resurs"):
        assert area in answer.answer
    assert _markers_resolve(answer)


@pytest.mark.slow
def test_a_typed_compound_the_documents_lack_reaches_their_compounds(built_assistant):
    # "språkfrågorna" occurs nowhere; Mellansverige's row on "språkkrav" has "Kontakt: Jesper"
    answer = built_assistant.ask("Vem är kontaktperson för språkfrågorna i Mellansverige?")
    assert not answer.abstained and "Jesper" in answer.answer


def test_the_described_subject_of_a_what_is_question():
    known = ["Nationella vårdkompetensrådet", "RVKR Mellansverige", "RVKR Södra"]
    stems, council, according = described_subject("Vad för slags forum är Regionala vårdkompetensrådet Mellansverige?", known)
    assert council == "RVKR Mellansverige" and stems == ["regional", "vårdkompetensråd"]
    stems, council, according = described_subject("Vad är Nationella vårdkompetensrådet enligt Södras verksamhetsplan?", known)
    assert council is None and according == ["RVKR Södra"] and "vårdkompetensråd" in stems
    assert described_subject("wat is nvkr", known)[0] == ["nationell", "vårdkompetensråd"]
    assert described_subject("Vem ansvarar för VFU?", known) == ([], None, [])
    # "Hur beskriver Södras plan …": the describing document comes before the subject
    stems, council, according = described_subject("Hur beskriver Mellansveriges plan det nationella rådet?", known)
    assert according == ["RVKR Mellansverige"] and stems == ["nationell", "vårdkompetensråd"]
    assert described_subject("Hur beskrivs arbetsutskottet i planen?", known)[0] == ["arbetsutskott"]


@pytest.mark.slow
def test_a_what_is_question_is_answered_by_the_sentence_that_describes_it(built_assistant):
    answer = built_assistant.ask("Vad för slags forum är Regionala vårdkompetensrådet Mellansverige?")
    assert answer.plan == "definition" and "samverkansforum" in answer.answer
    assert all(c.council == "RVKR Mellansverige" for c in answer.citations)
    answer = built_assistant.ask("wat is nvkr")  # the name's abbreviation, typed
    assert "rådgivande samverkansforum" in answer.answer and _markers_resolve(answer)


@pytest.mark.slow
def test_an_ordinal_is_read_as_the_documents_number_the_item(built_assistant):
    answer = built_assistant.ask("vilket ar det andra malomradet i nvkr:s plan for 2022")
    assert "Målområde 2" in answer.resolved_question
    assert "Främja en kunskapsbaserad kompetensförsörjning" in answer.answer and _markers_resolve(answer)


@pytest.mark.slow
def test_a_slip_in_a_short_council_name_and_a_word_the_documents_lack(built_assistant):
    answer = built_assistant.ask("hur ofta trafafs arbetsutskottet i sora")
    assert answer.resolved_question == "hur ofta träffas arbetsutskottet i södra"
    assert not answer.abstained and "Mötesfrekvensen för arbetsutskottet" in answer.answer  # Södra's plan


@pytest.mark.slow
def test_an_english_question_naming_a_council_with_diacritics_is_answered_in_english(built_assistant):
    answer = built_assistant.ask("What are Södra's five priority areas?")
    assert answer.language == "en" and "areas" in answer.resolved_question
    assert "Kris- och beredskap" in answer.answer and "Språk som resurs" in answer.answer


@pytest.mark.slow
def test_named_items_spread_over_slides_are_listed_together(built_assistant):
    answer = built_assistant.ask("Vilka målområden hade NVKR:s verksamhetsplan 2022?")
    for n in (1, 2, 3):  # one slide each in the 2022 deck
        assert f"Målområde {n}:" in answer.answer
    assert _markers_resolve(answer) and len({c.lines for c in answer.citations}) == 3


@pytest.mark.slow
def test_an_english_follow_up_swaps_the_council_and_keeps_the_question(built_assistant):
    answer = built_assistant.ask("And Södra's?", history=["What are the national council's focus areas for 2026?"])
    assert answer.language == "en" and not answer.abstained
    assert "Kris- och beredskap" in answer.answer and "Språk som resurs" in answer.answer


@pytest.mark.slow
def test_an_english_question_about_a_council_without_a_plan_keeps_its_name_and_abstains(built_assistant):
    answer = built_assistant.ask("What activities has RVKR Norra planned for 2026?")
    assert "Norra" in answer.resolved_question  # not "corrected" into an English word
    assert answer.abstained and answer.plan == "refusal"
