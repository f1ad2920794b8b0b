"""The build pipeline: plan (what changed) → read → chunk → records → embed → publish.

Unchanged corpus (same file hashes, catalog, model, pipeline code and format) → nothing is rebuilt.
Embeddings are cached by a hash of the model and the chunk text, so a changed document re-embeds
only its own chunks; the store publishes a build atomically (see :mod:`assistant.store.build`).

Work per document is bounded (:mod:`assistant.ingest.parsing`): pages, unpacked DOCX size and
characters are checked while reading, chunks after chunking, and PDF/DOCX/HTML are parsed in a
child process with a time and memory limit; a document over a limit is skipped with a Swedish
reason (``IngestReport.skipped``). Before deciding that nothing changed, the published build is
verified (checksums, rows, vector collection); a damaged one is rebuilt (``IngestReport.repaired``).
File-system and vector-store errors become :class:`IndexStorageError` (CLI exit code 6).
"""

from __future__ import annotations

import errno
import hashlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.embedding import get_embedder
from assistant.ingest.activities import extract_records
from assistant.ingest.catalog import PROVENANCE_FIELDS
from assistant.ingest.chunking import chunk_document
from assistant.ingest.corpus import DocumentError, find_documents, load_catalog
from assistant.ingest.lexicon import build_lexicon
from assistant.ingest.parsing import DocumentReader
from assistant.ingest.units import embed_text as units_embed_text
from assistant.ingest.units import split_units
from assistant.messages import INGEST_MESSAGES
from assistant.schema import Chunk, Document
from assistant.settings import Settings
from assistant.store.build import (
    INDEX_FORMAT_VERSION,
    _builds_dir,
    _write_json,
    clean_leftovers,
    current_build_dir,
    display_path,
    finish_publish,
    ingest_lock,
    pause_at,
    read_manifest,
    vector_store_id,
    verify_build,
    write_build,
)
from assistant.store.errors import IndexDamaged, IndexStorageError

# Modules whose code decides what goes into an index; a change in any of them triggers a rebuild.
PIPELINE_MODULES = ("text.py", "schema.py", "ingest/corpus.py", "ingest/chunking.py", "ingest/activities.py",
                    "ingest/lexicon.py", "ingest/pipeline.py", "lang/tokens.py", "lang/patterns.py", "lang/words.py",
                    "lang/data/words.json", "lang/data/columns.json", "lang/spelling.py", "lang/abbreviations.py",
                    "ingest/units.py", "ingest/parsing.py",
                    "store/build.py")

Progress = Callable[[float, str], None]
#: Settings that decide which documents get into a build (recorded in its manifest).
LIMIT_SETTINGS = ("max_file_bytes", "max_pdf_pages", "max_docx_unpacked_bytes", "max_document_chars",
                  "max_document_chunks", "parse_timeout_s", "parse_memory_mb")


@dataclass
class IngestReport:
    """What an ingest did, for the CLI and the UI."""

    documents: int = 0
    chunks_by_kind: dict[str, int] = field(default_factory=dict)
    embedded: int = 0
    reused: int = 0
    units_embedded: int = 0  # sentence-level evidence units embedded (the rest came from the cache)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: bool = False
    kept_previous: bool = False
    repaired: str = ""  # why the published build was rebuilt (damaged files or vector collection), Swedish
    seconds: float = 0.0
    build_id: str = ""

    @property
    def chunks(self) -> int:
        return sum(self.chunks_by_kind.values())


def pipeline_fingerprint() -> str:
    """Hash of the code that turns documents into chunks, records and tokens."""
    digest = hashlib.sha1()
    package = Path(__file__).resolve().parent.parent
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
    catalog_hash = _catalog_hash(catalog_path.read_bytes()) if catalog_path.exists() else ""
    return paths, hashes, catalog_hash


def _catalog_hash(raw: bytes) -> str:
    """The hash of what the catalog says about the documents' content (title, council …), without
    provenance (who added or reviewed a document and when): marking a document reviewed rebuilds nothing."""
    try:
        catalog = json.loads(raw)
        documents = catalog.get("documents", catalog) if isinstance(catalog, dict) else None
        if isinstance(documents, dict):
            stripped = {name: {k: v for k, v in meta.items() if k not in PROVENANCE_FIELDS} if isinstance(meta, dict)
                        else meta for name, meta in documents.items()}
            content = {**catalog, "documents": stripped} if "documents" in catalog else stripped
            raw = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
    except (ValueError, AttributeError):
        pass  # an unreadable catalog: its bytes
    return hashlib.sha256(raw).hexdigest()


