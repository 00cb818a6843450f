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
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.document import Transcript
from ingest.embeddings import DIMENSIONS
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.store import store_transcript
from server.search.documents import SegmentDocument, WebinarAssembly, vector_field
from server.search.index import connected_index
from server.search.process import LocalMeilisearch
from tests.factories import make_media_info
from tests.site_data import demo_manifest, long_transcript

PASSAGES = 3
"""Vectors per segment: the whole segment and its sentences (bench/search.py measured 3.3 on the
demo)."""


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


def measure_index(segments: int, passages: int = 0) -> None:
    """Index `segments` of the benchmark's catalogue; with `passages`, each segment carries that
    many vectors of the embedding model's size (random unit vectors: the bytes a real one takes)."""
    bench = _search_bench()
    rng = np.random.default_rng(7)
    texts = [0]
    slugs: set[str] = set()
    assembly = WebinarAssembly()

    def batches() -> Iterator[list[SegmentDocument]]:
        for batch in bench.generate(segments):
            if passages:
                vectors = rng.standard_normal((len(batch), passages, DIMENSIONS)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=2, keepdims=True)
                batch = [
                    msgspec.structs.replace(d, vectors=vector_field(v))
                    for d, v in zip(batch, vectors, strict=True)
                ]
            for doc in batch:
                texts[0] += len(doc.text)
                slugs.add(doc.webinar)
            assembly.add(batch)
            yield batch

    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        server = LocalMeilisearch(Path(tmp))
        connection = server.start()
        try:
            pid = _meili_pid(server.home)
            idle = _rss_bytes(pid)
            started = time.perf_counter()

            async def index_all() -> None:
                async with connected_index(connection, bench.INDEX) as index:  # the query mix's index
                    await index.drop()
                    await index.ensure()
                    await index.add(batches())
                    await index.add_webinars(assembly.documents())

            asyncio.run(index_all())
            indexed_in = time.perf_counter() - started
            disk = _folder_bytes(server.home)
            after_indexing = _rss_bytes(pid)
            run = bench.meili_direct(connection)
            for queries in bench.query_mix().values():
                for query in queries:
                    run(query)
            after_queries = _rss_bytes(pid)
        finally:
            server.stop()
    characters, webinars = texts[0], len(slugs)
    with_vectors = f", {passages} vectors of {DIMENSIONS} each" if passages else ", no vectors"
    print(
        f"Meilisearch, {segments:,} segments of {webinars:,} webinars "
        f"({characters / segments:.0f} characters of text each{with_vectors})"
    )
    print(f"  generated and indexed in {indexed_in:.1f} s")
    print(f"  data folder on disk: {disk / 1e6:,.1f} MB = {disk / segments:,.0f} bytes per segment")
    print(
        f"  resident memory: idle {idle / 1e6:,.0f} MB, after indexing {after_indexing / 1e6:,.0f} MB, "
        f"after the query mix {after_queries / 1e6:,.0f} MB"
    )


def _store(url: str, transcript: Transcript, passages: int) -> None:
    """Store the transcript; with `passages`, each segment's vectors as the pipeline stores them
    (`segment_embedding`: passages x DIMENSIONS float32, random bytes of the same size)."""
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        from sqlmodel import Session, select

        from server.catalog.models import Segment, SegmentEmbedding

        with Session(engine) as session, session.begin():
            info = make_media_info("footprint.opus", transcript.duration)
            webinar = store_transcript(session, info, uuid.uuid4().hex * 2, demo_manifest(), transcript)
            if passages:
                for segment_id in session.exec(select(Segment.id).where(Segment.webinar_id == webinar.id)):
                    assert segment_id is not None
                    vector = os.urandom(passages * DIMENSIONS * 4)
                    session.add(
                        SegmentEmbedding(
                            segment_id=segment_id, model="footprint", text_hash="0" * 32, vector=vector
                        )
                    )
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


def measure_catalogue(hours: float, postgres: str | None, passages: int = 0) -> None:
    transcript = long_transcript(hours)
    count = len(transcript.segments)
    words = sum(len(s.words) for s in transcript.segments)
    vectors = f", {passages} vectors of {DIMENSIONS} a segment" if passages else ", no vectors"
    print(f"Catalogue, one webinar of {hours:g} h: {count:,} segments, {words:,} words with times{vectors}")
    rows: list[tuple[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="footprint-") as tmp:
        empty_url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        upgrade_database(empty_url)
        url = f"sqlite:///{Path(tmp) / 'one.db'}"
        _store(url, transcript, passages)
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
            _store(url, transcript, passages)
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
    parser.add_argument(
        "--passages",
        type=int,
        default=PASSAGES,
        help=f"vectors per segment for search by meaning (default {PASSAGES}; 0: keyword search only)",
    )
    parser.add_argument(
        "--vector-segments", type=_count, default=20_000, help="segments indexed with vectors (default 20k)"
    )
    args: Any = parser.parse_args(argv)
    measure_catalogue(args.hours, args.postgres)
    if args.passages:
        measure_catalogue(args.hours, args.postgres, args.passages)
    measure_index(args.segments)
    if args.passages and args.vector_segments:
        measure_index(args.vector_segments, args.passages)


if __name__ == "__main__":
    main()
