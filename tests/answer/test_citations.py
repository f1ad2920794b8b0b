"""Citations (assistant.answer.citations): verbatim checks, narrowed spans, numbering, covering quotes.

A small fake index holds the national plan's lines exactly as in corpus/000_a136ead4faa7fb25.txt:
line 4–5 break "förord-" / "ningen (2015:284)", and lines 57–64 hold activity 2 ("Arrangera en digital
workshop … förenade anställ-" / "ningar.", "Tidpunkt: Kvartal 2.", "Ansvarig: Rådet, rådskansliet.").
"""

from __future__ import annotations

import json

import pytest
from corpus_names import CORPUS_DIR, NATIONAL, SODRA

from assistant.answer.citations import (
    Citation,
    CitationBuilder,
    introduced_units,
    narrow_span,
    quote_between,
    quote_covering,
    span_text,
    verify_quote,
)
from assistant.ingest.units import split_units, strip_bullet
from assistant.schema import Chunk

CATALOG = json.loads((CORPUS_DIR / "catalog.json").read_text(encoding="utf-8"))["documents"]
WORKSHOP = "Arrangera en digital workshop för erfarenhetsutbyte kring förenade anställningar."


class FakeIndex:
    """What the citation helpers read from an index: original lines per source and document metadata."""

    def __init__(self, *sources: str):
        self.doc_lines = {name: (CORPUS_DIR / name).read_text(encoding="utf-8").split("\n") for name in sources}

    def documents(self):
        return {name: CATALOG[name] for name in self.doc_lines}


@pytest.fixture(scope="module")
def index():
    return FakeIndex(NATIONAL, SODRA)


def test_fixture_lines_are_the_ones_the_tests_assume(index):
    lines = index.doc_lines[NATIONAL]
    assert lines[3].endswith("förord-") and lines[4].startswith("ningen (2015:284)")
    assert lines[56].startswith("Aktivitet: Arrangera") and lines[56].endswith("anställ-")
    assert lines[57].startswith("ningar.")
    assert lines[59].startswith("Tidpunkt: Kvartal 2.") and lines[63].startswith("Ansvarig: Rådet, rådskansliet.")


def _citation(quote: str, start: int, end: int, source: str = NATIONAL) -> Citation:
    return Citation(1, source, "", "", "", (start, end), quote)


# ------------------------------------------------------------------ verify_quote
def test_span_text_rejoins_the_hyphenated_word(index):
    text = span_text(index, NATIONAL, 4, 5)
    assert "förordningen (2015:284)" in text and "förord-" not in text
    assert span_text(index, "saknas.txt", 1, 5) == ""


@pytest.mark.parametrize("quote", [
    "står att läsa i förordningen (2015:284) med instruktion för Socialstyrelsen",
    "står att läsa i förord-\nningen (2015:284)",  # as the lines read
    "står  att läsa i\tförordningen",  # whitespace differences are normalised
])
def test_verbatim_quote_across_a_line_break_is_accepted(index, quote):
    assert verify_quote(index, _citation(quote, 4, 5))


@pytest.mark.parametrize(("quote", "start", "end"), [
    ("rådets arbete bygger på förordningen (2015:284)", 4, 5),  # paraphrase
    ("står att läsa i förordning (2015:284)", 4, 5),  # one word changed
    ("STÅR ATT LÄSA I FÖRORDNINGEN", 4, 5),  # case is kept
    ("står att läsa i förordningen (2015:284)", 6, 9),  # verbatim, but not in the cited lines
    ("står att läsa i förordningen (2015:284)", 4, 4),  # only half of it in the cited line
    ("", 4, 5),
    ("  \n ", 4, 5),
])
def test_non_verbatim_or_misplaced_quote_is_rejected(index, quote, start, end):
    assert not verify_quote(index, _citation(quote, start, end))


def test_quote_of_an_unknown_source_is_rejected(index):
    assert not verify_quote(index, _citation("Rådet", 1, 3, source="saknas.txt"))


# ------------------------------------------------------------------ narrow_span
def test_narrow_span_shrinks_to_the_lines_with_the_quote(index):
    assert narrow_span(index, NATIONAL, 1, 20, "förordningen (2015:284)") == (4, 5)
    assert narrow_span(index, NATIONAL, 50, 70, WORKSHOP) == (57, 58)
    assert narrow_span(index, NATIONAL, 50, 70, "Tidpunkt: Kvartal 2.") == (60, 60)
    assert narrow_span(index, NATIONAL, 60, 60, "Tidpunkt: Kvartal 2.") == (60, 60)


def test_narrow_span_keeps_the_range_when_the_quote_is_not_there(index):
    assert narrow_span(index, NATIONAL, 50, 70, "finns inte i dokumentet") == (50, 70)


