"""Opening the application database: engine, pragmas, migrations, transactions.

The database holds what the assistant must remember between runs: the activity records seen in
the plans (with stable ids), the append-only follow-up history and the users. SQLite (a file under
``var/``) is the default; PostgreSQL is used through a ``postgresql+psycopg://`` URL.

The URL will come from the setting ``ASSISTANT_DATABASE_URL`` (field ``database_url`` on
:class:`assistant.settings.Settings`); until that field exists, callers use
:func:`default_database_url`. This module only takes the URL.

``open_database(url)``:

* creates the SQLite file's parent folder when needed;
* upgrades the schema to the newest Alembic revision (``alembic upgrade head``, run in-process with
  the migrations shipped in ``assistant/db/migrations``), serialised between processes by a file lock
  next to the SQLite file or a PostgreSQL advisory lock, so two processes starting at once never
  both migrate;
* on SQLite turns on WAL journaling, foreign keys and a busy timeout, and starts every write
  transaction with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing mid-transaction.

Every write goes through ``with db.transaction() as session:`` (commit on success, rollback on error);
reads through ``with db.read() as session:``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DATABASE_URL_ENV = "ASSISTANT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_S = 30.0
MIGRATION_LOCK_TIMEOUT_S = 300.0
_MIGRATION_LOCK_NAME = "assistant.db.migrations"


class DatabaseError(Exception):
    """Base class for database setup problems; messages are meant for the user."""


class UnsupportedDatabaseError(DatabaseError, ValueError):
    pass


class DatabaseConnectionError(DatabaseError):
    """The database could not be reached or created."""


class MigrationLockTimeout(DatabaseError):
    pass


class DatabaseVersionError(DatabaseError):
    pass


def default_database_url(project_root: Path) -> str:
    """``sqlite:///<project_root>/var/app.db`` – the database used when no URL is configured."""
    return f"sqlite:///{(Path(project_root).resolve() / 'var' / 'app.db').as_posix()}"


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@dataclass(eq=False)
class Database:
    """An open database: the engine and a session factory (sessions never expire on commit)."""

    engine: Engine
    session_factory: sessionmaker[Session]
    url: URL
    _sqlite_path: Path | None = field(default=None, repr=False)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file (None for PostgreSQL and in-memory SQLite)."""
        return self._sqlite_path

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one write transaction: committed when the block ends, rolled back on error.

        On SQLite the transaction begins with ``BEGIN IMMEDIATE`` (writers queue on the busy timeout).
        """
        session = self.session_factory()
        try:
            if self.backend == "sqlite":
                session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; whatever it did is rolled back at the end."""
        session = self.session_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def advisory_lock(self, session: Session, name: str) -> None:
        """Serialise this transaction with others taking the same named lock (until it ends).

        PostgreSQL: a transaction-level advisory lock. SQLite: nothing to do, because a write
        transaction (``BEGIN IMMEDIATE``) already excludes every other writer.
        """
        if self.backend == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None before the first migration)."""
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()


def head_revision() -> str:
    """The newest revision shipped with this version of the assistant."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def alembic_config(connection: Connection | None = None, url: str | None = None):  # noqa: ANN201 - alembic Config
    """An Alembic ``Config`` for the shipped migrations, with no alembic.ini.

    With ``connection`` the migrations run on that connection (what :func:`open_database` does);
    with ``url`` env.py opens the database itself (developer use, e.g. autogenerate).
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgresql://`` and ``postgres://`` mean the psycopg 3 driver."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise UnsupportedDatabaseError(f"Ogiltig databas-URL: {exc}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.get_driver_name() == "pysqlite":
        return parsed
    if backend == "postgresql" and parsed.get_driver_name() == "psycopg":
        return parsed
    raise UnsupportedDatabaseError(
        f"Databastypen i {parsed.render_as_string(hide_password=True)!r} stöds inte. "
        "Använd sqlite:///sökväg/till/fil.db eller postgresql+psycopg://användare@värd/databas."
    )


def _sqlite_file(url: URL) -> Path | None:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database).expanduser()


