"""The website's HTML, feeds and media, through Litestar's TestClient on `create_app`.

A real SQLite catalogue (filled through the catalogue's own `store_transcript`) and the real
Meilisearch of tests/conftest.py (indexed through the search package's indexer); no speech model.
One webinar is hostile: its title, description, transcript and a speaker's name carry markup
that must come out as text everywhere.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from ingest.document import Segment, Speaker, Transcript
from ingest.metadata import Manifest, Person
from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import Settings
from tests.factories import make_manifest, make_transcript
from tests.site_data import settings_for, store_and_index

HTML = {"accept": "text/html,application/xhtml+xml"}
HOSTILE_TITLE = '<script>alert("title")</script> & "Friends"'
HOSTILE_TEXT = "Then she typed <img src=x onerror=alert(1)> and </script><script>alert(2)</script> live."
HOSTILE_SPEAKER = 'Eve <b onmouseover="alert(3)">Hax</b>'
MEDIA_BYTES = bytes(range(256)) * 40  # 10,240 bytes: small enough to compare, big enough to slice


def hostile_transcript() -> Transcript:
    segments = [
        Segment(0, 0.0, 5.0, "Welcome to the hostile test about shore power.", speaker="S0", kind="intro"),
        Segment(1, 5.5, 12.0, HOSTILE_TEXT, speaker="S0", kind="presentation"),
    ]
    return Transcript("en", 14.0, "hand-built", segments, [Speaker("S0", HOSTILE_SPEAKER, "speaker")])


class Site:
    def __init__(self, client: TestClient[Litestar], circular: str, hostile: str, settings: Settings) -> None:
        self.client = client
        self.circular = circular
        self.hostile = hostile
        self.settings = settings

    def get(self, url: str, **kwargs: Any) -> Any:
        headers = {**HTML, **kwargs.pop("headers", {})}
        return self.client.get(url, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection) -> Iterator[Site]:
    """One catalogue and index for the read-only tests of this module (built once: ~2 s)."""
    from tests.meili_server import delete_index

    meili_index = f"pages_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path_factory.mktemp("site"))
    circular = store_and_index(
        settings,
        make_transcript(),
        make_manifest(),
        "circular.opus",
        connection=meili_server,
        index_uid=meili_index,
        media_bytes=MEDIA_BYTES,
    )
    hostile = store_and_index(
        settings,
        hostile_transcript(),
        Manifest(
            title=HOSTILE_TITLE,
            date=dt.date(2023, 5, 2),
            description='<a href="javascript:alert(4)">click</a>',
            topics=["<i>topic</i>", "procurement"],
            speakers=[Person(HOSTILE_SPEAKER, "speaker", "<u>Org</u>", "P&P")],
        ),
        "hostile.opus",
        connection=meili_server,
        index_uid=meili_index,
        media_bytes=b"OggS hostile",
        slug="hostile",
    )
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=meili_server, index_uid=meili_index)],
    )
    try:
        with TestClient(app=app) as client:
            yield Site(client, circular, hostile, settings)
    finally:
        delete_index(meili_server, meili_index)


class _Collector(HTMLParser):
    """Tags, attributes and script bodies of a page, to check structure without a browser."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def json_ld(html: str) -> dict[str, Any]:
    blocks = [text for attrs, text in parse(html).scripts if attrs.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0])
    return data


def assert_page_basics(html: str) -> None:
    """Landmarks, one h1, local assets only, and no inline script (CSP allows none)."""
    page = parse(html)
    tags = [t for t, _ in page.tags]
    for landmark in ("header", "main", "footer", "nav"):
        assert landmark in tags
    assert tags.count("h1") == 1
    for attrs, text in page.scripts:
        if attrs.get("type") == "application/ld+json":
            continue
        assert attrs.get("src", "").startswith("/static/"), attrs  # type: ignore[union-attr]
        assert text.strip() == ""
    for tag, attrs in page.tags:
        if tag == "link" and attrs.get("rel") == "stylesheet":
            assert (attrs.get("href") or "").startswith("/static/")
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag in ("input", "textarea", "select") and attrs.get("type") != "hidden":
            ident = attrs.get("id")
            assert ident, f"{tag} without an id cannot have a label"
            assert f'for="{ident}"' in html, f"{tag}#{ident} has no label"


# --- pages ------------------------------------------------------------------------------------


def test_home(site: Site) -> None:
    response = site.get("/")
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    assert f'href="/webinars/{site.circular}"' in html
    assert 'href="/topics/circular-economy"' in html
    assert 'href="/speakers/tomasz-nowak"' in html
    assert 'role="search"' in html


def test_search_groups_moments_by_webinar_with_links_to_the_second(site: Site) -> None:
    response = site.get("/search", params={"q": "refurbished furniture"})
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    assert "1 webinar with matching moments" in html
    # "refurbished" is said at 6.5 s (the line starts at 4.5 s): the link opens a second before.
    assert f'href="/webinars/{site.circular}?t=5&amp;q=refurbished+furniture"' in html
    assert "<mark>refurbished</mark>" in html
    assert "Tomasz Nowak" in html
    assert 'class="badge badge-presentation"' in html
    assert "Keynote: circular procurement" in html  # the chapter
    assert 'value="refurbished furniture"' in html  # the query stays in the box
    assert "/static/js/search.js" in html