# ------------------------------------------------------------------ CitationBuilder
def test_builder_numbers_each_quote_once_and_reuses_numbers(index):
    cite = CitationBuilder(index, limit=6)
    assert cite.add(NATIONAL, 1, 20, "står att läsa i förord-\nningen (2015:284)", section="Inledning") == 1
    assert cite.add(NATIONAL, 50, 70, WORKSHOP) == 2
    # the same quote again (other span, other spacing) keeps its number and adds nothing
    assert cite.add(NATIONAL, 4, 5, "står att läsa i  förordningen (2015:284)") == 1
    assert len(cite.items) == 2

    first, second = cite.items
    assert first.n == 1 and first.lines == (4, 5) and first.section == "Inledning"
    assert first.quote == "står att läsa i förordningen (2015:284)"  # stored normalised
    assert first.title == "Nationella vårdkompetensrådets verksamhetsplan 2026"
    assert first.council == "Nationella vårdkompetensrådet"
    assert second.lines == (57, 58)
    assert first.to_dict()["lines"] == [4, 5]
    for citation in cite.items:
        assert verify_quote(index, citation)


def test_builder_refuses_a_non_verbatim_quote_without_using_a_number(index):
    cite = CitationBuilder(index, limit=6)
    assert cite.add(NATIONAL, 50, 70, "Arrangera ett fysiskt möte om förenade anställningar.") is None
    assert cite.add(NATIONAL, 1, 3, WORKSHOP) is None  # verbatim elsewhere, not in these lines
    assert cite.add(NATIONAL, 50, 70, "") is None
    assert cite.items == []
    assert cite.add(NATIONAL, 50, 70, WORKSHOP) == 1


def test_same_quote_in_another_source_gets_its_own_number(index):
    cite = CitationBuilder(index, limit=6)
    # "Rådet" opens the Södra plan's activity rows and stands in the national plan's line 64
    assert cite.add(NATIONAL, 64, 64, "Rådet") == 1
    assert cite.add(SODRA, 1, 85, "Rådet") == 2
    assert [c.source for c in cite.items] == [NATIONAL, SODRA]
    assert cite.items[1].council == "RVKR Södra"


def test_builder_stops_at_its_limit(index):
    cite = CitationBuilder(index, limit=2)
    assert cite.add(NATIONAL, 50, 70, WORKSHOP) == 1
    assert cite.add(NATIONAL, 50, 70, "Tidpunkt: Kvartal 2.") == 2
    assert cite.add(NATIONAL, 50, 70, "Ansvarig: Rådet, rådskansliet.") is None
    assert len(cite.items) == 2
    assert cite.add(NATIONAL, 60, 60, "Tidpunkt: Kvartal 2.") == 2  # a known quote still gets its number


def test_unknown_source_metadata_falls_back_to_the_file_name():
    index = FakeIndex(NATIONAL)
    index.documents = lambda: {}
    cite = CitationBuilder(index, limit=1)
    assert cite.add(NATIONAL, 60, 60, "Tidpunkt: Kvartal 2.") == 1
    assert cite.items[0].title == NATIONAL and cite.items[0].council == ""


# ------------------------------------------------------------------ quote_between / quote_covering
def _is_verbatim(index, quote, start, end, source=NATIONAL):
    return bool(quote) and quote in span_text(index, source, start, end)


def test_quote_between_runs_from_the_activity_to_the_value(index):
    quote = quote_between(index, NATIONAL, 50, 70, WORKSHOP, "Kvartal 2")
    assert quote == f"{WORKSHOP} Tidpunkt: Kvartal 2"
    assert _is_verbatim(index, quote, 50, 70)


def test_quote_between_falls_back_to_the_value(index):
    assert quote_between(index, NATIONAL, 50, 70, WORKSHOP, "Kvartal 2", limit=40) == "Kvartal 2"  # too long
    assert quote_between(index, NATIONAL, 50, 70, "Finns inte", "Rådet, rådskansliet") == "Rådet, rådskansliet"
    assert quote_between(index, NATIONAL, 50, 70, WORKSHOP, "Kvartal 9") == ""


def test_quote_between_joins_a_hyphenated_value(index):
    quote = quote_between(index, NATIONAL, 1, 12, "Nationella vårdkompetensrådets arbete", "förord-\nningen")
    assert quote.startswith("Nationella vårdkompetensrådets arbete") and quote.endswith("förordningen")
    assert _is_verbatim(index, quote, 1, 12)


def test_quote_covering_reaches_the_furthest_value(index):
    values = ["Kvartal 2", "Rådet, rådskansliet"]
    quote = quote_covering(index, NATIONAL, 50, 70, WORKSHOP, values)
    assert quote.startswith(WORKSHOP) and quote.endswith("Ansvarig: Rådet, rådskansliet")
    assert all(value in quote for value in values)
    assert _is_verbatim(index, quote, 50, 70)
    assert quote_covering(index, NATIONAL, 50, 70, WORKSHOP, list(reversed(values))) == quote  # order irrelevant


