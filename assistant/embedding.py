"""Embedding backends behind one small interface (the e5 model via sentence-transformers by default)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.settings import Settings


class EmbeddingError(Exception):
    """The embedding model is missing or broken; the message names the fix."""


class Embedder(Protocol):
    """What the index and retriever need from an embedding model."""

    model_id: str

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (multilingual-e5-small by default) with e5 prefixes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = Path(settings.embedding_model_path)
        if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
            raise EmbeddingError(
                f"Embeddingmodellen saknas i {self.path}. Kör `make setup` eller "
                "`python -m assistant.model_prep` för att förbereda den."
            )
        self.model_id = f"{self.path.name}@{_folder_fingerprint(self.path)}"
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    import torch
                    from sentence_transformers import SentenceTransformer

                    torch.set_num_threads(max(1, self.settings.embedding_threads))
                    model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
                    model.max_seq_length = self.settings.embedding_max_seq_length
                    self._model = model
        return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=self.settings.embedding_batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        prefix = self.settings.embedding_passage_prefix
        return self._encode([prefix + text for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.settings.embedding_query_prefix + text])[0]


def _folder_fingerprint(path: Path) -> str:
    """Short hash of a model folder's config and weight sizes (changes when the model changes)."""
    digest = hashlib.sha1()
    for file in sorted(path.glob("*")):
        if file.is_file():
            digest.update(file.name.encode())
            digest.update(str(file.stat().st_size).encode())
    stamp = path / "prepared.json"
    if stamp.exists():
        digest.update(stamp.read_bytes())
    return digest.hexdigest()[:12]


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (loaded once, lazily)."""
    key = str(settings.embedding_model_path)
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = SentenceTransformerEmbedder(settings)
        return _EMBEDDERS[key]
