"""Questions over the set of activity records: "Hur många …", "Vilka av Södras aktiviteter pågår hela året?".

Such a question is answered by filtering the structured records — council, period (the follow-up
drafts' period grammar), whole year / a single quarter, owner, contact, a field the plan leaves
empty, topic — and listing every match with the count and one cited line per record that says which
activity it is and gives the asked-for field. "Vilka råd har aktiviteter om …" groups the matches
by council.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.citations import CitationBuilder, quote_covering
from assistant.answer.evidence import (
    Terms,
    contacts_as_written,
    coverage,
    index_idf,
    present,
    record_text,
    topic_terms,
    with_compounds,
)
from assistant.lang.councils import detect_councils, short_name, without_council_names
from assistant.lang.patterns import (
    ACTIVITIES_WORD,
    COUNCILS_QUESTION,
    COUNT_QUESTION,
    MISSING_FIELD,
    OWNER_ALONE,
    PLANNED_QUESTION,
    SET_QUESTION,
    SINGLE_QUARTER,
    TERM_OR_QUARTER,
    WHICH_THING,
    WHOLE_YEAR,
    compile_ci,
)
from assistant.lang.periods import find_periods, is_single_year, parse_period, plan_year, within
from assistant.lang.spelling import fold
from assistant.lang.tokens import stem, words
from assistant.lang.words import field_words
from assistant.schema import ActivityRecord
from assistant.store.loaded import LoadedIndex
from assistant.text import normalize_for_match

_COUNT = compile_ci(COUNT_QUESTION)
_ACTIVITIES = compile_ci(ACTIVITIES_WORD)
_SET = compile_ci(SET_QUESTION)
_WHOLE_YEAR = compile_ci(WHOLE_YEAR)
_SINGLE_QUARTER = compile_ci(SINGLE_QUARTER)
_MISSING = compile_ci(MISSING_FIELD)
_ALONE = compile_ci(OWNER_ALONE)
_COUNCILS = compile_ci(COUNCILS_QUESTION)
_PLANNED = compile_ci(PLANNED_QUESTION)
_WHICH_THING = compile_ci(WHICH_THING)

FIELD_LABELS = {
    "sv": {"owner": "Ansvarig", "contacts": "Kontakt", "timeline": "Tidplan", "follow_up": "Uppföljning",
           "measure": "Mått", "focus_area": "Fokusområde", "goal": "Mål"},
    "en": {"owner": "owner", "contacts": "contact", "timeline": "timeline", "follow_up": "follow-up",
           "measure": "measure", "focus_area": "focus area", "goal": "goal"},
}


@dataclass
class RecordQuery:
    """What a set question filters the records on."""

    councils: list[str] = field(default_factory=list)
    period: tuple[int, int] | None = None
    whole_year: bool = False
    single_quarter: bool = False
    owner: str = ""            # an owner named in the question (folded stem prefix)
    owner_alone: bool = False
    contact: str = ""          # a contact person's name (folded)
    missing: str = ""          # a record field the plan leaves empty
    count: bool = False
    by_council: bool = False
    topic: Terms = field(default_factory=list)
    pool: list[str] | None = None  # chunk ids of the records to choose from (None: all)
    fields: list[str] = field(default_factory=list)  # record fields the question asks to see

    @property
    def has_filter(self) -> bool:
        return bool(self.period or self.whole_year or self.single_quarter or self.owner or self.contact or self.missing)


def _field_named(text: str) -> str:
    """The record field a phrase names ("kontaktperson" → contacts), the longest name winning."""
    folded = fold(text)
    best, found = "", ""
    for name, names in field_words().items():
        for word in names:
            if re.search(rf"(?<![\w]){re.escape(fold(word))}", folded) and len(word) > len(best):
                best, found = word, name
    return found


def _fields_named(text: str) -> list[str]:
    """Every record field a phrase names, in the order of the field table."""
    folded = fold(text)
    return [name for name, names in field_words().items()
            if any(re.search(rf"(?<![\w]){re.escape(fold(word))}(?![\w])", folded) for word in names)]


def _owner_terms(records: list[ActivityRecord]) -> dict[str, str]:
    """Folded stems of owner words (≥ 5 letters) → how the plans write them."""
    terms: dict[str, str] = {}
    for record in records:
        for word in words(record.owner):
            if len(word) >= 5:
                terms.setdefault(fold(stem(word)), word)
    return terms


def _contact_names(records: list[ActivityRecord]) -> set[str]:
    return {fold(part) for record in records for name in record.contacts for part in words(name) if len(part) >= 3}


def understand(query: str, index: LoadedIndex, known_councils: list[str], scope: list[str],
               language: str = "sv", base: RecordQuery | None = None,
               pool: list[ActivityRecord] | None = None) -> RecordQuery | None:
    """The record filter a question asks for, or None when it is not a question over the set of activities.

    ``base`` is the previous answer's filter in a conversation ("Och Q2?" keeps its council and
    swaps the period); ``pool`` the records the previous answer listed, when the question refers to
    them ("Hur många av dem pågår hela året?").
    """
    by_council = bool(_COUNCILS.search(query))
    count = bool(_COUNT.search(query))
    about_activities = bool(_ACTIVITIES.search(query))
    asks_set = bool(count or _SET.search(query) or by_council)
    # "Vad planerar Södra för Q4 2026?": a council, a period and what it plans is a question over its activities
    # (not "Vilka arbetsgrupper planeras …?", which asks for something else than the activities)
    planned = bool(_PLANNED.search(query) and not _WHICH_THING.search(query) and find_periods(query)
                   and detect_councils(query, known_councils))
    if not (about_activities and asks_set) and not planned and base is None \
            and not (pool and (asks_set or _filter_cue(query))):
        return None
    records = index.records
    rq = RecordQuery(councils=list(scope or detect_councils(query, known_councils)), count=count, by_council=by_council)
    rq.whole_year = bool(_WHOLE_YEAR.search(query))
    # "… over the whole year rather than a single quarter": the quarter is what they are not
    rq.single_quarter = bool(_SINGLE_QUARTER.search(query)) and not rq.whole_year
    if not rq.whole_year:
        years = [plan_year(meta.get("period", "")) for meta in index.documents().values()]
        default_year = max((y for y in years if y), default=None)
        periods = find_periods(query, default_year)
        if periods:
            rq.period = (min(p[0][0] for p in periods), max(p[0][1] for p in periods))
    folded_words = [fold(w) for w in words(query)]
    owners = _owner_terms(records)
    # a council named in the question is its scope, not an owner ("i Västra" is not "Västra Götalandsregionen",
    # "nationella rådets" not "Rådet")
    for word in (fold(w) for w in words(without_council_names(query, detect_councils(query, known_councils)))):
        token = fold(stem(word))
        match = next((key for key in owners if len(token) >= 5 and (key.startswith(token) or token.startswith(key))), "")
        if match:
            rq.owner = match
            rq.owner_alone = bool(_ALONE.search(query))
            break
    names = _contact_names(records)
    rq.contact = next((word for word in folded_words if word in names), "")
    if _MISSING.search(query):
        rq.missing = _field_named(query[_MISSING.search(query).end():]) or _field_named(query)
    rq.fields = [name for name in _fields_named(query) if name != rq.missing]
    rq.topic = _topic(query, index, rq, language)
    if planned and not (about_activities and asks_set) and base is None and pool is None and (rq.topic or rq.fields) \
            and not (count and rq.topic and _names_activities(rq.topic, records, rq.councils)):
        return None  # "Vilka arbetsgrupper planeras i Mellansverige 2026?" asks about something in particular
    if pool is not None:
        rq.pool = [record.chunk_id for record in pool]
        rq.councils = rq.councils or sorted({record.council for record in pool})
    if base is not None:
        rq = _merge(base, rq)
    if base is not None and pool is None and not (rq.has_filter or rq.topic or rq.count or about_activities):
        return None
    return rq


def _names_activities(topic: Terms, records: list[ActivityRecord], councils: list[str]) -> bool:
    """Whether the topic names a kind of activity: it opens the names of at least two of the council's activities
    ("Hur många kartläggningar har Mellansverige planerat?" → "Kartlägga …", "Kartlägga …")."""
    opening = [frozenset(stem(w) for w in words(r.activity)[:2]) for r in records if not councils or r.council in councils]
    return all(sum(1 for first in opening if present(group, first)) >= 2 for group in topic)


def asks_for_set(query: str) -> bool:
    """A count or a set question ("hur många", "vilka av dem", "which of them")."""
    return bool(_COUNT.search(query) or _COUNCILS.search(query) or (_SET.search(query) and _ACTIVITIES.search(query))
                or _filter_cue(query))


def _filter_cue(query: str) -> bool:
    return bool(_WHOLE_YEAR.search(query) or _SINGLE_QUARTER.search(query) or _MISSING.search(query)
                or find_periods(query))


def _merge(base: RecordQuery, new: RecordQuery) -> RecordQuery:
    """A follow-up's filter: what the new turn states replaces the previous turn's, the rest is kept."""
    time_given = bool(new.period or new.whole_year or new.single_quarter)
    return RecordQuery(
        councils=new.councils or base.councils,
        period=new.period if time_given else base.period,
        whole_year=new.whole_year if time_given else base.whole_year,
        single_quarter=new.single_quarter if time_given else base.single_quarter,
        owner=new.owner or base.owner, owner_alone=new.owner_alone or (base.owner_alone and not new.owner),
        contact=new.contact or base.contact, missing=new.missing or base.missing,
        count=new.count, by_council=new.by_council or base.by_council, topic=new.topic or base.topic,
        pool=new.pool if new.pool is not None else base.pool, fields=new.fields or base.fields,
    )


def _topic(query: str, index: LoadedIndex, rq: RecordQuery, language: str) -> Terms:
    """What the activities must be about: the question's words once every filter phrase is taken out,
    keeping only words that occur in some record of the scope (a word no record has says nothing here)."""
    masked = query
    for pattern in (_COUNT, _ACTIVITIES, _SET, _WHOLE_YEAR, _SINGLE_QUARTER, _MISSING, _ALONE, _COUNCILS):
        masked = pattern.sub(" ", masked)
    for _, (start, end) in sorted(find_periods(masked), key=lambda p: -p[1][0]):
        masked = masked[:start] + " " + masked[end:]
    masked = re.sub(r"\b(?:19|20)\d\d\b", " ", masked)
    masked = " ".join(w for w in re.findall(r"[\w-]+", masked)
                      if fold(stem(w.lower())) not in _FIELD_STEMS and not _is_filter_word(w, rq))
    pool = [r for r in index.records if not rq.councils or r.council in rq.councils]
    texts = [record_text(r) for r in pool]
    idf = index_idf(index)
    # an activity about "forskarskolor" is about "forskning": the corpus's compounds of a topic word count
    groups = [with_compounds(group, idf) for group in topic_terms(masked, index, rq.councils, language)]
    return [group for group in groups if any(coverage([group], text, idf) > 0 for text in texts)]


def _is_filter_word(word: str, rq: RecordQuery) -> bool:
    folded = fold(stem(word.lower()))
    return any(o and (folded.startswith(o) or o.startswith(folded)) for o in (rq.owner, rq.contact)) and len(folded) >= 3


_FIELD_STEMS = {fold(stem(word)) for names in field_words().values() for word in names if " " not in word}


def _interval(text: str, record: ActivityRecord, plans: dict[str, dict], undated_is_plan_year: bool = False
              ) -> tuple[int, int] | None:
    """The period a record field names; an undated activity of a one-year plan belongs to that year."""
    period = plans.get(record.source, {}).get("period", "")
    found = parse_period(text, plan_year(period))
    if found is None and undated_is_plan_year and not text and is_single_year(period):
        return parse_period(period)
    return found


_TERM_OR_QUARTER = compile_ci(TERM_OR_QUARTER)


def _content_time(record: ActivityRecord) -> str:
    """A row without a timeline that dates itself in its content ("Planeras presentation ht -26"): that phrase."""
    match = _TERM_OR_QUARTER.search(record.content)
    return record.content[max(0, match.start() - 40):match.end() + 10] if match else ""


def matches(rq: RecordQuery, record: ActivityRecord, plans: dict[str, dict], idf, min_topic: float) -> bool:
    if rq.pool is not None and record.chunk_id not in rq.pool:
        return False
    if rq.councils and record.council not in rq.councils:
        return False
    timeline = _interval(record.timeline or _content_time(record), record, plans)
    if rq.whole_year:
        if timeline is None or (timeline[1] - timeline[0]) < 3:
            return False
    if rq.single_quarter and (timeline is None or timeline[0] != timeline[1]):
        return False
    if rq.period and not (within(timeline or _interval(record.timeline, record, plans, True), rq.period)
                          or within(_interval(record.follow_up, record, plans), rq.period)):
        return False
    if rq.owner:
        owner_stems = [fold(stem(w)) for w in words(record.owner) if len(w) >= 5]
        if not any(s.startswith(rq.owner) or rq.owner.startswith(s) for s in owner_stems):
            return False
        if rq.owner_alone and len(owner_stems) > 1:
            return False
    if rq.contact and not any(rq.contact == fold(part) for name in record.contacts for part in words(name)):
        return False
    if rq.missing:
        value = record.contacts if rq.missing == "contacts" else getattr(record, rq.missing, "")
        if value:
            return False
    # the topic may name the plan itself ("handlingsplanen för primärvården"): its title counts
    title = plans.get(record.source, {}).get("title", "")
    if rq.topic and coverage(rq.topic, f"{record_text(record)} {title}", idf) < min_topic:
        return False
    return True


def shown_fields(rq: RecordQuery) -> list[str]:
    """Which fields each answer line gives next to the activity."""
    if rq.fields:
        return rq.fields
    if rq.missing:
        return ["owner"]
    if rq.contact:
        return ["contacts"]
    if rq.owner:
        return ["owner"]
    return ["timeline"]


def _value(index: LoadedIndex, record: ActivityRecord, name: str) -> str:
    return contacts_as_written(index, record) if name == "contacts" else getattr(record, name, "") or ""


def _shorten(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def answer_lines(rq: RecordQuery, found: list[ActivityRecord], index: LoadedIndex, cite: CitationBuilder,
                 language: str) -> list[str]:
    """The count line and one cited line per record (or per council for "vilka råd …")."""
    labels = FIELD_LABELS[language]
    shown = shown_fields(rq)
    councils = sorted({r.council for r in found}, key=lambda c: [r.council for r in found].index(c))
    lines: list[str] = []
    if rq.by_council:
        names = ", ".join(short_name(c) for c in councils)
        lines.append(f"{len(councils)} råd har sådana aktiviteter: {names}." if language == "sv"
                     else f"{len(councils)} councils have such activities: {names}.")
    else:
        scope = " och ".join(short_name(c) for c in councils) if language == "sv" else " and ".join(short_name(c) for c in councils)
        noun = ("aktivitet" if len(found) == 1 else "aktiviteter") if language == "sv" else \
            ("activity" if len(found) == 1 else "activities")
        lines.append(f"{len(found)} {noun} ({scope}):")
    plan_names = [(r.council, _shorten(r.activity)) for r in index.records]
    for record in found:
        name_shown = _shorten(record.activity)
        values = [(name, _value(index, record, name)) for name in shown]
        stated = [record.contacts[-1] if name == "contacts" and record.contacts else value for name, value in values if value]
        # two activities of a plan with the same name ("Följa utvecklingen och sprida lärande exempel" under two
        # goals) are told apart by their goal, which the quote then covers too
        goal = record.goal if record.goal and plan_names.count((record.council, name_shown)) > 1 else ""
        if goal:
            quote = quote_covering(index, record.source, record.line_start, record.line_end, goal, [record.activity, *stated])
            if normalize_for_match(record.activity)[:60] not in normalize_for_match(quote):
                goal, quote = "", ""
        if not goal:
            quote = quote_covering(index, record.source, record.line_start, record.line_end, record.activity, stated)
        n = cite.add(record.source, record.line_start, record.line_end, quote or record.activity[:200], record.section)
        marker = f" [{n}]" if n is not None else ""
        where = f"{short_name(record.council)}: " if len(councils) > 1 else ""
        detail = "".join(f" – {labels[name]}: {value}" for name, value in values if value)
        named = f"{name_shown} ({labels['goal']}: {_shorten(goal, 80)})" if goal else name_shown
        lines.append(f"- {where}{named}{detail}{marker}")
    return lines


def select(rq: RecordQuery, index: LoadedIndex, idf, min_topic: float) -> list[ActivityRecord]:
    """The records that pass the filter, in plan order."""
    plans = index.documents()
    return [r for r in index.records if matches(rq, r, plans, idf, min_topic)]
