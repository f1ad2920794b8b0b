"""Follow-up drafts ("uppföljning") of the councils' activity plans, built from the activity records.

A council secretariat reports on its plan: what was promised, who owns it, when, and how it is
measured. :func:`build_summary` lays every matching activity out as a row (focus area, goal,
activity, owner, contacts, timeline, follow-up measure and date, source lines) with "Status" and
"Kommentar" columns for a person to fill in (filled from the latest follow-up entries when the caller
passes them, see :mod:`assistant.followup.tracking`). Every row carries the activity's record id
(:mod:`assistant.db.record_ids`), so a filled-in CSV can be read back. Each council gets an introduction whose
sentences carry verified citations ``[n]`` (the plan's name and period, and how the plan says it is
followed up). Rendering is in :mod:`assistant.followup.render`, chat requests in
:mod:`assistant.followup.chat`.

Periods (:mod:`assistant.lang.periods`) are understood as the plans write them and as users ask
for them. An activity matches a period when its timeline or its follow-up date lies within it:
"Q3 2026" takes activities planned for Q3 2026, not those running all year.

Nothing here paraphrases the plans: cells are the record fields as written in the documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.citations import Citation, CitationBuilder
from assistant.answer.evidence import sentences
from assistant.db.record_ids import assign_record_ids
from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.councils import council_aliases, council_region
from assistant.lang.patterns import compile_ci, follow_up_verb
from assistant.lang.periods import (
    Interval,
    find_periods,
    format_interval,
    is_single_year,
    names_impossible_quarter,
    parse_period,
    plan_year,
    within,
)
from assistant.lang.spelling import fold
from assistant.lang.tokens import stem, words
from assistant.messages import REFUSAL_PHRASE
from assistant.schema import KIND_ACTIVITY, ActivityRecord
from assistant.text import normalize_for_match

MAX_CITATIONS = 60
MAX_FOLLOWUP_SENTENCES = 3
DATE_FIELDS = ("any", "timeline", "follow_up")


class SummaryError(ValueError):
    """A request the summary cannot serve (unknown council, unreadable period); message for the user."""


# ====================================================================== keywords
def keyword_patterns(keyword: str, abbreviations_map: dict[str, str] | None = None) -> list[re.Pattern]:
    """Case-insensitive patterns for a keyword and, for a defined abbreviation, its long form (and back).

    Each word matches its inflections ("förenade anställningar" also finds "förenade anställning");
    words of three letters or less ("VFU", "AI") match as whole words, also in "VFU-arbetet".
    """
    phrases = [keyword.strip()]
    for short, long in (abbreviations_map or {}).items():
        if keyword.strip().lower() == short.lower():
            phrases.append(long)
        elif keyword.strip().lower() == long.lower():
            phrases.append(short)
    patterns = []
    for phrase in phrases:
        tokens = words(phrase)
        if not tokens:
            continue
        parts = []
        for token in tokens:
            if len(token) <= 3:
                parts.append(rf"{re.escape(token)}(?![\wåäö])")
            else:
                root = stem(token)
                root = root if len(root) >= 4 and token.startswith(root) else token[: max(4, len(token) - 2)]
                parts.append(rf"{re.escape(root)}[\wåäö]*")
        patterns.append(re.compile(r"(?<![\wåäö])" + r"[\s/-]+".join(parts), re.IGNORECASE))
    return patterns


def _matches(patterns: list[re.Pattern], *texts: str) -> bool:
    text = " ".join(normalize_for_match(t) for t in texts if t)
    return any(pattern.search(text) for pattern in patterns)


# ====================================================================== data
@dataclass
class SummaryRow:
    """One activity of a plan as a follow-up row; ``status`` and ``comment`` are for a person to fill in."""

    council: str
    plan: str
    focus_area: str
    goal: str
    activity: str
    owner: str
    contacts: str
    content: str
    timeline: str
    measure: str
    follow_up: str
    source: str
    line_start: int
    line_end: int
    group: str = ""
    timeline_from_content: bool = False
    timeline_period: str = ""
    status: str = ""
    comment: str = ""
    record_id: str = ""  # the activity's id in the application database ("Id" in the CSV)

    @property
    def source_label(self) -> str:
        lines = f"rad {self.line_start}" if self.line_start == self.line_end else f"rad {self.line_start}–{self.line_end}"
        return f"{self.source}, {lines}"

    def csv_dict(self) -> dict[str, str]:
        return {header: str(getattr(self, name)) for name, header in CSV_COLUMNS}


@dataclass
class CouncilSection:
    """A council's part of the draft: plan(s), the cited introduction and the activity rows."""

    council: str
    plans: list[dict]
    intro: list[str]
    rows: list[SummaryRow]


