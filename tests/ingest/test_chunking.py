"""Unit tests for assistant.chunking: traceable line spans and layout recognition.

Layouts must be recognised from the text, never from the file name, so several tests copy a
document (or write a new plan in the same layout) under another name and expect the same result.
Fast and offline: no model, no network.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from corpus_names import ALL_DOCS, CORPUS_DIR, MELLANSVERIGE, NATIONAL, PRESENTATION, SODRA, UPPDRAG

from assistant.ingest.chunking import chunk_document, detect_headings, find_tab_tables, looks_like_slides, slide_spans
from assistant.ingest.corpus import load_catalog, read_document
from assistant.schema import KIND_ACTIVITY, KIND_LIST, KIND_PARAGRAPH, KIND_SLIDE, Chunk
from assistant.text import join_lines, normalize_for_match

SODRA_LABELS = ["Prioriterade områden", "Aktivitet", "Genomförande", "Tidplan", "Uppföljning - mått"]
NATIONAL_LABELS = ["Rubrik", "Mål", "Aktivitet", "Tidpunkt", "Mått på genomförande", "Ansvarig"]


@pytest.fixture(scope="module")
def corpus_chunks(corpus_docs):
    return {name: chunk_document(doc) for name, doc in corpus_docs.items()}


def activities(chunks: list[Chunk]) -> list[Chunk]:
    return [chunk for chunk in chunks if chunk.kind == KIND_ACTIVITY]


def by_activity(chunks: list[Chunk], prefix: str) -> Chunk:
    found = [c for c in activities(chunks) if c.fields.get("Aktivitet", "").startswith(prefix)]
    assert len(found) == 1, f"expected one activity starting with {prefix!r}, got {len(found)}"
    return found[0]


def structure(chunks: list[Chunk]) -> list[tuple]:
    """Everything about the chunks that must not depend on the file name or the catalog."""
    return [(c.kind, c.line_start, c.line_end, c.section, c.text, c.fields) for c in chunks]


def copy_without_catalog(tmp_path: Path, name: str, new_name: str):
    path = tmp_path / new_name
    shutil.copyfile(CORPUS_DIR / name, path)
    return read_document(path, {})


# -------------------------------------------------------------------- traceability (all docs)
def _inherited_group_value(doc, chunk: Chunk, value: str) -> bool:
    """A tab-table group label (first cell) inherited from a row above, inside the same table."""
    k = chunk.line_start - 2  # 0-based index of the line above the chunk
    while k >= 0 and "\t" in doc.lines[k]:
        if normalize_for_match(doc.lines[k].split("\t")[0]) == normalize_for_match(value):
            return True
        k -= 1
    return False


@pytest.mark.parametrize("name", ALL_DOCS)
def test_every_chunk_is_traceable_to_its_line_span(corpus_docs, corpus_chunks, name):
    doc, chunks = corpus_docs[name], corpus_chunks[name]
    assert chunks
    for chunk in chunks:
        assert chunk.source == name
        assert 1 <= chunk.line_start <= chunk.line_end <= len(doc.lines)
        # spans are trimmed: they start and end on a line with text
        assert join_lines([doc.lines[chunk.line_start - 1]]) and join_lines([doc.lines[chunk.line_end - 1]])
        span = normalize_for_match(doc.span_text(chunk.line_start, chunk.line_end))
        if chunk.kind == KIND_ACTIVITY:
            assert chunk.fields
            for label, value in chunk.fields.items():
                if not value:
                    continue
                assert normalize_for_match(value) in span or _inherited_group_value(doc, chunk, value), (
                    f"{name}:{chunk.line_start}-{chunk.line_end} field {label!r}={value!r} not in its span"
                )
                assert f"{label}: {value}" in chunk.text
        else:
            assert chunk.kind in {KIND_PARAGRAPH, KIND_LIST, KIND_SLIDE}
            assert chunk.text.strip()
            for line in chunk.text.split("\n"):
                assert normalize_for_match(line) in span, (
                    f"{name}:{chunk.line_start}-{chunk.line_end} text line {line!r} not in its span"
                )


@pytest.mark.parametrize("name", ALL_DOCS)
def test_chunks_are_in_reading_order_and_do_not_overlap(corpus_chunks, name):
    chunks = corpus_chunks[name]
    spans = [(c.line_start, c.line_end) for c in chunks]
    assert spans == sorted(spans)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end < start


def test_all_text_lines_are_covered_except_headings_and_links(corpus_docs, corpus_chunks):
    """Nothing is lost: every non-blank line is in a chunk, a heading, a table header or a bare URL."""
    for name in ALL_DOCS:
        doc, chunks = corpus_docs[name], corpus_chunks[name]
        covered = {n for c in chunks for n in range(c.line_start, c.line_end + 1)}
        sections = " > ".join(c.section for c in chunks)
        headings = [text for _, text in detect_headings(doc.lines, [False] * len(doc.lines)).values()]
        for number, line in enumerate(doc.lines, start=1):
            text = join_lines([line])
            if not text or number in covered:
                continue
            is_heading = text in sections or any(text in heading for heading in headings)
            is_header = "\t" in line or text in {"Aktivitet", "Genomförande Innehåll"}
            assert is_heading or is_header or text.startswith("https://"), f"{name}:{number} {text!r} is in no chunk"


def test_chunk_ids_are_unique_and_deterministic(corpus_docs, corpus_chunks, settings):
    all_ids = [c.chunk_id for chunks in corpus_chunks.values() for c in chunks]
    assert len(all_ids) == len(set(all_ids))
    catalog = load_catalog(CORPUS_DIR, settings)
    for name, chunks in corpus_chunks.items():
        again = chunk_document(read_document(CORPUS_DIR / name, catalog))
        assert [c.chunk_id for c in again] == [c.chunk_id for c in chunks]
        for chunk in chunks:
            assert re.fullmatch(rf"{re.escape(name)}:{chunk.line_start}-{chunk.line_end}:[0-9a-f]{{16}}", chunk.chunk_id)


def test_chunk_ids_depend_on_the_source_name(tmp_path, corpus_chunks):
    copy = chunk_document(copy_without_catalog(tmp_path, SODRA, "kopia.txt"))
    assert {c.chunk_id for c in copy}.isdisjoint({c.chunk_id for c in corpus_chunks[SODRA]})


def test_chunks_carry_document_metadata(corpus_docs, corpus_chunks):
    for name in ALL_DOCS:
        doc = corpus_docs[name]
        for chunk in corpus_chunks[name]:
            assert (chunk.title, chunk.council, chunk.doc_type) == (doc.title, doc.council, doc.doc_type)


def test_metadata_round_trip_and_embed_text(corpus_chunks):
    chunk = activities(corpus_chunks[SODRA])[1]
    restored = Chunk.from_metadata(chunk.chunk_id, chunk.text, chunk.to_metadata())
    assert restored == chunk
    assert all(isinstance(v, (str, int)) for v in chunk.to_metadata().values())
    assert chunk.embed_text.startswith("RVKR Södra | Regionala vårdkompetensrådets verksamhetsplan")
    assert chunk.embed_text.endswith("\n" + chunk.text)
    assert "Aktivitetsplan 2026" in chunk.embed_text.split("\n")[0]


# ------------------------------------------------------------------- Södra: tab-separated table
def test_sodra_tab_table_one_chunk_per_row(corpus_chunks):
    rows = activities(corpus_chunks[SODRA])
    assert len(rows) == 8
    assert [c.line_start for c in rows] == [77, 78, 79, 82, 83, 84, 85, 86]
    assert all(c.line_start == c.line_end for c in rows)
    assert all(c.section == "Aktivitetsplan 2026" for c in rows)
    for chunk in rows:
        assert list(chunk.fields)[:5] == SODRA_LABELS
        assert list(chunk.fields)[5] in {"Uppföljning - när", "Uppföljning – när"}  # the two tables differ
        assert chunk.fields["Genomförande"] == "Rådet"


def test_sodra_handledarkompetens_row(corpus_chunks):
    chunk = by_activity(corpus_chunks[SODRA], "Rådet ska diskutera hur främjas god tillgång till handledarkompetens")
    assert chunk.fields["Aktivitet"] == "Rådet ska diskutera hur främjas god tillgång till handledarkompetens"
    assert chunk.fields["Genomförande"] == "Rådet"
    assert chunk.fields["Tidplan"] == "Q3 2026"
    assert chunk.fields["Uppföljning - när"] == "Q1 2027"
    assert chunk.fields["Uppföljning - mått"].startswith("Rådet kommer under året lyfta frågan")
    # empty first cell: the focus area of the row above is inherited (markup stripped)
    assert chunk.fields["Prioriterade områden"] == "Verksamhetsförlagd utbildning i förnyelse"
    assert "Prioriterade områden: Verksamhetsförlagd utbildning i förnyelse" in chunk.text
    assert "<b>" not in chunk.text


def test_sodra_focus_areas_are_inherited_per_group(corpus_chunks):
    areas = [c.fields["Prioriterade områden"] for c in activities(corpus_chunks[SODRA])]
    assert areas == [
        "Verksamhetsförlagd utbildning i förnyelse",
        "Verksamhetsförlagd utbildning i förnyelse",
        "Dimensionering och samordning av utbildning",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Vårdkompetensbehovet i tandvården och i Nära vård",
        "Kris- och beredskap",
        "Språk som resurs, att både kunna förstå och göra sig förstådd",
    ]


def test_sodra_empty_last_cell_is_kept_empty(corpus_chunks):
    last = activities(corpus_chunks[SODRA])[-1]
    assert last.fields["Tidplan"] == "Q3 2026"
    assert last.fields["Uppföljning – när"] == ""
    assert "Uppföljning – när:" not in last.text


def test_sodra_prose_sections_and_markup(corpus_chunks):
    prose = [c for c in corpus_chunks[SODRA] if c.kind != KIND_ACTIVITY]
    sections = {c.section for c in prose}
    assert ("Regionala vårdkompetensrådets verksamhetsplan 2026–2028 med aktivitetsplan för 2026 > "
            "Omfattning av rådets verksamhet") in sections  # "### *…*" heading, emphasis stripped
    assert "Prioriterade områden > Prioriterade områden > Område 1. Verksamhetsförlagd utbildning i förnyelse" in sections
    area_list = next(c for c in prose if "1. Verksamhetsförlagd utbildning i förnyelse" in c.text)
    assert area_list.kind == KIND_LIST
    assert not any(line.startswith(("#", "*")) for c in prose for line in c.text.split("\n"))


# --------------------------------------------------------------- national: labelled records
def test_national_labelled_records(corpus_chunks):
    records = activities(corpus_chunks[NATIONAL])
    assert len(records) == 5
    for chunk in records:
        assert list(chunk.fields) == NATIONAL_LABELS
        assert re.fullmatch(r"Mål och aktivitet [12]", chunk.fields["Rubrik"])
    assert [c.fields["Tidpunkt"] for c in records] == [
        "Kvartal 1 – 4", "Kvartal 2", "Kvartal 1 – 4", "Kvartal 3", "Kvartal 1 – 4",
    ]
    assert [c.fields["Ansvarig"] for c in records] == [
        "Rådskansliet", "Rådet, rådskansliet", "Rådet, rådskansliet", "Rådet, rådskansliet", "Rådskansliet",
    ]
    # a value wrapped over lines with a hyphenated word is rejoined, the final period dropped
    assert records[0].fields["Aktivitet"] == (
        "Undersöka om det finns pågående arbeten för att få fler att återvända till vårdyrken, "
        "och i så fall sprida lärande exempel"
    )
    assert records[1].fields["Aktivitet"] == (
        "Arrangera en digital workshop för erfarenhetsutbyte kring förenade anställningar"
    )


def test_national_records_sections(corpus_chunks):
    records = activities(corpus_chunks[NATIONAL])
    vfu = [c for c in records if "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)" in c.section]
    assert [c.fields["Mål"] for c in vfu] == [
        "Hållbar struktur för verksamhetsförlagd utbildning (VFU)", "Stärkt handledarutbildning",
    ]
    assert vfu[0].section == "Aktivitetslista > Fokusområde 2: Verksamhetsförlagd utbildning (VFU)"
    assert sum("Fokusområde 1: Kompetensutveckling och karriärvägar" in c.section for c in records) == 2
    assert sum("Fokusområde 3: Vägar till och tillbaka till vårdyrken" in c.section for c in records) == 1


def test_national_record_spans_blank_lines_inside_record(corpus_docs, corpus_chunks):
    """'Mål: Stärkt handledarutbildning.' is followed by three blank lines; the record continues."""
    chunk = next(c for c in activities(corpus_chunks[NATIONAL]) if c.fields["Mål"] == "Stärkt handledarutbildning")
    doc = corpus_docs[NATIONAL]
    assert join_lines([doc.lines[chunk.line_start - 1]]) == "Mål och aktivitet 2"
    assert join_lines([doc.lines[chunk.line_end - 1]]) == "Ansvarig: Rådet, rådskansliet."
    assert chunk.fields["Mått på genomförande"].endswith("nationell bedömningsmetod och kriterier")


# ----------------------------------------------------------- Mellansverige: flattened table
def test_mellansverige_flattened_table_rows(corpus_chunks):
    rows = activities(corpus_chunks[MELLANSVERIGE])
    assert len(rows) == 16
    assert all(list(c.fields)[:3] == ["Aktivitet", "Genomförande", "Innehåll"] for c in rows)
    assert all(c.section == "Aktiviteter 2026" for c in rows)
    assert all(c.line_start > 81 for c in rows)


def test_mellansverige_placeringsverktyg_row(corpus_chunks):
    chunk = by_activity(corpus_chunks[MELLANSVERIGE], "Bevaka utvecklingen av Region Uppsala")
    assert chunk.fields["Aktivitet"] == "Bevaka utvecklingen av Region Uppsala och Region Stockholms placeringsverktyg"
    assert chunk.fields["Genomförande"] == "Arbetsutskottet"
    assert chunk.fields["Kontakt"] == "Christina Halford"
    assert "Planeras presentation ht -26" in chunk.fields["Innehåll"]
    assert (chunk.line_start, chunk.line_end) == (103, 107)


def test_mellansverige_owner_split_over_lines(corpus_chunks):
    """"Huvudmanna-" / "grupp för" / "kommuner" is one role."""
    chunk = by_activity(corpus_chunks[MELLANSVERIGE], "Följa upp hur nationella rådet hanterar")
    assert chunk.fields["Genomförande"] == "Huvudmannagrupp för kommuner"
    assert chunk.fields["Innehåll"].startswith("Dialog med nationella rådet")


def test_mellansverige_inline_role_and_contacts(corpus_chunks):
    rows = corpus_chunks[MELLANSVERIGE]
    inline = by_activity(rows, "Samverka med övriga regionala vårdkompetensråd")
    assert inline.fields["Aktivitet"] == "Samverka med övriga regionala vårdkompetensråd"
    assert inline.fields["Genomförande"] == "Arbetsutskott"
    assert inline.fields["Innehåll"].startswith("Undersök möjligheten att gemensamt skriva till NVKR")
    research = by_activity(rows, "Följa forskningen inom rådets prioriterade områden")
    assert research.fields["Genomförande"] == "Arbetsutskottet"
    assert research.fields["Kontakt"] == "Ingela och Anna"
    assert by_activity(rows, "Stödja arbetet med intresseanmälan").fields["Kontakt"] == "Anna Letterstål och Elina Mäki-Torko"
    assert by_activity(rows, "Bevaka utvecklingen av regelverket").fields["Kontakt"] == "Pia Linde"
    assert "Kontakt" not in by_activity(rows, "Ha en beredskap").fields


def test_mellansverige_rows_without_owner(corpus_chunks):
    rows = corpus_chunks[MELLANSVERIGE]
    no_owner = [c.fields["Aktivitet"] for c in activities(rows) if not c.fields["Genomförande"]]
    assert no_owner == [
        "Samverka kring vård och omsorgsprogrammets utveckling kopplat till verksamhet i kommuner och regioner",
        "Kunskapsutbyte och samordning av utbildningstjänster för läkare på allmän- (AT) och basnivå (BT)",
    ]
    assert by_activity(rows, "Samverka kring vård och omsorgsprogrammets").fields["Innehåll"] == (
        "Bra grund för sjuksköterskeutbildningen"
    )


def test_mellansverige_intro_is_prose(corpus_chunks):
    prose = [c for c in corpus_chunks[MELLANSVERIGE] if c.kind != KIND_ACTIVITY]
    assert prose and all(c.line_end < 81 for c in prose)
    goals = next(c for c in prose if c.section == "Övergripande mål")
    assert goals.kind == KIND_LIST
    assert "• samordna arbetet med det gemensamma utbildnings-uppdraget (VFU) för alla relevanta utbildningar" in goals.text


# ---------------------------------------------------------------------------------- slides
@pytest.mark.parametrize(("name", "count"), [(PRESENTATION, 30), (UPPDRAG, 4)])
def test_slide_decks(corpus_chunks, name, count):
    chunks = corpus_chunks[name]
    assert all(c.kind == KIND_SLIDE for c in chunks)
    numbers = [int(re.match(r"Bild (\d+): \S", c.section).group(1)) for c in chunks]
    assert sorted(set(numbers)) == list(range(1, count + 1))
    assert numbers == sorted(numbers)


def test_presentation_slide_content(corpus_chunks):
    chunks = corpus_chunks[PRESENTATION]
    assert chunks[0].section.startswith("Bild 1: Framtidens vårdkompetens – stärkt samverkan")
    assert chunks[-1].section == "Bild 30: Avslut/frågor"
    at_slide = next(c for c in chunks if "AT-föreskriften" in c.text)
    assert at_slide.section.startswith("Bild 13:")
    assert "• Arbete med bland annat egeninitierad översyn av AT-föreskriften" in at_slide.text
    pandemic = next(c for c in chunks if c.section.startswith("Bild 14:"))
    assert pandemic.section == "Bild 14: Pandemin och kompetensförsörjningen, del 2"  # "kompetens-" / "försörjningen"
    clinical = next(c for c in chunks if "forskarutbildning/samverkan" in c.text)
    assert clinical.section == "Bild 11: Arbetsgrupp Klinisk forskning"  # the title stands below the bullets
    assert clinical.text.endswith("\nArbetsgrupp Klinisk forskning")


def test_slide_spans_split_on_three_blank_lines():
    lines = ["A", "", "", "", "B", "b2", "", "", "C", "", "", "", ""]
    assert slide_spans(lines) == [(0, 0), (4, 8)]
    deck = []
    for n in range(1, 6):
        deck += [f"Rubrik {n}", f"• punkt {n}", "", "", ""]
    assert looks_like_slides(deck)
    assert not looks_like_slides(["Rubrik", "", "", "", "text"])


# --------------------------------------------------------------- layout, not file name
@pytest.mark.parametrize("name", ALL_DOCS)
def test_layout_is_recognised_under_another_name_without_catalog(tmp_path, corpus_chunks, name):
    copy = chunk_document(copy_without_catalog(tmp_path, name, "dokument.txt"))
    assert structure(copy) == structure(corpus_chunks[name])


def test_markdown_suffix_gives_same_chunks(tmp_path, corpus_chunks):
    copy = chunk_document(copy_without_catalog(tmp_path, SODRA, "plan.md"))
    assert structure(copy) == structure(corpus_chunks[SODRA])


NEW_TAB_PLAN = """## Regionala vårdkompetensrådet Norrland verksamhetsplan 2027

