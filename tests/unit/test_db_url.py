"""Database URLs as people write them (no database is reached: engines connect lazily)."""

from __future__ import annotations

from server.catalog.db import create_db_engine


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    """`postgresql://` (how most tools write it) must not send SQLAlchemy looking for psycopg2."""
    for plain in ("postgresql://user:secret@127.0.0.1:5432/test", "postgres://user@127.0.0.1/test"):
        engine = create_db_engine(plain)
        try:
            assert engine.url.drivername == "postgresql+psycopg"
            assert engine.url.password == ("secret" if "secret" in plain else None)
        finally:
            engine.dispose()