@dataclass
class FollowUpSummary:
    """The whole draft: council sections, the citations of their introductions and the filters used."""

    sections: list[CouncilSection]
    citations: list[Citation]
    councils: list[str]
    period: str = ""
    period_interval: Interval | None = None
    date_field: str = "any"
    keywords: list[str] = field(default_factory=list)
    keyword_forms: list[str] = field(default_factory=list)
    focus_area: str = ""
    without_matches: list[str] = field(default_factory=list)
    unmatched_keywords: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[SummaryRow]:
        return [row for section in self.sections for row in section.rows]

    @property
    def theme(self) -> str:
        return " / ".join(self.keywords) or self.focus_area

    @property
    def extra_forms(self) -> list[str]:
        """Forms matched besides the keywords themselves (the long form of "VFU")."""
        lowered = {k.lower() for k in self.keywords}
        return [f for f in self.keyword_forms if f.lower() not in lowered]


# Column name → header, in table order. Optional columns are left out of a table where every row is empty.
COLUMNS: list[tuple[str, str]] = [
    ("focus_area", "Fokusområde"), ("goal", "Mål"), ("activity", "Aktivitet"), ("owner", "Ansvarig"),
    ("contacts", "Kontakt"), ("content", "Innehåll"), ("timeline", "Tidplan"), ("measure", "Uppföljningsmått"),
    ("follow_up", "Uppföljningsdatum"), ("source_label", "Källa"), ("status", "Status"), ("comment", "Kommentar"),
]
OPTIONAL_COLUMNS = {"focus_area", "goal", "content"}
CSV_COLUMNS: list[tuple[str, str]] = [("record_id", "Id"), ("council", "Råd"), ("plan", "Plan")] + COLUMNS[:7] \
    + [("timeline_period", "Tidplan (tolkad)")] + COLUMNS[7:]


# ====================================================================== councils
def plan_councils(index) -> list[str]:
    """Councils with activity records: the national council first, then the regional ones."""
    found = {record.council for record in index.records if record.council}
    return sorted(found, key=lambda c: (council_region(c) is not None, c))


def names_pattern(names: list[str]) -> re.Pattern:
    """Any of ``names`` as a whole word, case-insensitive, also in the genitive ("Södras")."""
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<![\wåäö])(?:{alternatives})s?(?![\wåäö])", re.IGNORECASE)


def resolve_councils(names: list[str] | str | None, known: list[str]) -> list[str]:
    """Council names as given ("Södra", "RVKR Södra", "Mellansverige", "nationella", "alla") → index names.

    Å, ä and ö may be written without their dots and rings ("sodra", "rvkr sodra")."""
    if isinstance(names, str):
        names = [names]
    requested = [part.strip() for name in names or [] for part in re.split(r"[,;]", name) if part.strip()]
    if not requested or any(n.lower() in {"alla", "all", "*", "samtliga"} for n in requested):
        return list(known)
    chosen: list[str] = []
    for name in requested:
        hits = [c for c in known if names_pattern(council_aliases(c)).fullmatch(name.strip())
                or names_pattern([fold(alias) for alias in council_aliases(c)]).fullmatch(fold(name.strip()))
                or (len(name) >= 3 and fold(name) in fold(c))]
        if not hits:
            raise SummaryError(f"Okänt råd: {name}. Välj bland: {', '.join(known)} (eller 'alla').")
        chosen.extend(c for c in hits if c not in chosen)
    return [c for c in known if c in chosen]


