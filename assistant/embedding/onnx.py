"""The e5 model as an ONNX graph run by onnxruntime (float32 default, int8 opt-in).

The graph and its stamp are written by the build tool ``assistant.build.onnx_export``; this module
only knows where they live and whether they match the model folder's weights.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from assistant.embedding.base import EmbeddingError, folder_fingerprint, require_model_folder, sha256_file
from assistant.settings import Settings

ONNX_DIR = "onnx"
FLOAT_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
STAMP_FILE = "export.json"
EXPORT_VERSION = 1


def onnx_path(model_dir: Path, quantized: bool = False) -> Path:
    """Where the float32 (or int8) graph of a model folder lives."""
    return Path(model_dir) / ONNX_DIR / (INT8_FILE if quantized else FLOAT_FILE)


def weights_sha(model_dir: Path) -> str:
    """The weights' sha256 from model_prep's stamp (so a re-prepared model forces a new export)."""
    try:
        stamp = json.loads((Path(model_dir) / "prepared.json").read_text(encoding="utf-8"))
        return str(stamp["weights"]["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        try:  # a sentence-transformers folder not made by model_prep
            return sha256_file(Path(model_dir) / "model.safetensors")
        except OSError:
            return ""


def export_is_current(model_dir: Path) -> bool:
    """True when both graphs exist and were exported from the model folder's current weights."""
    folder = Path(model_dir) / ONNX_DIR
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (stamp.get("version") == EXPORT_VERSION and stamp.get("weights_sha256") == weights_sha(model_dir)
            and all((folder / name).is_file() and (folder / name).stat().st_size == size
                    for name, size in stamp.get("sizes", {}).items())
            and {FLOAT_FILE, INT8_FILE} <= set(stamp.get("sizes", {})))


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
        self.settings = settings
        self.path = Path(settings.embedding_model_path)
        require_model_folder(self.path)
        self.graph = onnx_path(self.path, quantized)
        if not export_is_current(self.path):  # missing, interrupted, or made from other weights
            raise EmbeddingError(f"ONNX-modellen saknas eller är inaktuell ({self.graph}). Kör `make model` eller "
                                 "`python -m assistant.build.onnx_export`.")
        # float32 gives the sentence-transformers vectors, so it shares their id (and cached embeddings)
        fingerprint = folder_fingerprint(self.path)
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
