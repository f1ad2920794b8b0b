"""The incremental vector store: only changed vectors are sent, the collection a published build answers
from is never written, damage is reported with the fix, a killed writer leaves the published build
answering, and the previous build keeps answering while (and after) a new one is written."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.ingest.pipeline import ingest
from assistant.service import Assistant
from assistant.store import build as build_module
from assistant.store.build import current_build_dir, read_manifest
from assistant.store.errors import IndexDamaged
from assistant.store.loaded import LoadedIndex, load_index
from assistant.store.vectors import ChromaVectorStore, chroma_root, collection_for

from . import synthetic

NEW_DOC = """# Regionala vårdkompetensrådet Testregion aktivitetsplan 2027

Rådet ska under 2027 arbeta med kompetensväxling i glesbygd.

Aktivitet\tGenomförande\tTidplan
Kartlägga kompetensväxling i glesbygdskommuner\tArbetsutskottet\tQ2 2027
Utbilda handledare i glesbygdens vårdcentraler\tRådets kansli\tQ4 2027
"""


def collection(settings, build_dir: Path | None = None) -> ChromaVectorStore:
    """The collection a build (default: the published one) uses, opened directly (not through the build)."""
    generation = read_manifest(build_dir or current_build_dir(settings))["vector_generation"]
    return ChromaVectorStore(chroma_root(settings) / generation, collection_for(settings, generation))


def build_ids(build_dir: Path) -> set[str]:
    return set(json.loads((build_dir / "vector_ids.json").read_text(encoding="utf-8")))


def updates(settings) -> dict:
    return read_manifest(current_build_dir(settings))["vector_updates"]


def fingerprint(settings, build_dir: Path, hnsw_only: bool = False) -> dict[str, str]:
    """Hashes of the files of a build's embedded collection (readers only ever touch the SQLite file)."""
    folder = chroma_root(settings) / read_manifest(build_dir)["vector_generation"]
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))
            if p.is_file() and not (hnsw_only and p.name.startswith("chroma.sqlite3"))}


def test_a_changed_document_sends_only_its_vectors_and_never_writes_the_published_collection(
        store_settings, embedder):
    first = ingest(store_settings, embedder=embedder)
    assert updates(store_settings) == {"upserted": first.chunks, "deleted": 0, "new_generation": True}
    store = collection(store_settings)
    assert store.count() == first.chunks
    store.close()
    b0 = current_build_dir(store_settings)
    ids0, files0 = build_ids(b0), fingerprint(store_settings, b0)

    corpus = Path(store_settings.corpus_dir)
    (corpus / "ny_plan.md").write_text(NEW_DOC, encoding="utf-8")
    added = ingest(store_settings, embedder=embedder)
    b1 = current_build_dir(store_settings)
    ids1 = build_ids(b1)
    new_chunks = added.chunks - first.chunks
    # first update: a copy of the published collection plus the new document's vectors
    assert updates(store_settings) == {"upserted": new_chunks, "deleted": 0, "new_generation": True}
    assert fingerprint(store_settings, b0) == files0, "the collection the published build answered from is untouched"
    files1 = fingerprint(store_settings, b1)

    embedder.passages = 0
    (corpus / "ny_plan.md").write_text(NEW_DOC.replace("Q4 2027", "Q1 2028"), encoding="utf-8")
    changed = ingest(store_settings, embedder=embedder)
    b2 = current_build_dir(store_settings)
    ids2 = build_ids(b2)
    assert changed.changed == ["ny_plan.md"]
    # only the changed chunk is embedded, and only the evidence units (sentences, fields) that changed with it
    assert 0 < len(ids2 - ids1) == changed.embedded < new_chunks, "only the changed chunks are embedded"
    assert embedder.passages == changed.embedded + changed.units_embedded
    assert 0 < changed.units_embedded < added.units_embedded
    # double buffering: this build brings the first build's collection up to date (it lacked the document)
    assert updates(store_settings) == {"upserted": len(ids2 - ids0), "deleted": 0, "new_generation": False}
    assert len(ids2 - ids0) == sum(c.source == "ny_plan.md" for c in load_index(store_settings).chunks)
    assert fingerprint(store_settings, b1) == files1
    files2 = fingerprint(store_settings, b2)

    (corpus / "ny_plan.md").unlink()
    removed = ingest(store_settings, embedder=embedder)
    b3 = current_build_dir(store_settings)
    ids3 = build_ids(b3)
    assert removed.removed == ["ny_plan.md"] and removed.embedded == 0 and removed.units_embedded == 0  # nothing new
    assert updates(store_settings) == {"upserted": 0, "deleted": len(ids1 - ids3), "new_generation": False}
    assert fingerprint(store_settings, b2) == files2
    for build, expected in ((b3, ids3), (b2, ids2)):  # each collection holds exactly its build's vectors
        store = collection(store_settings, build)
        assert store.ids() == expected and store.count() == len(expected)
        store.close()
    assert not (Path(store_settings.index_dir) / ".vectors-dirty").exists()

    assert ingest(store_settings, embedder=embedder).unchanged
    generations = {read_manifest(b)["vector_generation"] for b in (b2, b3)}
    assert {p.name for p in chroma_root(store_settings).iterdir()} == generations and len(generations) == 2, \
        "two persistent collections, taking turns; not one per build"


