"""Two workers storing webinars with the same speaker at the same moment, on PostgreSQL: both
look the person up, find nobody and insert them; the second insert waits for the first
transaction and then hits the unique name. It must end with one person, used by both, and both
units of work committed (before, the second job failed with UniqueViolation: found by
tests/integration/test_scaled_layout.py). Made deterministic here: the first session holds its
insert uncommitted while the second runs into it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from server.catalog.models import Person, Project
from server.catalog.people import get_or_create_person

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)
def test_the_same_new_speaker_stored_by_two_workers_at_once_is_one_person(catalog_engine: Engine) -> None:
    first = Session(catalog_engine)
    second = Session(catalog_engine)
    try:
        ours = get_or_create_person(first, "Elena Marchetti", affiliation="Programme", project="EXPORTA")
        result: dict[str, object] = {}

        def store_in_second() -> None:
            try:
                theirs = get_or_create_person(second, "Elena Marchetti", project="EXPORTA")
                second.commit()
                result["id"] = theirs.id
            except Exception as exc:  # shown by the assertion below
                result["error"] = exc

        thread = threading.Thread(target=store_in_second)
        thread.start()
        time.sleep(0.5)  # the second session is now waiting on the first one's uncommitted row
        assert thread.is_alive()
        first.commit()
        thread.join(timeout=20)
        assert "error" not in result, result
        assert result["id"] == ours.id
    finally:
        first.close()
        second.close()
    with Session(catalog_engine) as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 1
        assert session.exec(select(func.count()).select_from(Project)).one() == 1
        person = session.exec(select(Person)).one()
        assert person.affiliation == "Programme"
        assert person.project == "EXPORTA"
