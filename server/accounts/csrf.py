"""CSRF protection: Litestar's `CSRFMiddleware` (double-submit cookie, HMAC-signed token,
configured by a `CSRFConfig`), with the archive's rules on when a token is needed.

How a form or script sends the token:
- forms: `<input type="hidden" name="_csrf_token" value="{{ csrf_token() }}">` (templates/staff/);
- scripts: the `X-CSRFToken` header, its value from `<meta name="csrf-token">` in base.html.

A URL-encoded form is small and parsed whole (Litestar caches it for the handler). A multipart
form may carry a recording of several GB that its handler streams to disk, so it is never
parsed here: the middleware reads only as far as the `_csrf_token` part, which must come before
any file (put the hidden field first in the form; `FIELD_WITHIN` bytes at most), and hands the
bytes it read on to the handler unchanged, which then reads the whole body as sent.

When it is checked (every method but GET, HEAD and OPTIONS):
- always on the site's own forms, signed in or not (sign-in itself: "login CSRF");
- on `/api/...` writes made with the session cookie;
- not on a request with `Authorization: Bearer` (auth.py then ignores the cookie, and the
  header is not something another site can make a browser send), and not on an anonymous
  `/api/...` write (it has no credential to abuse; the route's guard answers 401).

The CSRF cookie is handed out only where a form may need it: to signed-in visitors and on
`/staff/...` pages (where sign-in is). Public pages for the anonymous set no cookie at all, so
they stay cacheable. A refused token is a 403 that says what to do.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.config.csrf import CSRFConfig
from litestar.connection import Request
from litestar.enums import RequestEncodingType, ScopeType
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import Receive, ReceiveMessage, Scope, Send
from litestar.utils.scope.state import ScopeState
from multipart import MultipartError, MultipartSegment, PushMultipartParser

from ingest.errors import ForbiddenError

FORM_FIELD: Final = "_csrf_token"
HEADER: Final = "x-csrftoken"
COOKIE: Final = "csrftoken"
FIELD_WITHIN: Final = 64 * 1024
"""A multipart form's token must be within its first 64 KiB, before any file part."""
REFUSED: Final = (
    "This form has expired or did not come from this site (its security token is missing or wrong). "
    "Go back, reload the page and send it again."
)


def csrf_config(key: bytes, secure: bool) -> CSRFConfig:
    return CSRFConfig(
        secret=key.hex(),
        cookie_name=COOKIE,
        header_name=HEADER,
        cookie_secure=secure,
        cookie_httponly=True,  # scripts read the token from the page's <meta>, not the cookie
        cookie_samesite="lax",
        exclude=["^/static/", "^/media/"],
    )


class ArchiveCSRFMiddleware(CSRFMiddleware):
    """`CSRFMiddleware` with the rules above; must run after auth.py's middleware."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or (self.exclude and self.exclude.findall(scope["path"])):
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
        signed_in = scope.get("user") is not None
        path: str = scope["path"]
        csrf_cookie = request.cookies.get(self.config.cookie_name)
        state = ScopeState.from_scope(scope)
        if request.method in self.config.safe_methods:
            if csrf_cookie is None and not signed_in and not path.startswith("/staff"):
                await self.app(scope, receive, send)  # a public page: no cookie, no token
                return
            token = state.csrf_token = csrf_cookie or generate_csrf_token(secret=self.config.secret)
            await self.app(
                scope, receive, self.create_send_wrapper(send=send, csrf_cookie=csrf_cookie, token=token)
            )
            return
        if scope.get("auth") == "token" or (path.startswith("/api/") and not signed_in):
            await self.app(scope, receive, send)
            return
        sent = request.headers.get(self.config.header_name)
        content_type, options = request.content_type
        if not sent and content_type == RequestEncodingType.URL_ENCODED:
            form = await request.form()
            value = form.get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
        elif not sent and content_type == RequestEncodingType.MULTI_PART:
            sent, receive = await token_from_multipart(receive, options.get("boundary", ""))
        if sent is None or csrf_cookie is None or not self._csrf_tokens_match(sent, csrf_cookie):
            raise ForbiddenError(REFUSED, title="Security check failed")
        state.csrf_token = sent
        await self.app(scope, receive, send)


async def token_from_multipart(receive: Receive, boundary: str) -> tuple[str | None, Receive]:
    """The `_csrf_token` field of a multipart body, read without consuming the body: returns
    the token (None when it is not among the first `FIELD_WITHIN` bytes, or not before a file)
    and a `receive` that replays what was read, then goes on with the rest."""
    read: list[ReceiveMessage] = []
    # Never closed: it stops mid-body on purpose, which closing would call an error.
    parser = PushMultipartParser(boundary or "-", max_header_count=8)
    token: bytearray | None = None
    found: str | None = None
    size = 0
    try:
        while size <= FIELD_WITHIN:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            outcome = _scan(parser, chunk, token) if chunk else None
            if isinstance(outcome, bytearray):
                token = outcome  # inside the token's part, which goes on in the next chunk
            elif outcome is not None:
                found = outcome or None  # "" means a file came first
                break
            if not message.get("more_body", False):
                break
    except MultipartError:
        found = None
    replay = list(read)

    async def replaying_receive() -> ReceiveMessage:
        return replay.pop(0) if replay else await receive()

    return found, replaying_receive


def _scan(parser: PushMultipartParser, chunk: bytes, token: bytearray | None) -> str | bytearray | None:
    """Feed one chunk: the token when its part ended, "" when a file part came first, the token
    so far when its part goes on, None when the token's part has not begun."""
    for event in parser.parse(chunk):
        if isinstance(event, MultipartSegment):
            if event.filename is not None:
                return ""
            token = bytearray() if event.name == FORM_FIELD else None
        elif event is None:
            if token is not None:
                return token.decode("ascii", "replace")
        elif token is not None:
            token += event
    return token
