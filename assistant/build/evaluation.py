"""Evaluation harness behind ``assistant eval``: the assistant and three baselines on one question set.

Everything here goes through public APIs only: :meth:`Assistant.ask` for answers, the loaded index
(chunks, BM25, dense search, original document lines) for the baselines and for re-checking quotes,
and :func:`assistant.retrieve.retrieve` for retrieval metrics. Nothing in the answer path reads the
question set.

Scoring (per question, see :func:`judge`):

* answerable questions pass when the answer was not an abstention and, for every ``must`` group, the
  answer contains at least one alternative (case-insensitive substring match after whitespace is
  normalised);
* unanswerable questions pass when the system abstained.

Metrics per system (see :func:`summarize`): answer accuracy and false-abstention rate over answerable
questions, abstention accuracy over unanswerable ones, citation precision (citations whose source is
a gold source, over answerable questions), share of verbatim-valid quotes (each quote re-verified
against the cited lines of the original document), recall@5 and MRR@10 of the gold source(s) in the
retrieval ranking, median answer length of non-abstained answers and warm per-question latency.

Baselines, same questions and same embedder: (a) BM25 only and (b) dense only over the assistant's own
chunks, and (c) a naive llama-index pipeline (default ``SentenceSplitter``, ``VectorStoreIndex``, top-2
retrieval). They answer with the top chunk's whole text and never abstain. Follow-up
questions reach them as the earlier user turns and the question joined into one query.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from assistant.settings import PROJECT_ROOT
from assistant.text import normalize_for_match

DEFAULT_QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "eval"

KINDS = ("owner", "contact", "time", "fact", "list", "cross", "followup", "unanswerable")
LANGS = ("sv", "en")
RECALL_K = 5
MRR_K = 10
BASELINE_ANSWER_CHARS = 300
WARMUP_QUESTION = "Vad handlar dokumenten om?"  # not from the question set

SYSTEMS = ("assistant", "bm25", "dense", "llamaindex")
SYSTEM_LABELS = {
    "assistant": "assistant",
    "bm25": "baseline: BM25 only",
    "dense": "baseline: dense only",
    "llamaindex": "baseline: naive llama-index",
}
DASH = "–"


# ------------------------------------------------------------------ questions
@dataclass
class Question:
    id: str
    question: str
    lang: str
    kind: str
    must: list[list[str]]
    sources: list[str]
    answerable: bool
    history: list[str] = field(default_factory=list)


def load_questions(path: Path | str) -> list[Question]:
    """Read and validate the JSONL question set."""
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            q = Question(id=str(row["id"]), question=str(row["question"]), lang=row.get("lang", "sv"),
                         kind=row["kind"], must=[list(group) for group in row.get("must", [])],
                         sources=list(row.get("sources", [])), answerable=bool(row.get("answerable", True)),
                         history=[str(h) for h in row.get("history") or []])
        except KeyError as exc:
            raise ValueError(f"{path}:{number}: missing field {exc}") from exc
        if q.answerable and (not q.must or not q.sources):
            raise ValueError(f"{path}:{number}: answerable question {q.id} needs 'must' and 'sources'")
        if any(not group for group in q.must):
            raise ValueError(f"{path}:{number}: empty must group in {q.id}")
        questions.append(q)
    return questions


# ------------------------------------------------------------------ scoring
_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Lower-cased text with all whitespace runs collapsed to one space."""
    return _WS.sub(" ", text or "").strip().lower()


def missing_groups(answer: str, must: list[list[str]]) -> list[list[str]]:
    """The must groups of which the answer contains none of the alternatives."""
    text = normalize_text(answer)
    return [group for group in must if not any(normalize_text(alt) in text for alt in group if normalize_text(alt))]


def judge(question: Question, answer: str, abstained: bool) -> tuple[bool, str]:
    """(pass, why) for one answer."""
    if not question.answerable:
        return (True, "correctly abstained") if abstained else (False, "answered an unanswerable question")
    if abstained:
        return False, "false abstention"
    missing = missing_groups(answer, question.must)
    if missing:
        shown = "; ".join(" / ".join(group) for group in missing)
        return False, f"missing {len(missing)} of {len(question.must)} must groups: {shown}"
    return True, "all must groups present"


