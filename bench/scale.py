"""Scale: retrieval latency, build time and index size for synthetic corpora of 1k, 10k and 100k chunks.

    .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--answer]
    .venv/bin/python bench/scale.py --incremental [--sizes 10000,100000] [--backends exact,chroma]

Synthetic corpora: chunks whose text recombines 2–6 random sentences of the real corpus, grouped 40 to
a synthetic document, each document assigned to one of the real councils (so council filters select
about 1/5 of the corpus). **Vectors are random unit vectors** (384-d, like e5-small): the store-side
cost of HNSW insert and query does not depend on what the vectors mean, and embedding 100k chunks
would take hours on 2 CPUs (see bench/ingest.py for embedding throughput, to extrapolate that part).
Query vectors are random unit vectors too; query *texts* (for BM25) are the eval questions.

Each size is written by the store's own writer, ``assistant.store.build.write_build`` (the one writer of
the index format: chunks.jsonl, vector_ids.json, vectors.npy, records.json, docs.json, bm25/,
manifest.json, the vector store, CURRENT), which reports the seconds of each step, then opened with
the real ``assistant.store.loaded.load_index``. The synthetic builds carry no abbreviation lexicon
(``lexicon={}``), so their first query pays for it (measured below). Measured per size:

* build: tokenize + BM25 index, Chroma insert (HNSW, cosine; ``chroma_add_s``), other files; size on disk;
* load_index time (what every process pays at start and after each new build), opening the vector
  store, and the first-query cost of per-build caches (abbreviation map);
* retrieval p50/p95 over the eval questions: dense = ``LoadedIndex.dense_search`` as configured (the
  default backend, embedded Chroma's HNSW; 30 candidates), and both backends at every size:
  ``dense_exact`` (the ``exact`` backend: NumPy over ``vectors.npy``, one BLAS thread as the package
  sets) and ``dense_chroma`` (a Chroma HNSW query); BM25 = ``tokenize(expand_query())`` +
  ``LoadedIndex.bm25_scores`` + top-30; hybrid = ``assistant.retrieve.retrieve`` (both + RRF, top 8),
  and hybrid with a council filter (exact scoring of the council's rows plus the BM25 mask);
* the dense part of the council filter alone (``dense_search`` with the council's sources);
* with ``--answer``: ``Assistant.ask`` end to end (query embedding replaced by a random vector).

Writes bench/results/scale.json and scale.png.

``--incremental``: *one changed document* per size and backend. The corpus's first document holds
1/200 of the chunks (500 at 100k); after a full build it is changed three times (new text and vectors
for all its chunks), each time written as a new build by ``write_build``, and each step is timed: the
vector store's part (open or copy the collection, upsert, delete, publish, clean-up) and the rest of a
build (files and BM25 over every chunk). Also the pipeline's other per-build work over every chunk
(records, lexicon), and dense query latency of the resulting build. Writes
bench/results/scale_incremental.json.
"""

from __future__ import annotations

import argparse
import gc
import re
import shutil
import sys
import time
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


def _document_spans(n: int, first_doc_chunks: int | None) -> list[tuple[int, int]]:
    """(start, end) chunk positions of each synthetic document: 40 chunks each, or a big first one."""
    first = first_doc_chunks or CHUNKS_PER_DOC
    spans = [(0, min(n, first))]
    spans += [(start, min(n, start + CHUNKS_PER_DOC)) for start in range(first, n, CHUNKS_PER_DOC)]
    return spans


def synthetic_corpus(n: int, pool: list[str], templates: list[dict], seed: int, first_doc_chunks: int | None = None,
                     only_first: bool = False):
    """``n`` chunks, their documents' lines, and the documents' metadata.

    ``first_doc_chunks``: the first document's size (default 40, like the others). ``only_first``: just
    that document (to replace it in an existing corpus: a changed document).
    """
    from assistant.schema import KIND_PARAGRAPH, Chunk

    rng = np.random.default_rng(seed)
    councils = sorted({t["council"] for t in templates if t["council"]})
    chunks, doc_lines, documents = [], {}, {}
    spans = _document_spans(n, first_doc_chunks)
    for number, (start, end) in enumerate(spans[:1] if only_first else spans):
        source = f"syn_{number:05d}.txt"
        council = councils[number % len(councils)]
        base = next(t for t in templates if t["council"] == council)
        title = f"{base['title']} (syntetisk {number})"
        lines: list[str] = []
        for i in range(start, end):
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
        documents[source] = {"hash": f"synthetic-{number}-{seed}", "title": title, "council": council,
                             "doc_type": base["doc_type"], "period": "2026", "url": "", "chunks": end - start}
    return chunks, doc_lines, documents, councils