def test_search_facets_are_links_that_combine(site: Site) -> None:
    html = site.get("/search", params={"q": "tender"}).text
    assert 'href="/search?q=tender&amp;speaker=Maria+Jensen"' in html
    assert 'href="/search?q=tender&amp;kind=question"' in html
    assert 'href="/search?q=tender&amp;year=2024"' in html
    combined = site.get("/search", params={"q": "tender", "kind": "question", "year": "2024"})
    assert combined.status_code == 200
    html = combined.text
    assert "How do you write the tender criteria?" in html or "<mark>tender</mark> criteria" in html
    assert "reuse and repairability" not in html  # an answer: filtered out
    # Active filters are removable one by one and kept as hidden fields for the next search.
    assert 'href="/search?q=tender&amp;year=2024"' in html
    assert 'href="/search?q=tender&amp;kind=question"' in html
    assert '<input type="hidden" name="kind" value="question">' in html
    assert '<input type="hidden" name="year" value="2024">' in html
    # Facet counts cover every matching moment, not only each webinar's best one.
    # "you" is said in a question and in the closing line: one is the webinar's best moment, the
    # other is counted all the same.
    facets = site.get("/search", params={"q": "you"}).text
    assert 'Question <span class="count">1</span>' in facets
    assert 'Other <span class="count">1</span>' in facets
    assert "Year</summary>" in facets
    assert '2024 <span class="count">2</span>' in facets


def test_search_year_without_matches_is_a_helpful_page(site: Site) -> None:
    response = site.get("/search", params={"q": "tender", "year": "1999"})
    assert response.status_code == 200
    assert "No moment matches" in response.text
    assert 'href="/search?q=tender"' in response.text  # the way out: drop the filters


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_empty_search_is_a_helpful_page(site: Site, params: dict[str, str]) -> None:
    response = site.get("/search", params=params)
    assert response.status_code == 200
    assert "Type what you remember hearing" in response.text
    assert 'href="/search?q=procurement"' in response.text  # topic suggestions


def test_no_result_is_a_helpful_page(site: Site) -> None:
    response = site.get("/search", params={"q": "zzyzx quorblat"})
    assert response.status_code == 200
    assert "No moment matches" in response.text
    assert "Try fewer or different words" in response.text


def test_partial_results_are_a_fragment(site: Site) -> None:
    response = site.get("/search", params={"q": "refurbished", "partial": "1"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert '<div class="results-layout">' in response.text
    assert "<mark>refurbished</mark>" in response.text


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"q": "x", "kind": "keynote"}, "kind: expected one of"),
        ({"q": "x", "year": "20x4"}, "year: expected a year"),
        ({"q": "x", "page": "0"}, "page: expected a number"),
        ({"q": "x" * 600}, "q: at most"),
    ],
)
def test_bad_search_parameters_are_400_pages(site: Site, params: dict[str, str], reason: str) -> None:
    response = site.get("/search", params=params)
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert reason in response.text


def test_pagination(tmp_path: Path, meili_server: MeiliConnection, meili_index: str) -> None:
    settings = settings_for(tmp_path)
    for n in range(12):
        store_and_index(
            settings,
            make_transcript(),
            make_manifest(f"Circular procurement part {n}"),
            f"part{n}.opus",
            connection=meili_server,
            index_uid=meili_index,
            media_bytes=f"media {n}".encode(),
        )
    app = create_app(
        settings,
        search=False,
        plugins=[SearchPlugin(settings, connection=meili_server, index_uid=meili_index)],
    )
    with TestClient(app=app) as client:
        first = client.get("/search", params={"q": "refurbished"}).text
        assert "12 webinars with matching moments" in first
        assert "page 1 of 2" in first
        assert 'rel="next" href="/search?q=refurbished&amp;page=2"' in first
        second = client.get("/search", params={"q": "refurbished", "page": "2"}).text
        assert 'rel="prev" href="/search?q=refurbished&amp;page=1"' in second
        assert second.count('class="group"') == 2
        past = client.get("/search", params={"q": "refurbished", "page": "50"}, follow_redirects=False)
        assert past.status_code in (302, 303, 307)
        assert past.headers["location"] == "/search?q=refurbished&page=2"  # the last page
        assert "page 2 of 2" in client.get("/search", params={"q": "refurbished", "page": "9999"}).text


def test_search_down_is_a_503_page(tmp_path: Path, meili_server: MeiliConnection, meili_index: str) -> None:
    settings = settings_for(tmp_path)
    store_and_index(
        settings, make_transcript(), make_manifest(), "c.opus", connection=None, index_uid=meili_index
    )
    closed = SearchPlugin(settings, connection=MeiliConnection("http://127.0.0.1:9", "key"), timeout=1.0)
    with TestClient(app=create_app(settings, search=False, plugins=[closed])) as client:
        response = client.get("/search", params={"q": "tender"}, headers=HTML)
        assert response.status_code == 503
        assert "Search is temporarily unavailable" in response.text
        assert "Traceback" not in response.text
        assert client.get("/", headers=HTML).status_code == 200  # the rest of the site stays up


def test_replay_page(site: Site) -> None:
    response = site.get(f"/webinars/{site.circular}")
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    page = parse(html)
    audio = [attrs for tag, attrs in page.tags if tag == "audio"]
    assert len(audio) == 1
    assert audio[0]["src"] == "/media/circular.opus"
    assert "controls" in audio[0]
    track = next(attrs for tag, attrs in page.tags if tag == "track")
    assert track["kind"] == "captions"
    assert track["src"] == f"/webinars/{site.circular}/captions.vtt?voice=0"  # no voice tags: shown raw
    assert "default" not in track  # captions on by choice
    # The whole transcript is in the HTML, grouped by speaker turn, each line linked to its second.
    for text in (
        "Welcome everyone to this webinar",
        "buy refurbished furniture &amp; save money",
        "We score reuse and repairability &lt;above&gt; price.",
        "Thank you all for joining.",
    ):
        assert text in html
    assert html.count('class="turn"') == 5
    assert 'data-start="4.5"' in html
    assert 'href="?t=4"' in html
    assert 'href="/speakers/tomasz-nowak"' in html
    # Chapters seek (links to the second), Q&A listed together, speakers, resources.
    chapter_link = f'href="/webinars/{site.circular}?t=12" data-seek="12.5">00:12</a>'
    assert chapter_link + ' <span class="chapter-title">Questions' in html
    qa = html[html.index('id="qa-title"') :]
    assert qa.index("How do you write the tender criteria?") < qa.index("We score reuse and repairability")
    assert "City of Gdansk" in html
    assert 'project <a href="/projects/recircle">ReCircle</a>' in html  # the project page
    assert 'href="https://example.org/recircle" rel="noopener noreferrer">ReCircle toolkit</a>' in html
    assert 'id="copy-link"' in html
    assert 'id="cite-text"' in html
    assert 'id="tq"' in html
    assert "/static/js/replay.js" in html


