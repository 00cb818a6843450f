"""Route guards: `guards=[staff_guard]` on a route, controller or router.

- `staff_guard`: any enabled account (role `staff` or `admin`).
- `admin_guard`: admins only (accounts management).

Both raise from the archive's error family, so the front ends present them as usual: an
anonymous caller gets 401 (`UnauthorizedError`: problem JSON with `WWW-Authenticate: Bearer` for
programs; the sign-in page, status 401, for a browser), a signed-in caller without the role gets
403 (`ForbiddenError`). The caller comes from auth.py's middleware; a write endpoint needs both
a guard and (for cookie sessions) the CSRF token, which csrf.py checks before the guard runs.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from ingest.errors import ForbiddenError, UnauthorizedError
from server.accounts.auth import current_user, is_admin, is_staff


def staff_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise UnauthorizedError("Please sign in with a staff account to continue.")
    if not is_staff(user):
        raise ForbiddenError("This needs a staff account.")


def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = current_user(connection)
    if user is None:
        raise UnauthorizedError("Please sign in with an administrator's account to continue.")
    if not is_admin(user):
        raise ForbiddenError("Only administrators may manage accounts.")