def random_unit(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def write(settings, build_id: str, chunks, doc_lines, documents, vectors, records=None, lexicon=None) -> dict:
    """One build through the store's own writer (``write_build``); its report of counts and seconds."""
    from assistant.ingest.activities import extract_records
    from assistant.ingest.pipeline import embedding_key
    from assistant.schema import Document
    from assistant.store.build import INDEX_FORMAT_VERSION, write_build

    docs = [Document(path=Path(source), source=source, lines=lines) for source, lines in doc_lines.items()]
    keys = [embedding_key("random-unit-vectors", chunk.embed_text) for chunk in chunks]
    manifest = {"format_version": INDEX_FORMAT_VERSION, "model_id": "random-unit-vectors", "catalog_hash": "",
                "input_hashes": {}, "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunk_count": len(chunks),
                "chunks_by_kind": {"paragraph": len(chunks)}, "skipped": [], "documents": documents}
    return write_build(settings, build_id, docs, chunks, keys, vectors, manifest,
                       records=extract_records(chunks) if records is None else records,
                       lexicon={} if lexicon is None else lexicon)


def build(settings, chunks, doc_lines, documents, vectors) -> dict:
    """Write one build with ``write_build``; its step timings, sizes on disk and the build id."""
    build_id = f"scale-{len(chunks)}-{time.strftime('%H%M%S')}"
    written = write(settings, build_id, chunks, doc_lines, documents, vectors)
    steps = written["timings_s"]
    timings = {"files_s": steps["files_s"], "bm25_tokenize_s": steps["bm25_tokenize_s"],
               "bm25_index_s": steps["bm25_index_s"], "chroma_add_s": steps["vector_open_s"] + steps["vector_upsert_s"],
               "publish_s": steps["publish_s"] + steps["vector_gc_s"]}
    build_dir = Path(settings.index_dir) / "builds" / build_id
    chroma_dir = Path(settings.index_dir) / "chroma"
    sizes = {"chroma_mb": common.dir_size(chroma_dir) / 1e6 if chroma_dir.exists() else 0.0,
             "bm25_mb": common.dir_size(build_dir / "bm25") / 1e6,
             "vectors_mb": (build_dir / "vectors.npy").stat().st_size / 1e6,
             "chunks_jsonl_mb": (build_dir / "chunks.jsonl").stat().st_size / 1e6,
             "docs_json_mb": (build_dir / "docs.json").stat().st_size / 1e6}
    sizes["total_mb"] = common.dir_size(Path(settings.index_dir)) / 1e6
    timings["total_s"] = sum(timings.values())
    return {"build_id": build_id, "timings_s": {k: round(v, 2) for k, v in timings.items()},
            "size_mb": {k: round(v, 1) for k, v in sizes.items()}, "chroma_inserted": written["upserted"],
            "store_steps_s": steps}


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
    from assistant.store.vectors import ExactVectorStore

    started = time.perf_counter()
    index = load_index(settings)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    abbrev = abbreviations(index)
    abbrev_s = time.perf_counter() - started
    started = time.perf_counter()
    index.store  # noqa: B018 (open the vector store once, outside the per-query timing)
    open_s = time.perf_counter() - started
    exact_store = ExactVectorStore(index.vector_ids, index.vectors)  # the "exact" backend over the same build

    qvecs = random_unit(len(questions), seed=99)
    items = list(zip(questions, qvecs))
    k_dense, k_bm25 = settings.dense_candidates, settings.bm25_candidates

    def dense(item):
        index.dense_search(item[1], k_dense)

    def dense_exact(item):
        return [index.by_vector_id[vid] for vid, _ in exact_store.query(item[1], k_dense)]

    def dense_chroma(item):
        return [index.by_vector_id[vid] for vid, _ in index.store.query(item[1], k_dense) if vid in index.by_vector_id]

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
    index.store.close()  # let go of this size's Chroma system before the next
    index = None  # noqa: F841
    gc.collect()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=None, help="chunk counts (default 1000,10000,100000; "
                        "with --incremental 10000,100000)")
    parser.add_argument("--incremental", action="store_true",
                        help="time one changed document per size and backend (writes scale_incremental.json)")
    parser.add_argument("--backends", default="exact,chroma", help="with --incremental: the vector stores to time")
    parser.add_argument("--updates", type=int, default=3, help="with --incremental: changes of the document per size")
    parser.add_argument("--limit", type=int, default=None, help="only the first N eval questions as queries")
    parser.add_argument("--answer", action="store_true", help="also time Assistant.ask end to end at each size")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic builds (default: delete after)")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    info = common.machine_info()
    if args.incremental:
        return incremental(args, info)
    from assistant.settings import Settings

    sizes = [int(x) for x in (args.sizes or "1000,10000,100000").split(",")]
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
        built = build(settings, chunks, doc_lines, documents, vectors)
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
        ["chunks", "chroma add s", "bm25 tokenize s", "bm25 index s", "files s", "load_index s", "open store s",
         "abbrev map s", "chroma MB", "bm25 MB", "vectors MB", "chunks.jsonl MB", "total MB"],
        [[n, r["timings_s"]["chroma_add_s"], r["timings_s"]["bm25_tokenize_s"], r["timings_s"]["bm25_index_s"],
          r["timings_s"]["files_s"], r["load_index_s"], r["open_collection_s"], r["abbreviation_map_first_query_s"],
          r["size_mb"]["chroma_mb"], r["size_mb"]["bm25_mb"], r["size_mb"]["vectors_mb"], r["size_mb"]["chunks_jsonl_mb"],
          r["size_mb"]["total_mb"]] for n, r in per_size.items()],
        "Build time (s) and size on disk (MB)"))

    largest = per_size[max(per_size)]
    png = None if args.no_plot else plot(per_size, modes)
    common.write_result("scale", {
        "vectors": "random unit vectors (384-d) for stored chunks and queries; texts recombine corpus sentences",
        "chunks_per_document": CHUNKS_PER_DOC, "queries": len(questions), "vector_store": "chroma",
        "sizes": per_size, "plot": png,
        "targets_met": {f"hybrid_p50_le_100ms_at_{max(per_size)}": largest["latency_ms"]["hybrid"]["p50"] <= 100},
    }, info)
    return 0