Rådet har två prioriterade områden.

## Aktivitetsplan 2027

Område\tAktivitet\tAnsvarig\tTidpunkt\tUppföljning
<b>Kompetensförsörjningsanalys</b>\tTa fram en gemensam analys av behoven\tArbetsutskottet\tQ2 2027\tQ1 2028
\tAnordna en konferens om analysen\tRådet\tQ4 2027\tQ1 2028
<b>Digitalisering</b>\tKartlägga digitala verktyg för handledning\tProcessledaren\tQ1 2027\tQ4 2027
"""


def test_new_plan_in_tab_layout(tmp_path):
    path = tmp_path / "norrland_2027.txt"
    path.write_text(NEW_TAB_PLAN, encoding="utf-8")
    doc = read_document(path, {})
    chunks = chunk_document(doc)
    rows = activities(chunks)
    assert [c.line_start for c in rows] == [8, 9, 10]
    assert [c.fields for c in rows] == [
        {"Område": "Kompetensförsörjningsanalys", "Aktivitet": "Ta fram en gemensam analys av behoven",
         "Ansvarig": "Arbetsutskottet", "Tidpunkt": "Q2 2027", "Uppföljning": "Q1 2028"},
        {"Område": "Kompetensförsörjningsanalys", "Aktivitet": "Anordna en konferens om analysen",
         "Ansvarig": "Rådet", "Tidpunkt": "Q4 2027", "Uppföljning": "Q1 2028"},
        {"Område": "Digitalisering", "Aktivitet": "Kartlägga digitala verktyg för handledning",
         "Ansvarig": "Processledaren", "Tidpunkt": "Q1 2027", "Uppföljning": "Q4 2027"},
    ]
    assert all(c.section == "Aktivitetsplan 2027" for c in rows)
    assert doc.council == "RVKR Norrland"
    assert [c.kind for c in chunks] == [KIND_PARAGRAPH, KIND_ACTIVITY, KIND_ACTIVITY, KIND_ACTIVITY]


def test_sodra_rows_pasted_into_new_document(tmp_path, corpus_docs):
    """The Södra table lifted into another document keeps its row chunks."""
    table = corpus_docs[SODRA].lines[75:79]
    text = "Utdrag ur en annan plan\n\nText före tabellen.\n\n" + "\n".join(table) + "\n\nText efter.\n"
    path = tmp_path / "utdrag.txt"
    path.write_text(text, encoding="utf-8")
    rows = activities(chunk_document(read_document(path, {})))
    assert [c.line_start for c in rows] == [6, 7, 8]
    assert rows[1].fields["Prioriterade områden"] == "Verksamhetsförlagd utbildning i förnyelse"
    assert rows[1].fields["Tidplan"] == "Q3 2026"


def test_tab_header_needs_three_short_labels_without_years():
    # two columns: a header only when both label record fields (else a key–value or question–answer table)
    assert find_tab_tables(["Fråga\tSvar", "Vad kostar det?\t4 miljoner kronor"]) == []
    assert find_tab_tables(["Aktivitet\tStatus", "Göra X\tPågår"]) == []
    [(_, _, header, rows)] = find_tab_tables(["Aktivitet\tAnsvarig", "Göra X\tRådet"])
    assert header == ["Aktivitet", "Ansvarig"] and rows == [(1, ["Göra X", "Rådet"])]
    assert find_tab_tables(["Göra X\tRådet\tQ1 2026", "Göra Y\tRådet\tQ2"]) == []  # a year in a data cell
    # a year in a known column label is a header ("Aktivitet 2025" in an annual report)
    [(_, _, header, rows)] = find_tab_tables(["Aktivitet 2025\tAnsvarig\tResultat", "Göra X\tRådet\tKlart"])
    assert header == ["Aktivitet 2025", "Ansvarig", "Resultat"] and rows == [(1, ["Göra X", "Rådet", "Klart"])]
    # a row of the same block is no header unless it names a column: no data row heads the rows below it
    assert find_tab_tables(["Göra X\tRådet\tQ1 2026", "Göra Y\tRådet\tKlart", "Göra Z\tKansliet\tSenare"]) == []
    assert find_tab_tables(["Aktivitet\tAnsvarig\tTidplan"]) == []  # no rows
    [(start, end, header, rows)] = find_tab_tables(
        ["text", "Aktivitet\tAnsvarig\tTidplan", "Göra X\tRådet\tQ1 2027", "Aktivitet\tAnsvarig\tTidplan", "slut"]
    )
    assert (start, end, header) == (1, 3, ["Aktivitet", "Ansvarig", "Tidplan"])
    assert rows == [(2, ["Göra X", "Rådet", "Q1 2027"])]  # a repeated header row is not an activity


NEW_LABELLED_PLAN = """Verksamhetsplan 2027 för Nationella vårdkompetensrådet

