"""People and projects in the catalogue (server/catalog/people.py), on SQLite and PostgreSQL:
ingest reuses one person across webinars by folded name, naming a voice, merging, renaming with
an alias, projects from the manifest, and migration 0003 on a catalogue that already has people.
"""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from ingest.document import Speaker
from ingest.errors import ConflictError, NotFoundError
from ingest.metadata import Person as ListedPerson
from server.catalog import people
from server.catalog.db import alembic_config, create_db_engine
from server.catalog.models import (
    EditHistory,
    Person,
    PersonAlias,
    Project,
    Resource,
    Segment,
    Webinar,
    WebinarPerson,
)
from server.catalog.slugs import CatalogError
from server.catalog.store import store_transcript
from tests.factories import make_manifest, make_media_info, make_transcript


def _store_two(session: Session) -> tuple[int, int]:
    first = store_transcript(
        session, make_media_info("a.opus"), "a" * 64, make_manifest("First"), make_transcript()
    )
    manifest = make_manifest("Second")
    manifest.speakers = [ListedPerson("tomasz  NOWAK", "speaker", None, "recircle")]  # another spelling
    transcript = make_transcript()
    transcript.speakers = [
        Speaker("SPEAKER_00"),
        Speaker("SPEAKER_01", "Tomasz Nowak"),
        Speaker("SPEAKER_02"),
    ]
    second = store_transcript(session, make_media_info("b.opus"), "b" * 64, manifest, transcript)
    assert first.id is not None
    assert second.id is not None
    return first.id, second.id


def test_one_person_and_one_project_across_webinars(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session, session.begin():
        first, second = _store_two(session)
        tomasz = session.exec(select(Person).where(Person.slug == "tomasz-nowak")).one()
        assert tomasz.name == "Tomasz Nowak"
        assert tomasz.affiliation == "City of Gdansk"  # a missing value erased nothing
        links = session.exec(select(WebinarPerson).where(WebinarPerson.person_id == tomasz.id)).all()
        assert {link.webinar_id for link in links} == {first, second}
        projects = session.exec(select(Project)).all()
        assert [(p.name, p.slug) for p in projects] == [
            ("ReCircle", "recircle"),
            ("GreenPorts", "greenports"),
        ]
        assert tomasz.project_id == projects[0].id
        assert tomasz.project == "ReCircle"
        # The resource whose title names the project belongs to it.
        resources = session.exec(select(Resource).where(Resource.webinar_id == first)).all()
        assert [r.project_id for r in resources] == [projects[0].id]


def test_assign_voice_merge_and_rename(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session, session.begin():
        first, second = _store_two(session)
        webinar = session.get(Webinar, second)
        assert webinar is not None
        maria = people.find_person(session, "maria jensen")
        assert maria is not None
        # An unnamed voice named as an existing person; then as a new name; then unnamed.
        assert people.assign_voice(session, webinar, "SPEAKER_02", maria.id, "ed") is maria
        said = session.exec(
            select(Segment.person_id).where(
                Segment.webinar_id == second, Segment.speaker_label == "SPEAKER_02"
            )
        ).all()
        assert set(said) == {maria.id}
        newcomer = people.assign_voice(session, webinar, "SPEAKER_02", "Lena Berg", "ed")
        assert newcomer is not None
        assert newcomer.slug == "lena-berg"
        entries = session.exec(select(EditHistory).where(EditHistory.field == people.VOICE_FIELD)).all()
        assert [e.new_value["name"] for e in entries] == ["Maria Jensen", "Lena Berg"]
        # Reverting the later entry gives the voice back to Maria.
        people.revert_voice(session, entries[-1], "ed")
        link = session.exec(
            select(WebinarPerson).where(
                WebinarPerson.webinar_id == second, WebinarPerson.speaker_label == "SPEAKER_02"
            )
        ).one()
        assert link.person_id == maria.id
        with pytest.raises(ConflictError):
            people.revert_voice(session, entries[-1], "ed")
        with pytest.raises(NotFoundError):
            people.assign_voice(session, webinar, "SPEAKER_99", maria.id, "ed")

        # Merge Lena (now only in the second webinar's list, without a voice) into Maria.
        merged = people.merge_people(session, newcomer, maria, "ed")
        assert merged is maria
        assert session.get(PersonAlias, "lena-berg") is not None
        assert people.find_person(session, "Lena Berg") is maria  # an old name finds the merged person
        ids = people.person_webinar_ids(session, require(maria.id))
        assert sorted(ids) == sorted({first, second})
        with pytest.raises(CatalogError):
            people.merge_people(session, maria, maria, "ed")

        # A rename keeps the old slug as an alias; a taken name is a conflict.
        people.update_person(
            session, maria, {"name": "Maria Jensen-Holm", "links": ["https://m.example"]}, "ed"
        )
        assert maria.slug == "maria-jensen-holm"
        found, old = people.person_by_slug(session, "maria-jensen")
        assert found is maria
        assert old
        with pytest.raises(ConflictError):
            people.update_person(session, maria, {"name": "Tomasz Nowak"}, "ed")
        with pytest.raises(CatalogError):
            people.update_person(session, maria, {"links": ["javascript:alert(1)"]}, "ed")


def require(value: int | None) -> int:
    assert value is not None
    return value


def test_migration_0003_keeps_existing_people(catalog_url: str) -> None:
    config = alembic_config(catalog_url)
    command.upgrade(config, "0002")
    engine = create_db_engine(catalog_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO person (name, affiliation, project) VALUES "
                    "('Karen Højgaard', NULL, 'ReCircle'), ('karen hojgaard', NULL, 'recircle'), "
                    "('Ana', NULL, NULL)"
                )
            )
        command.upgrade(config, "head")
        with Session(engine) as session:
            rows = session.exec(select(Person).order_by(col(Person.id))).all()
            assert [(p.slug, p.project_id is not None, p.links) for p in rows] == [
                ("karen-hojgaard", True, []),
                ("karen-hojgaard-2", True, []),
                ("ana", False, []),
            ]
            assert [p.name for p in session.exec(select(Project))] == ["ReCircle"]
        command.downgrade(config, "0002")
    finally:
        engine.dispose()
