"""The archive's glossary (server/catalog/glossary.py): terms from people, projects, the correction
history and staff's own decisions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, col, select

from ingest.errors import InputError, NotFoundError
from server.catalog import corrections, glossary
from server.catalog.db import create_db_engine
from server.catalog.glossary import Extracted, extract_terms
from server.catalog.models import Project, Segment, Webinar


def terms(old: str, new: str) -> list[str]:
    return [e.term for e in extract_terms(old, new)]


def test_a_rewritten_name_is_a_term_with_what_the_machine_wrote() -> None:
    assert extract_terms("Thank you, Merck. Before we", "Thank you, Marek. Before we") == [
        Extracted("Marek", "Merck")
    ]
    assert extract_terms("the Aggroceric project", "the AGROCIRC project") == [
        Extracted("AGROCIRC", "Aggroceric")
    ]


def test_a_recased_acronym_counts_and_a_multi_word_name_is_kept_whole() -> None:
    assert terms("who leads the portis project", "who leads the PORTIS project") == ["PORTIS"]
    found = extract_terms("for Kenty Council staff", "for Kent County Council staff")
    assert found[0] == Extracted("Kent County Council", "Kenty Council")
    assert terms("the university of gdansk said", "the University of Gdańsk said")[:2] == [
        "University of Gdańsk",
        "Gdańsk",
    ]


def test_common_words_sentence_starts_and_lower_case_edits_are_not_terms() -> None:
    assert terms("so we started", "So we started") == []
    assert terms("the the harbour", "the harbour") == []
    assert terms("farmers burn waste", "farmers burned the waste") == []
    assert terms("We offered. then", "We offered. Then") == []
    assert terms("merck, the floor is yours", "Marek, the floor is yours") == []  # a sentence's start
    assert terms("a", "McKenzie") == ["McKenzie"]  # an inner capital is a name anywhere


def test_a_run_stops_at_punctuation_and_drops_a_possessive() -> None:
    assert terms("in G-dania, we built", "in Gdynia, We built") == ["Gdynia"]
    assert terms("ask merck's team", "ask Marek's team") == ["Marek"]


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    from ingest.probe import MediaInfo
    from server.catalog.store import store_transcript
    from tests.factories import make_manifest, make_transcript

    engine = create_db_engine(f"sqlite:///{tmp_path / 'g.db'}")
    SQLModel.metadata.create_all(engine)
    info = MediaInfo(Path("a.opus"), "ogg", 24.5, "opus", 48000, 1, False)
    with Session(engine) as s:
        with s.begin():
            store_transcript(s, info, "a" * 64, make_manifest(), make_transcript(), slug="circular")
        yield s
    engine.dispose()


def _first_segment(session: Session) -> tuple[Webinar, Segment]:
    webinar = session.exec(select(Webinar)).one()
    segment = session.exec(
        select(Segment).where(Segment.webinar_id == webinar.id).order_by(col(Segment.position))
    ).first()
    assert segment is not None
    return webinar, segment


def test_the_glossary_gathers_people_projects_and_corrected_terms(session: Session) -> None:
    webinar, segment = _first_segment(session)
    corrections.edit_segment(
        session, webinar, segment.id or 0, "ed", text=f"{segment.text} with the AGROCIRC team"
    )
    built = glossary.build_glossary(session)
    by_term = {t.term: t for t in built.terms}
    assert by_term["Tomasz Nowak"].sources == ["person"]
    assert "project" in by_term["ReCircle"].sources
    agrocirc = by_term["AGROCIRC"]
    assert agrocirc.sources == ["correction"]
    assert agrocirc.corrections == 1
    assert agrocirc.webinars == [webinar.id]
    assert built.terms[0].term == "AGROCIRC"  # corrected terms come before people and projects
    assert "AGROCIRC" in glossary.ingest_vocabulary(session)
    assert len(glossary.ingest_vocabulary(session, limit=2)) == 2


def test_a_reverted_correction_teaches_nothing_until_the_revert_is_reverted(session: Session) -> None:
    webinar, segment = _first_segment(session)
    _, entries = corrections.edit_segment(
        session, webinar, segment.id or 0, "ed", text="Hello from PORTIS now"
    )
    made, _ = corrections.revert(session, entries[0].id or 0, "ed")
    assert "PORTIS" not in glossary.ingest_vocabulary(session)
    corrections.revert(session, made[0].id or 0, "ed")
    assert "PORTIS" in glossary.ingest_vocabulary(session)


def test_find_and_replace_across_the_archive_teaches_its_term(session: Session) -> None:
    _webinar, segment = _first_segment(session)
    word = segment.text.split()[-1]
    corrections.replace_matches(session, word, "Extremadura", "ed")
    assert "Extremadura" in glossary.ingest_vocabulary(session)


def test_staff_add_and_remove_terms_and_the_newest_decision_wins(session: Session) -> None:
    added = glossary.add_term(session, "  Klaipėda  ", "ed")
    assert added.term == "Klaipėda"
    assert added.sources == ["staff"]
    assert glossary.ingest_vocabulary(session)[0] == "Klaipėda"  # staff's terms come first
    assert glossary.remove_term(session, "tomasz nowak", "ed") == "Tomasz Nowak"  # any source
    built = glossary.build_glossary(session)
    assert "Tomasz Nowak" not in [t.term for t in built.terms]
    assert built.removed == ["Tomasz Nowak"]
    glossary.add_term(session, "Tomasz Nowak", "ed")
    assert "Tomasz Nowak" in glossary.ingest_vocabulary(session)
    with pytest.raises(NotFoundError):
        glossary.remove_term(session, "Nobody Here", "ed")
    for bad in ("", "   ", "!!", "x" * 201, 42):
        with pytest.raises(InputError):
            glossary.add_term(session, bad, "ed")
    assert [e.field for e in glossary.glossary_history(session)][:2] == [glossary.ADD, glossary.REMOVE]


def test_a_project_renamed_or_added_is_in_the_glossary(session: Session) -> None:
    session.add(Project(name="GreenPorts Baltic", slug="greenports-baltic"))
    session.flush()
    assert "GreenPorts Baltic" in glossary.ingest_vocabulary(session)
