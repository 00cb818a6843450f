"""Search benchmark: indexing throughput and query latency on a synthetic catalogue.

    .venv/bin/python bench/search.py                 # 10k and 100k segments
    .venv/bin/python bench/search.py --sizes 1m      # 1M (long: generation + indexing)

For each size it generates a catalogue that looks like real transcripts (see `generate`), indexes
it into a Meilisearch of its own (started under a temporary folder, never the archive's), and
measures the same fixed query mix (one word, phrase, typo, filtered, faceted) five ways, one
request at a time: Meilisearch directly (the exact request `/api/search` sends), through
`/api/search` served by uvicorn in another process, the grouped search of the search page
(`group=webinar`) both in-process (the search service's own two Meilisearch requests) and through
`/api/search`, and a SQLite FTS5 baseline over the same rows doing the same work (top hits with a
snippet, the total, facet counts). The targets are measured in interleaved rounds (each once per
round, so noise hits them alike) and every figure is the median over rounds. Targets:
`/api/search` p95 <= 1.5x Meilisearch's own p95 and < 50 ms, grouped p95 < 50 ms; indexing
>= 5,000 segments/s.

Search by meaning (`--meaning`, or `--only-meaning` to skip the rest): the same documents again
with PASSAGES_PER_SEGMENT vectors each (drawn from real embeddings of generated texts), the
indexing throughput printed next to the one without vectors, then `/api/search` in keyword and
hybrid mode, interleaved, on the same mix plus 40 questions a round that no segment matches by
all their words (hybrid answers those by meaning: the query embedded in the API process, then a
vector search). Targets: hybrid p95 <= 2x keyword's at 100k and < 50 ms at 1M.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.embeddings import DIMENSIONS
from server.search.documents import SegmentDocument, WebinarAssembly, date_ts, encode_word_times
from server.search.index import FACETS, NO_COMPRESSION, MeiliIndex, connected_index, open_client
from server.search.process import LocalMeilisearch, MeiliConnection, free_port
from server.search.service import SearchQuery, SearchService, request_body

INDEX = "bench_segments"
FTS = "sqlite fts5"
EPOCH = dt.date(1970, 1, 1)

# ---- a catalogue that reads like EU-project webinars ------------------------------------------

FUNCTION_WORDS = [
    "the",
    "and",
    "of",
    "to",
    "a",
    "in",
    "that",
    "is",
    "we",
    "it",
    "for",
    "this",
    "on",
    "with",
    "as",
    "are",
    "be",
    "have",
    "you",
    "our",
    "so",
    "i",
    "they",
    "what",
    "at",
    "which",
    "there",
    "not",
    "but",
    "from",
    "can",
    "all",
    "about",
    "also",
    "very",
    "one",
    "more",
    "if",
    "by",
    "will",
    "was",
    "do",
    "really",
    "just",
    "like",
    "think",
    "know",
    "because",
    "then",
    "how",
    "when",
    "now",
    "some",
    "would",
    "these",
    "their",
    "really",
    "actually",
    "important",
    "well",
    "yes",
    "thank",
    "okay",
    "right",
    "here",
    "see",
    "need",
    "make",
    "other",
    "into",
    "only",
]
DOMAIN_WORDS = [
    "project",
    "region",
    "regional",
    "municipality",
    "municipalities",
    "cohesion",
    "funding",
    "fund",
    "programme",
    "partners",
    "partnership",
    "pilot",
    "procurement",
    "tender",
    "circular",
    "economy",
    "energy",
    "transition",
    "renewable",
    "hydrogen",
    "offshore",
    "wind",
    "port",
    "ports",
    "shore",
    "power",
    "emissions",
    "climate",
    "adaptation",
    "biodiversity",
    "water",
    "agriculture",
    "rural",
    "urban",
    "mobility",
    "cycling",
    "transport",
    "digital",
    "skills",
    "innovation",
    "research",
    "development",
    "enterprises",
    "smes",
    "sme",
    "citizens",
    "stakeholders",
    "governance",
    "strategy",
    "evaluation",
    "indicators",
    "budget",
    "co-financing",
    "interreg",
    "cooperation",
    "cross-border",
    "network",
    "capacity",
    "building",
    "tourism",
    "heritage",
    "culture",
    "youth",
    "employment",
    "inclusion",
    "migrants",
    "health",
    "housing",
    "renovation",
    "buildings",
    "efficiency",
    "heating",
    "district",
    "grid",
    "storage",
    "solar",
    "data",
    "platform",
    "broadband",
    "villages",
    "islands",
    "coastal",
    "fisheries",
    "forests",
    "wildfire",
    "flood",
    "resilience",
    "monitoring",
    "results",
    "impact",
    "policy",
    "recommendations",
    "lessons",
    "learned",
    "toolkit",
    "workshop",
    "survey",
    "stakeholders",
    "consortium",
    "deliverable",
    "milestone",
    "audit",
    "eligibility",
]
PHRASES = (
    "circular economy",
    "shore power",
    "regional development",
    "energy efficiency",
    "public procurement",
    "capacity building",
    "climate adaptation",
    "smart specialisation",
    "european union",
    "small and medium-sized enterprises",
)
TOPICS = (
    "energy",
    "circular economy",
    "mobility",
    "climate",
    "digital",
    "tourism",
    "water",
    "agriculture",
    "health",
    "culture",
    "ports",
    "skills",
    "governance",
    "housing",
    "biodiversity",
    "innovation",
    "procurement",
    "inclusion",
    "fisheries",
    "research",
)
FIRST = [
    "Maria",
    "Tomasz",
    "Ana",
    "Lena",
    "Jan",
    "Sofia",
    "Marco",
    "Eva",
    "Pierre",
    "Katarzyna",
    "Jonas",
    "Elena",
    "Luis",
    "Ines",
    "Mikko",
    "Anna",
]
LAST = [
    "Jensen",
    "Nowak",
    "Ribeiro",
    "Berg",
    "Novak",
    "Rossi",
    "Dubois",
    "Garcia",
    "Silva",
    "Virtanen",
    "Schmidt",
    "Popescu",
    "Horvat",
    "Kowalski",
]
KINDS = ("intro", "presentation", "question", "answer", "panel", "other")


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words with Zipf-like weights: function words dominate, domain words carry the meaning."""
    words = FUNCTION_WORDS + DOMAIN_WORDS
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(FUNCTION_WORDS))]
    weights += [0.02 * rng.random() + 0.004 for _ in DOMAIN_WORDS]
    return words, weights