def test_quote_covering_stops_at_the_furthest_value_that_fits(index):
    quote = quote_covering(index, NATIONAL, 50, 70, WORKSHOP, ["Kvartal 2", "Rådet, rådskansliet"], limit=120)
    assert quote == f"{WORKSHOP} Tidpunkt: Kvartal 2"


def test_quote_covering_skips_values_that_are_not_there(index):
    quote = quote_covering(index, NATIONAL, 50, 70, WORKSHOP, ["Q9 2031", "Kvartal 2", ""])
    assert quote == f"{WORKSHOP} Tidpunkt: Kvartal 2"


def test_quote_covering_without_the_activity_uses_the_first_value(index):
    assert quote_covering(index, NATIONAL, 50, 70, "Finns inte", ["Kvartal 2", "Rådet"]) == "Kvartal 2"
    assert quote_covering(index, NATIONAL, 50, 70, "Finns inte", []) == ""


def test_quote_covering_with_no_value_found_is_still_verbatim(index):
    quote = quote_covering(index, NATIONAL, 50, 70, WORKSHOP, [])
    assert quote == WORKSHOP[:80]
    assert _is_verbatim(index, quote, 50, 70)


def test_covering_quotes_are_accepted_by_the_builder(index):
    quote = quote_covering(index, NATIONAL, 40, 70, WORKSHOP, ["Kvartal 2", "Rådet, rådskansliet"])
    cite = CitationBuilder(index, limit=3)
    assert cite.add(NATIONAL, 40, 70, quote) == 1
    assert cite.items[0].lines == (57, 64)


def _chunk(text: str) -> Chunk:
    return Chunk(chunk_id="c1", source="x.md", title="X", council="", section="S", line_start=1,
                 line_end=text.count("\n") + 1, kind="list", text=text)


def test_an_open_lead_in_introduces_the_list_items_that_follow_it():
    chunk = _chunk("Socialstyrelsen föreslår att\n- platserna utökas med 60 per år,\n- en modell införs.")
    units = split_units(chunk)
    items = introduced_units(chunk, units[0], 5)
    assert [strip_bullet(u.quote) for u in items] == ["platserna utökas med 60 per år,", "en modell införs."]


def test_a_sentence_ending_in_att_without_a_list_introduces_nothing():
    chunk = _chunk("Rådet beslutade att\nvänta med frågan till hösten.")
    assert introduced_units(chunk, split_units(chunk)[0], 5) == []


def test_a_heading_introduces_the_list_items_right_after_it():
    chunk = _chunk("Rekommendationer till regeringen\n• Regeringen bör utreda frågan.\n• Regeringen bör tillföra medel.\n"
                   "Rekommendationer till kommuner\n• Kommunerna bör samverka.")
    units = split_units(chunk)
    items = introduced_units(chunk, units[0], 5)
    assert [strip_bullet(u.quote) for u in items] == ["Regeringen bör utreda frågan.", "Regeringen bör tillföra medel."]


def test_a_sentence_ending_in_a_full_stop_is_no_heading():
    chunk = _chunk("Rådet har beslutat om planen.\n• Den gäller 2026.")
    assert introduced_units(chunk, split_units(chunk)[0], 5) == []


def test_a_lead_in_introduces_numbered_items_too():
    chunk = _chunk("Socialstyrelsen föreslår att\n4. platserna utökas med 60 per år,\n5. en modell införs.")
    items = introduced_units(chunk, split_units(chunk)[0], 5)
    assert [u.quote for u in items] == ["4. platserna utökas med 60 per år,", "5. en modell införs."]


def test_an_activity_name_brings_its_content():
    fields = {"Aktivitet": "Samverka kring vård- och omsorgsprogrammet", "Innehåll": "Bra grund för sjuksköterskeutbildningen"}
    chunk = Chunk(chunk_id="r1", source="x.md", title="X", council="", section="S", line_start=1, line_end=2,
                  kind="activity", text="\n".join(f"{k}: {v}" for k, v in fields.items()), fields=fields)
    units = split_units(chunk)
    name = next(u for u in units if u.quote == fields["Aktivitet"])
    assert [u.quote for u in introduced_units(chunk, name, 5)] == ["Bra grund för sjuksköterskeutbildningen"]
    content = next(u for u in units if u.quote == fields["Innehåll"])
    assert introduced_units(chunk, content, 5) == []


def test_a_numbered_item_keeps_its_number_as_an_answer_line():
    from assistant.answer.citations import item_line

    assert item_line("4. platserna utökas") == "4. platserna utökas"
    assert item_line("• platserna utökas") == "- platserna utökas"
