"""The vector store: one small interface, three implementations chosen by ``settings.vector_store``.

* ``"chroma"`` (default) — :class:`ChromaVectorStore`: embedded Chroma (``PersistentClient``), one
  collection per *generation* folder ``index/chroma/<generation>/``;
* ``"chroma-http"`` — :class:`ChromaHttpVectorStore`: a Chroma server (``HttpClient``), collection
  ``<collection_name>-<generation>``, shared by several app processes;
* ``"exact"`` (opt-in) — :class:`ExactVectorStore`: exact cosine with NumPy over the build's own
  ``vectors.npy``; nothing is stored outside the build.

Records are keyed by a content-derived id (:func:`vector_id`): equal content, equal id, so a build
sends only the vectors its collection lacks, and a changed or removed chunk leaves an id that the
writer deletes once no kept build uses it (:func:`assistant.store.build.write_build`). Collections
live across builds. On a server there is one, updated in place (the server owns its files). Embedded,
there are two that take turns (double buffering): Chroma rewrites its HNSW files in place and a
writer killed meanwhile leaves them unreadable, so a build never writes the collection that the
published build answers from. ``ingest --rebuild`` or a damaged collection starts a new generation.

Chroma is always handed our own embeddings (``embedding_function=None``: its default function would
try to download a model) and runs with telemetry off.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.schema import Chunk
from assistant.settings import Settings
from assistant.store.errors import REBUILD_HINT, IndexDamaged

#: Chroma keeps one shared system per path and creating clients is not thread-safe: serialise it.
_CHROMA_LOCK = threading.RLock()
#: Records per Chroma call (its batch limit is larger; this keeps one call's memory modest).
CHROMA_BATCH = 4000


@runtime_checkable
class VectorStore(Protocol):
    """Vectors keyed by string ids; cosine similarity (the vectors are unit length)."""

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, documents: Sequence[str],
               metadatas: Sequence[dict]) -> None:
        """Insert or replace records (idempotent)."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove records; ids that are not there are ignored."""

    def query(self, vector: np.ndarray, k: int, ids_subset: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the ``k`` nearest records, best first; only ``ids_subset`` if given."""

    def count(self) -> int:
        """Number of records."""

    def ids(self) -> set[str]:
        """Every record id."""

    def close(self) -> None:
        """Let go of the client (idempotent)."""


def vector_id(chunk: Chunk, embedding_key: str) -> str:
    """The content-derived id of a chunk's record: a hash of everything the record holds.

    The embedding key (model + embedded text), the chunk id, its text and its metadata: unchanged
    chunk → same id (nothing to send), any change → a new id (the old one is garbage later).
    """
    payload = json.dumps([embedding_key, chunk.chunk_id, chunk.text, chunk.to_metadata()],
                         ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def exact_top_k(vectors: np.ndarray, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, cosine) of the ``k`` best rows of ``vectors`` (all rows, or only ``rows``), best first."""
    scores = (vectors if rows is None else vectors[rows]) @ query
    if k <= 0 or not len(scores):
        return []
    best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    best = best[np.argsort(-scores[best])]
    positions = best if rows is None else rows[best]
    return [(int(p), float(scores[i])) for p, i in zip(positions, best)]


# ------------------------------------------------------------------ exact
class ExactVectorStore:
    """Exact cosine top-k over vectors held in memory (a build's ``vectors.npy``): one matrix-vector product.

    Exact (no HNSW recall loss) and the fastest below ~20k chunks; linear in the chunk count
    (14 ms at 100k, bench/README.md). Writes only change the in-memory arrays: the build's files are
    the persistent copy.
    """

    kind = "exact"
    shared = False

    def __init__(self, ids: Sequence[str] = (), vectors: np.ndarray | None = None):
        self._ids = list(ids)
        self._vectors = np.asarray(vectors if vectors is not None else np.zeros((0, 0)), dtype=np.float32)
        if len(self._ids) != len(self._vectors):
            raise ValueError("ids and vectors differ in length")
        self._row = {vid: i for i, vid in enumerate(self._ids)}

    def upsert(self, ids, vectors, documents=(), metadatas=()) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        new = []
        for vid, vector in zip(ids, vectors):
            if vid in self._row:
                self._vectors[self._row[vid]] = vector
            else:
                new.append((vid, vector))
        if new:
            stacked = np.stack([v for _, v in new])
            self._vectors = stacked if not len(self._vectors) else np.concatenate([self._vectors, stacked])
            for vid, _ in new:
                self._row[vid] = len(self._ids)
                self._ids.append(vid)

    def delete(self, ids) -> None:
        drop = {self._row[vid] for vid in ids if vid in self._row}
        if drop:
            keep = [i for i in range(len(self._ids)) if i not in drop]
            self._ids = [self._ids[i] for i in keep]
            self._vectors = self._vectors[keep]
            self._row = {vid: i for i, vid in enumerate(self._ids)}

    def query(self, vector, k, ids_subset=None) -> list[tuple[str, float]]:
        rows = None
        if ids_subset is not None:
            rows = np.array(sorted({self._row[v] for v in ids_subset if v in self._row}), dtype=np.int64)
        return [(self._ids[row], score) for row, score in exact_top_k(self._vectors, np.asarray(vector), k, rows)]

    def count(self) -> int:
        return len(self._ids)

    def ids(self) -> set[str]:
        return set(self._ids)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------ chroma
def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class ChromaVectorStore:
    """One Chroma collection (HNSW, cosine) on an embedded Chroma under ``path``.

    Every store gets its **own** Chroma system instead of the one Chroma shares per path in a
    process: a system loads the HNSW index once and never sees what another system or process wrote
    later, so a process that opens a newer build must not reuse the system it opened for an older one.
    """

    kind = "chroma"
    #: False: builds write a collection nobody answers from (double buffering, assistant/store/build.py)
    shared = False

    def __init__(self, path: Path, collection: str, create: bool = False):
        self._path = Path(path)
        self._init(str(path), collection, create)

    def _init(self, where: str, collection: str, create: bool) -> None:
        self.where, self.collection_name = where, collection
        self._client = self._collection = self._system = None
        try:
            with _CHROMA_LOCK:
                self._client = self._make_client(create)
                if create:
                    self._collection = self._client.get_or_create_collection(
                        collection, metadata={"hnsw:space": "cosine"}, embedding_function=None)
                else:
                    self._collection = self._client.get_collection(collection, embedding_function=None)
        except BaseException as exc:
            self.close()
            raise self._damaged(exc, "kunde inte öppnas") from exc

    def _make_client(self, create: bool):
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        if create:
            self._path.mkdir(parents=True, exist_ok=True)
        elif not (self._path / "chroma.sqlite3").is_file():  # never let a reader create an empty store
            raise FileNotFoundError(str(self._path / "chroma.sqlite3"))
        key = str(self._path)
        systems, refcounts = SharedSystemClient._identifier_to_system, SharedSystemClient._identifier_to_refcount
        shared, shared_refs = systems.pop(key, None), refcounts.pop(key, None)
        try:
            client = chromadb.PersistentClient(path=key, settings=_chroma_settings())
            self._system = systems.pop(key, None)  # ours alone: stopped in close(), never handed to anyone else
            refcounts.pop(key, None)
        finally:
            if shared is not None:  # whoever used the cached system keeps it
                systems[key] = shared
                if shared_refs is not None:
                    refcounts[key] = shared_refs
        return client

    def _damaged(self, exc: BaseException, what: str) -> BaseException:
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, IndexDamaged)):
            return exc
        return IndexDamaged(f"Vektorlagret (Chroma i {self.where}, samlingen {self.collection_name}) {what} "
                            f"({type(exc).__name__}). {REBUILD_HINT}")

    def _call(self, what: str, fn):
        if self._collection is None:
            raise IndexDamaged(f"Vektorlagret ({self.where}) är stängt. {REBUILD_HINT}")
        try:
            return fn()
        except BaseException as exc:  # Chroma's Rust core reports some faults as PanicException (a BaseException)
            raise self._damaged(exc, what) from exc

    def upsert(self, ids, vectors, documents, metadatas) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        ids, documents, metadatas = list(ids), list(documents), list(metadatas)
        for start in range(0, len(ids), CHROMA_BATCH):
            end = start + CHROMA_BATCH
            self._call("kunde inte skrivas", lambda: self._collection.upsert(
                ids=ids[start:end], embeddings=vectors[start:end], documents=documents[start:end],
                metadatas=metadatas[start:end]))

    def delete(self, ids) -> None:
        ids = list(ids)
        for start in range(0, len(ids), CHROMA_BATCH):
            self._call("kunde inte skrivas", lambda: self._collection.delete(ids=ids[start:start + CHROMA_BATCH]))

    def query(self, vector, k, ids_subset=None) -> list[tuple[str, float]]:
        if k <= 0:
            return []
        extra = {} if ids_subset is None else {"ids": list(ids_subset)}
        result = self._call("kunde inte läsas", lambda: self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=k, include=["distances"], **extra))
        return [(vid, 1.0 - float(distance)) for vid, distance in zip(result["ids"][0], result["distances"][0])]

    def count(self) -> int:
        return int(self._call("kunde inte läsas", lambda: self._collection.count()))

    def ids(self) -> set[str]:
        out: set[str] = set()
        page = 50_000
        while True:
            got = self._call("kunde inte läsas",
                             lambda: self._collection.get(include=[], limit=page, offset=len(out)))["ids"]
            out.update(got)
            if len(got) < page:
                return out

    def drop_collection(self) -> None:
        """Delete the whole collection (a generation that no build uses any more)."""
        self._call("kunde inte tas bort", lambda: self._client.delete_collection(self.collection_name))
        self.close()

    def close(self) -> None:
        self._collection = None
        system, self._system = self._system, None
        if system is not None:
            try:
                system.stop()
            except Exception:
                pass

    def __del__(self):  # a dropped LoadedIndex lets go of its own Chroma system
        try:
            self.close()
        except Exception:
            pass


