"""Text normalisation (assistant.text): markup, hyphenated line breaks, whitespace, the match form.

The line pairs are taken from the corpus where noted (file and line numbers in corpus/).
"""

from __future__ import annotations

import pytest
from corpus_names import ALL_DOCS, CORPUS_DIR

from assistant.text import join_lines, normalize_for_match, strip_markup


def _lines(name: str, start: int, end: int) -> list[str]:
    return (CORPUS_DIR / name).read_text(encoding="utf-8").split("\n")[start - 1:end]


# ------------------------------------------------------------------ hyphenated line breaks
@pytest.mark.parametrize(("lines", "joined"), [
    (["gällande verksam-", "hetsförlagd utbildning"], "gällande verksamhetsförlagd utbildning"),
    (["Pandemin och kompetens-", "försörjningen, del 2"], "Pandemin och kompetensförsörjningen, del 2"),
    (["Region Stock-", "holms placeringsverktyg"], "Region Stockholms placeringsverktyg"),
])
def test_word_broken_across_lines_is_rejoined(lines, joined):
    assert join_lines(lines) == joined


@pytest.mark.parametrize(("lines", "joined"), [
    (["inom hälso-", "och sjukvården"], "inom hälso- och sjukvården"),
    (["Verksamhets-", "och aktivitetsplanen"], "Verksamhets- och aktivitetsplanen"),
    (["kommun-", "eller regionnivå"], "kommun- eller regionnivå"),
    (["läkar-", "samt sjuksköterskeutbildning"], "läkar- samt sjuksköterskeutbildning"),
    (["grund-", "respektive vidareutbildning"], "grund- respektive vidareutbildning"),
])
def test_suspended_compound_keeps_its_hyphen(lines, joined):
    assert join_lines(lines) == joined


@pytest.mark.parametrize(("lines", "joined"), [
    (["översyn av AT-", "föreskriften"], "översyn av AT-föreskriften"),  # abbreviation + word keeps the hyphen
    (["antal VFU-", "platser"], "antal VFU-platser"),
    (["verksamhetsperioden 2026-", "2028"], "verksamhetsperioden 2026- 2028"),  # not a lower-case word part
    (["Pandemin och kompetens-", "Försörjning"], "Pandemin och kompetens- Försörjning"),  # capital: a new start
])
def test_other_hyphens_at_line_end(lines, joined):
    assert join_lines(lines) == joined


def test_corpus_line_breaks():
    # corpus/001_…: lines 89–90; corpus/003_…: lines 80–82 (a blank line between) and 182–183
    assert join_lines(_lines(ALL_DOCS[1], 89, 90)) == "Bevaka utvecklingen på nationell nivå gällande verksamhetsförlagd utbildning"
    assert join_lines(_lines(ALL_DOCS[3], 80, 82)).endswith("barnmorskor i hälso- och sjukvården med fokus på förlossningsvården")
    assert "översyn av AT-föreskriften, genomgång" in join_lines(_lines(ALL_DOCS[3], 182, 183))


# ------------------------------------------------------------------ markup and whitespace
@pytest.mark.parametrize(("line", "clean"), [
    ("## Prioriterade områden", "Prioriterade områden"),
    ("#### Område 1. Verksamhetsförlagd utbildning i förnyelse", "Område 1. Verksamhetsförlagd utbildning i förnyelse"),
    ("### *Omfattning av rådets verksamhet*", "Omfattning av rådets verksamhet"),
    ("<b>Kris- och beredskap</b>\tRådet avser", "Kris- och beredskap\tRådet avser"),
    ("**Mål:** _Öka_ antalet", "Mål: Öka antalet"),
    ("***Viktigt***", "Viktigt"),
    ('<span class="x">Rådet</span><br/>', "Rådet"),
])
def test_strip_markup(line, clean):
    assert strip_markup(line) == clean


@pytest.mark.parametrize("line", [
    "#1 prioritet",  # no space after the hash: not a heading
    "5 * 3 = 15",  # a lone asterisk is not emphasis
    "Q1-Q4 2026",
    "a_b_c",
    "Uppföljning - mått < 3 > 1",  # comparison signs are not tags
    "VFU (verksamhetsförlagd utbildning)",
])
def test_strip_markup_leaves_plain_text_alone(line):
    assert strip_markup(line) == line


def test_join_lines_strips_markup_and_collapses_whitespace():
    lines = ["## Aktivitetsplan 2026", "", "   ", "<b>Verksamhetsförlagd utbildning i förnyelse</b>\tRådet ska  inspireras",
             "\t*genom goda exempel*\t\tRådet\t Q1-Q4 2026  "]
    assert join_lines(lines) == ("Aktivitetsplan 2026 Verksamhetsförlagd utbildning i förnyelse Rådet ska inspireras "
                                 "genom goda exempel Rådet Q1-Q4 2026")


def test_join_lines_hyphen_after_markup_is_stripped():
    assert join_lines(["<b>verksam-</b>", "*hetsförlagd* utbildning"]) == "verksamhetsförlagd utbildning"


@pytest.mark.parametrize("lines", [[], [""], ["  ", "\t"], ["<br>"]])
def test_join_lines_of_nothing_is_empty(lines):
    assert join_lines(lines) == ""


# ------------------------------------------------------------------ normalize_for_match
def test_normalize_for_match_equals_join_lines_of_the_lines():
    text = "gällande verksam-\nhetsförlagd  utbildning\n\n## Rubrik"
    assert normalize_for_match(text) == join_lines(text.split("\n")) == "gällande verksamhetsförlagd utbildning Rubrik"


@pytest.mark.parametrize("name", ALL_DOCS)
def test_normalize_for_match_is_idempotent_on_the_corpus(name):
    text = (CORPUS_DIR / name).read_text(encoding="utf-8")
    once = normalize_for_match(text)
    assert once and normalize_for_match(once) == once


@pytest.mark.parametrize("text", [
    "inom hälso-\noch sjukvården", "verksam-\nhetsförlagd", "AT-\nföreskriften", "### *Omfattning*",
    "<b>Rådet</b>\t\tQ1 2026", "**Mål:** _Öka_", "2026-\n2028", "  ", "a  b\u00a0c",
])
def test_normalize_for_match_is_idempotent(text):
    once = normalize_for_match(text)
    assert normalize_for_match(once) == once


@pytest.mark.parametrize("text", ["# # Rubrik", "<<b>b>Rådet"])
def test_normalize_for_match_is_idempotent_on_markup_left_by_one_pass(text):
    once = normalize_for_match(text)
    assert normalize_for_match(once) == once


def test_normalize_for_match_keeps_case_and_punctuation():
    assert normalize_for_match("Rådet, RÅDSKANSLIET.") == "Rådet, RÅDSKANSLIET."
