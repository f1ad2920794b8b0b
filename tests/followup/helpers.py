"""Shared by the follow-up draft tests (tests/followup, tests/frontends/test_cli_summary.py).

The expected activities were checked by hand against corpus/*.txt (national plan 5, Södra 8,
Mellansverige 16). Most tests run twice: on a view built straight from the corpus (fast, no
embedding model) and on the built index (``@pytest.mark.slow``), which must give the same drafts.
Import the fixtures ``corpus_view`` and ``view`` into a test module (tests/followup/conftest.py
does so for that folder).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ingest.activities import extract_records
from assistant.ingest.chunking import chunk_document
from assistant.ingest.corpus import find_documents, load_catalog, read_document
from assistant.settings import Settings

CORPUS_DIR = Path(__file__).resolve().parent.parent.parent / "corpus"
NATIONAL, SODRA, MELLAN = "Nationella vårdkompetensrådet", "RVKR Södra", "RVKR Mellansverige"
KNOWN = [NATIONAL, MELLAN, SODRA]


class CorpusView:
    """What the summary needs from an index (records, chunks, documents, lines), built without embeddings."""

    def __init__(self, corpus_dir: Path):
        settings = Settings(corpus_dir=corpus_dir)
        catalog = load_catalog(corpus_dir, settings)
        docs = [read_document(path, catalog) for path in find_documents(corpus_dir, settings)]
        self.chunks = [chunk for doc in docs for chunk in chunk_document(doc)]
        self.records = extract_records(self.chunks)
        self.doc_lines = {doc.source: doc.lines for doc in docs}
        self._documents = {doc.source: {"title": doc.title, "council": doc.council, "period": doc.period,
                                        "doc_type": doc.doc_type} for doc in docs}
        self.build_id = "corpus-view"

    def documents(self) -> dict[str, dict]:
        return self._documents


@pytest.fixture(scope="module")
def corpus_view():
    return CorpusView(CORPUS_DIR)


@pytest.fixture(scope="module", params=["corpus", pytest.param("index", marks=pytest.mark.slow)])
def view(request, corpus_view):
    """The corpus view (fast) and the built index (slow): every draft must come out the same from both."""
    if request.param == "index":
        return request.getfixturevalue("built_assistant").index
    return corpus_view


def by_council(summary, council):
    return next(section.rows for section in summary.sections if section.council == council)


def pipe_tables(markdown: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    parsed = []
    for table in tables:
        rows = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in table]
        parsed.append(rows)
    return parsed
