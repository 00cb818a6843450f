"""The archive's secret: signs session cookies and CSRF tokens.

It must outlive a restart (or every session ends) and be the same in every process (or a cookie
made by one uvicorn worker is refused by the next): a random secret per process is the classic
trap. So: ARCHIVE_SECRET_KEY when set (required when several machines serve the site), else a
key generated once into `<data_dir>/secret.key`, created with mode 0600 in the same `open`
(O_CREAT|O_EXCL, as the Meilisearch master key in server/search/process.py), so there is no
moment another user could read it; a key file others can read is refused, not used.

Each use gets its own key derived from the secret (HMAC with a label), so a value signed for one
purpose (a CSRF token) can never pass as another (a session).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Final

from ingest.errors import InputError
from server.settings import Settings

KEY_FILE: Final = "secret.key"
MIN_LENGTH: Final = 32


class SecretKeyError(InputError):
    """The secret key file cannot be used; the message says how to fix it."""

    default_title = "The secret key cannot be used"


def secret_key(settings: Settings) -> bytes:
    """The configured secret, or the one kept in <data_dir>/secret.key (made on first use)."""
    if settings.access.secret_key:
        return settings.access.secret_key.encode()
    return read_or_create_secret(settings.storage.data_dir / KEY_FILE).encode()


def read_or_create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _read(path: Path) -> str:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretKeyError(f"{path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`")
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_LENGTH:
        raise SecretKeyError(f"{path} holds no usable secret ({MIN_LENGTH} characters at least)")
    return key


def derive(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose (`session`, `csrf`), derived from the secret."""
    return hmac.new(secret, f"webinar-archive/{purpose}".encode(), hashlib.sha256).digest()
