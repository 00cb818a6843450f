"""Who is calling: `AuthMiddleware` puts the signed-in `User` (or None) in `scope["user"]`.

Two ways to be signed in, checked in this order:

1. `Authorization: Bearer TOKEN`, for programs: the token's SHA-256 must match a token that is
   not revoked, of an enabled account. A request that sends this header is judged by it alone
   (the session cookie is ignored), and a token that does not match is answered 401 at once
   rather than treated as anonymous, so a script with a revoked token learns why. Such a
   request carries no ambient credential, which is why it needs no CSRF token (csrf.py).
2. The session cookie (sessions.py), for people: signed, unexpired, naming an enabled account
   whose password has not changed since. A bad or stale cookie is simply no session: the
   visitor is anonymous.

Anonymous requests cost nothing: the database is asked only when a cookie or token is sent.
Public pages work for everyone; routes that need an account say so with the guards in
guards.py. `request.user` reads the same value; `current_user(request)` also works on routes
the middleware skips (`/static`), answering None there.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from ingest.errors import UnauthorizedError
from server.accounts import users
from server.accounts.sessions import COOKIE_NAME, SessionCodec
from server.catalog.db import Database
from server.catalog.models import ROLE_ADMIN, ROLES, User

SKIP_PREFIXES: Final = ("/static/",)
"""Never need to know the caller: no lookup, `current_user` is None there."""


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User | None:
    """The signed-in user of this request (a page, an API call, a WebSocket), or None."""
    user = connection.scope.get("user")
    return user if isinstance(user, User) else None


def caller_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int | None:
    """The signed-in caller's user id (a job's `created_by`, an upload's owner), None when anonymous."""
    user = current_user(connection)
    return user.id if user is not None else None


def editor_name(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Who the edit history names for a change: the account's email, "api" when there is none."""
    user = current_user(connection)
    return user.email if user is not None else "api"


def is_staff(user: User | None) -> bool:
    """Signed in, enabled, with a staff role (admins are staff too)."""
    return user is not None and not user.disabled and user.role in ROLES


def is_admin(user: User | None) -> bool:
    return is_staff(user) and user is not None and user.role == ROLE_ADMIN


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header ('' for a Bearer header without one)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


class AuthMiddleware:
    """ASGI middleware: sets `scope["user"]` and `scope["auth"]` ("token", "session" or None)."""

    def __init__(self, app: ASGIApp, codec: SessionCodec) -> None:
        self.app = app
        self.codec = codec

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        user, how = await self._authenticate(connection)
        scope["user"] = user
        scope["auth"] = how
        await self.app(scope, receive, send)

    async def _authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[User | None, Any]:
        token = bearer_token(connection.headers.get("authorization"))
        if token is not None:
            database: Database = connection.app.state.database
            user = await database.run(users.user_for_token, token) if token else None
            if user is None:
                raise UnauthorizedError(
                    "That API token is unknown or has been revoked.", title="Invalid token"
                )
            return user, "token"
        cookie = connection.cookies.get(COOKIE_NAME)
        if cookie:
            data = self.codec.decode(cookie)
            if data is not None:
                database = connection.app.state.database
                user = await database.run(users.user_for_session, data.user_id, data.fingerprint)
                if user is not None:
                    return user, "session"
        return None, None
