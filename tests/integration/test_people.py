"""People and projects across webinars, through Litestar's TestClient on `create_app`: a voice
named as an existing person in a second webinar, a merge (the old page redirects), a project's
page with moments from two webinars (real Meilisearch), the staff API's refusals (401, 403, 400,
404, 409) and hostile text stored as text and shown escaped.

Two hand-built webinars (no speech model): "Shore power" lists Ana Ribeiro (project GreenPorts)
as voice S0; "Ports and procurement" has two unnamed voices. Both mention GreenPorts.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from ingest.document import Segment, Speaker, Transcript, Word
from ingest.metadata import Manifest, Person, ResourceLink
from server.app import create_app
from server.catalog.db import create_db_engine
from server.catalog.models import EditHistory, PersonAlias, User, utcnow
from server.catalog.models import Person as PersonRow
from server.catalog.models import Segment as SegmentRow
from server.catalog.models import Webinar as WebinarRow
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import Settings
from tests.site_data import add_account, add_token, settings_for, store_and_index

HTML = {"accept": "text/html,application/xhtml+xml"}
STAFF, PASSWORD = "staff@example.org", "staff password, long enough"
GUEST = "guest@example.org"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _words(start: float, end: float, text: str) -> list[Word]:
    tokens = text.split()
    step = (end - start) / len(tokens)
    return [Word(start + i * step, start + (i + 1) * step, f" {t}", 0.9) for i, t in enumerate(tokens)]


def _transcript(lines: list[tuple[str, str]], speakers: list[Speaker]) -> Transcript:
    segments = []
    for i, (label, text) in enumerate(lines):
        start = i * 6.0
        segments.append(
            Segment(
                i,
                start,
                start + 5.0,
                text,
                _words(start, start + 5.0, text),
                speaker=label,
                kind="presentation",
            )
        )
    return Transcript("en", len(lines) * 6.0, "hand-built", segments, speakers)


SHORE = _transcript(
    [
        ("S0", "GreenPorts brings shore power to ferries in Aveiro."),
        ("S1", "Thank you Ana, a question from the audience."),
        ("S0", "Our tariff model made the berths pay for themselves."),
    ],
    [Speaker("S0", "Ana Ribeiro", "speaker", "Port of Aveiro", "GreenPorts"), Speaker("S1")],
)
PORTS = _transcript(
    [
        ("A", "Welcome to ports and procurement, our guest built the berths."),
        ("B", "In GreenPorts we tendered the cables with the city."),
        ("C", "The tender scored repairability first."),
    ],
    [Speaker("A"), Speaker("B"), Speaker("C")],
)


class Site:
    def __init__(
        self, client: TestClient[Litestar], settings: Settings, shore: str, ports: str, token: str
    ) -> None:
        self.client = client
        self.settings = settings
        self.shore = shore
        self.ports = ports
        self.bearer = {"authorization": f"Bearer {token}"}

    def page(self, url: str) -> Any:
        return self.client.get(url, headers=HTML)

    def api(self, method: str, url: str, body: Any = None) -> Any:
        return self.client.request(method, url, json=body, headers=self.bearer)

    def person(self, name: str) -> dict[str, Any]:
        people = self.api("GET", "/api/people", None).json()["items"]
        found: dict[str, Any] = next(p for p in people if p["name"] == name)
        return found

    def session(self) -> Session:
        return Session(create_db_engine(self.settings.storage.database_url))


@pytest.fixture
def site(tmp_path: Path, meili_server: MeiliConnection) -> Iterator[Site]:
    from tests.meili_server import delete_index

    index = f"people_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path, development=True)
    common: dict[str, Any] = {"connection": meili_server, "index_uid": index}
    shore = store_and_index(
        settings,
        SHORE,
        Manifest(
            title="Shore power",
            date=dt.date(2024, 3, 1),
            speakers=[Person("Ana Ribeiro", "speaker", "Port of Aveiro", "GreenPorts")],
            resources=[ResourceLink("GreenPorts tariff study", "https://example.org/greenports")],
        ),
        "shore.opus",
        media_bytes=b"OggS shore",
        **common,
    )
    ports = store_and_index(
        settings,
        PORTS,
        Manifest(title="Ports and procurement", date=dt.date(2024, 9, 1)),
        "ports.opus",
        media_bytes=b"OggS ports",
        **common,
    )
    add_account(settings, STAFF, PASSWORD)
    token = add_token(settings, STAFF)
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index)]
    )
    try:
        with TestClient(app=app) as client:
            yield Site(client, settings, shore, ports, token)
    finally:
        delete_index(meili_server, index)


def sign_in(site: Site, email: str = STAFF) -> str:
    """Signs the client in with the session cookie; returns the CSRF token for API writes."""
    form = TOKEN_FIELD.search(site.page("/staff/sign-in").text)
    assert form
    data = {"email": email, "password": PASSWORD, "_csrf_token": form.group(1), "next": "/staff"}
    response = site.client.post("/staff/sign-in", data=data, headers=HTML, follow_redirects=False)
    assert response.status_code == 303, response.text
    return str(site.client.cookies["csrftoken"])


def test_a_voice_named_as_an_existing_person_joins_their_page(site: Site) -> None:
    ana = site.person("Ana Ribeiro")
    assert ana["slug"] == "ana-ribeiro"
    assert ana["project"]["slug"] == "greenports"
    assert ana["webinars"] == 1
    found = site.api("GET", "/api/people?q=RIBE%25").json()["items"]
    assert found == []  # % is a character here, not a wildcard
    assert [p["name"] for p in site.api("GET", "/api/people?q=RIBE").json()["items"]] == ["Ana Ribeiro"]

    response = site.api("PUT", f"/api/webinars/{site.ports}/voices/B", {"person_id": ana["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["person"]["webinars"] == 2

    page = site.page("/speakers/ana-ribeiro")
    assert page.status_code == 200
    html = page.text
    assert "Shore power" in html
    assert "Ports and procurement" in html
    assert "we tendered the cables" in html  # the second webinar's words, now hers
    assert "brings shore power to ferries" in html
    assert 'href="/projects/greenports"' in html
    replay = site.page(f"/webinars/{site.ports}").text
    assert 'href="/speakers/ana-ribeiro"' in replay
    # The transcript's search documents name her too (re-indexed at once).
    hits = site.client.get("/api/search", params={"q": "cables", "speaker": "Ana Ribeiro"}).json()
    assert [h["webinar"]["slug"] for h in hits["hits"]] == [site.ports]
    # Recorded, and its revert gives the voice back to no one.
    with site.session() as session:
        entry = session.exec(select(EditHistory).where(EditHistory.field == "voice.assign")).first()
        assert entry is not None
        assert entry.old_value == {"label": "B", "person_id": None, "name": None}
        assert entry.new_value == {"label": "B", "person_id": ana["id"], "name": "Ana Ribeiro"}
        assert entry.editor == STAFF
        entry_id = entry.id
    reverted = site.api("POST", f"/api/history/{entry_id}/revert")
    assert reverted.status_code == 200, reverted.text
    assert "we tendered the cables" not in site.page("/speakers/ana-ribeiro").text
    again_named = site.api("PUT", f"/api/webinars/{site.ports}/voices/B", {"person_id": ana["id"]})
    assert again_named.status_code == 200
    # A name (any spelling of a known one) picks the same person; an unknown voice is a 404.
    again = site.api("PUT", f"/api/webinars/{site.ports}/voices/C", {"name": "ana  RIBEIRO"})
    assert again.json()["person"]["id"] == ana["id"]
    missing = site.api("PUT", f"/api/webinars/{site.ports}/voices/Z", {"name": "Ana Ribeiro"})
    assert missing.status_code == 404


def test_merging_two_people_moves_everything_and_the_old_page_redirects(site: Site) -> None:
    csrf = sign_in(site)
    headers = {"x-csrftoken": csrf}
    created = site.client.post(
        "/api/people", json={"name": "Anna Ribiero", "role": "Engineer"}, headers=headers
    )
    assert created.status_code == 201, created.text
    anna = created.json()
    named = site.client.put(
        f"/api/webinars/{site.ports}/voices/B", json={"person_id": anna["id"]}, headers=headers
    )
    assert named.status_code == 200
    assert site.page("/speakers/anna-ribiero").status_code == 200

    ana = site.person("Ana Ribeiro")
    merged = site.client.post(f"/api/people/{anna['id']}/merge", json={"into": ana["id"]}, headers=headers)
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["id"] == ana["id"]
    assert body["webinars"] == 2
    assert body["role"] == "Engineer"  # her empty field took the merged record's value
    assert site.client.get(f"/api/people/{anna['id']}", headers=headers).status_code == 404

    old = site.page("/speakers/anna-ribiero")
    assert old.status_code == 200
    assert "Ports and procurement" in old.text
    redirect = site.client.get("/speakers/anna-ribiero", headers=HTML, follow_redirects=False)
    assert redirect.status_code == 301
    assert redirect.headers["location"] == "/speakers/ana-ribeiro"
    with site.session() as session:
        fields = {
            e.field for e in session.exec(select(EditHistory).where(EditHistory.table_name == "person"))
        }
        assert {"created", "merged", "merged_into"} <= fields
        assert session.get(PersonAlias, "anna-ribiero") is not None
    # A later ingest spelling her the old way joins her record (the alias), not a new one.
    store_and_index(
        site.settings,
        _transcript([("X", "Hello again.")], [Speaker("X", "Anna Ribiero")]),
        Manifest(title="Third", speakers=[Person("Anna Ribiero")]),
        "third.opus",
        connection=None,
        index_uid="unused",
        media_bytes=b"OggS third",
    )
    with site.session() as session:
        names = session.exec(select(PersonRow.name).order_by(col(PersonRow.name))).all()
        assert "Anna Ribiero" not in names
    # Merging into oneself, or into no one, is refused with the reason.
    self_merge = site.client.post(f"/api/people/{ana['id']}/merge", json={"into": ana["id"]}, headers=headers)
    assert self_merge.status_code == 400
    assert "themselves" in self_merge.json()["detail"]
    no_target = site.client.post(f"/api/people/{ana['id']}/merge", json={}, headers=headers)
    assert no_target.status_code == 400
    assert "into" in no_target.json()["detail"]


def test_a_project_page_lists_its_webinars_and_moments_from_two(site: Site) -> None:
    page = site.page("/projects/greenports")
    assert page.status_code == 200
    html = page.text
    presented = html.split('id="project-moments"')[0]
    assert "Shore power" in presented  # Ana presents it there, and its study is a resource
    assert 'href="/speakers/ana-ribeiro"' in presented
    assert "GreenPorts tariff study" in presented
    moments = html.split('id="project-moments"')[1]
    assert f'href="/webinars/{site.shore}?t=' in moments
    assert f'href="/webinars/{site.ports}?t=' in moments  # mentioned there by an unnamed voice
    replay = site.page(f"/webinars/{site.shore}").text
    assert replay.count('href="/projects/greenports"') == 2  # her project and the resource's
    assert site.page("/projects/no-such-project").status_code == 404

    # Staff describe it; a rename keeps the slug and reaches the people's project name.
    project = site.api("GET", "/api/projects").json()["items"][0]
    changed = site.api(
        "PATCH",
        f"/api/projects/{project['id']}",
        {"name": "Green Ports", "url": "https://greenports.example"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["slug"] == "greenports"
    assert site.person("Ana Ribeiro")["project"]["name"] == "Green Ports"
    assert 'href="https://greenports.example"' in site.page("/projects/greenports").text
    # A project made by hand links a person.
    made = site.api("POST", "/api/projects", {"name": "ReCircle", "description": "Reuse in towns."})
    assert made.status_code == 201
    ana = site.person("Ana Ribeiro")
    moved = site.api("PATCH", f"/api/people/{ana['id']}", {"project_id": made.json()["id"]})
    assert moved.json()["project"]["slug"] == "recircle"


def test_staff_api_refuses_with_401_403_400_404_409(site: Site) -> None:
    anonymous = [
        ("GET", "/api/people"),
        ("POST", "/api/people"),
        ("PATCH", "/api/people/1"),
        ("POST", "/api/people/1/merge"),
        ("GET", "/api/projects"),
        ("POST", "/api/projects"),
        ("PATCH", "/api/projects/1"),
        ("PUT", f"/api/webinars/{site.shore}/voices/S1"),
    ]
    for method, url in anonymous:
        response = site.client.request(method, url, json={"name": "X"})
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.headers["www-authenticate"].startswith("Bearer")
    # A session cookie without the CSRF token, and an account without a staff role: 403.
    sign_in(site)
    assert site.client.post("/api/people", json={"name": "No Token"}).status_code == 403
    add_account(site.settings, GUEST, PASSWORD)
    with site.session() as session, session.begin():
        session.execute(update(User).where(col(User.email) == GUEST).values(role="guest"))
    site.client.cookies.clear()
    guest_csrf = sign_in_guest(site)
    refused = site.client.get("/api/people", headers={"x-csrftoken": guest_csrf})
    assert refused.status_code == 403
    # Bearer: the reasons.
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/api/people", {"name": "  "}, 400, "name: must not be empty"),
        ("POST", "/api/people", {}, 400, "name: required"),
        ("POST", "/api/people", ["Ana"], 400, "JSON object"),
        (
            "POST",
            "/api/people",
            {"name": "Z", "links": ["javascript:alert(1)"]},
            400,
            "links[0]: expected an http",
        ),
        ("POST", "/api/people", {"name": "Z", "photo_url": "ftp://x/y.jpg"}, 400, "photo_url"),
        ("POST", "/api/people", {"name": "Z", "age": 3}, 400, "age: not a field"),
        ("POST", "/api/people", {"name": "Z", "project_id": 999}, 404, "no project"),
        ("POST", "/api/people", {"name": "ana ribeiro"}, 409, "already person"),
        ("PATCH", "/api/people/999", {"name": "Y"}, 404, "no person"),
        ("POST", "/api/people/999/merge", {"into": 1}, 404, "no person"),
        ("POST", "/api/projects", {"name": "greenports"}, 409, "already project"),
        ("POST", "/api/projects", {"name": "P", "url": "data:text/html,x"}, 400, "url: expected an http"),
        ("PATCH", "/api/projects/999", {"name": "P"}, 404, "no project"),
        ("PUT", f"/api/webinars/{site.shore}/voices/S1", {}, 400, "person_id or name"),
        ("PUT", "/api/webinars/nope/voices/S1", {"name": "X"}, 404, "no webinar"),
    ]
    for method, url, body, status, reason in cases:
        response = site.api(method, url, body)
        assert response.status_code == status, (method, url, body, response.text)
        assert reason in response.json()["detail"], (reason, response.json())


def sign_in_guest(site: Site) -> str:
    return sign_in(site, GUEST)


def test_hostile_text_is_stored_as_text_and_shown_escaped(site: Site) -> None:
    project = site.api(
        "POST",
        "/api/projects",
        {"name": f"Proj {HOSTILE}", "description": HOSTILE, "url": "https://e.example/?a=<b>"},
    )
    assert project.status_code == 201, project.text
    assert project.json()["name"] == f"Proj {HOSTILE}"
    person = site.api(
        "POST",
        "/api/people",
        {
            "name": f"Eve {HOSTILE}",
            "affiliation": HOSTILE,
            "role": HOSTILE,
            "links": ['https://e.example/"onmouseover="alert(1)'],
            "project_id": project.json()["id"],
        },
    )
    assert person.status_code == 201, person.text
    eve = person.json()
    assert eve["name"] == f"Eve {HOSTILE}"
    assert eve["affiliation"] == HOSTILE
    assert (
        site.api("PUT", f"/api/webinars/{site.ports}/voices/A", {"person_id": eve["id"]}).status_code == 200
    )
    pages = {
        "speaker": site.page(eve["page"]),
        "project": site.page(project.json()["page"]),
        "replay": site.page(f"/webinars/{site.ports}"),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        html = page.text
        assert "<script>alert(" not in html, name
        assert "<img src=x" not in html, name
        assert '"onmouseover="' not in html, name
        assert "&lt;script&gt;alert(" in html, name


def test_a_speaker_page_lists_segments_given_to_them_outside_the_speaker_list(site: Site) -> None:
    """A correction may give one segment to a person the webinar does not list (the segment
    editor): their page still gathers it."""
    lena = site.api("POST", "/api/people", {"name": "Lena Berg"}).json()
    with site.session() as session, session.begin():
        session.execute(
            update(SegmentRow)
            .where(col(SegmentRow.text).contains("repairability"))
            .values(person_id=lena["id"])
        )
        session.execute(update(WebinarRow).values(updated_at=utcnow()))
    page = site.page("/speakers/lena-berg")
    assert page.status_code == 200
    assert "The tender scored repairability first." in page.text
    assert "Ports and procurement" in page.text


def test_staff_pages_edit_and_merge_people_without_javascript(site: Site) -> None:
    assert site.page("/staff/people").status_code == 401  # the sign-in form
    csrf = sign_in(site)
    listing = site.page("/staff/people")
    assert listing.status_code == 200
    assert "Ana Ribeiro" in listing.text
    assert 'href="/staff/people"' in site.page("/staff").text  # linked from the staff home

    def post(target: str, **fields: str) -> Any:
        return site.client.post(
            target, data={"_csrf_token": csrf, **fields}, headers=HTML, follow_redirects=False
        )

    refused = post("/staff/people", name="  ")
    assert refused.status_code == 400
    assert "name: must not be empty" in refused.text
    made = post("/staff/people", name=f"Eve {HOSTILE}", affiliation="Somewhere")
    assert made.status_code == 303
    page = made.headers["location"]
    bad_link = post(page, name=f"Eve {HOSTILE}", links="https://ok.example\njavascript:alert(1)")
    assert bad_link.status_code == 400
    assert "links[1]: expected an http" in bad_link.text
    saved = post(page, name="Eve Hax", role=HOSTILE, links="https://eve.example", project_id="")
    assert saved.status_code == 303
    shown = site.page(page).text
    assert "<script>alert(" not in shown
    assert "&lt;script&gt;" in shown
    assert "https://eve.example" in shown

    ana = site.person("Ana Ribeiro")
    merged = post(page + "/merge", into=str(ana["id"]))
    assert merged.status_code == 303
    assert merged.headers["location"] == f"/staff/people/{ana['id']}?merged=1"
    assert site.person("Ana Ribeiro")["links"] == ["https://eve.example"]
    assert site.client.get("/speakers/eve-hax", headers=HTML, follow_redirects=False).status_code == 301

    project = site.api("GET", "/api/projects").json()["items"][0]
    edited = post(f"/staff/projects/{project['id']}", name="GreenPorts", description=HOSTILE, url="")
    assert edited.status_code == 303
    public = site.page("/projects/greenports").text
    assert "<script>alert(" not in public
    assert "&lt;script&gt;" in public


def test_a_project_named_only_in_an_agenda_line_is_linked_and_pages_are_in_the_sitemap(site: Site) -> None:
    from xml.etree import ElementTree as ET

    from server.catalog.models import Chapter

    with site.session() as session, session.begin():
        ports = session.exec(select(WebinarRow).where(WebinarRow.slug == site.ports)).one()
        for position, title in enumerate(["Results of the GREENPORTS tender", "Ports of the north"]):
            session.add(
                Chapter(webinar_id=ports.id or 0, position=position, start=position * 9.0,
                        end=position * 9.0 + 9.0, title=title, kind="presentation")
            )  # fmt: skip
    made = site.api("POST", "/api/projects", {"name": "ReCircle"})  # in no webinar yet
    assert made.status_code == 201

    replay = site.page(f"/webinars/{site.ports}").text
    chapters = replay.split('id="chapters"')[1].split("</ol>")[0]
    assert chapters.count('href="/projects/greenports"') == 1  # the first line only, not "Ports"
    presented = site.page("/projects/greenports").text.split('id="project-moments"')[0]
    assert "Ports and procurement" in presented  # presented there, by nobody of the project
    assert f'agenda: <a class="timestamp" href="/webinars/{site.ports}?t=0"' in presented
    assert "Results of the GREENPORTS tender" in presented

    sitemap = site.client.get("/sitemap.xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = {loc.text for loc in ET.fromstring(sitemap.content).findall("s:url/s:loc", ns)}
    base = "http://testserver.local"
    assert {f"{base}/speakers/ana-ribeiro", f"{base}/projects/greenports"} <= urls
    assert f"{base}/projects/recircle" not in urls  # its page lists no webinar
    with site.session() as session, session.begin():  # a withdrawn webinar takes its people away
        session.execute(update(WebinarRow).where(col(WebinarRow.slug) == site.shore).values(published=False))
    urls = {
        loc.text for loc in ET.fromstring(site.client.get("/sitemap.xml").content).findall("s:url/s:loc", ns)
    }
    assert f"{base}/speakers/ana-ribeiro" not in urls
    assert f"{base}/projects/greenports" in urls  # still named in the agenda of a published one


def test_staff_upload_a_photo_shown_from_the_site_itself_and_refused_when_not_an_image(site: Site) -> None:
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (900, 900), (20, 120, 60)).save(png, format="PNG")
    ana = site.person("Ana Ribeiro")
    target = f"/staff/people/{ana['id']}/photo"
    anonymous = site.client.post(target, files={"photo": ("a.png", png.getvalue(), "image/png")})
    assert anonymous.status_code == 403  # no session, so no CSRF token: refused before anything else
    csrf = sign_in(site)

    def upload(name: str, data: bytes, kind: str, to: str = target) -> Any:
        return site.client.post(
            to,
            data={"_csrf_token": csrf},
            files={"photo": (name, data, kind)},
            headers=HTML,
            follow_redirects=False,
        )

    refused = upload("photo.jpg", b"<svg onload=alert(1)>", "image/jpeg")  # the name and type lie
    assert refused.status_code == 303
    assert "photo_error=photo%3A+not+a+JPEG" in refused.headers["location"]
    assert "not a JPEG, PNG or WebP image" in site.page(refused.headers["location"]).text
    assert site.person("Ana Ribeiro")["photo_url"] is None  # nothing changed

    done = upload("portrait.png", png.getvalue(), "image/png")
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/people/{ana['id']}?saved=1"
    photo_url = site.person("Ana Ribeiro")["photo_url"]
    assert re.fullmatch(r"/photos/ana-ribeiro-[0-9a-f]{16}\.jpg", photo_url)
    speaker = site.page("/speakers/ana-ribeiro").text
    assert f'<img class="person-photo" src="{photo_url}" alt="Photo of Ana Ribeiro" width="150">' in speaker
    served = site.client.get(photo_url)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.content[:3] == b"\xff\xd8\xff"
    assert "img-src 'self'" in served.headers["content-security-policy"]
    assert site.client.get("/photos/..%2Farchive.db").status_code == 404
    assert site.client.get("/photos/ana-ribeiro-0123456789abcdef.jpg").status_code == 404
    # A hostile name reaches the alt text escaped; a photo is removed (a new person: in no webinar,
    # so nothing to re-index).
    eve = site.api("POST", "/api/people", {"name": f"Eve {HOSTILE}"}).json()
    assert (
        upload("eve.png", png.getvalue(), "image/png", f"/staff/people/{eve['id']}/photo").status_code == 303
    )
    shown = site.page(f"/staff/people/{eve['id']}").text
    assert (
        'alt="Photo of Eve &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"'
        in shown
    )
    removed = site.client.post(
        f"/staff/people/{eve['id']}/photo",
        data={"_csrf_token": csrf, "action": "remove"},
        headers=HTML,
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert site.api("GET", f"/api/people/{eve['id']}").json()["photo_url"] is None
    assert "person-photo" not in site.page(f"/staff/people/{eve['id']}").text
