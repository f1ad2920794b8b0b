"""Understanding a question (assistant.answer.question): cleaning, intent, dates, history, follow-ups.

The example questions are about activities in corpus/*.txt (the Södra VFU row, the national workshop
on förenade anställningar, Mellansverige's placeringsverktyg with contact Christina Halford).
"""

from __future__ import annotations

import pytest

from assistant.answer.question import (
    asks_for_date,
    classify_intent,
    clean_question,
    history_questions,
    is_followup,
    resolve_followup,
)
from assistant.lang.councils import COUNCIL_NATIONAL, detect_councils

KNOWN = [COUNCIL_NATIONAL, "RVKR Mellansverige", "RVKR Södra"]


# ------------------------------------------------------------------ clean_question
@pytest.mark.parametrize(("raw", "clean"), [
    ("  Vem ansvarar\tför\n\nVFU?  ", "Vem ansvarar för VFU?"),
    ("Vem\x00ansvarar för VFU?", "Vem ansvarar för VFU?"),  # NUL becomes a space, not glue
    ("Vem\u200bansvarar\x7f för\x1bVFU?", "Vem ansvarar för VFU?"),  # zero-width space (Cf), DEL, ESC
    ("\r\nNär följs det upp?\r\n", "När följs det upp?"),
    ("Vem ansvarar\u00a0för VFU?", "Vem ansvarar för VFU?"),  # no-break space
    ("Räksmörgås åäö ÅÄÖ", "Räksmörgås åäö ÅÄÖ"),  # letters are kept
])
def test_clean_question(raw, clean):
    assert clean_question(raw) == clean


@pytest.mark.parametrize("empty", ["", None, " \t\n ", "\x00\x01"])
def test_clean_question_of_nothing_is_empty(empty):
    assert clean_question(empty) == ""


# ------------------------------------------------------------------ classify_intent
@pytest.mark.parametrize(("question", "intent"), [
    ("Vem är kontaktperson för placeringsverktyget?", "contact"),
    ("Who is the contact person for the placement tool?", "contact"),
    ("Vem ansvarar för VFU-arbetet i Södra?", "owner"),
    ("Vilka genomför workshopen om förenade anställningar?", "owner"),
    ("Ansvarar rådet för VFU?", "owner"),
    ("Who owns VFU work in Södra?", "owner"),
    ("Who is responsible for the workshop?", "owner"),
    ("Vad är målet med aktiviteten om förenade anställningar?", "goal"),
    ("What is the goal of the workshop activity?", "goal"),
    ("What is the aim of the workshop?", "goal"),
    ("Vad är måttet på genomförande för workshopen?", "measure"),
    ("Hur mäts workshopen?", "measure"),
    ("Hur följs handledarkompetensen upp?", "measure"),
    ("How is the workshop measured?", "measure"),
    ("How will the workshop be followed up?", "measure"),
    ("När följs handledarkompetensen upp i Södra?", "followup"),
    ("Hur ska verksamhetsplanen följas upp?", "followup"),
    ("Vad gäller för uppföljningen av VFU?", "followup"),
    ("What is the follow-up of VFU?", "followup"),
    ("När ska rådet i Södra diskutera handledarkompetens?", "time"),
    ("Vilken tidplan har workshopen?", "time"),
    ("Vilket kvartal hålls workshopen?", "time"),
    ("When will the workshop be held?", "time"),
    ("What is the timeline for the workshop?", "time"),
    ("Vilka län omfattar Mellansverige?", "list"),
    ("Lista fokusområdena", "list"),
    ("Hur många fokusområden finns det?", "list"),
    ("Which counties does Mellansverige cover?", "list"),
    ("How many focus areas are there?", "list"),
    ("Vad är VFU?", "fact"),
    ("What is VFU?", "fact"),
])
def test_classify_intent(question, intent):
    assert classify_intent(question) == intent


def test_intent_order_who_outranks_follow_up_and_when_det_galler_is_not_time():
    assert classify_intent("Vem ansvarar för att följa upp VFU?") == "owner"
    assert classify_intent("Vad gäller när det gäller VFU?") == "fact"  # "när det gäller" = "as regards"
    assert classify_intent("VEM ANSVARAR FÖR VFU?") == "owner"  # case does not matter


# ------------------------------------------------------------------ asks_for_date
@pytest.mark.parametrize(("question", "expected"), [
    ("När följs handledarkompetensen upp i Södra?", True),
    ("When is the workshop?", True),
    ("Vilket datum hålls workshopen?", True),
    ("What date is the workshop?", True),
    ("Vilket kvartal hålls workshopen?", True),
    ("Which quarter is the workshop held in?", True),
    ("Hur följs handledarkompetensen upp?", False),
    ("Vad gäller när det gäller VFU?", False),
    ("Vem ansvarar för VFU?", False),
])
def test_asks_for_date(question, expected):
    assert asks_for_date(question) is expected


@pytest.mark.parametrize("question", ["Hur ofta uppdateras verksamhetsplanen?", "How often is the plan updated?"])
def test_asks_for_date_ignores_date_inside_words(question):
    assert asks_for_date(question) is False


