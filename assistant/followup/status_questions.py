"""Chat questions on the follow-up statuses, answered from the recorded entries.

"Vilka aktiviteter i Södra är försenade?", "Vad är status för handledarfrågan?", "Vad återstår för
Mellansverige i år?" – also as users type them ("vad aterstar for mellansverige i ar"):
:func:`parse_status_question` reads the kind of question (a status asked for, what remains, what is
overdue, the status of a topic), the councils, the period and the topic; :func:`status_answer`
answers it from :class:`~assistant.followup.tracking.FollowupTracker` as an
:class:`~assistant.answer.engine.Answer` whose every activity is cited to its record in the plan
(a verified quote ``[n]``) with the latest entry's status, date and author.

The phrases are data (``lang/data/status_questions.json``, through
:func:`assistant.lang.patterns.status_question_phrases`); everything is matched on folded text
(:func:`assistant.lang.spelling.fold`). Questions in English are left to the answer engine.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date

from assistant.answer.citations import CitationBuilder
from assistant.answer.engine import Answer
from assistant.followup.build import SummaryError, names_pattern, plan_councils, record_keys, resolve_councils
from assistant.followup.tracking import CLOSED_STATUSES, NOT_STARTED, FollowupTracker, StatusRow
from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.councils import council_aliases
from assistant.lang.patterns import folded_phrase_pattern, status_question_phrases
from assistant.lang.periods import find_periods
from assistant.lang.spelling import fold
from assistant.lang.tokens import detect_language
from assistant.messages import FOLLOWUP_MESSAGES

KINDS = ("status", "remaining", "overdue", "topic")
MAX_LISTED = 15  # activities written out in one answer; the rest are counted
MAX_CITATIONS = 30
MIN_TOPIC_ROOT = 4


@dataclass(frozen=True)
class StatusQuestion:
    """What a status question asks: ``kind`` (KINDS), the status asked for (kind "status"), councils,
    period and topic words (folded)."""

    kind: str
    councils: list[str]
    status: str = ""
    period: str = ""
    topic: str = ""  # the topic as the user wrote it ("handledarfrågan")
    topic_roots: tuple[str, ...] = ()  # folded roots it is matched with ("handledar")


@functools.lru_cache(maxsize=1)
def patterns() -> dict[str, re.Pattern]:
    """The compiled phrase patterns (folded), by list name; status words as ``status:<Status>``."""
    phrases = status_question_phrases()
    compiled = {key: folded_phrase_pattern(phrases[key]) for key in
                ("status_question", "remaining", "overdue", "activity_words", "this_year", "topic_prefixes")}
    compiled.update({f"status:{name}": folded_phrase_pattern(words) for name, words in phrases["status_words"].items()})
    return compiled


def _councils(folded: str, known: list[str]) -> list[str]:
    return [c for c in known if names_pattern([fold(alias) for alias in council_aliases(c)]).search(folded)]


def _asked_status(folded: str) -> str:
    """The status a question names ("försenade" → "Försenad"); "ej påbörjade" wins over "påbörjade"."""
    found = []
    for name in status_question_phrases()["status_words"]:
        match = patterns()[f"status:{name}"].search(folded)
        if match:
            found.append((-(match.end() - match.start()), match.start(), name))
    return min(found)[2] if found else ""


def _topic(text: str, folded: str, known: list[str]) -> tuple[str, tuple[str, ...]]:
    """The topic after "status för" / "hur går det med": (the words as written, their folded roots).

    Council names, periods and stopwords are left out; a generic head ("-frågan", "-arbetet") is cut
    off a compound ("handledarfrågan" → "handledar") and dropped when it stands alone.
    """
    match = patterns()["topic_prefixes"].search(folded)
    if not match:
        return "", ()
    same = len(text) == len(folded)  # fold keeps positions unless a character decomposed differently
    rest = folded[match.end():]
    for council in known:
        rest = names_pattern([fold(a) for a in council_aliases(council)]).sub(lambda m: " " * len(m.group(0)), rest)
    rest = patterns()["this_year"].sub(lambda m: " " * len(m.group(0)), rest)
    for _, (start, end) in find_periods(rest):
        rest = rest[:start] + " " * (end - start) + rest[end:]
    phrases = status_question_phrases()
    stop, suffixes = set(phrases["topic_stopwords"]), sorted(phrases["topic_suffixes"], key=len, reverse=True)
    roots, shown = [], []
    for word_match in re.finditer(r"[a-z0-9]+(?:-[a-z0-9]+)*", rest):
        original = text[match.end() + word_match.start():match.end() + word_match.end()] if same else word_match.group(0)
        kept = []
        for word in word_match.group(0).split("-"):
            if word in stop or word in suffixes:
                continue
            for suffix in suffixes:
                if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                    word = word[: -len(suffix)]
                    break
            kept.append(word if len(word) <= 5 else word[: max(MIN_TOPIC_ROOT, len(word) - 2)])
        if kept:
            roots.extend(kept)
            shown.append(original)
    return " ".join(shown), tuple(dict.fromkeys(roots))


def parse_status_question(text: str, known: list[str], today: date | None = None) -> StatusQuestion | None:
    """What a status question asks, or None when the message is no status question (left to the answer engine)."""
    text = " ".join((text or "").split())
    if not text or detect_language(text) == "en":
        return None
    folded = fold(text)
    found = patterns()
    councils = _councils(folded, known)
    about_activities = bool(found["activity_words"].search(folded)) or bool(councils)
    asks_status = bool(found["status_question"].search(folded))
    period = ""
    if found["this_year"].search(folded):
        period = str((today or date.today()).year)
    else:
        periods = find_periods(text)
        period = " ".join(text[start:end] for _, (start, end) in periods)

    if found["overdue"].search(folded) and (about_activities or asks_status):
        return StatusQuestion("overdue", councils, period=period)
    if found["remaining"].search(folded) and (about_activities or asks_status or period):
        return StatusQuestion("remaining", councils, period=period)
    status = _asked_status(folded)
    if status and (about_activities or asks_status):
        needs_activity = status_question_phrases()["status_words_need_activity"]
        word = found[f"status:{status}"].search(folded).group(0)
        if word not in needs_activity or found["activity_words"].search(folded) or asks_status:
            return StatusQuestion("status", councils, status=status, period=period)
    if asks_status:
        topic, roots = _topic(text, folded, known)
        if roots:
            return StatusQuestion("topic", councils, period=period, topic=topic, topic_roots=roots)
        if councils or found["activity_words"].search(folded):
            return StatusQuestion("status", councils, period=period)
    return None


# ====================================================================== answering
def _topic_alternatives(roots: tuple[str, ...], index) -> list[list[str]]:
    """Per root the folded forms that count as it: the root, and for an abbreviation the plans define
    ("VFU" = "verksamhetsförlagd utbildning") its long form (and back)."""
    defined = {fold(short): fold(long) for short, long in find_abbreviations([c.text for c in index.chunks]).items()}
    alternatives = []
    for root in roots:
        forms = [root] + ([defined[root]] if root in defined else [])
        forms += [short for short, long in defined.items() if len(root) > 3 and long.startswith(root)]
        alternatives.append(forms)
    return alternatives


def _matches_topic(row: StatusRow, alternatives: list[list[str]]) -> bool:
    """Every root (one of its forms) is in the activity or its focus area; a short root ("vfu") starts a
    word, a longer one may sit inside a compound ("handledar" in "handledarkompetens")."""
    text = fold(" ".join((row.activity, row.focus_area)))
    return all(any(re.search(rf"(?<![a-z0-9]){re.escape(form)}" if len(form) <= 3 else re.escape(form), text)
                   for form in forms) for forms in alternatives)


def _entry_text(row: StatusRow) -> str:
    if row.latest is None:
        return FOLLOWUP_MESSAGES["no_entry"]
    entry = row.latest
    text = f"{entry.status} (registrerad {entry.entry_date.isoformat()} av {entry.recorded_by})"
    if entry.comment:
        text += f": {entry.comment}"
    if entry.evidence:
        text += f" Underlag: {entry.evidence}."
    return text


def _heading(question: StatusQuestion, councils: list[str], on: date) -> str:
    where = ", ".join(councils) if councils else "alla råd"
    when = f" ({question.period})" if question.period else ""
    if question.kind == "status" and question.status:
        return f"Aktiviteter med status {question.status} i {where}{when}, enligt den senast registrerade uppföljningen"
    if question.kind == "status":
        return f"Status för aktiviteterna i {where}{when}, enligt den senast registrerade uppföljningen"
    if question.kind == "remaining":
        return f"Återstår i {where}{when}: aktiviteter som inte har status Klar eller Struken"
    if question.kind == "overdue":
        return (f"Förfallna aktiviteter i {where}{when} per {on.isoformat()}: tidplanen eller uppföljningsdatumet "
                "har passerats utan status Klar eller Struken")
    return f"Status för aktiviteter om ”{question.topic}” i {where}{when}"


def status_answer(tracker: FollowupTracker, index, question: StatusQuestion, text: str,
                  on: date | None = None) -> Answer:
    """The answer to a status question from the latest entries, each activity cited to its record."""
    on = on or date.today()
    councils = question.councils or None
    rows = tracker.list_status(council=councils, period=question.period or None)
    if question.kind == "overdue":
        listed = {row.record_id for row in rows}
        rows = [row for row in tracker.due(on=on, council=councils) if row.record_id in listed]
    elif question.kind == "remaining":
        rows = [row for row in rows if row.status not in CLOSED_STATUSES]
    elif question.kind == "status" and question.status:
        rows = [row for row in rows if (row.status or NOT_STARTED) == question.status]
    elif question.kind == "topic":
        alternatives = _topic_alternatives(question.topic_roots, index)
        rows = [row for row in rows if _matches_topic(row, alternatives)]
    total = len(tracker.list_status(council=councils, period=question.period or None))
    shown_councils = list(dict.fromkeys(row.council for row in rows)) or (question.councils or [])

    if question.kind == "topic" and not rows:
        body = FOLLOWUP_MESSAGES["no_topic"].format(topic=question.topic)
        return Answer(question=text, answer=body, abstained=False, intent="followup_status", plan="followup",
                      resolved_question=text)

    records = _records_by_id(tracker, index)
    cite = CitationBuilder(index, MAX_CITATIONS)
    lines = [f"{_heading(question, shown_councils, on)}: {len(rows)} av {total}."]
    for row in rows[:MAX_LISTED]:
        record = records.get(row.record_id)
        n = cite.add(record.source, record.line_start, record.line_end, record.activity, record.section) \
            if record is not None else None
        marker = f" [{n}]" if n else ""
        council = f"{row.council}: " if len(shown_councils) > 1 else ""
        due = f" Skulle vara klar {row.due_date.isoformat()} enligt {row.due_because}." if row.due_date else ""
        lines.append(f"- {council}”{row.activity}”{marker} – {_entry_text(row)}.{due}".replace("..", "."))
    if len(rows) > MAX_LISTED:
        lines.append(f"… och {len(rows) - MAX_LISTED} aktiviteter till (se fliken Uppföljning).")
    if not rows:
        lines.append("Inga aktiviteter.")
    return Answer(question=text, answer="\n".join(lines), abstained=False, citations=list(cite.items),
                  intent="followup_status", plan="followup", resolved_question=text)


def _records_by_id(tracker: FollowupTracker, index) -> dict:
    ids = tracker.record_ids(index)
    return {ids[key]: record for record, key in zip(index.records, record_keys(index.records), strict=True)
            if key in ids}


def status_reply(tracker, index, text: str, on: date | None = None,
                 councils: list[str] | None = None) -> Answer | None:
    """The answer when ``text`` is a status question, else None. ``councils`` (a chat's council filter,
    as users write them) applies when the question names none.

    ``tracker``: a :class:`FollowupTracker`, None (no database: a status question is told that nothing
    is recorded yet), or a callable returning either, called only for a status question (so other
    messages never open the database).
    """
    known = plan_councils(index)
    question = parse_status_question(text, known, today=on)
    if question is None:
        return None
    if councils and not question.councils:
        try:
            question = replace(question, councils=resolve_councils(councils, known))
        except SummaryError:
            pass  # a filter naming no plan's council: the question over all councils
    if callable(tracker):
        tracker = tracker()
    if tracker is None:
        return Answer(question=text, answer=FOLLOWUP_MESSAGES["no_database"], abstained=False,
                      intent="followup_status", plan="followup", resolved_question=text)
    return status_answer(tracker, index, question, text, on=on)


__all__ = ["KINDS", "StatusQuestion", "parse_status_question", "status_answer", "status_reply"]