Fokusområde 1: Digital kompetens

Mål och aktivitet 1

Mål: Stärka den digitala kompetensen.

Aktivitet: Genomföra en kartläggning av digitala utbildningar för vård-
personal.

Tidpunkt: Kvartal 2.

Mått på genomförande: Kartläggning publicerad.

Ansvarig: Rådskansliet.

Fokusområde 2: Ledarskap

Mål: Fler chefer med ledarutbildning.
Aktivitet: Sprida goda exempel.
Tidpunkt: Kvartal 4.
Ansvarig: Rådet.
"""


def test_new_plan_in_labelled_record_layout(tmp_path):
    path = tmp_path / "nvkr_2027.md"
    path.write_text(NEW_LABELLED_PLAN, encoding="utf-8")
    records = activities(chunk_document(read_document(path, {})))
    assert len(records) == 2
    first, second = records
    assert first.fields == {
        "Rubrik": "Mål och aktivitet 1", "Mål": "Stärka den digitala kompetensen",
        "Aktivitet": "Genomföra en kartläggning av digitala utbildningar för vårdpersonal",
        "Tidpunkt": "Kvartal 2", "Mått på genomförande": "Kartläggning publicerad", "Ansvarig": "Rådskansliet",
    }
    assert (first.line_start, first.line_end) == (5, 16)
    assert first.section.endswith("Fokusområde 1: Digital kompetens")
    # a record without blank lines between its labels is one record too
    assert {k: v for k, v in second.fields.items() if k != "Rubrik"} == {
        "Mål": "Fler chefer med ledarutbildning", "Aktivitet": "Sprida goda exempel",
        "Tidpunkt": "Kvartal 4", "Ansvarig": "Rådet",
    }
    assert second.line_end == 23


def test_record_directly_under_focus_area_heading_gets_that_section(tmp_path):
    from assistant.ingest.activities import extract_records

    path = tmp_path / "nvkr_2027.md"
    path.write_text(NEW_LABELLED_PLAN, encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    second = activities(chunks)[1]
    assert second.section.endswith("Fokusområde 2: Ledarskap")
    assert extract_records(chunks)[1].focus_area == "Fokusområde 2: Ledarskap"


def test_two_labels_are_not_a_record(tmp_path):
    path = tmp_path / "brev.txt"
    path.write_text("Hej\n\nDatum: 2026-01-01\nPlats: Örebro\n\nMvh rådet\n", encoding="utf-8")
    assert activities(chunk_document(read_document(path, {}))) == []


NEW_FLATTENED_PLAN = """Aktivitetsplan 2027 Regionala vårdkompetensrådet Norr

