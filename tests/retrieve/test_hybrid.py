"""Hybrid retrieval (assistant.retrieve.hybrid): RRF fusion, council/source filters, abbreviations, scores.

The fast tests run :func:`retrieve` over a tiny hand-made index with exact cosine search and chosen BM25
scores, so the ranks that go into the fusion are known exactly. The slow tests use the session's index
of the project corpus (``built_assistant``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from corpus_names import MELLANSVERIGE, NATIONAL, PRESENTATION, SODRA, UPPDRAG

from assistant.lang.councils import COUNCIL_NATIONAL
from assistant.lang.glossary import expand_query
from assistant.lang.tokens import tokenize
from assistant.retrieve import hybrid
from assistant.retrieve.hybrid import abbreviations, retrieve
from assistant.schema import Chunk
from assistant.settings import Settings

_BUILD_IDS = itertools.count()


class FakeIndex:
    """The parts of LoadedIndex that retrieve() uses, over a few chunks with chosen vectors.

    Dense search is exact cosine over the allowed sources; BM25 is a count of query tokens per chunk,
    or fixed scores given to the constructor.
    """

    def __init__(self, rows, settings, lexicon=None, lexical=None):
        """rows: (source, council, text, vector) per chunk."""
        self.settings = settings
        self.chunks = [Chunk(f"c{i}", source, source, council, "", i + 1, i + 1, "paragraph", text)
                       for i, (source, council, text, _) in enumerate(rows)]
        vectors = np.array([vector for *_, vector in rows], dtype=np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self._documents = {source: {"council": council, "title": source} for source, council, *_ in rows}
        self.lexicon = {} if lexicon is None else lexicon
        self.build_id = f"fake-build-{next(_BUILD_IDS)}"
        self._lexical = None if lexical is None else np.asarray(lexical, dtype=np.float32)
        self.bm25_queries: list[list[str]] = []

    def source_mask(self, sources) -> np.ndarray:
        return np.array([chunk.source in set(sources) for chunk in self.chunks], dtype=bool)

    def dense_search(self, query_vector, k, sources=None):
        rows = np.flatnonzero(self.source_mask(sources)) if sources else np.arange(len(self.chunks))
        scores = self.vectors[rows] @ query_vector
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(rows[i]), float(scores[i])) for i in order]

    def bm25_scores(self, query_tokens):
        self.bm25_queries.append(list(query_tokens))
        if self._lexical is not None:
            return self._lexical.copy()
        query = set(query_tokens)
        return np.array([float(sum(t in query for t in tokenize(c.text))) for c in self.chunks], dtype=np.float32)

    def documents(self):
        return self._documents


def _settings(**overrides) -> Settings:
    values = {"top_k": 8, "dense_candidates": 30, "bm25_candidates": 30, "rrf_k": 60}
    values.update(overrides)
    return Settings(**values)


def _unit(*values) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


# ------------------------------------------------------------------ fusion (fast)
def test_rrf_fuses_dense_and_lexical_ranks():
    # dense ranks against the query (1, 0, 0): chunk 0, chunk 1, chunk 2; lexical: chunk 2 (4.0), chunk 0 (2.0)
    rows = [("a.txt", "X", "alfa", (1.0, 0.1, 0.0)),
            ("a.txt", "X", "beta", (1.0, 0.5, 0.0)),
            ("b.txt", "Y", "gamma", (1.0, 2.0, 0.0))]
    settings = _settings()
    index = FakeIndex(rows, settings, lexical=[2.0, 0.0, 4.0])
    hits = retrieve(index, _unit(1, 0, 0), "fråga", settings)

    k = settings.rrf_k
    expected = {0: 1 / (k + 1) + 1 / (k + 2), 1: 1 / (k + 2), 2: 1 / (k + 3) + 1 / (k + 1)}
    assert [h.position for h in hits] == [0, 2, 1]  # in both lists beats in one; chunk 1 has no lexical score
    for hit in hits:
        assert hit.score == pytest.approx(expected[hit.position])
        assert hit.chunk is index.chunks[hit.position]
        assert hit.dense == pytest.approx(float(index.vectors[hit.position] @ _unit(1, 0, 0)), abs=1e-6)
    assert [h.lexical for h in hits] == pytest.approx([0.5, 1.0, 0.0])  # divided by the best lexical score


def test_rrf_constant_changes_the_fused_order():
    # A (0): dense rank 1 only. B (1): dense rank 3 and lexical rank 3. With k = 0 a first place
    # (1/1) beats 1/3 + 1/3; with k = 60 being in both lists wins (2/63 > 1/61).
    rows = [("a.txt", "X", "A", (1.0, 0.0, 0.0)),
            ("a.txt", "X", "B", (1.0, 0.8, 0.0)),
            ("a.txt", "X", "C", (1.0, 0.3, 0.0)),
            ("a.txt", "X", "D", (0.0, 0.0, 1.0))]
    lexical = [0.0, 1.0, 3.0, 2.0]
    query = _unit(1, 0, 0)
    for k, expected in ((0, [0, 1]), (60, [1, 0])):
        settings = _settings(rrf_k=k, dense_candidates=3)
        order = [h.position for h in retrieve(FakeIndex(rows, settings, lexical=lexical), query, "q", settings)]
        assert [p for p in order if p in (0, 1)] == expected, (k, order)


def test_top_k_and_candidate_limits():
    rows = [("a.txt", "X", f"ord{i}", (1.0, i / 10, 0.0)) for i in range(10)]
    settings = _settings(top_k=3, dense_candidates=5, bm25_candidates=2)
    index = FakeIndex(rows, settings, lexical=[0.0] * 8 + [1.0, 2.0])
    hits = retrieve(index, _unit(1, 0, 0), "q", settings)
    assert len(hits) == 3
    assert hits[0].position in (0, 9)  # dense rank 1 and lexical rank 1 tie on 1/(k+1)
    assert len(retrieve(index, _unit(1, 0, 0), "q", settings, k=7)) == 7  # 5 dense + 2 lexical candidates
    assert len(retrieve(index, _unit(1, 0, 0), "q", settings, k=20)) == 7


def test_zero_lexical_scores_are_not_ranked():
    rows = [("a.txt", "X", "a", (1.0, 0.0, 0.0)), ("a.txt", "X", "b", (0.0, 1.0, 0.0))]
    settings = _settings(dense_candidates=1)
    hits = retrieve(FakeIndex(rows, settings, lexical=[0.0, 0.0]), _unit(1, 0, 0), "q", settings)
    assert [h.position for h in hits] == [0]
    assert hits[0].lexical == 0.0  # no division by a zero maximum


# ------------------------------------------------------------------ filters (fast)
def _three_councils(settings, **kwargs):
    rows = [("nat.txt", COUNCIL_NATIONAL, "handledning nationellt", (1.0, 0.0, 0.0)),
            ("sodra.txt", "RVKR Södra", "handledning i Södra", (0.9, 0.1, 0.0)),
            ("sodra2.txt", "RVKR Södra", "tandvård i Södra", (0.2, 1.0, 0.0)),
            ("mitt.txt", "RVKR Mellansverige", "handledning handledning i Mellansverige", (0.8, 0.2, 0.0))]
    return FakeIndex(rows, settings, **kwargs)


def test_council_filter_keeps_only_that_councils_documents():
    settings = _settings()
    index = _three_councils(settings)
    everything = retrieve(index, _unit(1, 0, 0), "handledning", settings)
    assert {h.chunk.source for h in everything} == {"nat.txt", "sodra.txt", "sodra2.txt", "mitt.txt"}

    hits = retrieve(index, _unit(1, 0, 0), "handledning", settings, councils=["RVKR Södra"])
    assert {h.chunk.source for h in hits} == {"sodra.txt", "sodra2.txt"}
    # the best lexical chunk overall is Mellansverige's: inside the filter the Södra chunk is the maximum
    assert max(h.lexical for h in hits) == pytest.approx(1.0)

    both = retrieve(index, _unit(1, 0, 0), "handledning", settings, councils=["RVKR Södra", COUNCIL_NATIONAL])
    assert {h.chunk.source for h in both} == {"nat.txt", "sodra.txt", "sodra2.txt"}


def test_source_filter_and_its_intersection_with_councils():
    settings = _settings()
    index = _three_councils(settings)
    hits = retrieve(index, _unit(1, 0, 0), "handledning", settings, sources=["mitt.txt", "nat.txt"])
    assert {h.chunk.source for h in hits} == {"mitt.txt", "nat.txt"}
    hits = retrieve(index, _unit(1, 0, 0), "handledning", settings, councils=["RVKR Södra"],
                    sources=["sodra2.txt", "mitt.txt"])
    assert {h.chunk.source for h in hits} == {"sodra2.txt"}


@pytest.mark.parametrize(("councils", "sources"), [
    (["RVKR Norra"], None),  # a council the index does not have
    (["RVKR Södra"], ["mitt.txt"]),  # council and documents do not overlap
])
def test_empty_allowed_set_returns_nothing(councils, sources):
    settings = _settings()
    index = _three_councils(settings)
    assert retrieve(index, _unit(1, 0, 0), "handledning", settings, councils=councils, sources=sources) == []
    assert index.bm25_queries == []  # returned before any search


def test_unknown_source_gives_no_hits_rather_than_everything():
    settings = _settings()
    hits = retrieve(_three_councils(settings), _unit(1, 0, 0), "handledning", settings, sources=["saknas.txt"])
    assert hits == []


# ------------------------------------------------------------------ abbreviations (fast)
def test_abbreviations_come_from_the_stored_lexicon():
    settings = _settings()
    stored = {"AU": "arbetsutskottet"}
    rows = [("a.txt", "X", "verksamhetsförlagd utbildning (VFU) i regionen", (1.0, 0.0, 0.0))]
    index = FakeIndex(rows, settings, lexicon={"abbreviations": stored})
    assert abbreviations(index) is stored  # not recomputed from the chunk text (which defines VFU)


def test_abbreviations_fall_back_to_the_chunks_once_per_build():
    settings = _settings()
    rows = [("a.txt", "X", "Arbetet med verksamhetsförlagd utbildning (VFU) fortsätter.", (1.0, 0.0, 0.0))]
    index = FakeIndex(rows, settings, lexicon={})
    assert abbreviations(index) == {"VFU": "verksamhetsförlagd utbildning"}
    assert hybrid._ABBREVIATION_CACHE[index.build_id] == {"VFU": "verksamhetsförlagd utbildning"}
    index.chunks = []  # a second call for the same build uses the cached map
    assert abbreviations(index) == {"VFU": "verksamhetsförlagd utbildning"}


def test_query_is_expanded_with_the_abbreviations_long_form():
    settings = _settings()
    rows = [("a.txt", "X", "något om VFU", (1.0, 0.0, 0.0)),
            ("a.txt", "X", "Handledare inom verksamhetsförlagd utbildning", (0.0, 1.0, 0.0))]
    index = FakeIndex(rows, settings, lexicon={"abbreviations": {"VFU": "verksamhetsförlagd utbildning"}})
    hits = retrieve(index, _unit(1, 0, 0), "Hur ser VFU ut?", settings)
    assert set(tokenize("verksamhetsförlagd utbildning")) <= set(index.bm25_queries[-1])
    assert 1 in {h.position for h in hits if h.lexical > 0}  # reached only through the long form


# ------------------------------------------------------------------ the real index (slow)
@pytest.fixture(scope="module")
def real(built_assistant):
    return built_assistant.index, built_assistant.embedder, built_assistant.settings


def _ask(real, question, **kwargs):
    index, embedder, settings = real
    return retrieve(index, embedder.embed_query(question), question, settings, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize(("council", "sources"), [
    ("RVKR Södra", {SODRA}),
    ("RVKR Mellansverige", {MELLANSVERIGE}),
    (COUNCIL_NATIONAL, {NATIONAL, PRESENTATION, UPPDRAG}),
])
def test_real_council_filter(real, council, sources):
    hits = _ask(real, "Vem ansvarar för handledning inom VFU?", councils=[council])
    assert hits
    assert {h.chunk.source for h in hits} <= sources
    assert all(h.chunk.council == council for h in hits)


@pytest.mark.slow
def test_real_source_filter_and_empty_intersection(real):
    hits = _ask(real, "Vem ansvarar för handledning inom VFU?", sources=[MELLANSVERIGE])
    assert hits and {h.chunk.source for h in hits} == {MELLANSVERIGE}
    assert _ask(real, "Vem ansvarar för handledning inom VFU?", councils=["RVKR Södra"], sources=[MELLANSVERIGE]) == []


@pytest.mark.slow
def test_real_scores(real):
    index, _, settings = real
    question = "När följs handledarkompetensen upp i Södra?"
    hits = _ask(real, question)
    assert len(hits) == settings.top_k
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(-1.0 <= h.dense <= 1.0 for h in hits)
    # lexical is the chunk's BM25 score divided by the best BM25 score of the question
    bm25 = index.bm25_scores(tokenize(expand_query(question, abbreviations(index))))
    assert bm25.max() > 0
    for hit in hits:
        assert 0.0 <= hit.lexical <= 1.0
        assert hit.lexical == pytest.approx(float(bm25[hit.position] / bm25.max()), rel=1e-5)
    # the Södra activity row on handledarkompetens (corpus/002_…: "Q3 2026", follow-up "Q1 2027")
    assert any(h.chunk.source == SODRA and "handledarkompetens" in h.chunk.text for h in hits)


@pytest.mark.slow
def test_real_abbreviations_use_the_stored_lexicon(real):
    index, _, _ = real
    assert "abbreviations" in index.lexicon
    assert abbreviations(index) is index.lexicon["abbreviations"]
    # "verksamhetsförlagd utbildning (VFU)" in the Södra plan and "Verksamhetsförlagd utbildning (VFU)" nationally
    assert abbreviations(index)["VFU"] == "verksamhetsförlagd utbildning"