def test_json_ld_video_object(site: Site) -> None:
    data = json_ld(site.get(f"/webinars/{site.circular}").text)
    assert data["@type"] == "VideoObject"
    assert data["name"] == "Circular procurement in small municipalities"
    assert data["uploadDate"] == "2024-03-14"
    assert data["duration"] == "PT25S"
    assert data["contentUrl"].endswith("/media/circular.opus")
    assert [c["@type"] for c in data["hasPart"]] == ["Clip"] * 3
    assert data["hasPart"][2]["startOffset"] == 12
    assert data["hasPart"][2]["url"].endswith("?t=12")
    action = data["potentialAction"]
    assert action["@type"] == "SeekToAction"
    assert action["target"].endswith(f"/webinars/{site.circular}?t={{seek_to_second_number}}")
    assert action["startOffset-input"] == "required name=seek_to_second_number"


@pytest.mark.parametrize("t", ["12", "12.9", "0m12s", "12s", "0:12"])
def test_replay_starts_at_t(site: Site, t: str) -> None:
    html = site.get(f"/webinars/{site.circular}", params={"t": t}).text
    assert 'src="/media/circular.opus#t=12"' in html  # the media fragment: works without JavaScript
    # The line the link means: 12.5 s starts within the second after t=12.
    assert re.search(r'id="s\d+" class="seg current q" data-start="12.5"', html)
    assert "From 00:12" in html
    assert "How do you write the tender criteria?" in html[html.index('id="moment-quote"') :][:400]


def test_replay_clip(site: Site) -> None:
    response = site.get(f"/webinars/{site.circular}", params={"t": "12", "end": "16"})
    assert response.status_code == 200
    html = response.text
    assert "Clip 00:12 to 00:16" in html
    assert 'data-end="16.0"' in html
    assert html.count(" in-clip") == 2  # the question and the start of the answer
    quote = html[html.index('id="moment-quote"') :][:600]
    assert "tender criteria?" in quote
    assert "repairability" in quote
    assert "?t=12&amp;end=16" in html  # the link to share is the clip
    # Without JavaScript the player plays the clip and stops at its end (a media fragment).
    assert 'src="/media/circular.opus#t=12,16"' in html
    # The citation quotes every line of the clip and credits everyone who speaks in it.
    cite = html[html.index('id="cite-text"') :]
    cite = cite[cite.index(">") + 1 : cite.index("</textarea>")]
    quote = "How do you write the tender criteria? We score reuse and repairability &lt;above&gt; price."
    assert cite.startswith(f"“{quote}”")
    assert "” Maria Jensen and Tomasz Nowak, in “Circular procurement" in cite
    assert "at 00:12–00:16. Webinar Archive. " in cite
    assert cite.endswith(f"/webinars/{site.circular}?t=12&amp;end=16")
    attribution = html[html.index('class="attribution"') :][:400]
    assert "Maria Jensen" in attribution
    assert "Tomasz Nowak" in attribution
    # The embed code plays the same clip.
    embed = html[html.index('id="embed-code"') :][:600]
    assert f"/webinars/{site.circular}/embed?t=12&amp;amp;end=16" in embed  # escaped twice: shown as code


def test_replay_page_on_every_screen_without_javascript(site: Site) -> None:
    """Skip links first, the player before the transcript, the folds, downloads, embed code."""
    html = site.get(f"/webinars/{site.circular}", params={"t": "4"}).text
    body = html[html.index("<body") :]
    skips = re.findall(r'<a class="skip-link" href="([^"]+)">([^<]+)</a>', body)
    assert skips[:2] == [("#transcript", "Skip to transcript"), ("#player-box", "Skip to player")]
    assert body.index('class="skip-link"') < body.index('class="site-header"')
    assert 'id="player-box" tabindex="-1"' in html
    assert 'id="transcript" class="transcript" tabindex="0"' in html
    # The sharing tools, speakers, resources and chapters are folds (closed on phones).
    for heading in ("share-title", "speakers-title", "resources-title", "chapters-title"):
        assert re.search(rf'<details class="fold[^"]*"[^>]*data-fold>\s*<summary><h2 id="{heading}"', html)
    # Downloads of the captions and the transcript.
    downloads = html[html.index('class="downloads"') :][:800]
    for name in ("transcript.txt", "transcript.json", "captions.vtt", "captions.srt"):
        assert f'href="/webinars/{site.circular}/{name}" download' in downloads
    # The timeline: a band per chapter, the playhead; ticks only come with a search.
    timeline = html[html.index('id="timeline"') : html.index("</svg>")]
    assert timeline.count('class="tl-chapter"') == 3
    assert 'id="tl-playhead"' in timeline
    assert 'class="tl-hit"' not in timeline
    # The transcript's search reloads this page with ?q= when there is no JavaScript.
    form = html[html.index('id="transcript-search"') :][:400]
    assert f'action="/webinars/{site.circular}"' in form
    assert 'name="q"' in html[html.index('id="tq"') - 20 :][:200]
    embed = html[html.index('id="embed-code"') :][:600]
    assert f"&lt;iframe src=&#34;http://testserver.local/webinars/{site.circular}/embed?t=4&#34;" in embed


