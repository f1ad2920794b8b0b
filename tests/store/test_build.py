"""An index that heals: checksums in the manifest, a plain `ingest` that rebuilds a damaged build,
storage errors as a Swedish message with exit code 6, leftovers cleaned, open files that stay flat.
Embeddings come from the deterministic hash embedder (no model)."""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.pipeline import ingest
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.build import current_build_dir, read_manifest, verify_build
from assistant.store.errors import IndexDamaged, IndexStorageError
from assistant.store.loaded import load_index
from assistant.store.vectors import ChromaVectorStore, chroma_root

from .conftest import HashEmbedder

TESTS = Path(__file__).resolve().parents[1]
#: Root ignores file modes: run the CLI without the capabilities that let it (util-linux setpriv).
_DAC = "-dac_override,-dac_read_search"
UNPRIVILEGED = ["setpriv", f"--inh-caps={_DAC}", f"--bounding-set={_DAC}"] if os.geteuid() == 0 else []
PROJECT = TESTS.parent


def answers(settings) -> None:
    """The published build loads and answers a dense search through its vector store."""
    index = load_index(settings)
    assert len(index.vectors) == len(index.chunks) > 0
    assert index.dense_search(index.vectors[1], 3)[0][0] == 1
    index.store.close()


def test_the_manifest_holds_checksums_of_the_build_files(store_settings, embedder):
    ingest(store_settings, embedder=embedder)
    build = current_build_dir(store_settings)
    sums = read_manifest(build)["checksums"]
    assert {"vectors.npy", "chunks.jsonl", "records.json", "vector_ids.json", "unit_vectors.npy"} <= set(sums)
    assert verify_build(store_settings, build) == ("", set())


@pytest.mark.parametrize("damage", ["truncate vectors.npy", "truncate chunks.jsonl", "flip vectors.npy",
                                    "corrupt chroma", "delete records.json"])