Aktiviteter 2027

Aktivitet

Genomförande Innehåll

Kartlägga behovet av specialistsjuksköterskor i länets kom-
muner och regioner

Arbetsutskottet Kontakt: Karin Berg
Enkät till kommuner och regioner

Samverka kring utbildningstjänster för läkare

Arbetsgrupp Kontakt: Olle Ek och Lisa Holm
Gemensam planering av AT och BT

Följa den nationella planen för kompetensförsörjning Rådet Rapport på varje rådsmöte
"""


def test_new_plan_in_flattened_table_layout(tmp_path):
    path = tmp_path / "norr.txt"
    path.write_text(NEW_FLATTENED_PLAN, encoding="utf-8")
    rows = activities(chunk_document(read_document(path, {})))
    assert [c.fields["Aktivitet"] for c in rows] == [
        "Kartlägga behovet av specialistsjuksköterskor i länets kommuner och regioner",
        "Samverka kring utbildningstjänster för läkare",
        "Följa den nationella planen för kompetensförsörjning",
    ]
    assert [c.fields["Genomförande"] for c in rows] == ["Arbetsutskottet", "Arbetsgrupp", "Rådet"]
    assert [c.fields.get("Kontakt") for c in rows] == ["Karin Berg", "Olle Ek och Lisa Holm", None]
    assert rows[2].fields["Innehåll"] == "Rapport på varje rådsmöte"
    assert [(c.line_start, c.line_end) for c in rows] == [(9, 13), (15, 18), (20, 20)]


def test_new_slide_deck(tmp_path):
    slides = []
    for n in range(1, 6):
        slides.append(f"Rubrik på bild {n}\n• Första punkten på bild {n}\n• Andra punkten")
    path = tmp_path / "bilder.txt"
    path.write_text("\n\n\n\n".join(slides) + "\n", encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    assert [c.kind for c in chunks] == [KIND_SLIDE] * 5
    assert [c.section for c in chunks] == [f"Bild {n}: Rubrik på bild {n}" for n in range(1, 6)]
    assert chunks[0].text == "Rubrik på bild 1\n• Första punkten på bild 1\n• Andra punkten"


def test_slide_title_after_the_bullets(tmp_path):
    """Text extracted from a deck often puts a slide's title below its bullets: a short closing line that
    is no list item and no sentence is then the slide's title; the text and the line span stay as they are."""
    slides = [
        "Rubrik överst\n• En punkt\n\nKort rad sist",  # a title at the top wins
        "• Inventering av utbildningsplatser\n• Nätverk för handledare\n\nArbetsgrupp Utbildning",
        "• Stöd till chefer i arbetet med\nbemanning\n\nArbetsgrupp Bemanning och\nschemaläggning",
        "• En punkt\n\nDen här raden är en mening och slutar med punkt.",
        "• En punkt\n\n• Sista punkten är en punkt",
        "• En punkt\n\nEn rad med alldeles för många ord för att vara en rubrik på en bild i en presentation",
        "• En punkt\n\nuppföljning under hösten",  # a bullet wrapped over a blank line
        "• En punkt\n\nSlutsatser för rådet:",
    ]
    path = tmp_path / "bilder.txt"
    path.write_text("\n\n\n\n".join(slides) + "\n", encoding="utf-8")
    doc = read_document(path, {})
    chunks = chunk_document(doc)
    assert [c.section for c in chunks] == [
        "Bild 1: Rubrik överst", "Bild 2: Arbetsgrupp Utbildning", "Bild 3: Arbetsgrupp Bemanning och schemaläggning",
        "Bild 4: Bild 4", "Bild 5: Bild 5", "Bild 6: Bild 6", "Bild 7: Bild 7", "Bild 8: Bild 8",
    ]
    second = chunks[1]
    assert second.text == "• Inventering av utbildningsplatser\n• Nätverk för handledare\nArbetsgrupp Utbildning"
    assert (second.line_start, second.line_end) == (8, 11)
    assert doc.lines[second.line_end - 1] == "Arbetsgrupp Utbildning"


