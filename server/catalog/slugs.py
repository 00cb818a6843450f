"""Webinar slugs: the readable, shareable name in a webinar's URL (`/webinars/<slug>`).

A slug is made from the title (`slugify`), or chosen by staff (`check_slug`), and is unique
among webinars (`unique_slug` adds `-2`, `-3`, ... when a title repeats).
"""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from ingest.errors import InputError
from ingest.textutil import normalise_name
from server.catalog.models import Webinar

SLUG_MAX_LENGTH = 80
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CatalogError(InputError):
    """A request the catalogue refuses; the message is meant for the user."""


class SlugError(CatalogError):
    """A slug that is malformed or already belongs to another webinar."""


def slugify(text: str) -> str:
    """An ASCII, lowercase, hyphenated form of a title, for URLs people can read and share.

    Letters are folded the way names are compared (`normalise_name`: "Análise" -> "analise",
    "Højgaard" -> "hojgaard", "Straße" -> "strasse") rather than dropped, and the result is cut at
    a word boundary so long titles do not make unwieldy links.
    """
    folded = normalise_name(text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[:SLUG_MAX_LENGTH]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "webinar"


def check_slug(slug: str) -> str:
    """Validate a slug someone chose (`--slug`); generated slugs are valid by construction."""
    if len(slug) > 200 or not _SLUG_RE.match(slug):
        raise SlugError(f"slug {slug!r}: use lowercase ASCII letters and digits separated by single hyphens")
    return slug


def slug_owner(session: Session, slug: str) -> Webinar | None:
    return session.exec(select(Webinar).where(Webinar.slug == slug)).first()


def unique_slug(session: Session, base: str, exclude_id: int | None = None) -> str:
    """`base`, or `base-2`, `base-3`, ... : the first one no other webinar uses."""
    pattern = f"{base}-%"
    query = select(Webinar.slug).where((col(Webinar.slug) == base) | col(Webinar.slug).like(pattern))
    if exclude_id is not None:
        query = query.where(Webinar.id != exclude_id)
    taken = set(session.exec(query).all())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
