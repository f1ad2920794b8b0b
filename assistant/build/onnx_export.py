"""Export the prepared e5 model to ONNX (float32, and an int8 variant) for fast CPU inference.

The exported graph takes ``input_ids`` and ``attention_mask`` and returns the mean-pooled,
L2-normalised sentence embedding, so onnxruntime and the ``tokenizers`` library are all a query
needs: no torch import on the answer path. The float32 graph gives the same vectors as the
sentence-transformers model (cosine ≥ 0.99999); the int8 graph (dynamic quantisation of the weights)
is smaller and faster but moves vectors a little, so it is opt-in (``ASSISTANT_EMBEDDING_BACKEND``).

    python -m assistant.build.onnx_export --model models/multilingual-e5-small

The files go to ``<model>/onnx/`` with a stamp (``export.json``) tying them to the weights they came
from; an export whose stamp matches is skipped. Files are written under temporary names and renamed
into place, so an interrupted export never leaves a half-written model behind.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from assistant.build.reference import load_reference
from assistant.embedding import OnnxEncoder
from assistant.embedding.onnx import (
    EXPORT_VERSION,
    FLOAT_FILE,
    INT8_FILE,
    ONNX_DIR,
    STAMP_FILE,
    export_is_current,
    onnx_path,
    weights_sha,
)
from assistant.settings import get_settings

OPSET = 17
#: Minimum cosine between the float32 graph and the sentence-transformers folder's reference vectors.
MIN_FLOAT_COSINE = 0.995
#: Minimum cosine for the int8 graph (quantisation moves vectors; measured ≈ 0.98 on the eval questions).
MIN_INT8_COSINE = 0.95


class ExportError(RuntimeError):
    """The ONNX export or its self-test failed; the message says what to do."""


def _export_float(model_dir: Path, target: Path) -> None:
    """Trace the BERT encoder plus mean pooling and normalisation into one ONNX graph."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class SentenceEncoder(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    ids = torch.tensor([[0, 1313, 12, 2]], dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python-level branches fixed at export
        torch.onnx.export(SentenceEncoder(model).eval(), (ids, torch.ones_like(ids)), str(target),
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic warns on the root logger about optional pre-processing
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)


def self_test(model_dir: Path, quantized: bool) -> float:
    """Minimum cosine between the graph's vectors and the stored reference vectors."""
    reference = load_reference()
    texts = [item["text"] for item in reference["items"]]
    expected = np.asarray([item["vector"] for item in reference["items"]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    got = OnnxEncoder(onnx_path(model_dir, quantized), Path(model_dir) / "tokenizer.json", threads=2).encode(texts)
    return float(np.min(np.sum(got * expected, axis=1)))


def export_onnx(model_dir: Path, force: bool = False) -> dict[str, Any]:
    """Export (if needed) and self-test both graphs; returns the stamp."""
    model_dir = Path(model_dir).resolve()
    folder = model_dir / ONNX_DIR
    if not force and export_is_current(model_dir):
        return json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STAMP_FILE).unlink(missing_ok=True)
    started = time.perf_counter()
    tmp_float, tmp_int8 = folder / f".{FLOAT_FILE}.tmp", folder / f".{INT8_FILE}.tmp"
    try:
        _export_float(model_dir, tmp_float)
        exported = time.perf_counter()
        _quantize(tmp_float, tmp_int8)
        os.replace(tmp_float, folder / FLOAT_FILE)
        os.replace(tmp_int8, folder / INT8_FILE)
    finally:
        for leftover in (tmp_float, tmp_int8):
            leftover.unlink(missing_ok=True)
    cosines = {"float32": self_test(model_dir, False), "int8": self_test(model_dir, True)}
    for name, worst, floor in (("float32", cosines["float32"], MIN_FLOAT_COSINE), ("int8", cosines["int8"], MIN_INT8_COSINE)):
        if worst < floor:
            raise ExportError(f"ONNX-självtestet ({name}) misslyckades: minsta cosinus {worst:.4f} < {floor}. "
                              "Kör `python -m assistant.build.onnx_export --force`.")
    stamp = {
        "version": EXPORT_VERSION, "weights_sha256": weights_sha(model_dir), "opset": OPSET,
        "sizes": {name: (folder / name).stat().st_size for name in (FLOAT_FILE, INT8_FILE)},
        "min_cosine": {name: round(value, 6) for name, value in cosines.items()},
        "export_seconds": round(exported - started, 1), "total_seconds": round(time.perf_counter() - started, 1),
    }
    tmp_stamp = folder / f".{STAMP_FILE}.tmp"
    tmp_stamp.write_text(json.dumps(stamp, indent=2), encoding="utf-8")
    os.replace(tmp_stamp, folder / STAMP_FILE)
    return stamp


def main(argv: list[str] | None = None) -> int:
    """CLI: export the ONNX graphs of a prepared model folder and print the self-test."""
    parser = argparse.ArgumentParser(prog="python -m assistant.build.onnx_export", description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="prepared model folder (default: settings)")
    parser.add_argument("--force", action="store_true", help="export even if the stamp matches")
    args = parser.parse_args(argv)
    model_dir = args.model or get_settings().embedding_model_path
    try:
        stamp = export_onnx(model_dir, force=args.force)
    except ExportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"ONNX klar / ready: {Path(model_dir) / ONNX_DIR}  float32 min cosine {stamp['min_cosine']['float32']:.5f}, "
          f"int8 min cosine {stamp['min_cosine']['int8']:.5f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
