"""Fixtures for the vector-store tests: a small corpus and a deterministic stand-in for e5 (no model)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.settings import Settings

PROJECT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SMALL_DOCS = ("000_a136ead4faa7fb25.txt", "004_6fc778f79882cfcd.txt")
DIM = 32


def unit(seed_text: str, dim: int = DIM) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(seed_text.encode("utf-8")).digest()[:8], "little")
    vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


class HashEmbedder:
    """Unit vectors derived from the text's hash: deterministic, fast, no model; counts passages."""

    model_id = "hash-embedder-test"

    def __init__(self):
        self.passages = 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return np.stack([unit(text) for text in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)

    def embed_query(self, text):
        return unit("query:" + text)


@pytest.fixture()
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture()
def store_settings(tmp_path) -> Settings:
    """Two small corpus documents and an empty index; the default backend (embedded Chroma)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL_DOCS:
        shutil.copyfile(PROJECT_CORPUS / name, corpus / name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
