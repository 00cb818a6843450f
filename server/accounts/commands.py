"""`webinar-archive user ...`: staff accounts from the command line.

    user create EMAIL --role staff|admin   password prompted twice on a terminal, else the first
                                           line of standard input (for scripts)
    user list                              email, role, state, created, last sign-in, live tokens
    user disable EMAIL / user enable EMAIL
    user password EMAIL                    a new password (ends the account's sessions)
    user token EMAIL [--label TEXT]        a new API token, printed once as the LAST line of
                                           standard output (only its SHA-256 is stored)
    user revoke-tokens EMAIL               revokes every token of the account

Errors follow server/cli.py's contract (one line, exit 2 bad input, 3 unknown account, 4 an
account that exists already). The schema is brought up to date first, like `ingest`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from ingest.errors import ConflictError, InputError
from server.catalog.models import ROLE_STAFF, ROLES
from server.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from server.catalog.db import create_db_engine, session_scope, upgrade_database

    engine = create_db_engine(settings.storage.database_url)
    try:
        upgrade_database(engine)
        with session_scope(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def read_password(prompt: str = "Password") -> str:
    """Twice with getpass on a terminal (so a typo is caught), else the first line of stdin."""
    from server.accounts.passwords import check_new_password

    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        if getpass.getpass(f"{prompt} again: ") != first:
            raise InputError("the two passwords differ")
        password = first
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("no password: give it on the first line of standard input")
    check_new_password(password)
    return password


def cmd_create(args: argparse.Namespace, settings: Settings) -> int:
    from server.accounts import passwords, users

    email = users.check_email(args.email)
    with _session(settings) as session:  # an existing account is refused before the prompt
        if users.find_user(session, email) is not None:
            raise ConflictError(f"an account for {email!r} already exists")
    password_hash = passwords.hash_password(read_password())
    with _session(settings) as session:
        user = users.create_user(session, email, password_hash, args.role)
        print(f"created {user.role} account {user.email}")
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from server.accounts import users

    with _session(settings) as session:
        counts = users.live_token_counts(session)
        rows = [
            (
                u.email,
                u.role,
                "disabled" if u.disabled else "active",
                u.created_at.strftime("%Y-%m-%d %H:%M"),
                u.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if u.last_sign_in_at else "never",
                str(counts.get(u.id or 0, 0)),
            )
            for u in users.list_users(session)
        ]
    header = ("EMAIL", "ROLE", "STATE", "CREATED", "LAST SIGN-IN", "TOKENS")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("no accounts yet: webinar-archive user create EMAIL --role admin", file=sys.stderr)
    return 0


def _set_disabled(disabled: bool) -> Handler:
    def command(args: argparse.Namespace, settings: Settings) -> int:
        from server.accounts import users

        with _session(settings) as session:
            user = users.set_disabled(session, users.get_user(session, args.email), disabled)
            print(f"{'disabled' if disabled else 'enabled'} {user.email}")
        return 0

    return command


def cmd_password(args: argparse.Namespace, settings: Settings) -> int:
    from server.accounts import passwords, users

    with _session(settings) as session:
        users.get_user(session, args.email)  # unknown account: fail before the prompt
    password_hash = passwords.hash_password(read_password("New password"))
    with _session(settings) as session:
        user = users.get_user(session, args.email)
        assert user.id is not None
        users.set_password_hash(session, user.id, password_hash)
        print(f"password changed for {user.email}; its sessions have ended")
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from server.accounts import users

    with _session(settings) as session:
        user = users.get_user(session, args.email)
        if user.disabled:
            raise InputError(f"{user.email} is disabled; enable it first (user enable)")
        token = users.issue_token(session, user, args.label)
    print(f"new API token for {user.email}; it is shown once, keep it secret:", file=sys.stderr)
    print(token)
    return 0


def cmd_revoke_tokens(args: argparse.Namespace, settings: Settings) -> int:
    from server.accounts import users

    with _session(settings) as session:
        user = users.get_user(session, args.email)
        count = users.revoke_tokens(session, user)
    print(f"revoked {count} token{'s' if count != 1 else ''} of {user.email}")
    return 0


def add_user_commands(sub: Any) -> None:
    """Adds `user` and its subcommands to the CLI's subparsers."""
    user = sub.add_parser("user", help="staff accounts: create, list, disable, API tokens")
    commands = user.add_subparsers(dest="user_command", required=True)

    p = commands.add_parser("create", help="a new account (password prompted, or stdin's first line)")
    p.add_argument("email")
    p.add_argument("--role", choices=ROLES, default=ROLE_STAFF, help="staff (default) or admin")
    p.set_defaults(handler=cmd_create)

    p = commands.add_parser("list", help="every account: email, role, state, created")
    p.set_defaults(handler=cmd_list)

    p = commands.add_parser("disable", help="stop an account from signing in or using its tokens")
    p.add_argument("email")
    p.set_defaults(handler=_set_disabled(True))

    p = commands.add_parser("enable", help="allow a disabled account again")
    p.add_argument("email")
    p.set_defaults(handler=_set_disabled(False))

    p = commands.add_parser("password", help="set a new password (ends the account's sessions)")
    p.add_argument("email")
    p.set_defaults(handler=cmd_password)

    p = commands.add_parser("token", help="a new API token, printed as the last line")
    p.add_argument("email")
    p.add_argument("--label", help="what the token is for (shown to admins)")
    p.set_defaults(handler=cmd_token)

    p = commands.add_parser("revoke-tokens", help="revoke every API token of an account")
    p.add_argument("email")
    p.set_defaults(handler=cmd_revoke_tokens)
