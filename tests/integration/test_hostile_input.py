"""A corpus of hostile text and files against the real app (SQLite catalogue, the session's
Meilisearch, uploads through the API): each gets a clear 4xx or is stored and shown escaped;
nothing executes; nothing escapes the media folder.

Text: markup and event attributes in every metadata field of a webinar (title, description,
speakers' names, roles, affiliations and projects, topics, resources, chapters, what was said),
checked on every public page that shows it, with an HTML parser: no script element, no event
attribute, no `javascript:` link, and each field's text visible as text. Meilisearch's filter
syntax in every filter parameter of /api/search and /search. Files: truncated media, a gzip bomb
named .mp4, a FLAC header claiming days, a hundred audio tracks, a megabyte of metadata tags,
file names with `../` and control characters (the upload form and tus), request headers near the
size limit and forged cookies.

Staff edits, glossary terms and key messages with markup are covered where those features are
tested (test_corrections, test_glossary_api, test_editorial, test_people); the browser check of
this corpus is tests/browser/test_hostile_browser.py.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import re
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from ingest.document import Chapter, Resource, Segment, Speaker, Transcript
from ingest.metadata import Manifest, Person, ResourceLink
from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.serving import uvicorn_options
from server.settings import Settings
from tests.browser.serving import serve_app
from tests.jobs_harness import RECORDING, JobEnv, make_env, upload
from tests.media_factory import write_tone
from tests.site_data import add_account, add_token, store_and_index

HTML = {"Accept": "text/html"}
STAFF = "corpus@example.org"


def hostile(field: str) -> str:
    """Markup that would run if shown raw, marked with the field it was put in."""
    return f'<script>alert("{field}")</script><img src=x onerror=alert("{field}")> {field}-marker'


FIELDS = [
    "title",
    "description",
    "speaker",
    "role",
    "affiliation",
    "project",
    "topic",
    "resource",
    "chapter",
    "segment",
]


def hostile_webinar() -> tuple[Manifest, Transcript]:
    manifest = Manifest(
        title=hostile("title"),
        description=hostile("description"),
        language="en",
        topics=[hostile("topic")],
        speakers=[Person(hostile("speaker"), hostile("role"), hostile("affiliation"), hostile("project"))],
        resources=[ResourceLink(hostile("resource"), "https://example.org/guide?a=1&b=<2>")],
    )
    segments = [
        Segment(0, 0.0, 5.0, "Welcome to the shore power session.", speaker="S0", kind="intro", chapter=0),
        Segment(1, 5.5, 12.0, hostile("segment"), speaker="S0", kind="presentation", chapter=0),
    ]
    transcript = Transcript(
        "en",
        14.0,
        "hand-built",
        segments,
        [Speaker("S0", hostile("speaker"), hostile("role"), hostile("affiliation"), hostile("project"))],
        [Chapter(0.0, 14.0, hostile("chapter"), "presentation", [hostile("speaker")])],
        [Resource(hostile("resource"), "https://example.org/guide?a=1&b=<2>", 5.5)],
    )
    return manifest, transcript


class Markup(HTMLParser):
    """What a browser would run: script elements' text, event attributes, script URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.events: list[str] = []
        self.script_urls: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.events.append(f"<{tag} {name}={value}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                self.script_urls.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)


def assert_nothing_runs(html: str) -> str:
    """Parse the page; fail on anything executable; return its visible text."""
    markup = Markup()
    markup.feed(html)
    # Only JSON-LD (data, never run) may be inside a script element, and it names no alert.
    assert not [s for s in markup.scripts if "alert(" in s and '"@context"' not in s], markup.scripts
    assert not markup.events, markup.events
    assert not markup.script_urls, markup.script_urls
    return "".join(markup.text)


@dataclass
class Site:
    client: TestClient[Litestar]
    slug: str
    env: JobEnv
    bearer: dict[str, str]
    settings: Settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("corpus")
    env = make_env(root, meili_server, f"corpus_{uuid.uuid4().hex[:10]}")
    settings = env.settings
    manifest, transcript = hostile_webinar()
    slug = store_and_index(
        settings,
        transcript,
        manifest,
        "hostile.opus",
        connection=meili_server,
        index_uid=settings.search.index_uid,
    )
    add_account(settings, STAFF, "a long enough password", "staff")
    bearer = {"Authorization": f"Bearer {add_token(settings, STAFF)}"}
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=meili_server, index_uid=settings.search.index_uid)],
    )
    with TestClient(app) as client:
        yield Site(client, slug, env, bearer, settings)
    from tests.meili_server import delete_index

    delete_index(meili_server, settings.search.index_uid)


