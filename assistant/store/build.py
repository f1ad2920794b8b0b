"""The persisted index: chunks, records, BM25 and a manifest per build; vectors in the vector store.

Layout under ``index/``::

    CURRENT                 name of the active build (replaced atomically)
    builds/<build_id>/      manifest.json (with vector_generation, previous_build), chunks.jsonl,
                            vector_ids.json, vectors.npy, records.json, docs.json, lexicon.json, bm25/
    chroma/<generation>/    embedded Chroma (vector_store="chroma"): one collection each; two take
                            turns (double buffering), not one per build. A Chroma server holds one
                            collection "<collection_name>-<generation>" for "chroma-http".
    .lock                   held while an ingest runs
    .vectors-dirty          present from a build's first write to the vector store until it is clean

A build is written to a temporary folder and only becomes visible when ``CURRENT`` is swapped, so a
crash mid-build leaves the previous index answering. The vector store is updated incrementally
(:mod:`assistant.store.vectors`): ids are content-derived, so a build upserts only the records its
collection lacks. Embedded, a build writes the collection the published build does **not** use
(the one of the build before it) and then holds exactly its own ids: Chroma rewrites HNSW files in
place, and a writer killed meanwhile would leave the published build unable to answer. On a server
(which owns its files) the one collection is updated in place, and after the swap the ids that
neither the new build nor the one it replaced (kept for processes still answering from it) uses
are deleted. Upserts are idempotent and deletes only touch unused ids, so a crash at any point
leaves the published build answering and the next ingest repairs the store. Embeddings are cached by
a hash of the model and the chunk text: re-ingesting an unchanged corpus embeds nothing, a changed
document re-embeds only its own chunks.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np

from assistant.lang.tokens import tokenize
from assistant.schema import ActivityRecord, Chunk, Document
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store.errors import REBUILD_HINT, IndexDamaged, IngestBusy
from assistant.store.vectors import (
    VectorStore,
    check_generation,
    copy_generation,
    drop_generation,
    list_generations,
    open_vector_store,
    store_id,
    vector_id,
)

INDEX_FORMAT_VERSION = 2
log = logging.getLogger(__name__)
#: The named steps of a build where ``settings.test_pause_at`` can stop it (see :func:`pause_at`).
PAUSE_STEPS = ("after_read", "mid_embedding", "mid_write", "before_publish")
#: Build files not covered by the manifest's checksums (the manifest itself, temporary files).
_UNCHECKED = ("manifest.json",)


def pause_at(settings: Settings, step: str) -> None:
    """Test hook: with ``settings.test_pause_at == step`` (env ``ASSISTANT_TEST_PAUSE_AT``), create
    ``<index_dir>/.paused-<step>`` and wait while it exists. Off (one comparison) otherwise.

    Lets a test kill -9 an ingest at a known step of a build instead of after a guessed sleep;
    removing the file lets the build go on.
    """
    if settings.test_pause_at != step:
        return
    flag = Path(settings.index_dir) / f".paused-{step}"
    flag.write_text(str(os.getpid()), encoding="utf-8")
    while flag.exists():
        time.sleep(0.05)


def display_path(path: Path | str, settings: Settings) -> str:
    """A path as a message may show it: relative to the index folder's parent or the project, never absolute."""
    target = Path(path).resolve()
    index_dir = Path(settings.index_dir).resolve()
    for base, prefix in ((index_dir, index_dir.name), (PROJECT_ROOT.resolve(), "")):
        try:
            relative = target.relative_to(base)
        except ValueError:
            continue
        return str(Path(prefix) / relative) if prefix else str(relative)
    return f"…/{target.name}"


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file of a build folder (relative posix path → hex digest), the manifest excepted."""
    sums = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in _UNCHECKED and not path.name.endswith(".tmp"):
            sums[path.relative_to(folder).as_posix()] = _sha256(path)
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: What a damaged file costs the next build: the chunk or unit embedding cache, or the vector collection.
_PARTS = {"chunks.jsonl": "chunks", "vectors.npy": "chunks", "unit_keys.json": "units", "unit_vectors.npy": "units"}


def verify_build(settings: Settings, build_dir: Path) -> tuple[str, set[str]]:
    """Check a published build; ("", set()) when it is intact, else (a Swedish reason, damaged parts).

    The files against the checksums in the manifest (builds written before checksums existed: only
    their shape), the rows of chunks, vectors and ids against each other and the manifest, and the
    vector collection (embedded Chroma: opened, counted and queried once). Parts: "manifest",
    "chunks" (chunk texts or vectors: their embedding cache is not trusted), "units" (the same for
    the evidence units), "files" (anything else of the build) and "store" (the vector collection).
    """
    try:
        manifest = read_manifest(build_dir)
    except IndexDamaged:
        return "manifestet saknas eller är skadat", {"manifest", "chunks", "units", "store"}
    damaged: set[str] = set()
    reasons: list[str] = []
    for name, expected in (manifest.get("checksums") or {}).items():
        path = build_dir / name
        try:
            ok = _sha256(path) == expected
        except OSError:
            ok = False
        if not ok:
            damaged.add(_PARTS.get(name, "files"))
            reasons.append(f"{name} stämmer inte med sin kontrollsumma" if path.exists() else f"{name} saknas")
    try:
        rows = sum(1 for line in (build_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines() if line)
        vectors = np.load(build_dir / "vectors.npy", mmap_mode="r")
        ids = json.loads((build_dir / "vector_ids.json").read_text(encoding="utf-8"))
        if not (rows == len(vectors) == len(ids) == int(manifest.get("chunk_count", rows))):
            raise ValueError("rows differ")
    except (OSError, ValueError, TypeError):
        damaged.add("chunks")
        if not reasons:
            reasons.append("textavsnitt och vektorer stämmer inte överens")
    if settings.vector_store == "chroma" and manifest.get("vector_store") == "chroma":
        problem = check_generation(settings, str(manifest.get("vector_generation") or ""),
                                   int(manifest.get("chunk_count", 0) or 0))
        if problem:
            damaged.add("store")
            reasons.append(problem)
    return "; ".join(reasons), damaged


def clean_leftovers(settings: Settings) -> None:
    """Remove what killed builds left behind: ``builds/.tmp-*`` folders, temporary pointer files and
    embedded vector generations that no finished build uses. Called by an ingest holding the lock
    (so no build is being written); readers only use the generations of finished builds."""
    builds = _builds_dir(settings)
    if builds.is_dir():
        for path in builds.glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)
    for path in Path(settings.index_dir).glob("CURRENT.*.tmp"):
        path.unlink(missing_ok=True)
    root = Path(settings.index_dir) / "chroma"
    if not root.is_dir() or not builds.is_dir():
        return
    used: set[str] = set()
    for build in _finished_builds(settings):
        try:
            manifest = read_manifest(build)
        except IndexDamaged:
            return  # not sure what is in use: leave everything
        if manifest.get("vector_store") == "chroma":
            used.add(str(manifest.get("vector_generation") or ""))
    for generation in root.iterdir():
        if generation.is_dir() and generation.name not in used:
            shutil.rmtree(generation, ignore_errors=True)


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


def vector_store_id(settings: Settings) -> str:
    """Where the vectors live (recorded in the manifest); a change means the index must be rebuilt."""
    return store_id(settings)


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
                lexicon: dict, *, rebuild: bool = False, unit_keys: list[str] | None = None,
                unit_vectors: np.ndarray | None = None) -> dict:
    """Write a complete build, bring the vector store up to date and publish by swapping ``CURRENT``.

    The one writer of the index format (the ingest pipeline and ``bench/scale.py`` both call it).
    Steps, each safe to interrupt:

    1. the build's files into ``builds/.tmp-<id>``;
    2. the vector collection it will use (:func:`_open_for_writing`) gets the records it lacks
       (upserts; ids are content-derived, so that is only new or changed chunks) — and, for the
       embedded store, loses the ids the new build does not use;
    3. rename the folder and swap ``CURRENT``: published;
    4. remove old builds (the one just replaced stays, for processes still answering from it), delete
       from a shared (server) collection the ids no remaining build references, drop generations no
       build uses.

    ``keys``: the chunks' embedding keys; ``unit_keys``/``unit_vectors``: the evidence units' (sentences,
    list items, record fields: :mod:`assistant.ingest.units`), in chunk order. ``rebuild``: start a new, empty generation (repairs a damaged
    store). Returns what was sent to the store and the seconds per step.
    """
    import bm25s

    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    builds = _builds_dir(settings)
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    ids = [vector_id(chunk, key) for chunk, key in zip(chunks, keys)]
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as handle:
        for chunk, key in zip(chunks, keys):
            handle.write(json.dumps({**asdict(chunk), "embedding_key": key}, ensure_ascii=False) + "\n")
    np.save(tmp / "vectors.npy", vectors)
    if unit_vectors is not None:
        np.save(tmp / "unit_vectors.npy", unit_vectors)
        (tmp / "unit_keys.json").write_text(json.dumps(unit_keys or []), encoding="utf-8")
    (tmp / "vector_ids.json").write_text(json.dumps(ids), encoding="utf-8")
    _write_json(tmp / "docs.json", {doc.source: {"lines": doc.lines} for doc in documents})
    _write_json(tmp / "records.json", [asdict(record) for record in records])
    _write_json(tmp / "lexicon.json", lexicon)
    lap("files_s")
    corpus_tokens = [tokenize(chunk.embed_text) or ["_"] for chunk in chunks] or [["_"]]
    lap("bm25_tokenize_s")
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(tmp / "bm25"), show_progress=False)
    del corpus_tokens, retriever
    manifest["checksums"] = file_checksums(tmp)  # `ingest` verifies the published build against them
    lap("bm25_index_s")

    marker = _dirty_marker(settings)
    interrupted = marker.exists()  # an earlier build stopped while writing the store
    if settings.vector_store != "exact":
        marker.touch()  # before the first write to the store; removed once it is clean again
    generation, store, present, how = _open_for_writing(settings, build_id, rebuild, interrupted, ids, vectors)
    lap("vector_open_s")
    try:
        wanted = set(ids)
        missing = [i for i, vid in enumerate(ids) if vid not in present]
        if missing:
            rows = np.asarray(missing, dtype=np.int64)
            store.upsert([ids[i] for i in missing], vectors[rows], [chunks[i].text for i in missing],
                         [chunks[i].to_metadata() for i in missing])
        lap("vector_upsert_s")
        pause_at(settings, "mid_write")
        deleted = 0
        if not getattr(store, "shared", False):  # nobody answers from this collection: make it exactly ours now
            garbage = present - wanted
            if garbage:
                store.delete(sorted(garbage))
            deleted = len(garbage)
        lap("vector_delete_s")
        previous = current_build_dir(settings)  # stays, for processes still answering from it
        manifest.update(build_id=build_id, vector_store=store_id(settings), vector_generation=generation,
                        previous_build=previous.name if previous is not None else "")  # the caller's dict too
        _write_json(tmp / "manifest.json", manifest)
        pause_at(settings, "before_publish")
        os.replace(tmp, builds / build_id)
        _fsync_dir(builds)
        _swap_current(settings, build_id)
        lap("publish_s")
        deleted += _collect_garbage(settings, store, generation, manifest, present | wanted, {build_id: ids})
        lap("vector_gc_s")
    finally:
        store.close()
    timings["total_s"] = round(sum(timings.values()), 3)
    return {"vector_generation": generation, "vector_collection": how, "upserted": len(missing),
            "deleted": deleted, "new_generation": how in ("new", "copied"), "timings_s": timings}


def finish_publish(settings: Settings) -> None:
    """Finish what a build interrupted after publishing left undone (old builds, unused vectors).

    Cheap when there is nothing to do (one ``stat``); the ingest pipeline calls it on an unchanged
    corpus, where no build would otherwise clean up after a crash.
    """
    if not _dirty_marker(settings).exists():
        return
    current = current_build_dir(settings)
    if current is None:
        return
    try:
        manifest = {**read_manifest(current), "build_id": current.name}
        if manifest.get("vector_store") != store_id(settings) or manifest.get("format_version") != INDEX_FORMAT_VERSION:
            return  # the next build (a rebuild for the new backend) cleans up
        generation = str(manifest.get("vector_generation") or "")
        store = open_vector_store(settings, generation, build_ids=(), build_vectors=None)
    except IndexDamaged:
        return  # answering reports it; `ingest --rebuild` repairs it
    try:
        # An interrupted write to an embedded collection may have left it unreadable: the marker stays,
        # so that the next build copies the published collection instead of trusting that one.
        _collect_garbage(settings, store, generation, manifest, clear_marker=settings.vector_store != "chroma")
    finally:
        store.close()


def _dirty_marker(settings: Settings) -> Path:
    return Path(settings.index_dir) / ".vectors-dirty"


def _usable_manifest(settings: Settings, build_dir: Path | None) -> dict | None:
    """The manifest of a build whose vectors are in the configured store, else None."""
    if build_dir is None or not build_dir.is_dir():
        return None
    try:
        manifest = read_manifest(build_dir)
    except IndexDamaged:
        return None
    if manifest.get("format_version") != INDEX_FORMAT_VERSION or manifest.get("vector_store") != store_id(settings):
        return None
    return manifest


def _open_for_writing(settings: Settings, build_id: str, rebuild: bool, interrupted: bool, ids: list[str],
                      vectors: np.ndarray) -> tuple[str, VectorStore, set[str], str]:
    """(generation, store, ids it holds, how) for the collection the new build will use.

    * exact: the build's own vectors; nothing outside the build.
    * Chroma server (``shared``): the published build's collection, updated in place — the server
      writes its own files, so a killed ingest cannot damage them; new ids are deleted after publishing.
    * embedded Chroma: **double buffering**. Chroma rewrites its HNSW files in place, and a writer
      killed meanwhile leaves them unreadable, so a build never writes the collection the published
      build answers from. It updates the other one — the collection of the build before (two builds
      old once this one is published) — or, when there is none, when it is unreadable, or when the
      last write to it was interrupted, starts one from a copy of the published collection.

    A new, empty generation (named after the build) when asked to rebuild, when there is no usable
    published build, or when nothing can be opened or copied (damage). ``how``: "updated",
    "copied", "new" or (exact) "build".
    """
    if settings.vector_store == "exact":
        store = open_vector_store(settings, build_ids=ids, build_vectors=vectors)
        return "", store, store.ids(), "build"
    current = _usable_manifest(settings, current_build_dir(settings))
    published = str((current or {}).get("vector_generation") or "")
    if published and not rebuild:
        if settings.vector_store == "chroma-http":
            candidate = published
        else:
            before = _usable_manifest(settings, _builds_dir(settings) / str(current.get("previous_build") or "-"))
            candidate = str((before or {}).get("vector_generation") or "")
            if candidate == published or interrupted:
                candidate = ""
        if candidate:
            store = None
            try:
                store = open_vector_store(settings, candidate)
                return candidate, store, store.ids(), "updated"
            except IndexDamaged as exc:
                if store is not None:
                    store.close()
                log.warning("vector collection %s could not be opened (%s); using another", candidate, type(exc).__name__)
        if settings.vector_store == "chroma":
            store = None
            try:
                copy_generation(settings, published, build_id)
                store = open_vector_store(settings, build_id)
                return build_id, store, store.ids(), "copied"
            except (IndexDamaged, OSError) as exc:
                if store is not None:
                    store.close()
                drop_generation(settings, "chroma", build_id)
                log.warning("published vector collection %s could not be copied (%s); inserting every vector anew",
                            published, type(exc).__name__)
    return build_id, open_vector_store(settings, build_id, create=True), set(), "new"


def _finished_builds(settings: Settings) -> list[Path]:
    builds = _builds_dir(settings)
    return sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def _collect_garbage(settings: Settings, store: VectorStore, generation: str, manifest: dict,
                     present: set[str] | None = None, known_ids: dict[str, list[str]] | None = None,
                     clear_marker: bool = True) -> int:
    """Prune old builds; delete from a shared collection the ids no remaining build references; drop
    the generations no remaining build uses.

    Runs after ``CURRENT`` was swapped to the build of ``manifest``. The build it replaced (its
    ``previous_build``) stays, with its vectors, so that a process still answering from it keeps
    working. When a remaining build cannot be read, nothing is deleted (leftovers only cost a little
    over-fetching). Returns how many ids were deleted.
    """
    previous = str(manifest.get("previous_build") or "")
    if previous:
        _prune_builds(settings, keep={manifest["build_id"], previous}, keep_previous=0)
    else:
        _prune_builds(settings, keep={manifest["build_id"]})
    referenced: set[str] = set()
    in_use: set[tuple[str, str]] = {(store_id(settings), generation)}
    certain = True
    for build in _finished_builds(settings):
        try:
            build_manifest = read_manifest(build)
        except IndexDamaged:
            certain = False
            continue
        build_generation = str(build_manifest.get("vector_generation") or "")
        in_use.add((str(build_manifest.get("vector_store", "")), build_generation))
        if build_generation != generation or build_manifest.get("vector_store") != store_id(settings):
            continue
        ids = (known_ids or {}).get(build.name)
        if ids is None:
            try:
                ids = json.loads((build / "vector_ids.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                certain = False
                continue
        referenced.update(ids)
    deleted = 0
    if certain and generation and getattr(store, "shared", False):
        garbage = (store.ids() if present is None else present) - referenced
        if garbage:
            store.delete(sorted(garbage))
            deleted = len(garbage)
    if certain:
        for unused in list_generations(settings) - in_use:
            drop_generation(settings, *unused)
        if clear_marker:
            _dirty_marker(settings).unlink(missing_ok=True)
    return deleted


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
    """Remove old builds and leftovers of interrupted ones, keeping ``keep`` and the newest previous build(s)
    by name (build ids start with their time, but two builds in one second sort by their random suffix:
    callers that know which build was replaced keep it by name, with ``keep_previous=0``).

    The previous build stays so that a process still answering from it is not cut off; the vectors
    and generations that only removed builds used go in :func:`_collect_garbage`.
    """
    builds = _builds_dir(settings)
    older = [p for p in _finished_builds(settings) if p.name not in keep]
    for path in older[:-keep_previous] if keep_previous else older:
        shutil.rmtree(path, ignore_errors=True)
    for path in builds.glob(".tmp-*"):
        if path.name not in {f".tmp-{name}" for name in keep}:
            shutil.rmtree(path, ignore_errors=True)