# ------------------------------------------------------------------ history_questions
def test_history_as_role_content_dicts():
    history = [{"role": "user", "content": "Vem ansvarar för VFU i Södra?"},
               {"role": "assistant", "content": "Rådet [1]"},
               {"role": "user", "content": "Och i Mellansverige?"}]
    assert history_questions(history) == ["Vem ansvarar för VFU i Södra?", "Och i Mellansverige?"]


def test_history_as_user_assistant_pairs():
    history = [("Vem ansvarar för VFU i Södra?", "Rådet [1]"), ["Och i Mellansverige?", None]]
    assert history_questions(history) == ["Vem ansvarar för VFU i Södra?", "Och i Mellansverige?"]


def test_history_as_plain_strings():
    assert history_questions(["Vem ansvarar för VFU i Södra?", "Och i Mellansverige?"]) == [
        "Vem ansvarar för VFU i Södra?", "Och i Mellansverige?"]


@pytest.mark.parametrize("history", [None, [], ()])
def test_no_history(history):
    assert history_questions(history) == []


def test_history_junk_is_skipped():
    history = [None, 42, 3.5, b"bytes", {"role": "user", "content": None}, {"role": "user", "content": ["x"]},
               {"role": "user"}, {"content": "utan roll"}, {"role": "assistant", "content": "svar"},
               (None, "svar"), (7, "svar"), [], (), {"role": "user", "content": "Vem ansvarar för VFU?"},
               ("Och i Södra?",), "När följs det upp?"]
    assert history_questions(history) == ["Vem ansvarar för VFU?", "Och i Södra?", "När följs det upp?"]


# ------------------------------------------------------------------ is_followup
@pytest.mark.parametrize("question", [
    "Och i Mellansverige?",
    "What about Södra?",
    "När ska det följas upp?",  # refers to the previous turn ("det") with no topic of its own
    "Men för språkkraven?",
    "Vem?",
])
def test_is_followup(question):
    assert is_followup(question)


@pytest.mark.parametrize("question", [
    "Vem ansvarar för VFU-arbetet i Södra?",
    "Vem ansvarar för den digitala workshopen om förenade anställningar?",
    "Who owns VFU work in Södra?",
    "När ska rådet i Södra diskutera handledarkompetens?",
])
def test_is_not_followup(question):
    assert not is_followup(question)


# ------------------------------------------------------------------ resolve_followup
FIRST = "Vem ansvarar för VFU-arbetet i Södra?"


def test_council_swap_keeps_the_previous_question_with_the_new_council():
    query, intent = resolve_followup("Och i Mellansverige?", [FIRST], KNOWN)
    assert intent == "owner"  # the previous question's intent
    assert detect_councils(query, KNOWN) == ["RVKR Mellansverige"]  # Södra is swapped out
    assert "ansvarar" in query and "VFU" in query
    assert query == "Vem ansvarar för VFU-arbetet i Mellansverige?"  # the new council where the old one stood


def test_council_swap_in_english():
    query, intent = resolve_followup("What about Södra?", ["Who owns VFU work in Mellansverige?"], KNOWN)
    assert intent == "owner"
    assert detect_councils(query, KNOWN) == ["RVKR Södra"]
    assert "VFU" in query


def test_council_swap_chains_over_several_turns():
    query, intent = resolve_followup("Och i Södra?", [FIRST, "Och i Mellansverige?"], KNOWN)
    assert intent == "owner"
    assert detect_councils(query, KNOWN) == ["RVKR Södra"]
    assert "VFU" in query


def test_followup_with_its_own_intent_keeps_the_previous_topic():
    query, intent = resolve_followup("När ska det följas upp?", [FIRST], KNOWN)
    assert intent == "followup"  # this question's intent
    assert FIRST in query and query.endswith("När ska det följas upp?")


def test_own_topic_followup_drops_the_previous_topic_but_keeps_council_and_intent():
    query, intent = resolve_followup("Och för språkkraven?", [FIRST], KNOWN)
    assert intent == "owner"
    assert "språkkraven" in query
    assert "VFU" not in query  # the previous topic is replaced
    assert "ansvarar" in query  # the asked-for kind of answer is carried over
    assert detect_councils(query, KNOWN) == ["RVKR Södra"]


def test_own_topic_followup_with_a_new_council():
    query, intent = resolve_followup("Och för språkkraven i Mellansverige?", [FIRST], KNOWN)
    assert intent == "owner"
    assert "språkkraven" in query and "VFU" not in query
    assert detect_councils(query, KNOWN) == ["RVKR Mellansverige"]


@pytest.mark.parametrize("question", [
    "Vem är kontaktperson för placeringsverktyget i Mellansverige?",
    "Vem ansvarar för den digitala workshopen om förenade anställningar?",
])
def test_a_new_question_passes_through(question):
    assert resolve_followup(question, [FIRST], KNOWN) == (question, classify_intent(question))


def test_without_history_a_followup_passes_through():
    assert resolve_followup("Och i Mellansverige?", [], KNOWN) == ("Och i Mellansverige?", "fact")
