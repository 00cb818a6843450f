"""The replay page on every screen, in a real Chromium: the sticky player and folds on a phone,
skip links, captions that name the speaker, clips, the embed code, search matches and ticks.

The server, the demo webinar and the browser are test_browser.py's fixtures (see conftest.py).
Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_browser import ARTIFACTS, Site, player, wait_for_time

pytestmark = pytest.mark.browser
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    try:
        yield context
    finally:
        context.close()


def box(page: Page, selector: str) -> dict[str, float]:
    """The element's box relative to the viewport (getBoundingClientRect)."""
    result: dict[str, float] = page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}; }",
        selector,
    )
    return result


def play_muted(page: Page) -> None:
    page.evaluate("() => { const p = document.getElementById('player'); p.muted = true; return p.play(); }")


def test_phone_keeps_the_player_on_top_of_the_transcript(site: Site, phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto(site.replay("?t=121"))
    wait_for_time(page, 121)
    # The transcript comes right after the player; sharing, speakers and resources follow, folded.
    player_box, transcript = box(page, "#player-box"), box(page, "#transcript-section")
    assert 0 <= transcript["top"] - player_box["bottom"] < 40
    assert player_box["right"] - player_box["left"] >= 390 - 2 * 16 - 1  # the width of the page
    assert box(page, "#share")["top"] > box(page, "#transcript")["bottom"]
    folds = page.evaluate("() => [...document.querySelectorAll('details[data-fold]')].map(d => d.open)")
    assert len(folds) == 4
    assert not any(folds)
    expect(page.locator("#cite-text")).to_be_hidden()
    page.locator("#share > summary").click()  # a tap opens a fold
    expect(page.locator("#cite-text")).to_be_visible()
    # Scrolled down to the transcript, the player stays at the top, and the transcript fills the
    # screen under it, its current line in view.
    page.evaluate(
        "() => window.scrollTo(0, document.getElementById('transcript').getBoundingClientRect().top"
        " + window.scrollY - document.getElementById('player-box').offsetHeight)"
    )
    page.wait_for_timeout(200)
    player_box, lines = box(page, "#player-box"), box(page, "#transcript")
    assert abs(player_box["top"]) <= 1
    assert player_box["bottom"] <= lines["top"] + 1
    assert lines["bottom"] <= 844 + 1
    current = box(page, ".seg.current")
    assert lines["top"] <= current["top"]
    assert current["bottom"] <= lines["bottom"]
    page.screenshot(path=str(ARTIFACTS / "replay-phone-transcript.png"))
    page.mouse.wheel(0, 1500)  # scrolling the transcript (and the page past it) keeps the player
    page.wait_for_timeout(300)
    assert abs(box(page, "#player-box")["top"]) <= 1
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(200)
    assert abs(box(page, "#player-box")["top"]) <= 1  # all the way down to the Q&A
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_wide_screen_opens_the_folds(site: Site, page: Page) -> None:
    page.goto(site.replay("?t=121"))
    folds = page.evaluate("() => [...document.querySelectorAll('details[data-fold]')].map(d => d.open)")
    assert folds == [True] * 4
    expect(page.locator("#cite-text")).to_be_visible()
    # Player on the left with the sharing tools under it, the transcript on the right.
    assert box(page, "#transcript")["left"] > box(page, "#player-box")["right"]
    assert box(page, "#share")["top"] > box(page, "#player-box")["bottom"]


def test_wide_screen_without_javascript_shows_the_folds(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.replay("?t=121"))
        expect(page.locator("#cite-text")).to_be_visible()
        expect(page.locator("#chapters")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("screen", [{"viewport": {"width": 1280, "height": 900}}, PHONE])
def test_keyboard_reaches_the_transcript_in_a_few_tab_stops(
    site: Site, browser: Browser, screen: dict[str, Any]
) -> None:
    context = browser.new_context(**screen)
    try:
        page = context.new_page()
        page.goto(site.replay("?t=121"))
        page.locator("body").focus()
        stops = 0
        for stops in range(1, 6):  # noqa: B007  (read after the loop)
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to transcript":
                break
        else:
            pytest.fail("no 'Skip to transcript' link within 5 tab stops")
        expect(page.locator(".skip-link:focus")).to_be_visible()  # shown when focused
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "transcript"
        # In view, and on a phone not hidden behind the sticky player.
        assert box(page, "#transcript")["top"] >= box(page, "#player-box")["bottom"] - 1
        assert box(page, "#transcript")["top"] < screen["viewport"]["height"]
        page.keyboard.press("Tab")  # the next stop is in the transcript: its first turn
        assert page.evaluate("() => document.activeElement.closest('#transcript .turn') !== null")
        assert stops + 2 <= 5
        # The second skip link goes to the player.
        page.goto(site.replay())
        page.locator("body").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to player"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "player-box"
    finally:
        context.close()


def test_search_page_on_a_phone_shows_results_first_and_filters_in_a_drawer(
    site: Site, browser: Browser
) -> None:
    for javascript in (False, True):
        context = browser.new_context(java_script_enabled=javascript, **PHONE)
        try:
            page = context.new_page()
            page.goto(f"{site.base_url}/search?q=pruning+waste")
            drawer = page.locator(".filters-drawer")
            expect(drawer.locator("> summary")).to_contain_text("Filters")
            expect(page.locator(".facet a").first).to_be_hidden()
            first_hit = page.locator(".hit").first
            expect(first_hit).to_be_visible()
            assert first_hit.bounding_box()["y"] < 844  # type: ignore[index]  # results on the first screen
            if not javascript:
                page.screenshot(path=str(ARTIFACTS / "search-phone-nojs.png"), full_page=True)
            drawer.locator("> summary").click()
            expect(page.locator(".facet a").first).to_be_visible()
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        finally:
            context.close()


def test_captions_name_the_speaker_as_text(site: Site, page: Page) -> None:
    page.goto(site.replay("?t=122"))
    wait_for_time(page, 122)
    page.click("#captions-toggle")
    page.wait_for_function(
        "() => { const t = document.getElementById('player').textTracks[0];"
        " return t.cues && t.cues.length > 10; }",
        timeout=10000,
    )
    assert player(page, "[...p.textTracks[0].cues].filter(c => c.text.includes('<')).length") == 0
    play_muted(page)
    line = page.locator(".caption-line")
    expect(line).to_contain_text("Javier Gutiérrez: ", timeout=10000)
    player(page, "p.pause()")
    assert "<" not in line.inner_text()


def test_caption_and_transcript_downloads_are_linked(site: Site, page: Page) -> None:
    page.goto(site.replay())
    links = page.locator(".downloads a")
    expect(links).to_have_count(4)
    with page.expect_download() as download_info:
        links.filter(has_text="text").click()
    download = download_info.value
    assert download.suggested_filename == f"{site.slug}.txt"
    text = download.path().read_text(encoding="utf-8")
    assert "] Javier Gutiérrez\n" in text
    with page.expect_download() as download_info:
        links.filter(has_text="WebVTT").click()
    assert download_info.value.suggested_filename == f"{site.slug}.vtt"


def test_clip_keeps_its_end_in_link_citation_and_address(site: Site, page: Page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    page.goto(site.replay("?t=105&end=109"))
    wait_for_time(page, 105)
    clip_url = site.replay("?t=105&end=109")
    assert page.input_value("#moment-link") == clip_url
    citation = page.input_value("#cite-text")
    assert citation.startswith("“How did you convince the shipping companies")
    assert "That was the key question for us.”" in citation  # every line of the clip
    assert "” Karen Højgaard and Marek Wójcik, in “" in citation  # every speaker in it
    assert citation.endswith(clip_url)
    play_muted(page)
    page.wait_for_function("() => document.getElementById('player').paused", timeout=15000)
    assert 108.5 <= float(player(page, "p.currentTime")) <= 110.0
    assert page.url == clip_url  # the address keeps the clip after it stopped
    assert page.input_value("#moment-link") == clip_url
    assert page.input_value("#cite-text") == citation
    expect(page.locator("#copy-link")).to_have_text("Copy link to the clip")
    page.click("#copy-link")
    assert page.evaluate("() => navigator.clipboard.readText()") == clip_url
    # Seeking elsewhere leaves the clip: the tools follow the player again.
    line = page.locator("#transcript .seg").nth(30)
    start = float(line.get_attribute("data-start") or "nan")
    line.locator(".text").click()
    wait_for_time(page, start, 0.5)
    assert page.url == site.replay(f"?t={int(start)}")
    assert page.input_value("#moment-link") == site.replay(f"?t={int(start)}")
    expect(page.locator("#copy-link")).to_have_text("Copy link to the current moment")


def test_clip_from_the_address_hash(site: Site, page: Page) -> None:
    page.goto(site.replay("#t=105&end=109"))
    wait_for_time(page, 105)
    assert page.input_value("#moment-link") == site.replay("?t=105&end=109")
    assert "Karen Højgaard and Marek Wójcik" in page.input_value("#cite-text")


def test_clip_without_javascript_plays_a_media_fragment(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.replay("?t=105&end=109"))
        src = page.get_attribute("#player", "src") or ""
        assert src.endswith("#t=105,109")
        assert page.input_value("#moment-link") == site.replay("?t=105&end=109")
        assert "Karen Højgaard and Marek Wójcik" in page.input_value("#cite-text")
    finally:
        context.close()


def test_embed_code_follows_the_moment_and_copies(site: Site, page: Page, browser: Browser) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base_url)
    page.goto(site.replay("?t=150"))
    wait_for_time(page, 150)
    embed_url = f"{site.base_url}/webinars/{site.slug}/embed"
    code = page.input_value("#embed-code")
    assert code.startswith(f'<iframe src="{embed_url}?t=150" width="640" height="200" title="')
    assert code.endswith("></iframe>")
    line = page.locator("#transcript .seg").nth(40)
    start = float(line.get_attribute("data-start") or "nan")
    line.locator(".text").click()
    wait_for_time(page, start, 0.5)
    # Paused, so the moment stays put while the code is copied (playing, it follows every second).
    page.evaluate("() => document.getElementById('player').pause()")
    second = int(page.url.split("t=")[1].split("&")[0])
    assert int(start) <= second <= int(start) + 2
    page.click("#copy-embed")
    expect(page.locator("#copy-status")).to_contain_text("Embed code copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == page.input_value("#embed-code")
    assert f'src="{embed_url}?t={second}"' in copied
    # The code works: the embedded player starts there.
    frame_page = page.context.new_page()
    frame_page.goto(f"{site.base_url}/webinars/{site.slug}/embed?t={second}")
    assert abs(wait_for_time(frame_page, second) - second) <= 1.0


def test_search_hits_marked_with_ticks_on_the_timeline(site: Site, page: Page) -> None:
    page.goto(site.replay("?t=62&q=shore+power"))
    wait_for_time(page, 62)
    hits = page.locator("#transcript .seg.hit")
    expect(hits.first).to_be_visible()
    count = hits.count()
    assert count >= 4
    for i in range(count):
        assert "shore" in " ".join(hits.nth(i).locator("mark").all_inner_texts()).lower()
    ticks = page.locator("#tl-hits .tl-hit")
    expect(ticks).to_have_count(count)
    duration = float(page.get_attribute("#timeline", "data-duration") or "nan")
    for i in range(count):
        time = float(ticks.nth(i).get_attribute("data-seek") or "nan")
        x = ticks.nth(i).locator(".tl-hit-mark").get_attribute("x") or ""
        assert x.endswith("%")
        assert abs(float(x[:-1]) - 100 * time / duration) < 0.01
    # The page opened at the hit: its line is current and in view.
    current = page.locator(".seg.current")
    assert "hit" in (current.get_attribute("class") or "")
    in_view = page.evaluate(
        "() => { const box = document.getElementById('transcript').getBoundingClientRect();"
        " const seg = document.querySelector('.seg.current').getBoundingClientRect();"
        " return seg.top >= box.top && seg.bottom <= box.bottom; }"
    )
    assert in_view
    expect(page.locator("#tq")).to_have_value("shore power")
    # A tick seeks the player to its match.
    last = ticks.nth(count - 1)
    target = float(last.get_attribute("data-seek") or "nan")
    last.click()
    wait_for_time(page, target, 0.5)
    page.screenshot(path=str(ARTIFACTS / "replay-hits.png"))


def test_transcript_search_is_typo_tolerant(site: Site, page: Page) -> None:
    page.goto(site.replay())
    page.fill("#tq", "prunning")  # a typo: the index still finds "pruning"
    expect(page.locator("#tq-status")).to_contain_text("match")
    marks = page.locator("#transcript .seg.hit mark")
    expect(marks.first).to_be_visible()
    assert "pruning" in {m.lower() for m in marks.all_inner_texts()}
    ticks = page.locator("#tl-hits .tl-hit")
    expect(ticks).to_have_count(page.locator("#transcript .seg.hit").count())
    page.press("#tq", "Enter")
    expect(page.locator("#tq-status")).to_contain_text("Match 1 of")
    page.fill("#tq", "")
    expect(page.locator("#transcript mark")).to_have_count(0)
    expect(ticks).to_have_count(0)


def test_replay_screenshots_every_screen(site: Site, browser: Browser, phone: BrowserContext) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name, context in (
        ("wide", browser.new_context(viewport={"width": 1280, "height": 900})),
        ("phone", phone),
    ):
        page = context.new_page()
        page.goto(site.replay("?t=62&q=shore+power"))
        wait_for_time(page, 62)
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / f"replay-{name}-q.png"))
        page.screenshot(path=str(ARTIFACTS / f"replay-{name}-full.png"), full_page=True)
        width = 1280 if name == "wide" else 390
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        if name == "wide":
            context.close()


def test_transcript_search_without_javascript_reloads_with_q(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.replay("?t=30"))
        page.fill("#tq", "shore power")
        page.press("#tq", "Enter")
        page.wait_for_url("**?q=shore+power")
        hits = page.locator("#transcript .seg.hit")
        assert hits.count() >= 4
        expect(hits.first.locator("mark").first).to_have_text("Shore", ignore_case=True)
        expect(page.locator("#tl-hits .tl-hit")).to_have_count(hits.count())
        expect(page.locator("#tq-status")).to_contain_text("lines match")
        page.locator("#tl-hits .tl-hit").first.click()  # a tick is a link to its moment
        page.wait_for_url("**?t=*&q=*")
        expect(page.locator("#transcript .seg.current.hit")).to_have_count(1)
    finally:
        context.close()
