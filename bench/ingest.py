"""Ingest: cold and unchanged re-ingest, one changed document, and e5 embedding throughput.

    .venv/bin/python bench/ingest.py [--repeats 2]

* CLI cold: ``assistant ingest --quiet`` into a fresh index folder (process start, model load,
  reading, chunking, embedding every chunk, BM25 + Chroma build, publish). CLI warm: the same command
  again with nothing changed (target ≤ 3 s).
* In-process (model already loaded): cold ingest into a fresh folder, unchanged re-ingest, and a
  re-ingest after one document changed (only its chunks are embedded again); chunks per second.
* Embedding throughput of the e5 model (configured backend, ONNX float32 by default): passages/s at
  batch sizes 1, 8 and 32 over all chunk texts, with 2 and 1 threads.
* Query-embedding latency by thread setting, each in a fresh process: 1 thread, 2 threads, 2 threads
  with spinning worker threads (``ASSISTANT_EMBEDDING_SPIN_WAIT``). bench/backends.py compares the
  backends themselves (torch, ONNX, ONNX int8).

Writes bench/results/ingest.json and ingest.png (passages/s by batch size).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
from coldstart import spawn_wait  # noqa: E402

QUERY_SCRIPT = r"""
import json, sys, time
from assistant.settings import Settings
from assistant.embedding import get_embedder
e = get_embedder(Settings(embedding_threads=int(sys.argv[1])))  # backend and spin-wait from ASSISTANT_*
e.embed_query("uppvärmning")
times = []
for q in json.loads(sys.argv[2]):
    t = time.perf_counter(); e.embed_query(q); times.append((time.perf_counter() - t) * 1000)