def councils_in_text(text: str, known: list[str]) -> list[str]:
    """Councils named in a free-text request."""
    if re.search(r"(?<![\wåäö])(?:alla|samtliga)\s+(?:råd|råden|vårdkompetensråd)|\ball\s+(?:the\s+)?councils\b", text,
                 re.IGNORECASE):
        return list(known)
    return [c for c in known if names_pattern(council_aliases(c)).search(text)]


# ====================================================================== record ids
RecordKey = tuple[str, int]  # (source, position among that source's records in the index)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def record_keys(records: list[ActivityRecord]) -> list[RecordKey]:
    """(source, position) of each record: its place among the records of its source, in index order.

    The position is what :meth:`assistant.db.Repository.sync_plan_records` stores, so a key finds a
    record's database id.
    """
    seen: dict[str, int] = {}
    keys = []
    for record in records:
        position = seen.get(record.source, 0)
        seen[record.source] = position + 1
        keys.append((record.source, position))
    return keys


def record_payloads(index) -> dict[str, list[dict]]:
    """The activity records of every plan in ``index`` as database records, per source (sorted)."""
    documents = index.documents()
    payloads: dict[str, list[dict]] = {}
    for record, (source, position) in zip(index.records, record_keys(index.records), strict=True):
        meta = documents.get(source, {})
        payloads.setdefault(source, []).append({
            "council": record.council, "source": source, "title": _clean(meta.get("title") or record.title),
            "activity": _clean(record.activity), "focus_area": _clean(record.focus_area),
            "owner": _clean(record.owner), "timeline": _clean(record.timeline),
            "follow_up": _clean(record.follow_up), "position": position,
        })
    return dict(sorted(payloads.items()))


def content_record_ids(index) -> dict[RecordKey, str]:
    """Record ids computed from the plans alone (no database): what a fresh database assigns.

    Sources are taken in sorted order, each reserving its ids for the next, as
    :func:`assistant.followup.tracking.sync_records` registers them. Once a database has seen
    earlier versions of a plan, its ids (which survive edits) are the ones to use.
    """
    ids: dict[RecordKey, str] = {}
    reserved: set[str] = set()
    for source, payloads in record_payloads(index).items():
        for payload, record_id in zip(payloads, assign_record_ids(payloads, reserved=reserved), strict=True):
            ids[(source, payload["position"])] = record_id
            reserved.add(record_id)
    return ids


# ====================================================================== building
def _timeline_from_content(index, record: ActivityRecord) -> str:
    """A line of the activity's own "Innehåll" text that dates it ("Planeras presentation ht -26")."""
    content = normalize_for_match(record.content)
    lines = index.doc_lines.get(record.source, [])
    for raw in lines[record.line_start - 1:record.line_end]:
        line = normalize_for_match(raw)
        if line and len(line) <= 100 and line in content and find_periods(line):
            return line
    return ""


def _row(index, record: ActivityRecord, plan_title: str, plan_period: str = "") -> SummaryRow:
    timeline, derived = _clean(record.timeline), False
    if not timeline and record.content:
        timeline = _timeline_from_content(index, record)
        derived = bool(timeline)
    focus = _clean(record.focus_area)
    interval = parse_period(timeline, plan_year(plan_period))
    return SummaryRow(
        council=record.council, plan=plan_title, focus_area=focus, goal=_clean(record.goal),
        activity=_clean(record.activity), owner=_clean(record.owner), contacts=", ".join(_clean(c) for c in record.contacts),
        content=_clean(record.content), timeline=timeline, measure=_clean(record.measure),
        follow_up=_clean(record.follow_up), source=record.source, line_start=record.line_start, line_end=record.line_end,
        group=focus or _clean(record.section.split(" > ")[-1]) or "Aktiviteter", timeline_from_content=derived,
        timeline_period=format_interval(interval) if interval else "",
    )