# --- markup in every metadata field ----------------------------------------------------------------

# Which fields each public page shows (all of them on the replay page).
PAGES: dict[str, tuple[str, list[str]]] = {
    "replay": ("/webinars/{slug}", FIELDS),
    "embed": ("/webinars/{slug}/embed", ["title"]),
    "home": ("/", ["title"]),
    "list": ("/webinars", ["title"]),
    "search": ("/search?q=shore+power", ["title", "speaker", "topic"]),
    "search for the markup": ("/search?q=" + "%3Cscript%3Ealert%28", []),
    "speaker": ("/speakers/{speaker}", ["speaker", "title"]),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_markup_in_every_field_is_shown_as_text_and_never_runs(site: Site, name: str) -> None:
    path, fields = PAGES[name]
    detail = site.client.get(f"/api/webinars/{site.slug}").json()
    speaker_slug = detail["speakers"][0]["slug"]
    response = site.client.get(path.format(slug=site.slug, speaker=speaker_slug), headers=HTML)
    assert response.status_code == 200, response.text
    text = assert_nothing_runs(response.text)
    for field in fields:
        assert hostile(field) in text, f"{field} not shown as text on the {name} page"


@pytest.mark.parametrize(
    "path", ["/feed.xml", "/webinars/{slug}/captions.vtt", "/webinars/{slug}/transcript.txt"]
)
def test_markup_in_feeds_and_files_stays_text(site: Site, path: str) -> None:
    body = site.client.get(path.format(slug=site.slug)).text
    assert '<script>alert("title")' not in body or path.endswith(".txt")  # plain text is not markup
    if path.endswith(".vtt"):
        assert "&lt;script&gt;" in body
    if path == "/feed.xml":
        assert "&lt;script&gt;alert(" in body


def test_the_api_returns_the_text_as_stored(site: Site) -> None:
    """JSON is data: the fields come back exactly as written, for clients to escape."""
    detail = site.client.get(f"/api/webinars/{site.slug}").json()
    assert detail["title"] == hostile("title")
    assert detail["description"] == hostile("description")
    assert detail["topics"] == [hostile("topic")]
    assert detail["speakers"][0]["name"] == hostile("speaker")
    assert detail["chapters"][0]["title"] == hostile("chapter")


def test_a_manifest_resource_that_is_not_a_web_address_is_refused(site: Site) -> None:
    manifest = "title: Links\nresources:\n  - title: Guide\n    url: javascript:alert(1)\n"
    refused = upload(site.client, manifest=manifest, headers=site.bearer)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "manifest"
    assert "http" in refused.json()["detail"]


def test_a_manifest_naming_a_media_path_is_refused(site: Site) -> None:
    """The manifest describes the recording; it never points at a file (an unknown field)."""
    refused = upload(site.client, manifest="title: Paths\nmedia: ../../etc/passwd\n", headers=site.bearer)
    assert refused.status_code == 400, refused.text
    assert refused.json()["field"] == "manifest"
    assert "media" in refused.json()["detail"]


def test_markup_in_an_agenda_comes_back_as_text_in_the_upload_form(site: Site) -> None:
    """A refused upload page shows what staff typed again, for correcting: escaped."""
    agenda = '<script>alert("agenda")</script>\n00:75:00 <img src=x onerror=alert("agenda")>'
    files = {"recording": ("slides.mp3", b"%PDF-1.4 slides" * 100, "audio/mpeg")}
    form = {"title": '<script>alert("form")</script>', "agenda": agenda}
    refused = site.client.post("/staff/upload", data=form, files=files, headers={**site.bearer, **HTML})
    assert refused.status_code == 400, refused.text[:300]
    text = assert_nothing_runs(refused.text)
    assert agenda.replace("\n", "\r\n") in text or agenda in text


BIG = 2**70  # past any integer column: SQLite cannot even bind it


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/people/{person}/merge", {"into": BIG}),
        ("PATCH", "/api/people/{person}", {"project_id": BIG}),
        ("PUT", "/api/webinars/{slug}/voices/S0", {"person_id": BIG}),
        ("PATCH", "/api/webinars/{slug}/segments/{segment}", {"answers": BIG}),
        ("POST", "/api/webinars/{slug}/segments/{segment}/split", {"word": BIG}),
        ("GET", "/api/webinars/{slug}/history?offset=" + str(BIG), None),
        ("GET", "/api/jobs/" + str(BIG), None),
        ("GET", "/staff/people/" + str(BIG), None),
    ],
)
def test_ids_past_any_integer_column_are_a_4xx(
    site: Site, method: str, path: str, body: dict[str, int] | None
) -> None:
    """Found by schemathesis and by hand: such an id reached SQLite's driver (a 500)."""
    person = site.client.post("/api/people", json={"name": f"P {uuid.uuid4().hex[:6]}"}, headers=site.bearer)
    segment = site.client.get(f"/api/webinars/{site.slug}/segments").json()[1]["id"]
    url = path.format(slug=site.slug, person=person.json()["id"], segment=segment)
    response = site.client.request(method, url, json=body, headers=site.bearer)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])


