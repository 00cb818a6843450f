"""Database engines and schema migrations.

Engines are built from the settings by whoever owns them (the app's lifespan, a CLI command, a
test), never at import time. SQLite gets WAL mode (readers never wait for the ingest that is
writing) and foreign keys switched on (SQLite leaves them off per connection, and the catalogue
relies on cascades). The schema is only ever changed by Alembic migrations, even in tests, so
what is tested is what production runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` (sqlite:///PATH or postgresql+psycopg://...), set up for the catalogue.

    A plain `postgresql://` or `postgres://` URL (as most tools write it) would make SQLAlchemy
    look for psycopg2, which is not installed: it is read as psycopg 3.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # An ingest commit can take a moment; make readers and a second writer wait, not fail.
        cursor.execute("PRAGMA busy_timeout=10000")
    finally:
        cursor.close()


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; no alembic.ini is read.

    Without a URL, `migrations/env.py` falls back to the settings' DATABASE_URL, so a developer's
    `alembic -c ...` and the application agree on which database they mean.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.attributes["database_url"] = url
    return config


def upgrade_database(target: str | Engine) -> None:
    """Bring the schema at `target` (a URL or an engine) up to the newest migration.

    Called by `make setup`'s demo path, by the app's start-up and by `ingest`; running it on an
    up-to-date database does nothing, so every entry point can call it.
    """
    if isinstance(target, str):
        engine = create_db_engine(target)
        try:
            upgrade_database(engine)
        finally:
            engine.dispose()
        return
    config = alembic_config()
    with target.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed however the block ends (commits are the caller's)."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
