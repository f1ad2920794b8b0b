"""The persisted index: Chroma vectors + BM25 + chunks, records and a manifest of content hashes.

Layout under ``index/``::

    CURRENT                 name of the active build (replaced atomically)
    builds/<build_id>/      manifest.json, chunks.jsonl, records.json, docs.json,
                            vectors.npy, bm25/, chroma/
    .lock                   held while an ingest runs

A build is written to a temporary folder and only becomes visible when ``CURRENT`` is swapped, so a
crash mid-build leaves the previous index answering. Embeddings are cached by a hash of the model and
the chunk text: re-ingesting an unchanged corpus embeds nothing, a changed document re-embeds only
its own chunks.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.activities import ActivityRecord, extract_records
from assistant.chunking import Chunk, chunk_document
from assistant.corpus import Document, DocumentError, find_documents, load_catalog, read_document
from assistant.settings import Settings
from assistant.text import tokenize

INDEX_FORMAT_VERSION = 1
# Modules whose code decides what goes into an index; a change in any of them triggers a rebuild.
PIPELINE_MODULES = ("corpus.py", "chunking.py", "activities.py", "text.py", "index.py")
REBUILD_HINT = "Bygg om indexet med `assistant ingest --rebuild`."

Progress = Callable[[float, str], None]


class IndexError_(Exception):
    """Base class for index problems; messages are meant for the user."""


class IndexNotFound(IndexError_):
    pass


class IndexDamaged(IndexError_):
    pass


class IngestBusy(IndexError_):
    pass


@dataclass
class IngestReport:
    """What an ingest did, for the CLI and the UI."""

    documents: int = 0
    chunks_by_kind: dict[str, int] = field(default_factory=dict)
    embedded: int = 0
    reused: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: bool = False
    kept_previous: bool = False
    seconds: float = 0.0
    build_id: str = ""

    @property
    def chunks(self) -> int:
        return sum(self.chunks_by_kind.values())


# ------------------------------------------------------------------ paths
def _builds_dir(settings: Settings) -> Path:
    return Path(settings.index_dir) / "builds"


def current_build_dir(settings: Settings) -> Path | None:
    pointer = Path(settings.index_dir) / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    path = _builds_dir(settings) / name
    return path if name and path.is_dir() else None


def _swap_current(settings: Settings, build_id: str) -> None:
    pointer = Path(settings.index_dir) / "CURRENT"
    tmp = pointer.with_name(f"CURRENT.{uuid.uuid4().hex}.tmp")
    tmp.write_text(build_id, encoding="utf-8")
    os.replace(tmp, pointer)


@contextmanager
def ingest_lock(settings: Settings, wait_s: float = 0.0):
    """Exclusive lock for ingests; raises :class:`IngestBusy` if another one holds it."""
    Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(settings.index_dir) / ".lock", "w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusy("En annan indexering pågår redan. Försök igen när den är klar.") from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------- chroma
# Chroma keeps one shared system per path and creating it is not thread-safe: serialise client creation.
_CHROMA_LOCK = threading.RLock()


def chroma_client(settings: Settings, build_dir: Path):
    """The configured Chroma client: embedded under the build, or a Chroma server over HTTP."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    with _CHROMA_LOCK:
        if settings.vector_store == "http":
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        return chromadb.PersistentClient(path=str(build_dir / "chroma"), settings=chroma_settings)


def vector_store_id(settings: Settings) -> str:
    """Where the vectors live; a change (another Chroma server) means the index must be rebuilt."""
    if settings.vector_store == "http":
        return f"http://{settings.chroma_host}:{settings.chroma_port}"
    return settings.vector_store


def _collection_name(settings: Settings, build_id: str) -> str:
    return f"{settings.collection_name}_{build_id}"[:60]


# --------------------------------------------------------------- ingest
def pipeline_fingerprint() -> str:
    """Hash of the code that turns documents into chunks, records and tokens."""
    digest = hashlib.sha1()
    package = Path(__file__).resolve().parent
    for name in PIPELINE_MODULES:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]


