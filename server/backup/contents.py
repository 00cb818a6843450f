"""What a catalogue snapshot holds: rows per table, its migration revision, the recordings it
names. Read through SQLAlchemy, so one query set serves SQLite and PostgreSQL, the snapshot
being made and the database just restored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, inspect, text


@dataclass(frozen=True)
class Contents:
    rows: dict[str, int]
    revision: str | None
    media: list[str]
    """Every webinar's `media_path`, as stored (relative to ARCHIVE_MEDIA_DIR)."""


def describe(connection: Connection) -> Contents:
    """Counted inside the caller's transaction, so it matches the snapshot taken in it."""
    tables = sorted(inspect(connection).get_table_names())
    preparer = connection.dialect.identifier_preparer
    rows = {
        table: int(connection.execute(text(f"SELECT count(*) FROM {preparer.quote(table)}")).scalar_one())
        for table in tables
    }
    revision = None
    if "alembic_version" in tables:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    media: list[str] = []
    if "webinar" in tables:
        found = connection.execute(text("SELECT DISTINCT media_path FROM webinar ORDER BY media_path"))
        media = [str(path) for (path,) in found if path]
    return Contents(rows, revision, media)


def occupied(connection: Connection) -> list[str]:
    """Why this catalogue is not empty (webinars, accounts), or nothing: a catalogue whose
    tables exist but hold neither (a server started once) counts as empty."""
    tables = set(inspect(connection).get_table_names())
    reasons = []
    for table, what in (("webinar", "webinars"), ("app_user", "staff accounts")):
        if table in tables:
            count = int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            if count:
                reasons.append(f"{count} {what}")
    return reasons
