"""Understanding a question: cleaning, intent, and follow-ups resolved against the conversation."""

from __future__ import annotations

import re
import unicodedata

from assistant.lang.councils import detect_councils, short_name
from assistant.lang.patterns import WHEN, follow_up_verb
from assistant.lang.tokens import content_words, stem
from assistant.lang.words import word_list

# Checked in order; the first match wins. "Vem/who" outranks "följs upp" ("Vem ansvarar för att följa upp …").
INTENT_PATTERNS: list[tuple[str, str]] = [
    ("contact", r"kontakt|\bcontact"),
    ("owner", r"\bvem\b|\bvilka\s+(?:ansvarar|äger|genomför)|\bwho\b"),
    ("goal", r"\bmål(?:et)?\s+(?:med|för)\b.*\baktivitet|\bgoal of\b.*\bactivity|\baim of\b"),
    ("measure", r"\bmått(?:et)?\b|\bmäts\b|\bmeasured?\b|hur\s+följs\b|how\s+(?:is|are|will)\b.*\bfollowed up"),
    ("followup", rf"{follow_up_verb(10)}|uppfölj|follow(?:ed)?[- ]?up|evaluat"),
    ("owner", r"ansvar|genomför|\bowns?\b|responsib|in charge|carries? (?:it )?out"),
    ("time", rf"{WHEN}|tidplan|tidpunkt|kvartal|datum|vilket år|\bwhen\b|deadline|timeline|which quarter|what date"),
    ("list", r"\bvilka\b|\blista\b|räkna upp|hur många|\bwhich\b|\blist\b|how many|name the|what are the"),
]
CROSS_PATTERN = re.compile(r"skiljer|jämför|skillnad|\bbåda\b|\bbåde\b|respektive|differ|compare|difference|\bboth\b|\beach\b",
                           re.IGNORECASE)
COUNT_WORDS = re.compile(r"\b(två|tre|fyra|fem|sex|sju|åtta|nio|tio|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})\b",
                         re.IGNORECASE)
FOLLOWUP_START = re.compile(r"^\s*(och|men|samt|än|då|and|what about|how about|hur är det|gäller det|också)\b", re.IGNORECASE)
REFERRING = re.compile(r"\b(det|den|dessa|denna|detta|de|dem|it|that|this|those|they|them)\b", re.IGNORECASE)
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
    if new_councils:
        for council in prev_councils:
            name = short_name(council)
            prev_query = re.sub(rf"\b{re.escape(name)}\b", " ", prev_query, flags=re.IGNORECASE)
    return clean_question(f"{prev_query} {question}"), intent
