"""The answer composer end to end over the project corpus: owners, contacts, times, lists,
cross-document questions, English questions, follow-ups, abstention and verbatim quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.question import classify_intent, clean_question, is_followup
from assistant.messages import REFUSAL_PHRASE
from assistant.text import normalize_for_match

pytestmark = pytest.mark.slow
CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SODRA, MELLANSVERIGE, NATIONAL = "002_8b6a782e2b1e2be8.txt", "001_c218980ea090ff6f.txt", "000_a136ead4faa7fb25.txt"


def assert_quotes_verbatim(answer) -> None:
    """Every quote is a substring of its cited lines, read straight from the corpus file."""
    for citation in answer.citations + answer.closest:
        lines = (CORPUS / citation.source).read_text(encoding="utf-8").split("\n")
        span = normalize_for_match("\n".join(lines[citation.lines[0] - 1: citation.lines[1]]))
        assert normalize_for_match(citation.quote) in span, citation


@pytest.mark.parametrize(("question", "expected", "source"), [
    ("Vem ansvarar för VFU-arbetet i Södra?", "Rådet", SODRA),
    ("Vem ansvarar för den digitala workshopen om förenade anställningar?", "Rådet, rådskansliet", NATIONAL),
    ("Vem genomför bevakningen av regelverket för förenade anställningar i Mellansverige?", "Arbetsutskottet", MELLANSVERIGE),
    ("Vem är kontaktperson för placeringsverktyget?", "Christina Halford", MELLANSVERIGE),
    ("När ska rådet i Södra diskutera handledarkompetens?", "Q3 2026", SODRA),
    ("När följs handledarkompetensen upp i Södra?", "Q1 2027", SODRA),
    ("Vilka län omfattar Mellansverige?", "Västmanland", MELLANSVERIGE),
])
def test_answers_from_the_right_activity_row(built_assistant, question, expected, source):
    answer = built_assistant.ask(question)
    assert not answer.abstained, answer.answer
    assert expected in answer.answer
    assert any(c.source == source for c in answer.citations)
    assert "[1]" in answer.answer
    assert_quotes_verbatim(answer)


def test_list_is_answered_in_full(built_assistant):
    answer = built_assistant.ask("Vilka tre fokusområden har Nationella vårdkompetensrådet 2026?")
    for area in ("Kompetensutveckling och karriärvägar", "Verksamhetsförlagd utbildning (VFU)", "Vägar till och tillbaka"):
        assert area in answer.answer
    assert_quotes_verbatim(answer)


def test_english_question_over_swedish_text(built_assistant):
    answer = built_assistant.ask("Who owns VFU work in Södra?")
    assert answer.language == "en" and not answer.abstained
    assert "Rådet" in answer.answer and "According to" in answer.answer
    assert any(c.source == SODRA for c in answer.citations)
    assert_quotes_verbatim(answer)


def test_cross_document_question_uses_both_councils(built_assistant):
    answer = built_assistant.ask("Hur skiljer sig ansvaret för VFU mellan Mellansverige och Södra?")
    sources = {c.source for c in answer.citations}
    assert {SODRA, MELLANSVERIGE} <= sources
    assert "Arbetsutskott" in answer.answer and "Rådet" in answer.answer
    assert_quotes_verbatim(answer)


def test_two_turn_follow_up(built_assistant):
    first = "Vem ansvarar för VFU-arbetet i Södra?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": built_assistant.ask(first).answer}]
    answer = built_assistant.ask("Och i Mellansverige?", history=history)
    assert not answer.abstained
    assert "Arbetsutskott" in answer.answer
    assert all(c.source == MELLANSVERIGE for c in answer.citations)

    follow = built_assistant.ask("När ska det följas upp?", history=[{"role": "user", "content":
                                 "Vem ansvarar för handledarkompetensen i Södra?"}])
    assert "Q1 2027" in follow.answer


@pytest.mark.parametrize("question", [
    "Vad är budgeten för Södra 2026?",
    "Vad är lönen för processledaren?",
    "Vem ansvarar för VFU i Norra sjukvårdsregionen?",
    "Hur många sjuksköterskor har Jämtland?",
])
def test_abstains_when_documents_do_not_say(built_assistant, question):
    answer = built_assistant.ask(question)
    assert answer.abstained and REFUSAL_PHRASE in answer.answer
    assert not answer.citations
    assert_quotes_verbatim(answer)


@pytest.mark.parametrize(("question", "invalid"), [
    ("", True), ("   \n\t ", True), ("?!?!", True), ("x" * 20000, True),
    ("Vem ansvarar för VFU?\x00\x07", False), ("<script>alert(1)</script> Vem ansvarar för VFU?", False),
    ("'; DROP TABLE chunks; --", False), ("مرحبا 你好 🙂", True), ("🙂🙂🙂", True),
])
def test_bad_questions_get_a_message_not_a_traceback(built_assistant, question, invalid):
    answer = built_assistant.ask(question)
    assert answer.invalid is invalid
    assert answer.answer and "Traceback" not in answer.answer
    if question.startswith("مرحبا"):
        assert "svenska eller engelska" in answer.answer
    assert_quotes_verbatim(answer)


def test_helpers():
    assert clean_question("  a\x00b \n c ") == "a b c"
    assert classify_intent("Vem ansvarar för VFU?") == "owner"
    assert classify_intent("När följs aktiviteterna upp?") == "followup"
    assert classify_intent("Vem är kontaktperson?") == "contact"
    assert classify_intent("Who owns VFU work?") == "owner"
    assert is_followup("Och i Mellansverige?")
    assert not is_followup("Vem ansvarar för VFU-arbetet i Södra?")
