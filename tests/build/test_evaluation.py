"""The evaluation harness: scoring functions on hand-made data, and the CI gate on the held-out test split.

The slow gate runs the assistant (no baselines) on the TEST split of eval/questions.jsonl against an
index built for this test session and fails when a metric falls below its floor. The floors are data,
at the top of this file. The gate prints measured − floor for every floor (run with ``-s``) and writes
the same table to test-artifacts/evaluation_gate.md. Latency is not gated: the CI machine's two cores
are shared, so timings are too noisy to gate on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from assistant.build.evaluation import (
    DASH,
    DEFAULT_QUESTIONS,
    KINDS,
    PERTURBED_FILES,
    SPLITS,
    STYLES,
    ChunkBaseline,
    LlamaIndexBaseline,
    Question,
    aggregate,
    build_parser,
    check_supporting_quotes,
    contains,
    distinct_citations,
    evaluate_questions,
    filter_questions,
    finish,
    forbidden_present,
    judge,
    load_perturbed,
    load_questions,
    markers_resolve,
    missing_groups,
    normalize_text,
    percentile,
    question_row,
    quote_is_verbatim,
    ranking_scores,
    render_markdown,
    render_terminal,
    retrieved_contains_answer,
    stated_values,
    summarize,
    worst_failures,
    write_outputs,
)
from assistant.build.evaluation.runner import perturbed_summary

# ----------------------------------------------------------------- floors of the CI gate (test split)
# Today's measured values of the assistant on the TEST split, minus a margin of about 5 points or one
# question of the group, whichever is larger, rounded down (ceilings: plus, rounded up). They must only
# go up (ceilings only down): raise them when the engine gets better, never lower them to make a change
# pass. First set 2026-12-01 on the engine before the answer-engine work (then: all 0.277); raised the
# same day on the new engine (index of the project corpus, ONNX e5-small), again late that day after
# the mechanisms the dev rewordings showed (then: all 0.504 → 0.622), and on 2026-12-02 after the mechanisms
# five batches of new dev questions showed (all 0.622 → 0.714); the measured value is the comment after each floor.
ACCURACY_FLOORS = {                 # answer accuracy over the answerable rows of a group
    "all": 0.66,                    # 0.714 (119 answerable)
    "kind:owner": 0.72,             # 0.818 (11)
    "kind:contact": 0.87,           # 1.000 (8)
    "kind:time": 0.80,              # 0.867 (15)
    "kind:fact": 0.61,              # 0.667 (24)
    "kind:list": 0.66,              # 0.750 (12)
    "kind:cross": 0.28,             # 0.429 (7)
    "kind:followup": 0.00,          # 0.333 (3)
    "kind:aggregate": 0.60,         # 0.654 (26)
    "kind:definition": 0.61,        # 0.692 (13)
    "lang:sv": 0.69,                # 0.745 (98)
    "lang:en": 0.52,                # 0.571 (21)
    "style:formal": 0.62,           # 0.674 (92)
    "style:typed": 0.80,            # 0.852 (27)
}
METRIC_FLOORS = {                   # over the whole test split
    "abstention_accuracy": 0.65,        # 0.667 (27 unanswerable; was 0.704: one fewer right)
    "citation_precision": 0.90,         # 0.947
    "supporting_quotes": 0.93,          # 0.977
    "retrieved_top5_accuracy": 0.76,    # 0.815
    "recall_at_5": 0.92,                # 0.975
    "mrr": 0.93,                        # 0.985
}
METRIC_CEILINGS = {
    "false_abstention_rate": 0.08,      # 0.025: answerable questions refused (lower it, never raise it)
}
QUOTE_VALIDITY = 1.0                    # every quote verbatim in its cited lines: exactly, always
MIN_TEST_ROWS = 100
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def q(**kw) -> Question:
    base = dict(id="q001", question="Vem?", lang="sv", kind="owner", must=[["Rådskansliet"]],
                sources=["a.txt"], answerable=True, history=[])
    base.update(kw)
    return Question(**base)


# ----------------------------------------------------------------- whole-word matching and the judge
def test_normalize_text_collapses_whitespace_case_and_line_break_hyphens():
    assert normalize_text("  Rådet,\n\trådskansliet  ") == "rådet, rådskansliet"
    assert normalize_text("kompe-\ntens") == "kompetens"
    assert normalize_text("hälso-\noch sjukvård") == "hälso- och sjukvård"  # a suspended compound stays
    assert normalize_text("") == ""


def test_every_group_needs_one_alternative():
    must = [["Huvudmannagrupp", "Huvudmanna- grupp"], ["kommuner"]]
    assert missing_groups("Genomförande: Huvudmanna-  grupp för\nKOMMUNER", must) == []
    assert missing_groups("Huvudmannagrupp för regioner", must) == [["kommuner"]]
    assert missing_groups("inget", must) == must


def test_matching_is_whole_word():
    assert not contains(normalize_text("verksamhet"), "at")
    assert not contains(normalize_text("planen för 2022"), "22")
    assert contains(normalize_text("totalt 22 stycken"), "22")
    assert not contains(normalize_text("förenade anställningar"), "förenade anställning")
    assert contains(normalize_text("om förenade anställning."), "förenade anställning")
    assert not contains(normalize_text("sexton ledamöter"), "sex")
    assert contains(normalize_text("Tidplan Q1-Q4 2026"), "Q1")          # a hyphen is a word boundary
    assert contains(normalize_text("läkare (AT) och"), "(AT)")           # edges that are not letters
    assert contains(normalize_text("Eva-Lena och Ted"), "Eva-Lena")
    assert contains(normalize_text("Eva-Lena"), "Lena")                  # a hyphen separates words


def test_matching_is_case_and_whitespace_insensitive_but_literal():
    assert not missing_groups("Ansvarig: RÅDET,   rådskansliet", [["Rådet, rådskansliet"]])
    assert not missing_groups("Tidplan Q1-Q4\n2026", [["Q1-Q4 2026", "Q1–Q4 2026"]])
    # no hyphen or dash folding beyond what the groups list
    assert missing_groups("Q1–Q4 2026", [["Q1-Q4 2026"]]) == [["Q1-Q4 2026"]]


def test_judge_answerable_and_unanswerable():
    assert judge(q(), "Rådskansliet ansvarar [1]", False) == (True, "all must groups present")
    # an abstention never passes an answerable question, even if it happens to contain the words
    assert judge(q(), "Rådskansliet: det framgår inte av dokumenten", True) == (False, "false abstention")
    ok, why = judge(q(must=[["A1"], ["B1", "C1"]]), "a1 only", False)
    assert not ok and why.startswith("missing 1 of 2") and "B1 / C1" in why
    unanswerable = q(kind="unanswerable", must=[], sources=[], answerable=False)
    assert judge(unanswerable, "Det framgår inte av dokumenten.", True)[0]
    assert judge(unanswerable, "Budgeten är 5 miljoner.", False) == (False, "answered an unanswerable question")


def test_judge_grades_must_v2_when_present():
    weak = q(must=[["Q2"]], must_v2=[["Kvartal 2"]])
    assert weak.graded_must == [["Kvartal 2"]]
    assert not judge(weak, "Tidplan Q2 2026", False)[0]
    assert judge(weak, "Tidpunkt: Kvartal 2 [1]", False)[0]
    assert q(must_v2=None).graded_must == [["Rådskansliet"]]


def test_must_not_fails_an_answer_listing_the_wrong_candidate_too():
    owner = q(must=[["Rådskansliet"]], must_not=["Rådet, rådskansliet"])
    assert judge(owner, "Ansvarig: Rådskansliet [1]", False)[0]
    ok, why = judge(owner, "Ansvarig: Rådskansliet [1]\nAnsvarig: Rådet, rådskansliet [2]", False)
    assert not ok and "must_not" in why and "Rådet, rådskansliet" in why
    assert forbidden_present("Kontakt: Anna Letterstål", ["Letterstål", "Ulrika"]) == ["Letterstål"]
    assert forbidden_present("Kontakt: Annabella", ["Anna"]) == []  # whole words here too


def test_distinct_citations_count_places():
    cits = [{"source": "a", "lines": [1, 2]}, {"source": "a", "lines": [1, 2]}, {"source": "a", "lines": [3, 4]},
            {"source": "b", "lines": [1, 2]}]
    assert distinct_citations(cits) == 3


def test_retrieved_top5_contains_every_group():
    texts = ["Aktivitet: VFU\nTidplan: Q2 2026", "Genomförande: Rådet"]
    assert retrieved_contains_answer(texts, [["Q2 2026"], ["Rådet"]]) is True
    assert retrieved_contains_answer(texts, [["Q2 2026"], ["Rådskansliet"]]) is False
    assert retrieved_contains_answer(texts, []) is None


# ----------------------------------------------------------------- supporting quotes
def test_stated_values_outside_quotes_and_sentence_starts():
    line = ("RVKR Södra – ”Rådet ska inspireras genom goda exempel i Malmö”: Genomförande Rådet; "
            "Tidplan: Q1-Q4 2026 [4]")
    labels = {"genomförande", "tidplan", "kontakt"}  # the field names of the documents' tables are no values
    assert stated_values(line, labels) == ["Södra", "Rådet", "Q1", "Q4", "2026"]
    assert stated_values(line) == ["Södra", "Genomförande", "Rådet", "Tidplan", "Q1", "Q4", "2026"]
    # the value after "Label:" is checked, a word starting a sentence or a parenthesis is not; the [n]
    # marker is no number; months in both languages
    assert stated_values("Kontakt: Anna. Tidplan ht -26, Genomförande Arbetsutskott [2]", labels) == \
        ["Anna", "Arbetsutskott", "26"]
    assert stated_values("Det framgår inte (Kontaktperson saknas) [1]") == []
    assert stated_values("Rapporten lämnas den 1 January 2020 och i maj [1]") == ["januari", "maj", "1", "2020"]
    assert stated_values("the council may decide [1]") == []  # "may" is not May
    assert stated_values("- Bullet Anna Letterstål och Elina Mäki-Torko [3]") == ["Anna", "Letterstål", "Elina",
                                                                                     "Mäki-Torko"]


def test_check_supporting_quotes():
    citations = [{"n": 1, "source": "001.txt", "quote": "Kartlägga och sondera möjligheter Arbetsutskottet"},
                 {"n": 2, "source": "001.txt", "quote": "Bevaka utvecklingen Arbetsutskottet Kontakt: Jesper"}]
    identity = {"001.txt": "RVKR Mellansverige ; Aktivitetsplan 2026"}
    answer = ("Svar:\n"
              "RVKR Mellansverige – ”Kartlägga …”: Kontakt Eva-Lena, Ted; Genomförande: Arbetsutskottet [1]\n"
              "RVKR Mellansverige – ”Bevaka …”: Kontakt Jesper [2]\n"
              "RVKR Mellansverige – ”Bevaka …”: Kontakt Jesper 2026 [1][2]\n"
              "Okänd källa Q3 [9]")
    checked = check_supporting_quotes(answer, citations, identity, labels={"kontakt", "genomförande"})
    assert [c["unsupported"] for c in checked] == [["Eva-Lena", "Ted"], [], []]  # the [9] line is not checked
    assert checked[2]["markers"] == [1, 2]
    assert check_supporting_quotes("Det framgår inte av dokumenten.", []) == []


# ----------------------------------------------------------------- quotes, markers, ranking
DOC = {"d.txt": ["Rubrik", "Arbetet med verksam-", "hetsförlagd utbildning (VFU)", "", "Ansvarig: Rådet"]}


def test_quote_verification_uses_the_cited_span():
    assert quote_is_verbatim(DOC, "d.txt", (2, 3), "verksamhetsförlagd utbildning (VFU)")
    assert quote_is_verbatim(DOC, "d.txt", [2, 5], "utbildning (VFU) Ansvarig:   Rådet")
    assert not quote_is_verbatim(DOC, "d.txt", (4, 5), "verksamhetsförlagd")      # outside the span
    assert not quote_is_verbatim(DOC, "d.txt", (2, 3), "verksamhetsförlagda utbildning")  # not the same text
    assert not quote_is_verbatim(DOC, "d.txt", (2, 3), "VERKSAMHETSFÖRLAGD utbildning")  # case kept
    assert not quote_is_verbatim(DOC, "x.txt", (1, 1), "Rubrik")                  # unknown source
    assert not quote_is_verbatim(DOC, "d.txt", (5, 9), "Rådet")                   # beyond the document
    assert not quote_is_verbatim(DOC, "d.txt", (3, 2), "Rubrik")                  # reversed span
    assert not quote_is_verbatim(DOC, "d.txt", (1, 5), "   ")                     # empty quote


def test_markers_must_name_returned_citations():
    assert markers_resolve("A [1]\nB [2]", [1, 2])
    assert markers_resolve("Det framgår inte av dokumenten.", [])
    assert not markers_resolve("A [1] B [3]", [1, 2])


def test_ranking_scores():
    ranked = ["b.txt", "b.txt", "a.txt", "c.txt", "d.txt", "e.txt"]
    assert ranking_scores(ranked, ["a.txt"]) == (1.0, pytest.approx(1 / 3))
    assert ranking_scores(ranked, ["a.txt", "e.txt"]) == (0.5, pytest.approx(1 / 3))  # e is rank 6
    assert ranking_scores(ranked, ["z.txt"]) == (0.0, 0.0)
    assert ranking_scores(["x"] * 10 + ["a.txt"], ["a.txt"]) == (0.0, 0.0)  # beyond MRR@10
    assert ranking_scores(ranked, []) == (None, None)


def test_percentile_interpolates():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile(list(range(101)), 95) == 95
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None


# ----------------------------------------------------------------- metric math
def _cit(source, gold, valid=True, n=1, lines=(1, 1)):
    return {"n": n, "source": source, "lines": list(lines), "quote": "x", "gold_source": gold, "quote_valid": valid}


def _row(id_, kind, answerable, passed, abstained, citations, answer="x" * 10, latency=10.0, recall=1.0, rr=1.0,
         lang="sv", must=None, split="dev", style="formal", top5=True, support=None, many=None):
    return {"id": id_, "question": "?", "history": [], "lang": lang, "kind": kind, "answerable": answerable,
            "split": split, "style": style, "conversation": False, "must_v2": None, "must_not": [],
            "must": must if must is not None else ([["x"]] if answerable else []), "sources": ["a.txt"] if answerable else [],
            "systems": {"assistant": {"answer": answer, "abstained": abstained, "citations": citations,
                                      "latency_ms": latency, "pass": passed, "why": "why " + id_, "markers_ok": True,
                                      "recall_at_5": recall if answerable else None, "rr": rr if answerable else None,
                                      "retrieved_top5": top5 if answerable else None, "must_not_hits": [],
                                      "support": support if support is not None else [],
                                      "distinct_citations": distinct_citations(citations), "many_citations": many}}}


def hand_made_rows() -> list[dict]:
    ok_line = {"line": "a [1]", "markers": [1], "values": [], "unsupported": []}
    bad_line = {"line": "Kontakt Ted [1]", "markers": [1], "values": ["Ted"], "unsupported": ["Ted"]}
    return [
        _row("q1", "owner", True, True, False, [_cit("a.txt", True), _cit("a.txt", True, n=2, lines=(2, 2))],
             answer="a" * 100, latency=10, support=[ok_line, ok_line], many=False),
        _row("q2", "owner", True, False, False, [_cit("b.txt", False)], answer="b" * 300, latency=20, recall=0.0, rr=0.5,
             support=[bad_line], many=True, split="test", style="typed"),
        _row("q3", "time", True, False, True, [], answer="Det framgår inte av dokumenten.", latency=30, rr=0.25, lang="en",
             top5=False, split="test"),
        _row("q4", "fact", True, True, False, [_cit("a.txt", True, valid=False)], answer="c" * 200, latency=40,
             support=[ok_line]),
        _row("q5", "unanswerable", False, True, True, [], answer="Det framgår inte av dokumenten.", latency=50),
        _row("q6", "unanswerable", False, False, False, [_cit("c.txt", False)], answer="d" * 50, latency=60, lang="en",
             split="test"),
    ]


def test_summarize_on_hand_made_rows():
    m = summarize(hand_made_rows(), "assistant")
    assert (m["n"], m["n_answerable"], m["n_unanswerable"]) == (6, 4, 2)
    assert m["accuracy"] == pytest.approx(2 / 4)
    assert m["retrieved_top5_accuracy"] == pytest.approx(3 / 4)
    assert m["composition_loss"] == pytest.approx(1 / 4)
    assert m["abstention_accuracy"] == pytest.approx(1 / 2)
    assert m["false_abstention_rate"] == pytest.approx(1 / 4)
    # micro-averaged over the citations of answerable questions: q1 2/2, q2 0/1, q4 1/1 (q6 is unanswerable)
    assert m["citation_precision"] == pytest.approx(3 / 4)
    # every citation is re-checked, unanswerable questions included: 4 of 5 valid
    assert m["quote_validity"] == pytest.approx(4 / 5) and m["invalid_quotes"] == 1
    assert m["supporting_quotes"] == pytest.approx(3 / 4) and m["lines_checked"] == 4 and m["unsupported_lines"] == 1
    assert m["many_citations_rate"] == pytest.approx(1 / 2) and m["many_citations"] == 1  # owner rows only
    assert m["recall_at_5"] == pytest.approx(3 / 4)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 1) / 4)
    assert m["median_chars"] == 150  # non-abstained answers: 100, 300, 200, 50
    assert m["latency_p50_ms"] == pytest.approx(35)
    assert m["latency_p95_ms"] == pytest.approx(57.5)
    assert m["dangling_markers"] == 0


def test_summarize_handles_empty_groups():
    m = summarize([r for r in hand_made_rows() if r["kind"] == "unanswerable"], "assistant")
    assert m["accuracy"] is None and m["recall_at_5"] is None and m["citation_precision"] is None
    assert m["composition_loss"] is None and m["many_citations_rate"] is None
    assert summarize([], "assistant")["n"] == 0


def test_aggregate_per_split_kind_style_lang_and_gap():
    agg = aggregate(hand_made_rows(), ["assistant"])
    assert set(agg["by_split"]) == {"dev", "test"}
    assert agg["by_split"]["dev"]["assistant"]["accuracy"] == 1.0      # q1, q4
    assert agg["by_split"]["test"]["assistant"]["accuracy"] == 0.0     # q2, q3
    assert agg["gaps"]["assistant"]["accuracy"] == pytest.approx(1.0)  # dev − test
    assert list(agg["by_kind"]) == ["owner", "time", "fact", "unanswerable"]  # the order of KINDS
    assert set(agg["by_kind"]["owner"]) == {"all", "dev", "test"}
    assert agg["by_style"]["typed"]["test"]["assistant"]["n"] == 1
    assert agg["by_lang"]["en"]["all"]["assistant"]["n"] == 2


def test_finish_scores_top5_must_not_and_many_citations():
    question = q(kind="contact", must=[["Ulrika"]], must_not=["Jesper"])
    row = question_row(question)
    citations = [_cit("a.txt", True, n=i, lines=(i, i)) for i in range(1, 5)]
    finish(row, question, "assistant", {"answer": "Kontakt: Ulrika, Jesper", "abstained": False, "citations": citations,
                                        "latency_ms": 1.234, "ranked_sources": ["a.txt"], "top_texts": ["Kontakt: Ulrika"]})
    res = row["systems"]["assistant"]
    assert not res["pass"] and res["must_not_hits"] == ["Jesper"]
    assert res["retrieved_top5"] is True and res["recall_at_5"] == 1.0
    assert res["distinct_citations"] == 4 and res["many_citations"] is True
    assert "ranked_sources" not in res and "top_texts" not in res


def test_worst_failures_order_and_variety():
    rows = hand_made_rows()
    rows.append(_row("q7", "unanswerable", False, False, False, [_cit("c.txt", False)]))
    worst = [r["id"] for r in worst_failures(rows, n=3)]
    # q4 passed but has a broken quote → first; one unanswerable; then the wrong answer from a wrong source
    assert worst == ["q4", "q6", "q2"]
    assert [r["id"] for r in worst_failures(rows, n=10)] == ["q4", "q6", "q7", "q2", "q3"]
    assert worst_failures([r for r in rows if r["systems"]["assistant"]["pass"] and r["id"] != "q4"]) == []


def fake_results(rows=None, perturbed: bool = False) -> dict:
    rows = rows or hand_made_rows()
    for row in rows:  # a baseline column with the same answers
        row["systems"]["bm25"] = {**row["systems"]["assistant"], "abstained": False, "support": None,
                                  "citations": [{k: v for k, v in c.items() if k != "quote_valid"}
                                                for c in row["systems"]["assistant"]["citations"]]}
        row["systems"]["bm25"].pop("markers_ok")
    systems = ["assistant", "bm25"]
    results = {
        "meta": {"date": "2026-01-01T00:00:00+00:00", "machine": "2 CPU cores (test)", "questions": len(rows),
                 "answerable": 4, "unanswerable": 2, "by_split": {"dev": 3, "test": 3}, "by_lang": {"sv": 4, "en": 2},
                 "by_style": {"formal": 5, "typed": 1}, "index_build": "b1", "chunks": 3, "embedding_model": "e5",
                 "embedding_threads": 2, "systems": systems, "durations_s": {"assistant": 1.0, "total": 2.0}},
        **aggregate(rows, systems),
        "questions": rows,
    }
    if perturbed:
        variants = []
        for row in rows:
            variant = json.loads(json.dumps(row))
            variant.update(id=row["id"] + "-all", perturbation="all", original_id=row["id"])
            variants.append(variant)
        results["perturbed"] = {"questions": len(variants), "by_split": {"dev": 3, "test": 3},
                                "by_perturbation": perturbed_summary(variants, rows, systems), "rows": variants}
    return results


def test_reports_render_splits_and_list_dev_failures_only(tmp_path):
    results = fake_results(perturbed=True)
    md = render_markdown(results)
    assert "| assistant | dev | 3 | 100.0% |" in md and "| assistant | test | 3 | 0.0% |" in md
    baseline_line = next(line for line in md.splitlines() if line.startswith("| baseline: BM25 only | dev"))
    cells = [cell.strip() for cell in baseline_line.split("|")]
    assert cells[10] == DASH and cells[11] == DASH  # verbatim and supporting quotes: not meaningful for baselines
    assert "## Dev – test gap" in md and "| assistant | +100.0 |" in md
    assert "## Per kind" in md and "accuracy gap" in md and "## Per style" in md and "## Per language" in md
    assert "## Perturbed questions" in md and "Target" in md
    assert "Five worst failures (assistant, dev split)" in md and "### 1. q4" in md and "2 CPU cores" in md
    # the held-out split: aggregate numbers only, no question of it listed anywhere
    for test_id in ("q2", "q3", "q6"):
        assert f"| {test_id} |" not in md and f"### 1. {test_id}" not in md and f"{test_id} (" not in md
    assert "Unsupported answer lines (assistant, dev split): 0" in md  # q2's unsupported line is test-split
    terminal = render_terminal(results)
    assert "assistant" in terminal and "q4" in terminal
    assert not any(f"  {test_id} [" in terminal for test_id in ("q2", "q3", "q6"))
    report, data = write_outputs(results, tmp_path)
    assert report.read_text(encoding="utf-8") == md
    assert json.loads(data.read_text(encoding="utf-8"))["questions"][0]["id"] == "q1"


def test_report_of_a_single_split_has_no_gap():
    rows = [r for r in hand_made_rows() if r["split"] == "dev"]
    md = render_markdown(fake_results(rows))
    assert "Dev – test gap" not in md and "accuracy gap" not in md and "| assistant | all |" not in md


# ----------------------------------------------------------------- question set
def test_question_set_loads_and_matches_its_schema():
    questions = load_questions(DEFAULT_QUESTIONS)
    ids = [x.id for x in questions]
    assert len(ids) == len(set(ids))
    assert {x.kind for x in questions} == set(KINDS)
    assert all(x.answerable == (x.kind != "unanswerable") for x in questions)
    assert all(x.history for x in questions if x.conversation or x.kind == "followup")
    assert all(x.must_not == [] and x.must_v2 is None for x in questions if not x.answerable)
    by_split = {split: [x for x in questions if x.split == split] for split in SPLITS}
    assert len(by_split["test"]) >= MIN_TEST_ROWS and len(by_split["dev"]) >= MIN_TEST_ROWS
    for split, members in by_split.items():  # every split holds every kind and both styles and languages
        assert {x.kind for x in members} == set(KINDS), split
        assert {x.style for x in members} == set(STYLES), split
        assert {x.lang for x in members} == {"sv", "en"}, split
    assert all(x.split == "dev" for x in questions if int(x.id[1:]) <= 123)  # the original (tuning) set
    assert any(x.must_v2 for x in questions) and any(x.must_not for x in questions)
    assert all(x.graded_must for x in questions if x.answerable)


def test_perturbed_files_match_their_split():
    questions = {x.id: x for x in load_questions(DEFAULT_QUESTIONS)}
    for split, path in PERTURBED_FILES.items():
        if not path.exists():
            continue
        variants = load_perturbed(split)
        assert variants and all(v.split == split and v.perturbation for v in variants)
        for v in variants:
            original = questions[v.original_id]
            assert (v.kind, v.answerable, v.graded_must, v.must_not) == \
                (original.kind, original.answerable, original.graded_must, original.must_not)


def test_load_questions_reads_new_fields_filters_and_ignores_extras(tmp_path):
    path = tmp_path / "q.jsonl"
    rows = [
        {"id": "q1", "split": "dev", "style": "typed", "question": "vem?", "kind": "owner", "lang": "sv",
         "must": [["Q2"]], "must_v2": [["Kvartal 2"]], "must_not": ["Kvartal 3"], "sources": ["a.txt"],
         "answerable": True, "conversation": True, "history": ["först"], "some_future_field": {"x": 1}},
        {"id": "q2", "split": "test", "question": "?", "kind": "aggregate", "must": [["12", "tolv"]], "sources": ["a"]},
        {"id": "q3", "split": "test", "question": "?", "kind": "unanswerable", "must": [], "sources": [],
         "answerable": False, "near_miss": True},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    first, second, third = load_questions(path)
    assert (first.split, first.style, first.conversation, first.history) == ("dev", "typed", True, ["först"])
    assert first.graded_must == [["Kvartal 2"]] and first.must == [["Q2"]] and first.must_not == ["Kvartal 3"]
    assert (second.style, second.conversation, second.must_v2) == ("formal", False, None)
    assert third.near_miss and not third.answerable
    assert [x.id for x in load_questions(path, split="test")] == ["q2", "q3"]
    assert [x.id for x in load_questions(path, kinds=["owner", "aggregate"], styles=["formal"])] == ["q2"]
    assert [x.id for x in filter_questions(load_questions(path), split="all", styles=["typed"])] == ["q1"]


def test_load_questions_rejects_broken_rows(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "?", "kind": "fact", "must": [], "sources": []}) + "\n")
    with pytest.raises(ValueError, match="needs 'must'"):
        load_questions(path)
    path.write_text(json.dumps({"id": "x", "question": "?"}) + "\n")
    with pytest.raises(ValueError, match="missing field"):
        load_questions(path)
    path.write_text(json.dumps({"id": "x", "question": "?", "kind": "fact", "must": [["a"]], "sources": ["s"],
                                "split": "train"}) + "\n")
    with pytest.raises(ValueError, match="unknown split"):
        load_questions(path)
    path.write_text(json.dumps({"id": "x", "question": "?", "kind": "fact", "must": [["a"], []], "sources": ["s"]}) + "\n")
    with pytest.raises(ValueError, match="empty must group"):
        load_questions(path)


def test_eval_options_in_both_parsers():
    from assistant.frontends.cli import build_parser as main_parser

    for argv, parse in ((["--split", "test", "--kinds", "owner,contact", "--styles", "typed", "--perturbed",
                          "--no-baselines"], build_parser().parse_args),
                        (["eval", "--split", "test", "--kinds", "owner,contact", "--styles", "typed", "--perturbed",
                          "--no-baselines"], main_parser().parse_args)):
        args = parse(argv)
        assert (args.split, args.kinds, args.styles, args.perturbed, args.no_baselines) == \
            ("test", "owner,contact", "typed", True, True)
    assert build_parser().parse_args([]).split == "all"
    assert main_parser().parse_args(["eval"]).split == "all"


# ----------------------------------------------------------------- baselines on fakes (no model)
class HashEmbedder:
    """Bag-of-words vectors: enough to rank, no model needed."""

    model_id = "hash"

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(64, dtype=np.float32)
        for word in text.lower().split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1
        return vector / (np.linalg.norm(vector) or 1.0)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


@dataclass
class FakeChunk:
    source: str
    text: str
    line_start: int = 1
    line_end: int = 2
    section: str = ""
    fields: dict = field(default_factory=dict)


class FakeIndex:
    def __init__(self, chunks):
        self.chunks = chunks
        self.embedder = HashEmbedder()

    def documents(self):
        return {c.source: {} for c in self.chunks}

    def bm25_scores(self, tokens):
        return np.array([sum(t in c.text.lower() for t in tokens) for c in self.chunks], dtype=np.float32)

    def dense_search(self, vector, k, sources=None):
        scores = [float(self.embedder.embed_passages([c.text])[0] @ vector) for c in self.chunks]
        return sorted(enumerate(scores), key=lambda item: -item[1])[:k]


def test_chunk_baselines_answer_with_the_top_chunk():
    index = FakeIndex([FakeChunk("a.txt", "hund katt"), FakeChunk("b.txt", "ansvar " + "x" * 400, 5, 9)])
    question = q(question="ansvar?", sources=["b.txt"], history=["Vem har ansvar"])
    for name in ("bm25", "dense"):
        result = ChunkBaseline(name, index, HashEmbedder()).run(question)
        assert not result["abstained"]
        assert result["answer"] == "ansvar " + "x" * 400  # the whole top chunk, as the issue defines the baseline
        assert result["citations"][0]["source"] == "b.txt" and result["citations"][0]["gold_source"]
        assert result["citations"][0]["lines"] == [5, 9] and "quote_valid" not in result["citations"][0]
        assert result["ranked_sources"][0] == "b.txt"
        assert result["top_texts"][0] == "ansvar " + "x" * 400 and len(result["top_texts"]) == 2


def test_llamaindex_baseline_runs_offline_on_a_tiny_corpus(tmp_path):
    (tmp_path / "a.txt").write_text("Första raden om hundar.\nAndra raden om katter.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Rådskansliet ansvarar för handledarutbildning.\n", encoding="utf-8")
    index = FakeIndex([FakeChunk("a.txt", ""), FakeChunk("b.txt", "")])
    baseline = LlamaIndexBaseline(index, HashEmbedder(), tmp_path)
    result = baseline.run(q(question="Rådskansliet ansvarar för handledarutbildning", sources=["b.txt"]))
    assert result["answer"] == "Rådskansliet ansvarar för handledarutbildning."
    assert [c["source"] for c in result["citations"]] == ["b.txt", "a.txt"]  # top-2
    assert result["citations"][0]["lines"] == [1, 1] and result["citations"][1]["lines"] == [1, 2]
    assert not result["abstained"] and result["ranked_sources"][0] == "b.txt"
    assert result["top_texts"][0] == "Rådskansliet ansvarar för handledarutbildning."


# ----------------------------------------------------------------- the CI gate (slow, test split)
@pytest.fixture(scope="module")
def test_split_results(built_assistant):
    """The held-out test split, assistant only (baselines are covered on a dev subset below)."""
    return evaluate_questions(built_assistant, load_questions(DEFAULT_QUESTIONS, split="test"), baselines=False)


def _gate_table(results: dict) -> list[tuple[str, float | None, float, float | None, bool]]:
    """(name, measured, bound, margin, ok) for every floor and ceiling; margin = measured − floor
    (bound − measured for a ceiling), so a positive margin is room to spare."""
    m = results["summary"]["assistant"]
    groups = {"all": m}
    for key, prefix in (("by_kind", "kind"), ("by_lang", "lang"), ("by_style", "style")):
        groups.update({f"{prefix}:{name}": scopes["test"]["assistant"] for name, scopes in results[key].items()})
    table = []
    for name, floor in ACCURACY_FLOORS.items():
        value = groups.get(name, {}).get("accuracy")
        table.append((f"accuracy {name}", value, floor, None if value is None else value - floor,
                      value is not None and value >= floor))
    for name, floor in METRIC_FLOORS.items():
        table.append((name, m[name], floor, None if m[name] is None else m[name] - floor,
                      m[name] is not None and m[name] >= floor))
    for name, ceiling in METRIC_CEILINGS.items():
        table.append((name + " (ceiling)", m[name], ceiling, None if m[name] is None else ceiling - m[name],
                      m[name] is not None and m[name] <= ceiling))
    table.append(("quote_validity (exact)", m["quote_validity"], QUOTE_VALIDITY,
                  None if m["quote_validity"] is None else m["quote_validity"] - QUOTE_VALIDITY,
                  m["quote_validity"] == QUOTE_VALIDITY))
    return table


def _render_gate(table) -> str:
    def fmt(name: str, value) -> str:
        return DASH if value is None else f"{value:.3f}" if name == "mrr" else f"{value * 100:.1f}%"

    lines = ["| metric (test split, assistant) | measured | floor/ceiling | margin (points) | ok |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {name} | {fmt(name, value)} | {fmt(name, bound)} | {DASH if margin is None else f'{margin * 100:+.1f}'} "
              f"| {'yes' if ok else 'NO'} |" for name, value, bound, margin, ok in table]
    return "\n".join(lines)


@pytest.mark.slow
def test_assistant_meets_the_floors_on_the_test_split(test_split_results):
    m = test_split_results["summary"]["assistant"]
    assert m["n"] >= MIN_TEST_ROWS
    assert set(test_split_results["by_split"]) == {"test"}
    table = _gate_table(test_split_results)
    rendered = _render_gate(table)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "evaluation_gate.md").write_text(
        f"# Evaluation gate: {m['n']} test-split questions\n\n{rendered}\n", encoding="utf-8")
    print("\n" + rendered)  # the margins, shown with -s (aggregate numbers only: the test split is held out)
    below = [name for name, _, _, _, ok in table if not ok]
    assert not below, f"below the floors: {below}\n{rendered}"


@pytest.mark.slow
def test_every_quote_is_verbatim_and_every_marker_resolves(test_split_results):
    m = test_split_results["summary"]["assistant"]
    assert m["citations"] > 0
    # where, not what: ids and cited spans only (the test split's answers are not for reading)
    bad = [(r["id"], c["source"], c["lines"]) for r in test_split_results["questions"]
           for c in r["systems"]["assistant"]["citations"] if not c["quote_valid"]]
    assert m["quote_validity"] == QUOTE_VALIDITY, f"quotes not verbatim: {bad[:10]}"
    dangling = [r["id"] for r in test_split_results["questions"] if not r["systems"]["assistant"]["markers_ok"]]
    assert not dangling, f"answers with [n] markers that name no citation: {dangling}"


@pytest.mark.slow
def test_results_are_complete_and_render(test_split_results, tmp_path):
    rows = test_split_results["questions"]
    assert set(test_split_results["by_kind"]) == set(KINDS) and set(test_split_results["by_lang"]) == {"sv", "en"}
    assert set(test_split_results["by_style"]) == set(STYLES)
    for row in rows:
        res = row["systems"]["assistant"]
        assert res["answer"] and isinstance(res["pass"], bool) and res["why"]
        assert res["latency_ms"] > 0
        assert (res["retrieved_top5"] is None) == (not row["answerable"])
    conversations = [r for r in rows if r["conversation"]]
    # the history reached ask(): a conversation's resolved question mostly differs from its last turn
    assert sum(r["systems"]["assistant"]["resolved_question"] != r["question"] for r in conversations) \
        >= len(conversations) // 2
    report, data = write_outputs(test_split_results, tmp_path)
    md = report.read_text(encoding="utf-8")
    assert "| assistant | test |" in md
    assert not any(f"| {r['id']} |" in md or f". {r['id']} (" in md for r in rows)  # test rows never listed
    assert len(json.loads(data.read_text(encoding="utf-8"))["questions"]) == len(rows)


@pytest.mark.slow
def test_baselines_run_on_a_dev_subset(built_assistant):
    questions = load_questions(DEFAULT_QUESTIONS, split="dev")
    subset = [next(x for x in questions if x.kind == kind) for kind in KINDS]  # one per kind, follow-up included
    perturbed = [v for v in load_perturbed("dev") if v.original_id in {x.id for x in subset}][:3]
    results = evaluate_questions(built_assistant, subset, baselines=True, perturbed=perturbed)
    assert results["meta"]["systems"] == ["assistant", "bm25", "dense", "llamaindex"]
    assert results["meta"]["llamaindex"]["nodes"] > 0
    for system in ("bm25", "dense", "llamaindex"):
        m = results["summary"][system]
        assert m["n"] == len(subset)
        assert m["abstention_accuracy"] == 0.0 and m["false_abstention_rate"] == 0.0  # never abstain
        assert m["quote_validity"] is None and m["supporting_quotes"] is None  # not meaningful for baselines
        assert 0.0 <= m["accuracy"] <= 1.0 and 0.0 <= m["recall_at_5"] <= 1.0 and 0.0 <= m["mrr"] <= 1.0
        assert 0.0 <= m["retrieved_top5_accuracy"] <= 1.0
        assert m["median_chars"] > 0 and m["latency_p50_ms"] is not None
        chunk_texts = {c.text for c in built_assistant.index.chunks}
        for row in results["questions"]:
            res = row["systems"][system]
            assert res["answer"] and res["citations"] and isinstance(res["pass"], bool)
            if system != "llamaindex":  # the whole top chunk is the answer
                assert res["answer"] in chunk_texts
            assert all(c["source"] in built_assistant.index.documents() for c in res["citations"])
    assert len(results["questions"][0]["systems"]["llamaindex"]["citations"]) == 2  # top-2
    if perturbed:
        entry = results["perturbed"]["by_perturbation"]["all"]["dev"]
        assert entry["perturbed"]["assistant"]["n"] == len(perturbed) and entry["original"] is not None
    md = render_markdown(results)
    assert "baseline: naive llama-index" in md and "| –" in md