@pytest.mark.parametrize("damage", ["truncate", "overwrite"])
def test_a_damaged_chroma_fails_the_next_answer_with_the_fix_and_rebuild_repairs_it(store_settings, embedder, damage):
    ingest(store_settings, embedder=embedder)
    generation = read_manifest(current_build_dir(store_settings))["vector_generation"]
    sqlite = chroma_root(store_settings) / generation / "chroma.sqlite3"
    if damage == "truncate":
        with open(sqlite, "r+b") as handle:
            handle.truncate(4096)
    else:
        sqlite.write_bytes(b"not a database " * 4096)

    assistant = Assistant(store_settings)
    assistant._embedder = embedder
    with pytest.raises(IndexDamaged, match=r"Vektorlagret .* Bygg om indexet med `assistant ingest --rebuild`"):
        assistant.ask("Vem ansvarar för VFU?")

    report = ingest(store_settings, embedder=embedder, rebuild=True)
    assert updates(store_settings) == {"upserted": report.chunks, "deleted": 0, "new_generation": True}
    repaired = Assistant(store_settings)
    repaired._embedder = embedder
    answer = repaired.ask("Vem ansvarar för VFU?")
    assert not answer.invalid and answer.timings_ms.get("retrieve") is not None


def test_the_previous_build_keeps_answering_while_a_new_one_is_written(store_settings, embedder):
    ingest(store_settings, embedder=embedder)
    old = load_index(store_settings)
    changed_doc = old.chunks[0].source
    probes = [p for p, chunk in enumerate(old.chunks) if chunk.source == changed_doc][:5]
    expected = {p: old.dense_search(old.vectors[p], 5) for p in probes}
    assert all(hits[0][0] == p for p, hits in expected.items())

    errors: list[BaseException] = []
    done = threading.Event()
    rounds = [0]

    def ask_old_build():
        while not done.is_set():
            try:
                for p in probes:
                    assert old.dense_search(old.vectors[p], 5) == expected[p]
                rounds[0] += 1
            except BaseException as exc:  # noqa: BLE001 - any failure is a test failure
                errors.append(exc)
                return

    path = Path(store_settings.corpus_dir) / changed_doc
    path.write_text(path.read_text(encoding="utf-8").replace("VFU", "verksamhetsförlagd utbildning (VFU)"),
                    encoding="utf-8")
    thread = threading.Thread(target=ask_old_build)
    thread.start()
    try:
        report = ingest(store_settings, embedder=embedder)
    finally:
        done.set()
        thread.join(timeout=60)
    assert report.changed == [changed_doc] and current_build_dir(store_settings) != old.build_dir
    assert not errors, errors
    assert rounds[0] > 0
    # After publishing (and garbage collection), the old build still finds its own vectors, also when a
    # process opens it only now: its ids that the new build dropped are kept while it is the previous build.
    late = LoadedIndex(store_settings, old.build_dir)
    for p in probes:
        assert old.dense_search(old.vectors[p], 5) == expected[p]
        assert [q for q, _ in late.dense_search(late.vectors[p], 5)] == [q for q, _ in expected[p]]
    new = load_index(store_settings)
    assert all(h[0] < len(new.chunks) for h in new.dense_search(new.vectors[0], 30))


def test_an_interrupted_store_write_leaves_the_published_build_and_the_next_build_cleans_up(tmp_path, monkeypatch):
    settings = store_settings_for(tmp_path)
    chunks, documents = synthetic.corpus(200)
    synthetic.write(settings, "b0", chunks, documents)
    b0 = Path(settings.index_dir) / "builds" / "b0"
    files = fingerprint(settings, b0)
    chunks2, documents2 = synthetic.corpus(200, changed_from=150)
    real_upsert = ChromaVectorStore.upsert

    def upsert_then_crash(self, *args, **kwargs):
        real_upsert(self, *args, **kwargs)
        raise KeyboardInterrupt("simulated crash after the upsert, before publishing")

    monkeypatch.setattr(ChromaVectorStore, "upsert", upsert_then_crash)
    with pytest.raises(KeyboardInterrupt):
        synthetic.write(settings, "b1", chunks2, documents2)
    monkeypatch.undo()
    assert current_build_dir(settings).name == "b0" and fingerprint(settings, b0) == files
    assert (Path(settings.index_dir) / ".vectors-dirty").exists()
    index = load_index(settings)
    assert index.store.count() == 200
    assert all(index.dense_search(index.vectors[p], 3)[0][0] == p for p in range(0, 200, 17))
    index.store.close()
    synthetic.write(settings, "b2", chunks2, documents2)
    b2 = Path(settings.index_dir) / "builds" / "b2"
    store = collection(settings)
    assert store.ids() == build_ids(b2)
    store.close()
    assert not list((Path(settings.index_dir) / "builds").glob(".tmp-*"))
    assert {p.name for p in chroma_root(settings).iterdir()} == {"b0", "b2"}, "the interrupted copy is gone"


