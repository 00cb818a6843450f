"""CSRF protection: Litestar's `CSRFMiddleware` (double-submit cookie, HMAC-signed token,
configured by a `CSRFConfig`), with the archive's rules on when a token is needed.

How a form or script sends the token:
- forms: `<input type="hidden" name="_csrf_token" value="{{ csrf_token() }}">` (templates/staff/);
- scripts: the `X-CSRFToken` header, its value from `<meta name="csrf-token">` in base.html.
  Large uploads should use the header: without it the middleware has to parse the form body
  to find the field.

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
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from ingest.errors import ForbiddenError

FORM_FIELD: Final = "_csrf_token"
HEADER: Final = "x-csrftoken"
COOKIE: Final = "csrftoken"
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
        content_type, _ = request.content_type
        if not sent and content_type in {RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART}:
            form = await request.form()
            value = form.get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
        if sent is None or csrf_cookie is None or not self._csrf_tokens_match(sent, csrf_cookie):
            raise ForbiddenError(REFUSED, title="Security check failed")
        state.csrf_token = sent
        await self.app(scope, receive, send)
