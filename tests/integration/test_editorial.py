"""Key messages, summary and the machine draft (server/editing/editorial.py) with real
Meilisearch and a real SQLite catalogue: staff write them (API and page), each change in the
history and revertible, searchable at once (a query matching only a key message finds the
webinar), hostile Markdown shown as text, the draft shown to staff only, 401/403."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import User
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import Settings
from tests.factories import make_manifest, make_transcript
from tests.site_data import add_account, add_token, settings_for, store_and_index

pytestmark = pytest.mark.meili

STAFF, STAFF_PASSWORD = "writer@example.org", "writer password, long enough"
READER = "reader@example.org"
HTML = {"accept": "text/html,application/xhtml+xml"}


@dataclass
class Env:
    client: TestClient[Litestar]
    settings: Settings
    bearer: dict[str, str]
    reader: dict[str, str]
    meili: MeiliConnection
    index: str

    def webinar(self) -> str:
        name = uuid.uuid4().hex[:8]
        return store_and_index(
            self.settings,
            make_transcript(),
            make_manifest(f"Circular {name}"),
            f"{name}.opus",
            connection=self.meili,
            index_uid=self.index,
            media_bytes=name.encode(),
            slug=f"k-{name}",
        )

    def groups(self, q: str) -> list[str]:
        response = self.client.get("/api/search", params={"q": q, "group": "webinar"})
        assert response.status_code == 200, response.text
        return [g["webinar"]["slug"] for g in response.json().get("groups", [])]

    def history(self, slug: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/webinars/{slug}/history", headers=self.bearer)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection) -> Iterator[Env]:
    from server.accounts import users
    from tests.meili_server import delete_index

    index = f"edit_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path_factory.mktemp("editorial"), development=True)
    add_account(settings, STAFF, STAFF_PASSWORD)
    engine = create_db_engine(settings.storage.database_url)
    with Session(engine) as session, session.begin():
        session.add(User(email=READER, password_hash="x", role="reader"))
    with Session(engine) as session, session.begin():
        reader_token = users.issue_token(session, users.get_user(session, READER))
    engine.dispose()
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index)]
    )
    try:
        with TestClient(app=app) as client:
            yield Env(
                client,
                settings,
                {"authorization": f"Bearer {add_token(settings, STAFF)}"},
                {"authorization": f"Bearer {reader_token}"},
                meili_server,
                index,
            )
    finally:
        delete_index(meili_server, index)


def test_key_messages_are_written_searchable_at_once_in_the_history_and_revertible(env: Env) -> None:
    slug = env.webinar()
    assert slug not in env.groups("quokkaburrow")
    written = env.client.put(
        f"/api/webinars/{slug}/summary",
        json={"key_messages": ["- Reuse saves *money*", "  ", "The quokkaburrow scheme works"]},
        headers=env.bearer,
    )
    assert written.status_code == 200, written.text
    assert written.json()["key_messages"] == ["Reuse saves *money*", "The quokkaburrow scheme works"]
    assert env.groups("quokkaburrow") == [slug]  # only a key message holds the word

    patched = env.client.patch(
        f"/api/webinars/{slug}", json={"summary": "A **zebrafinch** summary."}, headers=env.bearer
    )
    assert patched.status_code == 200, patched.text
    assert env.groups("zebrafinch") == [slug]

    entries = env.history(slug)
    assert [e["field"] for e in entries[:2]] == ["summary", "key_messages"]
    assert entries[1]["before"] == []
    reverted = env.client.post(f"/api/history/{entries[1]['id']}/revert", headers=env.bearer)
    assert reverted.status_code == 200, reverted.text
    assert env.client.get(f"/api/webinars/{slug}/editorial", headers=env.bearer).json()["key_messages"] == []
    assert env.groups("quokkaburrow") == []

    page = env.client.get(f"/webinars/{slug}", headers=HTML)
    assert "<strong>zebrafinch</strong>" in page.text
    results = env.client.get("/search", params={"q": "zebrafinch"}, headers=HTML)
    assert results.status_code == 200
    assert "about this: its summary match" in results.text.lower()


def test_hostile_markdown_is_shown_as_text_on_the_replay_page_and_in_results(env: Env) -> None:
    slug = env.webinar()
    hostile = [
        '<script>alert("x")</script> pangolinprize',
        "[click](javascript:alert(1)) and <img src=x onerror=alert(1)>",
        '<a href="https://e.org" onclick="alert(1)">x</a> [safe](https://example.org/report)',
    ]
    summary = "Intro <iframe src=//evil></iframe>\n\n[x](JAVASCRIPT:alert(2)) <b onmouseover=alert(3)>b</b>"
    response = env.client.put(
        f"/api/webinars/{slug}/summary",
        json={"key_messages": hostile, "summary": summary},
        headers=env.bearer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["key_messages"] == hostile  # stored as typed
    for page in (
        env.client.get(f"/webinars/{slug}", headers=HTML).text,
        env.client.get("/search", params={"q": "pangolinprize"}, headers=HTML).text,
    ):
        assert "pangolinprize" in page
        lowered = page.lower()
        for raw in ("<script>alert", "<img src=x", "<iframe", "<b onmouseover"):
            assert raw not in lowered, raw
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", lowered)  # no tag carries an event attribute
        assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", lowered)
        assert "&lt;script&gt;" in page
    replay = env.client.get(f"/webinars/{slug}", headers=HTML).text
    assert '<a href="https://example.org/report" rel="nofollow noopener noreferrer">safe</a>' in replay


def test_the_draft_is_for_staff_only_until_accepted(env: Env) -> None:
    slug = env.webinar()
    made = env.client.post(f"/api/webinars/{slug}/draft", headers=env.bearer)
    assert made.status_code == 200, made.text
    draft = made.json()["draft"]
    assert draft["key_messages"]
    assert draft["topics"]
    assert made.json()["key_messages"] == []  # the draft is not staff's text
    sentence = draft["key_messages"][0]

    public = env.client.get(f"/webinars/{slug}", headers=HTML).text
    assert sentence[:40] not in public.split('id="transcript"')[0]  # not above the transcript
    assert "not reviewed" not in public
    assert "editorial_draft" not in env.client.get(f"/api/webinars/{slug}").text
    assert "draft" not in env.client.get(f"/api/webinars/{slug}").json()

    page_url = f"/staff/webinars/{slug}/about"
    staff_page = env.client.get(page_url, headers={**HTML, **env.bearer})
    assert staff_page.status_code == 200
    assert "Draft — not reviewed" in staff_page.text
    edit = env.client.get(page_url, params={"edit_draft": "true"}, headers={**HTML, **env.bearer})
    assert "The form holds the machine draft" in edit.text

    accepted = env.client.post(
        page_url, data={"action": "accept"}, headers={**HTML, **env.bearer}, follow_redirects=False
    )
    assert accepted.status_code == 303
    editorial = env.client.get(f"/api/webinars/{slug}/editorial", headers=env.bearer).json()
    assert editorial["key_messages"] == draft["key_messages"]
    assert editorial["draft"]["accepted_by"] == STAFF
    assert "key_messages" in [e["field"] for e in env.history(slug)]
    assert "Draft — accepted by" in env.client.get(page_url, headers={**HTML, **env.bearer}).text
    assert "Key messages" in env.client.get(f"/webinars/{slug}", headers=HTML).text

    saved = env.client.post(
        page_url,
        data={"action": "save", "key_messages": "One\n\n- Two", "summary": "Short."},
        headers={**HTML, **env.bearer},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert env.client.get(f"/api/webinars/{slug}/editorial", headers=env.bearer).json()["key_messages"] == [
        "One",
        "Two",
    ]


def test_the_draft_is_flagged_stale_after_a_correction_of_the_words_and_regenerated(env: Env) -> None:
    slug = env.webinar()
    assert env.client.post(f"/api/webinars/{slug}/draft", headers=env.bearer).status_code == 200
    editorial = f"/api/webinars/{slug}/editorial"
    page_url = f"/staff/webinars/{slug}/about"
    assert env.client.get(editorial, headers=env.bearer).json()["draft_stale"] is False
    segments = env.client.get(f"/api/webinars/{slug}/segments", headers=env.bearer).json()
    segment = f"/api/webinars/{slug}/segments/{segments[1]['id']}"

    # A kind or a pairing leaves the words, and the draft, as they were.
    assert env.client.patch(segment, json={"kind": "panel"}, headers=env.bearer).status_code == 200
    assert env.client.get(editorial, headers=env.bearer).json()["draft_stale"] is False
    assert "Stale draft" not in env.client.get(page_url, headers={**HTML, **env.bearer}).text

    fixed = {"text": "Small municipalities can buy Zorblax furniture and save money."}
    assert env.client.patch(segment, json=fixed, headers=env.bearer).status_code == 200
    assert env.client.get(editorial, headers=env.bearer).json()["draft_stale"] is True
    page = env.client.get(page_url, headers={**HTML, **env.bearer}).text
    assert "Stale draft" in page
    assert 'value="generate">Regenerate the draft</button>' in page

    again = env.client.post(
        page_url, data={"action": "generate"}, headers={**HTML, **env.bearer}, follow_redirects=False
    )
    assert again.status_code == 303
    assert env.client.get(editorial, headers=env.bearer).json()["draft_stale"] is False
    assert "Stale draft" not in env.client.get(page_url, headers={**HTML, **env.bearer}).text

    # A revert changes the words back: the new draft is stale in its turn.
    newest = env.history(slug)[0]
    assert env.client.post(f"/api/history/{newest['id']}/revert", headers=env.bearer).status_code == 200
    assert env.client.get(editorial, headers=env.bearer).json()["draft_stale"] is True


def test_anonymous_401_and_wrong_role_403(env: Env) -> None:
    slug = env.webinar()
    calls = [
        ("GET", f"/api/webinars/{slug}/editorial", None),
        ("PUT", f"/api/webinars/{slug}/summary", {"summary": "x"}),
        ("POST", f"/api/webinars/{slug}/draft", None),
        ("POST", f"/api/webinars/{slug}/draft/accept", None),
        ("PATCH", f"/api/webinars/{slug}", {"key_messages": ["x"]}),
    ]
    for method, path, body in calls:
        assert env.client.request(method, path, json=body).status_code == 401, (method, path)
        assert env.client.request(method, path, json=body, headers=env.reader).status_code == 403, path
    page_url = f"/staff/webinars/{slug}/about"
    assert env.client.get(page_url, headers=HTML).status_code == 401
    assert env.client.get(page_url, headers={**HTML, **env.reader}).status_code == 403
    # A form post without a session has no CSRF token either: refused before the guard (403).
    assert env.client.post(page_url, data={"action": "generate"}).status_code in (401, 403)
    assert env.client.get(f"/api/webinars/{slug}/editorial", headers=env.bearer).json()["draft"] is None
    too_many = env.client.put(
        f"/api/webinars/{slug}/summary", json={"key_messages": ["x"] * 21}, headers=env.bearer
    )
    assert too_many.status_code == 400


def test_a_signed_in_browser_writes_with_its_csrf_header(env: Env) -> None:
    slug = env.webinar()
    browser = env.client
    try:
        form = browser.get("/staff/sign-in", headers=HTML).text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
        assert token
        signed = browser.post(
            "/staff/sign-in",
            data={
                "email": STAFF,
                "password": STAFF_PASSWORD,
                "_csrf_token": token.group(1),
                "next": "/staff",
            },
            headers=HTML,
            follow_redirects=False,
        )
        assert signed.status_code == 303
        url = f"/api/webinars/{slug}/summary"
        assert browser.put(url, json={"summary": "No token."}).status_code == 403
        csrf = {"x-csrftoken": browser.cookies["csrftoken"]}
        ok = browser.put(url, json={"summary": "With the token."}, headers=csrf)
        assert ok.status_code == 200, ok.text
        assert browser.get(f"/api/webinars/{slug}/history").json()["items"][0]["who"] == STAFF
        replay = browser.get(f"/webinars/{slug}", headers=HTML).text
        assert f"/staff/webinars/{slug}/about" in replay  # the staff tools link to the page
    finally:
        browser.cookies.clear()
