"""Page benchmark: how long the replay and search pages take, against a static file.

    .venv/bin/python bench/pages.py                  # 200 requests per page
    .venv/bin/python bench/pages.py --requests 500 --webinars 5

A synthetic two-hour webinar (~1,500 segments, tests/site_data.long_transcript) is stored
through the catalogue and indexed in a Meilisearch of its own (under a temporary folder), with
a few more such webinars so the search page has something to group. The site is served by
uvicorn in another process (so the client does not share the server's interpreter), and one
client measures, one request at a time over a kept-alive connection: the replay page, the
search page for a mix of queries, and a static file of exactly the replay page's size served by
the same server in the same run (Litestar's static files, the cheapest response this stack
gives). The ratio to that static file is the page's cost beyond moving its bytes.
Target: the replay page's p95 under 5x the static file's p95 and under 100 ms.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.search.process import LocalMeilisearch, MeiliConnection, free_port
from tests.site_data import long_transcript, settings_for, store_and_index

INDEX_UID = "bench_pages"
STATIC_NAME = "replay-copy.html"
SEARCH_QUERIES = (
    "tariff model",
    "shore power ferry",
    "small and medium-sized enterprises",
    "pilot regoin",
    "budget",
)


def _serve(base: str, url: str, key: str, port: int) -> None:
    """The site as `webinar-archive serve` builds it, plus a static folder for the baseline."""
    import uvicorn
    from litestar.static_files import create_static_files_router

    from server.app import create_app
    from server.search.api import SearchPlugin

    settings = settings_for(Path(base))
    static = create_static_files_router(path="/bench-static", directories=[Path(base) / "static-copy"])
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=MeiliConnection(url, key), index_uid=INDEX_UID)],
        extra_handlers=[static],
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measure(client: httpx.Client, urls: list[str], requests: int, warmup: int = 20) -> list[float]:
    """Wall-clock milliseconds per request (status 200 required), cycling through `urls`."""
    for i in range(warmup):
        client.get(urls[i % len(urls)]).raise_for_status()
    times = []
    for i in range(requests):
        started = time.perf_counter()
        response = client.get(urls[i % len(urls)])
        elapsed = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        times.append(elapsed)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per page")
    parser.add_argument("--webinars", type=int, default=4, help="two-hour webinars in the archive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as tmp:
        base = Path(tmp)
        (base / "static-copy").mkdir()
        meili = LocalMeilisearch(base / "meili")
        connection = meili.start()
        settings = settings_for(base)
        slug = ""
        segments = 0
        started = time.perf_counter()
        for n in range(args.webinars):
            transcript = long_transcript(2.0, seed=n)
            segments += len(transcript.segments)
            from ingest.metadata import Manifest

            slug = store_and_index(
                settings,
                transcript,
                Manifest(title=f"Two hours on regional cooperation, part {n + 1}", topics=["cooperation"]),
                f"long-{n}.opus",
                connection=connection,
                index_uid=INDEX_UID,
                media_bytes=f"not audio {n}".encode(),
            )
            if n == 0:
                first_slug, first_segments = slug, len(transcript.segments)
        print(
            f"{args.webinars} webinars, {segments} segments stored and indexed in "
            f"{time.perf_counter() - started:.1f} s; {multiprocessing.cpu_count()} CPUs"
        )
        port = free_port()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(str(base), connection.url, connection.api_key or "", port), daemon=True
        )
        server.start()
        try:
            root = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{root}/", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the site did not start") from None
                    time.sleep(0.1)
            with httpx.Client(base_url=root, timeout=30) as client:
                replay_url = f"/webinars/{first_slug}?t=3600"
                cold_started = time.perf_counter()
                page = client.get(replay_url)  # the first view renders and caches the transcript
                cold_ms = (time.perf_counter() - cold_started) * 1000
                page.raise_for_status()
                (base / "static-copy" / STATIC_NAME).write_bytes(page.content)
                size = len(page.content)
                print(
                    f"replay page: {first_segments} segments, {size / 1024:.0f} KiB of HTML; first view "
                    f"(transcript rendered, then cached until the webinar changes): {cold_ms:.0f} ms"
                )
                results = {
                    "static file (same size)": measure(
                        client, [f"/bench-static/{STATIC_NAME}"], args.requests
                    ),
                    "replay page": measure(
                        client,
                        [replay_url, f"/webinars/{first_slug}", f"/webinars/{first_slug}?t=120&end=150"],
                        args.requests,
                    ),
                    "search page": measure(
                        client, [f"/search?q={q.replace(' ', '+')}" for q in SEARCH_QUERIES], args.requests
                    ),
                }
        finally:
            server.terminate()
            server.join(10)
            meili.stop()
    static_median = statistics.median(results["static file (same size)"])
    static_p95 = p95(results["static file (same size)"])
    print(f"\n{'':26}{'median ms':>10}{'p95 ms':>10}{'x static median':>17}{'x static p95':>14}")
    for name, times in results.items():
        median, high = statistics.median(times), p95(times)
        print(f"{name:26}{median:10.1f}{high:10.1f}{median / static_median:17.1f}{high / static_p95:14.1f}")
    replay_p95 = p95(results["replay page"])
    ratio = replay_p95 / static_p95
    verdict = "met" if ratio < 5 and replay_p95 < 100 else "NOT met"
    print(
        f"\ntarget (replay p95 < 5x static p95 and < 100 ms): {verdict} ({ratio:.1f}x, {replay_p95:.1f} ms)"
    )


if __name__ == "__main__":
    main()
