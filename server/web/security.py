"""Security headers on every response: the Content-Security-Policy, nosniff, a referrer policy.

No page runs inline script, so the policy allows scripts from this site only; the embeddable
player is the one page other sites may frame.
"""

from __future__ import annotations

from typing import Final

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)
"""Scripts from this site only: no inline script anywhere (JSON-LD is data, not script)."""
EMBED_CSP: Final = CSP.replace("frame-ancestors 'self'", "frame-ancestors *")
"""The embeddable player (oEmbed) may be framed by any site; nothing else may."""
SECURITY_HEADERS: Final = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


# --- security headers -----------------------------------------------------------------------


async def security_headers(message: Message, scope: Scope) -> None:
    """Add the security headers to every HTTP response, errors and static files included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path: str = scope.get("path", "")
    if "content-security-policy" not in headers:
        embed = path.startswith("/webinars/") and path.endswith("/embed")
        headers["content-security-policy"] = EMBED_CSP if embed else CSP
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