class ChromaHttpVectorStore(ChromaVectorStore):
    """One collection on a Chroma server (``chroma run``), shared by every app process."""

    kind = "chroma-http"
    #: True: one collection, written while others answer from it (the server owns its files)
    shared = True

    def __init__(self, host: str, port: int, collection: str, create: bool = False):
        self._host, self._port = host, port
        self._init(f"http://{host}:{port}", collection, create)

    def _make_client(self, create: bool):
        import chromadb

        return chromadb.HttpClient(host=self._host, port=self._port, settings=_chroma_settings())

    def _damaged(self, exc: BaseException, what: str) -> BaseException:
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, IndexDamaged)):
            return exc
        return IndexDamaged(f"Vektorlagret på Chroma-servern {self.where} (samlingen {self.collection_name}) {what} "
                            f"({type(exc).__name__}). Kontrollera att servern kör. {REBUILD_HINT}")

    def close(self) -> None:
        self._collection = None
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()  # an HttpClient owns a system of its own (keyed by a fresh uuid)
            except Exception:
                pass


# ------------------------------------------------------------------ factory
def store_id(settings: Settings) -> str:
    """Where the vectors live; a change (backend, another Chroma server) means the index must be rebuilt."""
    if settings.vector_store == "chroma-http":
        return f"chroma-http://{settings.chroma_host}:{settings.chroma_port}"
    return settings.vector_store


