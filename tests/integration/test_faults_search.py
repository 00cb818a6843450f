"""Meilisearch stopping and coming back while the site runs, with a real Meilisearch process that
the test stops and starts again on the same port and data (tests/meili_server.py `MeiliServer`).

What must hold: search answers 503 with a message people and programs can read (problem details
for `/api/search`, the error page for `/search`); replay pages, the webinar API and captions
still answer from the catalogue; `/health` says search is down and then up again; a staff
correction made meanwhile is stored and reaches the index on its own once Meilisearch is back
(the app's periodic catch-up, server/search/catchup.py), without restarting anything.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, select

from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import Webinar
from server.search.api import SearchPlugin
from server.settings import Settings
from tests.factories import make_manifest, make_transcript
from tests.meili_server import MeiliServer
from tests.site_data import add_account, add_token, settings_for, store_and_index

pytestmark = pytest.mark.meili

HTML = {"accept": "text/html"}
STAFF = "staff@example.org"
INDEX = "faults"
CATCH_UP_SECONDS = 0.5
RECOVERY_BOUND_S = 5.0
"""Search must answer again within this many seconds of Meilisearch's return."""
CATCH_UP_BOUND_S = 30.0
"""An edit made meanwhile must be searchable within this: the catch-up interval plus indexing,
which first embeds the edited line for search by meaning (a model loaded once per process: most
of the time on a busy two-core machine)."""


def _settings(tmp_path: Path) -> Settings:
    settings = settings_for(tmp_path)
    return dataclasses.replace(
        settings, search=dataclasses.replace(settings.search, catch_up_seconds=CATCH_UP_SECONDS)
    )


def _client(settings: Settings, stoppable_meili: MeiliServer) -> TestClient[Litestar]:
    plugin = SearchPlugin(settings, connection=stoppable_meili.connection, index_uid=INDEX, timeout=2.0)
    return TestClient(app=create_app(settings, search=False, plugins=[plugin]))


def _stored(settings: Settings, stoppable_meili: MeiliServer) -> str:
    """A small webinar stored and indexed while Meilisearch is up; its slug."""
    return store_and_index(
        settings,
        make_transcript(),
        make_manifest(),
        "c.opus",
        connection=stoppable_meili.connection,
        index_uid=INDEX,
    )


def _within(seconds: float, check: Callable[[], bool]) -> float:
    """Poll `check` until it holds; returns how long that took (fails after `seconds`)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"not within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - started


def _status(settings: Settings, slug: str) -> str:
    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session:
            return session.exec(select(Webinar.status).where(Webinar.slug == slug)).one()
    finally:
        engine.dispose()


def test_search_stopped_while_serving_is_a_readable_503_and_recovers_without_a_restart(
    tmp_path: Path, stoppable_meili: MeiliServer
) -> None:
    settings = _settings(tmp_path)
    slug = _stored(settings, stoppable_meili)
    with _client(settings, stoppable_meili) as client:

        def searchable() -> bool:
            response = client.get("/api/search", params={"q": "refurbished furniture"})
            return response.status_code == 200 and any(
                "refurbished furniture" in hit["text"] for hit in response.json()["hits"]
            )

        assert searchable()
        assert client.get("/health").json()["search"] == "ok"

        stoppable_meili.stop()
        api = client.get("/api/search", params={"q": "refurbished furniture"})
        assert api.status_code == 503
        assert api.headers["content-type"].startswith("application/problem+json")
        assert api.headers["retry-after"]
        problem: dict[str, Any] = api.json()
        assert problem["status"] == 503
        assert problem["title"] == "Search is temporarily unavailable"
        assert problem["detail"].startswith("Meilisearch at ")
        assert "does not answer" in problem["detail"]

        page = client.get("/search", params={"q": "refurbished furniture"}, headers=HTML)
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "Search is temporarily unavailable" in page.text
        assert "Traceback" not in page.text

        # Everything else is served from the catalogue.
        replay = client.get(f"/webinars/{slug}", headers=HTML)
        assert replay.status_code == 200
        assert "buy refurbished furniture &amp; save money" in replay.text
        marked = client.get(f"/webinars/{slug}", params={"q": "tender"}, headers=HTML)
        assert marked.status_code == 200
        assert "Search is temporarily unavailable, so the words are not marked." in marked.text
        assert client.get(f"/api/webinars/{slug}").json()["slug"] == slug
        assert "refurbished furniture" in client.get(f"/webinars/{slug}/captions.vtt").text
        assert client.get("/", headers=HTML).status_code == 200

        health = client.get("/health")
        assert health.status_code == 200  # the site works: a load balancer must keep it
        assert health.json()["status"] == "degraded"
        assert health.json()["search"].startswith("unavailable: Meilisearch at ")

        stoppable_meili.start()
        took = _within(RECOVERY_BOUND_S, searchable)
        page = client.get("/search", params={"q": "refurbished furniture"}, headers=HTML)
        assert page.status_code == 200
        assert slug in page.text
        health = client.get("/health")
        assert (health.json()["status"], health.json()["search"]) == ("ok", "ok")
        print(f"\nsearch answered again {took:.2f} s after Meilisearch was back")


def test_an_edit_made_while_search_is_down_is_searchable_once_it_is_back(
    tmp_path: Path, stoppable_meili: MeiliServer
) -> None:
    settings = _settings(tmp_path)
    add_account(settings, STAFF, "a long enough password")
    slug = _stored(settings, stoppable_meili)
    bearer = {"authorization": f"Bearer {add_token(settings, STAFF)}"}
    with _client(settings, stoppable_meili) as client:
        segment = client.get(f"/api/webinars/{slug}/segments").json()[1]

        def said(word: str) -> bool | None:
            """Whether a hit for `word` quotes it (None: search did not answer)."""
            response = client.get("/api/search", params={"q": word, "webinar": slug})
            if response.status_code != 200:
                return None
            return any(word in hit["text"] for hit in response.json()["hits"])

        assert said("refurbished") is True

        stoppable_meili.stop()
        text = "Small municipalities can buy Quixotrelle furniture & save money."
        edited = client.patch(
            f"/api/webinars/{slug}/segments/{segment['id']}", json={"text": text}, headers=bearer
        )
        assert edited.status_code == 200, edited.text  # stored, though the index cannot follow
        assert client.get(f"/api/webinars/{slug}/segments").json()[1]["text"] == text
        assert "Quixotrelle" in client.get(f"/webinars/{slug}", headers=HTML).text
        assert _status(settings, slug) == "index_pending"
        assert said("Quixotrelle") is None  # 503 meanwhile

        # Meilisearch returns; nobody restarts the site or runs `reindex`.
        stoppable_meili.start()
        took = _within(CATCH_UP_BOUND_S, lambda: said("Quixotrelle") is True)
        assert said("refurbished") is False  # the old wording left the index with the edit
        _within(2.0, lambda: _status(settings, slug) == "ready")
        print(f"\nthe edit was searchable {took:.2f} s after Meilisearch was back")
