"""Passwords: Argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile: 64 MiB, 3 passes).

Only the encoded hash is stored (parameters and salt inside it), so raising the parameters later
needs no migration: `verify` says when a stored hash was made with other parameters, and sign-in
stores a new one. Hashing takes tens of milliseconds of CPU on purpose; the web app runs it on a
worker thread, never on the event loop.

An unknown email is checked against a dummy hash, so a wrong address takes as long as a wrong
password and the answer's timing does not tell which accounts exist.
"""

from __future__ import annotations

import functools
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ingest.errors import InputError

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 1024
"""Longer passwords are refused: hashing megabytes would be a cheap way to load the server."""

HASHER: Final = PasswordHasher()


def check_new_password(password: str) -> None:
    """The rules a new password must meet (length only: NIST SP 800-63B, no composition rules)."""
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password must have {MIN_LENGTH} characters at least")
    if len(password) > MAX_LENGTH:
        raise InputError(f"the password must have at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_new_password(password)
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches; and a new hash when the stored one should be replaced."""
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if HASHER.check_needs_rehash(password_hash):
        return True, HASHER.hash(password)
    return True, None


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("not anyone's password, only a timing stand-in")


def verify_nobody(password: str) -> None:
    """Spend the time a real verification takes, for an email that has no (enabled) account."""
    verify(_dummy_hash(), password)