def _row_in_period(row: SummaryRow, period_text: str, date_field: str, plan_period: str) -> bool:
    year = plan_year(plan_period)
    wanted = parse_period(period_text, year)
    if wanted is None:
        return False
    timeline = parse_period(row.timeline, year)
    follow_up = parse_period(row.follow_up, year)
    if timeline is None and follow_up is None and date_field != "follow_up":
        # An undated activity of a one-year plan ("Aktivitetsplan 2026") belongs to that year.
        timeline = parse_period(plan_period, year) if is_single_year(plan_period) else None
    if date_field == "timeline":
        return within(timeline, wanted)
    if date_field == "follow_up":
        return within(follow_up, wanted)
    return within(timeline, wanted) or within(follow_up, wanted)


_CUES: list[tuple[re.Pattern, float]] = [
    (re.compile(r"uppfölj", re.IGNORECASE), 2.0),
    (re.compile(r"redovis", re.IGNORECASE), 2.0),
    (compile_ci(follow_up_verb(3)), 2.0),
    (re.compile(r"utvärder", re.IGNORECASE), 2.0),
    (re.compile(r"årlig|varje år|\bper år\b", re.IGNORECASE), 1.0),
    (re.compile(r"måluppfyllelse|\bmått\b", re.IGNORECASE), 1.0),
    (re.compile(r"bedömning|rapport", re.IGNORECASE), 0.5),
    (re.compile(r"\b(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december)\b",
                re.IGNORECASE), 0.5),
]
_FOLLOWUP_SECTION = re.compile(r"uppfölj|redovis|follow", re.IGNORECASE)
MIN_FOLLOWUP_SCORE = 3.0


def followup_score(sentence: str, section: str = "") -> float:
    """Lexical score of a sentence as a statement of how a plan is followed up."""
    score = sum(weight for pattern, weight in _CUES if pattern.search(sentence))
    if _FOLLOWUP_SECTION.search(section.split(" > ")[-1] if section else ""):
        score += 2.0
    return score


def _followup_sentences(index, sources: list[str]) -> list[tuple[float, object, str]]:
    """The best sentences on how the plan is followed up, from its non-activity text, in document order."""
    candidates = []
    for order, chunk in enumerate(index.chunks):
        if chunk.source not in sources or chunk.kind == KIND_ACTIVITY:
            continue
        for number, sentence in enumerate(s.quote for s in sentences(chunk)):
            score = followup_score(sentence, chunk.section)
            if score >= MIN_FOLLOWUP_SCORE:
                candidates.append((score, (order, number), chunk, sentence))
    best = sorted(candidates, key=lambda c: -c[0])[:MAX_FOLLOWUP_SENTENCES]
    return [(score, chunk, sentence) for score, _, chunk, sentence in sorted(best, key=lambda c: c[1])]


def _title_quote(index, source: str, title: str, search_lines: int = 25) -> tuple[int, int, str]:
    """The opening line(s) of a document that best give its title, as (start, end, verbatim text)."""
    lines = index.doc_lines.get(source, [])
    title_words = {stem(w) for w in words(title)}
    best: tuple[float, int, int, str] = (0.0, 0, 0, "")
    for start in range(1, min(len(lines), search_lines) + 1):
        if not normalize_for_match(lines[start - 1]):
            continue
        for end in range(start, min(len(lines), start + 2) + 1):
            text = normalize_for_match("\n".join(lines[start - 1:end]))
            if len(text) > 240:
                break
            tokens = {stem(w) for w in words(text)}
            if not tokens:
                continue
            score = len(tokens & title_words) / max(1, len(title_words)) - 0.01 * len(tokens - title_words)
            if score > best[0] + 1e-9:
                best = (score, start, end, text)
    return best[1], best[2], best[3]


