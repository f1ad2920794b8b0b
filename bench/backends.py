"""Embedding backends side by side: torch (sentence-transformers), ONNX float32, ONNX int8.

    .venv/bin/python bench/backends.py [--repeats 2]

For each backend (``ASSISTANT_EMBEDDING_BACKEND``), in a fresh process: time to load the model and
embed a first query (imports included) and that process's peak RSS; query-embedding latency over the
eval questions; passage throughput over every chunk text at the configured batch size. Then, in this
process, an index built with that backend and the eval set answered through it (assistant only), so
the speed-up is weighed against accuracy: a backend is only worth keeping if the eval holds.

Writes bench/results/backends.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from coldstart import spawn_wait  # noqa: E402

BACKENDS = ("torch", "onnx", "onnx-int8")

PROBE = r"""
import json, sys, time
started = time.perf_counter()
from assistant.embedding import make_embedder
from assistant.settings import Settings
settings = Settings()
embedder = make_embedder(settings)
embedder.embed_query("uppvärmning")
load_s = time.perf_counter() - started
questions, texts, repeats = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
for q in questions[:10]:
    embedder.embed_query(q)
query_ms = []
for _ in range(repeats):
    for q in questions:
        t = time.perf_counter(); embedder.embed_query(q); query_ms.append((time.perf_counter() - t) * 1000)
embedder.embed_passages(texts[:8])
rates = []
for _ in range(repeats):
    t = time.perf_counter(); embedder.embed_passages(texts); rates.append(len(texts) / (time.perf_counter() - t))
print(json.dumps({"class": type(embedder).__name__, "model_id": embedder.model_id, "load_s": load_s,
                  "query_ms": query_ms, "passages_per_s": max(rates)}))
"""


def probe(backend: str, questions: list[str], texts: list[str], repeats: int) -> dict:
    """Load time, query latency and passage throughput of one backend in a fresh process."""
    env = common.offline_env(ASSISTANT_EMBEDDING_BACKEND=backend)
    wall, rss, code, out = spawn_wait([sys.executable, "-c", PROBE, json.dumps(questions), json.dumps(texts), str(repeats)],
                                      env, timeout=900)
    if code != 0:
        return {"error": f"exit {code}: {out[-400:]}"}
    data = json.loads(out.strip().splitlines()[-1])
    return {"class": data["class"], "model_id": data["model_id"], "load_s": round(data["load_s"], 2),
            "process_wall_s": round(wall, 2), "peak_rss_mb": round(rss, 1), "query_ms": common.summarize(data["query_ms"]),
            "passages_per_s": round(data["passages_per_s"], 1)}


def evaluate(backend: str, base: Path) -> dict:
    """Build an index with the backend and answer the eval set with it (assistant only)."""
    from assistant.build.evaluation import evaluate_questions, load_questions
    from assistant.embedding import make_embedder
    from assistant.service import Assistant

    index_dir = base / f"index-{backend}"
    shutil.rmtree(index_dir, ignore_errors=True)
    settings = common.bench_settings(base).model_copy(update={"index_dir": index_dir, "embedding_backend": backend})
    assistant = Assistant(settings)
    assistant._embedder = make_embedder(settings)  # this backend, not the process-wide default
    started = time.perf_counter()
    report = assistant.ingest()
    build_s = time.perf_counter() - started
    results = evaluate_questions(assistant, load_questions(common.QUESTIONS), baselines=False)
    summary = results["summary"]["assistant"]
    answers = {row["id"]: row["systems"]["assistant"]["answer"] for row in results["questions"]}
    return {"index_build_s": round(build_s, 2), "embedded": report.embedded,
            "accuracy": summary["accuracy"], "abstention_accuracy": summary["abstention_accuracy"],
            "false_abstention_rate": summary["false_abstention_rate"], "citation_precision": summary["citation_precision"],
            "recall_at_5": summary["recall_at_5"], "mrr": summary["mrr"],
            "latency_p50_ms": summary["latency_p50_ms"], "latency_p95_ms": summary["latency_p95_ms"], "answers": answers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="passes over the questions and chunk texts per backend")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    args = parser.parse_args(argv)
    info = common.machine_info()

    from assistant.build.evaluation import pct
    from assistant.build.onnx_export import onnx_path
    from assistant.store.loaded import load_index

    base = common.work_dir("backends")
    settings = common.bench_settings(base)
    common.ensure_index(settings)
    texts = [chunk.embed_text for chunk in load_index(settings).chunks]
    questions = common.load_questions(None)
    model_dir = Path(settings.embedding_model_path)
    sizes = {"torch": (model_dir / "model.safetensors").stat().st_size}
    for backend, quantized in (("onnx", False), ("onnx-int8", True)):
        graph = onnx_path(model_dir, quantized)
        sizes[backend] = graph.stat().st_size if graph.exists() else None

    results: dict = {}
    for backend in args.backends.split(","):  # all probes first, while this process is still small
        print(f"{backend}: load, query latency, throughput (fresh process) …", flush=True)
        results[backend] = probe(backend, questions, texts, args.repeats)
        results[backend]["weights_mb"] = round(sizes[backend] / 2**20, 1) if sizes.get(backend) else None
        if "error" in results[backend]:
            print(f"  {results[backend]['error']}")
    for backend, entry in results.items():
        if "error" not in entry:
            print(f"{backend}: index build + eval …", flush=True)
            entry["eval"] = evaluate(backend, base)

    reference = results.get("torch", {}).get("eval", {}).get("answers", {})
    for backend, entry in results.items():
        answers = entry.get("eval", {}).pop("answers", {})
        if reference and answers:
            entry["eval"]["answers_differing_from_torch"] = sum(1 for q, a in answers.items() if reference.get(q) != a)

    rows = []
    for backend, entry in results.items():
        ev, q = entry.get("eval", {}), entry.get("query_ms", {})
        rows.append([backend, entry.get("weights_mb"), entry.get("load_s"), entry.get("peak_rss_mb"), q.get("p50"), q.get("p95"),
                     entry.get("passages_per_s"), pct(ev.get("accuracy")), pct(ev.get("abstention_accuracy")),
                     pct(ev.get("citation_precision")), ev.get("answers_differing_from_torch"), ev.get("latency_p50_ms")])
    print(common.table(["backend", "weights MB", "load + 1st query s", "peak RSS MB", "query p50 ms", "query p95 ms",
                        "passages/s", "accuracy", "abstention", "citation prec.", "answers ≠ torch", "answer p50 ms"],
                       rows, f"Embedding backends ({len(questions)} eval questions, {len(texts)} chunk texts)"))
    common.write_result("backends", {"backends": results, "questions": len(questions), "chunks": len(texts)}, info)
    return 0


if __name__ == "__main__":
    sys.exit(main())
