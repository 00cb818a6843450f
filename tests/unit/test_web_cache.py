"""The per-app caches behind the replay page, captions and lists (server/web/cache.py)."""

from __future__ import annotations

import datetime as dt
import threading
import time

from server.catalog.models import Webinar
from server.web.cache import WebinarCache


def webinar(updated: dt.datetime, webinar_id: int = 1) -> Webinar:
    return Webinar(
        id=webinar_id, slug="w", title="W", media_path="w.opus", media_sha256="0" * 64, updated_at=updated
    )


def test_a_new_version_is_built_again_and_the_old_one_dropped() -> None:
    cache = WebinarCache()
    first = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    builds: list[str] = []

    def build(value: str) -> str:
        builds.append(value)
        return value

    assert cache.get(webinar(first), "detail", lambda: build("one")) == "one"
    assert cache.get(webinar(first), "detail", lambda: build("stale")) == "one"
    edited = first + dt.timedelta(seconds=1)
    assert cache.get(webinar(edited), "detail", lambda: build("two")) == "two"
    assert builds == ["one", "two"]
    # The old version is gone: asking for it builds it anew rather than serving a stale copy.
    assert cache.get(webinar(first), "detail", lambda: "rebuilt") == "rebuilt"


def test_least_recently_used_entries_go_first() -> None:
    cache = WebinarCache(size=2)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cache.get(webinar(now, 1), "x", lambda: 1)
    cache.get(webinar(now, 2), "x", lambda: 2)
    cache.get(webinar(now, 1), "x", lambda: -1)  # touch 1
    cache.get(webinar(now, 3), "x", lambda: 3)  # evicts 2
    assert cache.get(webinar(now, 1), "x", lambda: -1) == 1
    assert cache.get(webinar(now, 2), "x", lambda: 22) == 22


def test_readers_arriving_together_build_once() -> None:
    cache = WebinarCache()
    calls = 0
    lock = threading.Lock()

    def slow_build() -> str:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.2)
        return "rendered"

    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.get(webinar(dt.datetime(2024, 1, 1)), "t", slow_build))
        )
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["rendered"] * 20
    assert calls == 1


def test_catalogue_lists_follow_the_catalogue_version() -> None:
    cache = WebinarCache()
    assert cache.get_catalogue("3:2024-01-01", "home", lambda: "three") == "three"
    assert cache.get_catalogue("3:2024-01-01", "home", lambda: "stale") == "three"
    assert cache.get_catalogue("4:2024-01-02", "home", lambda: "four") == "four"