def _label_quote(index, record: ActivityRecord, labels: list[str]) -> tuple[int, int, str] | None:
    """The column header line(s) near a record that hold the given labels, with the labels as the quote."""
    lines = index.doc_lines.get(record.source, [])
    start = max(1, record.line_start - 15)
    joined = " ".join(labels)
    for number in range(record.line_start, start - 1, -1):  # the nearest header above (or in) the record
        line = normalize_for_match(lines[number - 1]) if number - 1 < len(lines) else ""
        if joined in line:
            return number, number, joined
    span = normalize_for_match("\n".join(lines[record.line_start - 1:record.line_end]))
    if all(label in span for label in labels):
        return record.line_start, record.line_end, labels[0]
    return None


def _intro(index, council: str, records: list[ActivityRecord], cite: CitationBuilder) -> tuple[list[dict], list[str]]:
    documents = index.documents()
    sources = list(dict.fromkeys(record.source for record in records))
    plans, intro = [], []
    for source in sources:
        meta = documents.get(source, {})
        title, period = meta.get("title") or source, meta.get("period", "")
        plans.append({"source": source, "title": title, "period": period, "doc_type": meta.get("doc_type", "")})
        start, end, quote = _title_quote(index, source, title)
        n = cite.add(source, start, end, quote) if quote else None
        marker = f" [{n}]" if n else ""
        intro.append(f"Planen är ”{title}” ({source})" + (f", period {period}" if period else "") + f"{marker}.")

    chosen = _followup_sentences(index, sources)
    cited = []
    for _, chunk, sentence in chosen:
        n = cite.add(chunk.source, chunk.line_start, chunk.line_end, sentence, chunk.section)
        if n is not None:
            cited.append(f"”{sentence}” [{n}]")
    if cited:
        intro.append("Uppföljning enligt planen: " + " ".join(cited))
    else:
        intro.append(f"{REFUSAL_PHRASE} hur planen som helhet följs upp.")

    measure_records = [r for r in records if r.measure and r.labels.get("measure")]
    follow_records = [r for r in records if r.follow_up and r.labels.get("follow_up")]
    if measure_records or follow_records:
        first = (follow_records or measure_records)[0]
        labels = [label for label in (first.labels.get("measure"), first.labels.get("follow_up")) if label]
        if measure_records and not first.labels.get("measure"):
            labels.insert(0, measure_records[0].labels["measure"])
        found = _label_quote(index, first, labels)
        n = cite.add(first.source, found[0], found[1], found[2]) if found else None
        quoted = " och ".join(f"”{label}”" for label in labels)
        counts = [f"uppföljningsmått för {len(measure_records)} av {len(records)} aktiviteter" if measure_records
                  else "inga uppföljningsmått",
                  f"uppföljningsdatum för {len(follow_records)} av {len(records)} aktiviteter" if follow_records
                  else "inga uppföljningsdatum"]
        intro.append(f"Planen anger för aktiviteterna {quoted}" + (f" [{n}]" if n else "")
                     + f"; i planen finns {' och '.join(counts)} (kolumnerna Uppföljningsmått och Uppföljningsdatum).")
    else:
        intro.append(f"{REFUSAL_PHRASE} vilka mått eller datum aktiviteterna följs upp med; "
                     "kolumnerna Uppföljningsmått och Uppföljningsdatum är tomma.")
    return plans, intro


