"""Sentence-level evidence: every unit (sentence, list item, record field) of the retrieved chunks,
scored by the embedding model against the question and fused with a lexical score.

A sentence that answers in other words than the question ("inrättas den 1 januari 2020" for "När kom
rådet till?") is found by its vector; the lexical score keeps names and rare words decisive. Unit
vectors are computed at ingest (``units.jsonl`` + ``unit_vectors.npy`` in the build, cached by content
hash like chunk vectors); a build without them gets them on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from assistant.ingest.units import Unit, embed_text, split_units
from assistant.store.loaded import LoadedIndex

_LOCK = threading.Lock()


@dataclass
class UnitIndex:
    """All units of a build: the chunk each belongs to, the unit, and its unit-length vector."""

    positions: np.ndarray          # chunk position of each unit
    units: list[Unit]
    vectors: np.ndarray
    by_chunk: dict[int, np.ndarray]


def _build(index: LoadedIndex, embedder) -> UnitIndex:
    positions, units, texts = [], [], []
    for position, chunk in enumerate(index.chunks):
        for unit in split_units(chunk):
            positions.append(position)
            units.append(unit)
            texts.append(embed_text(chunk, unit))
    stored = getattr(index, "unit_vectors", None)
    if stored is not None and len(stored) == len(units):
        vectors = stored
    else:
        vectors = embedder.embed_passages(texts) if texts else np.zeros((0, index.vectors.shape[1]), dtype=np.float32)
    positions_array = np.asarray(positions, dtype=np.int64)
    by_chunk: dict[int, list[int]] = {}
    for i, position in enumerate(positions):
        by_chunk.setdefault(position, []).append(i)
    return UnitIndex(positions_array, units, np.asarray(vectors, dtype=np.float32),
                     {p: np.asarray(rows, dtype=np.int64) for p, rows in by_chunk.items()})


def unit_index(index: LoadedIndex, embedder) -> UnitIndex:
    """The build's unit index (computed once per loaded build)."""
    cached = getattr(index, "_unit_index", None)
    if cached is None:
        with _LOCK:
            cached = getattr(index, "_unit_index", None)
            if cached is None:
                cached = _build(index, embedder)
                index._unit_index = cached  # type: ignore[attr-defined]
    return cached


@dataclass
class ScoredUnit:
    position: int      # chunk position
    unit: Unit
    dense: float       # cosine with the question
    rank: int          # rank of its chunk in the retrieval


def units_of_hits(index: LoadedIndex, embedder, query_vector: np.ndarray, positions: list[int]) -> list[ScoredUnit]:
    """Every unit of the given chunks with its cosine to the question."""
    units = unit_index(index, embedder)
    out: list[ScoredUnit] = []
    for rank, position in enumerate(positions):
        rows = units.by_chunk.get(position)
        if rows is None or not len(rows):
            continue
        scores = units.vectors[rows] @ query_vector
        out.extend(ScoredUnit(position, units.units[row], float(score), rank) for row, score in zip(rows, scores))
    return out
