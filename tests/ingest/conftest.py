"""Fixtures shared by the ingest tests: the project corpus read with its catalog."""

from __future__ import annotations

import pytest
from corpus_names import CORPUS_DIR

from assistant.ingest.corpus import find_documents, load_catalog, read_document
from assistant.settings import Settings


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def corpus_docs(settings):
    """Every corpus document, read with the corpus catalog (file name → Document)."""
    catalog = load_catalog(CORPUS_DIR, settings)
    return {path.name: read_document(path, catalog) for path in find_documents(CORPUS_DIR, settings)}
