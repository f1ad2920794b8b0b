"""Synthetic builds written through the store's own writer (``write_build``), without a model.

Also a script, for the kill -9 test: ``python synthetic.py INDEX_DIR BUILD_ID N_CHUNKS CHANGED_FROM``
writes one build of ``N_CHUNKS`` chunks whose chunks from ``CHANGED_FROM`` on have new text.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assistant.schema import KIND_PARAGRAPH, Chunk, Document  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.store.build import INDEX_FORMAT_VERSION, write_build  # noqa: E402

DIM = 32
PER_DOC = 20


def corpus(n: int, changed_from: int | None = None, tag: str = "v2"):
    """``n`` chunks in documents of 20; chunks from ``changed_from`` on carry ``tag`` in their text."""
    chunks, documents = [], []
    for start in range(0, n, PER_DOC):
        source = f"syn_{start // PER_DOC:05d}.txt"
        lines = []
        for i in range(start, min(n, start + PER_DOC)):
            text = f"Avsnitt {i} om kompetensförsörjning" + (f" ({tag})" if changed_from is not None and i >= changed_from else "")
            lines.append(text)
            line = len(lines)
            chunks.append(Chunk(chunk_id=f"{source}:{line}-{line}", source=source, title=f"Plan {start // PER_DOC}",
                                council="Syd", section="", line_start=line, line_end=line, kind=KIND_PARAGRAPH, text=text))
        documents.append(Document(path=Path(source), source=source, lines=lines))
    return chunks, documents


def vectors_for(chunks) -> np.ndarray:
    """One unit vector per chunk, seeded by a hash of its text (the same text always gets the same vector)."""
    rows = [np.random.default_rng(int.from_bytes(hashlib.sha1(c.text.encode()).digest()[:8], "little")).standard_normal(DIM)
            for c in chunks]
    vectors = np.stack(rows).astype(np.float32) if rows else np.zeros((0, DIM), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def write(settings: Settings, build_id: str, chunks, documents, **kwargs) -> dict:
    manifest = {"format_version": INDEX_FORMAT_VERSION, "model_id": "synthetic", "build_id": build_id,
                "chunk_count": len(chunks), "documents": {d.source: {"council": "Syd"} for d in documents}}
    return write_build(settings, build_id, documents, chunks, [f"synthetic:{c.text}" for c in chunks],
                       vectors_for(chunks), manifest, records=[], lexicon={}, **kwargs)


if __name__ == "__main__":
    from assistant.store.vectors import ChromaVectorStore

    real_upsert = ChromaVectorStore.upsert

    def announced_upsert(self, *args, **kwargs):
        print("upserting", flush=True)  # the kill -9 test aims at this phase
        return real_upsert(self, *args, **kwargs)

    ChromaVectorStore.upsert = announced_upsert
    index_dir, build_id, n, changed_from = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    write(Settings(index_dir=Path(index_dir), corpus_dir=Path(index_dir)), build_id, *corpus(n, changed_from, tag=build_id))
    print("published", flush=True)