def build_summary(index, councils: list[str] | str | None = None, period: str | None = None,
                  keyword: list[str] | str | None = None, focus_area: str | None = None,
                  date_field: str = "any", record_ids: Mapping[RecordKey, str] | None = None,
                  entries: Mapping[str, Any] | None = None) -> FollowUpSummary:
    """A follow-up draft of the councils' activity plans, filtered by period, keyword(s) and focus area.

    Several keywords are alternatives: an activity matching any of them is taken. A keyword matches
    the activity, focus area, goal and measure text; a defined abbreviation also matches its long
    form ("VFU" / "verksamhetsförlagd utbildning").

    ``index`` is a :class:`~assistant.index.LoadedIndex` (or anything with ``records``, ``chunks``,
    ``documents()`` and ``doc_lines``). Raises :class:`SummaryError` for an unknown council or a
    period that holds no date.

    ``record_ids``: the database ids of the records by :func:`record_keys` (default:
    :func:`content_record_ids`); ``entries``: the latest follow-up entry per record id (anything with
    ``status`` and ``comment``), which fills the rows' Status and Kommentar. Without them the function
    needs no database.
    """
    if date_field not in DATE_FIELDS:
        raise SummaryError(f"Okänt datumfält: {date_field}. Välj bland: {', '.join(DATE_FIELDS)}.")
    known = plan_councils(index)
    chosen = resolve_councils(councils, known)
    period = _clean(period or "")
    interval = None
    if period:
        interval = parse_period(period)
        if interval is None or names_impossible_quarter(period):
            raise SummaryError(f"Kunde inte tolka perioden ”{period}”. Exempel: ”Q3 2026”, ”2026”, ”Q1-Q4 2026”, ”ht -26”.")
    keywords = [_clean(k) for k in ([keyword] if isinstance(keyword, str) else keyword or []) if _clean(k or "")]
    abbreviations_map = find_abbreviations([chunk.text for chunk in index.chunks]) if keywords or focus_area else {}
    keyword_sets = {k: keyword_patterns(k, abbreviations_map) for k in keywords}
    focus_patterns = keyword_patterns(_clean(focus_area or ""), abbreviations_map) if focus_area else []
    forms = [f for k in keywords for f in [k] + [long for short, long in abbreviations_map.items() if short.lower() == k.lower()]
             + [short for short, long in abbreviations_map.items() if long.lower() == k.lower()]]
    matched_keywords: set[str] = set()

    documents = index.documents()
    ids = dict(record_ids) if record_ids is not None else content_record_ids(index)
    keys = {id(record): key for record, key in zip(index.records, record_keys(index.records), strict=True)}
    entries = entries or {}
    cite = CitationBuilder(index, MAX_CITATIONS)
    summary = FollowUpSummary([], [], chosen, period=period, period_interval=interval, date_field=date_field,
                              keywords=keywords, keyword_forms=forms, focus_area=_clean(focus_area or ""))
    for council in chosen:
        records = [r for r in index.records if r.council == council]
        if not records:
            continue
        rows = []
        for record in records:
            meta = documents.get(record.source, {})
            row = _row(index, record, meta.get("title") or record.source, meta.get("period", ""))
            row.record_id = ids.get(keys[id(record)], "")
            entry = entries.get(row.record_id) if row.record_id else None
            if entry is not None:
                row.status, row.comment = entry.status, entry.comment
            if focus_patterns and not _matches(focus_patterns, row.focus_area):
                continue
            if period and not _row_in_period(row, period, date_field, meta.get("period", "")):
                continue
            if keyword_sets:
                hits = [k for k, patterns in keyword_sets.items()
                        if _matches(patterns, row.activity, row.focus_area, row.goal, row.measure)]
                if not hits:
                    continue
                matched_keywords.update(hits)
            rows.append(row)
        if not rows:
            summary.without_matches.append(council)
            continue
        plans, intro = _intro(index, council, [r for r in records if r.source in {row.source for row in rows}], cite)
        summary.sections.append(CouncilSection(council, plans, intro, rows))
    summary.citations = list(cite.items)
    summary.unmatched_keywords = [k for k in keywords if k not in matched_keywords]
    return summary
