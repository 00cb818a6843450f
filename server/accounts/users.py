"""The SQL of accounts: users, API tokens, and the sign-in rate limit.

Every function takes a session its caller owns and only flushes (as in server/catalog): the
caller commits (`with session.begin():`). Emails are stored lower-cased and stripped, so sign-in
and the CLI ignore case.

The rate limit is counted from `sign_in_attempt` rows, not from a counter in memory, so every
process (uvicorn workers, several machines on one database) sees the same count: at most
`ACCOUNT_LIMIT` failures per account and `ADDRESS_LIMIT` per address within `WINDOW`. A
successful sign-in is recorded but does not count, and ends the account's run of failures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from ingest.errors import ConflictError, InputError, NotFoundError, RateLimitedError
from server.accounts.sessions import password_fingerprint
from server.accounts.tokens import new_token, token_hash
from server.catalog.models import ROLES, ApiToken, SignInAttempt, User, utcnow

WINDOW: Final = dt.timedelta(minutes=15)
ACCOUNT_LIMIT: Final = 5
"""Failed sign-ins per account within WINDOW before the account's sign-in is refused (429)."""
ADDRESS_LIMIT: Final = 20
"""Failed sign-ins from one address within WINDOW (many accounts tried from one place)."""
KEEP_ATTEMPTS: Final = dt.timedelta(days=1)
TOKEN_TOUCH: Final = dt.timedelta(minutes=5)
"""`last_used_at` is written at most this often per token, not on every call."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    """The email as stored; a plainly malformed one is refused (the address is only an identifier)."""
    address = normalise_email(email)
    local, at, domain = address.partition("@")
    if not at or not local or not domain or " " in address or len(address) > 320:
        raise InputError(f"{email!r} is not an email address")
    return address


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


# --- users -----------------------------------------------------------------------------------


def find_user(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def get_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFoundError(f"no account for {normalise_email(email)!r}")
    return user


def get_user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no account with id {user_id}")
    return user


def create_user(session: Session, email: str, password_hash: str, role: str) -> User:
    """A new account; the password is hashed by the caller (passwords.hash_password), off any loop."""
    address = check_email(email)
    check_role(role)
    if find_user(session, address) is not None:
        raise ConflictError(f"an account for {address!r} already exists")
    user = User(email=address, password_hash=password_hash, role=role)
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.email))))


def set_disabled(session: Session, user: User, disabled: bool) -> User:
    """Disable (or enable again) an account; a disabled one can neither sign in nor use tokens."""
    user.disabled = disabled
    session.add(user)
    session.flush()
    return user


def set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.execute(update(User).where(col(User.id) == user_id).values(password_hash=password_hash))
    session.flush()


def user_for_session(session: Session, user_id: int, fingerprint: str) -> User | None:
    """The enabled user a session cookie names, if its password is still the one signed in with."""
    user = session.get(User, user_id)
    if user is None or user.disabled or password_fingerprint(user.password_hash) != fingerprint:
        return None
    return user


# --- API tokens ------------------------------------------------------------------------------


def issue_token(session: Session, user: User, label: str | None = None) -> str:
    """A new token for `user`; returned once, only its hash is stored."""
    assert user.id is not None
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label))
    session.flush()
    return token


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every live token of `user`; returns how many."""
    result = session.execute(
        update(ApiToken)
        .where(col(ApiToken.user_id) == user.id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def live_token_counts(session: Session) -> dict[int, int]:
    """user id -> number of tokens not revoked (for the accounts page)."""
    rows = session.execute(
        select(ApiToken.user_id, func.count())
        .where(col(ApiToken.revoked_at).is_(None))
        .group_by(col(ApiToken.user_id))
    )
    return {int(user_id): int(count) for user_id, count in rows}


def user_for_token(session: Session, token: str) -> User | None:
    """The enabled user owning this live token; records when it was used (now and then)."""
    row = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == token_hash(token), col(ApiToken.revoked_at).is_(None))
    ).first()
    if row is None:
        return None
    api_token, user = row
    if user.disabled:
        return None
    now = utcnow()
    if api_token.last_used_at is None or now - _aware(api_token.last_used_at) > TOKEN_TOUCH:
        session.execute(update(ApiToken).where(col(ApiToken.id) == api_token.id).values(last_used_at=now))
        session.commit()  # a unit of its own: the middleware's lookup is the whole of this session
    return user


# --- sign-in and its rate limit -------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    allowed: bool
    retry_after: int = 0


def _failures(session: Session, column: str, value: str, since: dt.datetime) -> list[dt.datetime]:
    field = col(SignInAttempt.email) if column == "email" else col(SignInAttempt.address)
    rows = session.exec(
        select(SignInAttempt.at)
        .where(field == value, col(SignInAttempt.at) >= since, col(SignInAttempt.succeeded).is_(False))
        .order_by(col(SignInAttempt.at))
    )
    return [_aware(at) for at in rows]


def sign_in_limit(session: Session, email: str, address: str, now: dt.datetime | None = None) -> Limit:
    """Whether one more try is allowed for this account and address, else when it will be."""
    now = now or utcnow()
    since = now - WINDOW
    last_success = session.exec(
        select(func.max(SignInAttempt.at)).where(
            col(SignInAttempt.email) == email, col(SignInAttempt.succeeded).is_(True)
        )
    ).one()
    account_since = max(since, _aware(last_success)) if last_success is not None else since
    waits: list[float] = []
    for failures, limit in (
        (_failures(session, "email", email, account_since), ACCOUNT_LIMIT),
        (_failures(session, "address", address, since), ADDRESS_LIMIT),
    ):
        if len(failures) >= limit:
            # Allowed again once enough of the window's failures have aged out of it.
            waits.append((failures[len(failures) - limit] + WINDOW - now).total_seconds())
    if waits:
        return Limit(False, max(1, int(max(waits)) + 1))
    return Limit(True)


def check_sign_in_limit(session: Session, email: str, address: str) -> None:
    limit = sign_in_limit(session, email, address)
    if not limit.allowed:
        minutes = max(1, round(limit.retry_after / 60))
        raise RateLimitedError(
            f"Too many failed sign-ins for this account or from this address. Please wait about "
            f"{minutes} minute{'s' if minutes != 1 else ''} and try again.",
            retry_after=limit.retry_after,
        )


def record_attempt(session: Session, email: str, address: str, succeeded: bool) -> None:
    """One sign-in try; attempts older than a day are dropped on the way (the limit looks back 15 min)."""
    now = utcnow()
    session.execute(delete(SignInAttempt).where(col(SignInAttempt.at) < now - KEEP_ATTEMPTS))
    session.add(SignInAttempt(email=email[:320], address=address[:64], at=now, succeeded=succeeded))
    if succeeded:
        session.execute(update(User).where(col(User.email) == email).values(last_sign_in_at=now))
    session.flush()
