"""Follow-up drafts (assistant.followup.build): rows, councils, periods, keywords, cited introductions.

The expected activities were checked by hand against corpus/*.txt (national plan 5, Södra 8,
Mellansverige 16). Most tests run twice: on a view built straight from the corpus (fast, no
embedding model) and on the built index (``@pytest.mark.slow``), which must give the same drafts.
"""

from __future__ import annotations

import re

import pytest

from assistant.answer.citations import verify_quote
from assistant.followup.build import SummaryError, build_summary, keyword_patterns, resolve_councils
from assistant.followup.render import OVERVIEW_HEADERS, render_markdown, render_overview_markdown
from assistant.messages import REFUSAL_PHRASE
from assistant.text import normalize_for_match
from followup.helpers import KNOWN, MELLAN, NATIONAL, SODRA, by_council

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


# ============================================================== pure functions (fast)
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


def test_impossible_quarter_is_rejected_not_widened():
    class NoIndex:
        chunks, records = [], []

        def documents(self):
            return {}

    with pytest.raises(SummaryError, match="Kunde inte tolka perioden"):
        build_summary(NoIndex(), period="Q7 2026")


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
