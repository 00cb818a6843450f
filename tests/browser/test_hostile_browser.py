"""The hostile corpus in Chromium: a webinar with markup and event attributes in every metadata
field (tests/integration/test_hostile_input.py) opened on the replay page, searched for as you
type, and played from its hostile line: no dialog opens, no script runs (the `page` fixture fails
on any console error, CSP violations included), and the text is shown as text."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.browser.serving import serve_app
from tests.integration.test_hostile_input import hostile, hostile_webinar
from tests.site_data import settings_for, store_and_index

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hostile_site(meili_server: MeiliConnection) -> Iterator[tuple[str, str]]:
    """(base URL, slug) of a server whose one webinar is the hostile corpus."""
    from tests.meili_server import delete_index

    index_uid = f"hostile_{uuid.uuid4().hex[:10]}"
    manifest, transcript = hostile_webinar()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp))
        slug = store_and_index(
            settings, transcript, manifest, "hostile.opus", connection=meili_server, index_uid=index_uid
        )
        app = create_app(
            settings,
            search=False,
            plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index_uid)],
        )
        try:
            with serve_app(app) as base_url:
                yield base_url, slug
        finally:
            delete_index(meili_server, index_uid)


def _no_dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page opens (each dismissed, so the test goes on)."""
    opened: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return opened


def test_the_replay_page_shows_markup_as_text_and_runs_none_of_it(
    hostile_site: tuple[str, str], page: Page
) -> None:
    base_url, slug = hostile_site
    dialogs = _no_dialogs(page)
    page.goto(f"{base_url}/webinars/{slug}")
    expect(page.locator("h1")).to_have_text(hostile("title"))
    for fold in page.locator("details[data-fold] > summary").all():
        fold.click()  # speakers, resources, chapters: every field on screen
    line = page.locator("#transcript .seg .text").filter(has_text="segment-marker")
    expect(line).to_have_text(hostile("segment"))
    line.click()  # seek to it: the player and the transcript's script handle the text
    page.wait_for_timeout(300)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script:not([type='application/ld+json'])").count() == 0
    assert dialogs == []


def test_searching_for_markup_as_you_type_runs_none_of_it(hostile_site: tuple[str, str], page: Page) -> None:
    base_url, _ = hostile_site
    dialogs = _no_dialogs(page)
    page.goto(f"{base_url}/search")
    page.locator("#q").fill('<script>alert("q")</script><img src=x onerror=alert("q")> shore power')
    expect(page.locator("#results")).to_contain_text("title-marker")  # the results came in
    facet = page.locator(".facets a").filter(has_text="speaker-marker").first
    facet.click()  # a facet link carrying the hostile speaker as a filter
    expect(page.locator("#results")).to_contain_text("title-marker")
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
