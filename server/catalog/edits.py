"""Staff edits of a webinar, each changed field recorded in the edit history.

The history keeps each field's old and new value, the editor and the time. The caller owns the
unit of work and commits it (`with session.begin():`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from server.catalog.models import EditHistory, Webinar, WebinarUpdate, utcnow


def update_webinar(session: Session, webinar: Webinar, changes: WebinarUpdate, editor: str) -> Webinar:
    """Apply a staff edit and record each changed field in the edit history; the caller commits."""
    assert webinar.id is not None
    for name, value in changes.model_dump(exclude_unset=True).items():
        old = getattr(webinar, name)
        if old == value:
            continue
        session.add(
            EditHistory(
                table_name="webinar",
                row_id=webinar.id,
                field=name,
                old_value=_jsonable(old),
                new_value=_jsonable(value),
                editor=editor,
            )
        )
        setattr(webinar, name, value)
    webinar.updated_at = utcnow()
    session.add(webinar)
    session.flush()
    return webinar


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
