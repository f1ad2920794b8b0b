"""Follow-up drafts ("uppföljning") of the councils' activity plans, built from the activity records.

A council secretariat reports on its plan: what was promised, who owns it, when, and how it is
measured. :func:`build_summary` lays every matching activity out as a row (focus area, goal,
activity, owner, contacts, timeline, follow-up measure and date, source lines) with empty
"Status" and "Kommentar" columns for a person to fill in. Each council gets an introduction whose
sentences carry verified citations ``[n]`` (the plan's name and period, and how the plan says it is
followed up), and a theme such as "VFU" gets a cross-council overview. Output: Markdown
(:func:`render_markdown`), Word (:func:`write_docx`) or CSV (:func:`render_csv`).

Periods are understood as the plans write them ("Q1-Q4 2026", "Q1-4 2026", "Kvartal 1 – 4" with the
year taken from the plan's period, "Kvartal 2", "ht -26") and as users ask for them ("Q3 2026",
"2026", "hösten 2026"). An activity matches a period when its timeline or its follow-up date lies
within it: "Q3 2026" takes activities planned for Q3 2026, not those running all year.

Nothing here paraphrases the plans: cells are the record fields as written in the documents.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.answer.citations import Citation, CitationBuilder
from assistant.answer.evidence import sentences
from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.councils import HEALTHCARE_REGIONS, council_aliases, council_region, unindexed_regions
from assistant.lang.patterns import compile_ci, follow_up_verb
from assistant.lang.tokens import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, detect_language, stem, words
from assistant.messages import REFUSAL_PHRASE
from assistant.schema import KIND_ACTIVITY, ActivityRecord
from assistant.text import normalize_for_match

MAX_CITATIONS = 60
MAX_FOLLOWUP_SENTENCES = 3
DATE_FIELDS = ("any", "timeline", "follow_up")


class SummaryError(ValueError):
    """A request the summary cannot serve (unknown council, unreadable period); message for the user."""


# ====================================================================== periods
# A period is an inclusive range of quarter numbers: year * 4 + (quarter - 1).
Interval = tuple[int, int]

_Q = r"(?:q|kv(?:artal)?\.?)"
_YEAR_TAIL = r"(?:\s*,?\s*(?:(20\d{2})|[-'’]\s?(\d{2})))?"
_QUARTER = re.compile(
    rf"(?<![\wåäö]){_Q}\s*([1-4])(?:\s*(?:-|–|—|till|to)\s*{_Q}?\s*([1-4]))?{_YEAR_TAIL}(?![\wåäö])", re.IGNORECASE)
_HALF = re.compile(r"(?<![\wåäö])(ht|vt|h1|h2)\s*(?:(20\d{2})|[-'’]?\s?(\d{2}))?(?![\wåäö\d])", re.IGNORECASE)
_SEASON = re.compile(r"(?<![\wåäö])(hösten|höst|våren|vår|autumn|fall|spring)\s+(?:(?:år\s+)?(20\d{2})|[-'’](\d{2}))(?!\d)",
                     re.IGNORECASE)
_MONTHS = {name: number for number, names in enumerate((
    ("januari", "january", "jan"), ("februari", "february", "feb"), ("mars", "march"), ("april",),
    ("maj", "may"), ("juni", "june"), ("juli", "july"), ("augusti", "august", "aug"),
    ("september", "sept", "sep"), ("oktober", "october", "okt", "oct"), ("november", "nov"), ("december", "dec"),
), start=1) for name in names}
_MONTH = re.compile(rf"(?<![\wåäö])({'|'.join(sorted(_MONTHS, key=len, reverse=True))})\.?\s+(20\d{{2}})(?!\d)", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"(?<!\d)(20\d{2})\s*[-–—]\s*(20\d{2}|\d{2})(?!\d)")
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d|:\d)")
_HALVES = {"ht": (3, 4), "h2": (3, 4), "hösten": (3, 4), "höst": (3, 4), "autumn": (3, 4), "fall": (3, 4),
           "vt": (1, 2), "h1": (1, 2), "våren": (1, 2), "vår": (1, 2), "spring": (1, 2)}


def quarter_index(year: int, quarter: int) -> int:
    return year * 4 + quarter - 1


def format_interval(interval: Interval) -> str:
    """(8105, 8107) → "Q2–Q4 2026"."""
    (y1, q1), (y2, q2) = divmod(interval[0], 4), divmod(interval[1], 4)
    if y1 == y2:
        if q1 == 0 and q2 == 3:
            return str(y1)
        return f"Q{q1 + 1} {y1}" if q1 == q2 else f"Q{q1 + 1}–Q{q2 + 1} {y1}"
    return f"Q{q1 + 1} {y1}–Q{q2 + 1} {y2}"


def _year(full: str | None, short: str | None) -> int | None:
    if full:
        return int(full)
    if short:
        return 2000 + int(short)
    return None


def plan_year(period: str) -> int | None:
    """The first year of a plan period ("2026–2028" → 2026)."""
    match = re.search(r"(?<!\d)(20\d{2})(?!\d)", period or "")
    return int(match.group(1)) if match else None


def find_periods(text: str, default_year: int | None = None) -> list[tuple[Interval, tuple[int, int]]]:
    """Every time expression in ``text`` as (interval, (start, end) of the match).

    Expressions without a year ("Kvartal 2", "ht") take a year written elsewhere in the same text,
    else ``default_year`` (the plan's year), else the current year.
    """
    masked = text
    found: list[tuple[Interval, tuple[int, int]]] = []
    yearless: list[tuple[int, int, tuple[int, int]]] = []  # (first quarter, last quarter, span) awaiting a year

    def mask(match: re.Match) -> None:
        nonlocal masked
        masked = masked[:match.start()] + " " * (match.end() - match.start()) + masked[match.end():]

    for match in list(_QUARTER.finditer(masked)):
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        year = _year(match.group(3), match.group(4))
        if first > last:
            first, last = last, first
        if year is None:
            yearless.append((first, last, match.span()))
        else:
            found.append(((quarter_index(year, first), quarter_index(year, last)), match.span()))
        mask(match)
    for pattern in (_HALF, _SEASON):
        for match in list(pattern.finditer(masked)):
            first, last = _HALVES[match.group(1).lower()]
            year = _year(match.group(2), match.group(3))
            if year is None:
                yearless.append((first, last, match.span()))
            else:
                found.append(((quarter_index(year, first), quarter_index(year, last)), match.span()))
            mask(match)
    for match in list(_MONTH.finditer(masked)):
        quarter = (_MONTHS[match.group(1).lower()] - 1) // 3 + 1
        found.append(((quarter_index(int(match.group(2)), quarter),) * 2, match.span()))
        mask(match)
    for match in list(_YEAR_RANGE.finditer(masked)):
        start, end = int(match.group(1)), int(match.group(2))
        end = end if end >= 100 else 2000 + end
        if end >= start:
            found.append(((quarter_index(start, 1), quarter_index(end, 4)), match.span()))
            mask(match)
    bare_years = list(_YEAR.finditer(masked))
    if yearless:
        year = int(bare_years[0].group(1)) if bare_years else (default_year or date.today().year)
        if bare_years:  # the year belongs to the yearless expression ("kvartal 2 under 2027")
            bare_years = bare_years[1:]
        for first, last, span in yearless:
            found.append(((quarter_index(year, first), quarter_index(year, last)), span))
    for match in bare_years:
        year = int(match.group(1))
        found.append(((quarter_index(year, 1), quarter_index(year, 4)), match.span()))
    found.sort(key=lambda item: item[1])
    return found


def parse_period(text: str, default_year: int | None = None) -> Interval | None:
    """The span covered by the time expressions in ``text`` ("Q1-4 2026" → Q1..Q4 2026), or None."""
    periods = find_periods(text or "", default_year)
    if not periods:
        return None
    return min(p[0][0] for p in periods), max(p[0][1] for p in periods)


def within(inner: Interval | None, outer: Interval) -> bool:
    return inner is not None and outer[0] <= inner[0] and inner[1] <= outer[1]


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
CSV_COLUMNS: list[tuple[str, str]] = [("council", "Råd"), ("plan", "Plan")] + COLUMNS[:7] \
    + [("timeline_period", "Tidplan (tolkad)")] + COLUMNS[7:]
OVERVIEW_HEADERS = ["Råd", "Aktivitet", "Ansvarig", "Tidplan", "Uppföljning", "Källa"]
DOCUMENT_TITLE = "Uppföljning av aktivitetsplaner – utkast"


# ====================================================================== councils
def plan_councils(index) -> list[str]:
    """Councils with activity records: the national council first, then the regional ones."""
    found = {record.council for record in index.records if record.council}
    return sorted(found, key=lambda c: (council_region(c) is not None, c))


def _names_pattern(names: list[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<![\wåäö])(?:{alternatives})s?(?![\wåäö])", re.IGNORECASE)


def resolve_councils(names: list[str] | str | None, known: list[str]) -> list[str]:
    """Council names as given ("Södra", "RVKR Södra", "Mellansverige", "nationella", "alla") → index names."""
    if isinstance(names, str):
        names = [names]
    requested = [part.strip() for name in names or [] for part in re.split(r"[,;]", name) if part.strip()]
    if not requested or any(n.lower() in {"alla", "all", "*", "samtliga"} for n in requested):
        return list(known)
    chosen: list[str] = []
    for name in requested:
        hits = [c for c in known if _names_pattern(council_aliases(c)).fullmatch(name.strip())
                or (len(name) >= 3 and name.lower() in c.lower())]
        if not hits:
            raise SummaryError(f"Okänt råd: {name}. Välj bland: {', '.join(known)} (eller 'alla').")
        chosen.extend(c for c in hits if c not in chosen)
    return [c for c in known if c in chosen]


def councils_in_text(text: str, known: list[str]) -> list[str]:
    """Councils named in a free-text request."""
    if re.search(r"(?<![\wåäö])(?:alla|samtliga)\s+(?:råd|råden|vårdkompetensråd)|\ball\s+(?:the\s+)?councils\b", text,
                 re.IGNORECASE):
        return list(known)
    return [c for c in known if _names_pattern(council_aliases(c)).search(text)]


# ====================================================================== building
def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


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
        timeline = parse_period(plan_period, year) if re.fullmatch(r"\s*20\d{2}\s*", plan_period or "") else None
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
                  date_field: str = "any") -> FollowUpSummary:
    """A follow-up draft of the councils' activity plans, filtered by period, keyword(s) and focus area.

    Several keywords are alternatives: an activity matching any of them is taken. A keyword matches
    the activity, focus area, goal and measure text; a defined abbreviation also matches its long
    form ("VFU" / "verksamhetsförlagd utbildning").

    ``index`` is a :class:`~assistant.index.LoadedIndex` (or anything with ``records``, ``chunks``,
    ``documents()`` and ``doc_lines``). Raises :class:`SummaryError` for an unknown council or a
    period that holds no date.
    """
    if date_field not in DATE_FIELDS:
        raise SummaryError(f"Okänt datumfält: {date_field}. Välj bland: {', '.join(DATE_FIELDS)}.")
    known = plan_councils(index)
    chosen = resolve_councils(councils, known)
    period = _clean(period or "")
    interval = None
    if period:
        interval = parse_period(period)
        if interval is None or re.search(r"\b(?:Q|kvartal\s*)(?![1-4]\b)\d+\b", period, re.IGNORECASE):
            raise SummaryError(f"Kunde inte tolka perioden ”{period}”. Exempel: ”Q3 2026”, ”2026”, ”Q1-Q4 2026”, ”ht -26”.")
    keywords = [_clean(k) for k in ([keyword] if isinstance(keyword, str) else keyword or []) if _clean(k or "")]
    abbreviations_map = find_abbreviations([chunk.text for chunk in index.chunks]) if keywords or focus_area else {}
    keyword_sets = {k: keyword_patterns(k, abbreviations_map) for k in keywords}
    focus_patterns = keyword_patterns(_clean(focus_area or ""), abbreviations_map) if focus_area else []
    forms = [f for k in keywords for f in [k] + [long for short, long in abbreviations_map.items() if short.lower() == k.lower()]
             + [short for short, long in abbreviations_map.items() if long.lower() == k.lower()]]
    matched_keywords: set[str] = set()

    documents = index.documents()
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


# ====================================================================== rendering
def _cell(row: SummaryRow, name: str) -> str:
    return str(getattr(row, name))


def table_columns(rows: list[SummaryRow], leave_out: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The columns of a table over ``rows``: optional ones only where some row has a value."""
    return [(name, header) for name, header in COLUMNS if name not in leave_out
            and (name not in OPTIONAL_COLUMNS or any(_cell(row, name) for row in rows))]


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>").strip()


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(_md_escape(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(_md_escape(cell) for cell in row) + " |")
    return "\n".join(out)


def _overview_cells(row: SummaryRow) -> list[str]:
    owner = row.owner + (f" (kontakt: {row.contacts})" if row.contacts else "")
    follow = "; ".join(part for part in (f"när: {row.follow_up}" if row.follow_up else "",
                                         f"mått: {row.measure}" if row.measure else "") if part)
    timeline = row.timeline
    if timeline and row.timeline_period and not re.search(r"20\d{2}|[-'’]\d{2}\b", timeline):
        timeline += f" (= {row.timeline_period})"  # the plan's year, for a timeline written without one
    return [row.council, row.activity, owner, timeline, follow, row.source_label]


def render_overview_markdown(summary: FollowUpSummary) -> str:
    """Side-by-side table of what each council plans on the theme, who owns it and when."""
    title = f"## Översikt: {summary.theme}" if summary.theme else "## Översikt"
    forms = summary.extra_forms
    note = f"Matchar även ”{'”, ”'.join(forms)}”." if forms else ""
    table = markdown_table(OVERVIEW_HEADERS, [_overview_cells(row) for row in summary.rows])
    return "\n\n".join(part for part in (title, note, table) if part)


def _filters_line(summary: FollowUpSummary) -> str:
    parts = [f"råd: {', '.join(summary.councils)}"]
    if summary.period:
        where = {"any": "tidplan eller uppföljningsdatum", "timeline": "tidplan", "follow_up": "uppföljningsdatum"}[summary.date_field]
        parts.append(f"period: {summary.period} ({where} inom perioden)")
    if summary.keywords:
        parts.append(f"ämne: {summary.theme}" + (f" (även ”{'”, ”'.join(summary.extra_forms)}”)" if summary.extra_forms else ""))
    if summary.focus_area:
        parts.append(f"fokusområde: {summary.focus_area}")
    return "Urval – " + "; ".join(parts) + "."


def _notes(summary: FollowUpSummary) -> list[str]:
    notes = []
    if summary.without_matches:
        notes.append(f"Inga matchande aktiviteter hos: {', '.join(summary.without_matches)}.")
    if summary.unmatched_keywords:
        notes.append(f"Ingen aktivitet handlar om: ”{'”, ”'.join(summary.unmatched_keywords)}”.")
    return notes


def _include_overview(summary: FollowUpSummary, overview: bool | None) -> bool:
    if overview is not None:
        return overview and bool(summary.rows)
    return bool(summary.theme) and len(summary.sections) > 1


def citation_line(citation: Citation) -> str:
    lines = f"rad {citation.lines[0]}" if citation.lines[0] == citation.lines[1] else f"rad {citation.lines[0]}–{citation.lines[1]}"
    return f"[{citation.n}] {citation.title} ({citation.source}, {lines}): ”{citation.quote}”"


def render_markdown(summary: FollowUpSummary, overview: bool | None = None) -> str:
    """The draft as Markdown: filters, overview (for a theme over several councils), a section per council, sources."""
    out = [f"# {DOCUMENT_TITLE}", _filters_line(summary)
           + " Raderna är hämtade ordagrant ur planerna; fyll i kolumnerna Status och Kommentar."]
    if not summary.rows:
        out.append("Inga aktiviteter i planerna matchar urvalet.")
        return "\n\n".join(out) + "\n"
    notes = _notes(summary)
    if notes:
        out.append(" ".join(notes))
    if _include_overview(summary, overview):
        out.append(render_overview_markdown(summary))
    for section in summary.sections:
        out.append(f"## {section.council}")
        out.append(" ".join(section.intro))
        columns = table_columns(section.rows)
        out.append(f"### Aktiviteter ({len(section.rows)})")
        out.append(markdown_table([h for _, h in columns], [[_cell(r, n) for n, _ in columns] for r in section.rows]))
        derived = [r for r in section.rows if r.timeline_from_content]
        if derived:
            out.append("Tidplan hämtad ur aktivitetens Innehåll-text för: "
                       + "; ".join(f"”{_shorten(r.activity)}” ({r.source_label})" for r in derived) + ".")
    if summary.citations:
        out.append("## Källor")
        out.append("\n".join(citation_line(c) for c in summary.citations))
    return "\n\n".join(out) + "\n"


def render_csv(summary: FollowUpSummary, delimiter: str = ",") -> str:
    """One line per activity with every column (council and plan included); Status/Kommentar empty."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[header for _, header in CSV_COLUMNS], delimiter=delimiter)
    writer.writeheader()
    for row in summary.rows:
        writer.writerow(row.csv_dict())
    return buffer.getvalue()


def write_csv(summary: FollowUpSummary, path: str | Path, delimiter: str = ",") -> Path:
    path = Path(path)
    path.write_text(render_csv(summary, delimiter), encoding="utf-8-sig", newline="")  # BOM: Excel reads å, ä, ö
    return path


def _docx_table(document, headers: list[str], rows: list[list[str]]):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    header = table.rows[0]
    properties = header._tr.get_or_add_trPr()  # repeat the header row on every page
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    properties.append(repeat)
    for cell, text in zip(header.cells, headers):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(8)
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(8)
    return table


def write_docx(summary: FollowUpSummary, path: str | Path, overview: bool | None = None) -> Path:
    """A Word document: a heading per council and per focus area, each with a table, then the sources."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = max(section.page_width, section.page_height), min(section.page_width, section.page_height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.core_properties.title = DOCUMENT_TITLE
    document.add_heading(DOCUMENT_TITLE, 0)
    document.add_paragraph(_filters_line(summary) + " Raderna är hämtade ordagrant ur planerna; fyll i kolumnerna Status och Kommentar.")
    if not summary.rows:
        document.add_paragraph("Inga aktiviteter i planerna matchar urvalet.")
    if summary.rows and _notes(summary):
        document.add_paragraph(" ".join(_notes(summary)))
    if _include_overview(summary, overview):
        document.add_heading(f"Översikt: {summary.theme}" if summary.theme else "Översikt", 1)
        _docx_table(document, OVERVIEW_HEADERS, [_overview_cells(row) for row in summary.rows])
    for council_section in summary.sections:
        document.add_heading(council_section.council, 1)
        for sentence in council_section.intro:
            document.add_paragraph(sentence)
        groups: dict[str, list[SummaryRow]] = {}
        for row in council_section.rows:
            groups.setdefault(row.group, []).append(row)
        for group, rows in groups.items():
            document.add_heading(group, 2)
            columns = table_columns(rows, leave_out=("focus_area",))
            _docx_table(document, [h for _, h in columns], [[_cell(r, n) for n, _ in columns] for r in rows])
    if summary.citations:
        document.add_heading("Källor", 1)
        for citation in summary.citations:
            document.add_paragraph(citation_line(citation))
    path = Path(path)
    document.save(str(path))
    return path


# ====================================================================== chat
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
        rest = _names_pattern(council_aliases(council)).sub(" , ", rest)
    for region in missing:
        rest = _names_pattern([region.lower(), *HEALTHCARE_REGIONS.get(region, ())]).sub(" , ", rest)
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


# ====================================================================== CLI
def summary_command(index, args: argparse.Namespace, stdout=None) -> int:
    """Run ``assistant summary``: 0 when written, 2 for an unknown council or unreadable period."""
    stdout = stdout or sys.stdout
    try:
        summary = build_summary(index, councils=args.council or None, period=args.period, keyword=args.keyword or None,
                                focus_area=args.focus_area, date_field=args.date_field)
    except SummaryError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 2
    if args.overview:
        text = render_overview_markdown(summary) + "\n" if summary.rows else "Inga aktiviteter i planerna matchar urvalet.\n"
        _emit(text, args.out, stdout)
    elif args.format == "docx":
        path = write_docx(summary, args.out or "uppfoljning-utkast.docx")
        print(f"Skrev {path} ({len(summary.rows)} aktiviteter, {len(summary.sections)} råd).", file=stdout)
    elif args.format == "csv":
        if args.out:
            path = write_csv(summary, args.out, args.delimiter)
            print(f"Skrev {path} ({len(summary.rows)} aktiviteter).", file=stdout)
        else:
            stdout.write(render_csv(summary, args.delimiter))
    else:
        _emit(render_markdown(summary), args.out, stdout)
    return 0


def _emit(text: str, out: str | None, stdout) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        print(f"Skrev {out}.", file=stdout)
    else:
        stdout.write(text)
