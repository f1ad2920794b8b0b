"""The embedding interface: what the index and the retriever need from a model, and its errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Protocol

import numpy as np


class EmbeddingError(Exception):
    """The embedding model is missing or broken; the message names the fix."""


class Embedder(Protocol):
    """What the index and retriever need from an embedding model."""

    model_id: str

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def require_model_folder(path: Path) -> None:
    if not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise EmbeddingError(f"Embeddingmodellen saknas i {path}. Kör `make model` eller "
                             "`python -m assistant.build.model_prep` för att förbereda den.")


def folder_fingerprint(path: Path) -> str:
    """Short hash of a model folder's config and weights (changes when the model changes).

    A folder prepared by ``assistant.build.model_prep`` is identified by its weights' SHA-256 from the stamp,
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


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """Streaming sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
