"""open_database: URLs, SQLite pragmas and folders, transactions."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from assistant.db import UnsupportedDatabaseError, default_database_url, open_database
from assistant.db.database import DATABASE_URL_ENV, normalise_url
from assistant.db.models import PlanRecordRow, utcnow


def test_default_url_is_var_app_db(tmp_path):
    assert default_database_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/var/app.db"
    assert DATABASE_URL_ENV == "ASSISTANT_DATABASE_URL"


def test_sqlite_parent_folder_is_created(tmp_path):
    url = default_database_url(tmp_path / "project")
    with open_database(url) as database:
        assert database.sqlite_path == tmp_path / "project" / "var" / "app.db"
        assert database.sqlite_path.is_file()


def test_sqlite_pragmas(tmp_path):
    with open_database(default_database_url(tmp_path)) as database, database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_in_memory_sqlite_works():
    from assistant.db import Repository

    with open_database("sqlite://") as database:
        repo = Repository(database)
        record_id = repo.sync_plan_records("p.pdf", [dict(council="R", activity="A")]).added[0]
        assert repo.add_followup_entry(record_id, "Klar", recorded_by="a").status == "Klar"


@pytest.mark.parametrize("url", ["mysql://u@localhost/db", "sqlite+aiosqlite:///x.db", "inte en url"])
def test_unsupported_urls_are_refused_in_swedish(url):
    with pytest.raises(UnsupportedDatabaseError) as caught:
        open_database(url)
    assert isinstance(caught.value, ValueError)
    assert "stöds inte" in str(caught.value) or "Ogiltig databas-URL" in str(caught.value)


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"])
def test_postgres_urls_use_psycopg3(url):
    assert normalise_url(url).drivername == "postgresql+psycopg"


def _row(record_id: str) -> PlanRecordRow:
    now = utcnow()
    return PlanRecordRow(record_id=record_id, council="R", source="s", title="", activity="A", focus_area="",
                         owner="", timeline="", follow_up="", position=0, content_hash="h", first_seen=now,
                         last_seen=now, in_plan=True)


def count(database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(PlanRecordRow))


def test_transaction_commits_or_rolls_back(database):
    with pytest.raises(RuntimeError), database.transaction() as session:
        session.add(_row("rec-1"))
        session.flush()
        raise RuntimeError("boom")
    assert count(database) == 0
    with database.transaction() as session:
        session.add(_row("rec-1"))
    assert count(database) == 1


def test_read_session_does_not_write(database):
    with database.read() as session:
        session.add(_row("rec-1"))
        session.flush()
    assert count(database) == 0


def test_backend_property(database, backend):
    assert database.backend == backend
    with database.read() as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    assert isinstance(database.sqlite_path, Path) == (backend == "sqlite")


def test_unreachable_database_is_reported_in_swedish(database_url, backend, tmp_path):
    from assistant.db import DatabaseConnectionError

    if backend == "sqlite":
        blocker = tmp_path / "fil"
        blocker.write_text("")
        url = f"sqlite:///{blocker}/app.db"  # the parent "folder" is a file
    else:
        url = database_url.rsplit("/", 1)[0] + "/finns_inte?" + database_url.split("?", 1)[1]
    with pytest.raises(DatabaseConnectionError, match="Kunde inte"):
        open_database(url)