# The pages and forms are not in the OpenAPI document (schemathesis covers the API): every route
# gets each hostile value in every parameter a page or form reads, anonymous and as staff.
HOSTILE_VALUES = [
    "-1",
    "99999999999999999999",
    "nan",
    "\x00",
    "<script>",
    "../../etc/passwd",
    "x" * 1000,
    "1:99:99",
]
QUERY = ["t", "end", "q", "page", "year", "url", "maxwidth", "format", "limit", "offset", "state", "kind"]
QUERY += ["speaker", "topic", "webinar", "language", "voice", "mode", "next", "find", "term"]
FORM = ["title", "name", "text", "term", "start", "kind", "speaker", "answers", "word", "url", "description"]
FORM += ["key_messages", "summary", "into", "project_id", "links", "find", "replace", "agenda", "upload_id"]


def _routes(site: Site, method: str) -> list[str]:
    fills = {"slug": site.slug, "label": "S0", "segment_id": "2", "action": "disable", "path": "hostile.opus"}
    found = set()
    for route in site.client.app.routes:
        if isinstance(route, HTTPRoute) and method in route.methods and not route.path.startswith("/api"):
            found.add(re.sub(r"\{(\w+)(:\w+)?\}", lambda m: fills.get(m.group(1), "1"), route.path))
    return sorted(found)


@pytest.mark.parametrize("who", ["anonymous", "staff"])
def test_no_page_answers_hostile_query_values_with_a_5xx(site: Site, who: str) -> None:
    headers = {**HTML, **(site.bearer if who == "staff" else {})}
    pages = _routes(site, "GET")
    assert len(pages) > 30
    failures = []
    for path, value in itertools.product(pages, HOSTILE_VALUES):
        response = site.client.get(path, params=dict.fromkeys(QUERY, value), headers=headers)
        if response.status_code >= 500:
            failures.append(f"{path} {value[:20]!r}: {response.status_code}")
    assert failures == []


def test_no_staff_form_answers_hostile_fields_with_a_5xx(site: Site) -> None:
    forms = [path for path in _routes(site, "POST") if path != "/staff/sign-in"]
    assert len(forms) > 15
    failures = []
    for path, value in itertools.product(forms, HOSTILE_VALUES):
        response = site.client.post(path, data=dict.fromkeys(FORM, value), headers={**site.bearer, **HTML})
        if response.status_code >= 500:
            failures.append(f"{path} {value[:20]!r}: {response.status_code}")
    assert failures == []


# --- Meilisearch's filter syntax in every filter parameter ---------------------------------------------

INJECTIONS = ['x" OR topics EXISTS OR "', "language = en OR 1=1", 'x\\" OR webinar EXISTS OR \\"', "*"]
API_FILTERS = ["webinar", "speaker", "topic", "project", "kind", "language", "date_from", "date_to"]
PAGE_FILTERS = ["webinar", "speaker", "topic", "kind", "language", "year"]


