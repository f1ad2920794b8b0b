"""Embedding backends: the ONNX encoder against the sentence-transformers reference, backend choice, fallback."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.build.onnx_export import onnx_path
from assistant.embedding import EmbeddingError, OnnxEmbedder, OnnxEncoder, SentenceTransformerEmbedder, make_embedder
from assistant.settings import Settings

pytestmark = pytest.mark.slow

TEXTS = [
    "query: Vem ansvarar för VFU-arbetet i Södra?",
    "passage: Rådet ska under 2026 arbeta med verksamhetsförlagd utbildning (VFU) och handledarkompetens.",
    "query: Who owns VFU work?",
    "passage: " + "Kompetensförsörjning inom hälso- och sjukvård kräver samverkan mellan regioner och lärosäten. " * 60,
]


@pytest.fixture(scope="module")
def reference_vectors(model_ready) -> np.ndarray:
    """sentence-transformers on torch: the reference the ONNX graph must reproduce."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_ready), device="cpu", local_files_only=True)
    return np.asarray(model.encode(TEXTS, normalize_embeddings=True), dtype=np.float32)


def test_onnx_float32_reproduces_sentence_transformers(model_ready, reference_vectors):
    encoder = OnnxEncoder(onnx_path(model_ready), model_ready / "tokenizer.json")
    got = encoder.encode(TEXTS)  # one batch of very different lengths: padding must not leak into the mean
    assert got.shape == reference_vectors.shape
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(got * reference_vectors, axis=1)) > 0.9999
    one_by_one = np.stack([encoder.encode([text])[0] for text in TEXTS])
    np.testing.assert_allclose(got, one_by_one, atol=1e-4)


def test_onnx_int8_stays_close_to_the_reference(model_ready, reference_vectors):
    got = OnnxEncoder(onnx_path(model_ready, quantized=True), model_ready / "tokenizer.json").encode(TEXTS)
    cosines = np.sum(got * reference_vectors, axis=1)
    assert np.min(cosines) > 0.95
    # still ranks the relevant passage above an unrelated one for the VFU question
    assert got[0] @ got[1] > got[0] @ got[3]


def test_empty_input_gives_no_vectors(model_ready):
    assert OnnxEncoder(onnx_path(model_ready), model_ready / "tokenizer.json").encode([]).shape == (0, 384)


def test_backend_choice_and_model_ids(model_ready):
    onnx = make_embedder(Settings(embedding_backend="onnx"))
    torch_backend = make_embedder(Settings(embedding_backend="torch"))
    int8 = make_embedder(Settings(embedding_backend="onnx-int8"))
    assert isinstance(onnx, OnnxEmbedder) and isinstance(torch_backend, SentenceTransformerEmbedder)
    # float32 ONNX gives the reference vectors, so cached embeddings stay valid; int8 does not
    assert onnx.model_id == torch_backend.model_id
    assert int8.model_id != onnx.model_id
    query = "Vem ansvarar för VFU-arbetet i Södra?"
    assert float(onnx.embed_query(query) @ torch_backend.embed_query(query)) > 0.9999
    with pytest.raises(ValueError):
        Settings(embedding_backend="tensorflow")


def _model_without_onnx(model_ready: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "e5-without-onnx"
    folder.mkdir()
    for item in model_ready.iterdir():
        if item.name != "onnx":
            (folder / item.name).symlink_to(item)
    return folder


def test_missing_export_falls_back_to_torch(model_ready, tmp_path, caplog):
    settings = Settings(embedding_model_path=_model_without_onnx(model_ready, tmp_path))
    with caplog.at_level(logging.WARNING, logger="assistant.embedding"):
        embedder = make_embedder(settings)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "onnx_export" in caplog.text
    with pytest.raises(EmbeddingError, match="onnx_export"):
        make_embedder(settings.model_copy(update={"embedding_backend": "onnx-int8"}))


def test_missing_model_names_the_fix(tmp_path):
    with pytest.raises(EmbeddingError, match="model_prep"):
        make_embedder(Settings(embedding_model_path=tmp_path / "nothing-here"))


def test_answer_path_does_not_import_torch(built_assistant):
    """The default backend answers with onnxruntime alone: torch stays off the start-up path."""
    script = ("import json, sys\nfrom assistant.service import Assistant\n"
              "answer = Assistant().ask('Vem ansvarar för VFU?')\n"
              "print(json.dumps({'torch': 'torch' in sys.modules, 'sentence_transformers': 'sentence_transformers' in sys.modules,"
              " 'citations': len(answer.citations)}))")
    settings = built_assistant.settings
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"torch": False, "sentence_transformers": False, "citations": result["citations"]}
    assert result["citations"] >= 1


def test_model_id_survives_re_preparation_of_the_same_weights(model_ready, tmp_path):
    """Re-running model_prep writes a new stamp (new date) for the same weights: cached embeddings stay valid."""
    folder = _model_without_onnx(model_ready, tmp_path)
    (folder / "onnx").symlink_to(model_ready / "onnx")
    stamp = json.loads((model_ready / "prepared.json").read_text())
    (folder / "prepared.json").unlink()
    (folder / "prepared.json").write_text(json.dumps({**stamp, "prepared_at": "2030-01-01T00:00:00+00:00"}))
    original = make_embedder(Settings()).model_id.split("@")[1]
    assert make_embedder(Settings(embedding_model_path=folder)).model_id.split("@")[1] == original
    (folder / "prepared.json").write_text(json.dumps({**stamp, "weights": {**stamp["weights"], "sha256": "0" * 64}}))
    assert make_embedder(Settings(embedding_model_path=folder)).model_id.split("@")[1] != original


def test_export_of_other_weights_is_not_used(model_ready, tmp_path):
    """An ONNX export left from different weights (or an interrupted export) must not answer queries."""
    folder = _model_without_onnx(model_ready, tmp_path)
    (folder / "onnx").symlink_to(model_ready / "onnx")
    assert isinstance(make_embedder(Settings(embedding_model_path=folder)), OnnxEmbedder)
    stamp = json.loads((model_ready / "prepared.json").read_text())
    (folder / "prepared.json").unlink()
    (folder / "prepared.json").write_text(json.dumps({**stamp, "weights": {**stamp["weights"], "sha256": "1" * 64}}))
    assert isinstance(make_embedder(Settings(embedding_model_path=folder)), SentenceTransformerEmbedder)
