"""Staff correct a transcript on the replay page in Chromium, keyboard first: edit a line,
Enter saves it and moves to the next, Alt+P plays the line; the edit is searchable at once,
shown in the webinar's history page and reverted there; hostile text stays text."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from server.app import create_app
from server.search.api import SearchPlugin
from server.search.process import MeiliConnection
from tests.browser.serving import serve_app
from tests.factories import make_manifest, make_transcript
from tests.site_data import add_account, settings_for, store_and_index

pytestmark = [pytest.mark.browser, pytest.mark.meili]

EMAIL, PASSWORD = "corrector@example.org", "a long corrector password"


@dataclass
class Served:
    base_url: str
    slug: str


@pytest.fixture
def served(tmp_path: Path, meili_server: MeiliConnection) -> Iterator[Served]:
    from tests.meili_server import delete_index

    index = f"edit_{uuid.uuid4().hex[:10]}"
    settings = settings_for(tmp_path, development=True)
    add_account(settings, EMAIL, PASSWORD)
    with ThreadPoolExecutor(1) as pool:  # off this thread: Playwright's event loop runs on it
        slug = pool.submit(
            store_and_index,
            settings,
            make_transcript(),
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


def test_staff_edit_lines_by_keyboard_and_revert_from_the_history(served: Served, page: Page) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{served.base_url}/staff/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.base_url}/staff")

    page.goto(f"{served.base_url}/webinars/{served.slug}")
    page.get_by_role("button", name="Edit the transcript").click()
    lines = page.locator("#transcript .seg .text")
    first, second = lines.nth(0), lines.nth(1)
    expect(first).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Welcome everyone to this Zorblax webinar on circular procurement.")
    page.keyboard.press("Enter")
    expect(page.locator("#edit-status")).to_contain_text("Saved the line at 00:00")
    expect(second).to_be_focused()
    expect(first).to_have_text("Welcome everyone to this Zorblax webinar on circular procurement.")

    page.keyboard.press("Alt+P")  # plays the focused line from its start
    start = float(page.locator("#transcript .seg").nth(1).get_attribute("data-start") or "nan")
    page.wait_for_function("() => !document.getElementById('player').paused")
    played = page.evaluate("document.getElementById('player').currentTime")
    assert start <= played < start + 3

    page.keyboard.press("Control+A")  # hostile text, typed in: stored and shown as text
    page.keyboard.type("We buy <img src=x onerror=alert(1)> refurbished furniture.")
    page.keyboard.press("Escape")  # put back
    expect(second).to_have_text("Small municipalities can buy refurbished furniture & save money.")
    page.keyboard.press("Control+A")
    page.keyboard.type("We buy <img src=x onerror=alert(1)> refurbished furniture.")
    page.keyboard.press("Enter")
    expect(page.locator("#edit-status")).to_contain_text("Saved the line at 00:04")

    hits = page.request.get(f"{served.base_url}/api/search?q=zorblax&webinar={served.slug}").json()["hits"]
    assert [h["text"] for h in hits] == ["Welcome everyone to this Zorblax webinar on circular procurement."]

    page.reload()  # the page is rebuilt from the catalogue: the edits are there, as text
    expect(lines.nth(1)).to_have_text("We buy <img src=x onerror=alert(1)> refurbished furniture.")
    assert page.locator("#transcript img").count() == 0

    page.get_by_role("link", name="Edit history").click()
    expect(page.get_by_role("heading", name="Edit history")).to_be_visible()
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("Zorblax")
    rows.nth(1).get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("reverted")
    expect(rows).to_have_count(3)
    hits = page.request.get(f"{served.base_url}/api/search?q=zorblax&webinar={served.slug}").json()["hits"]
    assert hits == []
    page.goto(f"{served.base_url}/webinars/{served.slug}")
    expect(lines.nth(0)).to_have_text("Welcome everyone to this webinar on circular procurement.")
    assert dialogs == []


def test_staff_split_merge_and_change_kind_by_keyboard(served: Served, page: Page) -> None:
    page.goto(f"{served.base_url}/staff/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.base_url}/staff")
    page.goto(f"{served.base_url}/webinars/{served.slug}")
    page.get_by_role("button", name="Edit the transcript").click()
    lines = page.locator("#transcript .seg .text")
    expect(lines).to_have_count(5)
    question = lines.nth(2)  # "How do you write the tender criteria?"
    question.focus()
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("Control+ArrowRight")
    page.keyboard.press("Alt+S")  # split after "How do you"
    expect(lines).to_have_count(6)
    expect(lines.nth(2)).to_have_text("How do you")
    expect(lines.nth(3)).to_have_text("write the tender criteria?")
    expect(lines.nth(3)).to_be_focused()  # the page came back in edit mode, on the new line
    captions = page.request.get(f"{served.base_url}/webinars/{served.slug}/captions.vtt").text()
    assert "00:00:14.000 --> " in captions  # "write" is said at 14.0 s: its cue starts there

    lines.nth(2).focus()
    page.keyboard.press("Alt+M")
    expect(lines).to_have_count(5)
    expect(lines.nth(2)).to_have_text("How do you write the tender criteria?")

    lines.nth(4).focus()
    page.keyboard.press("Alt+K")  # "other" -> the next kind round the list: "intro"
    expect(page.locator("#edit-status")).to_contain_text("is now: intro")

    expect(page.locator("#transcript .turn").first).to_have_attribute(
        "aria-label", re.compile("^Maria Jensen")
    )
    lines.nth(0).focus()
    page.keyboard.press("Alt+V")
    speaker = page.get_by_label(re.compile("Who says the line at 00:00"))
    expect(speaker).to_be_focused()
    speaker.fill("Tomasz Nowak")
    page.keyboard.press("Enter")
    expect(page.locator("#transcript .turn").first).to_have_attribute(
        "aria-label", re.compile("^Tomasz Nowak")
    )
    expect(lines.nth(0)).to_be_focused()

    # The question was asked in German: Alt+L says so, and the line is marked up as German.
    lines.nth(2).focus()
    page.keyboard.press("Alt+L")
    language = page.get_by_label(re.compile("Language of the line at 00:12"))
    expect(language).to_be_focused()
    language.fill("de")
    page.keyboard.press("Enter")
    question = page.locator("#transcript .seg").nth(2)
    expect(question).to_have_attribute("lang", "de")
    expect(question.locator(".lang")).to_have_text("DE")

    history = page.request.get(f"{served.base_url}/api/webinars/{served.slug}/history").json()["items"]
    assert [e["field"] for e in history] == [
        "segment.language",
        "segment.speaker",
        "segment.kind",
        "segment.merge",
        "segment.split",
    ]
    assert (history[0]["before"], history[0]["after"]) == (None, "de")
    assert (history[1]["before"], history[1]["after"]) == ("Maria Jensen", "Tomasz Nowak")


def test_staff_pair_and_unpair_a_question_and_its_answer_by_keyboard(
    served: Served, page: Page, browser: Browser
) -> None:
    page.goto(f"{served.base_url}/staff/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{served.base_url}/staff")
    page.goto(f"{served.base_url}/webinars/{served.slug}")
    segs = page.locator("#transcript .seg")
    question, answer, closing = segs.nth(2), segs.nth(3), segs.nth(4)
    question_id = (question.get_attribute("id") or "")[1:]
    # The structure stage's pair, shown both ways on the public page.
    expect(answer.get_by_role("link", name="answers the question at 00:12")).to_be_visible()
    expect(question.get_by_role("link", name="answered at 00:15")).to_be_visible()

    page.get_by_role("button", name="Edit the transcript").click()
    lines = page.locator("#transcript .seg .text")
    lines.nth(3).focus()
    page.keyboard.press("Alt+A")
    which = page.get_by_label("Which question does the line at 00:15 answer?")
    expect(which).to_be_focused()
    expect(which).to_have_value(question_id)
    which.select_option(label="None (not paired)")
    page.keyboard.press("Enter")
    expect(answer.locator("a.qa-pair")).to_have_count(0)
    expect(question.locator("a.qa-pair")).to_have_count(0)
    expect(lines.nth(3)).to_be_focused()  # back in edit mode, on the line

    lines.nth(4).focus()  # "Thank you all for joining.", not an answer: pairing makes it one
    page.keyboard.press("Alt+A")
    which = page.get_by_label("Which question does the line at 00:21 answer?")
    expect(which).to_have_value(question_id)
    page.keyboard.press("Escape")  # left as it was
    expect(lines.nth(4)).to_be_focused()
    expect(which).to_have_count(0)
    page.keyboard.press("Alt+A")
    page.keyboard.press("Enter")  # the question just before it
    expect(closing.get_by_role("link", name="answers the question at 00:12")).to_be_visible()
    expect(question.get_by_role("link", name="answered at 00:21")).to_be_visible()
    expect(closing).to_have_attribute("data-kind", "answer")
    closing.get_by_role("link", name="answers the question at 00:12").click()
    expect(question).to_have_class(re.compile(r"\bcurrent\b"))  # the link goes to the question

    history = page.request.get(f"{served.base_url}/api/webinars/{served.slug}/history").json()["items"]
    assert [e["field"] for e in history] == ["segment.answers", "segment.kind", "segment.answers"]
    anonymous = browser.new_page()  # the public sees the pair too
    try:
        anonymous.goto(f"{served.base_url}/webinars/{served.slug}")
        public = anonymous.locator("#transcript .seg").nth(4).locator("a.qa-pair")
        expect(public).to_have_text("answers the question at 00:12")
        expect(anonymous.get_by_role("button", name="Edit the transcript")).to_have_count(0)
    finally:
        anonymous.close()
