"""The site in a real headless Chromium: search, land on the moment, play, share.

Debian's `chromium` (installed by scripts/setup_system.sh, never downloaded by Playwright) is
driven through Playwright's Python API against a real uvicorn server of `create_app`, with the
demo recording (277 s of real speech) and a hand-built transcript of it, indexed in the real
Meilisearch of tests/conftest.py. Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from server.settings import Settings
from tests.binaries import CHROMIUM
from tests.browser.serving import serve_app
from tests.site_data import demo_manifest, demo_transcript, settings_for, store_and_index

# Chromium and Meilisearch are checked before each test (tests/conftest.py): a missing one skips
# with the reason, or fails under CI=true.
pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


class Site:
    """The running server: its address, the demo webinar's slug, and its settings (for tests
    that add staff accounts to its catalogue)."""

    def __init__(self, base_url: str, slug: str, settings: Settings | None = None) -> None:
        self.base_url = base_url
        self.slug = slug
        self.settings = settings

    def replay(self, query: str = "") -> str:
        return f"{self.base_url}/webinars/{self.slug}{query}"


@pytest.fixture(scope="module")
def site(meili_server: MeiliConnection) -> Iterator[Site]:
    """uvicorn serving create_app on a free port, in a thread, with the demo webinar indexed."""
    from tests.meili_server import delete_index

    index_uid = f"browser_{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp), development=True)  # the session cookie over http
        slug = store_and_index(
            settings,
            demo_transcript(),
            demo_manifest(),
            "demo-webinar.opus",
            connection=meili_server,
            index_uid=index_uid,
        )
        app = create_app(
            settings,
            search=False,
            plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index_uid)],
        )
        try:
            with serve_app(app) as base_url:
                yield Site(base_url, slug, settings)
        finally:
            delete_index(meili_server, index_uid)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; any console error (a CSP violation, a script error) fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"


def player(page: Page, expression: str) -> Any:
    return page.evaluate(f"(() => {{ const p = document.getElementById('player'); return {expression}; }})()")


def wait_for_time(page: Page, target: float, tolerance: float = 1.0, timeout_ms: int = 10000) -> float:
    """Wait until the player's currentTime is within `tolerance` of `target`; return it."""
    page.wait_for_function(
        "([t, tol]) => { const p = document.getElementById('player');"
        " return p && p.readyState >= 1 && Math.abs(p.currentTime - t) <= tol; }",
        arg=[target, tolerance],
        timeout=timeout_ms,
    )
    return float(player(page, "p.currentTime"))


def test_search_then_click_a_hit_lands_on_its_moment(site: Site, page: Page) -> None:
    page.goto(f"{site.base_url}/search")
    page.fill("#q", "tariff model")  # results arrive as the user types (search.js)
    first_hit = page.locator(".hit").first
    expect(first_hit).to_be_visible(timeout=10000)
    assert "q=tariff+model" in page.url  # the address bar follows the live results
    start = float(first_hit.get_attribute("data-start") or "nan")
    said = float(first_hit.get_attribute("data-time") or "nan")  # when "tariff" is said
    assert said > start + 1.5  # said mid-line, after the line starts
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    first_hit.locator(".snippet a").click()
    page.wait_for_url(f"**/webinars/{site.slug}?t=*&q=tariff+model")
    current = wait_for_time(page, said - 1, tolerance=1.0)
    assert said - 3 <= current <= said  # a second or so before the words, never after
    expect(page.locator(".seg.current")).to_have_count(1)
    current_start = float(page.locator(".seg.current").get_attribute("data-start") or "nan")
    assert abs(current_start - start) < 0.01
    expect(page.locator(".seg.current mark").first).to_have_text("tariff")


def test_transcript_line_and_chapter_clicks_seek(site: Site, page: Page) -> None:
    page.goto(site.replay())
    line = page.locator("#transcript .seg").nth(20)
    line_start = float(line.get_attribute("data-start") or "nan")
    line.locator(".text").click()
    wait_for_time(page, line_start, 0.5)
    expect(line).to_have_class("seg current")
    chapter = page.locator("#chapters li").nth(4)
    chapter_start = float(chapter.get_attribute("data-start") or "nan")
    chapter.locator("a").click()
    wait_for_time(page, chapter_start, 0.5)
    assert page.url.endswith(f"?t={int(chapter_start)}")  # the address is the moment, ready to share


def test_playing_moves_the_highlight_and_keeps_it_in_view(site: Site, page: Page) -> None:
    page.goto(site.replay("?t=36"))
    wait_for_time(page, 36)
    first = page.locator(".seg.current").get_attribute("id")
    page.evaluate("() => { const p = document.getElementById('player'); p.muted = true; return p.play(); }")
    page.wait_for_function("() => document.getElementById('player').currentTime > 41", timeout=15000)
    player(page, "p.pause()")
    now = float(player(page, "p.currentTime"))
    current = page.locator(".seg.current")
    assert current.get_attribute("id") != first
    assert (
        float(current.get_attribute("data-start") or "nan")
        <= now
        < float(current.get_attribute("data-end") or "nan") + 1.5
    )
    in_view = page.evaluate(
        "() => { const box = document.getElementById('transcript').getBoundingClientRect();"
        " const seg = document.querySelector('.seg.current').getBoundingClientRect();"
        " return seg.top >= box.top && seg.bottom <= box.bottom; }"
    )
    assert in_view