def test_plain_ingest_rebuilds_a_damaged_build_and_says_so(store_settings, embedder, damage):
    ingest(store_settings, embedder=embedder)
    build = current_build_dir(store_settings)
    action, name = damage.split(" ", 1)
    if name == "chroma":
        generation = read_manifest(build)["vector_generation"]
        database = chroma_root(store_settings) / generation / "chroma.sqlite3"
        with open(database, "r+b") as handle:
            handle.write(os.urandom(4096))
    elif action == "truncate":
        data = (build / name).read_bytes()
        (build / name).write_bytes(data[: len(data) // 2])
    elif action == "flip":  # same size, one float changed: only the checksum sees it
        vectors = np.load(build / name)
        vectors[0, 0] += 0.5
        np.save(build / name, vectors)
    else:
        (build / name).unlink()
    embedder.passages = 0
    report = ingest(store_settings, embedder=embedder)
    assert not report.unchanged and report.repaired.startswith("Indexet var skadat (")
    assert report.repaired.endswith("och byggdes om.")
    assert current_build_dir(store_settings) != build
    answers(store_settings)
    fresh = load_index(store_settings)
    np.testing.assert_allclose(fresh.vectors, embedder.embed_passages([c.embed_text for c in fresh.chunks]), atol=1e-6)
    if name == "vectors.npy":
        assert report.embedded == report.chunks, "vectors from a damaged file are never reused"
    if name in ("chroma", "records.json"):
        assert report.embedded == 0, "intact embeddings are reused"
    assert ingest(store_settings, embedder=embedder).unchanged


def test_leftovers_of_killed_builds_are_removed_at_the_start_of_an_ingest(store_settings, embedder):
    ingest(store_settings, embedder=embedder)
    index_dir = Path(store_settings.index_dir)
    leftover = index_dir / "builds" / ".tmp-20990101-000000-dead00"
    (leftover / "bm25").mkdir(parents=True)
    (leftover / "vectors.npy").write_bytes(b"x" * 1000)
    orphan = chroma_root(store_settings) / "20990101-000000-dead00"
    orphan.mkdir()
    (orphan / "chroma.sqlite3").write_bytes(b"")
    (index_dir / "CURRENT.0123abcd.tmp").write_text("x", encoding="utf-8")
    published = read_manifest(current_build_dir(store_settings))["vector_generation"]
    assert ingest(store_settings, embedder=embedder).unchanged
    assert not leftover.exists() and not orphan.exists() and not (index_dir / "CURRENT.0123abcd.tmp").exists()
    assert (chroma_root(store_settings) / published).is_dir()
    answers(store_settings)


def test_a_vector_store_that_cannot_be_written_is_a_storage_error_and_the_index_keeps_answering(
        store_settings, embedder, monkeypatch):
    ingest(store_settings, embedder=embedder)
    before = current_build_dir(store_settings)
    (Path(store_settings.corpus_dir) / "ny.md").write_text("# Ny\n\nRådet ansvarar för VFU i glesbygden.\n",
                                                           encoding="utf-8")

    def fail(self, *args, **kwargs):  # what Chroma's SQLite says on a read-only folder, wrapped as _call does
        error = OSError(30, "Read-only file system")
        raise self._damaged(error, "kunde inte skrivas") from error

    monkeypatch.setattr(ChromaVectorStore, "upsert", fail)
    with pytest.raises(IndexStorageError) as caught:
        ingest(store_settings, embedder=embedder)
    message = str(caught.value)
    assert message.startswith("Vektorlagret kunde inte skrivas (OSError).") and "index/chroma" in message
    assert str(Path(store_settings.index_dir).parent) not in message, "no absolute path"
    monkeypatch.undo()
    assert current_build_dir(store_settings) == before
    answers(store_settings)
    assert "ny.md" in ingest(store_settings, embedder=embedder).added
    answers(store_settings)


@pytest.mark.parametrize("where", [".lock", "builds/"])
def test_an_unwritable_index_folder_exits_6_with_a_swedish_message_naming_the_path(embedder, where):
    """`assistant ingest` on a read-only index folder: exit code 6, the relative path, no traceback.
    When the tests run as root, the CLI runs without the capabilities that let root write anywhere."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.fail("running as root: setpriv (util-linux) is needed to drop CAP_DAC_OVERRIDE for this test")
    root = Path(tempfile.mkdtemp(prefix="ro-index-"))
    try:
        root.chmod(0o755)
        corpus, index_dir = root / "corpus", root / "index"
        corpus.mkdir()
        (corpus / "plan.md").write_text("# Plan\n\nRådet ansvarar för VFU.\n", encoding="utf-8")
        settings = Settings(corpus_dir=corpus, index_dir=index_dir)
        ingest(settings, embedder=embedder)
        (corpus / "ny.md").write_text("# Ny\n\nRådet ansvarar för handledning.\n", encoding="utf-8")
        for path in [root, *root.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        if where != ".lock":  # the lock can be taken: the build fails where it writes its folder
            (index_dir / ".lock").chmod(0o666)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from store.conftest import HashEmbedder; "
                "import assistant.service as service; service.get_embedder = lambda settings: HashEmbedder(); "
                "from assistant.frontends.cli import main; sys.exit(main(['ingest', '--quiet']))")
        env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index_dir),
               "PYTHONDONTWRITEBYTECODE": "1"}

        result = subprocess.run([*UNPRIVILEGED, sys.executable, "-c", code, str(TESTS)], env=env, cwd=PROJECT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 6, result.stderr
        assert "Traceback" not in result.stderr
        assert f"Fel: Indexet kunde inte skrivas eller läsas i index/{where}" in result.stderr, result.stderr
        assert "(åtkomst nekad)" in result.stderr
        assert str(root) not in result.stderr
        assert load_index(settings).documents().keys() == {"plan.md"}  # still answers from the old build
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_open_files_stay_flat_over_20_uploads(store_settings, tmp_path):
    """Each round adds a document (HTML, read by the parser process), re-indexes and answers: the
    Chroma clients, the parser's pipes and the old builds' files are all let go."""
    assistant = Assistant(store_settings)
    assistant._embedder = HashEmbedder()
    assistant.ingest()
    uploads = tmp_path / "uploads"
    uploads.mkdir()

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    counts = []
    for number in range(20):
        upload = uploads / f"plan-{number}.html"
        upload.write_text(f"<html><body><h1>Plan {number}</h1><p>Rådet ansvarar för aktivitet {number} "
                          f"om VFU.</p></body></html>", encoding="utf-8")
        assistant.add_document(upload)
        report = assistant.ingest()
        assert upload.name in report.added
        assert not assistant.ask("Vem ansvarar för VFU?").invalid
        gc.collect()  # what a long-running app does by itself now and then
        counts.append(open_files())
    # bounded, not growing: ~11 more per upload before (issue 16); a few come and go with the parser's pipes
    assert max(counts[5:]) - counts[4] <= 4 and counts[-1] <= counts[4] + 2, counts
    deleted = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
               if os.path.islink(f"/proc/self/fd/{fd}")]
    assert not [link for link in deleted if link.endswith("(deleted)") and "index" in link]
    assert len(json.loads((current_build_dir(store_settings) / "vector_ids.json").read_text())) >= 20


def test_a_damaged_build_is_never_reported_as_current(store_settings, embedder):
    ingest(store_settings, embedder=embedder)
    build = current_build_dir(store_settings)
    (build / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(IndexDamaged):
        load_index(store_settings)
    report = ingest(store_settings, embedder=embedder)
    assert not report.unchanged and "manifestet" in report.repaired
    answers(store_settings)
