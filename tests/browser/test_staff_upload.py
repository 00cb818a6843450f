"""A member of staff takes a recording from their computer to a published, searchable webinar,
in Chromium, without a terminal: sign in, fill in the upload form, the recording goes up in
resumable chunks (tus-js-client; the first chunk's connection is dropped on purpose and the
upload resumes), the job page follows a real worker process to the end, publish, and the
public finds it. A file that is not a recording is refused next to its field, and nothing is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy import text

from server.app import create_app
from server.catalog.db import create_db_engine
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.browser.serving import serve_app
from tests.browser.test_browser import ARTIFACTS
from tests.jobs_harness import RECORDING, JobEnv, Worker, make_env
from tests.site_data import add_account

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMAIL, PASSWORD = "uploader@example.org", "a long staff password"
AGENDA = (
    "In order to facilitate the navigation through the webinar, we present you with a short "
    "overview of timing:\n00:00 - Welcome by Elena Marchetti\n00:11 - Graham Whitfield on the "
    "EXPORTA consortium\n(times are approximate)"
)


class Served:
    def __init__(self, env: JobEnv, base_url: str) -> None:
        self.env = env
        self.base_url = base_url

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        engine = create_db_engine(self.env.settings.storage.database_url)
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(text(sql))]
        finally:
            engine.dispose()


@pytest.fixture
def served(tmp_path: Path, meili_server: MeiliConnection) -> Iterator[Served]:
    """The site (uvicorn in a thread) and one real worker process, on a catalogue of their own."""
    from tests.meili_server import delete_index

    index = f"upload_{uuid.uuid4().hex[:10]}"
    env = make_env(tmp_path, meili_server, index)
    add_account(env.settings, EMAIL, PASSWORD, "staff")
    settings = env.settings
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index)]
    )
    worker: Worker | None = None
    try:
        with serve_app(app) as base_url:
            worker = Worker(env)
            yield Served(env, base_url)
    finally:
        if worker is not None:
            worker.stop()
        delete_index(meili_server, index)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        yield context
    finally:
        context.close()


def _sign_in(page: Page, served: Served) -> None:
    page.goto(f"{served.base_url}/staff/upload")  # 401: the sign-in form, coming back here after
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Upload a recording")).to_be_visible()


def test_upload_in_the_browser_to_a_published_searchable_webinar(
    served: Served, context: BrowserContext
) -> None:
    page = context.new_page()
    _sign_in(page, served)
    page.get_by_label("Title", exact=True).fill("EXPORTA: selling regional food abroad together")
    page.get_by_label("Date").fill("2024-05-14")
    page.get_by_label("Spoken language").fill("en")
    page.get_by_label("Topics").fill("export consortium, small food producers")
    page.get_by_label("Speaker 1: name").fill("Elena Marchetti")
    page.get_by_label("Speaker 1: role").fill("moderator")
    page.get_by_label("Speaker 2: name").fill("Graham Whitfield")
    page.get_by_label("Speaker 2: affiliation").fill("Kent County Council")
    page.get_by_label("Paste the agenda").fill(AGENDA)
    page.get_by_label("Resource 1: title").fill("EXPORTA report")
    page.get_by_label("Resource 1: web address").fill("https://example.org/exporta/report")
    page.set_input_files("#recording", str(RECORDING))

    # The first chunk's connection drops: tus-js-client asks where the upload stands and resumes.
    dropped: list[str] = []

    def drop_once(route: Route) -> None:
        if route.request.method == "PATCH" and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/uploads/**", drop_once)
    page.get_by_role("button", name="Upload and process").click()
    page.wait_for_url("**/staff/jobs/*", timeout=30_000)
    assert dropped, "the test meant to drop a chunk's connection"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "job-running.png"), full_page=True)

    # The job page follows the worker live, to the end.
    expect(page.locator("[data-job-state]")).to_have_text("succeeded", timeout=240_000)
    expect(page.locator("[data-job-percent]")).to_have_text("100%")
    webinar = page.locator("[data-job-webinar]")
    expect(webinar).to_be_visible()
    slug = served.rows("SELECT slug FROM webinar")[0][0]
    assert served.rows("SELECT published FROM webinar") == [(0,)]  # a draft until published

    # Publish from the job page; the public then finds what was said.
    webinar.get_by_role("button", name="Publish").click()
    expect(page.locator("[data-job-webinar]")).to_contain_text("Published")
    public = context.browser.new_context() if context.browser else None
    assert public is not None
    try:
        visitor = public.new_page()
        visitor.goto(f"{served.base_url}/search?q=smoked+paprika")
        hit = visitor.locator(".hit").first
        expect(hit).to_be_visible(timeout=15_000)
        assert f"/webinars/{slug}?t=" in (hit.locator(".snippet a").get_attribute("href") or "")
    finally:
        public.close()
    # One recording kept, in the media folder; no upload left behind.
    media = [p.name for p in served.env.settings.storage.media_dir.iterdir()]
    assert len(media) == 1
    uploads = served.env.settings.storage.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_file_that_is_not_a_recording_is_refused_next_to_its_field(
    served: Served, context: BrowserContext, tmp_path: Path
) -> None:
    page = context.new_page()
    _sign_in(page, served)
    fake = tmp_path / "slides.mp3"
    fake.write_bytes(b"%PDF-1.4 these are slides, not audio\n" * 200)
    page.get_by_label("Title", exact=True).fill("Not a recording")
    page.set_input_files("#recording", str(fake))
    page.get_by_role("button", name="Upload and process").click()
    error = page.locator("#recording-error")
    expect(error).to_be_visible(timeout=30_000)
    assert page.get_by_label("Title", exact=True).input_value() == "Not a recording"  # the form is kept
    assert served.rows("SELECT count(*) FROM webinar") == [(0,)]
    assert served.rows("SELECT count(*) FROM processing_job") == [(0,)]
    assert list(served.env.settings.storage.media_dir.iterdir()) == []
    uploads = served.env.settings.storage.data_dir / "uploads"
    assert not uploads.exists() or not any(p.suffix == ".part" for p in uploads.iterdir())
