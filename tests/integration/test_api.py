"""The webinar JSON API and caption files, through Litestar's test client on a real SQLite catalogue."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import webvtt
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from server.app import create_app
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.edits import update_webinar
from server.catalog.models import Webinar, WebinarUpdate
from server.catalog.store import store_transcript
from server.settings import SearchSettings, Settings, StorageSettings
from tests.factories import make_manifest, make_media_info, make_transcript


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    data_dir, media_dir = tmp_path / "var", tmp_path / "media"
    data_dir.mkdir()
    media_dir.mkdir()
    return Settings(
        storage=StorageSettings(data_dir, media_dir, f"sqlite:///{data_dir / 'archive.db'}"),
        search=SearchSettings(None, None),
    )


@pytest.fixture
def catalogue(settings: Settings) -> None:
    """Three published webinars (2022, 2024, undated) and an unpublished one."""
    upgrade_database(settings.storage.database_url)
    engine = create_db_engine(settings.storage.database_url)
    (settings.storage.media_dir / "circular.opus").write_bytes(b"OggS not really audio")
    try:
        with Session(engine) as session, session.begin():
            for i, (title, date) in enumerate(
                [
                    ("Circular procurement", dt.date(2024, 3, 14)),
                    ("Green ports", dt.date(2022, 6, 1)),
                    ("Undated talk", None),
                    ("Draft", dt.date(2025, 1, 1)),
                ]
            ):
                manifest = make_manifest(title)
                manifest.date = date
                webinar = store_transcript(
                    session, make_media_info("circular.opus"), str(i) * 64, manifest, make_transcript()
                )
            update_webinar(session, webinar, WebinarUpdate(published=False), editor="test")
    finally:
        engine.dispose()


@pytest.fixture
def client(settings: Settings, catalogue: None) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(settings, search=False)) as test_client:
        yield test_client


def test_list_is_newest_first_and_paginated(client: TestClient[Litestar]) -> None:
    response = client.get("/api/webinars")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert [w["slug"] for w in body["items"]] == ["circular-procurement", "green-ports", "undated-talk"]
    first = body["items"][0]
    assert first["date"] == "2024-03-14"
    assert first["url"] == "/webinars/circular-procurement"
    assert first["topics"] == ["circular economy", "procurement"]

    page = client.get("/api/webinars", params={"limit": 1, "offset": 1}).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [w["slug"] for w in page["items"]] == ["green-ports"]
    assert client.get("/api/webinars", params={"offset": 10}).json()["items"] == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_are_400_with_the_reason(
    client: TestClient[Litestar], params: dict[str, int | str], reason: str
) -> None:
    response = client.get("/api/webinars", params=params)
    assert response.status_code == 400
    assert reason in response.text


def test_one_webinar(client: TestClient[Litestar]) -> None:
    response = client.get("/api/webinars/circular-procurement")
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "circular-procurement"
    assert body["title"] == "Circular procurement"
    assert body["date"] == "2024-03-14"
    assert body["description"] == "How small towns buy reused goods."
    assert body["language"] == "en"
    assert body["duration"] == 24.5
    assert body["media_url"] == "/media/circular.opus"
    assert body["speakers"][1] == {
        "name": "Tomasz Nowak",
        "role": "speaker",
        "affiliation": "City of Gdansk",
        "project": "ReCircle",
        "slug": "tomasz-nowak",
        "project_slug": "recircle",
    }
    assert body["chapters"][1] == {
        "start": 4.5,
        "end": 12.0,
        "title": "Keynote: circular procurement",
        "kind": "presentation",
        "speakers": ["Tomasz Nowak"],
    }
    assert body["resources"] == [
        {
            "title": "ReCircle toolkit",
            "url": "https://example.org/recircle",
            "start": 4.5,
            "project": "ReCircle",  # its title names a speaker's project
            "project_slug": "recircle",
        }
    ]
    # Internal fields stay internal.
    assert not {"id", "media_path", "media_sha256", "status", "agenda"} & set(body)
    # The media URL is served.
    assert client.get(body["media_url"]).content == b"OggS not really audio"


def test_segments(client: TestClient[Litestar]) -> None:
    response = client.get("/api/webinars/circular-procurement/segments")
    assert response.status_code == 200
    segments = response.json()
    assert len(segments) == 5
    assert set(segments[0]) == {"id", "start", "end", "speaker", "kind", "chapter", "text", "language"}
    assert {s["language"] for s in segments} == {None}  # every line in the webinar's language
    assert segments[3]["speaker"] == "Tomasz Nowak"
    assert segments[3]["kind"] == "answer"
    assert segments[3]["chapter"] == "Questions"
    assert segments[1]["start"] == 4.5
    assert len({s["id"] for s in segments}) == 5


def test_captions_parse_back(client: TestClient[Litestar], tmp_path: Path) -> None:
    vtt = client.get("/webinars/circular-procurement/captions.vtt")
    assert vtt.status_code == 200
    assert vtt.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(vtt.text)).captions
    assert len(captions) >= 5
    assert captions[0].start == "00:00:00.000"
    assert "circular procurement" in " ".join(c.text for c in captions)
    assert any(c.voice == "Tomasz Nowak" for c in captions)

    srt = client.get("/webinars/circular-procurement/captions.srt")
    assert srt.status_code == 200
    assert srt.headers["content-type"].startswith("application/x-subrip")
    path = tmp_path / "captions.srt"
    path.write_text(srt.text, encoding="utf-8")
    from_srt = webvtt.from_srt(str(path)).captions
    assert len(from_srt) == len(captions)
    assert [c.start for c in from_srt] == [c.start for c in captions]
    assert from_srt[0].text == f"Maria Jensen: {captions[0].text}"


def test_player_captions_name_speakers_as_text(client: TestClient[Litestar]) -> None:
    """The <track> file (voice=0) has no voice tags, which Chromium shows raw; the names lead
    each cue as text, escaped for WebVTT; the download keeps the standard voice tags."""
    plain = client.get("/webinars/circular-procurement/captions.vtt", params={"voice": "0"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/vtt")
    assert "<v " not in plain.text
    captions = webvtt.from_buffer(io.StringIO(plain.text)).captions
    standard = webvtt.from_buffer(
        io.StringIO(client.get("/webinars/circular-procurement/captions.vtt").text)
    ).captions
    assert [c.start for c in captions] == [c.start for c in standard]
    assert captions[0].text == f"Maria Jensen: {standard[0].text}"
    assert all(c.voice is None for c in captions)


def test_caption_and_transcript_downloads(client: TestClient[Litestar]) -> None:
    base = "/webinars/circular-procurement"
    expected = {
        "captions.vtt": ("text/vtt", "circular-procurement.vtt"),
        "captions.srt": ("application/x-subrip", "circular-procurement.srt"),
        "transcript.txt": ("text/plain", "circular-procurement.txt"),
        "transcript.json": ("application/json", "circular-procurement.json"),
    }
    for name, (media_type, filename) in expected.items():
        response = client.get(f"{base}/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(media_type), name
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"', name

    text = client.get(f"{base}/transcript.txt").text
    segments = client.get("/api/webinars/circular-procurement/segments").json()
    assert text.startswith("Circular procurement\n\n[00:00] Maria Jensen\n")
    assert "[00:12] " in text  # a new turn: who speaks, from when
    for segment in segments:
        assert segment["text"] in text
    assert text.index(segments[0]["text"]) < text.index(segments[-1]["text"])

    data = client.get(f"{base}/transcript.json").json()
    assert data["slug"] == "circular-procurement"
    assert data["title"] == "Circular procurement"
    assert data["date"] == "2024-03-14"
    assert data["language"] == "en"
    assert "Tomasz Nowak" in data["speakers"]
    assert data["segments"] == segments


@pytest.mark.parametrize(
    "path",
    [
        "/api/webinars/no-such-webinar",
        "/api/webinars/no-such-webinar/segments",
        "/webinars/no-such-webinar/captions.vtt",
        "/webinars/no-such-webinar/captions.srt",
        "/api/webinars/draft",  # unpublished: not there for the public
        "/webinars/draft/captions.vtt",
        "/webinars/no-such-webinar/transcript.txt",
        "/webinars/draft/transcript.json",
    ],
)
def test_unknown_or_unpublished_slugs_are_404_json(client: TestClient[Litestar], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")  # RFC 9457
    problem = response.json()
    assert problem["status"] == 404
    assert problem["title"] == "Not found"
    assert "no webinar" in problem["detail"]


def test_openapi_schema(client: TestClient[Litestar]) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    # /schema itself answers with the document (no CDN viewer, which the CSP would block).
    assert client.get("/schema").json() == response.json()
    assert client.get("/schema/openapi.yaml").status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/webinars",
        "/api/webinars/{slug}",
        "/api/webinars/{slug}/segments",
        "/webinars/{slug}/captions.vtt",
    ):
        assert path in paths


def test_start_up_migrates_an_empty_database(settings: Settings) -> None:
    with TestClient(app=create_app(settings, search=False)) as client:
        body = client.get("/api/webinars").json()
    assert body == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_search_down_does_not_take_the_catalogue_down(settings: Settings, catalogue: None) -> None:
    """With Meilisearch unreachable, /api/search answers 503 and the webinar API keeps working."""
    from server.search.api import SearchPlugin
    from server.search.process import MeiliConnection

    plugin = SearchPlugin(settings, connection=MeiliConnection("http://127.0.0.1:9", "key"), timeout=1.0)
    with TestClient(app=create_app(settings, search=False, plugins=[plugin])) as client:
        search = client.get("/api/search", params={"q": "procurement"})
        assert search.status_code == 503
        assert client.get("/api/webinars").json()["total"] == 3


@pytest.mark.meili  # starts a server of its own
def test_start_up_indexes_webinars_stored_while_search_was_down(
    settings: Settings,
    catalogue: None,
    tmp_path: Path,
) -> None:
    """Webinars left `index_pending` become searchable (and `ready`) once the app starts with an index."""
    from server.search.api import SearchPlugin
    from server.search.process import LocalMeilisearch

    def statuses() -> dict[str, str]:
        engine = create_db_engine(settings.storage.database_url)
        try:
            with Session(engine) as session:
                return {w.slug: w.status for w in session.exec(select(Webinar))}
        finally:
            engine.dispose()

    local = LocalMeilisearch(tmp_path / "meili-data")
    connection = local.start()
    try:
        plugin = SearchPlugin(settings, connection=connection)
        with TestClient(app=create_app(settings, search=False, plugins=[plugin])) as client:
            # The catch-up runs in the background: wait for it to finish every webinar (it marks
            # each one ready after its documents are in), not just for the first hits to appear.
            deadline = time.monotonic() + 30
            total = 0
            while time.monotonic() < deadline:
                total = client.get("/api/search", params={"q": "refurbished furniture"}).json()["total"]
                if total >= 3 and set(statuses().values()) == {"ready"}:
                    break
                time.sleep(0.2)
            assert total >= 3  # one segment in each of the three published webinars
            hits = client.get("/api/search", params={"q": "refurbished furniture", "limit": 50}).json()[
                "hits"
            ]
            assert "draft" not in {hit["webinar"]["slug"] for hit in hits}
    finally:
        local.stop()
    assert statuses() == {
        "circular-procurement": "ready",
        "green-ports": "ready",
        "undated-talk": "ready",
        "draft": "ready",  # unpublished: in step with the index, which holds none of it
    }
