"""Shared fixtures.

Catalogue databases: every test that asks for `catalog_url` or `catalog_engine` runs twice, on a
SQLite file and on the PostgreSQL server named by TEST_DATABASE_URL (`.ci/run` sets it). A set URL
that cannot be reached fails the test rather than skipping it, so CI cannot go green without
PostgreSQL; an unset one skips with a plain reason. Each PostgreSQL test gets a schema of its own
(selected through libpq's `options=-csearch_path=...` in the URL, so the app under test can be
given it as an ordinary DATABASE_URL) and the schema is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from ingest.document import Chapter, Resource, Segment, Speaker, Transcript, Word
from ingest.metadata import Manifest, Person, ResourceLink
from ingest.probe import MediaInfo
from server.search.process import MeiliConnection

POSTGRES_SKIP_REASON = "TEST_DATABASE_URL not set: PostgreSQL catalogue tests did not run"


def _postgres_schema_url(base_url: str, schema: str) -> str:
    url = make_url(base_url)
    options = f"-csearch_path={schema}"
    rendered = url.set(query={k: v for k, v in url.query.items() if k != "options"}).render_as_string(
        hide_password=False
    )
    separator = "&" if "?" in rendered else "?"
    return f"{rendered}{separator}options={quote(options)}"


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty catalogue database (no tables): a SQLite file, or a fresh PostgreSQL schema."""
    from server.catalog.db import create_db_engine

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP_REASON)
    admin = create_db_engine(base_url)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}", pytrace=False)
    try:
        yield _postgres_schema_url(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def catalog_engine(catalog_url: str) -> Iterator[Engine]:
    """An engine on a catalogue brought up to date by the real migrations."""
    from server.catalog.db import create_db_engine, upgrade_database

    engine = create_db_engine(catalog_url)
    upgrade_database(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def make_transcript() -> Transcript:
    """A small, fully structured transcript: two named speakers, chapters, a Q&A, a resource."""

    def words(start: float, text: str) -> list[Word]:
        result = []
        for i, token in enumerate(text.split()):
            result.append(Word(start + i * 0.5, start + i * 0.5 + 0.4, f" {token}", 0.9))
        return result

    texts = [
        (0.0, 4.0, "Welcome everyone to this webinar on circular procurement.", "SPEAKER_00", "intro", 0),
        (4.5, 12.0, "Small municipalities can buy refurbished furniture & save money.", "SPEAKER_01",
         "presentation", 1),
        (12.5, 15.0, "How do you write the tender criteria?", "SPEAKER_00", "question", 2),
        (15.5, 21.0, "We score reuse and repairability <above> price.", "SPEAKER_01", "answer", 2),
        (21.5, 24.0, "Thank you all for joining.", "SPEAKER_02", "other", None),
    ]  # fmt: skip
    segments = [
        Segment(
            id=i,
            start=start,
            end=end,
            text=text_,
            words=words(start, text_),
            speaker=speaker,
            kind=kind,  # type: ignore[arg-type]
            chapter=chapter,
            answers=2 if i == 3 else None,
            resources=[0] if i == 1 else [],
        )
        for i, (start, end, text_, speaker, kind, chapter) in enumerate(texts)
    ]
    return Transcript(
        language="en",
        duration=24.5,
        model="tiny.en",
        segments=segments,
        speakers=[
            Speaker("SPEAKER_00", "Maria Jensen", "moderator", "EU Programme", None),
            Speaker("SPEAKER_01", "Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
            Speaker("SPEAKER_02"),
        ],
        chapters=[
            Chapter(0.0, 4.0, "Welcome", "intro", ["Maria Jensen"], written_start=0.0),
            Chapter(4.5, 12.0, "Keynote: circular procurement", "presentation", ["Tomasz Nowak"], 4.0),
            Chapter(12.5, 24.5, "Questions", "question", ["Maria Jensen", "Tomasz Nowak"], 12.0),
        ],
        resources=[Resource("ReCircle toolkit", "https://example.org/recircle", 4.5)],
    )


def make_manifest(title: str = "Circular procurement in small municipalities") -> Manifest:
    return Manifest(
        title=title,
        date=dt.date(2024, 3, 14),
        description="How small towns buy reused goods.",
        language="en",
        topics=["circular economy", "procurement"],
        speakers=[
            Person("Maria Jensen", "moderator", "EU Programme"),
            Person("Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
            Person("Ana Ribeiro", "panelist", "Port of Aveiro", "GreenPorts"),
        ],
        resources=[ResourceLink("ReCircle toolkit", "https://example.org/recircle")],
        agenda="00:00 - Welcome by Maria Jensen\n00:04 - Keynote by Tomasz Nowak",
    )


def make_media_info(path: str = "circular.opus", duration: float = 24.5) -> MediaInfo:
    return MediaInfo(
        path=Path(path),
        container="ogg",
        duration=duration,
        audio_codec="opus",
        sample_rate=48000,
        channels=1,
        has_video=False,
    )


# --- a real Meilisearch (search tests): one server per session, a fresh index per test --------


@pytest.fixture(scope="session")
def meili_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MeiliConnection]:
    """A real Meilisearch from .venv/bin/meilisearch on a free port, stopped after the session."""
    from tests.meili_server import running_meilisearch

    with running_meilisearch(tmp_path_factory.mktemp("meili")) as connection:
        yield connection


@pytest.fixture
def meili_index(meili_server: MeiliConnection) -> Iterator[str]:
    """The uid of an index no other test uses; deleted afterwards."""
    from tests.meili_server import delete_index

    uid = f"t_{uuid.uuid4().hex[:12]}"
    yield uid
    delete_index(meili_server, uid)