def store_settings_for(tmp_path):
    from assistant.settings import Settings

    return Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path)


@pytest.mark.slow
def test_kill_9_while_writing_the_store(tmp_path):
    """A writer killed at random moments of its upsert (or later): the published build always answers
    through the store, its collection's HNSW files are never touched, and the next build cleans up."""
    settings = store_settings_for(tmp_path)
    n = 6000
    synthetic.write(settings, "b0", *synthetic.corpus(n))
    script = Path(synthetic.__file__)
    rng = random.Random(11)
    outcomes = []
    for attempt, delay in enumerate([0.2, 1.0, rng.uniform(0.0, 4.0), rng.uniform(0.0, 4.0)]):
        published = current_build_dir(settings)
        files = fingerprint(settings, published, hnsw_only=True)
        process = subprocess.Popen([sys.executable, str(script), str(settings.index_dir), f"b1-{attempt}", str(n), "0"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout.readline().strip() == "upserting"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        outcomes.append(current_build_dir(settings).name)
        assert fingerprint(settings, published, hnsw_only=True) == files
        index = load_index(settings)  # whatever is published answers, through the store
        for p in range(0, n, 997):
            assert index.dense_search(index.vectors[p], 3)[0][0] == p
        index.store.close()
    assert "b0" in outcomes, outcomes  # at least one kill landed before publishing
    builds = Path(settings.index_dir) / "builds"
    synthetic.write(settings, "b2", *synthetic.corpus(n, n // 3))
    remaining = sorted(p for p in builds.iterdir() if not p.name.startswith("."))
    assert len(remaining) == 2 and not list(builds.glob(".tmp-*"))
    for build in remaining:
        store = collection(settings, build)
        assert store.ids() == build_ids(build), "each remaining collection holds exactly its build's vectors"
        store.close()
    assert {p.name for p in chroma_root(settings).iterdir()} == {read_manifest(b)["vector_generation"] for b in remaining}
    index = load_index(settings)
    assert all(index.dense_search(index.vectors[p], 3)[0][0] == p for p in range(0, n, 503))
    assert not (Path(settings.index_dir) / ".vectors-dirty").exists()


def test_exact_backend_never_touches_chroma(store_settings, embedder):
    settings = store_settings.model_copy(update={"vector_store": "exact"})
    ingest(settings, embedder=embedder)
    index = load_index(settings)
    assert index.manifest["vector_store"] == "exact" and index.manifest["vector_generation"] == ""
    assert not chroma_root(settings).exists()
    hits = index.dense_search(index.vectors[3], 5)
    assert hits[0][0] == 3 and np.isclose(hits[0][1], 1.0, atol=1e-5)


def test_ids_of_other_builds_in_the_collection_are_over_fetched_and_dropped(tmp_path):
    """A shared collection (a Chroma server) also holds other builds' records; the answer ignores them."""
    settings = store_settings_for(tmp_path)
    chunks, documents = synthetic.corpus(300)
    synthetic.write(settings, "b0", chunks, documents)
    index = load_index(settings)
    query = index.vectors[7]
    expected = index.dense_search(query, 10)
    store = collection(settings)  # records no build knows, all closer to the query than any real chunk
    foreign = (query + 0.05 * np.random.default_rng(3).standard_normal((400, synthetic.DIM))).astype(np.float32)
    foreign /= np.linalg.norm(foreign, axis=1, keepdims=True)
    store.upsert([f"foreign-{i}" for i in range(400)], foreign, ["x"] * 400, [{"source": "other"}] * 400)
    store.close()
    late = LoadedIndex(settings, index.build_dir)
    hits = late.dense_search(query, 10)
    assert [p for p, _ in hits] == [p for p, _ in expected]
    np.testing.assert_allclose([s for _, s in hits], [s for _, s in expected], atol=1e-4)


def test_a_crash_after_publishing_is_cleaned_up_by_the_next_ingest_even_if_nothing_changed(
        store_settings, embedder, monkeypatch):
    ingest(store_settings, embedder=embedder)
    corpus = Path(store_settings.corpus_dir)
    (corpus / "ny_plan.md").write_text(NEW_DOC, encoding="utf-8")
    ingest(store_settings, embedder=embedder)
    (corpus / "ny_plan.md").write_text(NEW_DOC.replace("Q4 2027", "Q1 2028"), encoding="utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated crash right after CURRENT was swapped")

    monkeypatch.setattr(build_module, "_collect_garbage", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(store_settings, embedder=embedder)
    monkeypatch.undo()
    builds = Path(store_settings.index_dir) / "builds"
    assert len([p for p in builds.iterdir()]) == 3 and (Path(store_settings.index_dir) / ".vectors-dirty").exists()
    assert "ny_plan.md" in load_index(store_settings).documents()  # published before the crash

    assert ingest(store_settings, embedder=embedder).unchanged
    remaining = list(builds.iterdir())
    assert len(remaining) == 2
    assert {p.name for p in chroma_root(store_settings).iterdir()} == {
        read_manifest(b)["vector_generation"] for b in remaining}
    index = load_index(store_settings)
    assert index.dense_search(index.vectors[0], 3)[0][0] == 0
