"""Scale: retrieval latency, build time and index size for synthetic corpora of 1k, 10k and 100k chunks.

    .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--chroma-budget-s 420] [--answer]

Synthetic corpora: chunks whose text recombines 2–6 random sentences of the real corpus, grouped 40 to
a synthetic document, each document assigned to one of the real councils (so council filters select
about 1/5 of the corpus). **Vectors are random unit vectors** (384-d, like e5-small): the store-side
cost of HNSW insert and query does not depend on what the vectors mean, and embedding 100k chunks
would take hours on 2 CPUs (see bench/ingest.py for embedding throughput, to extrapolate that part).
Query vectors are random unit vectors too; query *texts* (for BM25) are the eval questions.

Each size is written in the real build layout (chunks.jsonl, records.json, docs.json, vectors.npy,
bm25/, chroma/, manifest.json, CURRENT) by code that mirrors ``assistant.index._write_build``
(the same bm25s and Chroma calls, adds in steps of 4000) so that the parts can be timed one by one,
then opened with the real ``assistant.index.load_index``. Measured per size:

* build: tokenize + BM25 index, Chroma add (HNSW, cosine), other files; size on disk per part;
* load_index time (what every process pays at start and after each new build) and the first-query
  cost of per-build caches (abbreviation map);
* retrieval p50/p95 over the eval questions: dense = ``LoadedIndex.dense_search`` as configured (exact
  cosine over ``vectors.npy`` up to ``exact_search_max_chunks`` = 20k, Chroma HNSW above; 30 candidates),
  and both ways at every size: ``dense_exact`` (numpy, one BLAS thread as the package sets) and
  ``dense_chroma`` (Chroma HNSW query); BM25 = ``tokenize(expand_query())`` +
  ``LoadedIndex.bm25_scores`` + top-30; hybrid = ``assistant.retrieve.retrieve`` (both + RRF, top 8),
  and hybrid with a council filter (exact scoring of the council's rows plus the BM25 mask);
* the dense part of the council filter alone (``dense_search`` with the council's sources);
* with ``--answer``: ``Assistant.ask`` end to end (query embedding replaced by a random vector).

If the Chroma build of a size runs past ``--chroma-budget-s`` it stops adding, says so, and the queries
run over what was inserted. Writes bench/results/scale.json and scale.png.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (before numpy: sets OPENBLAS_NUM_THREADS=1 as the package does)
import numpy as np  # noqa: E402

DIM = 384
CHUNKS_PER_DOC = 40
CHROMA_STEP = 4000


def sentence_pool() -> tuple[list[str], list[dict]]:
    """Sentences of the real corpus and (council, title, section, doc_type) templates of its chunks."""
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.corpus import find_documents, load_catalog, read_document
    from assistant.settings import Settings

    settings = Settings(corpus_dir=common.PROJECT_ROOT / "corpus")
    catalog = load_catalog(Path(settings.corpus_dir), settings)
    pool, templates = [], []
    for path in find_documents(Path(settings.corpus_dir), settings):
        for chunk in chunk_document(read_document(path, catalog)):
            templates.append({"council": chunk.council, "title": chunk.title, "section": chunk.section,
                              "doc_type": chunk.doc_type})
            for line in chunk.text.split("\n"):
                for part in re.split(r"(?<=[.!?])\s+", line):
                    part = part.strip()
                    if len(part.split()) >= 4:
                        pool.append(part)
    return sorted(set(pool)), templates


def synthetic_corpus(n: int, pool: list[str], templates: list[dict], seed: int):
    """``n`` chunks, their documents' lines, and the documents' metadata."""
    from assistant.schema import KIND_PARAGRAPH, Chunk

    rng = np.random.default_rng(seed)
    councils = sorted({t["council"] for t in templates if t["council"]})
    chunks, doc_lines, documents = [], {}, {}
    for start in range(0, n, CHUNKS_PER_DOC):
        number = start // CHUNKS_PER_DOC
        source = f"syn_{number:05d}.txt"
        council = councils[number % len(councils)]
        base = next(t for t in templates if t["council"] == council)
        title = f"{base['title']} (syntetisk {number})"
        lines: list[str] = []
        for i in range(start, min(n, start + CHUNKS_PER_DOC)):
            k = int(rng.integers(2, 7))
            picked = [pool[j] for j in rng.integers(0, len(pool), k)]
            text_lines = []
            for sentence in picked:
                if sum(len(x) + 1 for x in text_lines) + len(sentence) > 900:
                    break
                text_lines.append(sentence)
            text_lines = text_lines or picked[:1]
            first = len(lines) + 1
            lines.extend(text_lines)
            lines.append("")
            section = templates[int(rng.integers(0, len(templates)))]["section"]
            chunks.append(Chunk(chunk_id=f"{source}:{first}-{first + len(text_lines) - 1}:{i:07d}", source=source,
                                title=title, council=council, section=section, line_start=first,
                                line_end=first + len(text_lines) - 1, kind=KIND_PARAGRAPH, text="\n".join(text_lines),
                                doc_type=base["doc_type"]))
        doc_lines[source] = lines
        documents[source] = {"hash": f"synthetic-{number}", "title": title, "council": council,
                             "doc_type": base["doc_type"], "period": "2026", "url": "",
                             "chunks": min(n, start + CHUNKS_PER_DOC) - start}
    return chunks, doc_lines, documents, councils


def random_unit(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def build(settings, chunks, doc_lines, documents, vectors, budget_s: float) -> dict:
    """Write one build in the real layout; time each part. Returns timings, sizes and the build id."""
    import bm25s

    from assistant.ingest.activities import extract_records
    from assistant.ingest.pipeline import embedding_key
    from assistant.lang.tokens import tokenize
    from assistant.store.build import INDEX_FORMAT_VERSION, _collection_name, chroma_client

    build_id = f"scale-{len(chunks)}-{time.strftime('%H%M%S')}"
    build_dir = Path(settings.index_dir) / "builds" / build_id
    build_dir.mkdir(parents=True)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    with open(build_dir / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk in chunks:
            row = {**asdict(chunk), "embedding_key": embedding_key("random-unit-vectors", chunk.embed_text)}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(build_dir / "vectors.npy", vectors)
    (build_dir / "docs.json").write_text(json.dumps({s: {"lines": lines} for s, lines in doc_lines.items()},
                                                    ensure_ascii=False), encoding="utf-8")
    (build_dir / "records.json").write_text(json.dumps([asdict(r) for r in extract_records(chunks)], ensure_ascii=False),
                                            encoding="utf-8")
    timings["files_s"] = time.perf_counter() - started

    started = time.perf_counter()
    corpus_tokens = [tokenize(chunk.embed_text) or ["_"] for chunk in chunks]
    timings["bm25_tokenize_s"] = time.perf_counter() - started
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(build_dir / "bm25"), show_progress=False)
    timings["bm25_index_s"] = time.perf_counter() - started
    del corpus_tokens, retriever

    started = time.perf_counter()
    client = chroma_client(settings, build_dir)
    collection = client.create_collection(_collection_name(settings, build_id), metadata={"hnsw:space": "cosine"})
    inserted = 0
    for start in range(0, len(chunks), CHROMA_STEP):
        if time.perf_counter() - started > budget_s:
            break
        part = chunks[start:start + CHROMA_STEP]
        collection.add(ids=[c.chunk_id for c in part], embeddings=vectors[start:start + CHROMA_STEP].tolist(),
                       documents=[c.text for c in part], metadatas=[c.to_metadata() for c in part])
        inserted += len(part)
    timings["chroma_add_s"] = time.perf_counter() - started
    del collection, client
    gc.collect()

    manifest = {"format_version": INDEX_FORMAT_VERSION, "model_id": "random-unit-vectors", "catalog_hash": "",
                "vector_store": settings.vector_store, "input_hashes": {}, "build_id": build_id,
                "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunk_count": len(chunks),
                "chunks_by_kind": {"paragraph": len(chunks)}, "skipped": [], "documents": documents}
    (build_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (Path(settings.index_dir) / "CURRENT").write_text(build_id, encoding="utf-8")

    sizes = {"chroma_mb": common.dir_size(build_dir / "chroma") / 1e6, "bm25_mb": common.dir_size(build_dir / "bm25") / 1e6,
             "vectors_mb": (build_dir / "vectors.npy").stat().st_size / 1e6,
             "chunks_jsonl_mb": (build_dir / "chunks.jsonl").stat().st_size / 1e6,
             "docs_json_mb": (build_dir / "docs.json").stat().st_size / 1e6}
    sizes["total_mb"] = common.dir_size(build_dir) / 1e6
    timings["total_s"] = sum(timings.values())
    return {"build_id": build_id, "timings_s": {k: round(v, 2) for k, v in timings.items()},
            "size_mb": {k: round(v, 1) for k, v in sizes.items()}, "chroma_inserted": inserted,
            "chroma_partial": inserted < len(chunks)}


class RandomQueryEmbedder:
    """Stands in for e5 at query time in the --answer measurement (random unit vectors)."""

    model_id = "random-unit-vectors"

    def __init__(self, seed: int = 7):
        self.rng = np.random.default_rng(seed)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.rng.standard_normal(DIM).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def embed_passages(self, texts):
        raise RuntimeError("not used")


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def measure(settings, questions: list[str], councils: list[str], answer: bool) -> dict:
    from assistant.lang.glossary import expand_query
    from assistant.lang.tokens import tokenize
    from assistant.retrieve.hybrid import abbreviations, retrieve
    from assistant.store.loaded import load_index

    started = time.perf_counter()
    index = load_index(settings)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    abbrev = abbreviations(index)
    abbrev_s = time.perf_counter() - started
    started = time.perf_counter()
    index.collection  # noqa: B018 (open the Chroma collection once, outside the per-query timing)
    open_s = time.perf_counter() - started

    qvecs = random_unit(len(questions), seed=99)
    items = list(zip(questions, qvecs))
    k_dense, k_bm25 = settings.dense_candidates, settings.bm25_candidates

    def dense(item):
        index.dense_search(item[1], k_dense)

    def dense_exact(item):
        index._exact_search(item[1], k_dense)

    def dense_chroma(item):
        result = index.collection.query(query_embeddings=[item[1].tolist()], n_results=k_dense, include=["distances"])
        return [index.by_id[chunk_id] for chunk_id in result["ids"][0] if chunk_id in index.by_id]

    def bm25(item):
        scores = index.bm25_scores(tokenize(expand_query(item[0], abbrev)))
        top = np.argsort(-scores)[:k_bm25]
        return [int(i) for i in top if scores[i] > 0]

    def hybrid(item):
        retrieve(index, item[1], item[0], settings)

    council = councils[0]
    allowed = sorted(name for name, meta in index.documents().items() if meta.get("council") == council)

    def hybrid_filtered(item):
        retrieve(index, item[1], item[0], settings, councils=[council])

    def dense_filtered(item):  # exact scoring of the council's rows (integer source mask)
        index.dense_search(item[1], k_dense, allowed)

    results = {}
    first_s = None
    for name, fn in (("dense", dense), ("dense_exact", dense_exact), ("dense_chroma", dense_chroma), ("bm25", bm25),
                     ("hybrid", hybrid), ("hybrid_council_filter", hybrid_filtered), ("dense_council_filter", dense_filtered)):
        timed(fn, items[:5])  # warm-up
        results[name] = common.summarize(timed(fn, items))
    if answer:
        from assistant.service import Assistant

        assistant = Assistant(settings)
        assistant._embedder = RandomQueryEmbedder()
        started = time.perf_counter()
        assistant.ask(questions[0])
        first_s = time.perf_counter() - started
        timed(assistant.ask, questions[:5])
        results["answer_end_to_end"] = common.summarize(timed(assistant.ask, questions))
        del assistant
    bm25_bytes = sum(getattr(v, "nbytes", 0) for v in index.bm25.scores.values()) if isinstance(index.bm25.scores, dict) else None
    out = {"load_index_s": round(load_s, 2), "open_collection_s": round(open_s, 2),
           "abbreviation_map_first_query_s": round(abbrev_s, 2), "latency_ms": results,
           "bm25_matrix_mb": round(bm25_bytes / 1e6, 1) if bm25_bytes else None, "process_rss_mb": common.rss_mb(),
           "filter_council": council,
           "answer_first_call_s": None if first_s is None else round(first_s, 2)}
    index = None  # noqa: F841 (let go of this size before the next)
    try:  # let go of this size's Chroma system (PersistentClient keeps one per path)
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:
        pass
    gc.collect()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--chroma-budget-s", type=float, default=420.0,
                        help="stop adding to Chroma after this many seconds per size (default 420)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N eval questions as queries")
    parser.add_argument("--answer", action="store_true", help="also time Assistant.ask end to end at each size")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic builds (default: delete after)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    info = common.machine_info()
    from assistant.settings import Settings

    sizes = [int(x) for x in args.sizes.split(",")]
    questions = common.load_questions(args.limit)
    pool, templates = sentence_pool()
    print(f"sentence pool: {len(pool)} sentences from the corpus; {len(questions)} query questions; "
          "vectors: random unit vectors (384-d)")
    base = common.work_dir("scale")
    per_size = {}
    for n in sizes:
        t0 = time.perf_counter()
        chunks, doc_lines, documents, councils = synthetic_corpus(n, pool, templates, seed=n)
        vectors = random_unit(n, seed=n + 1)
        gen_s = time.perf_counter() - t0
        settings = Settings(corpus_dir=base / "unused-corpus", index_dir=base / f"index-{n}")
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        print(f"\n[{n} chunks] generated in {gen_s:.1f} s; building …", flush=True)
        built = build(settings, chunks, doc_lines, documents, vectors, args.chroma_budget_s)
        if built["chroma_partial"]:
            print(f"  Chroma build stopped at the budget: {built['chroma_inserted']} of {n} inserted in "
                  f"{built['timings_s']['chroma_add_s']:.0f} s")
        del chunks, doc_lines, vectors
        gc.collect()
        print(f"  built in {built['timings_s']['total_s']:.1f} s; measuring queries …", flush=True)
        measured = measure(settings, questions, councils, args.answer)
        per_size[n] = {"chunks": n, "documents": len(documents), "generate_s": round(gen_s, 2), **built, **measured}
        lat = measured["latency_ms"]
        print(f"  dense p50 {lat['dense']['p50']} ms, bm25 p50 {lat['bm25']['p50']} ms, hybrid p50 {lat['hybrid']['p50']} ms",
              flush=True)
        if not args.keep:
            shutil.rmtree(settings.index_dir, ignore_errors=True)

    modes = ["dense", "dense_exact", "dense_chroma", "bm25", "hybrid", "hybrid_council_filter", "dense_council_filter"]
    modes += ["answer_end_to_end"] if args.answer else []
    rows = [[mode] + [per_size[n]["latency_ms"][mode][q] for n in per_size for q in ("p50", "p95")] for mode in modes]
    headers = ["query path (ms)"] + [f"{n:,} {q}" for n in per_size for q in ("p50", "p95")]
    print(common.table(headers, rows, "Retrieval latency (ms) by corpus size — random unit vectors, eval questions as text"))
    print(common.table(
        ["chunks", "chroma add s", "bm25 tokenize s", "bm25 index s", "files s", "load_index s", "abbrev map s",
         "chroma MB", "bm25 MB", "vectors MB", "chunks.jsonl MB", "total MB", "partial"],
        [[n, r["timings_s"]["chroma_add_s"], r["timings_s"]["bm25_tokenize_s"], r["timings_s"]["bm25_index_s"],
          r["timings_s"]["files_s"], r["load_index_s"], r["abbreviation_map_first_query_s"], r["size_mb"]["chroma_mb"],
          r["size_mb"]["bm25_mb"], r["size_mb"]["vectors_mb"], r["size_mb"]["chunks_jsonl_mb"], r["size_mb"]["total_mb"],
          f"{r['chroma_inserted']}/{n}" if r["chroma_partial"] else "no"] for n, r in per_size.items()],
        "Build time (s) and size on disk (MB)"))

    largest = per_size[max(per_size)]
    png = None if args.no_plot else plot(per_size, modes)
    common.write_result("scale", {
        "vectors": "random unit vectors (384-d) for stored chunks and queries; texts recombine corpus sentences",
        "chunks_per_document": CHUNKS_PER_DOC, "queries": len(questions), "chroma_budget_s": args.chroma_budget_s,
        "sizes": per_size, "plot": png,
        "targets_met": {f"hybrid_p50_le_100ms_at_{max(per_size)}": largest["latency_ms"]["hybrid"]["p50"] <= 100},
    }, info)
    return 0


def plot(per_size: dict, modes: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(per_size)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode in modes:
        line, = left.plot(sizes, [per_size[n]["latency_ms"][mode]["p50"] for n in sizes], marker="o", label=f"{mode} p50")
        left.plot(sizes, [per_size[n]["latency_ms"][mode]["p95"] for n in sizes], marker=".", linestyle="--",
                  color=line.get_color(), alpha=0.6)
    left.axhline(100, color="grey", linestyle=":", linewidth=1)
    left.text(sizes[-1], 108, "target: retrieval p50 ≤ 100 ms", color="grey", fontsize=8, ha="right")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("chunks in the index")
    left.set_ylabel("latency per query (ms; solid p50, dashed p95)")
    left.set_title("Retrieval latency vs corpus size")
    left.grid(True, alpha=0.3, which="both")
    left.legend(fontsize=7, loc="upper left")
    for key, label in (("chroma_add_s", "Chroma add (HNSW)"), ("bm25_tokenize_s", "BM25 tokenize"),
                       ("bm25_index_s", "BM25 index"), ("files_s", "chunks/docs/records files")):
        right.plot(sizes, [per_size[n]["timings_s"][key] for n in sizes], marker="o", label=label)
    right.plot(sizes, [per_size[n]["load_index_s"] for n in sizes], marker="s", linestyle="--", label="load_index (per process)")
    right.plot(sizes, [per_size[n]["abbreviation_map_first_query_s"] for n in sizes], marker="s", linestyle="--",
               label="abbreviation map (first query per build)")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("chunks in the index")
    right.set_ylabel("seconds")
    right.set_title("Build and load time vs corpus size (embedding excluded)")
    right.grid(True, alpha=0.3, which="both")
    right.legend(fontsize=7)
    return common.save_figure(fig, "scale.png")


if __name__ == "__main__":
    sys.exit(main())
