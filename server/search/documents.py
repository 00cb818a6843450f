"""The search document: one per transcript segment, carrying everything a hit shows.

A hit is rendered from this document alone (no database round trip), so it repeats the
webinar's title, date and topics on every segment. It is built from the catalogue (the source
of truth) and can always be rebuilt from it by `webinar-archive reindex`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import msgspec

_EPOCH: Final = dt.date(1970, 1, 1)


def date_ts(date: dt.date) -> int:
    """A date as the index holds it (`date_ts`): days since 1970-01-01, a number to filter and sort."""
    return (date - _EPOCH).days


class SegmentDocument(msgspec.Struct, kw_only=True):
    id: int
    """The segment's primary key in the catalogue; Meilisearch's primary key too."""
    webinar: str
    """The webinar's slug (filter `webinar`, `distinct` for grouped results)."""
    webinar_title: str
    date: str | None
    """ISO date of the webinar, as shown."""
    date_ts: int | None
    """The date as days since 1970-01-01: Meilisearch filters and sorts numbers, not dates."""
    year: int | None
    topics: list[str]
    projects: list[str]
    """Projects of the webinar's speakers and resources (filter `project`)."""
    language: str
    speaker: str | None
    """The speaker's display name (or stable label such as "Speaker 3")."""
    affiliation: str | None
    kind: str
    chapter: str | None
    """The chapter's title."""
    start: float
    end: float
    text: str
