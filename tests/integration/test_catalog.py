"""The catalogue on real databases: SQLite and PostgreSQL (see `catalog_url` in conftest).

Transcripts are built by hand, so these tests need no speech model.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, inspect
from sqlmodel import Session, SQLModel, col, select

from server.catalog import store
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.edits import update_webinar
from server.catalog.models import (
    STATUS_INDEX_PENDING,
    STATUS_READY,
    Chapter,
    EditHistory,
    Person,
    Resource,
    Segment,
    Webinar,
    WebinarPerson,
    WebinarUpdate,
)
from server.catalog.reads import get_published, list_segments, list_webinars, load_transcript, webinar_detail
from server.catalog.slugs import SLUG_MAX_LENGTH, SlugError, slugify
from server.catalog.status import set_status, webinars_with_status
from server.catalog.store import store_transcript
from server.search.feed import iter_segment_documents, webinar_documents
from tests.factories import make_manifest, make_media_info, make_transcript

ALL_TABLES = {
    "webinar",
    "person",
    "webinar_person",
    "chapter",
    "segment",
    "resource",
    "processing_job",
    "edit_history",
}


def _count(session: Session, table: type[SQLModel]) -> int:
    return int(session.exec(select(func.count()).select_from(table)).one())


def test_migrations_upgrade_from_empty_and_match_the_models(catalog_url: str) -> None:
    upgrade_database(catalog_url)
    upgrade_database(catalog_url)  # a second run is a no-op, as start-up relies on
    engine = create_db_engine(catalog_url)
    try:
        with engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) >= ALL_TABLES
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert context.get_current_revision() is not None
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_store_and_read_back(catalog_engine: Engine) -> None:
    transcript = make_transcript()
    # The question asked in German (the ingest's segment languages): kept with its line.
    transcript.segments[2] = msgspec.structs.replace(transcript.segments[2], language="de")
    with Session(catalog_engine) as session, session.begin():
        webinar = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), transcript)
        webinar_id = webinar.id

    with Session(catalog_engine) as session:
        stored = session.get(Webinar, webinar_id)
        assert stored is not None
        webinar = stored
        assert webinar.slug == "circular-procurement-in-small-municipalities"
        assert webinar.title == "Circular procurement in small municipalities"
        assert webinar.date == dt.date(2024, 3, 14)
        assert webinar.topics == ["circular economy", "procurement"]
        assert webinar.status == STATUS_INDEX_PENDING
        assert webinar.published is True
        assert webinar.media_path == "circular.opus"
        assert webinar.agenda is not None
        assert "Tomasz Nowak" in webinar.agenda
        assert webinar.model == "tiny.en"

        # The document comes back as it went in (segment ids, chapter numbers, answers, words).
        rebuilt = load_transcript(session, webinar)
        assert msgspec.to_builtins(rebuilt.segments) == msgspec.to_builtins(transcript.segments)
        assert msgspec.to_builtins(rebuilt.chapters) == msgspec.to_builtins(transcript.chapters)
        assert msgspec.to_builtins(rebuilt.resources) == msgspec.to_builtins(transcript.resources)
        assert {s.label: s.name for s in rebuilt.speakers} == {
            "SPEAKER_00": "Maria Jensen",
            "SPEAKER_01": "Tomasz Nowak",
            "SPEAKER_02": None,
        }

        detail = webinar_detail(session, webinar)
        assert [(s.name, s.role, s.affiliation, s.project) for s in detail.speakers] == [
            ("Maria Jensen", "moderator", "EU Programme", None),
            ("Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
            ("Ana Ribeiro", "panelist", "Port of Aveiro", "GreenPorts"),
        ]
        assert detail.media_url == "/media/circular.opus"
        assert [c.title for c in detail.chapters] == [
            "Welcome",
            "Keynote: circular procurement",
            "Questions",
        ]
        assert detail.resources[0].start == 4.5

        segments = list_segments(session, webinar)
        assert [s.speaker for s in segments] == [
            "Maria Jensen",
            "Tomasz Nowak",
            "Maria Jensen",
            "Tomasz Nowak",
            "SPEAKER_02",
        ]
        assert segments[3].chapter == "Questions"
        answer = session.get(Segment, segments[3].id)
        assert answer is not None
        assert answer.answers_id == segments[2].id


def test_segment_documents_for_the_index(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session:
        first = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), make_transcript())
        store_transcript(
            session, make_media_info("b.opus"), "b" * 64, make_manifest("Second"), make_transcript()
        )
        batches = list(iter_segment_documents(session, batch_size=3))
        assert [len(b) for b in batches] == [3, 3, 3, 1]
        docs = [d for b in batches for d in b]
        assert len({d.id for d in docs}) == 10
        one = list(iter_segment_documents(session, webinar_id=first.id))
        assert len(one) == 1
        assert len(one[0]) == 5
        doc = one[0][1]
        assert doc.webinar == first.slug
        assert doc.webinar_title == first.title
        assert doc.date == "2024-03-14"
        assert doc.date_ts == (dt.date(2024, 3, 14) - dt.date(1970, 1, 1)).days
        assert doc.year == 2024
        assert doc.speaker == "Tomasz Nowak"
        assert doc.projects == ["GreenPorts", "ReCircle"]
        assert doc.chapter == "Keynote: circular procurement"
        assert doc.kind == "presentation"
        assert (doc.start, doc.end) == (4.5, 12.0)
        # Where each word starts: "Small" at 4.5 s, "refurbished" (character 29) at 6.5 s.
        assert doc.times.split()[0] == "0:4.50"
        assert "29:6.50" in doc.times.split()
        # The webinar's own document: what the talk is about, searchable without its segments.
        (webinar,) = webinar_documents(session, first.id)
        assert webinar.id == webinar.webinar == first.slug
        assert webinar.title == first.title
        assert webinar.topics == ["circular economy", "procurement"]
        assert "Tomasz Nowak" in webinar.speaker
        speaker_index = webinar.speaker.index("Tomasz Nowak")
        assert webinar.affiliations[speaker_index] == "City of Gdansk"
        assert webinar.speaker_starts[speaker_index] == 4.5  # when he first speaks
        assert webinar.chapters == ["Welcome", "Keynote: circular procurement", "Questions"]
        assert webinar.resources == ["ReCircle toolkit"]

        # Unpublished webinars are not fed to the index.
        update_webinar(session, first, WebinarUpdate(published=False), editor="staff@example.org")
        assert list(iter_segment_documents(session, webinar_id=first.id)) == []
        assert list(webinar_documents(session, first.id)) == []
        edits = session.exec(select(EditHistory)).all()
        assert [(e.field, e.old_value, e.new_value, e.editor) for e in edits] == [
            ("published", True, False, "staff@example.org")
        ]


def test_a_failure_midway_leaves_nothing(catalog_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full while writing segments")

    monkeypatch.setattr(store, "_store_segments", broken)
    with Session(catalog_engine) as session, pytest.raises(RuntimeError, match="disk full"), session.begin():
        store_transcript(session, make_media_info(), "a" * 64, make_manifest(), make_transcript())
    with Session(catalog_engine) as session:
        for table in (Webinar, Person, WebinarPerson, Chapter, Resource, Segment):
            assert _count(session, table) == 0, table.__name__


def test_the_caller_owns_the_unit_of_work(catalog_engine: Engine) -> None:
    """The catalogue's writes flush and never commit: a session closed without a commit keeps nothing."""
    with Session(catalog_engine) as session:
        webinar = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), make_transcript())
        set_status(session, [webinar.id or 0], STATUS_READY)
        update_webinar(session, webinar, WebinarUpdate(published=False), editor="staff")
    with Session(catalog_engine) as session:
        assert _count(session, Webinar) == 0
        assert _count(session, EditHistory) == 0