@pytest.mark.parametrize(
    ("query", "plays_from", "says"),
    [
        ({"t": "abc"}, "00:00", "is not a time"),
        ({"t": "-5"}, "00:00", "before the start"),
        ({"t": "500"}, "00:24", "past the end of the recording (00:24)"),
        ({"t": "1:99"}, "00:00", "minutes and seconds go up to 59"),
        ({"t": "10", "end": "5"}, "00:10", "is not after its start"),
        ({"end": "0"}, "00:00", "is not after its start"),
    ],
)
def test_a_bad_moment_opens_the_nearest_one_with_a_note(
    site: Site, query: dict[str, str], plays_from: str, says: str
) -> None:
    """An article's link never dead-ends: the replay opens where it can, and says why."""
    response = site.get(f"/webinars/{site.circular}", params=query)
    assert response.status_code == 200
    assert_page_basics(response.text)
    note = response.text[response.text.index('class="moment-note"') :][:400]
    assert says in note
    assert f"Playing from {plays_from}." in note
    assert "in-clip" not in response.text  # a broken clip plays as a plain moment


def test_a_good_moment_has_no_note(site: Site) -> None:
    assert "moment-note" not in site.get(f"/webinars/{site.circular}", params={"t": "12"}).text


@pytest.mark.parametrize(
    "path", ["/webinars/no-such-webinar", "/speakers/nobody-at-all", "/topics/no-such-topic"]
)
def test_unknown_pages_are_404_html(site: Site, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert_page_basics(response.text)
    assert "not found" in response.text


def test_unknown_address_is_404_html_for_browsers_and_json_for_the_api(site: Site) -> None:
    page = site.get("/no/such/page")
    assert page.status_code == 404
    assert "Page not found" in page.text
    api = site.client.get("/api/webinars/no-such-webinar")
    assert api.status_code == 404
    assert api.json()["status"] == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert site.client.get("/no/such/page").headers["content-type"].startswith("application/problem+json")


def test_speaker_page(site: Site) -> None:
    response = site.get("/speakers/tomasz-nowak")
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    assert "<h1>Tomasz Nowak</h1>" in html
    assert "City of Gdansk" in html
    assert f'href="/webinars/{site.circular}?t=4" data-seek="4.5">00:04</a>' in html
    assert "buy refurbished furniture" in html
    assert "Thank you all for joining" not in html  # someone else's words


def test_topic_page(site: Site) -> None:
    response = site.get("/topics/procurement")
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    assert "Topic: procurement" in html
    assert f'href="/webinars/{site.circular}"' in html
    assert 'href="/webinars/hostile"' in html
    assert "<mark>procurement</mark>" in html  # moments that talk about it


def test_security_headers_everywhere(site: Site) -> None:
    for path in ["/", "/search?q=tender", f"/webinars/{site.circular}", "/webinars/nope", "/api/webinars",
                 "/static/css/site.css", "/media/circular.opus", "/feed.xml", "/no/such/page"]:  # fmt: skip
        headers = site.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    embed = site.get(f"/webinars/{site.circular}/embed?t=4")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"]


# --- media --------------------------------------------------------------------------------------


def test_media_whole_file(site: Site) -> None:
    response = site.client.get("/media/circular.opus")
    assert response.status_code == 200
    assert response.content == MEDIA_BYTES
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(MEDIA_BYTES))
    assert response.headers["etag"].startswith('"')
    assert "GMT" in response.headers["last-modified"]
    assert "max-age" in response.headers["cache-control"]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-", 100, 10239),
        ("bytes=-16", 10224, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_media_ranges(site: Site, header: str, start: int, end: int) -> None:
    response = site.client.get("/media/circular.opus", headers={"range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(MEDIA_BYTES)}"
    assert response.content == MEDIA_BYTES[start : end + 1]
    assert response.headers["content-length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range_is_416(site: Site, header: str) -> None:
    response = site.client.get("/media/circular.opus", headers={"range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(MEDIA_BYTES)}"


def test_media_validators(site: Site) -> None:
    first = site.client.get("/media/circular.opus")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert site.client.get("/media/circular.opus", headers={"if-none-match": etag}).status_code == 304
    assert site.client.get("/media/circular.opus", headers={"if-modified-since": modified}).status_code == 304
    stale = site.client.get("/media/circular.opus", headers={"range": "bytes=0-9", "if-range": '"old"'})
    assert stale.status_code == 200
    assert stale.content == MEDIA_BYTES
    fresh = site.client.get("/media/circular.opus", headers={"range": "bytes=0-9", "if-range": etag})
    assert fresh.status_code == 206
    head = site.client.head("/media/circular.opus")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(MEDIA_BYTES))


def test_media_paths_cannot_escape(site: Site, tmp_path: Path) -> None:
    """Also a symlink inside the folder that points outside it, and a file still being written."""
    media_dir = site.settings.storage.media_dir
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    os.symlink(secret, media_dir / "link.opus")
    (media_dir / ".partial.opus.part").write_bytes(b"half")
    for path in ["/media/../var/archive.db", "/media/%2e%2e/var/archive.db", "/media/..%2fvar%2farchive.db",
                 "/media/link.opus", "/media/.partial.opus.part", "/media/missing.opus", "/media//etc/passwd",
                 "/media/%2fetc%2fpasswd"]:  # fmt: skip
        response = site.client.get(path)
        assert response.status_code in (404, 400), path
        assert b"secret" not in response.content
        assert b"SQLite" not in response.content


# --- oEmbed and the feed ------------------------------------------------------------------------


def test_oembed_for_a_moment_and_a_clip(site: Site) -> None:
    base = str(site.client.base_url).rstrip("/")
    moment = site.client.get("/oembed", params={"url": f"{base}/webinars/{site.circular}?t=12"})
    assert moment.status_code == 200
    body = moment.json()
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert body["provider_name"] == "Webinar Archive"
    assert body["title"] == "Circular procurement in small municipalities (at 00:12)"
    assert f'src="{base}/webinars/{site.circular}/embed?t=12"' in body["html"]
    assert body["width"] == 640
    assert body["height"] == 200
    clip = site.client.get(
        "/oembed", params={"url": f"/webinars/{site.circular}?t=12&end=16", "maxwidth": "400"}
    )
    assert clip.status_code == 200
    assert f"/webinars/{site.circular}/embed?t=12&amp;end=16" in clip.json()["html"]
    assert clip.json()["width"] == 400
    embed = site.get(f"/webinars/{site.circular}/embed?t=12&end=16")
    assert 'src="/media/circular.opus#t=12,16"' in embed.text  # the clip stops at its end without JavaScript
    assert f'src="/webinars/{site.circular}/captions.vtt?voice=0"' in embed.text  # no raw voice tags
    assert 'data-end="16.0"' in embed.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "/webinars/no-such-webinar"}, 404),
        ({"url": "/speakers/tomasz-nowak"}, 404),
        ({"url": "https://elsewhere.example/webinars/x"}, 404),
        ({"url": "/webinars/{slug}?t=abc"}, 400),
        ({"url": "/webinars/{slug}", "format": "xml"}, 501),
        ({}, 400),
    ],
)
def test_oembed_errors(site: Site, params: dict[str, str], status: int) -> None:
    if "url" in params:
        params = {**params, "url": params["url"].replace("{slug}", site.circular)}
    assert site.client.get("/oembed", params=params).status_code == status


def test_oembed_titles_are_escaped_in_the_iframe(site: Site) -> None:
    body = site.client.get("/oembed", params={"url": "/webinars/hostile?t=5"}).json()
    assert "<script>" not in body["html"]
    assert "&lt;script&gt;" in body["html"]


def test_atom_feed(site: Site) -> None:
    response = site.client.get("/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    assert {e.findtext("a:title", namespaces=ns) for e in entries} == {
        "Circular procurement in small municipalities",
        HOSTILE_TITLE,
    }
    for entry in entries:
        assert entry.find("a:link", ns).get("href", "").startswith("http")  # type: ignore[union-attr]
        assert entry.findtext("a:updated", namespaces=ns)
    assert b"<script>" not in response.content


# --- escaping -----------------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere(site: Site) -> None:
    pages = {
        "replay": site.get("/webinars/hostile").text,
        "search": site.get("/search", params={"q": "typed live"}).text,
        "home": site.get("/").text,
        "speaker": site.get("/speakers/eve-b-onmouseover-alert-3-hax-b").text,
        "topic": site.get("/topics/i-topic-i").text,
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert "<b onmouseover" not in html, name
        assert 'href="javascript:' not in html, name
        assert_page_basics(html)
    replay = pages["replay"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in replay
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; &#34;Friends&#34;" in replay
    assert "&lt;u&gt;Org&lt;/u&gt;" in replay
    # The JSON-LD block cannot be closed early by a title or description saying </script>.
    block = replay[replay.index('type="application/ld+json">') :]
    block = block[: block.index("</script>")]
    assert "<" not in block.split(">", 1)[1]
    assert json_ld(replay)["name"] == HOSTILE_TITLE
    assert "&lt;mark&gt;" not in pages["search"]
    assert "<mark>typed</mark>" in pages["search"]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages["search"]


def test_replay_marks_a_search_without_javascript(site: Site) -> None:
    """`?q=`: the matching lines are marked, each with a tick on the timeline at its time."""
    html = site.get(f"/webinars/{site.circular}", params={"t": "12", "q": "tender critera"}).text  # a typo
    assert_page_basics(html)
    lines = re.findall(r'<p id="s(\d+)" class="seg([^"]*)"[^>]*>(.*?)</p>', html, re.DOTALL)
    hits = [(sid, body) for sid, classes, body in lines if " hit" in classes]
    assert len(hits) == 1
    assert "How do you write the <mark>tender</mark> <mark>criteri" in hits[0][1]  # the index marks it
    classes = dict((sid, c.split()) for sid, c, _ in lines)[hits[0][0]]
    assert "current" in classes  # the page opened at the hit
    ticks = re.findall(r'<a class="tl-hit" href="([^"]+)" data-seek="([^"]+)" data-segment="(\d+)"', html)
    assert [segment for _, _, segment in ticks] == [hits[0][0]]
    href, seek, _ = ticks[0]
    assert href.startswith(f"/webinars/{site.circular}?t=")  # the hit's own link
    assert href.endswith("q=tender+critera")
    assert 12.5 <= float(seek) < 15.5
    x = float(html[html.index('class="tl-hit-mark" x="') :].split('"')[3].rstrip("%"))
    duration = float(re.findall(r'id="timeline" data-duration="([^"]+)"', html)[0])
    assert abs(x - 100 * float(seek) / duration) < 0.01  # a percentage of the recording's length
    assert 'value="tender critera"' in html  # the box keeps the words
    assert "1 line matches" in html


def test_replay_search_marks_escape_the_transcript(site: Site) -> None:
    html = site.get("/webinars/hostile", params={"q": "typed live"}).text
    assert_page_basics(html)
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert "<mark>typed</mark> &lt;img src=x onerror=alert(1)&gt;" in html
    html = site.get("/webinars/hostile", params={"q": '<img src=x onerror="alert(5)">'}).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(5)&#34;&gt;" in html  # the search box's value


def test_pages_follow_edits_and_reingests_despite_their_caches(tmp_path: Path) -> None:
    """The replay page, captions and home page are cached per version: a change must show."""
    from sqlmodel import Session

    from server.catalog.db import create_db_engine
    from server.catalog.edits import update_webinar
    from server.catalog.models import WebinarUpdate
    from server.catalog.reads import get_published

    settings = settings_for(tmp_path)
    media = b"OggS cached"
    store = functools.partial(store_and_index, connection=None, index_uid="-", media_bytes=media)
    slug = store(settings, make_transcript(), make_manifest(), "c.opus")
    with TestClient(create_app(settings, search=False)) as client:
        assert "Circular procurement" in client.get(f"/webinars/{slug}", headers=HTML).text
        assert "refurbished furniture" in client.get(f"/webinars/{slug}/captions.vtt").text
        assert "Circular procurement" in client.get("/", headers=HTML).text

        engine = create_db_engine(settings.storage.database_url)
        with Session(engine) as session, session.begin():
            webinar = get_published(session, slug)
            assert webinar is not None
            update_webinar(session, webinar, WebinarUpdate(title="Renamed by staff"), editor="test")
        engine.dispose()
        assert "Renamed by staff" in client.get(f"/webinars/{slug}", headers=HTML).text
        assert "Renamed by staff" in client.get("/", headers=HTML).text

        changed = make_transcript()
        changed.segments[1].text = "Small municipalities can lease second-hand desks instead."
        # The same recording again: the webinar is updated in place.
        store(settings, changed, make_manifest(), "c.opus")
        page = client.get(f"/webinars/{slug}", headers=HTML).text
        assert "second-hand desks" in page
        assert "refurbished furniture" not in page


# --- HEAD ---------------------------------------------------------------------------------------

HEAD_PATHS = [
    "/",
    "/webinars",
    "/webinars?topic=procurement&year=2024",
    "/search?q=tender",
    "/webinars/{slug}",
    "/webinars/{slug}?t=12",
    "/webinars/{slug}/embed",
    "/speakers/tomasz-nowak",
    "/topics/procurement",
    "/feed.xml",
    "/oembed?url=/webinars/{slug}",
    "/webinars/{slug}/captions.vtt",
    "/webinars/{slug}/captions.srt",
]


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_pages_answer_head_like_get(site: Site, path: str) -> None:
    """Link checkers and feed readers ask HEAD first: the GET's status and headers, no body."""
    url = path.replace("{slug}", site.circular)
    get = site.get(url)
    head = site.client.head(url, headers=HTML)
    assert get.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "cache-control", "content-security-policy"):
        assert head.headers.get(name) == get.headers.get(name), name
    assert int(head.headers["content-length"]) == len(get.content) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/webinars/no-such-webinar",
        "/webinars/no-such-webinar/embed",
        "/webinars/no-such-webinar/captions.vtt",
        "/speakers/nobody-at-all",
        "/topics/no-such-topic",
    ],
)
def test_head_of_a_missing_page_is_404(site: Site, path: str) -> None:
    get = site.get(path)
    head = site.client.head(path, headers=HTML)
    assert get.status_code == head.status_code == 404
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_the_app_itself_sends_no_body_for_head(site: Site) -> None:
    """The test client (like uvicorn) drops a HEAD body; the app must not rely on that."""
    import anyio

    messages: list[dict[str, Any]] = []

    async def call(method: str) -> None:
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if not received:
                received = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        async def send(message: Any) -> None:
            messages.append(dict(message))

        path = f"/webinars/{site.circular}"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"accept", b"text/html")],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        await site.client.app(scope, receive, send)

    site.client.blocking_portal.call(call, "GET")
    get_body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    get_start = next(m for m in messages if m["type"] == "http.response.start")
    messages.clear()
    site.client.blocking_portal.call(call, "HEAD")
    head_start = next(m for m in messages if m["type"] == "http.response.start")
    assert head_start["status"] == get_start["status"] == 200
    assert b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body") == b""
    assert dict(head_start["headers"])[b"content-length"] == str(len(get_body)).encode()


