"""Unit tests for assistant.activities: structured activity records from the real plans.

Counts and values were checked by hand against corpus/*.txt. Fast and offline.
"""

from __future__ import annotations

import pytest
from corpus_names import MELLANSVERIGE, NATIONAL, PRESENTATION, SODRA, UPPDRAG

from assistant.ingest.activities import canonical_field, extract_records, record_from_chunk, split_contacts
from assistant.ingest.chunking import chunk_document
from assistant.lang.councils import COUNCIL_NATIONAL
from assistant.schema import KIND_ACTIVITY, KIND_PARAGRAPH, ActivityRecord, Chunk


@pytest.fixture(scope="module")
def records(corpus_docs) -> dict[str, list[ActivityRecord]]:
    return {name: extract_records(chunk_document(doc)) for name, doc in corpus_docs.items()}


def find(records: list[ActivityRecord], prefix: str) -> ActivityRecord:
    found = [r for r in records if r.activity.startswith(prefix)]
    assert len(found) == 1, f"expected one record starting with {prefix!r}, got {len(found)}"
    return found[0]


# ------------------------------------------------------------------------------ counts
@pytest.mark.parametrize(
    ("name", "count"),
    [(NATIONAL, 5), (MELLANSVERIGE, 16), (SODRA, 8), (PRESENTATION, 0), (UPPDRAG, 0)],
)
def test_record_counts(records, name, count):
    assert len(records[name]) == count


def test_records_point_at_their_chunks(records, corpus_docs):
    for name, recs in records.items():
        doc = corpus_docs[name]
        chunks = {c.chunk_id: c for c in chunk_document(doc) if c.kind == KIND_ACTIVITY}
        for record in recs:
            chunk = chunks[record.chunk_id]
            assert (record.source, record.council, record.title) == (name, doc.council, doc.title)
            assert (record.line_start, record.line_end, record.section) == (
                chunk.line_start, chunk.line_end, chunk.section)
            assert record.activity


# ----------------------------------------------------------------------------- national
def test_national_records(records):
    recs = records[NATIONAL]
    assert all(r.council == COUNCIL_NATIONAL for r in recs)
    assert [r.owner for r in recs] == [
        "Rådskansliet", "Rådet, rådskansliet", "Rådet, rådskansliet", "Rådet, rådskansliet", "Rådskansliet",
    ]
    assert [r.timeline for r in recs] == ["Kvartal 1 – 4", "Kvartal 2", "Kvartal 1 – 4", "Kvartal 3", "Kvartal 1 – 4"]
    assert [r.goal for r in recs] == [
        "Få fler att återvända till vårdyrket",
        "Öka möjligheterna till förenade anställningar för fler yrkesgrupper",
        "Hållbar struktur för verksamhetsförlagd utbildning (VFU)",
        "Stärkt handledarutbildning",
        "Få fler att återvända till vårdyrket",
    ]
    assert [r.measure for r in recs] == [
        "Inhämtat kunskap om pågående arbeten",
        "Digital workshop utförd",
        "Inhämtat kunskap och spridit lärande exempel",
        "Föra dialog med relevanta aktörer kring handledarutbildning om exempelvis kvalitet, "
        "incitamentsstruktur, nationell bedömningsmetod och kriterier",
        "Inhämtat kunskap om pågående arbeten",
    ]
    assert all(r.follow_up == "" and r.contacts == [] for r in recs)
    # no focus-area column: the focus area comes from the section heading
    assert [r.focus_area for r in recs] == [
        "Fokusområde 1: Kompetensutveckling och karriärvägar",
        "Fokusområde 1: Kompetensutveckling och karriärvägar",
        "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)",
        "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)",
        "Fokusområde 3: Vägar till och tillbaka till vårdyrken",
    ]
    assert recs[0].labels == {
        "goal": "Mål", "activity": "Aktivitet", "timeline": "Tidpunkt",
        "measure": "Mått på genomförande", "owner": "Ansvarig",
    }


# -------------------------------------------------------------------------------- Södra
def test_sodra_records(records):
    recs = records[SODRA]
    assert all(r.council == "RVKR Södra" for r in recs)
    assert all(r.owner == "Rådet" for r in recs)
    assert [r.timeline for r in recs] == [
        "Q1-Q4 2026", "Q3 2026", "Q1-4 2026", "Q1-Q4 2026", "Q1-Q4 2026", "Q4 2026", "Q2 2026", "Q3 2026",
    ]
    # the last row's "Uppföljning – när" cell is empty in the document
    assert [r.follow_up for r in recs] == ["Q1 2027"] * 7 + [""]
    assert [r.focus_area for r in recs] == [
        "Verksamhetsförlagd utbildning i förnyelse",
        "Verksamhetsförlagd utbildning i förnyelse",
        "Dimensionering och samordning av utbildning",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Kris- och beredskap",
        "Språk som resurs, att både kunna förstå och göra sig förstådd",
    ]
    assert all(r.contacts == [] and r.goal == "" for r in recs)


