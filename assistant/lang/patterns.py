"""Language patterns used by more than one stage, each defined once.

The composer, the BM25 tokens and the follow-up drafts recognise the same constructions; they build
their regexes from the definitions here instead of writing their own copies.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from assistant.lang.spelling import fold

#: "när" as a question word, not in "när det gäller" ("as regards").
WHEN = r"\bnär\b(?!\s+det\s+gäller)"


def follow_up_verb(max_words_between: int, inflections: str = "a|er|s|as|de|ts|t", optional: bool = True) -> str:
    """The particle verb "följa … upp" ("följs (aktiviteterna) upp") as a regex source.

    ``max_words_between`` is how many words may stand between the verb and its particle: the BM25
    tokens allow 4, intent detection 10, the follow-up drafts' sentence cues 3.
    """
    ending = f"(?:{inflections})" + ("?" if optional else "")
    return rf"\bfölj{ending}\s+(?:[\wåäö]+\s+){{0,{max_words_between}}}?upp\b"


def compile_ci(pattern: str) -> re.Pattern:
    """A case-insensitive compiled pattern."""
    return re.compile(pattern, re.IGNORECASE)


# -- questions over the activity records ("Hur många …", "Vilka av Södras aktiviteter …") ----------
#: A question asks for a count.
COUNT_QUESTION = r"\bhur\s+m[aå]nga\b|\bantal(?:et)?\b|\bhow\s+many\b|\bnumber\s+of\b"
#: A question is about the plans' activities as a set (plural), not one activity.
ACTIVITIES_WORD = r"\baktiviteter(?:na)?\b|\bactivities\b"
#: "Vilka (av) …", "which …", "lista …": a question for a set.
SET_QUESTION = r"\bvilka\b|\bvilken\b|\bwhich\b|\bwhat\b|\blista\b|\blist\b|\bräkna\s+upp\b|\bnämn\b"
#: Activities that run all year.
WHOLE_YEAR = r"\bhela\s+(?:[aå]ret|[aå]r)\b|\bhelår|\bårets\s+alla\s+kvartal|\ball\s+year\b|\bwhole\s+year\b|\bfull\s+year\b|\bthroughout\s+the\s+year\b|\ball\s+(?:four\s+)?quarters\b"
#: Activities planned for one quarter only.
SINGLE_QUARTER = r"\b(?:ett\s+enda|enda|ett|bara\s+ett|endast\s+ett)\s+kvartal\b|\b(?:a\s+single|one|only\s+one)\s+quarter\b"
#: A field the plan leaves empty ("saknar kontaktperson", "without a timeline").
MISSING_FIELD = r"\bsaknar\b|\butan\b|\bhar\s+ingen\b|\bhar\s+inte\b|\binte\s+har\b|\blacks?\b|\bwithout\b|\bhave\s+no\b|\bhas\s+no\b|\bmissing\b"
#: Owner mentioned alone ("ensamt", "only the secretariat").
OWNER_ALONE = r"\bensam(?:t|ma)?\b|\bsjälv(?:a|t)?\b|\bbara\b|\bendast\b|\balone\b|\bonly\b|\bsolely\b"
#: "Vilka råd …", "which councils …": the answer is a set of councils.
COUNCILS_QUESTION = r"\bvilka\s+(?:regionala\s+)?(?:råd|rad|vårdkompetensråd|vardkompetensrad)(?:en)?\b|\bwhich\s+councils?\b"


# -- definitions ("Vad står VFU för?", "what does AT mean") ------------------------------------------
#: The term asked about is the named group ``term``.
DEFINITION_QUESTIONS = (
    r"\bvad\s+(?:st[aå]r|betyder|innebär|innebar)\s+(?:förkortningen\s+|forkortningen\s+)?(?P<term>[\wåäöÅÄÖ-]{2,12})(?:\s+f[öo]r)?\b",
    r"\bvad\s+(?:är|ar)\s+(?:en\s+|ett\s+)?(?P<term>[\wåäöÅÄÖ-]{2,8})\s*\??$",
    r"\bwhat\s+(?:does|do)\s+(?:the\s+abbreviation\s+)?(?P<term>[\w-]{2,12})\s+(?:stand\s+for|mean)\b",
    r"\b(?:what|wat|whats|what's)\s+(?:is|s)?\s*(?:an?\s+|the\s+)?(?P<term>[\w-]{2,8})\s*\??$",
    r"\b(?:förkortningen|forkortningen|abbreviation)\s+(?P<term>[\wåäöÅÄÖ-]{2,12})\b",
)

#: A definition question that asks for the long form itself ("Vad står SKR för?", "what does X stand
#: for", "förkortningen X"): only a passage that spells the abbreviation out can answer it.
EXPANSION_QUESTION = (r"\bst[aå]r\s+(?:förkortningen\s+|forkortningen\s+)?[\wåäöÅÄÖ-]{2,12}\s+f[öo]r\b"
                      r"|\bstands?\s+for\b|\b(?:förkortningen|forkortningen|abbreviation)\b")

#: "Vad är X?", "Vad för slags forum är X?", "what (kind of body) is X": X is described by a sentence
#: "X är …" in the documents. ``subject`` is X; "enligt …"/"according to …" is left out of it.
DESCRIPTION_QUESTIONS = (
    r"^\s*vad\s+(?:för\s+(?:slags|sorts|typ\s+av)\s+[\wåäöÅÄÖ-]+\s+)?(?:är|ar)\s+(?P<subject>.+?)"
    r"(?:\s+(?:enligt|i)\s+[\wåäöÅÄÖ-]+s?\s+(?:verksamhetsplan|aktivitetsplan|plan|dokument)\w*)?\s*\??\s*$",
    r"^\s*vilken\s+(?:sorts?|slags|typ\s+av)\s+[\wåäöÅÄÖ-]+\s+är\s+(?P<subject>.+?)\s*\??\s*$",
    r"^\s*(?:what|wat|whats|what's)\s+(?:kind\s+of\s+[\w-]+\s+)?(?:is\s+)?(?P<subject>.+?)"
    r"(?:\s+according\s+to\b.*)?\s*\??\s*$",
)
#: The copula of a describing sentence ("X är ett samverkansforum …", "X is a …").
COPULA = r"\s+(?:är|utgör|is)\s+"


# -- the kind of fact a question asks for (an answer must contain one that the question does not) ----
ASKS_NAME = r"\bvem\s+är\b|\bvad\s+heter\b|\bvilka\s+personer\b|\bwho\s+is\b|\bwhat\s+is\s+the\s+name\b"
ASKS_YEAR = r"\bvilket\s+år\b|\bwhich\s+year\b|\bwhat\s+year\b"
ASKS_TIME = rf"{WHEN}|\bwhen\b|\bvilket\s+datum\b|\bwhat\s+date\b"
ASKS_DAY = r"\bvilken\s+dag\b|\bvilket\s+datum\b|\bwhich\s+day\b|\bwhat\s+day\b|\bexact\s+date\b|\bwhich\s+date\b"
ASKS_COUNT = (r"\bhur\s+många\b|\bhur\s+mycket\b|\bhur\s+stor\b|\bantal(?:et)?\b|\bhow\s+many\b|\bhow\s+much\b"
              r"|\bhow\s+(?:large|big)\b|\bnumber\s+of\b")
ASKS_DURATION = r"\bhur\s+lång\b|\bhur\s+länge\b|\bhow\s+long\b|\bfor\s+how\s+long\b"
ASKS_EMAIL = r"\be-?post(?:adress)?\w*|\bmejl\w*|\be-?mail\w*"
ASKS_PHONE = r"\btelefon\w*|\bphone\b|\bphone\s+number|\bnummer\s+till\b"
#: A span of time: a number (or number word) with a unit ("två år", "3 månader").
DURATION = (r"\b(?:\d+|ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|one|two|three|four|five|six)\s+"
            r"(?:år|månad(?:er)?|veck(?:a|or)|dag(?:ar)?|timm(?:e|ar)|years?|months?|weeks?|days?|hours?)\b")
EMAIL = r"[\w.+-]+@[\w-]+\.[\w.]+"
PHONE = r"(?:\+46|0)\d[\d\s-]{5,}\d"
#: A day of a month ("1 januari 2020", "31 maj") or an ISO date.
DAY_OF_MONTH = (r"\b\d{1,2}\s+(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
                r"|january|february|march|may|june|july|august|october)\b|\b20\d\d-\d\d-\d\d\b")
#: A number written as digits or as a word, or a share in words ("var fjärde", "hälften", "en tredjedel").
NUMBER = (r"\b\d+(?:[.,]\d+)?\b|\b(?:två|tre|fyra|fem|sex|sju|åtta|nio|tio|elva|tolv|tjugo|hundra|tusen"
          r"|miljon(?:er)?|miljard(?:er)?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
          r"|hundred|thousand|million|billion|hälften|half)\b"
          r"|\bvar\s+(?:annan|tredje|fjärde|femte|sjätte|sjunde|åttonde|nionde|tionde)\b"
          r"|\b(?:en|två|tre)\s+(?:tredje|fjärde|femte|tionde)del(?:ar)?\b")


# -- questions made of two questions ("Vem är kontakt för X, och när ska Södra …?") ------------------
#: The start of a second question inside one: a conjunction followed by an interrogative.
SECOND_QUESTION = (r"(?:,\s*|\s+)(?:och|samt|men|and|but)\s+(?=(?:när|nar|vem|vilka|vilken|vilket|hur|var|vad|varför"
                   r"|when|who|which|how|where|what|why)\b)|[;?]\s+(?=\w)")


# -- questions on follow-up statuses ("Vilka aktiviteter i Södra är försenade?") ----------------------
def status_question_phrases() -> dict:
    """The phrase lists of ``lang/data/status_questions.json`` (status words, "återstår", "i år" …), folded
    (lower case, å/ä/ö as a/a/o), as :mod:`assistant.followup.status_questions` matches them."""
    return _status_question_phrases()


def folded_phrase_pattern(phrases) -> re.Pattern:
    """Any of the (folded) phrases as whole words, longest first."""
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


@functools.lru_cache(maxsize=1)
def _status_question_phrases() -> dict:
    raw = json.loads(resources.files("assistant.lang").joinpath("data/status_questions.json").read_text(encoding="utf-8"))
    folded: dict = {}
    for key, value in raw.items():
        if key.startswith("_"):
            continue
        if isinstance(value, dict):
            folded[key] = {name: tuple(fold(p) for p in phrases) for name, phrases in value.items()}
        else:
            folded[key] = tuple(fold(p) for p in value)
    return folded
