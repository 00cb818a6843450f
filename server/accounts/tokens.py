"""Personal API tokens: `wa_` and 43 URL-safe characters (256 random bits).

Only the token's SHA-256 is stored: a copy of the database holds no usable token, and a fast hash
is enough because the token is random, not a password a person chose. The prefix lets secret
scanners and people recognise one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final

PREFIX: Final = "wa_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