def test_a_failed_reingest_keeps_the_previous_version(
    catalog_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(catalog_engine) as session, session.begin():
        store_transcript(session, make_media_info(), "a" * 64, make_manifest(), make_transcript())

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("crash")

    monkeypatch.setattr(store, "_store_resources", broken)
    with Session(catalog_engine) as session, pytest.raises(RuntimeError), session.begin():
        store_transcript(session, make_media_info(), "a" * 64, make_manifest("Renamed"), make_transcript())
    with Session(catalog_engine) as session:
        webinar = session.exec(select(Webinar)).one()
        assert webinar.title == "Circular procurement in small municipalities"
        assert _count(session, Segment) == 5
        assert _count(session, Chapter) == 3


def test_same_sha256_updates_instead_of_duplicating(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session, session.begin():
        first = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), make_transcript())
        first_id, first_slug = first.id, first.slug
        set_status(session, [first.id or 0], STATUS_READY)

    shorter = make_transcript()
    shorter.segments = shorter.segments[:2]
    shorter.chapters = shorter.chapters[:2]
    with Session(catalog_engine) as session:
        again = store_transcript(
            session, make_media_info(), "a" * 64, make_manifest("A better title"), shorter
        )
        assert again.id == first_id
        assert again.slug == first_slug  # links people shared keep working
        assert again.title == "A better title"
        assert again.status == STATUS_INDEX_PENDING  # the index must catch up with the new segments
        assert _count(session, Webinar) == 1
        assert _count(session, Segment) == 2
        assert _count(session, Chapter) == 2
        assert _count(session, Resource) == 1
        assert _count(session, Person) == 3
        assert _count(session, WebinarPerson) == 3
        assert [w.id for w in webinars_with_status(session, STATUS_INDEX_PENDING)] == [first_id]

        # An explicit slug on a re-ingest renames the webinar.
        renamed = store_transcript(session, make_media_info(), "a" * 64, make_manifest(), shorter, "renamed")
        assert renamed.slug == "renamed"
        assert _count(session, Webinar) == 1