# --- the feed's enclosures and the one date format ------------------------------------------------


def test_feed_entries_carry_the_recording_as_an_enclosure(site: Site) -> None:
    """Podcast apps play what a feed encloses: an absolute URL, the size in bytes, the type."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(site.client.get("/feed.xml").content)
    entries = {e.findtext("a:title", namespaces=ns): e for e in feed.findall("a:entry", ns)}
    circular = entries["Circular procurement in small municipalities"]
    [media] = [link for link in circular.findall("a:link", ns) if link.get("rel") == "enclosure"]
    base = str(site.client.base_url).rstrip("/")
    assert media.get("href") == f"{base}/media/circular.opus"
    assert media.get("length") == str(len(MEDIA_BYTES))
    assert media.get("type") == "audio/ogg"
    fetched = site.client.get(media.get("href", ""))
    assert fetched.status_code == 200
    assert fetched.headers["content-length"] == media.get("length")
    assert fetched.headers["content-type"] == media.get("type")
    hostile = entries[HOSTILE_TITLE]
    [other] = [link for link in hostile.findall("a:link", ns) if link.get("rel") == "enclosure"]
    assert other.get("length") == str(len(b"OggS hostile"))
    assert circular.findtext("a:summary", namespaces=ns, default="").startswith("14 March 2024. ")


def test_enclosure_is_left_out_when_the_file_is_missing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store_and_index(
        settings, make_transcript(), make_manifest(), "gone.mp4", connection=None, index_uid="-",
        media_bytes=b"\x00\x00\x00\x18ftypmp42",
    )  # fmt: skip
    with TestClient(create_app(settings, search=False)) as client:
        ns = {"a": "http://www.w3.org/2005/Atom"}
        entry = ET.fromstring(client.get("/feed.xml").content).find("a:entry", ns)
        assert entry is not None
        [media] = [link for link in entry.findall("a:link", ns) if link.get("rel") == "enclosure"]
        assert media.get("type") == "video/mp4"
        assert media.get("length") == "12"
        (settings.storage.media_dir / "gone.mp4").unlink()
        entry = ET.fromstring(client.get("/feed.xml").content).find("a:entry", ns)
        assert entry is not None
        assert [link.get("rel") for link in entry.findall("a:link", ns)] == ["alternate"]


ISO_DATE_AS_TEXT = re.compile(r">\s*\d{4}-\d{2}-\d{2}\s*<")


@pytest.mark.parametrize(
    "path",
    ["/", "/webinars/{slug}", "/speakers/tomasz-nowak", "/topics/procurement", "/search?q=refurbished"],
)
def test_dates_read_one_way_everywhere(site: Site, path: str) -> None:
    """ "14 March 2024" inside <time datetime="2024-03-14">, on every page that shows the date."""
    html = site.get(path.replace("{slug}", site.circular)).text
    assert '<time datetime="2024-03-14">14 March 2024</time>' in html
    assert not ISO_DATE_AS_TEXT.search(html)
    assert "14/03/2024" not in html
    assert "March 14" not in html


def test_the_citation_writes_the_date_the_same_way(site: Site) -> None:
    html = site.get(f"/webinars/{site.circular}").text
    assert 'data-date="14 March 2024"' in html
    cite = html[html.index('id="cite-text"') :][:1000]
    assert ", 14 March 2024, at " in cite
    assert "<time" not in cite


# --- long queries -------------------------------------------------------------------------------


def _title_and_h1(html: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert title is not None
    assert h1 is not None
    return title.group(1), h1.group(1)


@pytest.mark.parametrize(
    "path", ["/", "/search", "/webinars/{slug}", "/speakers/tomasz-nowak", "/topics/procurement"]
)
def test_every_search_box_has_the_services_length_limit(site: Site, path: str) -> None:
    from server.search.service import MAX_QUERY_CHARS

    page = parse(site.get(path.replace("{slug}", site.circular)).text)
    boxes = [attrs for tag, attrs in page.tags if tag == "input" and attrs.get("type") == "search"]
    assert boxes
    assert all(attrs.get("maxlength") == str(MAX_QUERY_CHARS) for attrs in boxes), boxes


def test_a_5000_character_query_gets_a_short_title_and_a_400_page(site: Site) -> None:
    q = ("shore power tariffs " * 250)[:5000]
    response = site.get("/search", params={"q": q})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "q: at most 500 characters" in response.text
    title, h1 = _title_and_h1(response.text)
    assert title.startswith("shore power tariffs shore power")
    assert "…: search · Webinar Archive" in title
    assert len(title) < 120
    assert len(h1) < 80
    assert response.text.count("shore power tariffs") < 40  # the box holds at most 500 characters of it
    assert_page_basics(response.text)


def test_a_long_valid_query_is_searched_and_its_title_shortened(site: Site) -> None:
    q = "refurbished " + " ".join(["furniture"] * 45)  # 461 characters: allowed
    response = site.get("/search", params={"q": q})
    assert response.status_code == 200
    title, _ = _title_and_h1(response.text)
    assert len(title) < 120
    assert title.endswith("…: search · Webinar Archive")
    assert f'value="{q}"' in response.text  # the whole query stays in the box


def test_replay_marks_every_moment_a_query_matches(site: Site) -> None:
    """A search hit's link carries `q`: the replay page marks the lines the index matches (typo-
    tolerant, as the search page is) and puts a tick on the timeline where the words are said."""
    html = site.get(f"/webinars/{site.circular}", params={"t": "5", "q": "refurbishd furniture"}).text
    assert "<mark>refurbished</mark>" in html
    assert "<mark>furniture</mark>" in html
    tick = re.search(r'class="tl-hit" href="[^"]*q=refurbishd(?:\+|%20)furniture" data-seek="([\d.]+)"', html)
    assert tick is not None
    assert float(tick.group(1)) == 6.5  # when "refurbished" is said
    assert "1 line matches" in html
    none = site.get(f"/webinars/{site.circular}", params={"q": "hydrogen buses"}).text
    assert "No line matches." in none
    assert 'class="tl-hit"' not in none
    hostile = site.get(f"/webinars/{site.circular}", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in hostile


# --- browsing all webinars ----------------------------------------------------------------------


def _cards(html: str) -> list[str]:
    """The titles of the browse page's webinars, in the order shown."""
    return re.findall(r'<li class="webinar-card">\s*<h2><a href="/webinars/[^"]+">([^<]*)</a>', html)


