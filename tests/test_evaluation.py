"""The evaluation harness: scoring functions on hand-made data, and the CI gate on the real question set.

The slow tests run the whole question set against an index built for this test session and fail when
the assistant falls below the floors below. Floors are what the system reached when they were set,
minus a margin of about two questions; quote validity has no margin. Latency is not gated: the CI
machine's two cores are shared, so timings are too noisy to gate on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pytest

from assistant.build.evaluation import (
    DASH,
    DEFAULT_QUESTIONS,
    KINDS,
    ChunkBaseline,
    LlamaIndexBaseline,
    Question,
    evaluate_questions,
    judge,
    load_questions,
    markers_resolve,
    missing_groups,
    normalize_text,
    percentile,
    quote_is_verbatim,
    ranking_scores,
    render_markdown,
    render_terminal,
    summarize,
    worst_failures,
    write_outputs,
)

# Floors for the assistant on eval/questions.jsonl: raise, never lower.
# Set on 2026-11-22 from accuracy 77.1%, abstention 72.2%, false abstention 1.9%, citation precision
# 95.9%, recall@5 97.9%, MRR 0.971, minus about two questions (one of the 18 unanswerable ones).
MIN_ACCURACY = 0.75                 # answerable questions answered correctly (105)
MIN_ABSTENTION_ACCURACY = 0.66      # unanswerable questions refused (18)
MAX_FALSE_ABSTENTION_RATE = 0.04    # a ceiling on answerable questions refused: lower, never raise
MIN_CITATION_PRECISION = 0.93       # citations from a gold source
MIN_RECALL_AT_5 = 0.95              # gold sources among the top-5 retrieved chunks
MIN_MRR = 0.95                      # reciprocal rank of the first gold chunk (MRR@10)
QUOTE_VALIDITY = 1.0                # every quote verbatim in its cited lines: exactly, always


def q(**kw) -> Question:
    base = dict(id="q001", question="Vem?", lang="sv", kind="owner", must=[["Rådskansliet"]],
                sources=["a.txt"], answerable=True, history=[])
    base.update(kw)
    return Question(**base)


# ----------------------------------------------------------------- must groups
def test_normalize_text_collapses_whitespace_and_case():
    assert normalize_text("  Rådet,\n\trådskansliet  ") == "rådet, rådskansliet"
    assert normalize_text("") == ""


def test_every_group_needs_one_alternative():
    must = [["Huvudmannagrupp", "Huvudmanna- grupp"], ["kommuner"]]
    assert missing_groups("Genomförande: Huvudmanna-  grupp för\nKOMMUNER", must) == []
    assert missing_groups("Huvudmannagrupp för regioner", must) == [["kommuner"]]
    assert missing_groups("inget", must) == must


def test_matching_is_case_and_whitespace_insensitive_but_literal():
    assert not missing_groups("Ansvarig: RÅDET,   rådskansliet", [["Rådet, rådskansliet"]])
    assert not missing_groups("Tidplan Q1-Q4\n2026", [["Q1-Q4 2026", "Q1–Q4 2026"]])
    # no hyphen or dash folding beyond what the groups list
    assert missing_groups("Q1–Q4 2026", [["Q1-Q4 2026"]]) == [["Q1-Q4 2026"]]


def test_judge_answerable_and_unanswerable():
    assert judge(q(), "Rådskansliet ansvarar [1]", False) == (True, "all must groups present")
    # an abstention never passes an answerable question, even if it happens to contain the words
    assert judge(q(), "Rådskansliet: det framgår inte av dokumenten", True) == (False, "false abstention")
    ok, why = judge(q(must=[["A"], ["B", "C"]]), "a only", False)
    assert not ok and why.startswith("missing 1 of 2") and "B / C" in why
    unanswerable = q(kind="unanswerable", must=[], sources=[], answerable=False)
    assert judge(unanswerable, "Det framgår inte av dokumenten.", True)[0]
    assert judge(unanswerable, "Budgeten är 5 miljoner.", False) == (False, "answered an unanswerable question")


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
def _cit(source, gold, valid=True, n=1):
    return {"n": n, "source": source, "lines": [1, 1], "quote": "x", "gold_source": gold, "quote_valid": valid}


def _row(id_, kind, answerable, passed, abstained, citations, answer="x" * 10, latency=10.0, recall=1.0, rr=1.0,
         lang="sv", must=None):
    return {"id": id_, "question": "?", "history": [], "lang": lang, "kind": kind, "answerable": answerable,
            "must": must if must is not None else ([["x"]] if answerable else []), "sources": ["a.txt"] if answerable else [],
            "systems": {"assistant": {"answer": answer, "abstained": abstained, "citations": citations,
                                      "latency_ms": latency, "pass": passed, "why": "", "markers_ok": True,
                                      "recall_at_5": recall if answerable else None, "rr": rr if answerable else None}}}


def hand_made_rows() -> list[dict]:
    return [
        _row("q1", "owner", True, True, False, [_cit("a.txt", True), _cit("a.txt", True, n=2)], answer="a" * 100, latency=10),
        _row("q2", "owner", True, False, False, [_cit("b.txt", False)], answer="b" * 300, latency=20, recall=0.0, rr=0.5),
        _row("q3", "time", True, False, True, [], answer="Det framgår inte av dokumenten.", latency=30, rr=0.25, lang="en"),
        _row("q4", "fact", True, True, False, [_cit("a.txt", True, valid=False)], answer="c" * 200, latency=40),
        _row("q5", "unanswerable", False, True, True, [], answer="Det framgår inte av dokumenten.", latency=50),
        _row("q6", "unanswerable", False, False, False, [_cit("c.txt", False)], answer="d" * 50, latency=60, lang="en"),
    ]


def test_summarize_on_hand_made_rows():
    m = summarize(hand_made_rows(), "assistant")
    assert (m["n"], m["n_answerable"], m["n_unanswerable"]) == (6, 4, 2)
    assert m["accuracy"] == pytest.approx(2 / 4)
    assert m["abstention_accuracy"] == pytest.approx(1 / 2)
    assert m["false_abstention_rate"] == pytest.approx(1 / 4)
    # micro-averaged over the citations of answerable questions: q1 2/2, q2 0/1, q4 1/1 (q6 is unanswerable)
    assert m["citation_precision"] == pytest.approx(3 / 4)
    # every citation is re-checked, unanswerable questions included: 4 of 5 valid
    assert m["quote_validity"] == pytest.approx(4 / 5) and m["invalid_quotes"] == 1
    assert m["recall_at_5"] == pytest.approx(3 / 4)
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0.25 + 1) / 4)
    assert m["median_chars"] == 150  # non-abstained answers: 100, 300, 200, 50
    assert m["latency_p50_ms"] == pytest.approx(35)
    assert m["latency_p95_ms"] == pytest.approx(57.5)
    assert m["dangling_markers"] == 0


def test_summarize_handles_empty_groups():
    m = summarize([r for r in hand_made_rows() if r["kind"] == "unanswerable"], "assistant")
    assert m["accuracy"] is None and m["recall_at_5"] is None and m["citation_precision"] is None
    assert summarize([], "assistant")["n"] == 0


def test_worst_failures_order_and_variety():
    rows = hand_made_rows()
    rows.append(_row("q7", "unanswerable", False, False, False, [_cit("c.txt", False)]))
    worst = [r["id"] for r in worst_failures(rows, n=3)]
    # q4 passed but has a broken quote → first; one unanswerable; then the wrong answer from a wrong source
    assert worst == ["q4", "q6", "q2"]
    assert [r["id"] for r in worst_failures(rows, n=10)] == ["q4", "q6", "q7", "q2", "q3"]
    assert worst_failures([r for r in rows if r["systems"]["assistant"]["pass"] and r["id"] != "q4"]) == []


def fake_results(rows=None) -> dict:
    rows = rows or hand_made_rows()
    for row in rows:  # a baseline column with the same answers
        row["systems"]["bm25"] = {**row["systems"]["assistant"], "abstained": False,
                                  "citations": [{k: v for k, v in c.items() if k != "quote_valid"}
                                                for c in row["systems"]["assistant"]["citations"]]}
        row["systems"]["bm25"].pop("markers_ok")
    systems = ["assistant", "bm25"]
    group = lambda key, value: {s: summarize([r for r in rows if r[key] == value], s) for s in systems}
    return {
        "meta": {"date": "2026-01-01T00:00:00+00:00", "machine": "2 CPU cores (test)", "questions": len(rows),
                 "answerable": 4, "unanswerable": 2, "by_lang": {"sv": 4, "en": 2}, "index_build": "b1", "chunks": 3,
                 "embedding_model": "e5", "embedding_threads": 2, "systems": systems,
                 "durations_s": {"assistant": 1.0, "total": 2.0}},
        "summary": {s: summarize(rows, s) for s in systems},
        "by_kind": {k: group("kind", k) for k in KINDS if any(r["kind"] == k for r in rows)},
        "by_lang": {lang: group("lang", lang) for lang in ("sv", "en")},
        "questions": rows,
    }


def test_reports_render(tmp_path):
    results = fake_results()
    md = render_markdown(results)
    assert "| assistant | 50.0% | 50.0% | 25.0% | 75.0% | 80.0% |" in md
    baseline_line = next(line for line in md.splitlines() if line.startswith("| baseline: BM25 only"))
    assert baseline_line.split("|")[6].strip() == DASH  # quote validity is not meaningful for baselines
    assert "## Per kind (assistant)" in md and "| unanswerable | 2 |" in md
    assert "Five worst failures" in md and "### 1. q4" in md and "2 CPU cores" in md
    terminal = render_terminal(results)
    assert "assistant" in terminal and "q4" in terminal
    report, data = write_outputs(results, tmp_path)
    assert report.read_text(encoding="utf-8") == md
    assert json.loads(data.read_text(encoding="utf-8"))["questions"][0]["id"] == "q1"


# ----------------------------------------------------------------- question set
def test_question_set_loads_and_matches_its_schema():
    questions = load_questions(DEFAULT_QUESTIONS)
    assert len(questions) == 123
    assert {x.kind for x in questions} == set(KINDS)
    assert all(x.answerable == (x.kind != "unanswerable") for x in questions)
    assert all(x.history for x in questions if x.kind == "followup")


def test_load_questions_rejects_broken_rows(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "?", "kind": "fact", "must": [], "sources": []}) + "\n")
    with pytest.raises(ValueError, match="needs 'must'"):
        load_questions(path)
    path.write_text(json.dumps({"id": "x", "question": "?"}) + "\n")
    with pytest.raises(ValueError, match="missing field"):
        load_questions(path)


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


# ----------------------------------------------------------------- the CI gate (slow)
@pytest.fixture(scope="module")
def full_results(built_assistant):
    """The whole question set, assistant only (baselines are covered on a subset below)."""
    return evaluate_questions(built_assistant, load_questions(DEFAULT_QUESTIONS), baselines=False)


@pytest.mark.slow
def test_assistant_meets_the_floors(full_results):
    m = full_results["summary"]["assistant"]
    assert m["n"] == 123
    failures = {
        "accuracy": (m["accuracy"], MIN_ACCURACY),
        "abstention_accuracy": (m["abstention_accuracy"], MIN_ABSTENTION_ACCURACY),
        "citation_precision": (m["citation_precision"], MIN_CITATION_PRECISION),
        "recall_at_5": (m["recall_at_5"], MIN_RECALL_AT_5),
        "mrr": (m["mrr"], MIN_MRR),
    }
    below = {name: f"{value:.3f} < {floor}" for name, (value, floor) in failures.items() if value < floor}
    if m["false_abstention_rate"] > MAX_FALSE_ABSTENTION_RATE:
        below["false_abstention_rate"] = f"{m['false_abstention_rate']:.3f} > {MAX_FALSE_ABSTENTION_RATE}"
    assert not below, f"below the floors: {below}"


@pytest.mark.slow
def test_every_quote_is_verbatim_and_every_marker_resolves(full_results):
    m = full_results["summary"]["assistant"]
    assert m["citations"] > 0
    bad = [(r["id"], c["source"], c["lines"], c["quote"]) for r in full_results["questions"]
           for c in r["systems"]["assistant"]["citations"] if not c["quote_valid"]]
    assert m["quote_validity"] == QUOTE_VALIDITY, f"quotes not verbatim: {bad[:5]}"
    dangling = [r["id"] for r in full_results["questions"] if not r["systems"]["assistant"]["markers_ok"]]
    assert not dangling, f"answers with [n] markers that name no citation: {dangling}"


@pytest.mark.slow
def test_full_results_are_complete_and_render(full_results, tmp_path):
    rows = full_results["questions"]
    assert set(full_results["by_kind"]) == set(KINDS) and set(full_results["by_lang"]) == {"sv", "en"}
    for row in rows:
        res = row["systems"]["assistant"]
        assert res["answer"] and isinstance(res["pass"], bool) and res["why"]
        assert res["latency_ms"] > 0
    followups = [r for r in rows if r["kind"] == "followup"]
    # the history reached ask(): a follow-up's resolved question carries the earlier turn's words
    assert sum(r["systems"]["assistant"]["resolved_question"] != r["question"] for r in followups) >= len(followups) // 2
    report, data = write_outputs(full_results, tmp_path)
    assert "| assistant |" in report.read_text(encoding="utf-8")
    assert len(json.loads(data.read_text(encoding="utf-8"))["questions"]) == 123


@pytest.mark.slow
def test_baselines_run_on_a_subset(built_assistant):
    questions = load_questions(DEFAULT_QUESTIONS)
    subset = [next(x for x in questions if x.kind == kind) for kind in KINDS]  # one per kind, follow-up included
    results = evaluate_questions(built_assistant, subset, baselines=True)
    assert results["meta"]["systems"] == ["assistant", "bm25", "dense", "llamaindex"]
    assert results["meta"]["llamaindex"]["nodes"] > 0
    for system in ("bm25", "dense", "llamaindex"):
        m = results["summary"][system]
        assert m["n"] == len(subset)
        assert m["abstention_accuracy"] == 0.0 and m["false_abstention_rate"] == 0.0  # never abstain
        assert m["quote_validity"] is None  # not meaningful for baselines
        assert 0.0 <= m["accuracy"] <= 1.0 and 0.0 <= m["recall_at_5"] <= 1.0 and 0.0 <= m["mrr"] <= 1.0
        assert m["median_chars"] > 0 and m["latency_p50_ms"] is not None
        chunk_texts = {c.text for c in built_assistant.index.chunks}
        for row in results["questions"]:
            res = row["systems"][system]
            assert res["answer"] and res["citations"] and isinstance(res["pass"], bool)
            if system != "llamaindex":  # the whole top chunk is the answer
                assert res["answer"] in chunk_texts
            assert all(c["source"] in built_assistant.index.documents() for c in res["citations"])
    assert len(results["questions"][0]["systems"]["llamaindex"]["citations"]) == 2  # top-2
    md = render_markdown(results)
    assert "baseline: naive llama-index" in md and "| –" in md
