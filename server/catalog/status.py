"""A webinar's status: which webinars the public may see, finding webinars by status, setting it.

`listed()` is the one rule for what the public sees; the JSON API, the pages and the search
feed all filter with it. These functions only flush: the caller owns the unit of work and
commits it (`with session.begin():`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from server.catalog.models import STATUS_INDEX_PENDING, STATUS_READY, WEBINAR_STATUSES, Webinar, utcnow

LISTED_STATUSES = (STATUS_READY, STATUS_INDEX_PENDING)
"""A webinar is shown once it is stored in full, even while the search index catches up."""


def listed() -> Any:
    """What the public may see, as a WHERE clause on `webinar`: published and stored in full."""
    return col(Webinar.published).is_(True) & col(Webinar.status).in_(LISTED_STATUSES)


def set_status(session: Session, webinar_ids: Sequence[int], status: str) -> None:
    """Mark webinars (e.g. `ready` once indexed, `index_pending` when the index was unreachable)."""
    if status not in WEBINAR_STATUSES:
        raise ValueError(f"unknown webinar status {status!r}")
    if webinar_ids:
        session.execute(
            update(Webinar)
            .where(col(Webinar.id).in_(list(webinar_ids)))
            .values(status=status, updated_at=utcnow())
        )
        session.flush()


def webinars_with_status(session: Session, status: str) -> list[Webinar]:
    """For start-up and `reindex`: which webinars still wait for the search index."""
    return list(session.exec(select(Webinar).where(Webinar.status == status).order_by(col(Webinar.id))))