# ------------------------------------------------------------------ one changed document
STORE_STEPS = ("vector_open_s", "vector_upsert_s", "vector_delete_s", "publish_s", "vector_gc_s")


def _dense_latency(settings, seed: int, queries: int = 100) -> dict:
    """load_index, opening the store, and unfiltered ``dense_search`` p50/p95 (30 candidates) of the published build."""
    from assistant.store.loaded import load_index

    started = time.perf_counter()
    index = load_index(settings)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    index.store  # noqa: B018
    open_s = time.perf_counter() - started
    vectors = random_unit(queries, seed=seed)
    timed(lambda v: index.dense_search(v, settings.dense_candidates), vectors[:5])
    latency = common.summarize(timed(lambda v: index.dense_search(v, settings.dense_candidates), vectors))
    recall = near = None
    if settings.vector_store != "exact":  # HNSW against the exact answer over the same build
        from assistant.store.vectors import exact_top_k

        found = [len({p for p, _ in index.dense_search(v, 30)} & {p for p, _ in exact_top_k(index.vectors, v, 30)}) / 30
                 for v in vectors]
        recall = round(float(np.mean(found)), 4)
        # queries close to one stored vector (cosine ≈ 0.7), as a question is to its passage: is it the top hit?
        rng = np.random.default_rng(seed)
        targets = rng.integers(0, len(index.vectors), queries)
        noisy = index.vectors[targets] + random_unit(queries, seed=seed + 1)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        near = round(float(np.mean([index.dense_search(q, 30)[0][0] == t for q, t in zip(noisy, targets)])), 4)
    index.store.close()
    return {"load_index_s": round(load_s, 2), "open_store_s": round(open_s, 3), "dense_ms": latency,
            "recall_at_30_vs_exact_random_queries": recall, "top1_found_for_near_queries": near}