def _install_sqlite_pragmas(engine: Engine, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (below) emit BEGIN instead of the sqlite3 module's implicit, late BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown sqlite_begin mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")


def open_database(url: str | URL, *, migrate: bool = True, echo: bool = False) -> Database:
    """Open (and create or upgrade) the database at ``url``; see the module docstring.

    ``migrate=False`` skips the schema upgrade (for tools that manage migrations themselves).
    Raises :class:`UnsupportedDatabaseError` for other database types, :class:`DatabaseConnectionError`
    when the database cannot be reached or created, :class:`MigrationLockTimeout`
    when another process holds the migration lock too long, and :class:`DatabaseVersionError` when
    the database was migrated by a newer version of the assistant.
    """
    parsed = normalise_url(url)
    sqlite_path: Path | None = None
    if parsed.get_backend_name() == "sqlite":
        sqlite_path = _sqlite_file(parsed)
        if sqlite_path is not None:
            try:
                sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseConnectionError(
                    f"Kunde inte skapa mappen för databasen ({sqlite_path.parent}): {exc.strerror or exc}"
                ) from exc
            engine = create_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        else:  # one shared in-memory database (single connection; for tests and experiments)
            engine = create_engine(parsed, echo=echo, poolclass=StaticPool,
                                   connect_args={"check_same_thread": False})
        _install_sqlite_pragmas(engine, wal=sqlite_path is not None)
    else:
        engine = create_engine(parsed, echo=echo, pool_pre_ping=True)

    database = Database(
        engine=engine,
        session_factory=sessionmaker(bind=engine, expire_on_commit=False),
        url=parsed,
        _sqlite_path=sqlite_path,
    )
    if migrate:
        try:
            upgrade(database)
        except OperationalError as exc:
            engine.dispose()
            raise DatabaseConnectionError(
                f"Kunde inte öppna databasen {parsed.render_as_string(hide_password=True)}: {exc.orig}"
            ) from exc
        except BaseException:
            engine.dispose()
            raise
    return database


def upgrade(database: Database, revision: str = "head") -> None:
    """Run ``alembic upgrade <revision>`` on ``database`` under the migration lock."""
    _run_alembic(database, "upgrade", revision)


def downgrade(database: Database, revision: str) -> None:
    """Run ``alembic downgrade <revision>`` under the migration lock (tests and recovery only)."""
    _run_alembic(database, "downgrade", revision)


def _run_alembic(database: Database, command_name: str, revision: str) -> None:
    from alembic import command
    from alembic.util import CommandError

    with _migration_lock(database):
        with database.engine.connect() as connection:
            if database.backend == "sqlite":
                connection.execution_options(sqlite_begin="IMMEDIATE")
            try:
                getattr(command, command_name)(alembic_config(connection=connection), revision)
            except CommandError as exc:
                current = _current_revision(connection)
                if current is None or _is_known_revision(current):
                    raise
                raise DatabaseVersionError(
                    f"Databasen har schemaversion {current!r}, som den här versionen av assistenten inte "
                    f"känner till (den senaste kända är {head_revision()!r}). Uppdatera assistenten eller "
                    f"använd en annan databas. ({exc})"
                ) from exc
            connection.commit()


def _is_known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return True


def _current_revision(connection: Connection) -> str | None:
    from alembic.migration import MigrationContext

    connection.rollback()
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(database: Database) -> Iterator[None]:
    if database.backend == "postgresql":
        with _postgres_lock(database.engine):
            yield
    elif database.sqlite_path is not None:
        with _file_lock(database.sqlite_path.with_name(database.sqlite_path.name + ".migrate.lock")):
            yield
    else:
        yield  # in-memory SQLite: only this process can see it


@contextmanager
def _postgres_lock(engine: Engine) -> Iterator[None]:
    key = lock_key(_MIGRATION_LOCK_NAME)
    with engine.connect() as connection:
        deadline = time.monotonic() + MIGRATION_LOCK_TIMEOUT_S
        while not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            connection.rollback()
            if time.monotonic() > deadline:
                raise MigrationLockTimeout(_lock_timeout_message())
            time.sleep(0.1)
        connection.commit()  # a session-level advisory lock outlives the transaction
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    handle = open(path, "a+b")  # noqa: SIM115 - held for the duration of the block
    try:
        deadline = time.monotonic() + MIGRATION_LOCK_TIMEOUT_S
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise MigrationLockTimeout(_lock_timeout_message())
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()


def _lock_timeout_message() -> str:
    return (f"En annan process uppgraderar databasen och blev inte klar på {MIGRATION_LOCK_TIMEOUT_S:.0f} s. "
            "Vänta tills den är klar och försök igen.")


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[bytes]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(handle: IO[bytes]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[bytes]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