@pytest.mark.parametrize("injection", INJECTIONS)
@pytest.mark.parametrize("param", API_FILTERS)
def test_filter_syntax_in_an_api_filter_matches_nothing_or_is_refused(
    site: Site, param: str, injection: str
) -> None:
    response = site.client.get("/api/search", params={"q": "shore power", param: injection})
    if param in ("kind", "language", "date_from", "date_to"):  # typed: refused with the reason
        assert response.status_code == 400, response.text
        assert param in response.json()["detail"]
    else:  # a literal value no webinar has
        assert response.status_code == 200, response.text
        assert response.json()["total"] == 0


@pytest.mark.parametrize("injection", INJECTIONS)
@pytest.mark.parametrize("param", PAGE_FILTERS)
def test_filter_syntax_in_a_search_page_filter_matches_nothing_or_is_refused(
    site: Site, param: str, injection: str
) -> None:
    response = site.client.get("/search", params={"q": "shore power", param: injection}, headers=HTML)
    text = assert_nothing_runs(response.text)
    if param in ("kind", "language", "year"):
        assert response.status_code == 400, response.text
        assert param in text
    else:
        assert response.status_code == 200, response.text
        assert hostile("segment") not in text  # the one matching moment is not shown
        assert "shore power session" not in text


# --- hostile files ------------------------------------------------------------------------------------


def truncated_m4a(folder: Path) -> bytes:
    """An MP4 cut in half: its index (at the end) never arrived."""
    whole = write_tone(folder / "whole.m4a", seconds=10.0).read_bytes()
    return whole[: len(whole) // 2]


def gzip_bomb() -> bytes:
    """64 MB of zeros squeezed into 64 KB, named as a video."""
    return gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def flac_claiming_days() -> bytes:
    """A FLAC stream header (STREAMINFO) announcing 2**36-1 samples at 8 kHz: 99 days, no audio."""
    info = struct.pack(">HH", 4096, 4096) + b"\0\0\0" + b"\0\0\0"
    rate, channels, bits, samples = 8000, 1, 16, 2**36 - 1
    packed = (rate << 44) | ((channels - 1) << 41) | ((bits - 1) << 36) | samples
    info += packed.to_bytes(8, "big") + b"\0" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def many_tracks(path: Path, tracks: int = 100) -> bytes:
    import av
    import numpy as np

    with av.open(str(path), "w", format="matroska") as container:
        streams = []
        for _ in range(tracks):
            stream = container.add_stream("pcm_s16le", rate=8000)
            stream.layout = "mono"
            streams.append(stream)
        for stream in streams:
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono"
            )
            frame.rate = 8000
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    return path.read_bytes()


