"""ONNX export: stamp checks, interrupted exports, and the exported graphs' self-test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.build import onnx_export as ox


def _fake_model(folder: Path) -> Path:
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "prepared.json").write_text(json.dumps({"weights": {"sha256": "abc"}}))
    return folder


def test_export_is_current_needs_matching_stamp_and_files(tmp_path):
    model = _fake_model(tmp_path / "m")
    assert not ox.export_is_current(model)
    onnx = model / ox.ONNX_DIR
    onnx.mkdir()
    for name in (ox.FLOAT_FILE, ox.INT8_FILE):
        (onnx / name).write_bytes(b"graph")
    stamp = {"version": ox.EXPORT_VERSION, "weights_sha256": "abc", "sizes": {ox.FLOAT_FILE: 5, ox.INT8_FILE: 5}}
    (onnx / ox.STAMP_FILE).write_text(json.dumps(stamp))
    assert ox.export_is_current(model)
    (onnx / ox.INT8_FILE).write_bytes(b"truncated?")  # size changed
    assert not ox.export_is_current(model)
    (onnx / ox.INT8_FILE).write_bytes(b"graph")
    (model / "prepared.json").write_text(json.dumps({"weights": {"sha256": "new weights"}}))  # model re-prepared
    assert not ox.export_is_current(model)


def test_interrupted_export_leaves_no_partial_files(tmp_path, monkeypatch):
    model = _fake_model(tmp_path / "m")
    onnx = model / ox.ONNX_DIR
    onnx.mkdir()
    (onnx / ox.FLOAT_FILE).write_bytes(b"previous graph")

    def export(model_dir, target):
        Path(target).write_bytes(b"half")

    def quantize(source, target):
        Path(target).write_bytes(b"half")
        raise KeyboardInterrupt  # killed mid-quantisation

    monkeypatch.setattr(ox, "_export_float", export)
    monkeypatch.setattr(ox, "_quantize", quantize)
    with pytest.raises(KeyboardInterrupt):
        ox.export_onnx(model, force=True)
    assert sorted(p.name for p in onnx.iterdir()) == [ox.FLOAT_FILE]
    assert (onnx / ox.FLOAT_FILE).read_bytes() == b"previous graph"
    assert not ox.export_is_current(model)  # the next run exports again


@pytest.mark.slow
def test_project_export_is_current_and_passes_self_test(model_ready):
    assert ox.export_is_current(model_ready)
    stamp = json.loads((model_ready / ox.ONNX_DIR / ox.STAMP_FILE).read_text())
    assert stamp["min_cosine"]["float32"] >= 0.9999 and stamp["min_cosine"]["int8"] >= ox.MIN_INT8_COSINE
    assert ox.self_test(model_ready, quantized=False) >= 0.9999
    assert ox.export_onnx(model_ready) == stamp  # nothing to do: the stamp is returned as is
