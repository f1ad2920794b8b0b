"""sentence-transformers on torch: the reference backend (used when no ONNX export exists).

torch is imported lazily, when the model is first used: the answer path on the ONNX backend never
imports it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from assistant.embedding.base import folder_fingerprint, require_model_folder
from assistant.settings import Settings


class SentenceTransformerEmbedder:
    """A local sentence-transformers model (multilingual-e5-small by default) with e5 prefixes."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = Path(settings.embedding_model_path)
        require_model_folder(self.path)
        self.model_id = f"{self.path.name}@{folder_fingerprint(self.path)}"
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
