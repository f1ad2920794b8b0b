"""Embedding backends behind one small interface.

* ``onnx`` (default): the e5 model exported to ONNX (``assistant.onnx_export``), run by onnxruntime
  with the ``tokenizers`` library — same vectors as sentence-transformers, about 2.5× faster per
  query on this CPU, and no torch import on the answer path.
* ``onnx-int8``: the dynamically quantised graph — faster still, vectors move slightly (cosine ≈ 0.98),
  so the index is embedded with it as well (its own model id).
* ``torch``: sentence-transformers on torch (the reference; used when no ONNX export exists).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.settings import Settings

logger = logging.getLogger(__name__)


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
        _require_model_folder(self.path)
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


class OnnxEncoder:
    """An exported e5 graph plus its tokenizer: texts in, L2-normalised vectors out."""

    def __init__(self, graph: Path, tokenizer_file: Path, threads: int = 2, max_tokens: int = 512, batch_size: int = 16,
                 spin_wait: bool = False):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # Spinning pool threads answer a lone query faster but burn the cores that concurrent requests need.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin_wait else "0")
        self.session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(max_tokens)
        self.pad_id = self.tokenizer.token_to_id("<pad>") or 0
        self.batch_size = max(1, batch_size)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts (prefixes already added), batching texts of similar length together."""
        if not texts:
            width = self.session.get_outputs()[0].shape[-1]
            return np.zeros((0, width if isinstance(width, int) else 0), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors: list[np.ndarray | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            batch = order[start:start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            output = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            for row, i in enumerate(batch):
                vectors[i] = output[row]
        return np.asarray(vectors, dtype=np.float32)


class OnnxEmbedder:
    """The e5 model through onnxruntime (float32 or int8 graph) with e5 prefixes."""

    def __init__(self, settings: Settings, quantized: bool = False):
        from assistant.onnx_export import export_is_current, onnx_path

        self.settings = settings
        self.path = Path(settings.embedding_model_path)
        _require_model_folder(self.path)
        self.graph = onnx_path(self.path, quantized)
        if not export_is_current(self.path):  # missing, interrupted, or made from other weights
            raise EmbeddingError(f"ONNX-modellen saknas eller är inaktuell ({self.graph}). Kör `make model` eller "
                                 "`python -m assistant.onnx_export`.")
        # float32 gives the sentence-transformers vectors, so it shares their id (and cached embeddings)
        fingerprint = _folder_fingerprint(self.path)
        self.model_id = f"{self.path.name}@{fingerprint}" + ("+onnx-int8" if quantized else "")
        self._encoder: OnnxEncoder | None = None
        self._lock = threading.Lock()

    @property
    def encoder(self) -> OnnxEncoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = OnnxEncoder(self.graph, self.path / "tokenizer.json",
                                                threads=self.settings.embedding_threads,
                                                max_tokens=self.settings.embedding_max_seq_length,
                                                batch_size=self.settings.embedding_batch_size,
                                                spin_wait=self.settings.embedding_spin_wait)
        return self._encoder

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        prefix = self.settings.embedding_passage_prefix
        return self.encoder.encode([prefix + text for text in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.encoder.encode([self.settings.embedding_query_prefix + text])[0]


def _require_model_folder(path: Path) -> None:
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise EmbeddingError(f"Embeddingmodellen saknas i {path}. Kör `make model` eller "
                             "`python -m assistant.model_prep` för att förbereda den.")


def _folder_fingerprint(path: Path) -> str:
    """Short hash of a model folder's config and weights (changes when the model changes).

    A folder prepared by ``assistant.model_prep`` is identified by its weights' SHA-256 from the stamp,
    so re-preparing the same weights keeps the id (and the cached embeddings); other folders by file
    names and sizes.
    """
    digest = hashlib.sha1()
    for file in sorted(path.glob("*")):
        if file.is_file() and file.name != "prepared.json":
            digest.update(file.name.encode())
            digest.update(str(file.stat().st_size).encode())
    try:
        digest.update(json.loads((path / "prepared.json").read_text(encoding="utf-8"))["weights"]["sha256"].encode())
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return digest.hexdigest()[:12]


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def make_embedder(settings: Settings) -> Embedder:
    """A new embedder of the backend the settings choose (``onnx`` falls back to torch without an export)."""
    backend = settings.embedding_backend
    if backend == "torch":
        return SentenceTransformerEmbedder(settings)
    _require_model_folder(Path(settings.embedding_model_path))
    try:
        return OnnxEmbedder(settings, quantized=backend == "onnx-int8")
    except EmbeddingError:
        if backend == "onnx-int8":
            raise
        logger.warning("No ONNX export in %s; using the torch backend (run `python -m assistant.onnx_export`).",
                       settings.embedding_model_path)
        return SentenceTransformerEmbedder(settings)


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for these settings (loaded once, lazily)."""
    key = f"{settings.embedding_model_path}|{settings.embedding_backend}"
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = make_embedder(settings)
        return _EMBEDDERS[key]