def test_browse_lists_every_webinar_newest_first(site: Site) -> None:
    response = site.get("/webinars")
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    assert "<h1>All webinars</h1>" in html
    assert _cards(html) == [
        "Circular procurement in small municipalities",  # 14 March 2024
        "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; &amp; &#34;Friends&#34;",  # 2 May 2023
    ]
    assert "2 webinars. Newest first." in html
    card = html[html.index(f'href="/webinars/{site.circular}"') :][:1500]
    assert '<time datetime="2024-03-14">14 March 2024</time>' in card
    assert "00:24" in card  # the duration
    assert 'href="/speakers/maria-jensen">Maria Jensen</a>' in card
    assert 'href="/speakers/tomasz-nowak">Tomasz Nowak</a>' in card
    assert 'href="/webinars?topic=circular-economy">circular economy</a>' in card
    assert "<script>alert" not in html
    # Reachable from every page's header and from the home page.
    assert 'href="/webinars">All webinars</a>' in site.get("/speakers/tomasz-nowak").text
    assert 'href="/webinars">All 2 webinars' in site.get("/").text


@pytest.mark.parametrize(
    ("params", "titles", "chips"),
    [
        ({"topic": "circular-economy"}, ["Circular procurement"], ["Topic: circular economy"]),
        ({"topic": "procurement"}, ["Circular procurement", "&lt;script&gt;"], ["Topic: procurement"]),
        ({"speaker": "tomasz-nowak"}, ["Circular procurement"], ["Speaker: Tomasz Nowak"]),
        ({"year": "2023"}, ["&lt;script&gt;"], ["Year: 2023"]),
        ({"language": "en"}, ["Circular procurement", "&lt;script&gt;"], ["Language: English"]),
        (
            {"topic": "procurement", "year": "2024", "language": "en"},
            ["Circular procurement"],
            ["Topic: procurement", "Year: 2024", "Language: English"],
        ),
        (
            {"topic": "", "speaker": "", "year": "2024", "language": ""},
            ["Circular procurement"],
            ["Year: 2024"],
        ),
    ],
)
def test_browse_filters(site: Site, params: dict[str, str], titles: list[str], chips: list[str]) -> None:
    response = site.get("/webinars", params=params)
    assert response.status_code == 200
    html = response.text
    assert_page_basics(html)
    shown = _cards(html)
    assert len(shown) == len(titles)
    assert all(s.startswith(t) for s, t in zip(shown, titles, strict=True))
    filters = html[html.index('aria-label="Active filters"') :]
    for chip in chips:
        assert chip in filters
    assert 'href="/webinars">Clear all filters</a>' in filters
    for key, value in params.items():
        if value:  # the form shows what is chosen, so the next change keeps it
            assert re.search(
                rf'<select id="browse-{key}" name="{key}">.*?value="{value}" selected>', html, re.S
            )


