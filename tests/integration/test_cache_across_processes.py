"""A correction made through one web process shows at once through another.

Each web process keeps its own cache of rendered transcripts and caption files
(server/web/cache.py), keyed by the webinar's `updated_at` as read from the catalogue on every
request, so an edit stored by any process moves the key everywhere; lists across the catalogue
are keyed by a version that an edit moves even when the editing machine's clock runs behind.
Two apps on one catalogue stand for two worker processes (or machines): each has its own cache,
as each process does.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import Webinar
from server.settings import Settings
from tests.factories import make_manifest, make_transcript
from tests.site_data import add_account, add_token, store_and_index

STAFF = "editor@example.org"
HTML = {"accept": "text/html"}


def test_an_edit_through_one_process_shows_in_the_others_replay_page_captions_and_home(
    catalog_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env({"DATABASE_URL": catalog_url}, base_dir=tmp_path)
    slug = store_and_index(
        settings, make_transcript(), make_manifest(), "talk.opus", connection=None, index_uid="-"
    )
    # Stamped by a machine whose clock runs an hour ahead: the newest `updated_at` stays its.
    ahead = store_and_index(
        settings,
        make_transcript(),
        make_manifest("Compost in schools"),
        "other.opus",
        connection=None,
        index_uid="-",
    )
    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        session.execute(update(Webinar).where(col(Webinar.slug) == ahead).values(updated_at=later))
    engine.dispose()
    add_account(settings, STAFF, "a long enough password")
    staff = {"authorization": f"Bearer {add_token(settings, STAFF)}"}
    editing, reading = create_app(settings, search=False), create_app(settings, search=False)
    with TestClient(app=editing) as one, TestClient(app=reading) as other:
        # The reading process has rendered and cached everything before the edit.
        page = other.get(f"/webinars/{slug}", headers=HTML)
        captions = other.get(f"/webinars/{slug}/captions.vtt")
        assert "refurbished furniture" in page.text
        assert "refurbished furniture" in captions.text
        assert "Circular procurement in small municipalities" in other.get("/", headers=HTML).text

        segment = next(
            s for s in one.get(f"/api/webinars/{slug}/segments").json() if "furniture" in s["text"]
        )
        new_text = "Small municipalities can buy refurbished wardrobes & save money."
        edited = one.patch(
            f"/api/webinars/{slug}/segments/{segment['id']}", json={"text": new_text}, headers=staff
        )
        assert edited.status_code == 200, edited.text
        retitled = one.patch(
            f"/api/webinars/{slug}", json={"title": "Buying reused furniture"}, headers=staff
        )
        assert retitled.status_code == 200, retitled.text

        page = other.get(f"/webinars/{slug}", headers=HTML)
        assert "refurbished wardrobes" in page.text
        assert "refurbished furniture" not in page.text
        assert "Buying reused furniture" in page.text
        captions = other.get(f"/webinars/{slug}/captions.vtt")
        assert "refurbished wardrobes" in captions.text
        assert "refurbished furniture" not in captions.text
        assert "refurbished wardrobes" in other.get(f"/webinars/{slug}/transcript.txt").text
        home = other.get("/", headers=HTML).text
        assert "Buying reused furniture" in home
        assert "Circular procurement in small municipalities" not in home