def test_closing_line_repeated_on_slides_is_no_title(tmp_path):
    """A line that closes several slides is a running footer ("Rådsmöte 7 maj"), not their title."""
    slides = [f"• Punkt {n} om handledning\n\nRådsmöte 7 maj" for n in range(1, 5)] + ["• Sista bilden\n\nFrågor och svar"]
    path = tmp_path / "bilder.txt"
    path.write_text("\n\n\n\n".join(slides) + "\n", encoding="utf-8")
    chunks = chunk_document(read_document(path, {}))
    assert [c.section for c in chunks] == [f"Bild {n}: Bild {n}" for n in range(1, 5)] + ["Bild 5: Frågor och svar"]


def test_docx_table_becomes_activity_chunks(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Aktivitetsplan 2027", level=1)
    document.add_paragraph("Rådet beslutar om aktiviteter.")
    table = document.add_table(rows=2, cols=4)
    for c, value in enumerate(["Aktivitet", "Genomförande", "Tidplan", "Uppföljning - när"]):
        table.cell(0, c).text = value
    for c, value in enumerate(["Kartlägga VFU-platser", "Arbetsutskottet", "Q2 2027", "Q1 2028"]):
        table.cell(1, c).text = value
    path = tmp_path / "plan.docx"
    document.save(str(path))
    doc = read_document(path, {})
    [row] = activities(chunk_document(doc))
    assert row.fields == {
        "Aktivitet": "Kartlägga VFU-platser", "Genomförande": "Arbetsutskottet",
        "Tidplan": "Q2 2027", "Uppföljning - när": "Q1 2028",
    }
    assert row.section == "Aktivitetsplan 2027"
    assert "Kartlägga VFU-platser" in doc.span_text(row.line_start, row.line_end)