def test_slugs_are_unique_ascii_and_checked(catalog_engine: Engine) -> None:
    assert slugify("  Análise: Portos & Cidades — 2024!  ") == "analise-portos-cidades-2024"
    assert slugify("???") == "webinar"
    assert len(slugify("word " * 100)) <= SLUG_MAX_LENGTH
    with Session(catalog_engine) as session:
        slugs = [
            store_transcript(
                session, make_media_info(), c * 64, make_manifest("Same title"), make_transcript()
            ).slug
            for c in "abc"
        ]
        assert slugs == ["same-title", "same-title-2", "same-title-3"]
        with pytest.raises(SlugError, match="already used"):
            store_transcript(
                session, make_media_info(), "d" * 64, make_manifest(), make_transcript(), "same-title"
            )
        with pytest.raises(SlugError, match="lowercase"):
            store_transcript(
                session, make_media_info(), "d" * 64, make_manifest(), make_transcript(), "Bad Slug"
            )
        assert _count(session, Webinar) == 3
        untitled = store_transcript(
            session, make_media_info("talks/Green_ports.opus"), "e" * 64, make_manifest(""), make_transcript()
        )
        assert (untitled.title, untitled.slug) == ("Green ports", "green-ports")


def test_listing_is_newest_first_and_hides_unpublished(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session:
        for i, (title, date) in enumerate(
            [("Old", dt.date(2020, 1, 1)), ("New", dt.date(2024, 1, 1)), ("Undated", None), ("Mid", None)]
        ):
            manifest = make_manifest(title)
            manifest.date = date
            store_transcript(session, make_media_info(), str(i) * 64, manifest, make_transcript())
        mid = session.exec(select(Webinar).where(col(Webinar.title) == "Mid")).one()
        update_webinar(session, mid, WebinarUpdate(published=False), editor="staff")
        rows, total = list_webinars(session, limit=10, offset=0)
        assert total == 3
        assert [w.title for w in rows] == ["New", "Old", "Undated"]
        rows, total = list_webinars(session, limit=1, offset=1)
        assert ([w.title for w in rows], total) == (["Old"], 3)
        assert get_published(session, "mid") is None
        assert get_published(session, "new") is not None