def test_sodra_handledarkompetens_record(records):
    record = find(records[SODRA], "Rådet ska diskutera hur främjas god tillgång till handledarkompetens")
    assert record.owner == "Rådet"
    assert record.timeline == "Q3 2026"
    assert record.follow_up == "Q1 2027"
    assert record.focus_area == "Verksamhetsförlagd utbildning i förnyelse"
    assert record.measure.startswith("Rådet kommer under året lyfta frågan hur säkerställs tillräckligt många handledare")
    assert record.line_start == record.line_end == 78
    assert record.labels == {
        "focus_area": "Prioriterade områden", "activity": "Aktivitet", "owner": "Genomförande",
        "timeline": "Tidplan", "measure": "Uppföljning - mått", "follow_up": "Uppföljning - när",
    }


def test_sodra_second_table_en_dash_label_is_follow_up(records):
    record = find(records[SODRA], "Rådet avser på önskemål från Regionala vårdkompetensrådet Västra")
    assert record.labels["follow_up"] == "Uppföljning – när"
    assert (record.timeline, record.follow_up) == ("Q2 2026", "Q1 2027")
    assert record.focus_area == "Kris- och beredskap"


# ------------------------------------------------------------------------ Mellansverige
MELLANSVERIGE_OWNERS = [
    "Arbetsutskottet", "Arbetsutskottet", "Arbetsutskott", "Arbetsutskottet", "Arbetsutskottet",
    "Arbetsutskott", "Arbetsutskott", "", "Huvudmannagrupp för kommuner", "Arbetsgrupp",
    "Arbetsutskottet", "Arbetsutskott", "Arbetsutskottet", "Arbetsutskottet", "", "Arbetsutskottet",
]


def test_mellansverige_records(records):
    recs = records[MELLANSVERIGE]
    assert all(r.council == "RVKR Mellansverige" for r in recs)
    assert [r.owner for r in recs] == MELLANSVERIGE_OWNERS
    # the plan has no time or follow-up columns
    assert all(r.timeline == "" and r.follow_up == "" and r.measure == "" for r in recs)
    assert [r.activity[:40] for r in recs] == [
        "Bevaka utvecklingen på nationell nivå gä",
        "Bevaka utvecklingen av Region Uppsala oc",
        "Stödja arbetet med intresseanmälan om at",
        "Bevaka utvecklingen av regelverket för f",
        "Ha en beredskap för att starta arbetsgru",
        "Samverka med övriga regionala vårdkompet",
        "Bevaka frågan om framtidens vårdkompeten",
        "Samverka kring vård och omsorgsprogramme",
        "Följa upp hur nationella rådet hanterar ",
        "Samverka kring frågor som rör utbildning",
        "Kartlägga och sondera möjligheter att st",
        "Kartlägga utlandsutbildad personals väg ",
        "Följa forskningen inom rådets prioritera",
        "Bevaka utvecklingen av språkkrav i lagst",
        "Kunskapsutbyte och samordning av utbildn",
        "Skriva fram och samordna ärenden till Na",
    ]


def test_mellansverige_contacts(records):
    contacts = {r.activity[:40]: r.contacts for r in records[MELLANSVERIGE] if r.contacts}
    assert contacts == {
        "Bevaka utvecklingen på nationell nivå gä": ["Ulrika"],
        "Bevaka utvecklingen av Region Uppsala oc": ["Christina Halford"],
        "Stödja arbetet med intresseanmälan om at": ["Anna Letterstål", "Elina Mäki-Torko"],
        "Bevaka utvecklingen av regelverket för f": ["Pia Linde"],
        "Kartlägga och sondera möjligheter att st": ["Eva-Lena", "Ted"],
        "Följa forskningen inom rådets prioritera": ["Ingela", "Anna"],
        "Bevaka utvecklingen av språkkrav i lagst": ["Jesper"],
    }


def test_mellansverige_specific_records(records):
    recs = records[MELLANSVERIGE]
    placering = find(recs, "Bevaka utvecklingen av Region Uppsala")
    assert placering.activity == "Bevaka utvecklingen av Region Uppsala och Region Stockholms placeringsverktyg"
    assert placering.owner == "Arbetsutskottet"
    assert placering.contacts == ["Christina Halford"]
    assert "Planeras presentation ht -26" in placering.content
    assert placering.labels["contacts"] == "Kontakt"
    forskarskolor = find(recs, "Stödja arbetet med intresseanmälan")
    assert forskarskolor.activity.endswith(
        "samverkansnoder för forskarskolorna och verksamhetsförlagd utbildning inom området."
    )
    undersköterskor = find(recs, "Följa upp hur nationella rådet hanterar")
    assert undersköterskor.owner == "Huvudmannagrupp för kommuner"
    assert undersköterskor.content.startswith("Dialog med nationella rådet")
    legitimation = find(recs, "Kartlägga utlandsutbildad personals väg till svensk legitimation")
    assert legitimation.activity.endswith("hälso- och sjukvård (kommun och region)")
    assert legitimation.owner == "Arbetsutskott"


