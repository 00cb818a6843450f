"""Alembic environment for the catalogue.

The database comes from, in order: a connection handed over by `upgrade_database` (so tests can
migrate a PostgreSQL schema of their own), a URL put in the config's attributes, or the settings'
DATABASE_URL, never from an alembic.ini. `render_as_batch` lets the same migrations alter tables
on SQLite, which cannot ALTER most things in place.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import server.catalog.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from server.catalog.db import create_db_engine

target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.config.attributes.get("database_url")
    if url:
        return str(url)
    from server.settings import Settings

    return Settings.from_env().storage.database_url


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(_url())
    try:
        with engine.begin() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: print the DDL for a DBA instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
