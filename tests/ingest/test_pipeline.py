"""Index: content-hash re-ingest, added/removed documents, atomic builds, damage, locking, BM25 reload."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding import get_embedder
from assistant.ingest.pipeline import _catalog_hash, ingest
from assistant.ingest.units import split_units
from assistant.lang.tokens import tokenize
from assistant.settings import Settings
from assistant.store.build import current_build_dir, ingest_lock
from assistant.store.errors import IndexDamaged, IndexNotFound, IngestBusy
from assistant.store.loaded import load_index
from assistant.store.vectors import ChromaVectorStore, ExactVectorStore

PROJECT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
SMALL_DOCS = ("000_a136ead4faa7fb25.txt", "004_6fc778f79882cfcd.txt")
NEW_DOC = """# Regionala vårdkompetensrådet Testregion aktivitetsplan 2027

Rådet ska under 2027 arbeta med kompetensväxling i glesbygd.

Aktivitet\tGenomförande\tTidplan
Kartlägga kompetensväxling i glesbygdskommuner\tArbetsutskottet\tQ2 2027
"""


class CountingEmbedder:
    """The real embedder, counting how many passages it was asked to embed."""

    def __init__(self, inner):
        self.inner, self.model_id, self.passages = inner, inner.model_id, 0

    def embed_passages(self, texts):
        self.passages += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


@pytest.fixture()
def small_settings(tmp_path, model_ready) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL_DOCS:
        shutil.copyfile(PROJECT_CORPUS / name, corpus / name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


@pytest.fixture(scope="module")
def embedder(model_ready):
    return get_embedder(Settings())


pytestmark = pytest.mark.slow


def test_missing_index_names_the_command(tmp_path):
    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "index")
    with pytest.raises(IndexNotFound, match="assistant ingest"):
        load_index(settings)


def test_reingest_of_unchanged_corpus_embeds_nothing(small_settings, embedder):
    counting = CountingEmbedder(embedder)
    first = ingest(small_settings, embedder=counting)
    assert first.documents == 2 and first.embedded == first.chunks > 0
    build = current_build_dir(small_settings)

    counting.passages = 0
    second = ingest(small_settings, embedder=counting)
    assert second.unchanged and counting.passages == 0
    assert current_build_dir(small_settings) == build


def test_added_changed_and_removed_documents(small_settings, embedder):
    counting = CountingEmbedder(embedder)
    ingest(small_settings, embedder=counting)
    corpus = Path(small_settings.corpus_dir)

    (corpus / "ny_plan.md").write_text(NEW_DOC, encoding="utf-8")
    counting.passages = 0
    added = ingest(small_settings, embedder=counting)
    new_chunks = [c for c in load_index(small_settings).chunks if c.source == "ny_plan.md"]
    assert added.added == ["ny_plan.md"] and new_chunks
    assert added.embedded == len(new_chunks), "only the new document is embedded"
    new_units = [u for c in new_chunks for u in split_units(c)]
    assert added.units_embedded == len(new_units) and counting.passages == len(new_chunks) + len(new_units)

    (corpus / "ny_plan.md").write_text(NEW_DOC.replace("Q2 2027", "Q3 2027"), encoding="utf-8")
    counting.passages = 0
    changed = ingest(small_settings, embedder=counting)
    assert changed.changed == ["ny_plan.md"]
    assert 0 < changed.embedded <= len(new_chunks) and 0 < changed.units_embedded < len(new_units)
    assert counting.passages == changed.embedded + changed.units_embedded

    (corpus / SMALL_DOCS[1]).unlink()
    removed = ingest(small_settings, embedder=counting)
    loaded = load_index(small_settings)
    assert removed.removed == [SMALL_DOCS[1]]
    assert all(c.source != SMALL_DOCS[1] for c in loaded.chunks)
    assert SMALL_DOCS[1] not in loaded.documents()
    hits = loaded.dense_search(embedder.embed_query("regeringsuppdrag nationell plan"), 50)
    assert all(loaded.chunks[p].source != SMALL_DOCS[1] for p, _ in hits)


def test_records_from_a_new_plan_are_indexed(small_settings, embedder):
    (Path(small_settings.corpus_dir) / "ny_plan.md").write_text(NEW_DOC, encoding="utf-8")
    ingest(small_settings, embedder=embedder)
    records = [r for r in load_index(small_settings).records if r.source == "ny_plan.md"]
    assert len(records) == 1
    assert (records[0].owner, records[0].timeline) == ("Arbetsutskottet", "Q2 2027")


def test_interrupted_build_leaves_previous_index_usable(small_settings, embedder, monkeypatch):
    ingest(small_settings, embedder=embedder)
    before = current_build_dir(small_settings)
    (Path(small_settings.corpus_dir) / "ny_plan.md").write_text(NEW_DOC, encoding="utf-8")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated crash while writing the vector store")

    monkeypatch.setattr(ChromaVectorStore, "upsert", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(small_settings, embedder=embedder)
    monkeypatch.undo()

    assert current_build_dir(small_settings) == before
    loaded = load_index(small_settings)
    assert all(c.source != "ny_plan.md" for c in loaded.chunks)
    assert loaded.dense_search(embedder.embed_query("VFU"), 3)

    report = ingest(small_settings, embedder=embedder)
    assert report.added == ["ny_plan.md"]
    builds = Path(small_settings.index_dir) / "builds"
    assert not list(builds.glob(".tmp-*")), "leftovers of the crashed build are cleaned up"


def test_damaged_index_gives_rebuild_hint(small_settings, embedder):
    ingest(small_settings, embedder=embedder)
    build = current_build_dir(small_settings)
    (build / "chunks.jsonl").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexDamaged, match="assistant ingest --rebuild"):
        load_index(small_settings)
    report = ingest(small_settings, embedder=embedder, rebuild=True)
    assert report.chunks > 0 and load_index(small_settings).chunks


def test_version_mismatch_gives_rebuild_hint(small_settings, embedder):
    ingest(small_settings, embedder=embedder)
    manifest_path = current_build_dir(small_settings) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["format_version"] = 0
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexDamaged, match="rebuild"):
        load_index(small_settings)


def test_second_ingest_is_refused_while_one_runs(small_settings, embedder):
    with ingest_lock(small_settings):
        with pytest.raises(IngestBusy, match="indexering pågår"):
            ingest(small_settings, embedder=embedder)


def test_bm25_reload_keeps_swedish_stemming(small_settings, embedder):
    ingest(small_settings, embedder=embedder)
    loaded = load_index(small_settings)
    scores = loaded.bm25_scores(tokenize("handledarutbildningen"))  # inflected form, absent verbatim
    best = loaded.chunks[int(np.argmax(scores))]
    assert scores.max() > 0 and "handledarutbildning" in best.text


def test_bad_files_are_skipped_with_reason(small_settings, embedder):
    corpus = Path(small_settings.corpus_dir)
    (corpus / "tom.txt").write_bytes(b"")
    (corpus / "skräp.pdf").write_bytes(b"%PDF-1.4 garbage \x00\x01\x02")
    (corpus / "latin1.txt").write_bytes("Rådet ansvarar för kompetensväxling i Dalarna.".encode("latin-1"))
    report = ingest(small_settings, embedder=embedder)
    skipped = dict(report.skipped)
    assert "tom.txt" in skipped and "skräp.pdf" in skipped
    assert "latin1.txt" not in skipped
    loaded = load_index(small_settings)
    assert any("kompetensväxling" in c.text for c in loaded.chunks if c.source == "latin1.txt")


def test_exact_dense_search_agrees_with_chroma(small_settings, embedder):
    """The opt-in exact backend and the default Chroma HNSW index rank the same (over one build)."""
    ingest(small_settings, embedder=embedder)
    via_chroma = load_index(small_settings)
    exact = load_index(small_settings.model_copy(update={"vector_store": "exact"}))
    for question in ("Vem ansvarar för VFU?", "När följs aktiviteterna upp?", "handledarutbildning i regionerna"):
        vector = embedder.embed_query(question)
        a, b = exact.dense_search(vector, 5), via_chroma.dense_search(vector, 5)
        assert [p for p, _ in a] == [p for p, _ in b], question
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-4)
    assert isinstance(exact.store, ExactVectorStore)  # the exact backend never opens Chroma
    assert isinstance(via_chroma.store, ChromaVectorStore)
    assert exact.dense_search(vector, 500)[-1][0] in range(len(exact.chunks))  # k beyond the size: all rows
    assert len(via_chroma.dense_search(vector, 500)) == len(via_chroma.chunks)


def test_catalog_provenance_does_not_change_the_catalog_hash():
    def catalog(**meta) -> bytes:
        return json.dumps({"documents": {"plan.md": {"title": "Plan", **meta}}}).encode()

    base = _catalog_hash(catalog())
    assert _catalog_hash(catalog(reviewed=True, reviewed_by="anna", reviewed_at="2026-12-01T10:00:00+00:00")) == base
    assert _catalog_hash(catalog(added_by="bo", reviewed=False)) == base
    assert _catalog_hash(catalog(council="RVKR Södra")) != base  # what the index is built from
    assert _catalog_hash(b"{not json") != base