def quote_is_verbatim(doc_lines: dict[str, list[str]], source: str, lines, quote: str) -> bool:
    """Re-verify a quote: normalised, it must be a substring of the normalised cited line span."""
    text = doc_lines.get(source)
    try:
        start, end = int(lines[0]), int(lines[1])
    except (TypeError, ValueError, IndexError):
        return False
    if text is None or start < 1 or end < start or end > len(text):
        return False
    needle = normalize_for_match(quote or "")
    return bool(needle) and needle in normalize_for_match("\n".join(text[start - 1:end]))


_MARKER = re.compile(r"\[(\d{1,2})\]")


def markers_resolve(answer: str, citation_numbers: list[int]) -> bool:
    """Every ``[n]`` marker in the answer names a citation that was returned."""
    return {int(n) for n in _MARKER.findall(answer or "")} <= set(citation_numbers)


def ranking_scores(ranked_sources: list[str], gold: list[str], recall_k: int = RECALL_K,
                   mrr_k: int = MRR_K) -> tuple[float | None, float | None]:
    """(recall@k of the gold sources, reciprocal rank of the first gold chunk within mrr_k)."""
    if not gold:
        return None, None
    top = set(ranked_sources[:recall_k])
    recall = sum(1 for source in set(gold) if source in top) / len(set(gold))
    rr = 0.0
    for rank, source in enumerate(ranked_sources[:mrr_k], 1):
        if source in gold:
            rr = 1.0 / rank
            break
    return recall, rr


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), ``None`` for no values."""
    return float(np.percentile(values, p)) if values else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(rows: list[dict], system: str) -> dict:
    """Metrics of one system over per-question rows (see :func:`evaluate_questions`)."""
    answerable = [r for r in rows if r["answerable"] and system in r["systems"]]
    unanswerable = [r for r in rows if not r["answerable"] and system in r["systems"]]
    results = [r["systems"][system] for r in rows if system in r["systems"]]
    gold_citations = [c for r in answerable for c in r["systems"][system]["citations"]]
    checked = [c["quote_valid"] for res in results for c in res["citations"] if "quote_valid" in c]
    answered_lengths = [len(res["answer"]) for res in results if not res["abstained"]]
    latencies = [res["latency_ms"] for res in results if res.get("latency_ms") is not None]
    recalls = [r["systems"][system]["recall_at_5"] for r in answerable if r["systems"][system].get("recall_at_5") is not None]
    rrs = [r["systems"][system]["rr"] for r in answerable if r["systems"][system].get("rr") is not None]
    with_markers = [res["markers_ok"] for res in results if "markers_ok" in res]
    return {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "accuracy": _mean([1.0 if r["systems"][system]["pass"] else 0.0 for r in answerable]),
        "abstention_accuracy": _mean([1.0 if r["systems"][system]["abstained"] else 0.0 for r in unanswerable]),
        "false_abstention_rate": _mean([1.0 if r["systems"][system]["abstained"] else 0.0 for r in answerable]),
        "citation_precision": _mean([1.0 if c["gold_source"] else 0.0 for c in gold_citations]),
        "citations": sum(len(res["citations"]) for res in results),
        "quote_validity": _mean([1.0 if ok else 0.0 for ok in checked]) if checked else None,
        "invalid_quotes": sum(1 for ok in checked if not ok) if checked else None,
        "dangling_markers": sum(1 for ok in with_markers if not ok) if with_markers else None,
        "recall_at_5": _mean(recalls),
        "mrr": _mean(rrs),
        "median_chars": statistics.median(answered_lengths) if answered_lengths else None,
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def failure_severity(row: dict, system: str = "assistant") -> tuple:
    """Sort key for the worst failures (higher first): broken quotes, then confident wrong answers."""
    res = row["systems"][system]
    invalid = sum(1 for c in res["citations"] if c.get("quote_valid") is False)
    off_source = bool(res["citations"]) and not any(c["gold_source"] for c in res["citations"])
    if invalid:
        level = 5
    elif not row["answerable"]:
        level = 4  # answered what the documents do not say
    elif not res["abstained"] and off_source:
        level = 3  # wrong and cites the wrong document
    elif not res["abstained"]:
        level = 2  # wrong answer from the right document
    else:
        level = 1  # false abstention
    must = row.get("must") or []
    missed = len(missing_groups(res["answer"], must)) / len(must) if must and not res["abstained"] else 0.0
    return (level, invalid, missed, -int(re.sub(r"\D", "", row["id"]) or 0))


def worst_failures(rows: list[dict], n: int = 5, system: str = "assistant") -> list[dict]:
    """The ``n`` most severe failures, at most one per question kind while other kinds have failures.

    One per kind keeps the list informative: the same failure mode repeated five times says less
    than five different ones. Broken quotes always come first, whatever their kind.
    """
    failed = [r for r in rows if system in r["systems"] and
              (not r["systems"][system]["pass"] or any(c.get("quote_valid") is False for c in r["systems"][system]["citations"]))]
    ranked = sorted(failed, key=lambda r: failure_severity(r, system), reverse=True)
    chosen = [r for r in ranked if failure_severity(r, system)[0] == 5][:n]
    kinds = {r["kind"] for r in chosen}
    for row in ranked:
        if len(chosen) < n and row not in chosen and row["kind"] not in kinds:
            chosen.append(row)
            kinds.add(row["kind"])
    chosen += [r for r in ranked if r not in chosen][: n - len(chosen)]
    return sorted(chosen, key=lambda r: failure_severity(r, system), reverse=True)


# ------------------------------------------------------------------ systems
def _citation(source: str, lines, quote: str, gold: list[str], doc_lines: dict | None = None, n: int | None = None,
              section: str = "") -> dict:
    out = {"n": n, "source": source, "lines": [int(lines[0]), int(lines[1])], "section": section, "quote": quote,
           "gold_source": source in gold}
    if doc_lines is not None:
        out["quote_valid"] = quote_is_verbatim(doc_lines, source, lines, quote)
    return out


def baseline_query(question: Question) -> str:
    """What a baseline without conversation handling sees: earlier user turns plus the question."""
    return " ".join([*question.history, question.question])


class ChunkBaseline:
    """BM25-only or dense-only ranking over the assistant's own chunks; answers with the top chunk."""

    def __init__(self, name: str, index, embedder):
        self.name, self.index, self.embedder = name, index, embedder

    def rank(self, query: str) -> list[int]:
        if self.name == "bm25":
            from assistant.lang.tokens import tokenize

            scores = self.index.bm25_scores(tokenize(query))
            return [int(i) for i in np.argsort(-scores, kind="stable")[:MRR_K]]
        vector = self.embedder.embed_query(query)
        return [position for position, _ in self.index.dense_search(vector, MRR_K)]

    def run(self, question: Question) -> dict:
        started = time.perf_counter()
        ranked = self.rank(baseline_query(question))
        latency = (time.perf_counter() - started) * 1000
        chunks = [self.index.chunks[i] for i in ranked]
        top = chunks[0] if chunks else None
        answer = top.text if top else ""
        citations = [_citation(top.source, (top.line_start, top.line_end), top.text[:BASELINE_ANSWER_CHARS], question.sources, n=1,
                               section=top.section)] if top else []
        return {"answer": answer, "abstained": False, "citations": citations, "latency_ms": latency,
                "ranked_sources": [c.source for c in chunks]}