def generate(total: int, seed: int = 7) -> Iterator[list[SegmentDocument]]:
    """`total` segments, in one batch per webinar, the same for the same seed.

    Webinars last 45-120 minutes; segments 10-40 s at ~2.2 words per second (20-80 words), with
    now and then an abbreviation or a domain phrase; 3-6 speakers per webinar from a pool of
    ~220 names; kinds follow the shape of a webinar (intro, talks, Q&A, panel).
    """
    rng = random.Random(seed)
    words, weights = _vocabulary(rng)
    made = 0
    webinar_no = 0
    while made < total:
        webinar_no += 1
        date = EPOCH + dt.timedelta(days=rng.randint(17900, 20400))  # 2019-2025
        topics = rng.sample(TOPICS, rng.randint(1, 3))
        title = f"{rng.choice(PHRASES).capitalize()} and {topics[0]} in {rng.choice(DOMAIN_WORDS)} projects"
        slug = f"webinar-{webinar_no:05d}"
        speakers = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(3, 6))]
        projects = [f"{rng.choice(DOMAIN_WORDS).capitalize()}Net" for _ in range(rng.randint(1, 3))]
        duration = rng.uniform(45, 120) * 60
        at = 0.0
        batch: list[SegmentDocument] = []
        while at < duration and made < total:
            length = rng.uniform(10, 40)
            part = at / duration
            kind = (
                "intro"
                if part < 0.05
                else "presentation"
                if part < 0.6
                else rng.choice(("question", "answer"))
                if part < 0.85
                else "panel"
                if part < 0.98
                else "other"
            )
            count = max(20, min(80, int(length * rng.uniform(1.9, 2.5))))
            tokens = rng.choices(words, weights, k=count)
            if rng.random() < 0.3:
                tokens.insert(rng.randrange(len(tokens)), rng.choice(PHRASES))
            if rng.random() < 0.1:
                tokens.insert(rng.randrange(len(tokens)), rng.choice(("SMEs", "EU", "R&D", "GDPR", "NGOs")))
            speaker = speakers[0] if kind in ("intro", "question") else rng.choice(speakers)
            text = " ".join(tokens).capitalize() + "."
            step = length / max(1, len(tokens))
            word_times = [[at + i * step, 0, token] for i, token in enumerate(text.split())]
            made += 1
            batch.append(
                SegmentDocument(
                    id=made,
                    webinar=slug,
                    webinar_title=title,
                    date=date.isoformat(),
                    date_ts=date_ts(date),
                    year=date.year,
                    topics=topics,
                    projects=projects,
                    language="en",
                    speaker=speaker,
                    kind=kind,
                    chapter=f"Part {int(part * 6) + 1}: {rng.choice(DOMAIN_WORDS)}",
                    start=round(at, 2),
                    end=round(at + length, 2),
                    text=text,
                    times=encode_word_times(text, word_times),
                )
            )
            at += length
        yield batch


