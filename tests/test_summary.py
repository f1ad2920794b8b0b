"""Follow-up drafts (assistant.summary): rows, periods, keywords, cited introductions, MD/DOCX/CSV, CLI, chat.

The expected activities were checked by hand against corpus/*.txt (national plan 5, Södra 8,
Mellansverige 16). Most tests run twice: on a view built straight from the corpus (fast, no
embedding model) and on the built index (``@pytest.mark.slow``), which must give the same drafts.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
from pathlib import Path

import pytest

from assistant.answer.citations import verify_quote
from assistant.followup.summary import (
    CSV_COLUMNS,
    OVERVIEW_HEADERS,
    SummaryError,
    build_summary,
    find_periods,
    format_interval,
    is_summary_request,
    keyword_patterns,
    parse_period,
    parse_summary_request,
    render_csv,
    render_markdown,
    render_overview_markdown,
    resolve_councils,
    summary_command,
    summary_reply,
    write_docx,
)
from assistant.frontends.cli import SUMMARY_DATE_FIELDS, add_summary_arguments
from assistant.ingest.activities import extract_records
from assistant.ingest.chunking import chunk_document
from assistant.ingest.corpus import find_documents, load_catalog, read_document
from assistant.messages import REFUSAL_PHRASE
from assistant.settings import Settings
from assistant.text import normalize_for_match

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
NATIONAL, SODRA, MELLAN = "Nationella vårdkompetensrådet", "RVKR Södra", "RVKR Mellansverige"
KNOWN = [NATIONAL, MELLAN, SODRA]

# (activity starts with, owner, timeline, follow-up date, first line) — read off corpus/002_8b6a782e2b1e2be8.txt
SODRA_ROWS = [
    ("Rådet ska inspireras genom goda exempel", "Rådet", "Q1-Q4 2026", "Q1 2027", 77),
    ("Rådet ska diskutera hur främjas god tillgång till handledarkompetens", "Rådet", "Q3 2026", "Q1 2027", 78),
    ("Rådet avser diskutera behoven av utbildning från kommuner/regioner", "Rådet", "Q1-4 2026", "Q1 2027", 79),
    ("Rådets roll blir att sprida och inhämta goda exempel", "Rådet", "Q1-Q4 2026", "Q1 2027", 82),
    ("Rådet avser följa Nationella vårdkompetensrådets arbete med förenade anställning", "Rådet", "Q1-Q4 2026", "Q1 2027", 83),
    ("Nya yrkesroller samt framtida utbildningsbehov", "Rådet", "Q4 2026", "Q1 2027", 84),
    ("Rådet avser på önskemål från Regionala vårdkompetensrådet Västra", "Rådet", "Q2 2026", "Q1 2027", 85),
    ("Rådet avser att utbyta erfarenheter och goda exempel på hur man arbetar med språk", "Rådet", "Q3 2026", "", 86),
]
# (activity starts with, owner, timeline, goal, first line) — corpus/000_a136ead4faa7fb25.txt
NATIONAL_ROWS = [
    ("Undersöka om det finns pågående arbeten", "Rådskansliet", "Kvartal 1 – 4", "Få fler att återvända till vårdyrket", 39),
    ("Arrangera en digital workshop", "Rådet, rådskansliet", "Kvartal 2",
     "Öka möjligheterna till förenade anställningar för fler yrkesgrupper", 53),
    ("Följa utvecklingen och sprida lärande exempel", "Rådet, rådskansliet", "Kvartal 1 – 4",
     "Hållbar struktur för verksamhetsförlagd utbildning (VFU)", 71),
    ("Följa utvecklingen och sprida lärande exempel", "Rådet, rådskansliet", "Kvartal 3", "Stärkt handledarutbildning", 84),
    ("Undersöka om det finns pågående arbeten", "Rådskansliet", "Kvartal 1 – 4", "Få fler att återvända till vårdyrket", 104),
]
# (activity starts with, owner, contacts, timeline, first line) — corpus/001_c218980ea090ff6f.txt
MELLAN_ROWS = [
    ("Bevaka utvecklingen på nationell nivå gällande verksamhetsförlagd utbildning", "Arbetsutskottet", "Ulrika", "", 89),
    ("Bevaka utvecklingen av Region Uppsala och Region Stockholms placeringsverktyg", "Arbetsutskottet",
     "Christina Halford", "Planeras presentation ht -26", 103),
    ("Stödja arbetet med intresseanmälan", "Arbetsutskott", "Anna Letterstål, Elina Mäki-Torko", "", 109),
    ("Bevaka utvecklingen av regelverket för förenade anställningar", "Arbetsutskottet", "Pia Linde", "", 117),
    ("Ha en beredskap för att starta arbetsgrupper/nätverk", "Arbetsutskottet", "", "", 124),
    ("Samverka med övriga regionala vårdkompetensråd", "Arbetsutskott", "", "", 136),
    ("Bevaka frågan om framtidens vårdkompetens", "Arbetsutskott", "", "", 141),
    ("Samverka kring vård och omsorgsprogrammets utveckling", "", "", "", 160),
    ("Följa upp hur nationella rådet hanterar", "Huvudmannagrupp för kommuner", "", "", 166),
    ("Samverka kring frågor som rör utbildning till specialistsjuksköterska", "Arbetsgrupp", "", "", 179),
    ("Kartlägga och sondera möjligheter att stödja tandvården", "Arbetsutskottet", "Eva-Lena, Ted", "", 188),
    ("Kartlägga utlandsutbildad personals väg", "Arbetsutskott", "", "", 200),
    ("Följa forskningen inom rådets prioriterade områden", "Arbetsutskottet", "Ingela, Anna", "", 210),
    ("Bevaka utvecklingen av språkkrav", "Arbetsutskottet", "Jesper", "", 213),
    ("Kunskapsutbyte och samordning av utbildningstjänster för läkare", "", "", "", 223),
    ("Skriva fram och samordna ärenden till Nationella vårdkompetensrådet", "Arbetsutskottet", "", "", 232),
]


class CorpusView:
    """What the summary needs from an index (records, chunks, documents, lines), built without embeddings."""

    def __init__(self, corpus_dir: Path):
        settings = Settings(corpus_dir=corpus_dir)
        catalog = load_catalog(corpus_dir, settings)
        docs = [read_document(path, catalog) for path in find_documents(corpus_dir, settings)]
        self.chunks = [chunk for doc in docs for chunk in chunk_document(doc)]
        self.records = extract_records(self.chunks)
        self.doc_lines = {doc.source: doc.lines for doc in docs}
        self._documents = {doc.source: {"title": doc.title, "council": doc.council, "period": doc.period,
                                        "doc_type": doc.doc_type} for doc in docs}
        self.build_id = "corpus-view"

    def documents(self) -> dict[str, dict]:
        return self._documents


@pytest.fixture(scope="module")
def corpus_view():
    return CorpusView(CORPUS_DIR)


@pytest.fixture(scope="module", params=["corpus", pytest.param("index", marks=pytest.mark.slow)])
def view(request, corpus_view):
    """The corpus view (fast) and the built index (slow): every draft must come out the same from both."""
    if request.param == "index":
        return request.getfixturevalue("built_assistant").index
    return corpus_view


def by_council(summary, council):
    return next(section.rows for section in summary.sections if section.council == council)


# ============================================================== pure functions (fast)
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


def test_keyword_patterns_cover_inflections_and_the_long_form():
    vfu = keyword_patterns("VFU", {"VFU": "verksamhetsförlagd utbildning"})
    assert any(p.search("Fokusområde 2: Verksamhetsförlagd utbildning (VFU)") for p in vfu)
    assert any(p.search("gällande verksamhetsförlagd utbildning") for p in vfu)
    assert any(p.search("samverkan om VFU-arbetet") for p in vfu)
    assert not any(p.search("VFUX och VFUU") for p in vfu)
    joint = keyword_patterns("förenade anställningar")
    assert any(p.search("arbete med förenade anställning") for p in joint)
    assert not any(p.search("förenade arbetsgrupper") for p in joint)


@pytest.mark.parametrize(("names", "expected"), [
    (["Södra"], [SODRA]), (["RVKR Södra"], [SODRA]), (["mellansverige"], [MELLAN]), (["nationella"], [NATIONAL]),
    (["Södra, Mellansverige"], [MELLAN, SODRA]), (["alla"], KNOWN), (None, KNOWN), (["Skåne"], [SODRA]),
])
def test_council_names(names, expected):
    assert resolve_councils(names, KNOWN) == expected


def test_unknown_council_is_refused_with_the_choices():
    with pytest.raises(SummaryError, match="Okänt råd: Norra.*RVKR Södra"):
        resolve_councils(["Norra"], KNOWN)


@pytest.mark.parametrize(("text", "councils", "keywords", "period", "language"), [
    ("Sammanfatta uppföljningen för Södra", [SODRA], [], "", "sv"),
    ("Gör ett utkast till uppföljning av VFU-aktiviteterna", [], ["VFU"], "", "sv"),
    ("Summarise the follow-up for Södra", [SODRA], [], "", "en"),
    ("Sammanfatta uppföljningen för Södra Q3 2026", [SODRA], [], "Q3 2026", "sv"),
    ("Sammanfatta förenade anställningar för alla råd", KNOWN, ["förenade anställningar"], "", "sv"),
    ("Draft the follow-up of VFU in Mellansverige and the national council for ht -26", [NATIONAL, MELLAN], ["VFU"],
     "ht -26", "en"),
])
def test_summary_requests_are_understood(text, councils, keywords, period, language):
    request = parse_summary_request(text, KNOWN)
    assert request is not None
    assert (request.councils, request.keywords, request.period, request.language) == (councils, keywords, period, language)


@pytest.mark.parametrize("text", ["Vem ansvarar för uppföljningen i Södra?", "När följs VFU upp?", "Vilka aktiviteter har Södra?",
                                  "Who owns VFU work in Södra?"])
def test_questions_are_not_summary_requests(text):
    assert not is_summary_request(text)
    assert parse_summary_request(text, KNOWN) is None


# ============================================================== records (corpus view fast, index slow)
def test_national_plan_rows_are_complete_and_exact(view):
    rows = by_council(build_summary(view, councils="nationella"), NATIONAL)
    assert len(rows) == 5
    for row, (activity, owner, timeline, goal, line) in zip(rows, NATIONAL_ROWS):
        assert row.activity.startswith(activity)
        assert (row.owner, row.timeline, row.goal, row.line_start, row.follow_up) == (owner, timeline, goal, line, "")
        assert row.source == "000_a136ead4faa7fb25.txt" and row.measure
    assert rows[3].measure.startswith("Föra dialog med relevanta aktörer kring handledarutbildning")
    assert rows[1].focus_area == "Fokusområde 1: Kompetensutveckling och karriärvägar"


def test_sodra_plan_rows_are_complete_and_exact(view):
    rows = by_council(build_summary(view, councils="Södra"), SODRA)
    assert len(rows) == 8
    for row, (activity, owner, timeline, follow_up, line) in zip(rows, SODRA_ROWS):
        assert row.activity.startswith(activity)
        assert (row.owner, row.timeline, row.follow_up, row.line_start) == (owner, timeline, follow_up, line)
        assert row.source == "002_8b6a782e2b1e2be8.txt" and row.measure and row.goal == ""
    assert [r.focus_area for r in rows[:2]] == ["Verksamhetsförlagd utbildning i förnyelse"] * 2
    assert rows[6].focus_area == "Kris- och beredskap"


def test_mellansverige_plan_rows_are_complete_and_exact(view):
    rows = by_council(build_summary(view, councils="RVKR Mellansverige"), MELLAN)
    assert len(rows) == 16
    for row, (activity, owner, contacts, timeline, line) in zip(rows, MELLAN_ROWS):
        assert row.activity.startswith(activity)
        assert (row.owner, row.contacts, row.timeline, row.line_start) == (owner, contacts, timeline, line)
        assert row.measure == row.follow_up == ""
    assert [r.timeline_from_content for r in rows].count(True) == 1


def test_every_cell_is_verbatim_in_its_source_lines(view):
    summary = build_summary(view)
    assert len(summary.rows) == 29
    for row in summary.rows:
        span = normalize_for_match("\n".join(view.doc_lines[row.source][row.line_start - 1:row.line_end]))
        document = normalize_for_match("\n".join(view.doc_lines[row.source]))
        for name in ("activity", "owner", "goal", "timeline", "measure", "follow_up", "content"):
            value = getattr(row, name)
            assert value in span, f"{name} of {row.source}:{row.line_start} is not in the source: {value!r}"
        for contact in filter(None, row.contacts.split(", ")):
            assert contact in span
        assert row.focus_area in document


# ============================================================== periods
def test_q3_2026_in_sodra_gives_the_handledarkompetens_and_language_rows(view):
    rows = build_summary(view, councils="Södra", period="Q3 2026").rows
    assert [r.line_start for r in rows] == [78, 86]
    assert "handledarkompetens" in rows[0].activity and "språk som resurs" in rows[1].activity


def test_q1_2027_follow_up_gives_seven_sodra_rows(view):
    assert len(build_summary(view, councils="Södra", period="Q1 2027").rows) == 7
    only_follow_up = build_summary(view, councils="Södra", period="Q1 2027", date_field="follow_up").rows
    assert len(only_follow_up) == 7 and all(r.follow_up == "Q1 2027" for r in only_follow_up)
    assert build_summary(view, councils="Södra", period="Q1 2027", date_field="timeline").rows == []


@pytest.mark.parametrize(("period", "counts"), [
    ("2026", {NATIONAL: 5, MELLAN: 16, SODRA: 8}),          # undated Mellansverige rows belong to its 2026 plan
    ("Q3 2026", {NATIONAL: 1, SODRA: 2}),                  # national "Kvartal 3" takes the plan's year
    ("Kvartal 2", {NATIONAL: 1, SODRA: 1}),                 # year from each plan's period
    ("ht -26", {NATIONAL: 1, MELLAN: 1, SODRA: 3}),         # Q3–Q4 2026: "Planeras presentation ht -26" too
    ("Q1-Q4 2026", {NATIONAL: 5, MELLAN: 16, SODRA: 8}),
    ("2028", {}),
])
def test_period_filter_across_councils(view, period, counts):
    summary = build_summary(view, period=period)
    assert {s.council: len(s.rows) for s in summary.sections} == counts


def test_unreadable_period_is_refused(view):
    with pytest.raises(SummaryError, match="tolka perioden"):
        build_summary(view, period="snart")


# ============================================================== keyword and overview
def test_vfu_across_councils_includes_the_long_form(view):
    summary = build_summary(view, keyword="vfu")
    counts = {s.council: len(s.rows) for s in summary.sections}
    assert counts == {NATIONAL: 2, MELLAN: 2, SODRA: 2}
    assert "verksamhetsförlagd utbildning" in summary.keyword_forms
    assert {r.line_start for r in by_council(summary, MELLAN)} == {89, 109}    # written out, no "VFU" in the activity
    assert {r.line_start for r in by_council(summary, SODRA)} == {77, 78}
    overview = render_overview_markdown(summary)
    table = [line for line in overview.splitlines() if line.startswith("|")]
    assert table[0] == "| " + " | ".join(OVERVIEW_HEADERS) + " |"
    assert len(table) == 2 + 6
    assert any("| RVKR Södra | Rådet ska diskutera hur främjas god tillgång till handledarkompetens | Rådet | Q3 2026 |" in line
               for line in table)
    assert any(line.startswith(f"| {NATIONAL} |") and "Kvartal 3 (= Q3 2026)" in line for line in table)
    assert "## Översikt: vfu" in render_markdown(summary)


def test_joint_employment_theme_in_every_council(view):
    summary = build_summary(view, keyword="förenade anställningar")
    assert {s.council: [r.line_start for r in s.rows] for s in summary.sections} == {NATIONAL: [53], MELLAN: [117], SODRA: [83]}


def test_unknown_keyword_gives_no_rows(view):
    summary = build_summary(view, keyword="drönare")
    assert summary.rows == [] and summary.unmatched_keywords == ["drönare"]
    assert "Inga aktiviteter i planerna matchar urvalet." in render_markdown(summary)


# ============================================================== introduction and citations
def test_intro_citations_are_verbatim(view):
    summary = build_summary(view)
    assert summary.citations
    for citation in summary.citations:
        assert verify_quote(view, citation), citation
    text = render_markdown(summary)
    for citation in summary.citations:
        assert f"[{citation.n}]" in text
    numbers = {int(n) for section in summary.sections for n in re.findall(r"\[(\d+)\]", " ".join(section.intro))}
    assert numbers == {c.n for c in summary.citations}


def test_sodra_intro_says_it_reports_yearly_in_february(view):
    summary = build_summary(view, councils="Södra")
    intro = " ".join(summary.sections[0].intro)
    assert "redovisas årligen till respektive huvudman" in intro and "i februari" in intro
    assert "Regionala vårdkompetensrådets verksamhetsplan 2026–2028" in intro and "period 2026–2028" in intro
    cited = {c.quote for c in summary.citations}
    assert any("redovisas årligen" in quote and quote.endswith("i februari.") for quote in cited)
    assert all(c.source == "002_8b6a782e2b1e2be8.txt" for c in summary.citations)


def test_national_and_mellansverige_intros(view):
    summary = build_summary(view, councils=["nationella", "Mellansverige"])
    national, mellan = (" ".join(s.intro) for s in summary.sections)
    assert "följs upp i samband med den årliga redovisningen till regeringen" in national
    assert REFUSAL_PHRASE in mellan  # the Mellansverige plan does not say how it is followed up


# ============================================================== formats
def _pipe_tables(markdown: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    parsed = []
    for table in tables:
        rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in table]
        parsed.append(rows)
    return parsed


def test_markdown_renders_as_pipe_tables(view):
    markdown = render_markdown(build_summary(view, councils="Södra"))
    [table] = _pipe_tables(markdown)
    header, separator, *body = table
    assert header == ["Fokusområde", "Aktivitet", "Ansvarig", "Kontakt", "Tidplan", "Uppföljningsmått", "Uppföljningsdatum",
                      "Källa", "Status", "Kommentar"]
    assert all(re.fullmatch(r"-{3,}", cell) for cell in separator) and len(separator) == len(header)
    assert len(body) == 8 and all(len(row) == len(header) for row in body)
    handledare = body[1]
    assert handledare[header.index("Tidplan")] == "Q3 2026" and handledare[header.index("Ansvarig")] == "Rådet"
    assert handledare[header.index("Källa")] == "002_8b6a782e2b1e2be8.txt, rad 78"
    assert handledare[header.index("Status")] == handledare[header.index("Kommentar")] == ""
    assert "## Källor" in markdown and markdown.index("## Källor") > markdown.index("| Fokusområde")


def test_markdown_all_councils(view):
    markdown = render_markdown(build_summary(view))
    tables = _pipe_tables(markdown)
    assert [len(t) - 2 for t in tables] == [5, 16, 8]
    assert "Mål" in tables[0][0] and "Mål" not in tables[2][0]          # goals only where the plan has them
    assert "Innehåll" in tables[1][0] and "Fokusområde" not in tables[1][0]
    for table in tables:
        assert len({len(row) for row in table}) == 1


def test_docx_opens_with_a_heading_per_council_and_focus_area_and_tables(view, tmp_path):
    import docx

    path = write_docx(build_summary(view, councils=["Södra", "nationella"]), tmp_path / "utkast.docx")
    document = docx.Document(str(path))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert ("Heading 1", SODRA) in headings and ("Heading 1", NATIONAL) in headings and ("Heading 1", "Källor") in headings
    assert ("Heading 2", "Verksamhetsförlagd utbildning i förnyelse") in headings
    assert ("Heading 2", "Fokusområde 2: Verksamhetsförlagd utbildning (VFU)") in headings
    tables = document.tables
    assert len(tables) == 3 + 5  # national: 3 focus areas, Södra: 5
    sodra_tables = tables[3:]
    header = [cell.text for cell in sodra_tables[0].rows[0].cells]
    assert header == ["Aktivitet", "Ansvarig", "Kontakt", "Tidplan", "Uppföljningsmått", "Uppföljningsdatum", "Källa",
                      "Status", "Kommentar"]
    assert sum(len(table.rows) - 1 for table in sodra_tables) == 8
    assert sum(len(table.rows) - 1 for table in tables[:3]) == 5
    row = [cell.text for cell in sodra_tables[0].rows[2].cells]
    assert row[0].startswith("Rådet ska diskutera hur främjas god tillgång till handledarkompetens")
    assert (row[header.index("Ansvarig")], row[header.index("Tidplan")], row[header.index("Uppföljningsdatum")]) == \
        ("Rådet", "Q3 2026", "Q1 2027")
    assert row[header.index("Status")] == row[header.index("Kommentar")] == ""
    national_header = [cell.text for cell in tables[0].rows[0].cells]
    assert national_header[0] == "Mål" and tables[0].rows[1].cells[national_header.index("Ansvarig")].text == "Rådskansliet"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "redovisas årligen" in text and "[1] " in text


def test_docx_overview_for_a_theme(view, tmp_path):
    import docx

    document = docx.Document(str(write_docx(build_summary(view, keyword="VFU"), tmp_path / "vfu.docx")))
    overview = document.tables[0]
    assert [c.text for c in overview.rows[0].cells] == OVERVIEW_HEADERS
    assert len(overview.rows) == 1 + 6


def test_csv_round_trips(view):
    summary = build_summary(view)
    text = render_csv(summary)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows == [row.csv_dict() for row in summary.rows]
    assert list(rows[0]) == [header for _, header in CSV_COLUMNS]
    sodra = [r for r in rows if r["Råd"] == SODRA]
    assert len(sodra) == 8 and sodra[1]["Tidplan"] == "Q3 2026" and sodra[1]["Ansvarig"] == "Rådet"
    assert {r["Status"] for r in rows} == {r["Kommentar"] for r in rows} == {""}
    national = [r for r in rows if r["Råd"] == NATIONAL]
    assert national[3]["Tidplan (tolkad)"] == "Q3 2026"
    semicolon = list(csv.DictReader(io.StringIO(render_csv(summary, delimiter=";"), newline=""), delimiter=";"))
    assert semicolon == rows


# ============================================================== CLI and chat
def _args(*argv: str) -> argparse.Namespace:
    return add_summary_arguments(argparse.ArgumentParser(prog="assistant summary")).parse_args(list(argv))


def test_cli_markdown_csv_and_docx(view, tmp_path):
    out = io.StringIO()
    assert summary_command(view, _args("--council", "Södra", "--period", "Q3 2026"), stdout=out) == 0
    assert len(_pipe_tables(out.getvalue())[0]) == 2 + 2
    out = io.StringIO()
    assert summary_command(view, _args("--rad", "alla", "--keyword", "VFU", "--format", "csv"), stdout=out) == 0
    assert len(list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))) == 6
    target = tmp_path / "s.docx"
    out = io.StringIO()
    assert summary_command(view, _args("--council", "Södra", "--format", "docx", "--out", str(target)), stdout=out) == 0
    assert target.exists() and "8 aktiviteter" in out.getvalue()
    out = io.StringIO()
    assert summary_command(view, _args("--keyword", "förenade anställningar", "--overview"), stdout=out) == 0
    assert out.getvalue().startswith("## Översikt: förenade anställningar")
    csv_path = tmp_path / "s.csv"
    assert summary_command(view, _args("--format", "csv", "--delimiter", ";", "--out", str(csv_path)), stdout=io.StringIO()) == 0
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM so Excel reads å/ä/ö


def test_cli_refuses_unknown_council_and_period(view, capsys):
    assert summary_command(view, _args("--council", "Norra"), stdout=io.StringIO()) == 2
    assert summary_command(view, _args("--period", "någon gång"), stdout=io.StringIO()) == 2
    assert "Fel:" in capsys.readouterr().err


def test_chat_summary_requests(view):
    sodra = summary_reply(view, "Sammanfatta uppföljningen för Södra")
    assert sodra.startswith("# Uppföljning av aktivitetsplaner") and "## RVKR Södra" in sodra
    assert len(_pipe_tables(sodra)[0]) == 2 + 8 and "## RVKR Mellansverige" not in sodra
    vfu = summary_reply(view, "Gör ett utkast till uppföljning av VFU-aktiviteterna")
    assert "## Översikt: VFU" in vfu and [len(t) - 2 for t in _pipe_tables(vfu)] == [6, 2, 2, 2]
    english = summary_reply(view, "Summarise the follow-up for Södra")
    assert english.startswith("Draft follow-up report") and "## RVKR Södra" in english
    assert summary_reply(view, "Vem ansvarar för VFU i Södra?") is None
    assert summary_reply(view, "Sammanfatta rådets uppdrag") is None   # no activities: left to question answering
    assert REFUSAL_PHRASE in summary_reply(view, "Sammanfatta uppföljningen för Norra")
    assert REFUSAL_PHRASE in summary_reply(view, "Gör ett utkast till uppföljning av drönaraktiviteterna")


@pytest.mark.slow
def test_drafts_from_the_index_equal_those_from_the_corpus(built_assistant, corpus_view):
    index = built_assistant.index
    assert render_markdown(build_summary(index)) == render_markdown(build_summary(corpus_view))
    assert render_csv(build_summary(index, keyword="VFU")) == render_csv(build_summary(corpus_view, keyword="VFU"))


def test_cli_date_fields_match_the_summary_module():
    from assistant.followup.summary import DATE_FIELDS

    assert SUMMARY_DATE_FIELDS == DATE_FIELDS


def test_cli_parser_matches_add_summary_arguments():
    """Once `assistant summary` is wired into assistant/cli.py, its options must equal add_summary_arguments."""
    from assistant.frontends import cli as cli

    argv = ["--council", "Södra", "--rad", "nationella", "--period", "Q3 2026", "--date-field", "timeline", "--keyword", "VFU",
            "--amne", "AT", "--focus-area", "Kris", "--format", "csv", "--out", "x.csv", "--overview", "--delimiter", ";"]
    try:
        wired = cli.build_parser().parse_args(["summary", *argv])
    except SystemExit:
        pytest.skip("assistant summary is not wired into assistant/cli.py yet")
    expected = vars(_args(*argv))
    assert {key: value for key, value in vars(wired).items() if key in expected} == expected
    assert vars(cli.build_parser().parse_args(["summary"]))["format"] == "md"


def test_impossible_quarter_is_rejected_not_widened():
    from assistant.followup.summary import SummaryError, build_summary

    class NoIndex:
        chunks, records = [], []

        def documents(self):
            return {}

    with pytest.raises(SummaryError, match="Kunde inte tolka perioden"):
        build_summary(NoIndex(), period="Q7 2026")
