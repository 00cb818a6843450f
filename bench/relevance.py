"""Relevance benchmark: the labelled query set (tests/data/labelled_queries.yaml), query by query.

    .venv/bin/python bench/relevance.py

Ingests the demo webinar and the two-voice interview with the real pipeline (tiny.en, diarizer,
structure; about a minute on two cores), stores them in a scratch catalogue, indexes them into a
Meilisearch of its own, and asks every labelled query as the search page does (grouped) and as
the API does (flat). Prints each query's first link and outcome, then the figures against their
targets, with the baseline measured in the same run: the same first moments linked at their
segment's start (how hits landed before word times), instead of a second before the words.
Targets: landed within 3 s >= 90%, precision at 3 >= 80%, never-said phrases clean 100%.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.search.process import LocalMeilisearch
from tests.relevance import (
    TARGET_LANDED,
    TARGET_PRECISION,
    describe,
    evaluate_on,
    store_recordings,
    transcribe_recordings,
)
from tests.site_data import settings_for


def main() -> int:
    started = time.perf_counter()
    transcripts = transcribe_recordings()
    print(f"ingested {len(transcripts)} recordings in {time.perf_counter() - started:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        server = LocalMeilisearch(base / "meili")
        connection = server.start()
        try:
            slugs = store_recordings(settings_for(base / "archive"), transcripts, connection, "relevance")
            figures = evaluate_on(connection, "relevance", slugs)
        finally:
            server.stop()
    for outcome in figures.outcomes:
        print(describe(outcome))
    print()
    print(figures.summary())
    ratio = figures.landed / figures.landed_at_start if figures.landed_at_start else float("inf")
    print(
        f"landed within 3 s: {figures.landed:.0%} a second before the first matched word, "
        f"{figures.landed_at_start:.0%} at the moment's start (baseline, same hits): {ratio:.2f}x"
    )
    ok = (
        figures.landed >= TARGET_LANDED
        and figures.precision_at_3 >= TARGET_PRECISION
        and figures.never_clean == 1.0
    )
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