def test_captions_track_loads_when_turned_on(site: Site, page: Page) -> None:
    page.goto(site.replay("?t=40"))
    assert player(page, "p.textTracks[0].mode") == "disabled"  # captions are on by choice
    page.click("#captions-toggle")
    page.wait_for_function(
        "() => { const t = document.querySelector('#player track');"
        " return t.readyState === 2 || (t.track.cues && t.track.cues.length > 0); }",
        timeout=10000,
    )
    assert player(page, "p.textTracks[0].cues.length") > 10


def test_copy_link_reopens_at_the_same_second(site: Site, page: Page, browser: Browser) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    page.goto(site.replay())
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    player(page, "(p.currentTime = 150.4)")
    wait_for_time(page, 150.4, 0.2)
    page.click("#copy-link")
    expect(page.locator("#copy-status")).to_contain_text("copied")
    url = page.input_value("#moment-link")
    assert url == site.replay("?t=150")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    other = page.context.new_page()
    other.goto(url)
    assert abs(wait_for_time(other, 150) - 150) <= 1.0
    # The citation quotes the line playing at 150 s and links to where that quote starts.
    line = other.locator(".seg.current")
    line_start = int(float(line.get_attribute("data-start") or "nan"))
    citation = other.input_value("#cite-text")
    assert line.locator(".text").inner_text().strip() in citation
    assert citation.endswith(site.replay(f"?t={line_start}"))
    page.click("#copy-link")  # copying again cites the same line from the page that played it
    assert page.input_value("#cite-text") == citation


def test_hash_time_and_clip_end(site: Site, page: Page) -> None:
    page.goto(site.replay("#t=1m40s"))
    wait_for_time(page, 100)
    page.goto(site.replay("?t=100&end=102"))
    wait_for_time(page, 100)
    expect(page.locator(".seg.in-clip").first).to_be_visible()
    page.evaluate("() => { const p = document.getElementById('player'); p.muted = true; return p.play(); }")
    page.wait_for_function("() => document.getElementById('player').paused", timeout=10000)
    assert 101.5 <= float(player(page, "p.currentTime")) <= 103.0


def test_search_inside_the_transcript(site: Site, page: Page) -> None:
    page.goto(site.replay())
    page.fill("#tq", "pruning")
    expect(page.locator("#tq-status")).to_contain_text("match")
    count = page.locator("#transcript mark").count()
    assert count >= 2
    page.press("#tq", "Enter")
    expect(page.locator("#tq-status")).to_contain_text("Match 1 of")
    page.fill("#tq", "")
    expect(page.locator("#transcript mark")).to_have_count(0)


def test_replay_screenshots(site: Site, page: Page, browser: Browser) -> None:
    page.goto(site.replay("?t=121"))
    wait_for_time(page, 121)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replay.png"), full_page=False)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        mobile = phone.new_page()
        mobile.goto(site.replay("?t=121"))
        mobile.screenshot(path=str(ARTIFACTS / "replay-phone.png"), full_page=False)
        width = mobile.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, "the replay page scrolls sideways on a phone"
    finally:
        phone.close()


def test_search_page_works_without_javascript(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{site.base_url}/search")
        page.fill("#q", "pruning waste")
        page.press("#q", "Enter")  # a plain form submission
        page.wait_for_url("**/search?q=pruning+waste&mode=hybrid")  # the match mode is a form field too
        expect(page.locator(".hit").first).to_be_visible()
        page.locator(".facet a", has_text="Javier Gutiérrez").first.click()  # facets are links
        page.wait_for_url("**speaker=Javier*")
        expect(page.locator(".chip")).to_contain_text("Javier Gutiérrez")
        hit = page.locator(".hit").first
        said = float(hit.get_attribute("data-time") or "nan")  # when the first matched word is said
        page.screenshot(path=str(ARTIFACTS / "search-nojs.png"), full_page=True)
        hit.locator(".snippet a").click()
        page.wait_for_url(f"**/webinars/{site.slug}?t=*")
        # Without JavaScript the player's source carries the moment as a media fragment: the
        # link's second, which is a second or so before the words.
        t = int(page.url.split("t=")[1].split("&")[0])
        assert said - 3 <= t <= said
        src = page.get_attribute("#player", "src") or ""
        assert src.endswith(f"#t={t}")
        expect(page.locator("#transcript .seg.current")).to_have_count(1)
    finally:
        context.close()