def chroma_root(settings: Settings) -> Path:
    """The embedded Chroma's folder; one sub-folder per generation."""
    return Path(settings.index_dir) / "chroma"


def collection_for(settings: Settings, generation: str) -> str:
    """The collection's name: ``collection_name`` in a generation's own folder (embedded), or
    ``<collection_name>-<generation>`` on a server."""
    if settings.vector_store == "chroma-http":
        return f"{settings.collection_name}-{generation}"
    return settings.collection_name


def open_vector_store(settings: Settings, generation: str = "", *, create: bool = False,
                      build_ids: Sequence[str] = (), build_vectors: np.ndarray | None = None) -> VectorStore:
    """The store ``settings.vector_store`` names, for one generation of the collection.

    ``build_ids`` / ``build_vectors``: the build's own ids and vectors, which the exact store scores
    (the Chroma stores hold their own copy and ignore them). ``create``: make the collection if it is
    not there (writers); readers get :class:`IndexDamaged` for a missing or unreadable one.
    """
    if settings.vector_store == "exact":
        return ExactVectorStore(build_ids, build_vectors)
    if not generation:
        raise IndexDamaged(f"Indexet byggdes utan Chroma men inställningen är vector_store={settings.vector_store!r}. "
                           f"{REBUILD_HINT}")
    if settings.vector_store == "chroma-http":
        return ChromaHttpVectorStore(settings.chroma_host, settings.chroma_port, collection_for(settings, generation),
                                     create=create)
    return ChromaVectorStore(chroma_root(settings) / generation, collection_for(settings, generation), create=create)


