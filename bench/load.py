"""Load benchmark: readers and staff against the production setup, on a 100k-segment catalogue.

    .venv/bin/python bench/load.py                          # SQLite, 50 and 200 readers, 20 s each
    .venv/bin/python bench/load.py --segments 20000 --seconds 10   # make bench: about 2 minutes
    .venv/bin/python bench/load.py --database postgresql    # the README's production database
    .venv/bin/python bench/load.py --clients 10 25 50 100 200 --rounds 3   # the saturation sweep
    .venv/bin/python bench/load.py --think 0 --clients 50   # a stress test: no pause between requests

The server runs as the README tells production to run it: `webinar-archive migrate`, then
`webinar-archive serve --workers N --no-worker` (N = one per core) with `MEILI_URL` pointing at
a Meilisearch that is started apart from it (as a shared one would be). Before that, a synthetic
catalogue of `--segments` segments (bench/search.py's generator: transcript-like text, 45-120
minute webinars, 3-6 speakers, chapters, questions and answers) is stored in the database
through the catalogue's own store function and indexed by the archive's indexer, so search,
replay pages and captions all read the same webinars; a staff account gets an API token.

Each phase runs N clients for a fixed time (`--seconds`) over a mix of what people do: the JSON
search API (one word, phrases, typos, filters by kind, date and topic, facets), the grouped
search, the search page, replay pages at a moment (popular webinars more often, and a long tail),
WebVTT captions, ranged media requests, the home page, and staff correcting a segment's text
through `PATCH /api/webinars/{slug}/segments/{id}` with a Bearer token. By default a client
pauses 0.5-1.5 s between requests, as a reader does (`--think`); with 0 it is a stress test.
Per endpoint it prints requests per second, p50/p95/p99 latency and errors; per phase the CPU
each part used (web workers, Meilisearch, PostgreSQL, the load generator itself, in cores) and
the most requests seen waiting for a database thread (polled from `/health`), so the phase that
stops growing says what ran out. Traffic goes to 127.0.0.1 only, and every phase is bounded in
time.

Targets on the project's 2-core machine: no errors, `/api/search` p95 under 100 ms at 50
clients. Building the 100k catalogue takes most of the time: 4-9 minutes on a busy 2-core
machine (storing, then indexing with search by meaning's vectors); every phase after it is
bounded by `--seconds`. On a machine other people are using, `--priority 10` keeps their work
from taking most of the cores the measured processes need (README, "Load").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import itertools
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import msgspec
import numpy as np
from search import generate, query_mix  # bench/search.py, beside this file
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from ingest.document import Chapter, Segment, SegmentVectors, Speaker, Transcript, Word
from ingest.embeddings import DIMENSIONS, MODEL_NAME, passages, texts_digest, to_bytes
from ingest.metadata import Manifest, Person
from ingest.probe import MediaInfo
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.models import Segment as SegmentRow
from server.catalog.models import Webinar
from server.catalog.store import store_transcript
from server.search.documents import SegmentDocument
from server.search.indexer import index_catalogue
from server.search.process import LocalMeilisearch, MeiliConnection
from server.search.service import SearchQuery
from server.settings import Settings
from tests.load_traffic import Report, Target, drive, percentile, serve, time_to_answer
from tests.process_cpu import CpuMeter, children, matching, set_niceness
from tests.site_data import add_account, add_token

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HTML = {"accept": "text/html"}
MEDIA_NAME = "catalogue.opus"
MEDIA_BYTES = 4_000_000
STAFF_EMAIL = "load-bench@example.org"
CORRECTIONS = ("(checked)", "indeed", "as agreed", "in 2024", "for SMEs", "Interreg", "again", "so")


# ---- the catalogue ----------------------------------------------------------------------------


def as_transcript(batch: list[SegmentDocument]) -> tuple[Manifest, Transcript]:
    """One generated webinar (bench/search.py's documents) as an ingest would leave it."""
    first = batch[0]
    names = list(dict.fromkeys(d.speaker for d in batch if d.speaker))
    labels = {name: f"SPEAKER_{i:02d}" for i, name in enumerate(names)}
    parts: dict[str, int] = {}  # "Part 3" -> chapter position
    chapters: list[Chapter] = []
    segments: list[Segment] = []
    last_question: int | None = None
    for position, d in enumerate(batch):
        part = (d.chapter or "Part 1").split(":")[0]
        if part not in parts:
            parts[part] = len(chapters)
            if chapters:
                chapters[-1].end = d.start
            chapters.append(Chapter(d.start, d.end, d.chapter or part, d.kind))  # type: ignore[arg-type]
        tokens = d.text.split()
        step = (d.end - d.start) / max(1, len(tokens))
        words = [
            Word(d.start + i * step, d.start + (i + 1) * step, f" {t}", 0.9) for i, t in enumerate(tokens)
        ]
        if d.kind == "question":
            last_question = position
        segments.append(
            Segment(
                id=position,
                start=d.start,
                end=d.end,
                text=d.text,
                words=words,
                speaker=labels.get(d.speaker or ""),
                kind=d.kind,  # type: ignore[arg-type]
                chapter=parts[part],
                answers=last_question if d.kind == "answer" else None,
            )
        )
    duration = batch[-1].end + 5.0
    chapters[-1].end = duration
    projects = first.projects or ["ArchiveNet"]
    people = [Person(name, "speaker", None, projects[i % len(projects)]) for i, name in enumerate(names)]
    manifest = Manifest(
        title=first.webinar_title,
        date=dt.date.fromisoformat(first.date) if first.date else None,
        language="en",
        topics=list(first.topics),
        speakers=people,
    )
    speakers = [Speaker(labels[name], name) for name in names]
    transcript = Transcript("en", duration, "synthetic", segments, speakers, chapters, [])
    return manifest, msgspec.structs.replace(transcript, embeddings=stand_in_vectors(segments))


def stand_in_vectors(segments: list[Segment]) -> SegmentVectors:
    """Random unit vectors in the embedding model's shape, one per passage of each segment.

    Computing the real ones for 100k segments would take the model most of an hour on two
    cores; what the load measures (the query's own embedding in the web worker, Meilisearch's
    vector search over 100k vectors) costs the same with these. The vectors of segments staff
    correct during the run are computed for real by the server, as after any edit.
    """
    rng = np.random.default_rng(len(segments))
    counts = [len(passages(segment.text)) for segment in segments]
    rows = rng.standard_normal((sum(counts), DIMENSIONS)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return SegmentVectors(
        model=MODEL_NAME,
        dimensions=DIMENSIONS,
        data=to_bytes(rows),
        counts=counts,
        texts=texts_digest([segment.text for segment in segments]),
    )


@dataclass
class Catalogue:
    webinars: list[tuple[str, float]]
    """(slug, duration in seconds), in the order stored."""
    editable: list[tuple[str, int, str]]
    """(slug, segment id, text) of segments staff correct during the run."""
    token: str
    segments: int
    seconds: dict[str, float] = field(default_factory=dict)


def build_catalogue(settings: Settings, connection: MeiliConnection, total: int) -> Catalogue:
    """Store `total` generated segments through the catalogue, index them, make a staff token."""
    media_dir = settings.storage.media_dir
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / MEDIA_NAME).write_bytes(random.Random(3).randbytes(MEDIA_BYTES))
    url = settings.storage.database_url
    upgrade_database(url)
    engine = create_db_engine(url)
    seconds: dict[str, float] = {}
    try:
        started = time.perf_counter()
        webinars: list[tuple[str, float]] = []
        for batch in generate(total):
            manifest, transcript = as_transcript(batch)
            slug = batch[0].webinar
            info = MediaInfo(
                path=Path(MEDIA_NAME),
                container="ogg",
                duration=transcript.duration,
                audio_codec="opus",
                sample_rate=48000,
                channels=1,
                has_video=False,
            )
            digest = hashlib.sha256(slug.encode()).hexdigest()  # one file shared, one identity each
            with Session(engine) as session, session.begin():
                store_transcript(session, info, digest, manifest, transcript, slug=slug)
            webinars.append((slug, transcript.duration))
        seconds["store"] = time.perf_counter() - started
        started = time.perf_counter()
        index_catalogue(settings, engine, connection=connection, index_uid=settings.search.index_uid)
        seconds["index"] = time.perf_counter() - started
        editable: list[tuple[str, int, str]] = []
        with Session(engine) as session:
            for slug, _ in webinars[:: max(1, len(webinars) // 24)][:24]:
                webinar = session.exec(select(Webinar).where(Webinar.slug == slug)).one()
                rows = session.exec(
                    select(SegmentRow)
                    .where(SegmentRow.webinar_id == webinar.id)
                    .order_by(col(SegmentRow.position))
                    .limit(3)
                ).all()
                editable += [(slug, row.id or 0, row.text) for row in rows]
    finally:
        engine.dispose()
    add_account(settings, STAFF_EMAIL, "load-bench-password-123")
    token = add_token(settings, STAFF_EMAIL)
    return Catalogue(webinars, editable, token, total, seconds)


# ---- the mix ----------------------------------------------------------------------------------


def search_params(query: SearchQuery, grouped: bool = False) -> str:
    params: dict[str, Any] = {"q": query.q, "limit": 10 if grouped else query.limit}
    if grouped:
        params["group"] = "webinar"
    for name in ("kind", "topic", "date_from", "date_to"):
        value = getattr(query, name)
        if value is not None:
            params[name] = str(value)
    return urlencode(params)


def corrected(text: str, rng: random.Random) -> dict[str, str]:
    """A new text for the segment: its original with a word or two added (a real change)."""
    return {"text": f"{text} {rng.choice(CORRECTIONS)}"}


def request_mix(catalogue: Catalogue, edits: int = 5, seed: int = 11) -> list[Target]:
    """123 reads and `edits` staff edits, shuffled; every client walks them from its own start.

    The reads: 40 `/api/search` (8 each of one word, phrase, typo, filtered, faceted), 8 grouped
    searches, 10 search pages, 30 replay pages, 10 captions, 20 ranged media reads, 5 home pages.
    Replay pages and captions pick webinars Zipf-like (a few popular, a long tail), so the
    per-process cache of rendered transcripts is missed as it would be.
    """
    rng = random.Random(seed)
    targets: list[Target] = []
    mix = query_mix()
    for queries in mix.values():
        targets += [Target("api/search", f"/api/search?{search_params(q)}") for q in queries[:8]]
    grouped = [mix["one word"][0], mix["phrase"][1], mix["typo"][2], mix["filtered"][3]]
    targets += [Target("api/search grouped", f"/api/search?{search_params(q, True)}") for q in grouped * 2]
    words = ["procurement", "shore power", "hydrogen", "biodiversity", "renovaton", "cohesion", "tender"]
    targets += [
        Target("search page", f"/search?{urlencode({'q': rng.choice(words)})}", HTML) for _ in range(10)
    ]
    weights = [1.0 / (rank + 1) for rank in range(len(catalogue.webinars))]
    for slug, duration in rng.choices(catalogue.webinars, weights, k=30):
        targets.append(Target("replay", f"/webinars/{slug}?t={int(rng.uniform(0, duration))}", HTML))
    for slug, _ in rng.choices(catalogue.webinars, weights, k=10):
        targets.append(Target("captions", f"/webinars/{slug}/captions.vtt"))
    for _ in range(20):
        start = rng.randrange(0, MEDIA_BYTES - 65536)
        targets.append(
            Target("media range", f"/media/{MEDIA_NAME}", {"range": f"bytes={start}-{start + 65535}"})
        )
    targets += [Target("home", "/", HTML) for _ in range(5)]
    bearer = {"authorization": f"Bearer {catalogue.token}"}
    for slug, segment_id, original in rng.sample(catalogue.editable, min(edits, len(catalogue.editable))):
        path = f"/api/webinars/{slug}/segments/{segment_id}"
        targets.append(Target("staff edit", path, bearer, method="PATCH", json=partial(corrected, original)))
    rng.shuffle(targets)
    return targets


# ---- phases -----------------------------------------------------------------------------------


@dataclass
class Phase:
    clients: int
    report: Report
    cpu: dict[str, float]
    """Cores used per part over the phase."""
    waiting: int
    """The most requests seen waiting for a database thread in one worker (from /health)."""
    recovery: float


async def _watch_pool(base_url: str, stop: asyncio.Event, seen: list[int]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        while not stop.is_set():
            try:
                database = (await http.get("/health")).json().get("database", {})
                seen.append(int(database.get("waiting", 0)))
            except (httpx.HTTPError, ValueError):
                pass
            await asyncio.sleep(0.5)


async def _phase(
    base_url: str, targets: list[Target], clients: int, seconds: float, think: float
) -> tuple[Report, int]:
    stop = asyncio.Event()
    seen: list[int] = [0]
    watcher = asyncio.create_task(_watch_pool(base_url, stop, seen))
    try:
        report = await drive(base_url, targets, clients=clients, seconds=seconds, timeout=10.0, think=think)
    finally:
        stop.set()
        await watcher
    return report, max(seen)


def run_phase(
    base_url: str, targets: list[Target], clients: int, seconds: float, think: float, meter: CpuMeter
) -> Phase:
    meter.start()
    report, waiting = asyncio.run(_phase(base_url, targets, clients, seconds, think))
    meter.stop()
    replay = next(t for t in targets if t.name == "replay")
    try:
        recovery = time_to_answer(base_url + replay.path, within=1.0, give_up=60.0)
    except TimeoutError:
        recovery = float("inf")
    return Phase(clients, report, meter.share(report.wall), waiting, recovery)


def cpu_line(phase: Phase) -> str:
    return "CPU in cores: " + ", ".join(f"{name} {cores:.2f}" for name, cores in phase.cpu.items())


# ---- set-up -----------------------------------------------------------------------------------


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


@contextmanager
def database_for(database: str, postgres_url: str, base: Path) -> Iterator[str]:
    """The database URL a run serves from: a SQLite file under `base`, or a fresh schema."""
    if database == "sqlite":
        (base / "var").mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{base / 'var' / 'archive.db'}"
        return
    with postgres_schema(postgres_url) as url:
        yield url


def migrate(env: dict[str, str], checkout: Path) -> str:
    """`webinar-archive migrate`, the deploy step before `serve`, when this checkout has it."""
    command = [sys.executable, "-m", "server.cli", "migrate"]
    done = subprocess.run(command, cwd=checkout, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode == 0:
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "migrated"
    if "invalid choice" in done.stderr:
        return "no `migrate` command in this checkout: `serve` migrated at start-up"
    raise SystemExit(f"webinar-archive migrate failed:\n{done.stderr}")


def meter_for(server_pid: int, meili_dir: Path) -> CpuMeter:
    """CPU groups: the server's process tree, this Meilisearch, every PostgreSQL process, us."""
    here = os.getpid()
    return CpuMeter(
        {
            "web workers": lambda: [server_pid, *children(server_pid)],
            "meilisearch": lambda: matching(lambda c: "meilisearch" in c and str(meili_dir) in c),
            "postgresql": lambda: matching(lambda c: c.startswith("postgres")),
            "load generator": lambda: [here],
        }
    )


Results = dict[tuple[str, float, int], list[Phase]]
"""(database, think seconds, clients) -> the phases run with them, one per round."""


def run_database(args: argparse.Namespace, database: str, results: Results) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="load-bench-") as tmp,
        database_for(database, args.postgres_url, Path(tmp)) as database_url,
    ):
        base = Path(tmp)
        meili = LocalMeilisearch(base / "meili")  # started apart from the site, as a shared one is
        try:
            connection = meili.start()
            env = {
                "ARCHIVE_DATA_DIR": str(base / "var"),
                "ARCHIVE_MEDIA_DIR": str(base / "media"),
                "DATABASE_URL": database_url,
                "MEILI_URL": connection.url,
                "MEILI_MASTER_KEY": connection.api_key or "",
            }
            settings = Settings.from_env(env, base_dir=base)
            catalogue = build_catalogue(settings, connection, args.segments)
            print(
                f"\n== {database}: {catalogue.segments:,} segments in {len(catalogue.webinars)} webinars; "
                f"stored in {catalogue.seconds['store']:.0f} s, indexed in {catalogue.seconds['index']:.0f} s"
            )
            print(f"migrate: {migrate(env, args.checkout)}")
            targets = request_mix(catalogue, args.edits)
            serve_args = ["--workers", str(args.workers), "--no-worker"]
            print(f"serve {' '.join(serve_args)} (MEILI_URL {connection.url})", flush=True)
            log = base / "server.log"
            with serve(env, cwd=args.checkout, args=serve_args, log=log, ready_timeout=180) as (url, process):
                meter = meter_for(process.pid, base / "meili")
                if args.priority:  # not PostgreSQL's: its new backends would inherit it, anyone's
                    ours = [
                        pid for name, pids in meter.groups.items() if name != "postgresql" for pid in pids()
                    ]
                    threads = set_niceness(ours, -args.priority)
                    print(f"niceness -{args.priority} for {threads} threads (server, Meilisearch, generator)")
                asyncio.run(drive(url, targets, clients=4, requests=len(targets), timeout=30.0))  # warm-up
                for round_ in range(args.rounds):
                    for think, clients in itertools.product(args.think, args.clients):
                        phase = run_phase(url, targets, clients, args.seconds, think, meter)
                        results.setdefault((database, think, clients), []).append(phase)
                        print(
                            f"\n-- {database}, {clients} clients, think {think:g} s, "
                            f"round {round_ + 1}/{args.rounds}: "
                            f"{cpu_line(phase)}; most waiting for a database thread {phase.waiting}; "
                            f"back to normal after {phase.recovery:.2f} s"
                        )
                        print(phase.report.table(), flush=True)
        finally:
            set_niceness([os.getpid()], 0)
            meili.stop()


def summarise(results: Results) -> None:
    print("\n== medians over rounds")
    print(
        f"{'database':<11} {'think':>5} {'clients':>7} {'req/s':>7} {'errors':>6} "
        f"{'search p50/p95/p99 ms':>22} "
        f"{'replay p95':>10} {'all p95':>8} {'web':>5} {'meili':>5} {'pg':>5} {'gen':>5} {'all':>5} "
        f"{'wait':>4}"
    )
    for (database, think, clients), phases in results.items():

        def med(values: list[float]) -> float:
            return statistics.median(values)

        def p(name: str, pct: float, phases: list[Phase] = phases) -> float:
            return med(
                [percentile(sorted(o.seconds * 1000 for o in ph.report.of(name)), pct) for ph in phases]
            )

        every = med([percentile(sorted(o.seconds * 1000 for o in ph.report.answered), 95) for ph in phases])
        cpu = {name: med([ph.cpu[name] for ph in phases]) for name in phases[0].cpu}
        rate = med([len(ph.report.answered) / ph.report.wall for ph in phases])
        print(
            f"{database:<11} {think:>5g} {clients:>7} {rate:>7.1f} "
            f"{med([len(ph.report.errors) for ph in phases]):>6.0f} "
            f"{p('api/search', 50):>8.1f} /{p('api/search', 95):>6.1f} /{p('api/search', 99):>6.1f} "
            f"{p('replay', 95):>10.1f} {every:>8.1f} {cpu['web workers']:>5.2f} {cpu['meilisearch']:>5.2f} "
            f"{cpu['postgresql']:>5.2f} {cpu['load generator']:>5.2f} {cpu['all processes']:>5.2f} "
            f"{med([ph.waiting for ph in phases]):>4.0f}"
        )
    print("(CPU in cores over the phase: web workers, Meilisearch, every PostgreSQL process, this load")
    print(" generator, and the whole machine; wait: most requests seen queued for a database thread)")


def main() -> None:
    for noisy in ("httpx", "httpx2", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=100_000, help="catalogue size")
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every phase, interleaved")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="web worker processes (one per core)"
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[1.0],
        help="seconds a client pauses between requests, on average (0: none, a stress test); "
        "several values: every client count under each",
    )
    parser.add_argument(
        "--edits", type=int, default=5, metavar="0-30", help="staff edits among every 123 reads"
    )
    parser.add_argument(
        "--priority",
        type=int,
        default=0,
        help="lower the niceness of the server, Meilisearch and this generator by this much "
        "while measuring, so other work on a shared machine takes less of the cores (root)",
    )
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to serve (a git worktree)")
    args = parser.parse_args()
    if args.seconds <= 0 or args.seconds > 600 or any(c < 1 or c > 1000 for c in args.clients):
        parser.error("phases last 1-600 s with 1-1000 clients")
    if not 0 <= args.edits <= 30:
        parser.error("--edits: 0 to 30")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"{os.cpu_count()} CPUs; serving {args.checkout}; {args.workers} web worker(s); "
        f"{args.seconds:.0f} s a phase; think {' and '.join(f'{t:g}' for t in args.think)} s; "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    results: Results = {}
    for database in databases:
        run_database(args, database, results)
    summarise(results)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")
