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
from pathlib import Path
from typing import Final

from ingest.errors import InputError
from server.keyfile import read_or_create_key
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
    return read_or_create_key(path, nbytes=48, min_length=MIN_LENGTH, error=SecretKeyError)


def derive(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose (`session`, `csrf`), derived from the secret."""
    return hmac.new(secret, f"webinar-archive/{purpose}".encode(), hashlib.sha256).digest()