def llama_embedding(embedder, query_timings_ms: list[float] | None = None):
    """A llama-index embedding model that calls the assistant's embedder (e5 prefixes included).

    With ``query_timings_ms`` each query embedding's duration is appended to it (the benchmarks use it).
    """
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class AssistantEmbedding(BaseEmbedding):
        _embedder = PrivateAttr()
        _timings = PrivateAttr()

        def __init__(self, inner, timings, **kwargs):
            super().__init__(model_name=str(getattr(inner, "model_id", "assistant-embedder")), **kwargs)
            self._embedder = inner
            self._timings = timings

        def _get_query_embedding(self, query: str) -> list[float]:
            started = time.perf_counter()
            vector = [float(x) for x in self._embedder.embed_query(query)]
            if self._timings is not None:
                self._timings.append((time.perf_counter() - started) * 1000)
            return vector

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_text_embeddings([text])[0]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in vector] for vector in self._embedder.embed_passages(list(texts))]

    return AssistantEmbedding(embedder, query_timings_ms)


class LlamaIndexBaseline:
    """Naive llama-index RAG: default SentenceSplitter, in-memory VectorStoreIndex, top-2 retrieval."""

    name = "llamaindex"

    def __init__(self, index, embedder, corpus_dir: Path):
        from llama_index.core import Document, Settings, VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.core.node_parser import SentenceSplitter

        from assistant.ingest.corpus import read_document

        Settings.llm = MockLLM()  # never an LLM client; nothing may try OpenAI
        started = time.perf_counter()
        self.texts: dict[str, str] = {}
        documents = []
        for source in sorted(index.documents()):
            doc = read_document(Path(corpus_dir) / source)
            self.texts[source] = doc.text
            documents.append(Document(text=doc.text, id_=source, metadata={"source": source},
                                      excluded_embed_metadata_keys=["source"], excluded_llm_metadata_keys=["source"]))
        self.embed_model = llama_embedding(embedder)
        self.index = VectorStoreIndex.from_documents(documents, embed_model=self.embed_model,
                                                     transformations=[SentenceSplitter()], show_progress=False)
        self.nodes = len(self.index.docstore.docs)
        self.answer_retriever = self.index.as_retriever(similarity_top_k=2)
        self.rank_retriever = self.index.as_retriever(similarity_top_k=MRR_K)
        self.build_seconds = time.perf_counter() - started

    def _lines(self, node) -> tuple[int, int]:
        text = self.texts.get(node.metadata.get("source"), "")
        start, end = node.start_char_idx, node.end_char_idx
        if start is None or end is None:
            start = max(0, text.find(node.get_content()[:200]))
            end = start + len(node.get_content())
        return text.count("\n", 0, start) + 1, text.count("\n", 0, max(start, end - 1)) + 1

    def run(self, question: Question) -> dict:
        query = baseline_query(question)
        started = time.perf_counter()
        retrieved = self.answer_retriever.retrieve(query)
        latency = (time.perf_counter() - started) * 1000
        ranked = self.rank_retriever.retrieve(query)  # only for recall@5 / MRR, not timed
        answer = retrieved[0].node.get_content() if retrieved else ""
        citations = [_citation(hit.node.metadata.get("source", ""), self._lines(hit.node),
                               hit.node.get_content()[:BASELINE_ANSWER_CHARS], question.sources, n=i)
                     for i, hit in enumerate(retrieved, 1)]
        return {"answer": answer, "abstained": False, "citations": citations, "latency_ms": latency,
                "ranked_sources": [hit.node.metadata.get("source", "") for hit in ranked]}


