"""Warm query latency: the assistant next to a naive llama-index pipeline, same questions, same run.

    .venv/bin/python bench/latency.py [--repeats 3] [--limit N]

Both systems are built over a private copy of ``corpus/`` and use the same e5 embedder, then warmed
up with one pass over the questions. Each timed pass asks every question of ``eval/questions.jsonl``
(question text only, no history) to the assistant and right after to the naive pipeline, so machine
noise hits both alike.

* assistant: ``Assistant.ask``; ``Answer.timings_ms`` gives embed / retrieve / compose / total, and the
  wall time around ``ask`` adds the per-call overhead (CURRENT check, question cleaning).
* naive: llama-index defaults — ``SentenceSplitter()``, in-memory ``VectorStoreIndex`` with an
  embedding adapter around our embedder (no network, ``Settings.llm = None``), top-2, answer = text of
  the top chunk.

Writes bench/results/latency.json and latency.png (latency CDF of both).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets the offline environment first)


class NaivePipeline:
    """llama-index with defaults: SentenceSplitter, VectorStoreIndex, top-2, answer = top chunk."""

    def __init__(self, corpus_dir: Path, sources: list[str], embedder):
        from llama_index.core import Document, Settings, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        from assistant.build.evaluation import llama_embedding
        from assistant.ingest.corpus import read_document

        Settings.llm = None  # llama-index swaps in its MockLLM: no LLM client, nothing reaches the network
        self.embed_ms: list[float] = []
        self.embed_model = llama_embedding(embedder, self.embed_ms)
        Settings.embed_model = self.embed_model
        started = time.perf_counter()
        documents = [Document(text=read_document(Path(corpus_dir) / source).text, id_=source, metadata={"source": source})
                     for source in sources]
        self.index = VectorStoreIndex.from_documents(documents, embed_model=self.embed_model,
                                                     transformations=[SentenceSplitter()], show_progress=False)
        self.retriever = self.index.as_retriever(similarity_top_k=2)
        self.nodes = len(self.index.docstore.docs)
        self.build_seconds = time.perf_counter() - started

    def answer(self, question: str) -> str:
        hits = self.retriever.retrieve(question)
        return hits[0].node.get_content() if hits else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed passes over the questions (default 3)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions (quick check)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)

    info = common.machine_info()
    from assistant.embedding import get_embedder
    from assistant.service import Assistant

    settings = common.bench_settings(common.work_dir("index"))
    embedder = get_embedder(settings)
    report = common.ensure_index(settings, embedder)
    assistant = Assistant(settings)
    questions = common.load_questions(args.limit)
    print(f"index: {report.chunks} chunks in {report.documents} documents; {len(questions)} questions, "
          f"{args.repeats} timed passes after one warm-up pass")

    naive = NaivePipeline(settings.corpus_dir, sorted(assistant.index.documents()), embedder)
    print(f"naive llama-index: {naive.nodes} nodes (SentenceSplitter defaults), built in {naive.build_seconds:.1f} s")

    for question in questions:  # warm-up: caches (IDF, abbreviations), allocator, torch kernels
        assistant.ask(question)
        naive.answer(question)

    parts = {key: [] for key in ("embed", "retrieve", "retrieval", "compose", "total", "wall")}
    naive_wall: list[float] = []
    early = 0
    naive.embed_ms.clear()
    for _ in range(args.repeats):
        for question in questions:
            started = time.perf_counter()
            answer = assistant.ask(question)
            parts["wall"].append((time.perf_counter() - started) * 1000)
            timings = answer.timings_ms
            if "embed" in timings:
                for key in ("embed", "retrieve", "compose", "total"):
                    parts[key].append(timings[key])
                parts["retrieval"].append(timings["embed"] + timings["retrieve"])
            else:  # answered before retrieval (invalid question, uncovered region)
                early += 1
                parts["total"].append(timings.get("total", parts["wall"][-1]))
            started = time.perf_counter()
            naive.answer(question)
            naive_wall.append((time.perf_counter() - started) * 1000)

    stats = {key: common.summarize(values) for key, values in parts.items()}
    naive_stats = {"wall": common.summarize(naive_wall), "embed": common.summarize(naive.embed_ms)}
    naive_search = [w - e for w, e in zip(naive_wall, naive.embed_ms)] if len(naive.embed_ms) == len(naive_wall) else []
    naive_stats["search"] = common.summarize(naive_search)
    ratio = {q: round(stats["wall"][q] / naive_stats["wall"][q], 2) for q in ("p50", "p95")}

    labels = [("embed", "query embedding (e5)"), ("retrieve", "hybrid retrieve (dense+BM25+RRF)"),
              ("retrieval", "retrieval = embed + retrieve"), ("compose", "answer composition"),
              ("total", "Answer.timings_ms total"), ("wall", "wall time of Assistant.ask")]
    rows = [[label, stats[key].get("n"), stats[key].get("p50"), stats[key].get("p95"), stats[key].get("max")]
            for key, label in labels]
    rows += [["naive: query embedding", naive_stats["embed"].get("n"), naive_stats["embed"].get("p50"),
              naive_stats["embed"].get("p95"), naive_stats["embed"].get("max")],
             ["naive: vector search + top chunk", naive_stats["search"].get("n"), naive_stats["search"].get("p50"),
              naive_stats["search"].get("p95"), naive_stats["search"].get("max")],
             ["naive llama-index, wall", naive_stats["wall"]["n"], naive_stats["wall"]["p50"], naive_stats["wall"]["p95"],
              naive_stats["wall"]["max"]]]
    print(common.table(["stage (ms)", "n", "p50", "p95", "max"], rows, "Warm query latency, milliseconds"))
    print(common.table(
        ["", "assistant (wall)", "naive llama-index", "ratio assistant/naive", "target"],
        [["p50 ms", stats["wall"]["p50"], naive_stats["wall"]["p50"], ratio["p50"], "≤ 150 and ratio ≤ 1"],
         ["p95 ms", stats["wall"]["p95"], naive_stats["wall"]["p95"], ratio["p95"], "≤ 400"]],
        "Side by side"))
    if early:
        print(f"({early} answers came back before retrieval: invalid question or a council not in the documents)")

    targets = {"p50_le_150ms": stats["wall"]["p50"] <= 150, "p95_le_400ms": stats["wall"]["p95"] <= 400,
               "not_slower_than_naive_p50": ratio["p50"] <= 1.0}
    png = None
    if not args.no_plot:
        png = plot(parts["wall"], naive_wall, parts["retrieval"], parts["compose"])
    common.write_result("latency", {
        "questions": len(questions), "repeats": args.repeats, "index_chunks": report.chunks,
        "answered_before_retrieval": early, "assistant_ms": stats, "naive_ms": naive_stats,
        "naive": {"nodes": naive.nodes, "build_seconds": round(naive.build_seconds, 2), "top_k": 2,
                  "splitter": "SentenceSplitter() defaults", "answer": "text of the top chunk"},
        "ratio_assistant_over_naive": ratio, "targets_met": targets, "plot": png,
    }, info)
    return 0


def plot(assistant_ms: list[float], naive_ms: list[float], retrieval_ms: list[float], compose_ms: list[float]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for values, label in ((assistant_ms, "assistant: Assistant.ask (wall)"), (retrieval_ms, "assistant: embed + retrieve"),
                          (compose_ms, "assistant: compose"), (naive_ms, "naive llama-index (top-2)")):
        if values:
            ordered = sorted(values)
            ax.plot(ordered, [(i + 1) / len(ordered) for i in range(len(ordered))], label=label)
    ax.axvline(150, color="grey", linestyle=":", linewidth=1)
    ax.axvline(400, color="grey", linestyle="--", linewidth=1)
    ax.text(150, 1.01, "p50 target", color="grey", fontsize=8, ha="center", va="bottom")
    ax.text(400, 1.01, "p95 target", color="grey", fontsize=8, ha="center", va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel("latency per question (ms, log scale)")
    ax.set_ylabel("share of questions answered within")
    ax.set_title("Warm query latency (eval questions)", pad=14)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return common.save_figure(fig, "latency.png")


if __name__ == "__main__":
    sys.exit(main())
