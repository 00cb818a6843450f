"""Slugs people read in links: letters folded as names are, never dropped."""

from __future__ import annotations

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
