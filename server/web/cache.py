"""Per-app caches for what the pages derive from stored data: it changes rarely, it is read often.

`WebinarCache` keeps what is built from one *version* of a webinar (its detail, its rendered
transcript, its caption files), keyed by the webinar's id and `updated_at`: an ingest or an edit
moves `updated_at`, so a stale entry is never served, and the older version's entries are dropped
as the new one is stored. A replay page then costs one indexed query (is the webinar still
published, at which version?) instead of five plus rendering ~1,500 segments. Lists across the
catalogue (topics, speakers, the latest webinars) are kept the same way under the catalogue's
version: how many webinars are listed and when the last one changed. Edits that change what a
page shows (a person's name, a chapter title) must move the webinars' `updated_at`.

`RouteCache` memoises the app's reverse routing, which Litestar computes by scanning its route
table: a page with twenty links spent about a tenth of its time there (measured with py-spy on
the replay page).

Both are made per app (`create_app` puts them on the state), so two apps in one process never
share entries, and both are thread-safe: database threads fill them while the event loop reads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from litestar import Litestar

from server.catalog.models import Webinar, require_id

T = TypeVar("T")

WEBINAR_CACHE_ENTRIES: Final = 128
"""Entries kept (a webinar has up to four: detail, transcript, WebVTT, SRT); a two-hour
transcript's rendered HTML is the largest at ~0.4 MB, so the cache stays within ~60 MB."""
ROUTE_CACHE_ENTRIES: Final = 8192
CATALOGUE: Final = 0
"""The owner id of entries about the whole catalogue (no webinar has id 0)."""


class WebinarCache:
    """Values derived from one version of a webinar, least recently used dropped first."""

    def __init__(self, size: int = WEBINAR_CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str, str], Any] = OrderedDict()
        self._building: dict[tuple[int, str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, webinar: Webinar, what: str, build: Callable[[], T]) -> T:
        """The cached `what` of this version of `webinar`, built (outside the lock) if missing."""
        return self.get_versioned(require_id(webinar), webinar.updated_at.isoformat(), what, build)

    def get_catalogue(self, version: str, what: str, build: Callable[[], T]) -> T:
        """The cached `what` of the whole listed catalogue at `version` (queries.catalogue_version)."""
        return self.get_versioned(CATALOGUE, version, what, build)

    def get_versioned(self, owner: int, version: str, what: str, build: Callable[[], T]) -> T:
        key = (owner, version, what)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                value: T = self._items[key]
                return value
            building = self._building.setdefault(key, threading.Lock())
        # One thread builds, the others wait for it: fifty readers arriving together at a
        # webinar just re-ingested would otherwise render its transcript fifty times at once.
        with building:
            with self._lock:
                if key in self._items:
                    value = self._items[key]
                    return value
            value = build()
            with self._lock:
                self._items[key] = value
                self._building.pop(key, None)
                for stale in [k for k in self._items if k[0] == owner and k[1] != version]:
                    del self._items[stale]
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value


class RouteCache:
    """`app.route_reverse`, remembered per (route name, path parameters)."""

    def __init__(self, size: int = ROUTE_CACHE_ENTRIES) -> None:
        self.size = size
        self._paths: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}
        self._lock = threading.Lock()

    def reverse(self, app: Litestar, name: str, /, **params: Any) -> str:
        """`app.route_reverse(name, **params)`; `app` must be the one app this cache belongs to."""
        key = (name, tuple(sorted(params.items())))
        path = self._paths.get(key)
        if path is None:
            path = app.route_reverse(name, **params)
            with self._lock:
                if len(self._paths) >= self.size:
                    self._paths.clear()  # links come from a small set of routes; a reset is rare
                self._paths[key] = path
        return path


def url_for(context: Mapping[str, Any], /, route_name: str, **path_parameters: Any) -> str:
    """The template callable `url_for`, answered from the app's `RouteCache`."""
    app: Litestar = context["request"].app
    routes: RouteCache = app.state.routes
    return routes.reverse(app, route_name, **path_parameters)