def test_browse_filter_links_remove_one_filter_at_a_time(site: Site) -> None:
    html = site.get("/webinars", params={"topic": "procurement", "year": "2024"}).text
    assert 'href="/webinars?year=2024">Topic: procurement' in html
    assert 'href="/webinars?topic=procurement">Year: 2024' in html


def test_browse_without_a_match_is_a_helpful_page(site: Site) -> None:
    for params in ({"year": "1999"}, {"speaker": "nobody-at-all"}, {"topic": "no-such-topic"}):
        response = site.get("/webinars", params=params)
        assert response.status_code == 200
        assert "No webinar matches these filters." in response.text
        assert 'href="/webinars">Show all webinars</a>' in response.text
        assert_page_basics(response.text)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"page": "0"}, "page: expected a number from 1 to"),
        ({"page": "two"}, "page: expected a number from 1 to"),
        ({"page": "9" * 5000}, "page: expected a number from 1 to"),
        ({"year": "20x4"}, "year: expected a year such as 2024"),
        ({"year": "12"}, "year: expected a year such as 2024"),
        ({"language": "English!"}, "language: expected a language code such as en"),
        ({"topic": "<script>alert(1)</script>"}, "topic: expected a name from the list"),
        ({"speaker": "Tomasz Nowak"}, "speaker: expected a name from the list"),
    ],
)
def test_bad_browse_parameters_are_400_pages(site: Site, params: dict[str, str], reason: str) -> None:
    response = site.get("/webinars", params=params)
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    html = response.text
    assert reason in html
    assert_page_basics(html)
    assert "<script>alert(1)" not in html
    assert 'id="browse-topic"' in html  # the form is there to start again
    title, _ = _title_and_h1(html)
    assert len(title) < 120


