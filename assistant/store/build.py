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
import json
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from assistant.lang.tokens import tokenize
from assistant.schema import ActivityRecord, Chunk, Document
from assistant.settings import Settings
from assistant.store.errors import REBUILD_HINT, IndexDamaged, IngestBusy

INDEX_FORMAT_VERSION = 1


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


def read_manifest(build_dir: Path) -> dict:
    try:
        return json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexDamaged(f"Indexets manifest saknas eller är skadat. {REBUILD_HINT}") from exc


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def write_build(settings: Settings, build_id: str, documents: list[Document], chunks: list[Chunk],
                keys: list[str], vectors: np.ndarray, manifest: dict, records: list[ActivityRecord],
                lexicon: dict) -> None:
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
    _write_json(tmp / "records.json", [asdict(record) for record in records])
    _write_json(tmp / "lexicon.json", lexicon)

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
