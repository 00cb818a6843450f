"""The labelled query set (tests/data/labelled_queries.yaml) against the real archive.

The demo webinar and the two-voice interview go through the whole ingest (real tiny.en model,
diarizer and structure), into a SQLite catalogue, and from it into a real Meilisearch; every
labelled query is then asked through the search service as the search page and the API ask it.
The figures are printed (run with -s); bench/relevance.py prints every query's outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.search.process import MeiliConnection
from tests.demo_ingest import DemoIngest
from tests.relevance import (
    MIN_QUERIES,
    TARGET_LANDED,
    TARGET_PRECISION,
    Figures,
    describe,
    evaluate_on,
    load_labels,
    store_recordings,
    transcripts_with,
)
from tests.site_data import settings_for

pytestmark = [pytest.mark.slow, pytest.mark.meili]


@pytest.fixture(scope="module")
def figures(
    demo_ingest: DemoIngest, meili_server: MeiliConnection, tmp_path_factory: pytest.TempPathFactory
) -> Figures:
    from tests.meili_server import delete_index

    transcripts = transcripts_with({"demo": demo_ingest.result.transcript})
    uid = "relevance"
    base: Path = tmp_path_factory.mktemp("relevance")
    try:
        slugs = store_recordings(settings_for(base), transcripts, meili_server, uid)
        result = evaluate_on(meili_server, uid, slugs)
    finally:
        delete_index(meili_server, uid)
    print("\n" + "\n".join(describe(o) for o in result.outcomes))
    print(result.summary())
    return result


def test_the_query_set_is_large_and_varied() -> None:
    labels = load_labels()
    assert len(labels) >= MIN_QUERIES
    kinds = {label.kind for label in labels}
    assert {"word", "phrase", "typo", "name", "topic", "never"} <= kinds


def test_hits_land_within_three_seconds_before_the_words(figures: Figures) -> None:
    assert figures.landed >= TARGET_LANDED, figures.summary()


def test_precision_at_three(figures: Figures) -> None:
    assert figures.precision_at_3 >= TARGET_PRECISION, figures.summary()


def test_phrases_never_said_return_nothing_from_that_webinar(figures: Figures) -> None:
    leaks = [f"{o.label.q!r} from {', '.join(o.leaked)}" for o in figures.outcomes if o.leaked]
    assert not leaks


def test_webinars_whose_metadata_matches_are_shown(figures: Figures) -> None:
    missing = [f"{o.label.q!r}: {', '.join(o.missing_about)}" for o in figures.outcomes if o.missing_about]
    assert not missing
