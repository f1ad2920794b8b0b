"""A read-only view of one published build: chunks, records, documents, BM25 and the vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.schema import ActivityRecord, Chunk
from assistant.settings import Settings
from assistant.store.build import (
    _CHROMA_LOCK,
    INDEX_FORMAT_VERSION,
    _collection_name,
    chroma_client,
    current_build_dir,
    read_manifest,
)
from assistant.store.errors import REBUILD_HINT, IndexDamaged, IndexNotFound


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


def load_index(settings: Settings) -> LoadedIndex:
    """Open the active build; raises :class:`IndexNotFound` / :class:`IndexDamaged` with a fix."""
    build_dir = current_build_dir(settings)
    if build_dir is None:
        raise IndexNotFound(f"Inget index hittades i {settings.index_dir}. Kör `assistant ingest` för att bygga det.")
    return LoadedIndex(settings, build_dir)
