"""A read-only view of one published build: chunks, records, documents, BM25 and the vectors."""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np

from assistant.schema import ActivityRecord, Chunk
from assistant.settings import Settings
from assistant.store.build import INDEX_FORMAT_VERSION, current_build_dir, read_manifest
from assistant.store.errors import REBUILD_HINT, IndexDamaged, IndexNotFound
from assistant.store.vectors import VectorStore, exact_top_k, open_vector_store


class LoadedIndex:
    """A read-only view of one build: chunks, records, documents, BM25, its vectors and the vector store."""

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
            self.vector_ids: list[str] = json.loads((build_dir / "vector_ids.json").read_text(encoding="utf-8"))
            self.bm25 = bm25s.BM25.load(str(build_dir / "bm25"), show_progress=False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexDamaged(f"Indexet i {build_dir} är skadat ({type(exc).__name__}). {REBUILD_HINT}") from exc
        if not (len(self.vectors) == len(self.chunks) == len(self.vector_ids)):
            raise IndexDamaged(f"Indexet är inkonsekvent (vektorer och textavsnitt stämmer inte). {REBUILD_HINT}")
        self.by_id = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.source_names = sorted({chunk.source for chunk in self.chunks})
        self.source_position = {name: i for i, name in enumerate(self.source_names)}
        self.chunk_source_ids = np.array([self.source_position[chunk.source] for chunk in self.chunks], dtype=np.int64)
        self.by_vector_id = {vid: i for i, vid in enumerate(self.vector_ids)}
        self.lexicon = _read_lexicon(build_dir)
        self.unit_vectors = _read_optional_vectors(build_dir / "unit_vectors.npy")
        self._store: VectorStore | None = None
        self._store_count = 0
        self._store_lock = threading.Lock()

    @property
    def build_id(self) -> str:
        return self.build_dir.name

    @property
    def store(self) -> VectorStore:
        """The vector store of this build, opened on first use (:class:`IndexDamaged` if it is unusable)."""
        with self._store_lock:
            if self._store is None:
                store = open_vector_store(self.settings, str(self.manifest.get("vector_generation") or ""),
                                          build_ids=self.vector_ids, build_vectors=self.vectors)
                count = store.count()
                if count < len(self.chunks):
                    store.close()
                    raise IndexDamaged(f"Vektorlagret saknar vektorer för indexet ({count} av {len(self.chunks)}). "
                                       f"{REBUILD_HINT}")
                self._store, self._store_count = store, count
            return self._store

    def source_mask(self, sources) -> np.ndarray:
        """Boolean mask of the chunks whose source is in ``sources`` (O(chunks), integer look-up)."""
        allowed = np.zeros(len(self.source_names) + 1, dtype=bool)
        for source in sources:
            position = self.source_position.get(source)
            if position is not None:
                allowed[position] = True
        return allowed[self.chunk_source_ids]

    def dense_search(self, query_vector: np.ndarray, k: int, sources: list[str] | None = None) -> list[tuple[int, float]]:
        """(chunk position, cosine similarity) of the ``k`` nearest chunks, best first.

        Unfiltered: a query to the vector store ``settings.vector_store`` names (Chroma's HNSW index by
        default, exact cosine over ``vectors.npy`` with ``"exact"``), so a broken store shows at once as
        :class:`IndexDamaged`. A shared collection (a Chroma server) also holds other builds' ids (the
        previous build's, the next one's while it is written), so ids this build does not know are
        over-fetched and dropped. Filtered
        (a council's or a user's choice of documents): the allowed rows of ``vectors.npy`` are always
        scored exactly, whatever the backend — Chroma's metadata filter costs ~190 ms at 100k chunks,
        an exact product over one council's rows a few milliseconds (bench/README.md).
        """
        if not self.chunks or k <= 0:
            return []
        if sources:
            rows = np.flatnonzero(self.source_mask(sources))
            return exact_top_k(self.vectors, query_vector, k, rows)
        store = self.store
        k = min(k, len(self.chunks))
        total = max(self._store_count, len(self.chunks))
        foreign = total - len(self.chunks)
        n = min(total, k + (math.ceil(2 * k * foreign / len(self.chunks)) + 10 if foreign else 0))
        while True:
            found = store.query(query_vector, n)
            hits = [(self.by_vector_id[vid], score) for vid, score in found if vid in self.by_vector_id]
            if len(hits) >= k or len(found) < n:
                return hits[:k]
            if n >= total:  # a writer may have added records since the store was opened
                fresh = store.count()
                if fresh <= total:
                    return hits[:k]
                total = fresh
            n = min(total, n * 4)

    def bm25_scores(self, query_tokens: list[str]) -> np.ndarray:
        if not self.chunks or not query_tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(query_tokens), dtype=np.float32)[: len(self.chunks)]

    def councils(self) -> list[str]:
        """The councils the indexed documents belong to (as named in the index), sorted."""
        return sorted({meta.get("council", "") for meta in self.documents().values() if meta.get("council")})

    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})


def _read_optional_vectors(path: Path) -> np.ndarray | None:
    """Vectors a build may have (the evidence units'); None for older builds or an unreadable file."""
    try:
        return np.load(path)
    except (OSError, ValueError):
        return None


def _read_lexicon(build_dir: Path) -> dict:
    """Abbreviations and document frequencies computed at ingest (empty for older builds)."""
    try:
        return json.loads((build_dir / "lexicon.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def load_index(settings: Settings) -> LoadedIndex:
    """Open the active build; raises :class:`IndexNotFound` / :class:`IndexDamaged` with a fix."""
    build_dir = current_build_dir(settings)
    if build_dir is None:
        raise IndexNotFound(f"Inget index hittades i {settings.index_dir}. Kör `assistant ingest` för att bygga det.")
    return LoadedIndex(settings, build_dir)
