"""Staff edits of a webinar, each changed field recorded in the edit history.

The history keeps each field's old and new value, the editor and the time. The caller owns the
unit of work and commits it (`with session.begin():`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlmodel import Session

from ingest.errors import InputError
from server.catalog.models import EditHistory, Webinar, WebinarUpdate, utcnow

MAX_KEY_MESSAGES: Final = 20
MAX_KEY_MESSAGE_CHARS: Final = 1_000
MAX_SUMMARY_CHARS: Final = 20_000


def update_webinar(session: Session, webinar: Webinar, changes: WebinarUpdate, editor: str) -> Webinar:
    """Apply a staff edit and record each changed field in the edit history; the caller commits."""
    assert webinar.id is not None
    for name, value in changes.model_dump(exclude_unset=True).items():
        if name == "summary":
            value = check_summary(value)
        elif name == "key_messages":
            value = check_key_messages(value)
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


def check_summary(value: str | None) -> str | None:
    """A summary as stored: trimmed, None when blank; over MAX_SUMMARY_CHARS a 400."""
    text = (value or "").strip()
    if len(text) > MAX_SUMMARY_CHARS:
        raise InputError(f"summary: at most {MAX_SUMMARY_CHARS:,} characters")
    return text or None


def check_key_messages(value: list[str] | None) -> list[str]:
    """Key messages as stored: each trimmed (a leading "- " or "* " list marker dropped), blank
    ones left out; more than MAX_KEY_MESSAGES, or one too long, a 400."""
    out: list[str] = []
    for item in value or []:
        text = item.strip()
        if text[:2] in ("- ", "* ", "+ "):
            text = text[2:].strip()
        if not text:
            continue
        if len(text) > MAX_KEY_MESSAGE_CHARS:
            raise InputError(f"key_messages: each at most {MAX_KEY_MESSAGE_CHARS:,} characters")
        out.append(text)
    if len(out) > MAX_KEY_MESSAGES:
        raise InputError(f"key_messages: at most {MAX_KEY_MESSAGES}")
    return out


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
