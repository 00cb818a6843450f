"""Secrets kept in a file of their own: made on first use, readable by their owner only.

The Meilisearch master key and the site's secret key both live under ARCHIVE_DATA_DIR. The file
is created with mode 0600 in the same `open` (O_CREAT|O_EXCL), so there is no moment when another
user could read it, and two processes starting at once agree on one key (the second reads what
the first wrote). A key file others can read is refused rather than used.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create_key(path: Path, *, nbytes: int, min_length: int, error: type[Exception]) -> str:
    """The key at `path`, or a new one of `nbytes` random bytes (URL-safe text) written there.

    `error` is raised, with a message that says how to fix it, when the file is readable by
    others or holds fewer than `min_length` characters.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path, min_length, error)
    key = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _read(path: Path, min_length: int, error: type[Exception]) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise error(f"{path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < min_length:
        raise error(f"{path} holds no usable key ({min_length} characters at least)")
    return key
