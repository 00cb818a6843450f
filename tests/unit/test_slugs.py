"""Slugs people read in links: letters folded as names are, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.catalog.slugs import slugify
from server.web.queries import person_slug


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Karen Højgaard", "karen-hojgaard"),
        ("Łódź: circular ports", "lodz-circular-ports"),
        ("Straße der Ideen", "strasse-der-ideen"),
        ("Æsop & Œuvre", "aesop-oeuvre"),
        ("Análise: Portos & Cidades — 2024!", "analise-portos-cidades-2024"),
        ("Þórr Guðmundsson", "thorr-gudmundsson"),
        ("東京", "webinar"),
    ],
)
def test_letters_are_transliterated_not_dropped(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_a_person_page_slug_keeps_every_letter() -> None:
    assert person_slug("Karen Højgaard") == "karen-hojgaard"


def test_links_made_with_the_earlier_letter_dropping_slug_still_find_the_person(tmp_path: Path) -> None:
    from sqlmodel import Session

    from server.catalog.db import create_db_engine, upgrade_database
    from server.catalog.models import Person
    from server.web.queries import person_by_slug

    engine = create_db_engine(f"sqlite:///{tmp_path / 'people.db'}")
    upgrade_database(engine)  # the schema the migrations make, as everywhere else
    with Session(engine) as session:
        session.add(Person(name="Karen Højgaard", slug="karen-hojgaard"))
        session.commit()
        for slug in ("karen-hojgaard", "karen-hjgaard"):
            found = person_by_slug(session, slug)
            assert found is not None
            assert found.name == "Karen Højgaard"
        assert person_by_slug(session, "karen") is None
    engine.dispose()
