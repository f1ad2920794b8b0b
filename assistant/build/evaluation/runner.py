"""Running an evaluation: every question through the assistant (and the baselines), scored and grouped.

The results object (also ``results.json``):

* ``meta``: date, machine, index, counts per split, wall times;
* ``summary``: metrics per system over all questions run; ``by_split``: the same per split;
* ``by_kind`` / ``by_style`` / ``by_lang``: ``{group: {scope: {system: metrics}}}`` with scope ``all`` and
  every split present;
* ``gaps``: dev − test per system (when both splits ran);
* ``questions``: one row per question with every system's answer, citations, ``pass`` and ``why``;
* ``perturbed`` (with ``--perturbed``): the same rows and metrics per perturbation kind and split, next
  to the same questions unperturbed.
"""

from __future__ import annotations

import os
import platform
import time
from datetime import datetime
from pathlib import Path

from assistant.build.evaluation.questions import KINDS, LANGS, SINGLE_ANSWER_KINDS, SPLITS, STYLES, Question
from assistant.build.evaluation.scoring import (
    MAX_SINGLE_ANSWER_CITATIONS,
    distinct_citations,
    forbidden_present,
    gap,
    judge,
    ranking_scores,
    retrieved_contains_answer,
    summarize,
)
from assistant.build.evaluation.systems import (
    SYSTEMS,
    ChunkBaseline,
    LlamaIndexBaseline,
    llama_index_version,
    run_assistant,
)

WARMUP_QUESTION = "Vad handlar dokumenten om?"  # not from the question set
PERTURBED_TARGET = ("test", "all", 0.85)  # split, perturbation kind, answer-accuracy target ("typed as users type")


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


def question_row(q: Question) -> dict:
    row = {"id": q.id, "split": q.split, "style": q.style, "lang": q.lang, "kind": q.kind,
           "conversation": q.conversation, "question": q.question, "history": q.history, "answerable": q.answerable,
           "must": q.must, "must_v2": q.must_v2, "must_not": q.must_not, "sources": q.sources, "systems": {}}
    if q.perturbation:
        row.update(perturbation=q.perturbation, original_id=q.original_id)
    return row


def finish(row: dict, question: Question, system: str, result: dict) -> None:
    """Score one system's result for one question and store it in the row."""
    result["latency_ms"] = round(result["latency_ms"], 2)
    result["pass"], result["why"] = judge(question, result["answer"], result["abstained"])
    result["must_not_hits"] = forbidden_present(result["answer"], question.must_not) \
        if question.answerable and not result["abstained"] else []
    ranked, top_texts = result.pop("ranked_sources"), result.pop("top_texts", None)
    result["recall_at_5"], result["rr"] = ranking_scores(ranked, question.sources) if question.answerable else (None, None)
    result["retrieved_top5"] = retrieved_contains_answer(top_texts, question.graded_must) \
        if question.answerable and top_texts is not None else None
    result["distinct_citations"] = distinct_citations(result["citations"])
    result["many_citations"] = (result["distinct_citations"] > MAX_SINGLE_ANSWER_CITATIONS) \
        if question.kind in SINGLE_ANSWER_KINDS and not result["abstained"] else None
    row["systems"][system] = result


def _ordered(values, known) -> list[str]:
    present = set(values)
    return [v for v in known if v in present] + sorted(present - set(known))


def scopes_of(rows: list[dict]) -> list[str]:
    """``all`` plus every split present, in the order dev, test."""
    return ["all"] + _ordered((r["split"] for r in rows), SPLITS)


def grouped(rows: list[dict], key: str, known, systems: list[str]) -> dict:
    """``{group value: {scope: {system: metrics}}}`` for the rows' ``key`` (kind, style, lang, …)."""
    out = {}
    for value in _ordered((r[key] for r in rows), known):
        members = [r for r in rows if r[key] == value]
        out[value] = {scope: {s: summarize([r for r in members if scope == "all" or r["split"] == scope], s)
                              for s in systems} for scope in scopes_of(rows)}
    return out


def aggregate(rows: list[dict], systems: list[str]) -> dict:
    """summary, by_split, by_kind, by_style, by_lang and gaps of some rows."""
    by_split = {split: {s: summarize([r for r in rows if r["split"] == split], s) for s in systems}
                for split in scopes_of(rows)[1:]}
    return {
        "summary": {s: summarize(rows, s) for s in systems},
        "by_split": by_split,
        "by_kind": grouped(rows, "kind", KINDS, systems),
        "by_style": grouped(rows, "style", STYLES, systems),
        "by_lang": grouped(rows, "lang", LANGS, systems),
        "gaps": {s: gap(by_split["dev"][s], by_split["test"][s]) for s in systems}
        if "dev" in by_split and "test" in by_split else {},
    }


