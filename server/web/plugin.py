"""`SitePlugin`: adds the website to `create_app` in one line.

The routes (pages, feeds, media with Range requests, static files), the Jinja environment, the
security headers on every response, and `url_for` answered from the app's route cache.
"""

from __future__ import annotations

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from server.settings import Settings
from server.web.cache import url_for
from server.web.feeds import FeedController
from server.web.glossary_api import HANDLERS as GLOSSARY_HANDLERS
from server.web.media import media_file
from server.web.pages import PageController
from server.web.people_api import HANDLERS as PEOPLE_HANDLERS
from server.web.people_pages import HANDLERS as PEOPLE_PAGES
from server.web.photos import StaffPhotoPages, photo_file
from server.web.routing import strip_head_body
from server.web.security import security_headers
from server.web.staff import StaffController, signed_in_user
from server.web.templating import STATIC_DIR, template_environment


class SitePlugin(InitPluginProtocol):
    """Adds the website to `create_app`: pages, feeds, media, static files, templates, headers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(
            [
                PageController,
                FeedController,
                media_file,
                StaffController,
                *PEOPLE_HANDLERS,  # the staff's people and projects API (people_api.py)
                *PEOPLE_PAGES,  # and their pages (/staff/people, /staff/projects: people_pages.py)
                *GLOSSARY_HANDLERS,  # the archive's glossary: /api/glossary, /staff/glossary
                photo_file,  # people's photos, stored on the site (photos.py)
                StaffPhotoPages,
                create_static_files_router(
                    path="/static",
                    directories=[STATIC_DIR],
                    name="static",
                    include_in_schema=False,
                    cache_control=None,
                ),
            ]
        )
        engine = JinjaTemplateEngine.from_environment(template_environment())
        # Litestar's `url_for` scans the route table on every call; this one remembers (cache.py).
        engine.register_template_callable("url_for", url_for)
        engine.register_template_callable("signed_in_user", signed_in_user)  # the header's staff links
        app_config.template_config = TemplateConfig(instance=engine)
        app_config.before_send.append(security_headers)
        app_config.before_send.append(strip_head_body)
        return app_config
