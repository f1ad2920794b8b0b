"""Fixtures for the database tests: every backend-dependent test runs on SQLite AND PostgreSQL.

PostgreSQL: a throwaway cluster is started once per test session (``postgres_server``) from
Debian's server binaries (found through ``pg_config --bindir`` or ``/usr/lib/postgresql/*/bin``):
``initdb`` into a fresh temporary folder, then ``pg_ctl start`` listening only on a unix socket in
that folder (no TCP port at all). As root the cluster runs as the ``postgres`` OS user
(``runuser -u postgres --``; PostgreSQL refuses to run as root) and the folder is handed to that user.
Each test gets its own freshly created database, dropped afterwards; the cluster is stopped and its
folder deleted at the end of the session.

When the binaries are missing the PostgreSQL tests are skipped locally but FAIL when the ``CI``
environment variable is set (CI must never skip silently; ``.ci/ensure-postgres.sh`` installs them).
PostgreSQL tests carry the ``postgres`` and ``slow`` markers: ``-m "not slow"`` runs SQLite only.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from .pg_cluster import PostgresServer, postgres_cluster

# Cheap Argon2 parameters so the user tests stay fast (the production default is much slower).
FAST_HASHER_PARAMS = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=(pytest.mark.postgres, pytest.mark.slow)),
]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with postgres_cluster() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """A URL to an empty database (nothing migrated yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'app.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture
def database(database_url):
    """An opened (migrated) database."""
    from assistant.db import open_database

    db = open_database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def fast_hasher() -> PasswordHasher:
    return PasswordHasher(**FAST_HASHER_PARAMS)


@pytest.fixture
def repo(database, fast_hasher):
    from assistant.db import Repository

    return Repository(database, password_hasher=fast_hasher)