def run_assistant(assistant, question: Question) -> dict:
    """Ask the assistant (with the follow-up history), time it, and re-check every quote."""
    from assistant.lang.councils import detect_councils
    from assistant.retrieve.hybrid import retrieve

    started = time.perf_counter()
    answer = assistant.ask(question.question, history=question.history or None)
    latency = (time.perf_counter() - started) * 1000
    index = assistant.index
    citations = [_citation(c.source, c.lines, c.quote, question.sources, index.doc_lines, n=c.n,
                           section=getattr(c, "section", "") or "")
                 for c in answer.citations]
    # Retrieval quality of the resolved question, with the council filter the question implies.
    resolved = getattr(answer, "resolved_question", "") or question.question
    known = sorted({meta.get("council", "") for meta in index.documents().values() if meta.get("council")})
    hits = retrieve(index, assistant.embedder.embed_query(resolved), resolved, assistant.settings,
                    councils=detect_councils(resolved, known) or None, k=MRR_K)
    return {"answer": answer.answer, "abstained": answer.abstained, "citations": citations, "latency_ms": latency,
            "ranked_sources": [hit.chunk.source for hit in hits], "intent": getattr(answer, "intent", ""),
            "resolved_question": resolved, "timings_ms": getattr(answer, "timings_ms", {}),
            "markers_ok": markers_resolve(answer.answer, [c.n for c in answer.citations])}