def incremental(args, info) -> int:
    """Full build, then ``--updates`` changes of one document (1/200 of the chunks), per size and backend."""
    from assistant.ingest.activities import extract_records
    from assistant.ingest.lexicon import build_lexicon
    from assistant.settings import Settings

    sizes = [int(x) for x in (args.sizes or "10000,100000").split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    pool, templates = sentence_pool()
    base = common.work_dir("scale-incremental")
    per_size: dict = {}
    for n in sizes:
        doc_chunks = max(1, n // 200)
        chunks, doc_lines, documents, _ = synthetic_corpus(n, pool, templates, seed=n, first_doc_chunks=doc_chunks)
        vectors = random_unit(n, seed=n + 1)
        started = time.perf_counter()
        records = extract_records(chunks)
        records_s = time.perf_counter() - started
        started = time.perf_counter()
        build_lexicon(chunks)
        lexicon_s = time.perf_counter() - started
        versions = []  # (chunks, doc_lines, documents, vectors) of each change of the first document
        for version in range(1, args.updates + 1):
            new_chunks, new_lines, new_docs, _ = synthetic_corpus(n, pool, templates, seed=n * 10 + version,
                                                                  first_doc_chunks=doc_chunks, only_first=True)
            versions.append((new_chunks + chunks[doc_chunks:], {**doc_lines, **new_lines}, {**documents, **new_docs},
                             np.concatenate([random_unit(doc_chunks, seed=n * 10 + version), vectors[doc_chunks:]])))
        per_size[n] = {"chunks": n, "changed_document_chunks": doc_chunks, "documents": len(documents),
                       "pipeline_per_build_s": {"extract_records": round(records_s, 2), "build_lexicon": round(lexicon_s, 2)},
                       "backends": {}}
        print(f"\n[{n} chunks; the changed document has {doc_chunks}] records {records_s:.1f} s, lexicon "
              f"{lexicon_s:.1f} s per build (pipeline work outside the store)", flush=True)
        for backend in backends:
            settings = Settings(corpus_dir=base / "unused-corpus", index_dir=base / f"index-{n}-{backend}",
                                vector_store=backend)
            shutil.rmtree(settings.index_dir, ignore_errors=True)
            steps = []
            full = write(settings, "b0-full", chunks, doc_lines, documents, vectors, records=records)
            steps.append({"build": "full", **full})
            print(f"  {backend}: full build {full['timings_s']['total_s']:.1f} s "
                  f"(store {sum(full['timings_s'][k] for k in STORE_STEPS):.1f} s, {full['upserted']} upserted)", flush=True)
            for version, (v_chunks, v_lines, v_docs, v_vectors) in enumerate(versions, start=1):
                written = write(settings, f"b{version}-changed", v_chunks, v_lines, v_docs, v_vectors, records=records)
                steps.append({"build": f"change {version}", **written})
                store_s = sum(written["timings_s"][k] for k in STORE_STEPS)
                print(f"  {backend}: change {version}: store update {store_s:.2f} s ({written['vector_collection']}: "
                      f"{written['upserted']} upserted, {written['deleted']} deleted); whole write_build "
                      f"{written['timings_s']['total_s']:.1f} s", flush=True)
            for step in steps:
                step["store_update_s"] = round(sum(step["timings_s"][k] for k in STORE_STEPS), 3)
            queries = _dense_latency(settings, seed=n + 5)
            disk = {"builds_mb": round(common.dir_size(Path(settings.index_dir) / "builds") / 1e6, 1),
                    "chroma_mb": round(common.dir_size(Path(settings.index_dir) / "chroma") / 1e6, 1)
                    if (Path(settings.index_dir) / "chroma").exists() else 0.0}
            changes = [step["store_update_s"] for step in steps[1:]]
            per_size[n]["backends"][backend] = {
                "steps": steps, "after_last_change": queries, "disk_after": disk,
                "store_update_s_max": max(changes) if changes else None,
                "store_update_s_steady": changes[-1] if changes else None,
            }
            print(f"  {backend}: dense_search p50 {queries['dense_ms']['p50']} ms (p95 {queries['dense_ms']['p95']}); "
                  f"load_index {queries['load_index_s']} s, open store {queries['open_store_s']} s", flush=True)
            if not args.keep:
                shutil.rmtree(settings.index_dir, ignore_errors=True)
        del chunks, doc_lines, vectors, versions
        gc.collect()

    rows = []
    for n, size in per_size.items():
        for backend, result in size["backends"].items():
            for step in result["steps"]:
                t = step["timings_s"]
                rows.append([n, backend, step["build"], step["vector_collection"], step["upserted"], step["deleted"],
                             step["store_update_s"], t["bm25_tokenize_s"] + t["bm25_index_s"], t["files_s"], t["total_s"]])
    print(common.table(["chunks", "backend", "build", "collection", "upserted", "deleted", "store update s",
                        "bm25 s", "files s", "write_build s"], rows,
                       "One changed document (1/200 of the chunks): seconds per build"))
    largest = max(per_size)
    targets = {f"store_update_le_10s_at_{largest}_{b}": r["store_update_s_max"] is not None and r["store_update_s_max"] <= 10
               for b, r in per_size[largest]["backends"].items()}
    common.write_result("scale_incremental", {
        "vectors": "random unit vectors (384-d); texts recombine corpus sentences",
        "scenario": "full build, then the first document (1/200 of the chunks) gets new text and vectors, "
                    f"{args.updates} times; each build written by assistant.store.build.write_build",
        "store_update_steps": list(STORE_STEPS), "sizes": per_size, "targets_met": targets,
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
    for key, label in (("chroma_add_s", "Chroma insert (HNSW)"), ("bm25_tokenize_s", "BM25 tokenize"),
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
