"""Follow-up drafts asked for in the chat: "Sammanfatta uppföljningen för Södra", "Summarise the follow-up".

:func:`parse_summary_request` reads councils, period and themes out of a message;
:func:`summary_reply` builds and renders the draft, or returns None when the message is a question
for the answer engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.followup.build import SummaryError, build_summary, councils_in_text, names_pattern, plan_councils
from assistant.followup.render import render_markdown
from assistant.lang.councils import HEALTHCARE_REGIONS, council_aliases, unindexed_regions
from assistant.lang.periods import find_periods
from assistant.lang.tokens import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, detect_language, stem
from assistant.messages import REFUSAL_PHRASE

_SUMMARY_VERB = re.compile(r"(?<![\wåäö])(?:sammanfatta\w*|sammanfattning\w*|sammanställ\w*|utkast\w*|(summari[sz]e\w*|summary|draft))"
                           r"(?![\wåäö])", re.IGNORECASE)
_SUMMARY_TOPIC = re.compile(r"uppfölj|follow[- ]?up|aktivitet|activit|rapport|report|\bplan", re.IGNORECASE)
_ALL_COUNCILS = re.compile(r"(?<![\wåäö])(?:alla|samtliga)\s+(?:råd|råden|vårdkompetensråd\w*)(?![\wåäö])"
                           r"|\ball\s+(?:the\s+)?councils\b", re.IGNORECASE)
_REQUEST_WORDS = {stem(w) for w in """
sammanfatta sammanfattning sammanfattningen sammanställ sammanställning sammanställa utkast utkastet gör göra skriv skriva
ta fram ge visa uppföljning uppföljningen uppföljningar uppföljningsrapport rapport rapporten aktivitet aktiviteter
aktiviteterna aktiviteten aktivitetsplan aktivitetsplanen aktivitetsplanerna plan planen planerna planens verksamhetsplan
tack snälla kort kortfattad summarise summarize summary draft make write give show follow up followup report
activities activity plan plans please council councils råd rådet råden rådets regionala vårdkompetensråd
vårdkompetensrådet vårdkompetensrådets nationella nationell national rvkr nvkr alla samtliga all
""".split()}
_TOKEN = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+|\S")


@dataclass
class SummaryRequest:
    """What a chat message asks the summary for."""

    councils: list[str]
    period: str = ""
    keywords: list[str] = field(default_factory=list)
    language: str = "sv"
    explicit: bool = True  # names a follow-up/report/activities, not only "sammanfatta"
    missing_regions: list[str] = field(default_factory=list)


def is_summary_request(text: str) -> bool:
    """"Sammanfatta uppföljningen för Södra", "Gör ett utkast till uppföljning av VFU-aktiviteterna", "Summarise the follow-up"."""
    return bool(_SUMMARY_VERB.search(text or "") and _SUMMARY_TOPIC.search(text or ""))


def parse_summary_request(text: str, known: list[str]) -> SummaryRequest | None:
    """Councils, period and themes of a summary request; None when the message asks for no summary.

    A theme is a run of the words left once the request words ("sammanfatta", "uppföljningen",
    "aktiviteterna"), council names, periods and stopwords are taken out: "VFU" in "utkast till
    uppföljning av VFU-aktiviteterna", "förenade anställningar" in "Sammanfatta förenade anställningar".
    """
    text = text or ""
    verb = _SUMMARY_VERB.search(text)
    if not verb:
        return None
    councils = list(known) if _ALL_COUNCILS.search(text) else councils_in_text(text, known)
    missing = unindexed_regions(text, known)
    periods = find_periods(text)
    period = " ".join(text[start:end] for _, (start, end) in periods)
    rest = text
    for _, (start, end) in sorted(periods, key=lambda p: -p[1][0]):
        rest = rest[:start] + " , " + rest[end:]
    rest = _ALL_COUNCILS.sub(" , ", rest)
    for council in known:
        rest = names_pattern(council_aliases(council)).sub(" , ", rest)
    for region in missing:
        rest = names_pattern([region.lower(), *HEALTHCARE_REGIONS.get(region, ())]).sub(" , ", rest)
    phrases: list[list[str]] = [[]]
    for token in _TOKEN.findall(rest):
        lowered = token.lower()
        if token == "-" and phrases[-1]:
            continue  # "AI-satsningarna" stays one phrase
        is_word = token[0].isalnum()
        keep = is_word and lowered not in SWEDISH_STOPWORDS and lowered not in ENGLISH_STOPWORDS \
            and lowered not in _REQUEST_WORDS and stem(lowered) not in _REQUEST_WORDS
        if keep:
            phrases[-1].append(token)
        elif phrases[-1]:
            phrases.append([])
    keywords = list(dict.fromkeys(" ".join(p) for p in phrases if p))
    english = bool(verb.group(1)) or detect_language(text) == "en"
    return SummaryRequest(councils=councils, period=period, keywords=keywords, language="en" if english else "sv",
                          explicit=bool(_SUMMARY_TOPIC.search(text)), missing_regions=missing)


def summary_reply(index, text: str) -> str | None:
    """Markdown for a chat message that asks for a follow-up draft; None for any other message.

    Call it before the question-answering path: a reply means the message was a summary request.
    "Sammanfatta X" without a word such as uppföljning/aktiviteter/plan counts only when X names
    activities in the plans; otherwise the message is left to the question answering.
    """
    known = plan_councils(index)
    request = parse_summary_request(text, known)
    if request is None or not (request.explicit or request.keywords):
        return None
    if request.missing_regions and not request.councils:
        return (f"{REFUSAL_PHRASE}: det finns ingen aktivitetsplan för {', '.join(request.missing_regions)} bland de "
                f"indexerade dokumenten. Planer finns för {', '.join(known)}.")
    try:
        summary = build_summary(index, councils=request.councils or None, period=request.period or None,
                                keyword=request.keywords or None)
    except SummaryError as exc:
        return str(exc)
    if not request.explicit and not summary.rows:
        return None
    if request.keywords and not summary.rows and not request.period:
        return (f"{REFUSAL_PHRASE}: ingen aktivitet i planerna för {', '.join(summary.councils)} "
                f"handlar om ”{'”, ”'.join(request.keywords)}”.")
    markdown = render_markdown(summary)
    if request.missing_regions:
        markdown += f"\n{REFUSAL_PHRASE} något om {', '.join(request.missing_regions)}: det finns ingen plan därifrån bland dokumenten.\n"
    if request.language == "en":
        markdown = "Draft follow-up report (the plans are quoted in Swedish; fill in Status and Kommentar):\n\n" + markdown
    return markdown
