"""Time expressions as the plans write them and as users ask for them, read as ranges of quarters.

The plans write "Q1-Q4 2026", "Q1-4 2026", "Kvartal 1 – 4" (the year taken from the plan's period),
"Kvartal 2", "ht -26"; users ask for "Q3 2026", "2026", "hösten 2026", "vt 2027", "februari 2027".
:func:`find_periods` finds every such expression in a text, :func:`parse_period` gives the span they
cover, :func:`within` tells whether one span lies inside another and :func:`format_interval` writes a
span back ("Q2–Q4 2026").

Language knowledge only: stdlib and nothing above :mod:`assistant.lang`.
"""

from __future__ import annotations

import re
from datetime import date

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
_FIRST_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_IMPOSSIBLE_QUARTER = re.compile(r"\b(?:Q|kvartal\s*)(?![1-4]\b)\d+\b", re.IGNORECASE)
_WRITTEN_YEAR = re.compile(r"20\d{2}|[-'’]\d{2}\b")
_SINGLE_YEAR = re.compile(r"\s*20\d{2}\s*")


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
    match = _FIRST_YEAR.search(period or "")
    return int(match.group(1)) if match else None


def names_impossible_quarter(text: str) -> bool:
    """Whether ``text`` names a quarter that does not exist ("Q7 2026", "kvartal 5")."""
    return bool(_IMPOSSIBLE_QUARTER.search(text))


def names_year(text: str) -> bool:
    """Whether ``text`` writes a year ("Q3 2026", "ht -26"), unlike "Kvartal 3"."""
    return bool(_WRITTEN_YEAR.search(text))


def is_single_year(text: str) -> bool:
    """Whether ``text`` is just one year ("2026"), as a one-year plan's period is written."""
    return bool(_SINGLE_YEAR.fullmatch(text or ""))


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
