"""Councils and healthcare regions (assistant.lang.councils): names, detection, regions without a plan.

The index names are the councils of corpus/catalog.json: the national council, RVKR Mellansverige
and RVKR Södra (no plan from Norra, Västra, Sydöstra or Stockholm-Gotland).
"""

from __future__ import annotations

import pytest

from assistant.lang.councils import (
    COUNCIL_NATIONAL,
    HEALTHCARE_REGIONS,
    council_aliases,
    council_region,
    detect_councils,
    partner_councils,
    regional_council,
    short_name,
    unindexed_regions,
)

MELLAN, SODRA = "RVKR Mellansverige", "RVKR Södra"
KNOWN = [COUNCIL_NATIONAL, MELLAN, SODRA]


# ------------------------------------------------------------------ names
def test_regional_council_and_back():
    assert regional_council("Södra") == SODRA
    for region in HEALTHCARE_REGIONS:
        assert council_region(regional_council(region)) == region


def test_council_region_of_the_national_council_is_none():
    assert council_region(COUNCIL_NATIONAL) is None
    assert council_region("Södra") is None  # a bare region is not an index name


def test_short_name():
    assert short_name(SODRA) == "Södra"
    assert short_name("RVKR Stockholm-Gotland") == "Stockholm-Gotland"
    assert short_name(COUNCIL_NATIONAL) == COUNCIL_NATIONAL


def test_council_aliases():
    assert council_aliases(MELLAN)[:2] == ["rvkr mellansverige", "mellansverige"]
    assert "dalarna" in council_aliases(MELLAN) and "central sweden" in council_aliases(MELLAN)
    assert "skåne" in council_aliases(SODRA) and "dalarna" not in council_aliases(SODRA)
    assert "nvkr" in council_aliases(COUNCIL_NATIONAL)


def test_every_county_belongs_to_one_region():
    counties = [county for names in HEALTHCARE_REGIONS.values() for county in names]
    assert len(counties) == len(set(counties))


# ------------------------------------------------------------------ detect_councils
@pytest.mark.parametrize(("question", "councils"), [
    ("Vem ansvarar för VFU i Södra?", [SODRA]),
    ("Vem ansvarar för VFU i RVKR Södra?", [SODRA]),
    ("Vad står i Södras aktivitetsplan?", [SODRA]),  # genitive
    ("Mellansveriges aktiviteter", [MELLAN]),
    ("Vad händer med Mellansverige-rådets uppdrag?", [MELLAN]),  # the region joined to "råd"
    ("När möts södrarådet?", [SODRA]),
    ("Vad gör rådet i Dalarna?", [MELLAN]),  # a county of the region
    ("Hur arbetar man i Västmanland och Örebro?", [MELLAN]),
    ("Vad planeras i Skåne?", [SODRA]),
    ("Vad planeras i Kronoberg och Blekinge?", [SODRA]),
    ("What does the southern council do?", [SODRA]),  # English names
    ("Who owns VFU work in the south?", [SODRA]),
    ("What are the plans for central Sweden?", [MELLAN]),
    ("Vad gör nationella rådet?", [COUNCIL_NATIONAL]),  # national aliases
    ("Vad gör det nationella rådet?", [COUNCIL_NATIONAL]),
    ("Vad står i Nationella vårdkompetensrådets verksamhetsplan?", [COUNCIL_NATIONAL]),
    ("Vad står i NVKR:s plan?", [COUNCIL_NATIONAL]),
    ("What does the national council plan?", [COUNCIL_NATIONAL]),
    ("Jämför Södra och Mellansverige", [MELLAN, SODRA]),  # in the order of ``known``
    ("Hur skiljer sig nationella rådet från Södra?", [COUNCIL_NATIONAL, SODRA]),
])
def test_detect_councils(question, councils):
    assert detect_councils(question, KNOWN) == councils


@pytest.mark.parametrize("question", [
    "Vem ansvarar för VFU?",
    "Vad gör Sydöstra?",  # a region without an indexed plan
    "Vad händer i Norrbotten?",
    "Södraområdet",  # the name inside a longer word
    "Sydöstra sjukvårdsregionen",  # "södra" is not a word of its own in "sydöstra"
])
def test_detect_no_council(question):
    assert detect_councils(question, KNOWN) == []


def test_county_genitive_is_detected_too():
    assert detect_councils("Dalarnas plan", KNOWN) == [MELLAN]


def test_detect_only_known_councils():
    assert detect_councils("Jämför Södra och Mellansverige", [SODRA]) == [SODRA]
    assert detect_councils("Vad gör Södra?", ["", SODRA]) == [SODRA]  # empty names are skipped
    assert detect_councils("Vad gör Södra?", []) == []
    assert detect_councils("Vad gör Norra?", [*KNOWN, "RVKR Norra"]) == ["RVKR Norra"]


def test_south_east_is_not_the_southern_council():
    assert detect_councils("What does the south-east region plan for VFU?", KNOWN) == []


# ------------------------------------------------------------------ unindexed_regions
@pytest.mark.parametrize(("question", "regions"), [
    ("Vad gör Sydöstra?", ["Sydöstra"]),
    ("Vad planeras i Östergötland?", ["Sydöstra"]),
    ("Vad händer i Norrbotten och Jämtland?", ["Norra"]),
    ("Vad händer i Västra Götaland?", ["Västra"]),
    ("What does the northern council do?", ["Norra"]),
    ("Jämför Gotland med Södra", ["Stockholm-Gotland"]),
    ("Vad gör Södra och Mellansverige?", []),  # both have plans
    ("Vem ansvarar för VFU?", []),
])
def test_unindexed_regions(question, regions):
    assert unindexed_regions(question, KNOWN) == regions


def test_a_region_with_an_indexed_council_is_not_unindexed():
    assert unindexed_regions("Vad gör Sydöstra?", [*KNOWN, "RVKR Sydöstra"]) == []
    assert unindexed_regions("Vad gör Södra?", [COUNCIL_NATIONAL]) == ["Södra"]


def test_a_council_typed_without_diacritics_is_detected():
    assert detect_councils("what does sodra plan for q4", KNOWN) == [SODRA]
    assert detect_councils("vad gor det nationella radet", KNOWN) == [COUNCIL_NATIONAL]


def test_a_council_named_as_the_partner_of_the_others():
    known = [COUNCIL_NATIONAL, MELLAN, SODRA]
    assert partner_councils("hur tänker mellansverige och södra samarbeta med nationella rådet", known) == [COUNCIL_NATIONAL]
    assert partner_councils("Vad gör Södra och Mellansverige?", known) == []


def test_a_council_swapped_in_a_question():
    from assistant.lang.councils import with_council_swapped

    assert with_council_swapped("Vilka yrkesgrupper ska Mellansveriges råd prioritera?", MELLAN, SODRA) == \
        "Vilka yrkesgrupper ska Södras råd prioritera?"
    assert with_council_swapped("Vem ansvarar för VFU?", MELLAN, SODRA) == ""
