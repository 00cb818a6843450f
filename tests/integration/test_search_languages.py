"""Search in the archive's languages, on the words of the German, French and mixed fixtures.

The webinars go through the catalogue and the indexer as an ingest stores them (the spoken text
of tests/data/german.json, french.json and mixed_en_de.json, with the demo webinar in English
beside them), into a real Meilisearch; queries go through the API and the search page. German
text is also indexed as German (compounds split into their words), and every query is read in a
stated language, English unless one is chosen (docs/search.md, "Languages"). The mixed webinar's
German question is labelled German, as the ingest labels it with segment languages on: it is
searched, filtered, counted and marked up as German inside an English webinar.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ingest.document import Segment, Transcript
from ingest.metadata import Manifest
from server.app import create_app
from server.catalog.db import create_db_engine
from server.search.api import SearchPlugin
from server.search.indexer import index_catalogue
from server.search.process import MeiliConnection
from tests.site_data import demo_manifest, demo_transcript, settings_for, store_and_index

DATA = Path(__file__).parents[1] / "data"
HTML = {"accept": "text/html,application/xhtml+xml"}
FIXTURES = {  # fixture -> the webinar's language (the mixed one is an English webinar)
    "german": ("de", "Regionale Zusammenarbeit: saubere Energie"),
    "french": ("fr", "Coopération régionale : des ports propres"),
    "mixed_en_de": ("en", "Questions from the audience"),
}

pytestmark = pytest.mark.meili


def fixture_transcript(name: str, language: str) -> Transcript:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    segments = [
        Segment(
            i,
            float(u["start"]),
            float(u["end"]),
            u["text"],
            speaker="S0",
            kind="presentation",
            language=u["language"] if u["language"] != language else None,  # as the ingest sets it
        )
        for i, u in enumerate(data["utterances"])
    ]
    return Transcript(language, float(data["duration"]), "fixture text", segments)


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection
) -> Iterator[TestClient[Litestar]]:
    from tests.meili_server import delete_index

    uid = f"languages_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path_factory.mktemp("languages"))
    for name, (language, title) in FIXTURES.items():
        store_and_index(
            settings,
            fixture_transcript(name, language),
            Manifest(title=title, language=language),
            f"{name}.opus",
            connection=None,
            index_uid=uid,
            slug=name.replace("_", "-"),
            media_bytes=b"OggS " + name.encode(),
        )
    store_and_index(
        settings, demo_transcript(), demo_manifest(), "demo.opus", connection=None, index_uid=uid, slug="demo"
    )
    engine = create_db_engine(settings.storage.database_url)
    try:  # all four at once, from the catalogue, as `webinar-archive reindex` does
        index_catalogue(settings, engine, connection=meili_server, index_uid=uid)
    finally:
        engine.dispose()
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=uid)]
    )
    try:
        with TestClient(app=app) as test_client:
            yield test_client
    finally:
        delete_index(meili_server, uid)


def moments(client: TestClient[Litestar], **params: Any) -> list[tuple[str, str]]:
    response = client.get("/api/search", params={"limit": 50, "mode": "keyword", **params})
    assert response.status_code == 200, response.text
    return sorted((hit["webinar"]["slug"], hit["text"]) for hit in response.json()["hits"])


def test_a_part_of_a_german_compound_finds_the_german_moment(client: TestClient[Litestar]) -> None:
    """ "Arbeit" is said only inside "Zusammenarbeit" (twice, in the German webinar)."""
    expected = [
        ("german", "Guten Tag und herzlich willkommen zu unserem Webinar über regionale Zusammenarbeit."),
        ("german", "Wir danken allen Partnern für die gute Zusammenarbeit und wünschen einen schönen Tag."),
    ]
    assert moments(client, q="Arbeit") == expected
    assert moments(client, q="arbeit", language="de") == expected
    assert moments(client, q="Zusammenarbeit") == expected  # the whole word, as said
    assert moments(client, q="Arbeit", language="fr") == []
    # German words outside a German webinar are found as said: the question asked in German.
    heating = moments(client, q="Heizung")
    assert [slug for slug, _ in heating] == ["german", "mixed-en-de"]
    # Umlauts are optional in a query.
    assert moments(client, q="Dorfern") == moments(client, q="Dörfern") != []


def test_english_and_french_queries_find_what_was_said(client: TestClient[Litestar]) -> None:
    # English words are read as English, not guessed German and split: both demo moments, the
    # German one ("Webinar über regionale Zusammenarbeit") and the French "webinaire" (a prefix).
    webinar = moments(client, q="webinar")
    assert [slug for slug, _ in webinar] == ["demo", "demo", "french", "german"]
    french = [("french", "Aujourd'hui nous parlons des ports propres et de l'énergie renouvelable.")]
    assert moments(client, q="energie renouvelable") == french
    assert moments(client, q="énergie renouvelable", language="fr") == french
    assert moments(client, q="aujourd'hui", language="fr") == french


def test_the_language_facet_counts_and_filters(client: TestClient[Litestar]) -> None:
    everything = client.get("/api/search", params={"q": "", "limit": 1}).json()
    demo = len(demo_transcript().segments)
    # The mixed webinar's two German lines count as German, its four others as English.
    assert everything["facets"]["language"] == {"en": demo + 4, "de": 7, "fr": 4}
    assert {slug for slug, _ in moments(client, q="", language="fr")} == {"french"}
    german = [text for _, text in moments(client, q="", language="de", webinar="mixed-en-de")]
    assert german == sorted(
        [
            "Und wer bezahlt die Wartung der Anlagen in den kleinen Dörfern?",
            "Vielen Dank für den Vortrag. Wie lange hat es gedauert, bis die Gemeinden die neue "
            "Heizung akzeptiert haben?",
        ]
    )
    assert len(moments(client, q="", language="en", webinar="mixed-en-de")) == 4
    hits = client.get("/api/search", params={"q": "Wartung", "mode": "keyword"}).json()["hits"]
    assert [(h["webinar"]["slug"], h["language"]) for h in hits] == [("mixed-en-de", "de")]
    assert client.get("/api/search", params={"q": "Arbeit", "language": "german"}).status_code == 400


def test_the_search_page_shows_and_filters_by_language(client: TestClient[Litestar]) -> None:
    page = client.get("/search", params={"q": "Heizung"}, headers=HTML)
    assert page.status_code == 200
    html = page.text
    # Each webinar says its language; the German moments are marked as German for screen readers.
    german = html.split('data-webinar="german"', 1)[1].split('class="group"', 1)[0]
    assert 'data-language="de"' in html
    assert '<span class="language">German</span>' in german
    assert '<p class="snippet" lang="de">' in german
    mixed = html.split('data-webinar="mixed-en-de"', 1)[1].split('class="group"', 1)[0]
    assert '<span class="language">English</span>' in mixed
    assert '<p class="snippet" lang="de">' in mixed  # the German question in the English webinar
    assert "Language</summary>" in html
    assert 'href="/search?q=Heizung&amp;language=de"' in html
    filtered = client.get("/search", params={"q": "Heizung", "language": "de"}, headers=HTML).text
    assert "Language: German" in filtered  # the filter's chip
    assert 'data-webinar="german"' in filtered
    assert 'data-webinar="mixed-en-de"' in filtered  # its question was asked in German
    in_english = client.get("/search", params={"q": "heating", "language": "en"}, headers=HTML).text
    assert 'data-webinar="mixed-en-de"' in in_english
    assert "Heizung" not in in_english
    compound = client.get("/search", params={"q": "Arbeit"}, headers=HTML).text
    assert 'data-webinar="german"' in compound
    assert "Zusammenarbeit" in compound
    assert (
        client.get("/search", params={"q": "Arbeit", "language": "Deutsch"}, headers=HTML).status_code == 400
    )


def test_the_replay_page_and_the_api_mark_lines_spoken_in_another_language(
    client: TestClient[Litestar],
) -> None:
    segments = client.get("/api/webinars/mixed-en-de/segments").json()
    assert [s["language"] for s in segments] == [None, None, "de", "de", None, None]
    page = client.get("/webinars/mixed-en-de", headers=HTML)
    assert page.status_code == 200
    lines = {
        s["id"]: page.text.split(f'<p id="s{s["id"]}" class="seg', 1)[1].split("</p>", 1)[0] for s in segments
    }
    for s in segments:
        line = lines[s["id"]]
        if s["language"] == "de":
            assert line.startswith('" lang="de" '), line
            assert '<span class="lang" title="Spoken in German">DE</span>' in line
        else:
            assert "lang=" not in line.split(">", 1)[0], line
            assert 'class="lang"' not in line, line
    # A search hit's line is still marked on the page (the hit class goes after "seg").
    marked = client.get("/webinars/mixed-en-de", params={"q": "Heizung"}, headers=HTML).text
    assert f'<p id="s{segments[2]["id"]}" class="seg hit" lang="de"' in marked