def huge_tags(path: Path) -> bytes:
    import av

    tone = write_tone(path.with_name("tone.opus"), seconds=1.0)
    with av.open(str(tone)) as source, av.open(str(path), "w", format="ogg") as target:
        target.metadata["title"] = "<script>alert(1)</script>" * 40_000  # a megabyte of tag
        stream = target.add_stream_from_template(source.streams.audio[0])
        for packet in source.demux(source.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    return path.read_bytes()


def _media_files(env: JobEnv) -> set[str]:
    return {p.name for p in env.settings.storage.media_dir.iterdir()}


@pytest.mark.parametrize("case", ["truncated", "gzip bomb", "flac claiming days"])
def test_bad_media_is_refused_and_nothing_is_kept(site: Site, tmp_path: Path, case: str) -> None:
    media = {
        "truncated": lambda: truncated_m4a(tmp_path),
        "gzip bomb": gzip_bomb,
        "flac claiming days": flac_claiming_days,
    }[case]()
    name = {"truncated": "talk.m4a", "gzip bomb": "talk.mp4", "flac claiming days": "talk.flac"}[case]
    before = _media_files(site.env)
    response = upload(site.client, media=media, filename=name, manifest=f"title: {case}", headers=site.bearer)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "media"
    assert name in response.json()["detail"]
    assert _media_files(site.env) == before


@pytest.mark.parametrize("case", ["a hundred tracks", "a megabyte of tags"])
def test_odd_but_real_media_is_taken_in_or_refused_cleanly(site: Site, tmp_path: Path, case: str) -> None:
    media = (
        many_tracks(tmp_path / "tracks.mkv")
        if case == "a hundred tracks"
        else huge_tags(tmp_path / "tags.opus")
    )
    before = _media_files(site.env)
    response = upload(
        site.client, media=media, filename="odd.mkv", manifest=f"title: {case}", headers=site.bearer
    )
    assert response.status_code in (202, 400), response.text
    if response.status_code == 400:
        assert response.json()["field"] == "media"
        assert _media_files(site.env) == before
    else:
        kept = _media_files(site.env) - before
        assert len(kept) == 1
        assert kept.pop().endswith(".mkv")


NAMES = [
    "../../../etc/passwd.opus",
    "..\\..\\windows\\talk.opus",
    "/absolute/talk.opus",
    "talk\x00.opus",
    "ta\nlk\r\x1b[31m.opus",
    "talk.op\x00us",
    "talk.opus/..",
    "....opus",
    "<script>alert(1)</script>.opus",
]


@pytest.mark.parametrize("filename", NAMES)
def test_upload_file_names_never_leave_the_media_folder(site: Site, filename: str) -> None:
    media_dir = site.env.settings.storage.media_dir
    before = _media_files(site.env)
    manifest = f"title: Name {uuid.uuid4().hex[:8]}"
    media = RECORDING.read_bytes() + uuid.uuid4().bytes  # a new recording each time (not a duplicate)
    response = upload(site.client, media=media, filename=filename, manifest=manifest, headers=site.bearer)
    assert response.status_code in (202, 400), response.text
    kept = _media_files(site.env) - before
    if response.status_code == 400:
        assert not kept
        return
    assert len(kept) == 1
    name = kept.pop()
    assert name.isprintable(), name
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert (media_dir / name).resolve().parent == media_dir.resolve()
    assert not (media_dir.parent / "etc").exists()


@pytest.mark.parametrize("filename", NAMES)
def test_tus_file_names_never_leave_the_media_folder(site: Site, filename: str) -> None:
    """The resumable path: tus metadata names the file, the upload page's form submits it."""
    media_dir = site.env.settings.storage.media_dir
    before = _media_files(site.env)
    media = RECORDING.read_bytes() + uuid.uuid4().bytes
    tus = {**site.bearer, "Tus-Resumable": "1.0.0"}
    metadata = "filename " + base64.b64encode(filename.encode()).decode()
    created = site.client.post(
        "/api/uploads", headers={**tus, "Upload-Length": str(len(media)), "Upload-Metadata": metadata}
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    sent = site.client.patch(
        location,
        content=media,
        headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert sent.status_code == 204, sent.text
    uploads = site.env.settings.storage.data_dir / "uploads"
    assert all(path.resolve().parent == uploads.resolve() for path in uploads.iterdir())
    form = {"upload_id": location.rsplit("/", 1)[1], "title": f"Tus {uuid.uuid4().hex[:8]}"}
    submitted = site.client.post("/staff/upload", data=form, headers={**site.bearer, **HTML})
    assert submitted.status_code in (200, 303), submitted.text[:500]
    kept = _media_files(site.env) - before
    assert len(kept) == 1
    name = kept.pop()
    assert name.isprintable(), name
    assert (media_dir / name).resolve().parent == media_dir.resolve()
    assert name.endswith((".opus", "-" + name.rsplit("-", 1)[-1]))  # its extension, or none


def test_headers_near_the_limit_and_forged_cookies(site: Site) -> None:
    """Through uvicorn as `serve` runs it (server/serving.py; a megabyte of header is refused in
    test_concurrency): many headers of ordinary size get an ordinary answer, one just past the
    32 KB limit a 431, and a forged or oversized session or CSRF cookie is no session, not an
    error."""
    options = {**uvicorn_options(), "log_level": "warning"}
    with (
        serve_app(create_app(site.settings, search=False), **options) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        many = client.get("/health", headers={f"X-Junk-{i}": "b" * 100 for i in range(100)})
        assert many.status_code == 200
        past = client.get("/health", headers={"X-Junk": "a" * 33_000})
        assert past.status_code == 431
        forged = (
            "archive_session=" + "A" * 4000,
            "archive_session=e30.AAAA",
            'archive_session="<b>"; csrftoken=../x',
        )
        for cookie in forged:
            page = client.get("/staff/jobs", headers={"Cookie": cookie, **HTML})
            assert page.status_code == 401, (cookie[:30], page.status_code)  # the sign-in page
            assert_nothing_runs(page.text)
