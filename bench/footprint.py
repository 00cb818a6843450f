"""What the archive's data weighs: the search index per segment, the catalogue per hour.

    .venv/bin/python bench/footprint.py                          # 100k segments, 2 hours, SQLite
    .venv/bin/python bench/footprint.py --segments 300k --postgres postgresql+psycopg://...

The figures docs/scaling.md multiplies out to a large archive:
- Meilisearch: a Meilisearch of its own (under a temporary folder) indexes `--segments`
  segments from bench/search.py's synthetic catalogue, as the archive indexes them (segments and
  one webinar document per webinar); printed: its data folder on disk, per segment, and the
  server's resident memory after indexing and after a round of the search benchmark's queries.
- The catalogue: a synthetic webinar of `--hours` (tests/site_data.py's long transcript, 2.6 words
  a second with word times, as the pipeline stores them) stored through the real `store_transcript`
  into a SQLite file and, with `--postgres URL`, into a PostgreSQL schema of its own (dropped
  after); printed: bytes per hour of recording and per segment.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.document import Transcript
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.store import store_transcript
from server.search.documents import WebinarAssembly
from server.search.index import connected_index
from server.search.process import LocalMeilisearch
from tests.factories import make_media_info
from tests.site_data import demo_manifest, long_transcript


def _search_bench() -> ModuleType:
    """bench/search.py, for its catalogue generator and query mix (a script, not a package)."""
    path = Path(__file__).with_name("search.py")
    spec = importlib.util.spec_from_file_location("bench_search", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _meili_pid(home: Path) -> int:
    import json

    return int(json.loads((home / "server.json").read_text())["pid"])


def measure_index(segments: int) -> None:
    bench = _search_bench()
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        server = LocalMeilisearch(Path(tmp))
        connection = server.start()
        try:
            pid = _meili_pid(server.home)
            idle = _rss_bytes(pid)
            started = time.perf_counter()
            batches = list(bench.generate(segments))
            texts = sum(len(doc.text) for batch in batches for doc in batch)
            webinars = len({doc.webinar for batch in batches for doc in batch})

            async def index_all() -> None:
                async with connected_index(connection, bench.INDEX) as index:  # the query mix's index
                    await index.drop()
                    await index.ensure()
                    await index.add(batches)
                    assembly = WebinarAssembly()
                    for batch in batches:
                        assembly.add(batch)
                    await index.add_webinars(assembly.documents())

            asyncio.run(index_all())
            indexed_in = time.perf_counter() - started
            batches.clear()
            disk = _folder_bytes(server.home)
            after_indexing = _rss_bytes(pid)
            run = bench.meili_direct(connection)
            for queries in bench.query_mix().values():
                for query in queries:
                    run(query)
            after_queries = _rss_bytes(pid)
        finally:
            server.stop()
    print(
        f"Meilisearch, {segments:,} segments of {webinars:,} webinars "
        f"({texts / segments:.0f} characters of text each)"
    )
    print(f"  generated and indexed in {indexed_in:.1f} s")
    print(f"  data folder on disk: {disk / 1e6:,.1f} MB = {disk / segments:,.0f} bytes per segment")
    print(
        f"  resident memory: idle {idle / 1e6:,.0f} MB, after indexing {after_indexing / 1e6:,.0f} MB, "
        f"after the query mix {after_queries / 1e6:,.0f} MB"
    )


def _store(url: str, transcript: Transcript) -> None:
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        from sqlmodel import Session

        with Session(engine) as session, session.begin():
            info = make_media_info("footprint.opus", transcript.duration)
            store_transcript(session, info, uuid.uuid4().hex * 2, demo_manifest(), transcript)
    finally:
        engine.dispose()


def _sqlite_bytes(url: str) -> int:
    import sqlite3

    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("VACUUM")
    return os.path.getsize(path)


def _postgres_bytes(url: str, schema: str) -> int:
    from sqlalchemy import text

    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
            total = connection.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind = 'r'"
                ),
                {"schema": schema},
            ).scalar_one()
        return int(total)
    finally:
        engine.dispose()


def measure_catalogue(hours: float, postgres: str | None) -> None:
    transcript = long_transcript(hours)
    count = len(transcript.segments)
    words = sum(len(s.words) for s in transcript.segments)
    print(f"Catalogue, one webinar of {hours:g} h: {count:,} segments, {words:,} words with times")
    rows: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        empty_url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        upgrade_database(empty_url)
        url = f"sqlite:///{Path(tmp) / 'one.db'}"
        _store(url, transcript)
        rows.append(("SQLite (after VACUUM)", _sqlite_bytes(url) - _sqlite_bytes(empty_url)))
    if postgres:
        from sqlalchemy import text

        from tests.conftest import _postgres_schema_url

        schema = f"footprint_{uuid.uuid4().hex[:8]}"
        admin = create_db_engine(postgres)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = _postgres_schema_url(postgres, schema)
            upgrade_database(url)
            empty = _postgres_bytes(postgres, schema)
            _store(url, transcript)
            rows.append(("PostgreSQL (tables, indexes, TOAST)", _postgres_bytes(postgres, schema) - empty))
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    for name, size in rows:
        print(
            f"  {name}: {size / 1e6:,.2f} MB = {size / hours / 1e6:,.2f} MB per hour, "
            f"{size / count:,.0f} bytes per segment"
        )


def _count(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=_count, default=100_000, help="segments to index (100k, 1m)")
    parser.add_argument("--hours", type=float, default=2.0, help="hours of the synthetic webinar stored")
    parser.add_argument("--postgres", help="also measure the catalogue in PostgreSQL at this URL")
    args: Any = parser.parse_args(argv)
    measure_catalogue(args.hours, args.postgres)
    measure_index(args.segments)


if __name__ == "__main__":
    main()
