"""Several processes bringing one catalogue up to date at the same moment.

In production the site's workers, the processing workers and a deploy's `webinar-archive migrate`
may all start together on one PostgreSQL database. Each calls `upgrade_database`, which takes a
lock (a PostgreSQL advisory lock, or a file lock beside the SQLite file): one migrates, the
others wait and find the schema at head. Without it both see an empty schema, both create the
tables, and one dies on "already exists".
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from server.catalog.db import create_db_engine

PROCESSES = 2


def _migrate(database_url: str, data_dir: str, barrier: Barrier, out: str) -> None:
    """One `webinar-archive migrate`, started when every process is ready (a spawned child)."""
    import contextlib
    import io

    from server.cli import main

    os.environ.update({"DATABASE_URL": database_url, "ARCHIVE_DATA_DIR": data_dir})
    printed = io.StringIO()
    barrier.wait(timeout=60)
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        status = main(["migrate"])
    Path(out).write_text(f"{status}\n{printed.getvalue()}", encoding="utf-8")


def test_two_processes_migrating_a_fresh_catalogue_at_once_both_succeed(
    catalog_url: str, tmp_path: Path
) -> None:
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters, as separate commands are
    barrier = spawn.Barrier(PROCESSES)
    outs = [tmp_path / f"migrate-{n}.txt" for n in range(PROCESSES)]
    children = [
        spawn.Process(target=_migrate, args=(catalog_url, str(tmp_path / "var"), barrier, str(out)))
        for out in outs
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=120)
    assert [child.exitcode for child in children] == [0] * PROCESSES

    reports = [out.read_text(encoding="utf-8") for out in outs]
    assert all(report.startswith("0\n") for report in reports), reports
    assert all("error" not in report for report in reports), reports
    # Exactly one of them migrated; the other waited for it and found nothing to do.
    assert sum("upgraded from empty to" in report for report in reports) == 1, reports
    assert sum("already at" in report for report in reports) == PROCESSES - 1, reports

    engine = create_db_engine(catalog_url)
    try:
        with engine.connect() as connection:
            head = MigrationContext.configure(connection).get_current_revision()
            assert head is not None
            assert f"to {head} (newest)" in "".join(reports)
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
            assert {"webinar", "segment", "processing_job"} <= set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_migrate_with_the_database_unreachable_is_one_line_and_exit_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.cli import main
    from server.search.process import free_port

    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://archive@127.0.0.1:{free_port()}/archive")
    assert main(["migrate"]) == 6  # unavailable: a deploy script tries again later
    err = capsys.readouterr().err
    assert err.startswith("webinar-archive: error: the database cannot be reached: ")
    assert len(err.strip().splitlines()) == 1
