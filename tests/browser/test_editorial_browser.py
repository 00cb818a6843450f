"""Staff take a webinar from its machine draft to published key messages and summary, and teach
the archive a name and apply it to the transcripts, in Chromium, without a terminal: what the
public replay page shows follows, and never an unreviewed draft."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import msgspec
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from ingest.document import Transcript, Word
from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.browser.serving import serve_app
from tests.factories import make_manifest, make_transcript
from tests.site_data import add_account, settings_for, store_and_index

pytestmark = [pytest.mark.browser, pytest.mark.meili]

EMAIL, PASSWORD = "editor@example.org", "a long editor password"
MISHEARD = "Welcome everyone to this Aggroceric webinar on circular procurement."


@dataclass
class Served:
    base_url: str
    slug: str


def _misheard() -> Transcript:
    """The factory's transcript with the project's name misheard in its first line."""
    transcript = make_transcript()
    first = transcript.segments[0]
    words = [Word(i * 0.4, i * 0.4 + 0.3, f" {t}", 0.9) for i, t in enumerate(MISHEARD.split())]
    segments = [msgspec.structs.replace(first, text=MISHEARD, words=words), *transcript.segments[1:]]
    return msgspec.structs.replace(transcript, segments=segments)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, meili_server: MeiliConnection) -> Iterator[Served]:
    from tests.meili_server import delete_index

    index = f"about_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path_factory.mktemp("editorial_browser"), development=True)
    add_account(settings, EMAIL, PASSWORD)
    with ThreadPoolExecutor(1) as pool:  # off this thread: Playwright's event loop runs on it
        slug = pool.submit(
            store_and_index,
            settings,
            _misheard(),
            make_manifest(),
            "circular.opus",
            connection=meili_server,
            index_uid=index,
        ).result()
    app = create_app(
        settings, search=False, plugins=[SearchPlugin(settings, connection=meili_server, index_uid=index)]
    )
    try:
        with serve_app(app) as base_url:
            yield Served(base_url, slug)
    finally:
        delete_index(meili_server, index)


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/staff/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/staff")


def test_staff_take_the_machine_draft_to_published_key_messages(
    served: Served, page: Page, browser: Browser
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    public = browser.new_page()  # a visitor, not signed in
    public.on("dialog", on_dialog)
    page.on("dialog", on_dialog)
    replay = f"{served.base_url}/webinars/{served.slug}"
    try:
        _sign_in(page, served.base_url)
        page.goto(replay)
        page.get_by_role("link", name="Summary and key messages").click()
        expect(page.get_by_role("heading", name="Summary and key messages")).to_be_visible()
        page.get_by_role("button", name="Extract a draft from the transcript").click()
        expect(page.get_by_role("status")).to_contain_text("A new draft was extracted")
        expect(page.locator(".draft-badge")).to_contain_text("Draft — not reviewed")
        drafted = page.locator(".draft-messages li").all_inner_texts()
        assert drafted

        public.goto(replay)  # the unreviewed draft is not shown to the public
        expect(public.locator(".key-messages")).to_have_count(0)
        expect(public.locator(".replay-header")).not_to_contain_text(drafted[0][:30])
        expect(public.locator("body")).not_to_contain_text("not reviewed")

        page.get_by_role("button", name="Accept the draft").click()
        expect(page.get_by_role("status")).to_contain_text("Saved")
        expect(page.locator(".draft-badge")).to_contain_text(f"Draft — accepted by {EMAIL}")
        public.reload()
        expect(public.locator(".key-messages li")).to_have_text(drafted)

        # Staff rewrite it in their words (hostile text stays text), and publish that.
        page.get_by_label("Key messages, one a line").fill(
            "**Reuse** beats price\n<script>alert(1)</script><img src=x onerror=alert(2)> buy refurbished"
        )
        page.get_by_label("Summary (Markdown)").fill("Small towns *can* buy reused goods.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("Saved")
        public.reload()
        messages = public.locator(".key-messages li")
        expect(messages).to_have_text(
            ["Reuse beats price", "<script>alert(1)</script><img src=x onerror=alert(2)> buy refurbished"]
        )
        expect(messages.first.locator("strong")).to_have_text("Reuse")
        expect(public.locator(".replay-header .summary em")).to_have_text("can")
        assert public.locator(".replay-header img, .replay-header script").count() == 0
    finally:
        public.close()
    assert dialogs == []


def test_staff_add_a_glossary_term_and_apply_it_to_the_transcripts(served: Served, page: Page) -> None:
    _sign_in(page, served.base_url)
    page.goto(f"{served.base_url}/staff/glossary")
    page.get_by_role("textbox", name="Term", exact=True).fill("AGROCIRC")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Added AGROCIRC.")
    row = page.get_by_role("row").filter(has_text="AGROCIRC")
    what = row.get_by_label("What the machine wrote, to replace with AGROCIRC")
    what.fill("Aggroceric")
    what.press("Enter")  # previewed first

    expect(page.get_by_role("heading", name="1 match")).to_be_visible()
    expect(page.locator(".matches li")).to_contain_text("Aggroceric")
    page.get_by_role("button", name="Replace the selected matches with “AGROCIRC”").click()
    expect(page.get_by_role("status")).to_contain_text("1 match replaced")

    page.goto(f"{served.base_url}/webinars/{served.slug}")
    expect(page.locator("#transcript .seg .text").first).to_have_text(
        "Welcome everyone to this AGROCIRC webinar on circular procurement."
    )
    hits = page.request.get(f"{served.base_url}/api/search?q=AGROCIRC&webinar={served.slug}").json()["hits"]
    assert [h["text"] for h in hits] == ["Welcome everyone to this AGROCIRC webinar on circular procurement."]
    page.goto(f"{served.base_url}/staff/glossary")  # the term stays taught to the next transcriptions
    expect(page.get_by_role("row").filter(has_text="AGROCIRC")).to_have_count(1)
