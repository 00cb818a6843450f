"""Staff corrections, and the voices staff named, survive a re-processing by a real worker (the
real speech model), unless staff choose to discard them; the job says which segments it kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.jobs_harness import Worker, finished, make_env, upload, wait_for
from tests.site_data import add_account, add_token

pytestmark = [pytest.mark.slow, pytest.mark.meili]

STAFF = "reprocess@example.org"


@pytest.fixture
def served(tmp_path: Path, meili_server: MeiliConnection, meili_index: str) -> Iterator[TestClient[Litestar]]:
    env = make_env(tmp_path, meili_server, meili_index)
    add_account(env.settings, STAFF, "a long enough password")
    settings = env.settings
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=meili_server, index_uid=meili_index)],
    )
    worker = Worker(env)
    try:
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {add_token(settings, STAFF)}"
            yield client
    finally:
        worker.stop()


def test_a_reprocessing_keeps_corrections_unless_told_to_discard_them(served: TestClient[Litestar]) -> None:
    client = served
    body = upload(client).json()
    assert wait_for(client, body["job"]["id"], finished)["state"] == "succeeded"
    slug = body["webinar"]["slug"]
    assert client.patch(f"/api/webinars/{slug}", json={"published": True}).status_code == 200
    segments = client.get(f"/api/webinars/{slug}/segments").json()
    first = segments[0]
    # Staff name a voice (not the corrected line's): the new run's voices that speak at the same
    # times get the person again.
    labels = (client.get(f"/api/webinars/{slug}/segments/{s['id']}").json() for s in segments[1:])
    label = next(s["speaker_label"] for s in labels if s["speaker_label"])
    named = client.put(f"/api/webinars/{slug}/voices/{label}", json={"name": "Karen Smith"})
    assert named.status_code == 200, named.text
    corrected = f"Zorblax {first['text']}"
    assert (
        client.patch(f"/api/webinars/{slug}/segments/{first['id']}", json={"text": corrected}).status_code
        == 200
    )

    again = client.post(f"/api/webinars/{slug}/reprocess", json={})
    assert again.status_code == 202, again.text
    job = wait_for(client, again.json()["job"]["id"], finished)
    assert job["state"] == "succeeded", job
    assert [k["text"] for k in job["kept_corrections"]] == [corrected]
    assert "Karen Smith" in [v["person"] for v in job["kept_voices"]]
    after = client.get(f"/api/webinars/{slug}/segments").json()
    assert [s["text"] for s in after].count(corrected) == 1
    assert any(s["speaker"] == "Karen Smith" and s["text"] != corrected for s in after)
    hits = client.get("/api/search", params={"q": "zorblax"}).json()["hits"]
    assert [h["text"] for h in hits] == [corrected]
    page = client.get(f"/staff/jobs/{job['id']}", headers={"accept": "text/html"}).text
    assert "1 corrected segment kept" in page
    assert re.search(r"\d named voices? kept from the earlier transcript", page)
    assert ": Karen Smith</li>" in page

    discard = client.post(f"/api/webinars/{slug}/reprocess", json={"keep_corrections": False})
    job = wait_for(client, discard.json()["job"]["id"], finished)
    assert job["state"] == "succeeded", job
    assert job["kept_corrections"] == []
    assert job["kept_voices"] == []
    after = client.get(f"/api/webinars/{slug}/segments").json()
    assert corrected not in [s["text"] for s in after]
    assert "Karen Smith" not in [s["speaker"] for s in after]
    assert client.get("/api/search", params={"q": "zorblax"}).json()["hits"] == []