def _run_all(systems, rows: list[dict], questions: list[Question], say, durations: dict, label: str = "") -> None:
    for name, run in systems:
        t0 = time.perf_counter()
        for number, (row, q) in enumerate(zip(rows, questions), 1):
            say(f"{label}{name} {number}/{len(questions)} {q.id}")
            finish(row, q, name, run(q))
        durations[label + name] = durations.get(label + name, 0.0) + time.perf_counter() - t0


def perturbed_summary(rows: list[dict], original_rows: list[dict], systems: list[str]) -> dict:
    """Metrics per perturbation kind and split, with the same questions unperturbed beside them."""
    originals = {r["id"]: r for r in original_rows}
    out: dict = {}
    for kind in _ordered((r["perturbation"] for r in rows), ()):
        members = [r for r in rows if r["perturbation"] == kind]
        out[kind] = {}
        scopes = scopes_of(members)
        for scope in scopes if len(scopes) > 2 else scopes[1:]:  # "all" repeats a single split
            chosen = [r for r in members if scope == "all" or r["split"] == scope]
            paired = [originals[r["original_id"]] for r in chosen if r["original_id"] in originals]
            out[kind][scope] = {
                "perturbed": {s: summarize(chosen, s) for s in systems},
                "original": {s: summarize(paired, s) for s in systems} if len(paired) == len(chosen) else None,
                "pass_rate": {s: (sum(1 for r in chosen if r["systems"][s]["pass"]) / len(chosen)) if chosen else None
                              for s in systems},
            }
    return out


def evaluate_questions(assistant, questions: list[Question], baselines: bool = True, progress=None,
                       perturbed: list[Question] | None = None) -> dict:
    """Run the assistant (and the baselines) over ``questions`` (and ``perturbed``); the full results object."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    load_before = _load_average()
    rows = [question_row(q) for q in questions]
    perturbed = list(perturbed or [])
    perturbed_rows = [question_row(q) for q in perturbed]
    durations: dict[str, float] = {}

    t0 = time.perf_counter()
    index = assistant.index
    assistant.ask(WARMUP_QUESTION)  # loads the model and per-index caches: latencies below are warm
    assistant.embedder.embed_query(WARMUP_QUESTION)
    durations["warmup"] = time.perf_counter() - t0
    systems = [("assistant", lambda q: run_assistant(assistant, q))]

    extra: dict = {}
    if baselines:
        chunk_baselines = [ChunkBaseline(name, index, assistant.embedder) for name in ("bm25", "dense")]
        t0 = time.perf_counter()
        say("building the llama-index baseline")
        llama = LlamaIndexBaseline(index, assistant.embedder, Path(assistant.settings.corpus_dir))
        extra["llamaindex"] = {"nodes": llama.nodes, "build_seconds": round(llama.build_seconds, 2)}
        durations["llamaindex_build"] = time.perf_counter() - t0
        for baseline in [*chunk_baselines, llama]:
            baseline.run(Question("warmup", WARMUP_QUESTION, "sv", "fact", [], [], False))
            systems.append((baseline.name, baseline.run))
    _run_all(systems, rows, questions, say, durations)
    if perturbed:
        _run_all(systems, perturbed_rows, perturbed, say, durations, label="perturbed ")
    durations["total"] = time.perf_counter() - started

    systems_run = [s for s in SYSTEMS if any(s in r["systems"] for r in rows + perturbed_rows)]
    count = lambda qs, attr: {v: sum(1 for q in qs if getattr(q, attr) == v) for v in sorted({getattr(q, attr) for q in qs})}  # noqa: E731
    meta = {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "questions": len(questions),
        "answerable": sum(1 for q in questions if q.answerable),
        "unanswerable": sum(1 for q in questions if not q.answerable),
        "by_split": count(questions, "split"),
        "by_lang": count(questions, "lang"),
        "by_style": count(questions, "style"),
        "conversations": sum(1 for q in questions if q.conversation),
        "index_build": index.build_id,
        "chunks": len(index.chunks),
        "embedding_model": str(getattr(assistant.embedder, "model_id", "")),
        "embedding_threads": getattr(assistant.settings, "embedding_threads", None),
        "embedding_backend": getattr(assistant.settings, "embedding_backend", None),
        "llama_index_version": llama_index_version() if baselines else None,
        "systems": systems_run,
        "durations_s": {k: round(v, 1) for k, v in durations.items()},
        "load_average": {"before": load_before, "after": _load_average()},
        **extra,
    }
    results = {"meta": meta, **aggregate(rows, systems_run), "questions": rows}
    if perturbed:
        split, kind, target = PERTURBED_TARGET
        results["perturbed"] = {"questions": len(perturbed), "by_split": count(perturbed, "split"),
                                "target": {"split": split, "perturbation": kind, "accuracy": target},
                                "by_perturbation": perturbed_summary(perturbed_rows, rows, systems_run),
                                "rows": perturbed_rows}
    return results
