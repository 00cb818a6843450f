"""SQLite: a snapshot with the online backup API, and its restore the same way round.

`sqlite3.Connection.backup` copies the database page by page while the site keeps running; if
another connection writes meanwhile, SQLite starts the copy again, so the file it leaves is one
consistent state (WAL included). The copy is switched to the rollback journal so the backup is
one self-contained file. Restoring copies the backup's pages into the target inside one write
transaction: interrupted, the target is left as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from ingest.errors import InputError

PAGES_PER_STEP = 1024

Progress = Callable[[int, int], None]
"""(pages done, pages in all)"""


def sqlite_file(database_url: str) -> Path:
    database = make_url(database_url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise InputError(
            f"DATABASE_URL={database_url!r}: a database in memory cannot be backed up or restored"
        )
    return Path(database).expanduser().resolve()


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> None:
    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)

    source.backup(target, pages=PAGES_PER_STEP, progress=step)


def snapshot_sqlite(database_url: str, target: Path, progress: Progress | None = None) -> None:
    """The catalogue at `database_url` copied, consistently, into the new file `target`."""
    path = sqlite_file(database_url)
    if not path.is_file():
        raise InputError(f"no catalogue at {path}: nothing to back up")
    # mode=rw: never create an empty database where the catalogue was expected.
    with (
        closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        _copy(source, copy, progress)
        copy.execute("PRAGMA journal_mode=DELETE")


def restore_sqlite(backup: Path, database_url: str, progress: Progress | None = None) -> None:
    """The backup's pages written over the catalogue at `database_url` (created if missing)."""
    path = sqlite_file(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source,
        closing(sqlite3.connect(path, timeout=30)) as target,
    ):
        _copy(source, target, progress)