def _previous_vectors(build_dir: Path | None, chunks: bool = True, units: bool = True) -> dict[str, np.ndarray]:
    """Embedding cache from the previous build: key → vector, of its chunks and of its evidence units
    (each only when asked for, and nothing of a part that cannot be read)."""
    if build_dir is None:
        return {}
    cache: dict[str, np.ndarray] = {}
    if chunks:
        try:
            keys = [json.loads(line)["embedding_key"]
                    for line in (build_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line]
            vectors = np.load(build_dir / "vectors.npy")
            if len(vectors) == len(keys):
                cache.update({key: vectors[i] for i, key in enumerate(keys)})
        except (OSError, ValueError, KeyError, TypeError):
            pass
    if units:
        try:
            unit_keys = json.loads((build_dir / "unit_keys.json").read_text(encoding="utf-8"))
            unit_vectors = np.load(build_dir / "unit_vectors.npy")
            if len(unit_vectors) == len(unit_keys):
                cache.update({key: unit_vectors[i] for i, key in enumerate(unit_keys)})
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return cache


def _embed(texts: list[str], keys: list[str], cache: dict[str, np.ndarray], embedder, settings: Settings,
           progress: Progress, start: float, span: float, label: str) -> tuple[np.ndarray, int]:
    """Vectors for ``texts`` (rows in order), embedding only keys the cache lacks, each distinct key once."""
    missing: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key not in cache and key not in missing:
            missing[key] = i
    todo = list(missing.items())
    batch = max(1, settings.embedding_batch_size * 4)
    for offset in range(0, len(todo), batch):
        progress(start + span * offset / max(1, len(todo)), f"{label} {offset}/{len(todo)}")
        part = todo[offset:offset + batch]
        for (key, _), vector in zip(part, embedder.embed_passages([texts[i] for _, i in part])):
            cache[key] = vector
    if not keys:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.stack([cache[key] for key in keys]).astype(np.float32), len(todo)


#: The file-system errors an index folder meets, in Swedish (others keep the system's text).
_OS_ERRORS = {errno.EACCES: "åtkomst nekad", errno.EPERM: "åtgärden är inte tillåten",
              errno.EROFS: "skrivskyddat filsystem", errno.ENOSPC: "disken är full", errno.EDQUOT: "diskkvoten är slut",
              errno.ENOENT: "finns inte", errno.ENOTDIR: "är ingen mapp", errno.EISDIR: "är en mapp",
              errno.EEXIST: "finns redan", errno.EIO: "in-/utmatningsfel"}


def limits_of(settings: Settings) -> dict:
    """The per-document limits a build was made with (in its manifest: changing one rebuilds)."""
    return {name: getattr(settings, name) for name in LIMIT_SETTINGS}


def ingest(settings: Settings, rebuild: bool = False, progress: Progress | None = None,
           embedder=None, lock_wait_s: float = 0.0) -> IngestReport:
    """Bring the index in line with the corpus; returns what was done.

    Unchanged corpus (same file hashes, catalog, model, limits and format) and an intact build →
    nothing is rebuilt. A damaged build (checksums, rows, vector collection: :func:`verify_build`)
    is rebuilt, reusing whatever embeddings are intact, and the report says so (``repaired``).
    File-system and vector-store errors raise :class:`IndexStorageError` naming a relative path.
    """
    try:
        return _ingest(settings, rebuild, progress, embedder, lock_wait_s)
    except OSError as exc:
        where = display_path(exc.filename, settings) if exc.filename else display_path(settings.index_dir, settings)
        error = _OS_ERRORS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
        raise IndexStorageError(INGEST_MESSAGES["storage_error"].format(path=where, error=error)) from exc


def _ingest(settings: Settings, rebuild: bool, progress: Progress | None, embedder, lock_wait_s: float) -> IngestReport:
    started = time.perf_counter()
    report_progress = progress or (lambda fraction, message: None)
    with ingest_lock(settings, wait_s=lock_wait_s):
        clean_leftovers(settings)  # folders and vector generations of builds killed before publishing
        paths, hashes, catalog_hash = _corpus_state(settings)
        embedder = embedder or get_embedder(settings)
        previous = current_build_dir(settings)
        old_manifest: dict = {}
        repaired, damaged = "", set()
        if previous is not None:
            repaired, damaged = ("", set()) if rebuild else verify_build(settings, previous)
            try:
                old_manifest = read_manifest(previous)
            except IndexDamaged:
                previous = None
        old_docs = {name: meta.get("hash") for name, meta in old_manifest.get("documents", {}).items()}
        if (not rebuild and not repaired and previous is not None and old_manifest.get("format_version") == INDEX_FORMAT_VERSION
                and old_manifest.get("model_id") == embedder.model_id and old_manifest.get("catalog_hash") == catalog_hash
                and old_manifest.get("input_hashes") == hashes and old_manifest.get("vector_store") == vector_store_id(settings)
                and old_manifest.get("pipeline") == pipeline_fingerprint() and old_manifest.get("limits") == limits_of(settings)):
            finish_publish(settings)  # an earlier build that crashed after publishing may have left garbage
            return IngestReport(
                documents=len(old_docs), chunks_by_kind=old_manifest.get("chunks_by_kind", {}), reused=old_manifest.get("chunk_count", 0),
                skipped=[tuple(item) for item in old_manifest.get("skipped", [])], unchanged=True,
                seconds=time.perf_counter() - started, build_id=previous.name,
            )

        report = IngestReport(repaired=INGEST_MESSAGES["repaired"].format(reason=repaired) if repaired else "")
        catalog = load_catalog(Path(settings.corpus_dir), settings)
        documents: list[Document] = []
        with DocumentReader(settings) as reader:  # PDF/DOCX/HTML in a child with a time and memory limit
            for number, path in enumerate(paths):
                report_progress(0.3 * number / max(1, len(paths)), f"Läser {path.name}")
                reason = _reject_reason(path, settings)
                if reason:
                    report.skipped.append((path.name, reason))
                    continue
                try:
                    documents.append(reader.read(path, catalog))
                except DocumentError as exc:
                    report.skipped.append((path.name, str(exc)))
                except Exception as exc:  # a hostile file must not stop the other documents
                    report.skipped.append((path.name, INGEST_MESSAGES["read_failed"].format(error=type(exc).__name__)))

        chunks: list[Chunk] = []
        for doc in documents:
            doc_chunks = chunk_document(doc)
            if not doc_chunks:
                report.skipped.append((doc.source, INGEST_MESSAGES["no_chunks"]))
                continue
            if len(doc_chunks) > settings.max_document_chunks:
                report.skipped.append((doc.source, INGEST_MESSAGES["too_many_chunks"].format(
                    chunks=len(doc_chunks), limit=settings.max_document_chunks)))
                continue
            chunks.extend(doc_chunks)
        pause_at(settings, "after_read")
        documents = [doc for doc in documents if doc.source not in {name for name, _ in report.skipped}]
        if not documents and previous is not None and not repaired:
            # Never replace a working index with an empty one (a wrong folder, all files broken …).
            report.kept_previous = True
            report.documents = len(old_docs)
            report.build_id = previous.name
            report.seconds = time.perf_counter() - started
            return report

        # The embedding cache of the previous build: only from the parts that passed verification.
        cache = {} if rebuild else _previous_vectors(previous, chunks="chunks" not in damaged, units="units" not in damaged)
        texts = [chunk.embed_text for chunk in chunks]
        keys = [embedding_key(embedder.model_id, text) for text in texts]
        vectors, embedded = _embed(texts, keys, cache, embedder, settings, report_progress, 0.3, 0.3,
                                   "Beräknar embeddings")
        pause_at(settings, "mid_embedding")
        # Sentence-level evidence: every sentence, list item and record field gets a vector too.
        unit_texts = [units_embed_text(chunk, unit) for chunk in chunks for unit in split_units(chunk)]
        unit_keys = [embedding_key(embedder.model_id, text) for text in unit_texts]
        unit_vectors, units_embedded = _embed(unit_texts, unit_keys, cache, embedder, settings, report_progress, 0.6,
                                              0.3, "Beräknar embeddings för meningar")
        report.embedded, report.reused = embedded, len(chunks) - embedded
        report.units_embedded = units_embedded

        report_progress(0.92, "Skriver index")
        build_id = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        manifest = {
            "format_version": INDEX_FORMAT_VERSION, "model_id": embedder.model_id, "catalog_hash": catalog_hash,
            "vector_store": vector_store_id(settings), "input_hashes": hashes, "build_id": build_id,
            "pipeline": pipeline_fingerprint(), "limits": limits_of(settings),
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
        try:
            written = write_build(settings, build_id, documents, chunks, keys, vectors, manifest,
                                  records=extract_records(chunks), lexicon=build_lexicon(chunks, documents),
                                  rebuild=rebuild or bool(damaged & {"store", "manifest"}),  # a new collection
                                  unit_keys=unit_keys, unit_vectors=unit_vectors)
        except IndexDamaged as exc:  # the collection being written failed: the folder or the disk, not the build
            cause = exc.__cause__ or exc
            raise IndexStorageError(INGEST_MESSAGES["vector_store_error"].format(
                error=type(cause).__name__, path=display_path(Path(settings.index_dir) / "chroma", settings))) from exc
        new_docs = {doc.source: doc.content_hash for doc in documents}
        report.documents = len(documents)
        report.chunks_by_kind = manifest["chunks_by_kind"]
        report.added = sorted(set(new_docs) - set(old_docs))
        report.removed = sorted(set(old_docs) - set(new_docs))
        report.changed = sorted(name for name in set(new_docs) & set(old_docs) if new_docs[name] != old_docs[name])
        report.build_id = build_id
        report.seconds = time.perf_counter() - started
        manifest["build_seconds"] = round(report.seconds, 2)
        manifest["vector_updates"] = {key: written[key] for key in ("upserted", "deleted", "new_generation")}
        _write_json(_builds_dir(settings) / build_id / "manifest.json", manifest)
        report_progress(1.0, "Klart")
        return report


def _reject_reason(path: Path, settings: Settings) -> str:
    try:
        size = path.stat().st_size
    except OSError:
        return INGEST_MESSAGES["file_unreadable"]
    if size == 0:
        return INGEST_MESSAGES["file_empty"]
    if size > settings.max_file_bytes:
        return INGEST_MESSAGES["file_too_large"].format(size=size // (1024 * 1024), limit=settings.max_file_bytes // (1024 * 1024))
    return ""
