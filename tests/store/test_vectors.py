"""The VectorStore implementations behave alike: exact NumPy cosine vs embedded Chroma (HNSW)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.settings import Settings
from assistant.store.errors import IndexDamaged
from assistant.store.vectors import (
    ChromaVectorStore,
    ExactVectorStore,
    VectorStore,
    open_vector_store,
    store_id,
)


def random_unit(n: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture()
def pair(tmp_path):
    """The same 600 random records in an exact store and in an embedded Chroma collection."""
    vectors = random_unit(600, 48, seed=1)
    ids = [f"v{i:04d}" for i in range(len(vectors))]
    docs = [f"text {i}" for i in range(len(vectors))]
    metas = [{"source": f"doc{i % 7}.txt"} for i in range(len(vectors))]
    exact = ExactVectorStore()
    chroma = ChromaVectorStore(tmp_path / "chroma", "chunks-test", create=True)
    for store in (exact, chroma):
        store.upsert(ids, vectors, docs, metas)
    yield exact, chroma, vectors, ids
    chroma.close()


def test_both_implement_the_protocol(pair):
    exact, chroma, _, _ = pair
    assert isinstance(exact, VectorStore) and isinstance(chroma, VectorStore)


def test_top_k_agrees(pair):
    exact, chroma, _, _ = pair
    queries = random_unit(25, 48, seed=2)
    for query in queries:
        a, b = exact.query(query, 10), chroma.query(query, 10)
        assert [i for i, _ in a] == [i for i, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-4)
        assert all(x >= y for (_, x), (_, y) in zip(a, a[1:])), "best first"


def test_subset_query_agrees(pair):
    exact, chroma, _, ids = pair
    subset = ids[::9]
    query = random_unit(1, 48, seed=3)[0]
    a, b = exact.query(query, 5, ids_subset=subset), chroma.query(query, 5, ids_subset=subset)
    assert [i for i, _ in a] == [i for i, _ in b] and {i for i, _ in a} <= set(subset)


def test_upsert_is_idempotent_and_delete_ignores_unknown_ids(pair):
    exact, chroma, vectors, ids = pair
    for store in (exact, chroma):
        store.upsert(ids[:50], vectors[:50], ["x"] * 50, [{"source": "a"}] * 50)  # again: nothing new
        assert store.count() == len(ids)
        store.delete(ids[:10] + ["never-there"])
        assert store.count() == len(ids) - 10 and store.ids() == set(ids[10:])
        replaced = random_unit(1, 48, seed=9)
        store.upsert([ids[20]], replaced, ["y"], [{"source": "b"}])
        assert store.query(replaced[0], 1)[0][0] == ids[20]
        assert store.count() == len(ids) - 10


def test_factory_follows_the_setting(tmp_path):
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    assert settings.vector_store == "chroma" and store_id(settings) == "chroma"
    store = open_vector_store(settings, "g1", create=True)
    assert isinstance(store, ChromaVectorStore)
    assert (tmp_path / "index" / "chroma" / "g1" / "chroma.sqlite3").is_file()
    store.close()
    exact = open_vector_store(settings.model_copy(update={"vector_store": "exact"}), build_ids=["a"],
                              build_vectors=random_unit(1, 8, seed=4))
    assert isinstance(exact, ExactVectorStore) and exact.count() == 1
    with pytest.raises(IndexDamaged, match="assistant ingest --rebuild"):
        open_vector_store(settings, "missing-generation")  # a reader never creates an empty store
    assert not (tmp_path / "index" / "chroma" / "missing-generation").exists()
    assert Settings(vector_store="http").vector_store == "chroma-http"  # the names used before still work
    assert Settings(vector_store="embedded").vector_store == "chroma"


def test_a_new_store_sees_what_another_wrote(tmp_path):
    """Each store has its own Chroma system: one opened later sees records written after the first opened."""
    vectors = random_unit(40, 16, seed=5)
    writer = ChromaVectorStore(tmp_path / "c", "chunks-x", create=True)
    writer.upsert([f"a{i}" for i in range(30)], vectors[:30], ["t"] * 30, [{"s": 1}] * 30)
    early = ChromaVectorStore(tmp_path / "c", "chunks-x")
    early.query(vectors[0], 1)
    writer.upsert([f"a{i}" for i in range(30, 40)], vectors[30:], ["t"] * 10, [{"s": 1}] * 10)
    late = ChromaVectorStore(tmp_path / "c", "chunks-x")
    assert late.query(vectors[35], 1)[0][0] == "a35"
    assert early.query(vectors[0], 1)[0][0] == "a0"  # the early one keeps answering from what it loaded
    for store in (writer, early, late):
        store.close()
