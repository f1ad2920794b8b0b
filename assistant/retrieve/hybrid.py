"""Hybrid retrieval: dense (e5 vectors) + BM25 (Swedish stems), fused with reciprocal rank fusion.

Councils named in the question ("Södra", "Mellansverige", "nationella rådet", a county such as
"Dalarna") restrict the search to their documents when the index has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.lang.abbreviations import find_abbreviations
from assistant.lang.glossary import expand_query
from assistant.lang.tokens import tokenize
from assistant.schema import Chunk
from assistant.settings import Settings
from assistant.store.loaded import LoadedIndex


@dataclass
class Hit:
    """A retrieved chunk with its fused and per-retriever scores."""

    position: int
    chunk: Chunk
    score: float
    dense: float
    lexical: float


_ABBREVIATION_CACHE: dict[str, dict[str, str]] = {}


def abbreviations(index: LoadedIndex) -> dict[str, str]:
    """Abbreviation map of an index build (computed once per build)."""
    if "abbreviations" in index.lexicon:
        return index.lexicon["abbreviations"]
    if index.build_id not in _ABBREVIATION_CACHE:
        _ABBREVIATION_CACHE[index.build_id] = find_abbreviations([chunk.text for chunk in index.chunks])
    return _ABBREVIATION_CACHE[index.build_id]


def _rrf(ranked: list[int], k: int) -> dict[int, float]:
    return {position: 1.0 / (k + rank + 1) for rank, position in enumerate(ranked)}


def retrieve(index: LoadedIndex, query_vector: np.ndarray, question: str, settings: Settings,
             councils: list[str] | None = None, sources: list[str] | None = None, k: int | None = None) -> list[Hit]:
    """Top chunks for a question, optionally restricted to councils and/or source files."""
    k = k or settings.top_k
    allowed = set(sources) if sources else None
    if councils:
        council_sources = {name for name, meta in index.documents().items() if meta.get("council") in councils}
        allowed = (allowed & council_sources) if allowed is not None else council_sources
    if allowed is not None and not allowed:
        return []

    dense_hits = index.dense_search(query_vector, settings.dense_candidates, sorted(allowed) if allowed else None)

    lexical = index.bm25_scores(tokenize(expand_query(question, abbreviations(index))))
    if allowed is not None:
        lexical = np.where(index.source_mask(allowed), lexical, 0.0)
    lexical_ranked = [int(i) for i in np.argsort(-lexical)[: settings.bm25_candidates] if lexical[i] > 0]

    fused: dict[int, float] = {}
    for scores in (_rrf([p for p, _ in dense_hits], settings.rrf_k), _rrf(lexical_ranked, settings.rrf_k)):
        for position, value in scores.items():
            fused[position] = fused.get(position, 0.0) + value
    top_lexical = float(lexical.max()) if len(lexical) else 0.0
    best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
    dense = index.vectors[[position for position, _ in best]] @ query_vector if best else []
    return [Hit(position, index.chunks[position], score, float(similarity),
                float(lexical[position]) / top_lexical if top_lexical else 0.0)
            for (position, score), similarity in zip(best, dense)]
