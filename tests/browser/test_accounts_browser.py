"""Staff sign-in in Chromium: the form, a wrong password, the session cookie out of scripts'
reach, the CSRF token for scripts, signing out, and a draft the public cannot open or stream.

Uses the running site and Chromium of tests/browser/conftest.py (ARCHIVE_ENV=development there,
so the session cookie works over http://127.0.0.1). Pages that answer 401, 403 or 404 make
Chromium log a console error for the failed load, so these tests use a context of their own
rather than the `page` fixture, which fails on any console error.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import update
from sqlmodel import Session, select

from server.catalog.db import create_db_engine
from server.catalog.models import Webinar
from tests.browser.test_browser import ARTIFACTS, Site
from tests.site_data import add_account

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "editor@example.org", "a long staff password"


@pytest.fixture(scope="module")
def account(site: Site) -> str:
    assert site.settings is not None
    add_account(site.settings, EMAIL, PASSWORD, "staff")
    return EMAIL


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()


def test_sign_in_wrong_password_then_right_then_out(
    site: Site, account: str, context: BrowserContext
) -> None:
    page = context.new_page()
    response = page.goto(f"{site.base_url}/staff")
    assert response is not None
    assert response.status == 401  # the sign-in form, in place of the staff home
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()

    page.get_by_label("Email").fill(account)
    page.get_by_label("Password").fill("not my password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    expect(page.get_by_label("Email")).to_have_value(account)  # kept; the password is not

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base_url}/staff")
    expect(page.get_by_text(f"Signed in as {account}")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "staff-home.png"), full_page=True)

    # The session and CSRF cookies are HttpOnly: scripts see neither; they take the token
    # from the page's <meta> and send it as a header.
    assert "archive_session" not in page.evaluate("document.cookie")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["archive_session"]["httpOnly"]
    assert cookies["archive_session"]["sameSite"] == "Lax"
    statuses = page.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const without = await fetch('/staff/sign-out', {method: 'POST', redirect: 'manual'});
            const withToken = await fetch('/staff/users', {method: 'POST', headers: {'X-CSRFToken': token}});
            return [without.status, withToken.status];
        }"""
    )
    assert statuses == [403, 403]  # no token: refused; with it, the guard answers (staff, not admin)

    page.goto(site.replay())
    expect(page.get_by_role("link", name="Staff", exact=True)).to_be_visible()  # the header links it
    page.goto(f"{site.base_url}/staff")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.base_url}/")
    expect(page.get_by_role("link", name="Staff", exact=True)).to_have_count(0)
    response = page.goto(f"{site.base_url}/staff")
    assert response is not None
    assert response.status == 401


def test_a_draft_cannot_be_seen_or_streamed(site: Site, account: str, context: BrowserContext) -> None:
    assert site.settings is not None
    engine = create_db_engine(site.settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            webinar = session.exec(select(Webinar).where(Webinar.slug == site.slug)).one()
            webinar.published = False
            media_path = webinar.media_path
        page = context.new_page()
        response = page.goto(site.replay())
        assert response is not None
        assert response.status == 404
        home = page.goto(f"{site.base_url}/")
        assert home is not None
        expect(page.locator(f'a[href="/webinars/{site.slug}"]')).to_have_count(0)
        assert page.request.get(f"{site.base_url}/media/{media_path}").status == 404
        assert site.slug not in page.request.get(f"{site.base_url}/feed.xml").text()

        # Staff may play the draft's recording to check it before publishing.
        page.goto(f"{site.base_url}/staff/sign-in")
        page.get_by_label("Email").fill(account)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{site.base_url}/staff")
        streamed = page.request.get(f"{site.base_url}/media/{media_path}", headers={"range": "bytes=0-99"})
        assert streamed.status == 206
    finally:
        with Session(engine) as session, session.begin():
            session.execute(update(Webinar).where(Webinar.slug == site.slug).values(published=True))  # type: ignore[arg-type]
        engine.dispose()