def list_generations(settings: Settings) -> set[tuple[str, str]]:
    """(store id, generation) of every generation there is: embedded folders, and with
    ``vector_store="chroma-http"`` the server's collections that carry our name prefix."""
    root = chroma_root(settings)
    found = {("chroma", p.name) for p in root.iterdir() if p.is_dir()} if root.is_dir() else set()
    if settings.vector_store == "chroma-http":
        import chromadb

        prefix = f"{settings.collection_name}-"
        client = None
        try:
            with _CHROMA_LOCK:
                client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                             settings=_chroma_settings())
            names = [getattr(c, "name", c) for c in client.list_collections()]
        except Exception:  # the server is away: the next build tries again
            names = []
        finally:
            if client is not None:
                client.close()
        found |= {(store_id(settings), name[len(prefix):]) for name in names if name.startswith(prefix)}
    return found


def copy_generation(settings: Settings, source: str, target: str) -> None:
    """Copy an embedded generation that no one writes (the published one) to a new folder.

    The HNSW segment folders are copied as files (only writers change them, and the ingest lock
    keeps writers out), the SQLite file through SQLite's backup API (readers record themselves in
    it). 0.5 s for 100k chunks here, against ~150 s to insert them again.
    """
    import shutil
    import sqlite3

    src, dst = chroma_root(settings) / source, chroma_root(settings) / target
    if not (src / "chroma.sqlite3").is_file():
        raise FileNotFoundError(str(src / "chroma.sqlite3"))
    dst.mkdir(parents=True)
    for part in src.iterdir():
        if part.is_dir():
            shutil.copytree(part, dst / part.name)
    reader = sqlite3.connect(f"file:{src / 'chroma.sqlite3'}?mode=ro", uri=True)
    writer = sqlite3.connect(dst / "chroma.sqlite3")
    try:
        reader.backup(writer)
    except sqlite3.DatabaseError as exc:
        raise OSError(f"backup of {src} failed: {exc}") from exc
    finally:
        writer.close()
        reader.close()


#: The files of an embedded Chroma HNSW segment (``index_metadata.pickle`` appears once it grows).
HNSW_FILES = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")


def check_generation(settings: Settings, generation: str, expected: int) -> str:
    """Why an embedded generation cannot serve ``expected`` vectors ("" when it looks intact).

    Read-only and without Chroma (opening a collection lets Chroma rewrite its files): SQLite's
    ``quick_check`` on ``chroma.sqlite3`` opened read-only, the number of records, and the HNSW
    segment's files present."""
    import sqlite3

    folder = chroma_root(settings) / generation
    database = folder / "chroma.sqlite3"
    if not generation or not database.is_file():
        return "chroma.sqlite3 saknas"
    connection = None
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            return "chroma.sqlite3 är skadad"
        count = connection.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        segments = [row[0] for row in connection.execute("SELECT id FROM segments WHERE scope = 'VECTOR'")]
    except sqlite3.Error:
        return "chroma.sqlite3 är skadad"
    finally:
        if connection is not None:
            connection.close()
    if count < expected:
        return f"vektorlagret har {count} av {expected} vektorer"
    for segment in segments:
        if (folder / segment).is_dir() and not all((folder / segment / name).is_file() for name in HNSW_FILES):
            return "vektorlagrets HNSW-filer saknas"
    return ""


def drop_generation(settings: Settings, where: str, generation: str) -> None:
    """Remove a generation that no build uses: its folder, or its collection on the server. Best effort."""
    import shutil

    if not generation:
        return
    if where == "chroma":
        shutil.rmtree(chroma_root(settings) / generation, ignore_errors=True)
    elif where == store_id(settings) and settings.vector_store == "chroma-http":
        try:
            ChromaHttpVectorStore(settings.chroma_host, settings.chroma_port,
                                  f"{settings.collection_name}-{generation}").drop_collection()
        except Exception:  # already gone, or the server is away: the next build tries again
            pass
