"""The search page in a real Chromium: every moment of a webinar, in place or on its own page.

The server, the demo webinar and the browser are test_browser.py's fixtures (see conftest.py).
"shore power" is said in five lines of the demo: a group shows three and offers the other two.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_browser import Site

pytestmark = pytest.mark.browser


def test_more_moments_expand_in_place(site: Site, page: Page) -> None:
    page.goto(f"{site.base_url}/search?q=shore+power")
    group = page.locator("li.group").first
    expect(group.locator(".hit")).to_have_count(3)
    more = group.locator("a.more-moments")
    expect(more).to_have_text("2 more in this webinar")
    address = page.url
    more.click()
    expect(group.locator(".hit")).to_have_count(5)
    expect(group.locator("a.more-moments")).to_have_count(0)
    assert page.url == address  # expanded where the user is, not a new page
    times = [float(t) for t in group.locator(".hit").evaluate_all("els => els.map(e => e.dataset.time)")]
    assert len(set(times)) == 5


def test_more_moments_is_a_plain_link_without_javascript(site: Site, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site.base_url}/search?q=shore+power")
        page.locator("a.more-moments").first.click()
        page.wait_for_url(f"**/search?q=shore+power&webinar={site.slug}")
        expect(page.locator("#result-count")).to_contain_text("5 matching moments in this webinar")
        expect(page.locator(".hit")).to_have_count(5)
    finally:
        context.close()


def test_webinar_matching_by_its_topics_only_is_listed_without_flooding(site: Site, page: Page) -> None:
    # "circular economy" is one of the demo's topics and never said in it: the webinar is listed
    # (its topics match), with no moment marked as a hit.
    page.goto(f"{site.base_url}/search?q=circular+economy")
    group = page.locator("li.group")
    expect(group).to_have_count(1)
    expect(group.locator(".matched")).to_contain_text("topics")
    expect(group.locator(".hit")).to_have_count(0)


def test_a_question_in_other_words_lands_on_the_moment_that_answers_it(site: Site, page: Page) -> None:
    # Said at 110.3 s: "We offered a discount on port fees for every ship that connects to shore
    # power during its stay." No line says "cheaper" or "charges": the words match nothing, the
    # meaning does, and the hit opens its segment (which starts a line or two earlier).
    page.goto(f"{site.base_url}/search")
    page.fill("#q", "cheaper harbour charges for ships that connect")
    expect(page.locator("#by-meaning")).to_contain_text("close in meaning", timeout=10000)
    first_hit = page.locator(".hit").first
    expect(first_hit).to_contain_text("port fees")
    first_hit.locator(".snippet a").click()
    page.wait_for_url(re.compile(rf"/webinars/{site.slug}\?t=1(0[0-9]|1[0-2])\b"))
    expect(page.locator(".seg.current")).to_contain_text("port fees")
    # The same question asked by its words only finds nothing.
    page.goto(f"{site.base_url}/search?q=cheaper+harbour+charges+for+ships+that+connect&mode=keyword")
    expect(page.locator(".hit")).to_have_count(0)
    expect(page.locator("#mode")).to_have_value("keyword")