# ---- the fixed query mix ----------------------------------------------------------------------


def query_mix() -> dict[str, list[SearchQuery]]:
    """40 queries per category, the same for every target and size."""
    one = [
        "procurement",
        "hydrogen",
        "biodiversity",
        "tender",
        "cohesion",
        "wildfire",
        "broadband",
        "heritage",
    ]
    phrase = ['"circular economy"', '"shore power"', '"regional development"', '"energy efficiency"']
    typo = ["procurment", "hydorgen", "biodiverstiy", "cohesoin", "renovaton", "eligibilty", "interrreg"]
    filtered = [("tender", "question"), ("funding", "answer"), ("pilot", "presentation"), ("ports", "panel")]
    topics = list(TOPICS[:8])
    mix: dict[str, list[SearchQuery]] = {
        "one word": [],
        "phrase": [],
        "typo": [],
        "filtered": [],
        "faceted": [],
    }
    for i in range(40):
        mix["one word"].append(SearchQuery(q=one[i % len(one)]))
        mix["phrase"].append(SearchQuery(q=phrase[i % len(phrase)]))
        mix["typo"].append(SearchQuery(q=typo[i % len(typo)]))
        word, kind = filtered[i % len(filtered)]
        mix["filtered"].append(
            SearchQuery(q=word, kind=kind, date_from=dt.date(2021, 1, 1), date_to=dt.date(2023, 12, 31))
        )
        mix["faceted"].append(SearchQuery(q="", topic=topics[i % len(topics)]))
    return mix


# ---- the three targets ------------------------------------------------------------------------


def meili_client(connection: MeiliConnection) -> httpx.Client:
    """A client for Meilisearch's own API, as the archive talks to it (no compression)."""
    return httpx.Client(
        base_url=connection.url,
        headers={"Authorization": f"Bearer {connection.api_key}", **NO_COMPRESSION},
        timeout=30,
    )


def meili_direct(connection: MeiliConnection) -> Callable[[SearchQuery], None]:
    client = meili_client(connection)

    def run(query: SearchQuery) -> None:
        body = request_body(query, query.filters(), query.limit, query.offset)
        body["facets"] = list(FACETS.values())
        client.post(f"indexes/{INDEX}/search", json=body).raise_for_status()

    return run


