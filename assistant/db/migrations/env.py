"""Alembic environment for the application database.

Normally run programmatically by :func:`assistant.db.open_database`, which passes an open connection
in ``config.attributes["connection"]`` (and holds the migration lock). For developer use from the
command line (e.g. ``alembic revision --autogenerate``), build a config with
:func:`assistant.db.alembic_config` or pass ``-x url=...``; the URL falls back to
``ASSISTANT_DATABASE_URL``.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection

from assistant.db.database import open_database
from assistant.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch mode for ALTERs
        compare_type=True,
        transaction_per_migration=False,
    )


def run_migrations_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url") \
        or os.environ.get("ASSISTANT_DATABASE_URL")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url") \
        or os.environ.get("ASSISTANT_DATABASE_URL")
    if not url:
        raise RuntimeError("Ingen databas-URL: ange -x url=... eller ASSISTANT_DATABASE_URL.")
    # Through open_database so the pragmas and the parent folder are the same as at run time.
    database = open_database(url, migrate=False)
    try:
        with database.engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        database.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
