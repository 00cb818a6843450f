"""The staff session cookie: signed, not stored on the server.

Value: base64url(JSON {"u": user id, "t": issued at (Unix seconds), "p": fingerprint}) "." and
base64url(HMAC-SHA256). The fingerprint is a hash of the user's password hash, so changing the
password ends every session made with the old one. Nothing secret is inside (the id only), so
signing is enough; the middleware still loads the user on each request, so a disabled account
is shut out at once. The cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on
cross-site POSTs; the CSRF token covers the rest) and `Secure` outside development.

Sign-out deletes the cookie in the browser; a copy taken before it stays valid until it expires
(`MAX_AGE`), unless the password is changed or the account disabled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any, Final

from litestar.datastructures import Cookie

COOKIE_NAME: Final = "archive_session"
MAX_AGE: Final = 7 * 24 * 3600
"""A week: staff sign in once per working week."""


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionData:
    user_id: int
    issued_at: int
    fingerprint: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SessionCodec:
    """Makes and reads session cookies with the key derived for sessions (secret.derive)."""

    key: bytes
    secure: bool
    max_age: int = MAX_AGE

    def encode(self, user_id: int, password_hash: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        payload = {"u": user_id, "t": issued, "p": password_fingerprint(password_hash)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def decode(self, value: str, now: float | None = None) -> SessionData | None:
        """The session in a cookie value, or None when it is malformed, forged or expired."""
        body, _, signature = value.partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload: Any = json.loads(_unb64(body))
            data = SessionData(int(payload["u"]), int(payload["t"]), str(payload["p"]))
        except (ValueError, KeyError, TypeError):
            return None
        age = (now if now is not None else time.time()) - data.issued_at
        if not -60 <= age <= self.max_age:
            return None
        return data

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.key, body.encode(), hashlib.sha256).digest())

    def cookie(self, value: str) -> Cookie:
        return Cookie(
            key=COOKIE_NAME,
            value=value,
            max_age=self.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def deletion(self) -> Cookie:
        """The cookie that signs the browser out (expired at once)."""
        return Cookie(
            key=COOKIE_NAME, value="", max_age=0, path="/", httponly=True, samesite="lax", secure=self.secure
        )