def test_browse_pages_of_twenty(tmp_path: Path) -> None:
    """24 webinars, one unpublished: 20 on the first page, 3 on the second, newest first; a page
    past the last redirects to the last, and filters stay in the pager's links."""
    from sqlmodel import Session

    from server.catalog.db import create_db_engine, upgrade_database
    from server.catalog.edits import update_webinar
    from server.catalog.models import WebinarUpdate
    from server.catalog.store import store_transcript
    from tests.factories import make_media_info

    settings = settings_for(tmp_path)
    upgrade_database(settings.storage.database_url)
    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            for n in range(24):
                manifest = make_manifest(f"Webinar number {n:02d}")
                manifest.date = dt.date(2020 + n % 3, 1 + n % 12, 1 + n)
                manifest.language = "de" if n % 4 == 0 else "en"
                webinar = store_transcript(
                    session, make_media_info(f"w{n}.opus"), f"{n:064d}", manifest, make_transcript()
                )
            update_webinar(session, webinar, WebinarUpdate(published=False), editor="test")
    finally:
        engine.dispose()
    with TestClient(create_app(settings, search=False)) as client:
        first = client.get("/webinars", headers=HTML).text
        titles = _cards(first)
        assert len(titles) == 20
        assert "Webinar number 23" not in titles  # unpublished
        assert "23 webinars, page 1 of 2. Newest first." in first
        assert titles[:3] == ["Webinar number 11", "Webinar number 20", "Webinar number 08"]
        assert "12 December 2022" in first  # 11's date; 23's (24 December) is unpublished
        assert 'rel="next" href="/webinars?page=2"' in first
        assert 'rel="prev"' not in first
        second = client.get("/webinars", params={"page": "2"}, headers=HTML).text
        assert len(_cards(second)) == 3
        assert 'rel="prev" href="/webinars"' in second
        assert 'rel="next"' not in second
        assert set(titles).isdisjoint(_cards(second))
        past = client.get("/webinars", params={"page": "50"}, follow_redirects=False)
        assert past.status_code in (302, 303, 307)
        assert past.headers["location"] == "/webinars?page=2"
        assert "page 2 of 2" in client.get("/webinars", params={"page": "9999"}, headers=HTML).text
        german = client.get("/webinars", params={"language": "de"}, headers=HTML).text
        assert len(_cards(german)) == 6  # webinars 0, 4, 8, 12, 16 and 20
        assert "Language: German" in german
        assert "page 1 of" not in german
        one_page = client.get("/webinars", params={"language": "de", "page": "3"}, follow_redirects=False)
        assert one_page.headers["location"] == "/webinars?language=de"


def test_sitemap_lists_the_published_replays_and_robots_points_to_it(site: Site) -> None:
    response = site.client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text or "" for loc in ET.fromstring(response.content).findall("s:url/s:loc", ns)]
    assert urls[0] == "http://testserver.local/"
    assert f"http://testserver.local/webinars/{site.circular}" in urls
    assert all(url.startswith("http://testserver.local/") for url in urls)
    robots = site.client.get("/robots.txt")
    assert "Disallow: /staff" in robots.text
    assert "Sitemap: http://testserver.local/sitemap.xml" in robots.text
    assert site.client.head("/sitemap.xml").status_code == 200


def test_search_page_filters_by_language(site: Site) -> None:
    html = site.get("/search", params={"q": "tender"}).text
    assert "Language</summary>" in html
    assert 'href="/search?q=tender&amp;language=en"' in html
    assert "English" in html
    filtered = site.get("/search", params={"q": "tender", "language": "en"})
    assert filtered.status_code == 200
    assert "Language: English" in filtered.text  # the filter's chip names the language
    assert site.get("/search", params={"q": "tender", "language": "english"}).status_code == 400
