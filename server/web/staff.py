"""Staff pages: sign in and out, the staff home, and accounts management for admins.

- `/staff/sign-in` (GET the form, POST it): a wrong email or password re-shows the form with a
  401, too many failures a 429 with `Retry-After` (server/accounts/users.py counts them); a
  success sets the session cookie and goes to `next` (a path on this site only).
- `/staff/sign-out` (POST, with the CSRF token): drops the cookie, back to the home page.
- `/staff` (staff): the staff home, a list of `STAFF_LINKS` and the `dashboard` block of
  templates/staff/home.html that later pages (jobs, uploads) fill.
- `/staff/users` (admins): every account with its role, state and live tokens; create one;
  disable or enable it; revoke its tokens.

Every form carries the CSRF token (server/accounts/csrf.py); the pages are `no-store` and
`noindex`. Anonymous visitors to a staff page get the sign-in form with status 401 (errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import anyio.to_thread
from litestar import Controller, MediaType, Request, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from ingest.errors import ArchiveError, InputError, RateLimitedError, UnauthorizedError
from server.accounts import passwords, users
from server.accounts.auth import current_user
from server.accounts.guards import admin_guard, staff_guard
from server.accounts.service import sign_in
from server.accounts.sessions import SessionCodec
from server.catalog.db import Database
from server.catalog.models import ROLES, User
from server.params import RowId
from server.web.routing import page_route


@dataclass(frozen=True)
class StaffLink:
    route: str
    label: str
    description: str
    admin_only: bool = False


STAFF_LINKS: Final[list[StaffLink]] = [
    StaffLink(
        "staff-upload", "Upload a recording", "Title, speakers and agenda; it is processed as a draft."
    ),
    StaffLink(
        "staff-jobs", "Processing jobs", "Uploads and re-processing: progress, time left, retry, cancel."
    ),
    StaffLink(
        "staff-replace",
        "Find and replace",
        "Correct a name or term across every transcript, previewed first.",
    ),
    StaffLink(
        "staff-users", "Accounts", "Create accounts, disable them, revoke API tokens.", admin_only=True
    ),
]
"""The staff home's list; a staff page adds itself here (in route order) to be linked."""

DONE_MESSAGES: Final = {
    "created": "Account {email} created.",
    "disabled": "Account {email} disabled: it can no longer sign in or use its tokens.",
    "enabled": "Account {email} enabled again.",
    "revoked": "Every API token of {email} is revoked ({count}).",
}


