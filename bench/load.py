"""Load benchmark: many concurrent readers against `webinar-archive serve`, on SQLite and PostgreSQL.

    .venv/bin/python bench/load.py                         # 50 and 200 clients, 30 s each, both databases
    .venv/bin/python bench/load.py --database sqlite --seconds 20 --clients 50
    .venv/bin/python bench/load.py --rounds 3              # interleaved repeats, medians printed
    .venv/bin/python bench/load.py --think 1               # readers: each pauses ~1 s between pages

A catalogue of the demo webinar stored three times plus one synthetic two-hour webinar (~1,500
segments) is built under a temporary folder, indexed in a Meilisearch of its own, and served by
`webinar-archive serve` in its own process (`--workers N` is passed through). Each phase runs N
clients for a bounded time over a mix of what readers do: the JSON search API, the HTML search
page, the replay page at a moment, WebVTT captions and a ranged media request, and the home page.
After each phase, the time until a replay page answers within a second again is measured (the
server must come back by itself after an overload). Traffic goes to 127.0.0.1 only.

Targets on the project's 2-core machine: no errors at 50 clients, replay page p95 under 100 ms at
50 clients, back to normal within 5 s after any phase.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ingest.metadata import Manifest
from server.catalog.db import create_db_engine
from server.search.process import LocalMeilisearch
from server.settings import Settings
from tests.load_traffic import Report, Target, drive, percentile, serve, time_to_answer
from tests.site_data import demo_manifest, demo_transcript, long_transcript, store_and_index

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HTML = {"accept": "text/html"}


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A URL on a fresh schema of `base_url` (dropped afterwards), like the test suite's."""
    admin = create_db_engine(base_url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url)
    rendered = url.set(query={}).render_as_string(hide_password=False)
    try:
        yield f"{rendered}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def build_archive(base: Path, database_url: str, meili: LocalMeilisearch) -> list[Target]:
    """Store and index the webinars; return the request mix that reads them."""
    env = {"ARCHIVE_DATA_DIR": str(base / "var"), "ARCHIVE_MEDIA_DIR": str(base / "media")}
    settings = Settings.from_env({**env, "DATABASE_URL": database_url}, base_dir=base)
    connection = meili.start()
    slugs = []
    for n in range(3):
        manifest = demo_manifest()
        slugs.append(
            store_and_index(
                settings,
                demo_transcript(),
                msgspec.structs.replace(manifest, title=f"{manifest.title} (copy {n + 1})"),
                f"demo-{n}.opus",
                connection=connection,
                index_uid="segments",
            )
        )
    long_slug = store_and_index(
        settings,
        long_transcript(2.0, seed=1),
        Manifest(title="Two hours on regional cooperation", topics=["cooperation"]),
        "long.opus",
        connection=connection,
        index_uid="segments",
        media_bytes=os.urandom(2_000_000),
    )
    return [
        Target("api/search", "/api/search?q=shore+power&limit=10"),
        Target("search page", "/search?q=pruning+waste", HTML),
        Target("replay", f"/webinars/{slugs[0]}?t=121", HTML),
        Target("replay 2h", f"/webinars/{long_slug}?t=3600", HTML),
        Target("captions", f"/webinars/{slugs[1]}/captions.vtt"),
        Target("media", "/media/long.opus", {"range": "bytes=1000000-1065535"}),
        Target("home", "/", HTML),
        Target("api/search", "/api/search?q=tariff+model&group=webinar"),
        Target("search page", "/search?q=ferry", HTML),
        Target("replay", f"/webinars/{slugs[2]}?t=40", HTML),
    ]


def run_phase(
    base_url: str, targets: list[Target], clients: int, seconds: float, think: float
) -> tuple[Report, float]:
    report = asyncio.run(
        drive(base_url, targets, clients=clients, seconds=seconds, timeout=10.0, think=think)
    )
    replay = next(t for t in targets if t.name == "replay")
    try:
        recovery = time_to_answer(base_url + replay.path, within=1.0, give_up=60.0)
    except TimeoutError:
        recovery = float("inf")
    return report, recovery


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every phase, interleaved")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a client pauses between requests (0: none, a stress test)",
    )
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to serve (a git worktree)")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    summary: dict[tuple[str, int], list[tuple[Report, float]]] = {}
    print(
        f"{os.cpu_count()} CPUs; serving {args.checkout}; {args.workers} worker(s); {args.seconds:.0f} s each"
    )
    for database in databases:
        with (
            tempfile.TemporaryDirectory(prefix="load-bench-") as tmp,
            contextlib_schema(database, args.postgres_url, Path(tmp)) as database_url,
        ):
            base = Path(tmp)
            meili = LocalMeilisearch(base / "meili")
            try:
                targets = build_archive(base, database_url, meili)
                connection = meili.start()
                env = {
                    "ARCHIVE_DATA_DIR": str(base / "var"),
                    "ARCHIVE_MEDIA_DIR": str(base / "media"),
                    "DATABASE_URL": database_url,
                    "MEILI_URL": connection.url,
                    "MEILI_MASTER_KEY": connection.api_key or "",
                }
                extra = ["--workers", str(args.workers)] if args.workers > 1 else []
                with serve(env, cwd=args.checkout, args=extra, log=base / "server.log") as (url, _):
                    for round_ in range(args.rounds):
                        for clients in args.clients:
                            report, recovery = run_phase(url, targets, clients, args.seconds, args.think)
                            summary.setdefault((database, clients), []).append((report, recovery))
                            print(f"\n== {database}, {clients} clients, round {round_ + 1}: "
                                  f"back to normal after {recovery:.2f} s")  # fmt: skip
                            print(report.table())
            finally:
                meili.stop()
    print("\n== medians over rounds")
    print(
        f"{'database':<11} {'clients':>7} {'req/s':>8} {'errors':>7} {'replay p95 ms':>14} {'recovery s':>11}"
    )
    for (database, clients), runs in summary.items():
        rates = [len(r.answered) / r.wall for r, _ in runs]
        errors = [len(r.errors) for r, _ in runs]
        replay = [percentile(sorted(o.seconds * 1000 for o in r.of("replay")), 95) for r, _ in runs]
        recoveries = [s for _, s in runs]
        print(
            f"{database:<11} {clients:>7} {statistics.median(rates):>8.1f} {statistics.median(errors):>7.0f} "
            f"{statistics.median(replay):>14.1f} {statistics.median(recoveries):>11.2f}"
        )


@contextmanager
def contextlib_schema(database: str, postgres_url: str, base: Path) -> Iterator[str]:
    """The database URL a phase serves from: a SQLite file under `base`, or a fresh schema."""
    if database == "sqlite":
        yield f"sqlite:///{base / 'var' / 'archive.db'}"
        return
    with postgres_schema(postgres_url) as url:
        yield url


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")
