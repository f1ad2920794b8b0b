"""Understanding a question: cleaning, intent, and follow-ups resolved against the conversation."""

from __future__ import annotations

import re
import unicodedata

from assistant.lang.councils import detect_councils, short_name, with_council_swapped, without_council_names
from assistant.lang.patterns import (
    COUNT_WORD,
    CROSS_QUESTION,
    FOLLOW_UP_OPENING,
    INTENT_QUESTIONS,
    REFERRING_WORD,
    WHEN,
    compile_ci,
)
from assistant.lang.tokens import content_words, stem
from assistant.lang.words import word_list

INTENT_PATTERNS = INTENT_QUESTIONS
CROSS_PATTERN = compile_ci(CROSS_QUESTION)
COUNT_WORDS = compile_ci(COUNT_WORD)
FOLLOWUP_START = compile_ci(FOLLOW_UP_OPENING)
REFERRING = compile_ci(REFERRING_WORD)
# Pure interrogatives: they say nothing about what the answer is about or how to find it.
INTERROGATIVES = {stem(w) for w in word_list("interrogatives")}
# Words that say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = INTERROGATIVES | {stem(w) for w in word_list("question_words")}
# Verbs and nouns that describe the asked-for answer and also appear in answering sentences
# ("Rådskansliet ansvarar … för att aktiviteter genomförs", "följs upp i samband med …").
INTENT_VERBS = {stem(w) for w in word_list("intent_verbs")}
# Words too generic in these documents to say what a question is about.
GENERIC_WORDS = {stem(w) for w in word_list("generic_words")}


def clean_question(question: str) -> str:
    """Drop control characters and collapse whitespace."""
    question = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question or "")
    return re.sub(r"\s+", " ", question).strip()


def classify_intent(question: str) -> str:
    """owner, contact, goal, measure, followup, time, list or fact."""
    lowered = question.lower()
    for intent, pattern in INTENT_PATTERNS:
        if re.search(pattern, lowered):
            return intent
    return "fact"


def asks_for_date(question: str) -> bool:
    return bool(re.search(rf"{WHEN}|\bwhen\b|\bdatum\b|\bdate\b|\bvilket kvartal\b|\bwhich quarter\b", question.lower()))


def history_questions(history) -> list[str]:
    """User turns from a history given as role/content dicts, (user, assistant) pairs or strings."""
    questions = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                questions.append(item["content"])
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            questions.append(item[0])
        elif isinstance(item, str):
            questions.append(item)
    return questions


def own_topic_words(question: str) -> list[str]:
    return [w for w in content_words(question) if stem(w) not in QUESTION_WORDS and stem(w) not in GENERIC_WORDS]


BACK_REFERENCE = re.compile(r"\b(?:av\s+(?:dem|dessa|de)|dessa|de\s+här|of\s+(?:them|those|these)|those|these|them)\b",
                            re.IGNORECASE)


def refers_back(question: str) -> bool:
    """"Hur många av dem …", "which of those …": the question is about the previous answer's items."""
    return BACK_REFERENCE.search(question) is not None


def is_followup(question: str) -> bool:
    """Elliptic or referring questions that only make sense with the previous turn."""
    meaningful = own_topic_words(question)
    refers = REFERRING.search(question) is not None
    return bool(FOLLOWUP_START.match(question)) or len(meaningful) <= 1 or (refers and len(meaningful) <= 3)


def resolve_followup(question: str, previous: list[str], known_councils: list[str]) -> tuple[str, str]:
    """(query text, intent) with the previous turn's topic carried over when the question is a follow-up.

    "Och i Mellansverige?" → the previous question with the council swapped; "När ska det följas upp?"
    → the previous question plus this one, with this one's intent; "Och för språkkraven?" → this
    question's own topic in the previous question's council context.
    """
    intent_now = classify_intent(question)
    if not previous or not is_followup(question):
        return question, intent_now
    prev_query, prev_intent = resolve_followup(previous[-1], previous[:-1], known_councils)
    new_councils = detect_councils(question, known_councils)
    prev_councils = detect_councils(prev_query, known_councils)
    own_topic = [w for w in own_topic_words(question) if not detect_councils(w, known_councils)]
    has_own_intent = intent_now != "fact" and not (intent_now == "list" and new_councils)
    intent = intent_now if has_own_intent else prev_intent
    if own_topic and not REFERRING.search(question):
        context = " ".join(short_name(c) for c in (new_councils or prev_councils))
        prev_words = " ".join(w for w in re.findall(r"\w+", prev_query) if stem(w.lower()) in QUESTION_WORDS)
        return clean_question(f"{question} {prev_words if not has_own_intent else ''} {context}"), intent
    if len(new_councils) == 1 and len(prev_councils) == 1 and new_councils != prev_councils:
        swapped = with_council_swapped(prev_query, prev_councils[0], new_councils[0])  # "Mellansveriges råd" → "Södras råd"
        if swapped:
            return clean_question(swapped), intent
    if new_councils:
        prev_query = without_council_names(prev_query, prev_councils)  # every name it gave them ("the national council's")
    return clean_question(f"{prev_query} {question}"), intent