def signed_in_user(context: Mapping[str, Any]) -> User | None:
    """Template callable: the signed-in user of the page's request, or None (the public)."""
    request = context.get("request")
    return current_user(request) if request is not None else None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site (`//evil`, `https:`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/staff"
    return target


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def sign_in_page(message: str | None, next_path: str, status: int = 200, email: str = "") -> Template:
    return Template(
        template_name="staff/sign_in.html",
        context={"message": message, "next_path": safe_next(next_path), "email": email},
        status_code=status,
        headers={"Cache-Control": "no-store"},
        media_type=MediaType.HTML,
    )


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


# --- accounts management -------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    user: User
    tokens: int


def _accounts(session: Session) -> list[AccountRow]:
    counts = users.live_token_counts(session)
    return [AccountRow(u, counts.get(u.id or 0, 0)) for u in users.list_users(session)]


def _create(session: Session, email: str, password_hash: str, role: str) -> str:
    with session.begin():
        return users.create_user(session, email, password_hash, role).email


def _change(session: Session, user_id: int, action: str, acting_id: int | None) -> tuple[str, int]:
    with session.begin():
        user = users.get_user_by_id(session, user_id)
        count = 0
        if action in ("disable", "enable"):
            if action == "disable" and user.id == acting_id:
                raise InputError("You cannot disable your own account (ask another admin).")
            users.set_disabled(session, user, action == "disable")
        else:
            count = users.revoke_tokens(session, user)
        return user.email, count


class StaffController(Controller):
    path = "/staff"
    include_in_schema = False
    response_headers = [ResponseHeader(name="Cache-Control", value="no-store")]  # noqa: RUF012

    @page_route("/sign-in", name="staff-sign-in")
    async def sign_in_form(self, request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Any:
        if current_user(request) is not None:
            return Redirect(safe_next(next))
        return sign_in_page(None, next or "/staff")

    @post("/sign-in", name="staff-sign-in-post", status_code=303)
    async def sign_in(self, request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Any:
        form = await _form(request)
        email, password = form.get("email", "").strip(), form.get("password", "")
        next_path = safe_next(form.get("next"))
        if not email or not password:
            return sign_in_page("Please give your email and password.", next_path, 400, email)
        try:
            user = await sign_in(db, email, password, client_address(request))
        except RateLimitedError as exc:
            page = sign_in_page(str(exc), next_path, 429, email)
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        except UnauthorizedError as exc:
            return sign_in_page(str(exc), next_path, 401, email)
        codec: SessionCodec = request.app.state.sessions
        assert user.id is not None
        value = codec.encode(user.id, user.password_hash)
        return Redirect(next_path, status_code=303, cookies=[codec.cookie(value)])

    @post("/sign-out", name="staff-sign-out", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Redirect:
        codec: SessionCodec = request.app.state.sessions
        return Redirect(request.app.route_reverse("home"), status_code=303, cookies=[codec.deletion()])

    @page_route("/", name="staff-home", guards=[staff_guard])
    async def home(self, request: Request[Any, Any, Any]) -> Template:
        user = current_user(request)
        links = [link for link in STAFF_LINKS if not link.admin_only or (user and user.role == "admin")]
        return Template(template_name="staff/home.html", context={"user": user, "links": links})

    @page_route("/users", name="staff-users", guards=[admin_guard])
    async def accounts(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        done: FromQuery[str | None] = None,
        email: FromQuery[str | None] = None,
        count: FromQuery[int] = 0,
    ) -> Template:
        message = (
            DONE_MESSAGES[done].format(email=email or "", count=count) if done in DONE_MESSAGES else None
        )
        return await self._accounts_page(request, db, message=message)

    async def _accounts_page(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        *,
        message: str | None = None,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        rows = await db.run(_accounts)
        context = {
            "user": current_user(request),
            "rows": rows,
            "roles": ROLES,
            "message": message,
            "error": error,
            "form": form or {},
            "min_length": passwords.MIN_LENGTH,
        }
        return Template(
            template_name="staff/users.html", context=context, status_code=status, media_type=MediaType.HTML
        )

    @post("/users", name="staff-users-create", guards=[admin_guard], status_code=303)
    async def create_account(self, request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Any:
        form = await _form(request)
        email, role = form.get("email", "").strip(), form.get("role", "staff")
        password, again = form.get("password", ""), form.get("password_again", "")
        kept = {"email": email, "role": role}
        try:
            users.check_email(email)
            users.check_role(role)
            if password != again:
                raise InputError("the two passwords differ")
            password_hash = await anyio.to_thread.run_sync(passwords.hash_password, password)
            created = await db.run(_create, email, password_hash, role)
        except ArchiveError as exc:
            return await self._accounts_page(request, db, error=str(exc), form=kept, status=exc.status)
        return Redirect(f"/staff/users?{urlencode({'done': 'created', 'email': created})}", status_code=303)

    @post(
        "/users/{user_id:int}/{action:str}", name="staff-users-change", guards=[admin_guard], status_code=303
    )
    async def change_account(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        user_id: RowId,
        action: str,
    ) -> Any:
        if action not in ("disable", "enable", "revoke-tokens"):
            raise InputError(f"unknown action {action!r}: expected disable, enable or revoke-tokens")
        acting = current_user(request)
        email, count = await db.run(_change, user_id, action, acting.id if acting else None)
        done = {"disable": "disabled", "enable": "enabled", "revoke-tokens": "revoked"}[action]
        query = urlencode({"done": done, "email": email, "count": count})
        return Redirect(f"/staff/users?{query}", status_code=303)