# ------------------------------------------------------------------ run
def machine_facts() -> dict:
    """CPU model, usable cores and memory of this machine (also used by the benchmarks)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    memory_gb = None
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpus": cores, "cpu_model": cpu, "memory_gb": memory_gb}


def machine_description() -> str:
    facts = machine_facts()
    memory = "" if facts["memory_gb"] is None else f", {facts['memory_gb']:.0f} GiB RAM"
    return (f"{facts['cpus']} CPU cores ({facts['cpu_model']}){memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, embeddings on CPU")


def _load_average() -> float | None:
    """1-minute load average: how busy the shared cores were (latencies depend on it)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _finish(row: dict, question: Question, system: str, result: dict) -> None:
    result["latency_ms"] = round(result["latency_ms"], 2)
    result["pass"], result["why"] = judge(question, result["answer"], result["abstained"])
    result["recall_at_5"], result["rr"] = ranking_scores(result.pop("ranked_sources"), question.sources) \
        if question.answerable else (None, None)
    row["systems"][system] = result


def evaluate_questions(assistant, questions: list[Question], baselines: bool = True, progress=None) -> dict:
    """Run the assistant (and the baselines) over ``questions``; returns the full results object."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    load_before = _load_average()
    rows = [{"id": q.id, "question": q.question, "history": q.history, "lang": q.lang, "kind": q.kind,
             "answerable": q.answerable, "must": q.must, "sources": q.sources, "systems": {}} for q in questions]
    durations: dict[str, float] = {}

    t0 = time.perf_counter()
    index = assistant.index
    assistant.ask(WARMUP_QUESTION)  # loads the model and per-index caches: latencies below are warm
    assistant.embedder.embed_query(WARMUP_QUESTION)
    durations["warmup"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for number, (row, q) in enumerate(zip(rows, questions), 1):
        say(f"assistant {number}/{len(questions)} {q.id}")
        _finish(row, q, "assistant", run_assistant(assistant, q))
    durations["assistant"] = time.perf_counter() - t0

    extra: dict = {}
    if baselines:
        systems = [ChunkBaseline("bm25", index, assistant.embedder), ChunkBaseline("dense", index, assistant.embedder)]
        t0 = time.perf_counter()
        say("building the llama-index baseline")
        llama = LlamaIndexBaseline(index, assistant.embedder, Path(assistant.settings.corpus_dir))
        extra["llamaindex"] = {"nodes": llama.nodes, "build_seconds": round(llama.build_seconds, 2)}
        systems.append(llama)
        durations["llamaindex_build"] = time.perf_counter() - t0
        for system in systems:
            t0 = time.perf_counter()
            system.run(Question("warmup", WARMUP_QUESTION, "sv", "fact", [], [], False))
            for number, (row, q) in enumerate(zip(rows, questions), 1):
                say(f"{system.name} {number}/{len(questions)} {q.id}")
                _finish(row, q, system.name, system.run(q))
            durations[system.name] = time.perf_counter() - t0
    durations["total"] = time.perf_counter() - started

    systems_run = [s for s in SYSTEMS if any(s in r["systems"] for r in rows)]
    summary = {s: summarize(rows, s) for s in systems_run}
    by_kind = {kind: {s: summarize([r for r in rows if r["kind"] == kind], s) for s in systems_run}
               for kind in list(KINDS) + sorted({r["kind"] for r in rows} - set(KINDS)) if any(r["kind"] == kind for r in rows)}
    by_lang = {lang: {s: summarize([r for r in rows if r["lang"] == lang], s) for s in systems_run}
               for lang in sorted({r["lang"] for r in rows}, key=lambda l: (LANGS + (l,)).index(l))}
    try:
        import llama_index.core as llama_core
        llama_version = llama_core.__version__
    except Exception:  # the assistant's numbers do not depend on it
        llama_version = None
    meta = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "questions": len(questions),
        "answerable": sum(1 for q in questions if q.answerable),
        "unanswerable": sum(1 for q in questions if not q.answerable),
        "by_lang": {lang: sum(1 for q in questions if q.lang == lang) for lang in sorted({q.lang for q in questions})},
        "index_build": index.build_id,
        "chunks": len(index.chunks),
        "embedding_model": str(getattr(assistant.embedder, "model_id", "")),
        "embedding_threads": getattr(assistant.settings, "embedding_threads", None),
        "embedding_backend": getattr(assistant.settings, "embedding_backend", None),
        "llama_index_version": llama_version,
        "systems": systems_run,
        "durations_s": {k: round(v, 1) for k, v in durations.items()},
        "load_average": {"before": load_before, "after": _load_average()},
        **extra,
    }
    return {"meta": meta, "summary": summary, "by_kind": by_kind, "by_lang": by_lang, "questions": rows}


# ------------------------------------------------------------------ output
def pct(value) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def num(value, digits: int = 3) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def ms(value) -> str:
    return DASH if value is None else f"{value:.1f}" if value < 10 else f"{value:.0f}"


SUMMARY_COLUMNS = ("system", "accuracy", "abstention acc.", "false abst.", "citation prec.", "verbatim quotes",
                   "recall@5", "MRR@10", "median chars", "p50 ms", "p95 ms")


def summary_rows(summary: dict) -> list[list[str]]:
    rows = []
    for system, m in summary.items():
        rows.append([SYSTEM_LABELS.get(system, system), pct(m["accuracy"]), pct(m["abstention_accuracy"]),
                     pct(m["false_abstention_rate"]), pct(m["citation_precision"]),
                     pct(m["quote_validity"]) if system == "assistant" else DASH,
                     pct(m["recall_at_5"]), num(m["mrr"]), num(m["median_chars"], 0), ms(m["latency_p50_ms"]),
                     ms(m["latency_p95_ms"])])
    return rows


DETAIL_COLUMNS = ("n", "accuracy", "abstention acc.", "false abst.", "citation prec.", "verbatim quotes",
                  "recall@5", "MRR@10", "median chars", "p50 ms")


def detail_rows(groups: dict) -> list[list[str]]:
    rows = []
    for name, systems in groups.items():
        m = systems["assistant"]
        rows.append([name, str(m["n"]), pct(m["accuracy"]), pct(m["abstention_accuracy"]), pct(m["false_abstention_rate"]),
                     pct(m["citation_precision"]), pct(m["quote_validity"]), pct(m["recall_at_5"]), num(m["mrr"]),
                     num(m["median_chars"], 0), ms(m["latency_p50_ms"])])
    return rows


def comparison_rows(groups: dict, systems: list[str]) -> list[list[str]]:
    """Per group: accuracy (abstention accuracy for unanswerable-only groups) of every system."""
    rows = []
    for name, per_system in groups.items():
        first = per_system[systems[0]]
        metric = "accuracy" if first["n_answerable"] else "abstention_accuracy"
        rows.append([name, str(first["n"])] + [pct(per_system[s][metric]) for s in systems])
    return rows


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header, rows) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    fmt = lambda row: "  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
    return "\n".join([fmt(header), "  ".join("-" * w for w in widths)] + [fmt(row) for row in rows])


def _failure_block(number: int, row: dict) -> str:
    res = row["systems"]["assistant"]
    lines = [f"### {number}. {row['id']} ({row['kind']}, {row['lang']}) – {res['why']}", ""]
    if row["history"]:
        lines.append("History: " + " → ".join(f"“{h}”" for h in row["history"]))
        lines.append("")
    lines.append(f"Question: {row['question']}")
    lines.append("")
    if row["answerable"]:
        lines.append("Expected (one of each group): " + "; ".join("[" + " / ".join(g) + "]" for g in row["must"])
                     + f" from {', '.join(row['sources'])}")
    else:
        lines.append("Expected: abstention (the documents do not say).")
    lines.append("")
    if res.get("resolved_question") and res["resolved_question"] != row["question"]:
        lines.append(f"Resolved question: {res['resolved_question']}")
        lines.append("")
    lines.append(f"Intent: {res.get('intent', DASH)}. Answer:")
    lines.append("")
    lines.append("```text")
    lines.append(res["answer"])
    lines.append("```")
    if res["citations"]:
        lines.append("")
        for c in res["citations"]:
            flags = [("gold source" if c["gold_source"] else "not a gold source")] if row["answerable"] else []
            flags += [] if c.get("quote_valid", True) else ["QUOTE NOT VERBATIM"]
            shown = f" ({', '.join(flags)})" if flags else ""
            lines.append(f"- [{c['n']}] {c['source']} lines {c['lines'][0]}–{c['lines'][1]}{shown}")
    return "\n".join(lines)


def render_markdown(results: dict) -> str:
    meta, summary = results["meta"], results["summary"]
    systems = meta["systems"]
    langs = ", ".join(f"{n} {lang}" for lang, n in meta["by_lang"].items())
    durations = ", ".join(f"{k} {v} s" for k, v in meta["durations_s"].items())
    parts = [
        "# Evaluation report",
        "",
        "Generated by `assistant eval` (assistant/evaluation.py). Re-run it to refresh this file and `results.json`.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']}; shared with other work, 1-minute load average "
        f"{meta.get('load_average', {}).get('before', DASH)} before and {meta.get('load_average', {}).get('after', DASH)} "
        "after the run, so latencies are indicative",
        f"- Questions: {meta['questions']} ({meta['answerable']} answerable, {meta['unanswerable']} unanswerable; {langs})",
        f"- Index build: {meta['index_build']} ({meta['chunks']} chunks); embedding model {meta['embedding_model']}, "
        f"{meta.get('embedding_backend') or 'torch'} backend, {meta['embedding_threads']} threads",
        f"- Wall time: {durations}",
    ]
    if "llamaindex" in meta:
        parts.append(f"- llama-index {meta.get('llama_index_version')}: {meta['llamaindex']['nodes']} nodes "
                     f"(SentenceSplitter defaults), built in {meta['llamaindex']['build_seconds']} s")
    parts += ["", "## Assistant and baselines", "", markdown_table(SUMMARY_COLUMNS, summary_rows(summary)), ""]
    a = summary.get("assistant", {})
    parts.append(f"Assistant: {a.get('citations', 0)} citations, {a.get('invalid_quotes', 0)} with a quote that is not "
                 f"verbatim; {a.get('dangling_markers', 0)} answers with a [n] marker that names no citation.")
    parts += [
        "",
        "## Per kind (assistant)",
        "",
        markdown_table(("kind",) + DETAIL_COLUMNS, detail_rows(results["by_kind"])),
        "",
        "## Per language (assistant)",
        "",
        markdown_table(("lang",) + DETAIL_COLUMNS, detail_rows(results["by_lang"])),
        "",
    ]
    if len(systems) > 1:
        header = ("group", "n") + tuple(SYSTEM_LABELS[s].replace("baseline: ", "") for s in systems)
        parts += ["## Accuracy by kind and language, all systems", "",
                  "Answer accuracy; for `unanswerable` the abstention accuracy.", "",
                  markdown_table(header, comparison_rows(results["by_kind"], systems) + comparison_rows(results["by_lang"], systems)),
                  ""]
    worst = worst_failures(results["questions"])
    parts += ["## Five worst failures (assistant)", "",
              "Ordered by severity: a quote that is not verbatim, then an answer to an unanswerable question, then a wrong "
              "answer that cites only non-gold documents, then a wrong answer, then a false abstention (ties: more must "
              "groups missed first). At most one per question kind, so that different failure modes show. Every "
              "failure is in `results.json` (`pass: false`, with `why`).", ""]
    if not worst:
        parts.append("No failures.")
    for number, row in enumerate(worst, 1):
        parts.append(_failure_block(number, row))
        parts.append("")
    parts += [
        "## How the numbers are computed",
        "",
        "- **accuracy**: answerable questions whose answer is not an abstention and contains, for every `must` group, "
        "one alternative (case-insensitive, whitespace-normalised substring).",
        "- **abstention acc.**: unanswerable questions answered with the refusal; **false abst.**: answerable "
        "questions answered with the refusal.",
        "- **citation prec.**: citations (on answerable questions) whose source file is one of the question's gold sources.",
        "- **verbatim quotes**: every citation's quote, normalised with `normalize_for_match`, re-checked as a substring "
        "of the normalised cited lines of the original document (index `doc_lines`). Not meaningful for baselines (–).",
        f"- **recall@5 / MRR@10**: share of gold sources among the sources of the top-{RECALL_K} retrieved chunks, and "
        f"1/rank of the first chunk from a gold source (0 beyond rank {MRR_K}). Assistant: `retrieve()` on the resolved "
        "question with the council filter the question names; baselines: their own ranking.",
        "- **median chars**: median length of non-abstained answers. **p50/p95 ms**: warm wall time per question "
        "(assistant: the whole `ask()`; baselines: retrieval for the answer).",
        "- Baselines answer with the top chunk's whole text (quotes shown cut to "
        f"{BASELINE_ANSWER_CHARS} characters) and never abstain; BM25 and "
        "dense rank the assistant's own chunks, llama-index splits the same document text with `SentenceSplitter()` "
        "defaults, embeds with the same e5 model and cites its top-2 nodes. For follow-ups they receive the earlier "
        "user turns and the question as one query.",
        "",
    ]
    return "\n".join(parts)


def render_terminal(results: dict) -> str:
    meta = results["meta"]
    out = [f"{meta['questions']} questions, {meta['machine']}", "",
           text_table(SUMMARY_COLUMNS, summary_rows(results["summary"])), "",
           "Per kind (assistant)", text_table(("kind",) + DETAIL_COLUMNS, detail_rows(results["by_kind"])), "",
           "Per language (assistant)", text_table(("lang",) + DETAIL_COLUMNS, detail_rows(results["by_lang"]))]
    systems = meta["systems"]
    if len(systems) > 1:
        header = ("group", "n") + tuple(s for s in systems)
        out += ["", "Accuracy (abstention accuracy for unanswerable) by system",
                text_table(header, comparison_rows(results["by_kind"], systems) + comparison_rows(results["by_lang"], systems))]
    worst = worst_failures(results["questions"])
    if worst:
        out += ["", "Worst failures (assistant)"]
        for row in worst:
            res = row["systems"]["assistant"]
            out.append(f"  {row['id']} [{row['kind']}/{row['lang']}] {res['why']}")
            out.append(f"    Q: {row['question']}")
            out.append("    A: " + res["answer"].replace("\n", " | ")[:200])
    out += ["", "Wall time: " + ", ".join(f"{k} {v} s" for k, v in meta["durations_s"].items())]
    return "\n".join(out)


def write_outputs(results: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report, data = out_dir / "report.md", out_dir / "results.json"
    report.write_text(render_markdown(results), encoding="utf-8")
    data.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report, data


# ------------------------------------------------------------------ CLI
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant eval")
    parser.add_argument("--questions", default=None, help=f"question set (default {DEFAULT_QUESTIONS})")
    parser.add_argument("--out", default=None, help=f"folder for report.md and results.json (default {DEFAULT_OUT})")
    parser.add_argument("--no-baselines", action="store_true")
    return parser


def main(args=None) -> int:
    """``assistant eval``: returns 0, or 1 when a citation's quote is not verbatim in its source."""
    if args is None or isinstance(args, list):
        args = build_parser().parse_args(args)
    from assistant.service import Assistant

    questions = load_questions(getattr(args, "questions", None) or DEFAULT_QUESTIONS)
    out_dir = Path(getattr(args, "out", None) or DEFAULT_OUT)
    assistant = Assistant()
    assistant.index  # fail early (IndexNotFound / IndexDamaged) before the model loads

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"\r{message[:70]:<70}", end="", file=sys.stderr, flush=True)

    results = evaluate_questions(assistant, questions, baselines=not getattr(args, "no_baselines", False),
                                 progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    report, data = write_outputs(results, out_dir)
    print(render_terminal(results))
    print(f"\nWrote {report} and {data}")
    invalid = results["summary"]["assistant"]["invalid_quotes"] or 0
    if invalid:
        print(f"FEL: {invalid} citat är inte ordagranna i källan.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
