"""The corpus catalog as users change it (assistant/ingest/catalog.py): provenance, atomic and locked
writes, metadata cleaning, the archive of removed files. Fast: no model, no index."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from corpus_names import ALL_DOCS, CORPUS_DIR

from assistant.ingest.catalog import (
    ARCHIVE_DIR,
    CatalogError,
    archive_file,
    clean_metadata,
    get_entry,
    infer_period,
    is_reviewed,
    provenance,
    put_entry,
    read_catalog_file,
    restore_file,
    suggest_metadata,
    update_entry,
)
from assistant.ingest.corpus import find_documents, load_catalog, read_document
from assistant.settings import Settings


@pytest.fixture()
def settings(tmp_path) -> Settings:
    shutil.copytree(CORPUS_DIR, tmp_path / "corpus")
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")


@pytest.mark.parametrize(("meta", "reviewed"), [
    (None, True), ({}, True), ({"title": "x"}, True), ({"reviewed": True}, True),
    ({"reviewed": False}, False), ({"reviewed": "false"}, False), ({"reviewed": 0}, False),
])
def test_is_reviewed(meta, reviewed):
    assert is_reviewed(meta) is reviewed


def test_the_seed_documents_count_as_reviewed():
    catalog = load_catalog(CORPUS_DIR, Settings())
    assert set(catalog) == set(ALL_DOCS)
    assert all(provenance(catalog[name])["reviewed"] for name in ALL_DOCS)
    assert provenance(catalog[ALL_DOCS[0]]) == {"added_by": "", "added_at": "", "reviewed": True,
                                                "reviewed_by": "", "reviewed_at": ""}


def test_update_keeps_the_other_entries_and_writes_atomically(settings):
    before = read_catalog_file(settings)
    entry = update_entry(settings, "ny plan.md", {"title": "Plan för Åre", "added_by": "anna", "reviewed": False})
    assert entry == {"title": "Plan för Åre", "added_by": "anna", "reviewed": False}
    after = read_catalog_file(settings)
    assert {k: v for k, v in after["documents"].items() if k != "ny plan.md"} == before["documents"]
    assert "Plan för Åre" in (settings.corpus_dir / "catalog.json").read_text(encoding="utf-8")  # not \\u-escaped
    assert [p.name for p in settings.corpus_dir.iterdir() if p.name.endswith(".tmp")] == []
    update_entry(settings, "ny plan.md", {"reviewed": True}, remove=("added_by",))
    assert get_entry(settings, "ny plan.md") == {"title": "Plan för Åre", "reviewed": True}
    put_entry(settings, "ny plan.md", None)
    assert get_entry(settings, "ny plan.md") is None and read_catalog_file(settings) == before


def test_the_pipeline_reads_entries_with_provenance(settings):
    path = settings.corpus_dir / "plan.md"
    path.write_text("# Regionala vårdkompetensrådet i Norrland\n\nAktivitetsplan.\n", encoding="utf-8")
    update_entry(settings, "plan.md", {"council": "RVKR Norrland", "period": "2027", "added_by": "anna",
                                       "added_at": "2026-12-01T20:00:00+00:00", "reviewed": False})
    doc = read_document(path, load_catalog(settings.corpus_dir, settings))
    assert (doc.council, doc.period, doc.title) == ("RVKR Norrland", "2027", "Regionala vårdkompetensrådet i Norrland")


def test_a_broken_catalog_is_never_overwritten(settings):
    catalog = settings.corpus_dir / "catalog.json"
    catalog.write_text("{ inte json", encoding="utf-8")
    with pytest.raises(CatalogError, match="kunde inte läsas"):
        update_entry(settings, "plan.md", {"title": "x"})
    assert catalog.read_text(encoding="utf-8") == "{ inte json"
    assert load_catalog(settings.corpus_dir, settings) == {}  # reading for the index still tolerates it


def test_a_missing_catalog_is_created(tmp_path):
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    update_entry(settings, "plan.md", {"title": "Plan"})
    assert json.loads((tmp_path / "corpus" / "catalog.json").read_text(encoding="utf-8")) == \
        {"documents": {"plan.md": {"title": "Plan"}}}


def test_concurrent_updates_lose_nothing(settings):
    def add(n: int) -> None:
        update_entry(settings, f"plan-{n}.md", {"title": f"Plan {n}"})

    threads = [threading.Thread(target=add, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    documents = read_catalog_file(settings)["documents"]
    assert all(documents[f"plan-{n}.md"] == {"title": f"Plan {n}"} for n in range(24))


def test_clean_metadata_takes_only_the_user_fields():
    given = {"title": "  Plan\n 2027 ", "council": "", "doc_type": None, "period": 2027, "reviewed": True,
             "added_by": "någon annan"}
    assert clean_metadata(given) == {"title": "Plan 2027", "period": "2027"}
    assert len(clean_metadata({"title": "x" * 1000})["title"]) == 300
    assert clean_metadata(None) == {}


def test_archive_keeps_the_file_and_its_entry_out_of_the_index(settings):
    source = settings.corpus_dir / ALL_DOCS[0]
    text = source.read_bytes()
    entry = get_entry(settings, source.name)
    archived = archive_file(settings, source, entry, "borttaget", "anna")
    assert archived.parent == settings.corpus_dir / ARCHIVE_DIR and archived.read_bytes() == text
    note = json.loads(archived.with_name(archived.name + ".json").read_text(encoding="utf-8"))
    assert (note["source"], note["by"], note["catalog_entry"]) == (source.name, "anna", entry)
    # hidden: the archive is never indexed
    assert archived not in find_documents(settings.corpus_dir, settings)
    source.unlink()
    restore_file(archived, source)
    assert source.read_bytes() == text


@pytest.mark.parametrize(("title", "period"), [
    ("Aktivitetsplan 2026", "2026"), ("Verksamhetsplan 2026–2028", "2026–2028"), ("Plan 2026-2028", "2026–2028"),
    ("Plan för hösten", ""), ("Rapport 1234", ""),
])
def test_infer_period(title, period):
    assert infer_period(title) == period


def test_suggest_metadata_is_what_the_pipeline_infers(tmp_path):
    path = tmp_path / "plan.md"
    path.write_text("# Aktivitetsplan 2027 för Regionalt vårdkompetensråd Norrland\n\nText.\n", encoding="utf-8")
    assert suggest_metadata(path) == {"title": "Aktivitetsplan 2027 för Regionalt vårdkompetensråd Norrland",
                                      "council": "RVKR Norrland", "doc_type": "aktivitetsplan", "period": "2027"}
