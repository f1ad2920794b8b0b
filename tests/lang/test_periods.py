"""Periods (assistant.lang.periods): as the plans write them and as users ask for them."""

from __future__ import annotations

import pytest

from assistant.lang.periods import find_periods, format_interval, parse_period


@pytest.mark.parametrize(("text", "year", "expected"), [
    ("Q1-Q4 2026", None, "2026"), ("Q1-4 2026", None, "2026"), ("Q1–Q4 2026", None, "2026"),
    ("Q3 2026", None, "Q3 2026"), ("Q1 2027", None, "Q1 2027"), ("2026", None, "2026"),
    ("Kvartal 1 – 4", 2026, "2026"), ("Kvartal 2", 2026, "Q2 2026"), ("Kvartal 3.", 2026, "Q3 2026"),
    ("ht -26", None, "Q3–Q4 2026"), ("Planeras presentation ht -26", None, "Q3–Q4 2026"), ("vt 2027", None, "Q1–Q2 2027"),
    ("hösten 2026", None, "Q3–Q4 2026"), ("2026–2028", None, "Q1 2026–Q4 2028"), ("kvartal 2 under 2027", 2026, "Q2 2027"),
    ("februari 2027", None, "Q1 2027"), ("H2 2026", None, "Q3–Q4 2026"),
])
def test_periods_as_written_in_plans_and_requests(text, year, expected):
    assert format_interval(parse_period(text, year)) == expected


@pytest.mark.parametrize("text", ["", "Rådet", "förordningen (2015:284)", "Sammanfatta uppföljningen för Södra"])
def test_text_without_a_period(text):
    assert parse_period(text, 2026) is None


def test_period_spans_point_at_the_words():
    text = "Sammanfatta uppföljningen för Södra Q3 2026"
    [(interval, (start, end))] = find_periods(text)
    assert text[start:end] == "Q3 2026" and format_interval(interval) == "Q3 2026"
