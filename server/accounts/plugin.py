"""`AccountsPlugin(settings)`: who is calling and CSRF, added to `create_app` in one line.

Loads (or creates) the secret once, at app construction, derives the session and CSRF keys
from it, and puts two middlewares first, in this order: auth.py's (sets `scope["user"]`) then csrf.py's
(which needs to know how the caller authenticated). The `SessionCodec` is kept on
`app.state.sessions` for the sign-in and sign-out pages.
"""

from __future__ import annotations

from litestar.config.app import AppConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins import InitPluginProtocol

from server.accounts.auth import AuthMiddleware
from server.accounts.csrf import ArchiveCSRFMiddleware, csrf_config
from server.accounts.secret import derive, secret_key
from server.accounts.sessions import SessionCodec
from server.settings import Settings


class AccountsPlugin(InitPluginProtocol):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        secret = secret_key(self.settings)
        secure = self.settings.access.secure_cookies
        codec = SessionCodec(derive(secret, "session"), secure=secure)
        app_config.state["sessions"] = codec
        # Outermost, before the app's own (server/web/disconnect.py runs the rest in a task
        # group, which would wrap the 401/403 these raise in an ExceptionGroup).
        app_config.middleware[0:0] = [
            DefineMiddleware(AuthMiddleware, codec=codec),
            DefineMiddleware(ArchiveCSRFMiddleware, config=csrf_config(derive(secret, "csrf"), secure)),
        ]
        return app_config
