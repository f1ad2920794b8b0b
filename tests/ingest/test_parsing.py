"""Bounded work per document: page, unpacked-size, character and chunk limits, and a parser process
with a time and a memory limit. The hostile files are made here: a PDF with many pages (reportlab), a
DOCX whose document.xml is large but compresses to almost nothing, plain text over the limits.
Embeddings come from the deterministic hash embedder (no model)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from store.conftest import SMALL_DOCS, HashEmbedder

from assistant.build.hostile_files import make_docx_bomb, make_pdf
from assistant.ingest.catalog import DocumentRejected
from assistant.ingest.corpus import DocumentError, ReadLimits, docx_unpacked_bytes, read_text
from assistant.ingest.parsing import DocumentReader
from assistant.ingest.pipeline import ingest
from assistant.ingest.units import embed_text, split_units
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.loaded import load_index

PROJECT_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
@pytest.fixture()
def corpus_settings(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in SMALL_DOCS:
        shutil.copyfile(PROJECT_CORPUS / name, corpus / name)
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


def read(settings: Settings, path: Path):
    with DocumentReader(settings) as reader:
        return reader.read(path)


def test_a_pdf_over_the_page_limit_is_refused_before_its_text_is_read(tmp_path):
    pdf = make_pdf(tmp_path / "manga-sidor.pdf", 120)
    with pytest.raises(DocumentError, match=r"120 sidor; gränsen är 100 sidor.*max_pdf_pages"):
        read(Settings(max_pdf_pages=100), pdf)
    document = read(Settings(max_pdf_pages=120), pdf)  # at the limit: read, in the child process
    assert sum("Sida" in line for line in document.lines) == 120


def test_a_docx_that_unpacks_too_large_is_refused_from_its_zip_directory(tmp_path):
    bomb = make_docx_bomb(tmp_path / "bomb.docx", 30)
    assert bomb.stat().st_size < 500 * 1024 and docx_unpacked_bytes(bomb) > 30 * 1024 * 1024
    with pytest.raises(DocumentError, match=r"blir 3[01] MB uppackad; gränsen är 10 MB.*max_docx_unpacked_bytes"):
        read_text(bomb, ReadLimits(max_docx_unpacked_bytes=10 * 1024 * 1024))  # in-process: no parse happens
    with pytest.raises(DocumentError, match="max_docx_unpacked_bytes"):
        read(Settings(max_docx_unpacked_bytes=10 * 1024 * 1024), bomb)


def test_the_character_limit_stops_reading_a_docx_early(tmp_path):
    bomb = make_docx_bomb(tmp_path / "bomb.docx", 5)
    with pytest.raises(DocumentError, match=r"mer än 20 000 tecken.*max_document_chars"):
        read(Settings(max_document_chars=20_000), bomb)


def test_the_character_limit_applies_to_plain_text_read_in_process(tmp_path):
    text = tmp_path / "lang.txt"
    text.write_text("Rådet ansvarar för kompetensförsörjningen.\n" * 1000, encoding="utf-8")
    with DocumentReader(Settings(max_document_chars=10_000)) as reader:
        with pytest.raises(DocumentError, match="max_document_chars"):
            reader.read(text)
        assert reader.started == 0, ".txt is read without the parser process"


def test_a_parse_over_the_time_limit_is_killed_and_reported_and_the_next_document_is_read(tmp_path):
    slow = make_pdf(tmp_path / "langsam.pdf", 200)
    fine = tmp_path / "plan.html"
    fine.write_text("<html><body><h1>Plan</h1><p>Rådet ansvarar för VFU.</p></body></html>", encoding="utf-8")
    with DocumentReader(Settings(parse_timeout_s=0.001)) as reader:
        with pytest.raises(DocumentError, match=r"längre än 0,001 s och avbröts.*parse_timeout_s"):
            reader.read(slow)
        first = reader._child
        assert first is None, "the child that ran over the limit was killed"
    with DocumentReader(Settings()) as reader:
        assert "Rådet ansvarar för VFU." in reader.read(fine).lines
        assert "Rådet ansvarar för VFU." in reader.read(fine).lines
        assert reader.started == 1, "one parser process serves every document of a build"


def test_a_parse_over_the_memory_limit_is_stopped_and_reported(tmp_path):
    bomb = make_docx_bomb(tmp_path / "bomb.docx", 40)
    with pytest.raises(DocumentError, match=r"mer än 400 MB minne.*parse_memory_mb"):
        read(Settings(parse_memory_mb=400, max_docx_unpacked_bytes=1 << 30), bomb)


def test_documents_over_a_limit_are_skipped_with_a_reason_and_the_others_indexed(corpus_settings):
    corpus = Path(corpus_settings.corpus_dir)
    make_pdf(corpus / "manga-sidor.pdf", 30)
    make_docx_bomb(corpus / "bomb.docx", 12)
    (corpus / "manga-avsnitt.md").write_text(
        "\n\n".join(f"# Avsnitt {n}\n\nRådet följer upp aktivitet {n} i regionen." for n in range(60)), encoding="utf-8")
    settings = corpus_settings.model_copy(update={
        "max_pdf_pages": 20, "max_docx_unpacked_bytes": 8 * 1024 * 1024, "max_document_chunks": 40})
    report = ingest(settings, embedder=HashEmbedder())
    skipped = dict(report.skipped)
    assert "max_pdf_pages" in skipped["manga-sidor.pdf"]
    assert "max_docx_unpacked_bytes" in skipped["bomb.docx"]
    assert "textavsnitt; gränsen är 40" in skipped["manga-avsnitt.md"]
    assert set(load_index(settings).documents()) == set(SMALL_DOCS)
    assert all((corpus / name).exists() for name in skipped), "nothing is deleted"
    # the reasons stay in the manifest, and raising a limit makes the next ingest read the document
    assert dict(ingest(settings, embedder=HashEmbedder()).skipped) == skipped
    raised = settings.model_copy(update={"max_pdf_pages": 30})
    again = ingest(raised, embedder=HashEmbedder())
    assert not again.unchanged and "manga-sidor.pdf" in load_index(raised).documents()


def test_identical_chunk_texts_are_embedded_once(corpus_settings):
    corpus = Path(corpus_settings.corpus_dir)
    for name in SMALL_DOCS:
        (corpus / name).unlink()
    body = "# Plan\n\nRådet ansvarar för introduktionen av nya undersköterskor."
    (corpus / "kopia-a.md").write_text(body, encoding="utf-8")
    (corpus / "kopia-b.md").write_text(body, encoding="utf-8")
    (corpus / "catalog.json").write_text(
        '{"kopia-a.md": {"title": "Plan", "council": "Syd"}, "kopia-b.md": {"title": "Plan", "council": "Syd"}}',
        encoding="utf-8")
    embedder = HashEmbedder()
    report = ingest(corpus_settings, embedder=embedder)
    index = load_index(corpus_settings)
    assert report.chunks == 2 and len({c.embed_text for c in index.chunks}) == 1
    assert report.embedded == 1, "two identical chunk texts cost one embedding"
    units = set(_unit_texts(index))
    assert embedder.passages == 1 + len(units), "and each distinct evidence unit is embedded once"


def _unit_texts(index) -> list[str]:
    return [embed_text(chunk, unit) for chunk in index.chunks for unit in split_units(chunk)]


def test_an_upload_over_a_limit_is_refused_with_the_reason_and_the_index_keeps_the_rest(corpus_settings, tmp_path):
    settings = corpus_settings.model_copy(update={"max_pdf_pages": 10})
    assistant = Assistant(settings)
    assistant._embedder = HashEmbedder()
    assistant.ingest()
    upload = make_pdf(tmp_path / "lang-rapport.pdf", 25)
    with pytest.raises(DocumentRejected, match=r"lang-rapport\.pdf.*25 sidor; gränsen är 10 sidor.*max_pdf_pages"):
        assistant.upload_document(upload)
    assert not (Path(settings.corpus_dir) / "lang-rapport.pdf").exists(), "a refused upload is not added"
    assert set(load_index(settings).documents()) == set(SMALL_DOCS)
