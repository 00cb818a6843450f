"""Leases on maintenance work, kept in the catalogue because every process shares it.

Two `webinar-archive reindex` runs, or two workers that each find the index built with an older
model, would otherwise build into the same side index and swap it in turn. A lease says who is
at it; the second caller gets a clear refusal instead. A holder renews its lease while it works;
one that dies stops renewing, so after `expires_at` the next caller takes the lease over, and
nobody has to clear anything by hand after a crash.

Each function is one statement whose WHERE holds the whole condition, as the job leases are
(`server/jobs/service.py`): the database applies it to the row once, so two callers cannot
both succeed. Taking a lease that has no row yet is an INSERT, and the primary key lets only
one of two concurrent inserts through.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from server.catalog.models import MaintenanceLease, as_utc, utcnow

__all__ = ["holder", "new_owner", "release", "renew", "take"]


def new_owner() -> str:
    """A holder's name that tells a person where to look (host and process), unique per call."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take(session: Session, name: str, owner: str, seconds: float) -> bool:
    """Take lease `name` for `owner` for `seconds`, or False while another holder's is live.

    `owner` taking its own lease again just renews it. Commits.
    """
    now = utcnow()
    expires = now + dt.timedelta(seconds=seconds)
    taken = session.execute(
        update(MaintenanceLease)
        .where(col(MaintenanceLease.name) == name)
        .where(or_(col(MaintenanceLease.expires_at) < now, col(MaintenanceLease.owner) == owner))
        .values(owner=owner, taken_at=now, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return True
    try:  # no row, or a live one: the insert tells which
        session.add(MaintenanceLease(name=name, owner=owner, taken_at=now, expires_at=expires))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def renew(session: Session, name: str, owner: str, seconds: float) -> bool:
    """Push `owner`'s lease `seconds` into the future; False when it is no longer `owner`'s
    (it ran out and another caller took it over). Commits."""
    renewed = session.execute(
        update(MaintenanceLease)
        .where(col(MaintenanceLease.name) == name)
        .where(col(MaintenanceLease.owner) == owner)
        .values(expires_at=utcnow() + dt.timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return renewed.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def release(session: Session, name: str, owner: str) -> None:
    """Give the lease up, if `owner` still holds it (never another holder's). Commits."""
    session.execute(
        delete(MaintenanceLease)
        .where(col(MaintenanceLease.name) == name)
        .where(col(MaintenanceLease.owner) == owner)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def holder(session: Session, name: str) -> MaintenanceLease | None:
    """The live lease `name`, for telling a refused caller who holds it; None when it is free."""
    lease = session.get(MaintenanceLease, name, populate_existing=True)
    if lease is None:
        return None
    expires = as_utc(lease.expires_at)
    return lease if expires is not None and expires >= utcnow() else None
