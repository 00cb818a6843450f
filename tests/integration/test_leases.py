"""Maintenance leases (`server/catalog/leases.py`) on both catalogue backends: one holder at a
time, however many callers race for it, and a dead holder's lease taken over once it runs out."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine
from sqlmodel import Session, select

from server.catalog import leases
from server.catalog.models import MaintenanceLease, utcnow

NAME = "rebuild:segments"


def _expire(engine: Engine, name: str) -> None:
    with Session(engine) as session:
        lease = session.get(MaintenanceLease, name)
        assert lease is not None
        lease.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.add(lease)
        session.commit()


def test_one_holder_at_a_time_and_a_dead_holders_lease_is_taken_over(catalog_engine: Engine) -> None:
    with Session(catalog_engine) as session:
        assert leases.holder(session, NAME) is None
        assert leases.take(session, NAME, "a", 60)
        assert not leases.take(session, NAME, "b", 60)  # live: refused
        held = leases.holder(session, NAME)
        assert held is not None
        assert held.owner == "a"
        assert leases.take(session, NAME, "a", 60)  # its holder again: renewed
        assert leases.renew(session, NAME, "a", 60)
        assert not leases.renew(session, NAME, "b", 60)
        leases.release(session, NAME, "b")  # not b's to release
        assert leases.holder(session, NAME) is not None
    _expire(catalog_engine, NAME)  # a died without releasing
    with Session(catalog_engine) as session:
        assert leases.holder(session, NAME) is None
        assert leases.take(session, NAME, "b", 60)
        assert not leases.renew(session, NAME, "a", 60)  # a, back from the dead, has lost it
        leases.release(session, NAME, "a")
        assert leases.holder(session, NAME) is not None
        leases.release(session, NAME, "b")
        assert session.exec(select(MaintenanceLease)).all() == []
        assert leases.take(session, "rebuild:other", "a", 60)  # leases are by name


def test_callers_racing_for_a_free_lease_get_one_holder(catalog_engine: Engine) -> None:
    """Eight callers at once, each with its own connection, for a lease with no row yet and
    then for one whose holder died: exactly one wins each time."""

    def race(start: threading.Barrier, won: list[str], owner: str) -> None:
        with Session(catalog_engine) as session:
            start.wait()
            if leases.take(session, NAME, owner, 60):
                won.append(owner)

    for round_ in range(2):
        if round_:
            _expire(catalog_engine, NAME)
        start = threading.Barrier(8)
        won: list[str] = []
        threads = [threading.Thread(target=race, args=(start, won, f"caller-{round_}-{n}")) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(won) == 1, won
        with Session(catalog_engine) as session:
            held = leases.holder(session, NAME)
            assert held is not None
            assert held.owner == won[0]
