"""The archive's one error family, shared by the pipeline, the CLI and the web app.

Each class says what kind of failure it is, and so how every front end reports it: the web app
answers with `status` (an HTML page or problem-details JSON), the CLI prints the message on one
line and exits with `exit_code`. Code raises the narrowest class and lets the front end decide
the presentation; nothing catches an error only to rebuild another one with the same meaning.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar


class ArchiveError(Exception):
    """A failure the archive explains to a person; the message says what and why.

    `title` overrides the class's heading for one case ("Webinar not found"); `context` carries
    what an error page may offer as a way on (the webinar to play from the start).
    """

    status: ClassVar[int] = 500
    default_title: ClassVar[str] = "Something went wrong"
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, title: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.title = title or self.default_title
        self.context = context


class InputError(ArchiveError, ValueError):
    """Input the user supplied is unusable; the message says which input and why."""

    status = 400
    default_title = "That request cannot be used"
    exit_code = 2


class NotFoundError(ArchiveError, LookupError):
    """What was asked for does not exist (or is not public)."""

    status = 404
    default_title = "Not found"
    exit_code = 3


class ConflictError(ArchiveError):
    """The request clashes with what is stored (a slug in use, an edit on a stale version)."""

    status = 409
    default_title = "That clashes with what is stored"
    exit_code = 4


class ForbiddenError(ArchiveError):
    """The caller may not do this."""

    status = 403
    default_title = "Not allowed"
    exit_code = 5


class UnavailableError(ArchiveError):
    """A service the archive depends on (database, search, model) cannot answer now; retry later."""

    status = 503
    default_title = "Temporarily unavailable"
    exit_code = 6
    retry_after: ClassVar[int] = 5


class UnauthorizedError(ArchiveError):
    """The caller is not signed in (or its token is unknown or revoked): sign in and try again."""

    status = 401
    default_title = "Please sign in"
    exit_code = 5


class RateLimitedError(ArchiveError):
    """Too many tries in a short time; `retry_after` seconds until the next may succeed."""

    status = 429
    default_title = "Too many attempts"
    exit_code = 6

    def __init__(self, message: str, *, retry_after: int, title: str | None = None, **context: Any) -> None:
        super().__init__(message, title=title, **context)
        self.retry_after = max(1, int(retry_after))


class StorageFullError(ArchiveError):
    """The disk (or the quota) that was to hold a file is full. What was being written is not
    kept (a resumable upload keeps the bytes it had); free some space and try again."""

    status = 507
    default_title = "Not enough storage"
    exit_code = 7


DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""No space left, quota exceeded, file larger than the file system or process allows."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is the operating system saying the disk is full (for `StorageFullError`)."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS
