"""Signing in, for the web app: rate limit, password check, record, rehash, in that order.

The Argon2 work runs on a worker thread (anyio), the SQL through `Database.run`, so the event
loop never waits for either.
"""

from __future__ import annotations

import anyio.to_thread
from sqlmodel import Session

from ingest.errors import UnauthorizedError
from server.accounts import passwords, users
from server.catalog.db import Database
from server.catalog.models import User

WRONG: str = "That email and password do not match an account. Check both and try again."


def _lookup(session: Session, email: str, address: str) -> User | None:
    users.check_sign_in_limit(session, email, address)
    user = users.find_user(session, email)
    return user if user is not None and not user.disabled else None


def _record(session: Session, email: str, address: str, user: User | None, new_hash: str | None) -> None:
    with session.begin():
        users.record_attempt(session, email, address, succeeded=user is not None)
        if user is not None and user.id is not None and new_hash is not None:
            users.set_password_hash(session, user.id, new_hash)


async def sign_in(db: Database, email: str, password: str, address: str) -> User:
    """The user these credentials name; `RateLimitedError` (429) when this account or address
    failed too often lately, `UnauthorizedError` (401) for a wrong email or password (the same
    answer, after the same work, whether or not the account exists)."""
    email = users.normalise_email(email)[:320]
    user = await db.run(_lookup, email, address)
    if user is None:
        await anyio.to_thread.run_sync(passwords.verify_nobody, password)
        ok, new_hash = False, None
    else:
        ok, new_hash = await anyio.to_thread.run_sync(passwords.verify, user.password_hash, password)
    signed_in = user if ok else None
    await db.run(_record, email, address, signed_in, new_hash)
    if signed_in is None:
        raise UnauthorizedError(WRONG, title="Sign-in failed")
    if new_hash is not None:
        signed_in.password_hash = new_hash
    return signed_in