print(json.dumps(times))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="passes per batch size (best and median kept)")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    info = common.machine_info()

    from assistant.embedding import get_embedder, make_embedder
    from assistant.ingest.pipeline import ingest
    from assistant.settings import Settings

    base = common.work_dir("ingest")
    base_settings = common.bench_settings(base)

    def fresh(name: str) -> Settings:
        index_dir = base / name
        shutil.rmtree(index_dir, ignore_errors=True)
        return Settings(corpus_dir=base_settings.corpus_dir, index_dir=index_dir)

    # ---- CLI, cold then unchanged
    print("CLI ingest: cold, then unchanged …", flush=True)
    cli_settings = fresh("index-cli")
    env = common.offline_env(**common.index_env(cli_settings))
    cli = str(common.VENV_BIN / "assistant")
    cold_wall, cold_rss, code, out = spawn_wait([cli, "ingest", "--quiet"], env, timeout=900)
    if code != 0:
        raise SystemExit(f"assistant ingest failed ({code}): {out[-500:]}")
    warm_wall, warm_rss, code, warm_out = spawn_wait([cli, "ingest", "--quiet"], env)
    cli_result = {"cold_wall_s": round(cold_wall, 2), "cold_peak_rss_mb": round(cold_rss, 1),
                  "unchanged_wall_s": round(warm_wall, 2), "unchanged_peak_rss_mb": round(warm_rss, 1),
                  "cold_output": out.strip()[-300:], "unchanged_output": warm_out.strip()[-300:]}

    # ---- in-process, model loaded
    print("in-process ingest: cold, unchanged, one document changed …", flush=True)
    embedder = get_embedder(base_settings)
    started = time.perf_counter()
    embedder.embed_query("uppvärmning")  # load the model outside the timed ingest
    model_load_s = time.perf_counter() - started
    cold_settings = fresh("index-cold")
    cold = ingest(cold_settings, embedder=embedder)
    unchanged = ingest(cold_settings, embedder=embedder)
    changed_doc = sorted(Path(cold_settings.corpus_dir).glob("*.txt"))[-1]
    original = changed_doc.read_bytes()
    try:
        changed_doc.write_bytes(original + "\nEn tillagd rad om bemanning och kompetensförsörjning.\n".encode())
        changed = ingest(cold_settings, embedder=embedder)
    finally:
        changed_doc.write_bytes(original)
    chunks = cold.chunks
    inproc = {
        "model_load_s": round(model_load_s, 2),
        "cold": {"seconds": round(cold.seconds, 2), "chunks": chunks, "documents": cold.documents,
                 "embedded": cold.embedded, "chunks_per_s": round(chunks / cold.seconds, 1)},
        "unchanged": {"seconds": round(unchanged.seconds, 3), "unchanged": unchanged.unchanged},
        "one_document_changed": {"seconds": round(changed.seconds, 2), "document": changed_doc.name,
                                 "embedded": changed.embedded, "reused": changed.reused},
    }

    # ---- embedding throughput by batch size
    from assistant.store.loaded import load_index

    texts = [chunk.embed_text for chunk in load_index(cold_settings).chunks]
    throughput: dict = {}
    by_threads: dict = {}
    default_threads = max(1, base_settings.embedding_threads)
    for threads in sorted({default_threads, 1}, reverse=True):
        for size in [int(x) for x in args.batch_sizes.split(",")]:
            emb = make_embedder(base_settings.model_copy(update={"embedding_batch_size": size, "embedding_threads": threads}))
            emb.embed_passages(texts[:max(2, size)])  # warm-up at this batch shape
            rates = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                emb.embed_passages(texts)
                rates.append(len(texts) / (time.perf_counter() - started))
            entry = {"passages": len(texts), "threads": threads, "best_per_s": round(max(rates), 1),
                     "median_per_s": round(sorted(rates)[len(rates) // 2], 1)}
            by_threads.setdefault(threads, {})[size] = entry
            if threads == default_threads:
                throughput[size] = entry
            print(f"  embedding: {threads} thread(s), batch {size}: {entry['best_per_s']} passages/s", flush=True)

    # ---- query embedding latency by thread setting
    print("query embedding latency by thread setting …", flush=True)
    questions = common.load_questions(30)
    thread_runs = {}
    for label, threads, extra in (("1 thread", 1, {}), ("2 threads", 2, {}),
                                  ("2 threads, spin-wait", 2, {"ASSISTANT_EMBEDDING_SPIN_WAIT": "true"})):
        env = common.offline_env(ASSISTANT_EMBEDDING_SPIN_WAIT="false")
        env.update(extra)
        proc = subprocess.run([sys.executable, "-c", QUERY_SCRIPT, str(threads), json.dumps(questions)], env=env,
                              capture_output=True, text=True, cwd=common.PROJECT_ROOT, timeout=900)
        try:
            times = json.loads(proc.stdout.strip().splitlines()[-1])
            thread_runs[label] = common.summarize(times)
        except (ValueError, IndexError):
            thread_runs[label] = {"error": proc.stderr[-400:]}

    print(common.table(["ingest", "seconds", "chunks/s", "embedded", "target"], [
        ["CLI cold (fresh index, process + model load)", cli_result["cold_wall_s"], round(chunks / cold_wall, 1), chunks, ""],
        ["CLI unchanged re-ingest", cli_result["unchanged_wall_s"], "", 0, "≤ 3 s"],
        ["in-process cold (model loaded)", inproc["cold"]["seconds"], inproc["cold"]["chunks_per_s"], cold.embedded, ""],
        ["in-process unchanged", inproc["unchanged"]["seconds"], "", unchanged.embedded, ""],
        [f"in-process, one document changed ({changed_doc.name})", inproc["one_document_changed"]["seconds"], "",
         changed.embedded, ""],
    ], f"Ingest of the corpus ({cold.documents} documents, {chunks} chunks)"))
    print(common.table(["threads", "batch size", "passages/s (best)", "passages/s (median)"],
                       [[t, size, v["best_per_s"], v["median_per_s"]] for t, sizes in by_threads.items()
                        for size, v in sizes.items()],
                       f"e5 passage embedding throughput, {base_settings.embedding_backend} backend ({len(texts)} "
                       f"chunk texts; settings.embedding_threads = {default_threads})"))
    print(common.table(["query embedding", "p50 ms", "p95 ms"],
                       [[label, v.get("p50"), v.get("p95")] for label, v in thread_runs.items()],
                       f"Query embedding latency by thread setting, {base_settings.embedding_backend} backend "
                       "(30 questions, fresh process each)"))

    png = None if args.no_plot else plot(by_threads)
    common.write_result("ingest", {
        "corpus": {"documents": cold.documents, "chunks": chunks}, "cli": cli_result, "in_process": inproc,
        "embedding_throughput": throughput, "embedding_throughput_by_threads": by_threads,
        "query_embedding_by_threads_ms": thread_runs, "embedding_backend": base_settings.embedding_backend,
        "targets_met": {"unchanged_reingest_cli_le_3s": cli_result["unchanged_wall_s"] <= 3.0},
        "plot": png,
    }, info)
    return 0


def plot(by_threads: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    groups = sorted(by_threads)
    sizes = sorted({size for entry in by_threads.values() for size in entry})
    width = 0.8 / max(1, len(groups))
    for g, threads in enumerate(groups):
        xs = [i + (g - (len(groups) - 1) / 2) * width for i in range(len(sizes))]
        values = [by_threads[threads].get(size, {}).get("best_per_s", 0) for size in sizes]
        ax.bar(xs, values, width=width, label=f"{threads} thread(s)")
        for x, v in zip(xs, values):
            ax.text(x, v, f"{v:.0f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(sizes)), [str(s) for s in sizes])
    ax.set_xlabel("batch size")
    ax.set_ylabel("passages per second")
    ax.set_title("e5-small passage embedding throughput (CPU)")
    ax.legend(fontsize=8)
    return common.save_figure(fig, "ingest.png")


if __name__ == "__main__":
    sys.exit(main())