# ---------------------------------------------------------------------------- helpers
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Anna Letterstål och Elina Mäki-Torko", ["Anna Letterstål", "Elina Mäki-Torko"]),
        ("Christina Halford", ["Christina Halford"]),
        ("Eva-Lena och Ted", ["Eva-Lena", "Ted"]),
        ("Ingela, Anna och Jesper.", ["Ingela", "Anna", "Jesper"]),
        ("Pia Linde / Ulrika & Karin", ["Pia Linde", "Ulrika", "Karin"]),
        ("Jochen Ochs and Anna", ["Jochen Ochs", "Anna"]),  # "och" only as a whole word
        ("", []),
        (" , och ", []),
    ],
)
def test_split_contacts(value, expected):
    assert split_contacts(value) == expected


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Prioriterade områden", "focus_area"),
        ("Fokusområde", "focus_area"),
        ("Område", "focus_area"),
        ("Aktivitet", "activity"),
        ("Aktiviteter", "activity"),
        ("Mål", "goal"),
        ("Genomförande", "owner"),
        ("Ansvarig", "owner"),
        ("Ansvar", "owner"),
        ("Tidplan", "timeline"),
        ("Tidpunkt", "timeline"),
        ("När", "timeline"),
        ("Uppföljning - mått", "measure"),
        ("Uppföljning – mått", "measure"),
        ("Mått på genomförande", "measure"),
        ("Uppföljning - när", "follow_up"),
        ("Uppföljning – när", "follow_up"),
        ("Uppföljning  -  när", "follow_up"),
        ("Uppföljning", "follow_up"),
        ("Följs upp", "follow_up"),
        ("Kontakt", "contacts"),
        ("Kontaktperson", "contacts"),
        ("Innehåll", "content"),
        ("  GENOMFÖRANDE ", "owner"),
        ("Rubrik", None),
        ("Status", None),
        ("Målgrupp", None),
        ("", None),
    ],
)
def test_canonical_field(label, field):
    assert canonical_field(label) == field


def _chunk(fields: dict[str, str], section: str = "", kind: str = KIND_ACTIVITY) -> Chunk:
    return Chunk(
        chunk_id="x.txt:1-1:0000000000000000", source="x.txt", title="T", council="RVKR Test",
        section=section, line_start=1, line_end=1, kind=kind, text="", fields=fields,
    )


def test_record_from_chunk_mapping_rules():
    record = record_from_chunk(_chunk({
        "Aktivitet": "Göra X", "Ansvarig": "Rådet", "Genomförande": "Arbetsutskottet",  # first owner wins
        "Kontakt": "Anna och Bo", "Kontaktperson": "Cecilia",  # contacts accumulate
        "Tidplan": "", "Tidpunkt": "Q2 2027",  # an empty value is skipped
        "Status": "pågår",  # unknown label ignored
    }))
    assert record.activity == "Göra X"
    assert record.owner == "Rådet"
    assert record.contacts == ["Anna", "Bo", "Cecilia"]
    assert record.timeline == "Q2 2027"
    assert record.labels["timeline"] == "Tidpunkt"
    assert "Status" not in record.labels.values()


@pytest.mark.parametrize(
    ("section", "focus"),
    [
        ("Aktivitetslista > Fokusområde 2: Verksamhetsförlagd utbildning (VFU)",
         "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)"),
        ("Plan > Område 3. Kris- och beredskap", "Område 3. Kris- och beredskap"),
        ("Aktiviteter 2026", ""),
        ("", ""),
    ],
)
def test_focus_area_from_section(section, focus):
    assert record_from_chunk(_chunk({"Aktivitet": "Göra X"}, section)).focus_area == focus


def test_focus_area_column_wins_over_section():
    chunk = _chunk({"Fokusområde": "Digitalisering", "Aktivitet": "Göra X"}, "Plan > Fokusområde 1: Annat")
    assert record_from_chunk(chunk).focus_area == "Digitalisering"


def test_extract_records_skips_non_activities_and_rows_without_activity():
    chunks = [
        _chunk({"Aktivitet": "Göra X", "Ansvarig": "Rådet"}),
        _chunk({"Ansvarig": "Rådet", "Tidplan": "Q1 2027"}),  # no activity
        _chunk({"Aktivitet": "Prosa"}, kind=KIND_PARAGRAPH),
        _chunk({}),
    ]
    assert [r.activity for r in extract_records(chunks)] == ["Göra X"]
    assert extract_records([]) == []