def embedding_key(model_id: str, text: str) -> str:
    return hashlib.sha1(f"{model_id}\n{text}".encode()).hexdigest()


def _corpus_state(settings: Settings) -> tuple[list[Path], dict[str, str], str]:
    corpus_dir = Path(settings.corpus_dir)
    paths = find_documents(corpus_dir, settings)
    hashes = {}
    for path in paths:
        try:
            if path.stat().st_size <= settings.max_file_bytes:
                hashes[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                hashes[path.name] = f"too-large:{path.stat().st_size}"
        except OSError:
            hashes[path.name] = "unreadable"
    catalog_path = corpus_dir / settings.catalog_file
    catalog_hash = hashlib.sha256(catalog_path.read_bytes()).hexdigest() if catalog_path.exists() else ""
    return paths, hashes, catalog_hash


def read_manifest(build_dir: Path) -> dict:
    try:
        return json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexDamaged(f"Indexets manifest saknas eller är skadat. {REBUILD_HINT}") from exc


def _previous_vectors(build_dir: Path | None) -> dict[str, np.ndarray]:
    """Embedding cache from the previous build: key → vector (empty when unreadable)."""
    if build_dir is None:
        return {}
    try:
        keys = [json.loads(line)["embedding_key"] for line in (build_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
        vectors = np.load(build_dir / "vectors.npy")
    except (OSError, ValueError, KeyError):
        return {}
    return {key: vectors[i] for i, key in enumerate(keys) if i < len(vectors)}


def ingest(settings: Settings, rebuild: bool = False, progress: Progress | None = None,
           embedder=None, lock_wait_s: float = 0.0) -> IngestReport:
    """Bring the index in line with the corpus; returns what was done.

    Unchanged corpus (same file hashes, catalog, model and format) → nothing is rebuilt.
    """
    started = time.perf_counter()
    report_progress = progress or (lambda fraction, message: None)
    with ingest_lock(settings, wait_s=lock_wait_s):
        paths, hashes, catalog_hash = _corpus_state(settings)
        from assistant.embedding import get_embedder

        embedder = embedder or get_embedder(settings)
        previous = current_build_dir(settings)
        old_manifest: dict = {}
        if previous is not None:
            try:
                old_manifest = read_manifest(previous)
            except IndexDamaged:
                previous = None
        old_docs = {name: meta.get("hash") for name, meta in old_manifest.get("documents", {}).items()}
        if (not rebuild and previous is not None and old_manifest.get("format_version") == INDEX_FORMAT_VERSION
                and old_manifest.get("model_id") == embedder.model_id and old_manifest.get("catalog_hash") == catalog_hash
                and old_manifest.get("input_hashes") == hashes and old_manifest.get("vector_store") == vector_store_id(settings)
                and old_manifest.get("pipeline") == pipeline_fingerprint()):
            return IngestReport(
                documents=len(old_docs), chunks_by_kind=old_manifest.get("chunks_by_kind", {}), reused=old_manifest.get("chunk_count", 0),
                skipped=[tuple(item) for item in old_manifest.get("skipped", [])], unchanged=True,
                seconds=time.perf_counter() - started, build_id=previous.name,
            )

        report = IngestReport()
        catalog = load_catalog(Path(settings.corpus_dir), settings)
        documents: list[Document] = []
        for number, path in enumerate(paths):
            report_progress(0.3 * number / max(1, len(paths)), f"Läser {path.name}")
            reason = _reject_reason(path, settings)
            if reason:
                report.skipped.append((path.name, reason))
                continue
            try:
                documents.append(read_document(path, catalog))
            except DocumentError as exc:
                report.skipped.append((path.name, str(exc)))
            except Exception as exc:  # a hostile file must not stop the other documents
                report.skipped.append((path.name, f"Kunde inte läsas ({type(exc).__name__})."))

        chunks: list[Chunk] = []
        for doc in documents:
            doc_chunks = chunk_document(doc)
            if not doc_chunks:
                report.skipped.append((doc.source, "Inga textavsnitt hittades."))
                continue
            chunks.extend(doc_chunks)
        documents = [doc for doc in documents if doc.source not in {name for name, _ in report.skipped}]
        if not documents and previous is not None:
            # Never replace a working index with an empty one (a wrong folder, all files broken …).
            report.kept_previous = True
            report.documents = len(old_docs)
            report.build_id = previous.name
            report.seconds = time.perf_counter() - started
            return report

        cache = {} if rebuild else _previous_vectors(previous)
        keys = [embedding_key(embedder.model_id, chunk.embed_text) for chunk in chunks]
        missing = [i for i, key in enumerate(keys) if key not in cache]
        vectors = np.zeros((len(chunks), 0), dtype=np.float32)
        new_vectors: dict[str, np.ndarray] = {}
        batch = max(1, settings.embedding_batch_size * 4)
        for start in range(0, len(missing), batch):
            report_progress(0.3 + 0.6 * start / max(1, len(missing)), f"Beräknar embeddings {start}/{len(missing)}")
            idx = missing[start:start + batch]
            embedded = embedder.embed_passages([chunks[i].embed_text for i in idx])
            for i, vector in zip(idx, embedded):
                new_vectors[keys[i]] = vector
        if chunks:
            vectors = np.stack([new_vectors.get(key, cache.get(key)) for key in keys]).astype(np.float32)
        report.embedded, report.reused = len(missing), len(chunks) - len(missing)

        report_progress(0.92, "Skriver index")
        build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        manifest = {
            "format_version": INDEX_FORMAT_VERSION, "model_id": embedder.model_id, "catalog_hash": catalog_hash,
            "vector_store": vector_store_id(settings), "input_hashes": hashes, "build_id": build_id,
            "pipeline": pipeline_fingerprint(),
            "built_at": time.strftime("%Y-%m-%d %H:%M:%S"), "chunk_count": len(chunks),
            "chunks_by_kind": dict(Counter(chunk.kind for chunk in chunks)),
            "skipped": report.skipped,
            "documents": {
                doc.source: {
                    "hash": doc.content_hash, "title": doc.title, "council": doc.council, "doc_type": doc.doc_type,
                    "period": doc.period, "url": doc.url, "chunks": sum(1 for c in chunks if c.source == doc.source),
                }
                for doc in documents
            },
        }
        _write_build(settings, build_id, documents, chunks, keys, vectors, manifest)
        new_docs = {doc.source: doc.content_hash for doc in documents}
        report.documents = len(documents)
        report.chunks_by_kind = manifest["chunks_by_kind"]
        report.added = sorted(set(new_docs) - set(old_docs))
        report.removed = sorted(set(old_docs) - set(new_docs))
        report.changed = sorted(name for name in set(new_docs) & set(old_docs) if new_docs[name] != old_docs[name])
        report.build_id = build_id
        report.seconds = time.perf_counter() - started
        manifest["build_seconds"] = round(report.seconds, 2)
        _write_json(_builds_dir(settings) / build_id / "manifest.json", manifest)
        report_progress(1.0, "Klart")
        return report


def _reject_reason(path: Path, settings: Settings) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return "Filen kunde inte läsas."
    if size == 0:
        return "Filen är tom."
    if size > settings.max_file_bytes:
        return f"Filen är för stor ({size // (1024 * 1024)} MB; gränsen är {settings.max_file_bytes // (1024 * 1024)} MB)."
    return ""


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _write_build(settings: Settings, build_id: str, documents: list[Document], chunks: list[Chunk],
                 keys: list[str], vectors: np.ndarray, manifest: dict) -> None:
    """Write a complete build into a temporary folder, then publish it by swapping ``CURRENT``."""
    import bm25s

    builds = _builds_dir(settings)
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk, key in zip(chunks, keys):
            handle.write(json.dumps({**asdict(chunk), "embedding_key": key}, ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", vectors)
    _write_json(tmp / "docs.json", {doc.source: {"lines": doc.lines} for doc in documents})
    _write_json(tmp / "records.json", [asdict(record) for record in extract_records(chunks)])
    _write_json(tmp / "lexicon.json", build_lexicon(chunks))

    retriever = bm25s.BM25()
    corpus_tokens = [tokenize(chunk.embed_text) or ["_"] for chunk in chunks] or [["_"]]
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(tmp / "bm25"), show_progress=False)

    client = chroma_client(settings, tmp)
    collection = client.create_collection(_collection_name(settings, build_id), metadata={"hnsw:space": "cosine"})
    try:
        step = 4000
        for start in range(0, len(chunks), step):
            part = chunks[start:start + step]
            collection.add(
                ids=[c.chunk_id for c in part], embeddings=vectors[start:start + step].tolist(),
                documents=[c.text for c in part], metadatas=[c.to_metadata() for c in part],
            )
    except BaseException:
        if settings.vector_store == "http":  # an embedded store goes with its temporary folder
            _drop_remote_collection(settings, build_id)
        raise
    del collection, client
    _write_json(tmp / "manifest.json", manifest)
    final = builds / build_id
    os.replace(tmp, final)
    _fsync_dir(builds)
    _swap_current(settings, build_id)
    _prune_builds(settings, keep={build_id})


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _prune_builds(settings: Settings, keep: set[str], keep_previous: int = 1) -> None:
    """Remove old builds and leftovers of interrupted ones, keeping the newest previous build(s).

    The previous build stays so that a process still answering from it is not cut off.
    """
    builds = _builds_dir(settings)
    finished = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    older = [p for p in finished if p.name not in keep]
    for path in older[:-keep_previous] if keep_previous else older:
        shutil.rmtree(path, ignore_errors=True)
        if settings.vector_store == "http":
            _drop_remote_collection(settings, path.name)
    for path in builds.glob(".tmp-*"):
        if path.name != f".tmp-{next(iter(keep))}":
            shutil.rmtree(path, ignore_errors=True)


def _drop_remote_collection(settings: Settings, build_id: str) -> None:
    try:
        chroma_client(settings, Path(".")).delete_collection(_collection_name(settings, build_id))
    except Exception:  # the server may already have dropped it
        pass


# ----------------------------------------------------------------- load
class LoadedIndex:
    """A read-only view of one build: chunks, records, documents, BM25 and the vector collection."""

    def __init__(self, settings: Settings, build_dir: Path):
        import bm25s

        self.settings = settings
        self.build_dir = build_dir
        self.manifest = read_manifest(build_dir)
        if self.manifest.get("format_version") != INDEX_FORMAT_VERSION:
            raise IndexDamaged(f"Indexet har ett äldre format (version {self.manifest.get('format_version')}). {REBUILD_HINT}")
        try:
            rows = [json.loads(line) for line in (build_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
            self.chunks = [Chunk(**{k: v for k, v in row.items() if k != "embedding_key"}) for row in rows]
            self.records = [ActivityRecord(**row) for row in json.loads((build_dir / "records.json").read_text(encoding="utf-8"))]
            self.doc_lines: dict[str, list[str]] = {
                name: data["lines"] for name, data in json.loads((build_dir / "docs.json").read_text(encoding="utf-8")).items()
            }
            self.vectors = np.load(build_dir / "vectors.npy")
            self.bm25 = bm25s.BM25.load(str(build_dir / "bm25"), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamaged(f"Indexet i {build_dir} är skadat ({type(exc).__name__}). {REBUILD_HINT}") from exc
        if len(self.vectors) != len(self.chunks):
            raise IndexDamaged(f"Indexet är inkonsekvent (vektorer och textavsnitt stämmer inte). {REBUILD_HINT}")
        self.by_id = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.source_names = sorted({chunk.source for chunk in self.chunks})
        self.source_position = {name: i for i, name in enumerate(self.source_names)}
        self.chunk_source_ids = np.array([self.source_position[chunk.source] for chunk in self.chunks], dtype=np.int64)
        self.lexicon = _read_lexicon(build_dir)
        self._collection = None

    @property
    def build_id(self) -> str:
        return self.build_dir.name

    @property
    def collection(self):
        with _CHROMA_LOCK:
            if self._collection is None:
                client = chroma_client(self.settings, self.build_dir)
                try:
                    self._collection = client.get_collection(_collection_name(self.settings, self.build_id))
                except Exception as exc:
                    raise IndexDamaged(f"Vektorsamlingen för indexet saknas ({type(exc).__name__}). {REBUILD_HINT}") from exc
            return self._collection

    def source_mask(self, sources) -> np.ndarray:
        """Boolean mask of the chunks whose source is in ``sources`` (O(chunks), integer look-up)."""
        allowed = np.zeros(len(self.source_names) + 1, dtype=bool)
        for source in sources:
            position = self.source_position.get(source)
            if position is not None:
                allowed[position] = True
        return allowed[self.chunk_source_ids]

    def dense_search(self, query_vector: np.ndarray, k: int, sources: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity) of the ``k`` nearest chunks.

        Up to ``exact_search_max_chunks`` chunks every stored vector is scored exactly (one matrix-vector
        product: faster than a Chroma query below ~20k chunks, and exact); larger indexes go to Chroma's
        HNSW index. Filtered queries (a council's or a user's choice of documents) always score the
        allowed rows exactly: Chroma's metadata filter costs ~190 ms at 100k chunks, an exact product
        over one council's rows a few milliseconds (bench/README.md).
        """
        if not self.chunks:
            return []
        if sources:
            rows = np.flatnonzero(self.source_mask(sources))
            return self._exact_search(query_vector, k, rows)
        if len(self.chunks) <= self.settings.exact_search_max_chunks:
            return self._exact_search(query_vector, k)
        result = self.collection.query(
            query_embeddings=[query_vector.tolist()], n_results=min(k, len(self.chunks)), include=["distances"],
        )
        hits = []
        for chunk_id, distance in zip(result["ids"][0], result["distances"][0]):
            if chunk_id in self.by_id:
                hits.append((self.by_id[chunk_id], 1.0 - float(distance)))
        return hits

    def _exact_search(self, query_vector: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Exact cosine top-k over all stored vectors (or the given rows); vectors are unit length."""
        scores = (self.vectors if rows is None else self.vectors[rows]) @ query_vector
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best])]
        positions = best if rows is None else rows[best]
        return [(int(p), float(scores[i])) for p, i in zip(positions, best)]

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        if not self.chunks or not query_tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(query_tokens), dtype=np.float32)[: len(self.chunks)]

    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})


def _read_lexicon(build_dir: Path) -> dict:
    """Abbreviations and document frequencies computed at ingest (empty for older builds)."""
    try:
        return json.loads((build_dir / "lexicon.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def build_lexicon(chunks: list[Chunk]) -> dict:
    """What the answer layer needs about the vocabulary, computed once per build."""
    from assistant.retrieve import find_abbreviations

    df: dict[str, int] = {}
    for chunk in chunks:
        for token in set(tokenize(chunk.embed_text)):
            df[token] = df.get(token, 0) + 1
    return {"abbreviations": find_abbreviations([chunk.text for chunk in chunks]), "df": df, "chunks": len(chunks)}


def load_index(settings: Settings) -> LoadedIndex:
    """Open the active build; raises :class:`IndexNotFound` / :class:`IndexDamaged` with a fix."""
    build_dir = current_build_dir(settings)
    if build_dir is None:
        raise IndexNotFound(f"Inget index hittades i {settings.index_dir}. Kör `assistant ingest` för att bygga det.")
    return LoadedIndex(settings, build_dir)
