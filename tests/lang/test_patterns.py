"""Shared language patterns (assistant.lang.patterns): "när" as a question word, the particle verb "följa … upp"."""

from __future__ import annotations

import re

import pytest

from assistant.lang.patterns import ASKS_NAME, INTENT_QUESTIONS, WHEN, compile_ci, follow_up_verb


# ------------------------------------------------------------------ WHEN
@pytest.mark.parametrize("text", [
    "när ska rådet diskutera handledarkompetens?",
    "när följs det upp?",
    "vet du när?",
    "när det sker",  # "när det" without "gäller" is still "when"
    "när gäller det?",
    "vad ska göras och när?",  # a second question
    "kan du säga när mötet är?",  # a question that opens without another question word
])
def test_when_matches_the_question_word(text):
    assert re.search(WHEN, text)


@pytest.mark.parametrize("text", [
    "när det gäller vfu",  # "as regards"
    "vad gäller när  det\tgäller vfu?",  # any whitespace between the words
    "närmare planering",  # part of a longer word
    "hösten, närvaro",
    "",
    # the conjunction inside a question that asks something else
    "vad vill rådet komma bort från när utbildningen förnyas?",
    "vem ansvarar när rådet byter ordförande?",
])
def test_when_does_not_match(text):
    assert not re.search(WHEN, text)


def test_when_is_lower_case_only_unless_compiled_case_insensitive():
    # callers lower-case the question first (classify_intent, asks_for_date) or compile with compile_ci
    assert not re.search(WHEN, "När ska det ske?")
    assert compile_ci(WHEN).search("När ska det ske?")
    assert not compile_ci(WHEN).search("NÄR DET GÄLLER VFU")


# ------------------------------------------------------------------ follow_up_verb
@pytest.mark.parametrize(("window", "between"), [(0, 0), (3, 0), (3, 3), (4, 4), (10, 10)])
def test_follow_up_verb_allows_up_to_its_window(window, between):
    text = "följs " + " ".join(["ord"] * between) + (" " if between else "") + "upp"
    assert compile_ci(follow_up_verb(window)).search(text), text


@pytest.mark.parametrize(("window", "between"), [(0, 1), (3, 4), (4, 5), (10, 11)])
def test_follow_up_verb_refuses_more_words_than_its_window(window, between):
    text = "följs " + " ".join(["ord"] * between) + " upp"
    assert not compile_ci(follow_up_verb(window)).search(text), text


def test_follow_up_verb_on_corpus_phrases():
    pattern = compile_ci(follow_up_verb(4))
    # corpus/000_…, lines 6–7 (joined): "Verksamhetsplanen i sin helhet följs upp i samband med …"
    assert pattern.search("Verksamhetsplanen i sin helhet följs upp i samband med den årliga redovisningen")
    assert pattern.search("Hur följs aktiviteterna upp?")
    assert pattern.search("Vem ansvarar för att följa upp handledarkompetensen?")
    assert pattern.search("Rådet följer löpande upp arbetet")
    assert pattern.search("Rådet följde upp planen")
    assert pattern.search("Det följts upp")


@pytest.mark.parametrize("text", [
    "följs uppföljningen",  # "upp" must be a word
    "efterföljs upp",  # "följ" must start a word
    "följande upp",  # not an inflection of the verb
    "följs\tnedåt",
])
def test_follow_up_verb_rejects(text):
    assert not compile_ci(follow_up_verb(4)).search(text)


def test_follow_up_verb_inflections():
    assert compile_ci(follow_up_verb(3)).search("följ upp")  # the ending is optional by default
    required = compile_ci(follow_up_verb(3, optional=False))
    assert not required.search("följ upp")
    assert required.search("följs upp")
    only_passive = compile_ci(follow_up_verb(3, inflections="s|as", optional=False))
    assert only_passive.search("följas upp") and only_passive.search("följs upp")
    assert not only_passive.search("följer upp")


def test_compile_ci_is_case_insensitive():
    assert compile_ci("uppföljning").search("UPPFÖLJNING av planen")


# ------------------------------------------------------------------ ASKS_NAME
@pytest.mark.parametrize(("text", "asks"), [
    ("vem är processledare i södra?", True),
    ("vad heter promemorian?", True),
    ("vem är ansvarig för workshopen?", False),  # a body or a role answers it ("Rådet", "Processledaren")
    ("who is responsible for the workshop?", False),
    ("who is the contact for the workshop?", True),
])
def test_asks_name(text, asks):
    assert bool(compile_ci(ASKS_NAME).search(text)) == asks


# ------------------------------------------------------------------ intents
@pytest.mark.parametrize("text", [
    "vad är målet med workshopen om förenade anställningar",
    "Vad är syftet med konferensen?",
    "vad vill mellansverige få ut av samverkan kring vård- och omsorgsprogrammet",
    "What is the aim of the workshop?",
])
def test_goal_questions(text):
    goal = dict(INTENT_QUESTIONS)["goal"]
    assert compile_ci(goal).search(text)


@pytest.mark.parametrize("text", ["Under vilken period följer rådet arbetet?", "Vilket kvartal hålls workshopen?",
                                  "During which period is it done?"])
def test_questions_for_a_period_ask_for_a_time(text):
    assert compile_ci(dict(INTENT_QUESTIONS)["time"]).search(text)


@pytest.mark.parametrize("text", ["När ska rådet stämma av arbetet?", "Hur sker avstämningen?"])
def test_checking_in_is_a_follow_up(text):
    assert compile_ci(dict(INTENT_QUESTIONS)["followup"]).search(text)


def test_a_second_question_may_open_with_a_preposition():
    from assistant.lang.patterns import SECOND_QUESTION

    text = "When is the conference, and in which quarter does Södra start?"
    assert re.search(SECOND_QUESTION, text, re.IGNORECASE)
