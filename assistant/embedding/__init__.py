"""Embedding backends behind one small interface.

* ``onnx`` (default): the e5 model exported to ONNX (``assistant.build.onnx_export``), run by onnxruntime
  with the ``tokenizers`` library — same vectors as sentence-transformers, about 2.5× faster per
  query on this CPU, and no torch import on the answer path.
* ``onnx-int8``: the dynamically quantised graph — faster still, vectors move slightly (cosine ≈ 0.98),
  so the index is embedded with it as well (its own model id).
* ``torch``: sentence-transformers on torch (the reference; used when no ONNX export exists).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from assistant.embedding.base import Embedder, EmbeddingError, require_model_folder
from assistant.embedding.onnx import OnnxEmbedder, OnnxEncoder
from assistant.embedding.torch_backend import SentenceTransformerEmbedder
from assistant.settings import Settings

__all__ = ["Embedder", "EmbeddingError", "OnnxEmbedder", "OnnxEncoder", "SentenceTransformerEmbedder",
           "get_embedder", "make_embedder"]

logger = logging.getLogger(__name__)


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def make_embedder(settings: Settings) -> Embedder:
    """A new embedder of the backend the settings choose (``onnx`` falls back to torch without an export)."""
    backend = settings.embedding_backend
    if backend == "torch":
        return SentenceTransformerEmbedder(settings)
    require_model_folder(Path(settings.embedding_model_path))
    try:
        return OnnxEmbedder(settings, quantized=backend == "onnx-int8")
    except EmbeddingError:
        if backend == "onnx-int8":
            raise
        logger.warning("No ONNX export in %s; using the torch backend (run `python -m assistant.build.onnx_export`).",
                       settings.embedding_model_path)
        return SentenceTransformerEmbedder(settings)


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (loaded once, lazily)."""
    key = f"{settings.embedding_model_path}|{settings.embedding_backend}"
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = make_embedder(settings)
        return _EMBEDDERS[key]