def _serve(url: str, key: str, port: int) -> None:
    """The API process: a small app with the real SearchPlugin and controller."""
    for name in ("httpx", "httpx2"):  # a line per request would be timed too
        logging.getLogger(name).setLevel(logging.WARNING)
    import uvicorn
    from litestar import Litestar

    from server.search.api import SearchPlugin
    from server.settings import Settings

    settings = Settings.from_env({}, base_dir=Path(tempfile.gettempdir()))
    app = Litestar(plugins=[SearchPlugin(settings, connection=MeiliConnection(url, key), index_uid=INDEX)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def api_target(port: int, grouped: bool = False, mode: str = "keyword") -> Callable[[SearchQuery], None]:
    """`/api/search` over HTTP; `grouped`: as the search page asks (group=webinar, 10 webinars).
    `mode` keyword by default, so the figures before search by meaning stay comparable."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def run(query: SearchQuery) -> None:
        params: dict[str, Any] = {"q": query.q, "limit": 10 if grouped else query.limit, "mode": mode}
        if grouped:
            params["group"] = "webinar"
        for name in ("kind", "topic", "date_from", "date_to"):
            value = getattr(query, name)
            if value is not None:
                params[name] = str(value)
        client.get("/api/search", params=params).raise_for_status()

    return run


FTS_SCHEMA = """
CREATE TABLE seg(id INTEGER PRIMARY KEY, webinar TEXT, webinar_title TEXT, date_ts INT, speaker TEXT,
                 kind TEXT, chapter TEXT, topics TEXT, start REAL, "end" REAL, text TEXT);
CREATE VIRTUAL TABLE seg_fts USING fts5(text, chapter, speaker, webinar_title, topics,
                                        content='seg', content_rowid='id');
"""
FTS_INDEXES = """
CREATE INDEX seg_kind ON seg(kind, date_ts);
CREATE INDEX seg_date ON seg(date_ts, start);
"""


def build_fts(path: Path, batches: list[list[SegmentDocument]]) -> float:
    """Load the same rows into SQLite FTS5 (table, full-text index, filter indexes); rows/s."""
    db = sqlite3.connect(path)
    db.executescript(FTS_SCHEMA)
    started = time.perf_counter()
    size = 0
    for batch in batches:
        size += len(batch)
        rows = [
            (
                d.id,
                d.webinar,
                d.webinar_title,
                d.date_ts,
                d.speaker,
                d.kind,
                d.chapter,
                "|" + "|".join(d.topics) + "|",
                d.start,
                d.end,
                d.text,
            )
            for d in batch
        ]
        db.executemany("INSERT INTO seg VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    db.execute(
        "INSERT INTO seg_fts(rowid, text, chapter, speaker, webinar_title, topics) "
        "SELECT id, text, chapter, speaker, webinar_title, topics FROM seg"
    )
    db.executescript(FTS_INDEXES)
    db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return size / elapsed


def fts_target(path: Path) -> Callable[[SearchQuery], None]:
    """The same work as the API's search: 20 hits with a snippet, the total, facet counts."""
    db = sqlite3.connect(path, check_same_thread=False)

    def run(query: SearchQuery) -> None:
        where: list[str] = []
        args: list[Any] = []
        if query.q:
            where.append("seg.id IN (SELECT rowid FROM seg_fts WHERE seg_fts MATCH ?)")
            args.append(query.q)
        if query.kind:
            where.append("seg.kind = ?")
            args.append(query.kind)
        if query.topic:
            where.append("seg.topics LIKE ?")
            args.append(f"%|{query.topic}|%")
        if query.date_from:
            where.append("seg.date_ts >= ?")
            args.append(date_ts(query.date_from))
        if query.date_to:
            where.append("seg.date_ts <= ?")
            args.append(date_ts(query.date_to))
        cond = " AND ".join(where) or "1"
        if query.q:
            hits = (
                "SELECT seg.id, seg.webinar, seg.start, snippet(seg_fts, 0, '<mark>', '</mark>', '…', 32) "
                "FROM seg_fts JOIN seg ON seg.id = seg_fts.rowid WHERE seg_fts MATCH ? AND "
                + cond
                + " ORDER BY bm25(seg_fts) LIMIT ?"
            )
            db.execute(hits, [query.q, *args, query.limit]).fetchall()
        else:
            db.execute(
                f"SELECT id, webinar, start, text FROM seg WHERE {cond} ORDER BY date_ts DESC, start LIMIT ?",
                [*args, query.limit],
            ).fetchall()
        db.execute(f"SELECT count(*) FROM seg WHERE {cond}", args).fetchone()
        for field in ("speaker", "kind", "webinar"):
            db.execute(
                f"SELECT {field}, count(*) c FROM seg WHERE {cond} "
                f"GROUP BY {field} ORDER BY c DESC LIMIT 100",
                args,
            ).fetchall()

    return run


def grouped_direct(connection: MeiliConnection) -> Callable[[SearchQuery], None]:
    """The grouped search's own Meilisearch work, in this process: the search service's two
    multi-search requests and their decoding, without the web app in front (the baseline the
    grouped `/api/search` is compared with)."""
    loop = asyncio.new_event_loop()
    client = open_client(connection, timeout=30)
    service = SearchService(MeiliIndex(client, INDEX))

    def run(query: SearchQuery) -> None:
        grouped = SearchQuery(
            q=query.q,
            kind=query.kind,
            topic=query.topic,
            date_from=query.date_from,
            date_to=query.date_to,
            limit=10,
            group="webinar",
        )
        loop.run_until_complete(service.search(grouped))

    return run


# ---- search by meaning: the same documents with vectors, keyword against hybrid ------------

PASSAGES_PER_SEGMENT = 3
"""Vectors per document: the whole segment and its sentences (the demo's 19 segments of ~40
words average 3.3, ingest.embeddings.passages)."""
QUESTION_TEMPLATES = [
    "how do {} keep going once the money stops",
    "who pays for {} after the project ends",
    "what did the partners learn about {}",
    "why did {} take longer than planned",
    "which regions copied the approach to {}",
    "how were local people convinced about {}",
    "what would they do differently with {}",
    "does {} still work without subsidies",
    "how much did {} cost in the first year",
    "where can I read more about {}",
]
QUESTION_SUBJECTS = [
    "cooperation between small firms",
    "the cleaner harbours",
    "heating villages with farm waste",
    "training young farmers",
    "cross-border buses",
    "sharing one stand at fairs",
    "the new bike lanes",
    "energy savings in schools",
    "the river clean-up",
    "digital skills for older people",
    "the business incubator",
    "recycling building rubble",
    "rural broadband",
    "the tourism campaign",
    "water reuse in factories",
    "community solar roofs",
    "the innovation vouchers",
    "care homes going digital",
    "the apprenticeship scheme",
    "reopening the railway line",
]


def every_question() -> list[str]:
    """The 200 distinct questions: each template about each subject."""
    return [t.format(s) for s in QUESTION_SUBJECTS for t in QUESTION_TEMPLATES]


def questions(round_number: int, count: int = 40) -> list[SearchQuery]:
    """Questions in plain words that match no segment by all their words, so hybrid answers them
    by meaning: embedding each (a fresh one each round: the API caches recent ones) and a vector
    search. 200 distinct; round `n` takes the n-th 40."""
    every = every_question()
    start = (round_number * count) % len(every)
    return [SearchQuery(q=q) for q in (every + every)[start : start + count]]


def vector_pool(size: int = 3000, seed: int = 11) -> list[list[float]]:
    """Real vectors of generated segment texts (the ingest's model), for documents to draw from:
    clustered as a real archive's are, which random vectors are not."""
    from ingest.embeddings import default_embedder

    texts = [doc.text for batch in generate(size, seed=seed) for doc in batch]
    vectors: list[list[float]] = default_embedder().embed(texts).tolist()
    return vectors


def with_vectors(
    batches: Iterator[list[SegmentDocument]], pool: list[list[float]], seed: int = 5
) -> Iterator[list[SegmentDocument]]:
    """The documents with PASSAGES_PER_SEGMENT vectors each, every one a blend of two pool
    vectors (30-70%) with a little noise: spread over the space between real texts' vectors, as
    an archive's passages are, rather than piled on a few hundred points."""
    import numpy as np

    from server.search.documents import vector_field

    rng = np.random.default_rng(seed)
    base = np.asarray(pool, dtype=np.float32)
    for batch in batches:
        shape = (len(batch), PASSAGES_PER_SEGMENT)
        share = rng.uniform(0.3, 0.7, size=(*shape, 1)).astype(np.float32)
        blend = base[rng.integers(0, len(base), size=shape)] * share
        blend += base[rng.integers(0, len(base), size=shape)] * (1 - share)
        blend += rng.normal(0.0, 0.02, size=blend.shape).astype(np.float32)
        blend /= np.linalg.norm(blend, axis=-1, keepdims=True)
        for doc, vectors in zip(batch, blend, strict=True):
            doc.vectors = vector_field(vectors)
        yield batch


PROGRESS_EVERY = 50_000
"""Documents between two progress lines while indexing with vectors."""

NEIGHBOURS = (10, 20, 100)
"""Neighbours a vector search is asked for, measured directly against Meilisearch: its cost
grows with them (server.search.service.MEANING_HITS)."""


def vector_target(
    connection: MeiliConnection, neighbours: int, vectors: dict[str, list[float]]
) -> Callable[[SearchQuery], None]:
    """Meilisearch's vector search itself, as the search service sends it for a question
    (`vectors`: every question embedded beforehand, so only the search is timed)."""
    from server.search.service import meaning_body

    client = meili_client(connection)

    def run(query: SearchQuery) -> None:
        body = meaning_body(request_body(query, query.filters(), neighbours, 0), vectors[query.q])
        client.post(f"indexes/{INDEX}/search", json=body).raise_for_status()

    return run


def database_size(connection: MeiliConnection) -> int:
    """Meilisearch's database file, in bytes (`GET /stats`)."""
    headers = {"Authorization": f"Bearer {connection.api_key}"}
    stats = httpx.get(f"{connection.url}/stats", headers=headers, timeout=30).json()
    return int(stats["databaseSize"])


def bench_meaning(
    connection: MeiliConnection, size: int, api_port: int, rounds_wanted: int, rate_without: float
) -> None:
    """Index the same documents again with vectors (timed), then `/api/search` keyword against
    hybrid on that index, interleaved; the hybrid mix adds questions answered by meaning."""
    started = time.perf_counter()
    pool = vector_pool()
    print(f"\n(embedded a pool of {len(pool)} vectors in {time.perf_counter() - started:.1f} s)")

    async def index_all() -> float:
        """Documents are made as they are sent (1M with their vectors as lists of floats would
        not fit in memory): the rate includes making them (~10 s of ~440 at 100k)."""
        assembly = WebinarAssembly()

        def made() -> Iterator[list[SegmentDocument]]:
            """The documents, printing progress every PROGRESS_EVERY made (at 1M, indexing with
            vectors takes hours on 2 cores; made runs at most a few batches ahead of indexed)."""
            made_count, began = 0, time.perf_counter()
            for batch in with_vectors(generate(size), pool):
                assembly.add(batch)
                yield batch
                made_count += len(batch)
                if made_count % PROGRESS_EVERY < len(batch):
                    spent = time.perf_counter() - began
                    print(
                        f"(with vectors: {made_count:,} of {size:,} sent, {spent / 60:.1f} min, "
                        f"{made_count / spent:,.0f}/s)",
                        flush=True,
                    )

        async with connected_index(connection, INDEX) as index:
            await index.drop()
            await index.ensure()
            started = time.perf_counter()
            count = await index.add(made())
            await index.add_webinars(assembly.documents())
            return count / (time.perf_counter() - started)

    size_without = database_size(connection)
    rate_with = asyncio.run(index_all())
    size_with = database_size(connection)
    keyword, hybrid = api_target(api_port, mode="keyword"), api_target(api_port, mode="hybrid")
    from ingest.embeddings import default_embedder

    every = every_question()
    vectors = dict(zip(every, default_embedder().embed(every).tolist(), strict=True))
    nearest = {k: vector_target(connection, k, vectors) for k in NEIGHBOURS}
    rounds: list[Round] = []
    by_neighbours: list[Round] = []
    for n in range(rounds_wanted):
        mix = {**query_mix(), "question": questions(n)}
        rounds.append(
            {"/api/search keyword": measure(keyword, mix), "/api/search hybrid": measure(hybrid, mix)}
        )
        asked = {"question": questions(n)}
        by_neighbours.append({f"nearest {k}": measure(run, asked) for k, run in nearest.items()})
        print(f"(meaning round {n + 1}/{rounds_wanted} done)", flush=True)
    print(f"\n=== {size:,} segments with {PASSAGES_PER_SEGMENT} vectors each ({DIMENSIONS} dimensions) ===")
    print(f"indexing  without vectors {rate_without:>10,.0f} segments/s")
    print(
        f"indexing  with vectors    {rate_with:>10,.0f} segments/s ({rate_without / rate_with:.1f}x slower)"
    )
    grown = (size_with - size_without) / size / 1024
    print(
        f"Meilisearch's database: {size_without / 2**20:,.0f} MiB without vectors, "
        f"{size_with / 2**20:,.0f} MiB with ({grown:.1f} KiB more a segment, "
        f"{grown / PASSAGES_PER_SEGMENT:.1f} KiB a vector; the file after the plain index, "
        "which was then deleted and rebuilt with vectors)"
    )
    targets = list(rounds[0])
    print(f"{'query':<10}" + "".join(f"{t:>24}" for t in targets))
    for category in [*rounds[0][targets[0]], None]:
        row = f"{category or 'all':<10}"
        for target in targets:
            p50 = median_of(rounds, target, category, 0.5)
            row += f"{p50:>15.1f} / {median_of(rounds, target, category, 0.95):>6.1f}"
        print(row)
    print("Meilisearch's vector search alone, a question's nearest moments (p50 / p95 ms):")
    for k in NEIGHBOURS:
        target = f"nearest {k}"
        print(
            f"  {target:<12} {median_of(by_neighbours, target, 'question', 0.5):>6.1f} / "
            f"{median_of(by_neighbours, target, 'question', 0.95):>6.1f}"
        )
    ratio = ratio_of(rounds, "/api/search hybrid", "/api/search keyword")
    print(
        f"p95 ratio hybrid / keyword: median {statistics.median(ratio):.2f} "
        f"(rounds {', '.join(f'{r:.2f}' for r in ratio)}; target <= 2); hybrid p95 "
        f"{median_of(rounds, '/api/search hybrid', None, 0.95):.1f} ms (target < 50 at 1M)"
    )


# ---- measuring --------------------------------------------------------------------------------


def measure(run: Callable[[SearchQuery], None], mix: dict[str, list[SearchQuery]]) -> dict[str, list[float]]:
    """Milliseconds per query, by category, after a warm-up pass over one query of each."""
    for queries in mix.values():
        run(queries[0])
    times: dict[str, list[float]] = {}
    for category, queries in mix.items():
        for query in queries:
            started = time.perf_counter()
            run(query)
            times.setdefault(category, []).append((time.perf_counter() - started) * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


Round = dict[str, dict[str, list[float]]]
"""One round: target -> query category -> milliseconds per query."""


def median_of(rounds: list[Round], target: str, category: str | None, q: float) -> float:
    """The median over rounds of one round's percentile `q` (a category, or all queries)."""
    values = []
    for result in rounds:
        if target not in result:
            continue  # measured in fewer rounds (the FTS5 baseline)
        times = result[target]
        sample = times[category] if category else [v for vs in times.values() for v in vs]
        values.append(pct(sample, q))
    return statistics.median(values)


def ratio_of(rounds: list[Round], target: str, baseline: str) -> list[float]:
    """p95(target) / p95(baseline) in each round (measured back to back, so comparable)."""
    out = []
    for result in rounds:
        if target not in result or baseline not in result:
            continue
        a = [v for vs in result[target].values() for v in vs]
        b = [v for vs in result[baseline].values() for v in vs]
        out.append(pct(a, 0.95) / pct(b, 0.95))
    return out


def report(size: int, rates: dict[str, float], rounds: list[Round]) -> None:
    print(f"\n=== {size:,} segments: medians over {len(rounds)} interleaved rounds ===")
    for name, rate in rates.items():
        print(f"indexing  {name:<22} {rate:>10,.0f} segments/s")
    targets = list(rounds[0])
    print(f"{'query':<10}" + "".join(f"{t:>24}" for t in targets))
    print(f"{'':<10}" + "".join(f"{'p50 / p95 ms':>24}" for _ in targets))
    for category in [*rounds[0][targets[0]], None]:
        row = f"{category or 'all':<10}"
        for target in targets:
            p50 = median_of(rounds, target, category, 0.5)
            p95 = median_of(rounds, target, category, 0.95)
            row += f"{p50:>15.1f} / {p95:>6.1f}"
        print(row)
    flat = ratio_of(rounds, "/api/search", "meilisearch")
    grouped = ratio_of(rounds, "/api/search grouped", "grouped in-process")
    fts = ratio_of(rounds, FTS, "meilisearch")
    print(
        f"p95 ratio /api/search / meilisearch: median {statistics.median(flat):.2f} "
        f"(rounds {', '.join(f'{r:.2f}' for r in flat)}; target <= 1.5); "
        f"/api/search p95 {median_of(rounds, '/api/search', None, 0.95):.1f} ms (target < 50)"
    )
    print(
        f"p95 ratio grouped /api/search / its Meilisearch work in-process: median "
        f"{statistics.median(grouped):.2f} (rounds {', '.join(f'{r:.2f}' for r in grouped)}); grouped "
        f"/api/search p50/p95 {median_of(rounds, '/api/search grouped', None, 0.5):.1f} / "
        f"{median_of(rounds, '/api/search grouped', None, 0.95):.1f} ms (target p95 < 50)"
    )
    print(f"p95 ratio sqlite fts5 / meilisearch: median {statistics.median(fts):.2f}")


def bench_size(
    connection: MeiliConnection,
    size: int,
    workdir: Path,
    api_port: int,
    rounds_wanted: int,
    meaning: bool = False,
    only_meaning: bool = False,
) -> None:
    """Generate once (not timed), index into both engines (timed), then run the query mix.

    With `only_meaning` the documents are made as they are sent instead (the rate then includes
    making them), so the bench holds no 1M documents while Meilisearch needs the memory."""
    batches: list[list[SegmentDocument]] = []
    if not only_meaning:
        started = time.perf_counter()
        batches = list(generate(size))
        print(f"\n(generated {size:,} segments in {time.perf_counter() - started:.1f} s, not timed below)")

    async def index_all() -> float:
        assembly = WebinarAssembly()

        def documents() -> Iterator[list[SegmentDocument]]:
            for batch in batches or generate(size):
                assembly.add(batch)
                yield batch

        async with connected_index(connection, INDEX) as index:
            await index.drop()
            await index.ensure()  # settings first, outside the timing (as in production)
            started = time.perf_counter()
            count = await index.add(documents())
            await index.add_webinars(assembly.documents())
            return count / (time.perf_counter() - started)

    rates = {"meilisearch (+ webinars)": asyncio.run(index_all())}
    if only_meaning:
        bench_meaning(connection, size, api_port, rounds_wanted, rates["meilisearch (+ webinars)"])
        return
    fts_path = workdir / f"fts-{size}.db"
    rates["sqlite fts5"] = build_fts(fts_path, batches)
    batches.clear()  # free the memory before measuring
    mix = query_mix()
    targets = {
        "meilisearch": meili_direct(connection),
        "/api/search": api_target(api_port),
        "grouped in-process": grouped_direct(connection),
        "/api/search grouped": api_target(api_port, grouped=True),
        FTS: fts_target(fts_path),
    }
    rounds: list[Round] = []
    for n in range(rounds_wanted):
        # Interleaved: every target once per round, so a noisy moment hits them alike. The FTS5
        # baseline (half a second a query at 1M) is measured in the first round only.
        rounds.append({name: measure(run, mix) for name, run in targets.items() if n == 0 or name != FTS})
        print(f"(round {n + 1}/{rounds_wanted} done)", flush=True)
    report(size, rates, rounds)
    if meaning:
        bench_meaning(connection, size, api_port, rounds_wanted, rates["meilisearch (+ webinars)"])


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        factor = 1_000_000 if part.endswith("m") else 1000 if part.endswith("k") else 1
        sizes.append(int(float(part.rstrip("mk")) * factor))
    return sizes


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated: 10k,100k,1m")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per size (medians)")
    parser.add_argument(
        "--meaning", action="store_true", help="also: indexing with vectors, /api/search keyword vs hybrid"
    )
    parser.add_argument(
        "--only-meaning", action="store_true", help="only indexing without/with vectors and keyword vs hybrid"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp:
        workdir = Path(tmp)
        server = LocalMeilisearch(workdir)
        connection = server.start()
        api_port = free_port()
        api = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(connection.url, connection.api_key or "", api_port), daemon=True
        )
        api.start()
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{api_port}/schema", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the API server did not start") from None
                    time.sleep(0.1)
            print(
                f"Meilisearch {httpx.get(f'{connection.url}/health').json()['status']} at {connection.url}; "
                f"API at :{api_port}; {multiprocessing.cpu_count()} CPUs"
            )
            for size in parse_sizes(args.sizes):
                bench_size(connection, size, workdir, api_port, args.rounds, args.meaning, args.only_meaning)
        finally:
            api.terminate()
            api.join(10)
            server.stop()


if __name__ == "__main__":
    main()
