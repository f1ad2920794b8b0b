"""Fixtures of the follow-up tests: the corpus view (fast), the built index (slow) and a database on each backend."""

import pytest
from db.pg_cluster import postgres_cluster

from assistant.db import Repository, open_database
from followup.helpers import corpus_view, view  # noqa: F401  (fixtures)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=(pytest.mark.postgres, pytest.mark.slow)),
]


@pytest.fixture(scope="session")
def followup_postgres_server():
    with postgres_cluster() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend_repo(request, tmp_path):
    """A migrated, empty database on SQLite and on a throwaway PostgreSQL cluster (tests/db/pg_cluster.py)."""
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'var' / 'app.db'}")
        yield Repository(database)
        database.dispose()
        return
    server = request.getfixturevalue("followup_postgres_server")
    name = server.create_database()
    database = open_database(server.url(name))
    try:
        yield Repository(database)
    finally:
        database.dispose()
        server.drop_database(name)
