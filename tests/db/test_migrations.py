"""Alembic migrations: upgrade from empty, models == migrations, constraints and triggers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from assistant.db import DatabaseVersionError, Repository, head_revision, open_database
from assistant.db.database import MIGRATIONS_DIR, _file_lock, _postgres_lock, downgrade, upgrade
from assistant.db.models import AppendOnlyViolation, Base, FollowupEntryRow

TABLES = {"plan_records", "followup_entries", "users", "conversations", "messages", "feedback", "alembic_version"}


def table_names(database) -> set[str]:
    with database.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_migrations_ship_inside_the_package():
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    assert list((MIGRATIONS_DIR / "versions").glob("0002_*.py"))
    assert head_revision() == "0002_conversations_feedback"


def test_upgrade_from_empty(database_url):
    bare = open_database(database_url, migrate=False)
    try:
        assert bare.schema_revision() is None
        assert table_names(bare) == set()
    finally:
        bare.dispose()
    database = open_database(database_url)
    try:
        assert database.schema_revision() == head_revision()
        assert table_names(database) == TABLES
    finally:
        database.dispose()


def test_models_and_migrations_agree(database):
    """The equivalent of ``alembic check``: autogenerate finds nothing to change."""
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []


def test_opening_twice_is_a_no_op(database_url):
    with open_database(database_url) as first:
        Repository(first).sync_plan_records("plan.pdf", [dict(council="R", activity="A")])
    with open_database(database_url) as second:
        assert second.schema_revision() == head_revision()
        assert len(Repository(second).list_records()) == 1


def test_downgrade_and_upgrade_again(database):
    downgrade(database, "base")
    assert table_names(database) == {"alembic_version"}
    assert database.schema_revision() is None
    upgrade(database)
    assert table_names(database) == TABLES
    Repository(database).sync_plan_records("plan.pdf", [dict(council="R", activity="A")])


def test_database_from_a_newer_version_is_refused(database_url):
    with open_database(database_url) as database, database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(DatabaseVersionError, match="schemaversion '9999_from_the_future'"):
        open_database(database_url)


def test_migration_waits_for_the_lock(database_url, backend):
    """While another process holds the migration lock, open_database waits and migrates afterwards."""
    bare = open_database(database_url, migrate=False)
    if backend == "sqlite":
        lock = _file_lock(bare.sqlite_path.with_name(bare.sqlite_path.name + ".migrate.lock"))
    else:
        lock = _postgres_lock(bare.engine)
    opened = []
    with lock:
        worker = threading.Thread(target=lambda: opened.append(open_database(database_url)))
        worker.start()
        time.sleep(1.0)
        assert not opened and bare.schema_revision() is None  # blocked: nothing migrated yet
    worker.join(60)
    assert opened and opened[0].schema_revision() == head_revision()
    opened[0].dispose()
    bare.dispose()


def _record(repo: Repository) -> str:
    return repo.sync_plan_records("plan.pdf", [dict(council="Region", activity="Aktivitet")]).added[0]


def _insert_entry(status: str, record_id: str) -> tuple[str, dict]:
    return ("INSERT INTO followup_entries (record_id, status, comment, evidence, entry_date, recorded_by, "
            "recorded_at) VALUES (:record_id, :status, '', '', :entry_date, 'x', :recorded_at)",
            {"record_id": record_id, "status": status, "entry_date": date(2025, 1, 1),
             "recorded_at": datetime(2025, 1, 1, tzinfo=UTC)})


def test_status_check_constraint_in_the_database(database):
    record_id = _record(Repository(database))
    statement, params = _insert_entry("Done", record_id)
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text(statement), params)
    statement, params = _insert_entry("Pågår", record_id)
    with database.transaction() as session:
        session.execute(text(statement), params)


def test_role_check_constraint_in_the_database(database):
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text("INSERT INTO users (username, username_key, password_hash, role, created_at, disabled) "
                             "VALUES ('a', 'a', 'x', 'root', :now, :no)"),
                        {"now": datetime(2025, 1, 1, tzinfo=UTC), "no": False})


def test_foreign_key_is_enforced(database):
    statement, params = _insert_entry("Klar", "rec-saknas")
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.execute(text(statement), params)


def test_history_is_append_only_in_the_database(database):
    repo = Repository(database)
    entry = repo.add_followup_entry(_record(repo), "Pågår", recorded_by="anna")
    with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
        session.execute(text("UPDATE followup_entries SET status = 'Klar'"))
    with pytest.raises(DBAPIError, match="append-only"), database.transaction() as session:
        session.execute(text("DELETE FROM followup_entries"))
    with pytest.raises(AppendOnlyViolation), database.transaction() as session:
        session.scalars(select(FollowupEntryRow)).one().comment = "ändrad"
    with pytest.raises(AppendOnlyViolation), database.transaction() as session:
        session.delete(session.scalars(select(FollowupEntryRow)).one())
    assert repo.all_entries() == [entry]


def test_alembic_check_command(database, database_url):
    """``alembic check`` itself (through env.py with a URL, as a developer would run it)."""
    from alembic import command

    from assistant.db.database import alembic_config

    command.check(alembic_config(url=database_url))
