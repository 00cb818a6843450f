"""The replay page's marks on the cached transcript HTML: search hits, clip credits, fragments."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from server.web.replay import credit, embed_code, mark_hits, mark_lines, media_src

LINES = (
    '<p id="s1" class="seg" data-start="0.0"><a class="ts" href="?t=0">00:00</a> '
    '<span class="text">Shore power &amp; the &lt;grid&gt;, shore-side.</span></p>\n'
    '<p id="s2" class="seg q" data-start="5.0"><a class="ts" href="?t=5">00:05</a> '
    '<span class="text">Not this one: shore power again.</span></p>'
)


@dataclass
class Hit:
    segment_id: int
    highlight: str


def test_a_whole_highlight_replaces_the_line_text() -> None:
    html = mark_hits(
        Markup(LINES), [Hit(1, "<mark>Shore</mark> <mark>power</mark> &amp; the &lt;grid&gt;, shore-side.")]
    )
    assert isinstance(html, Markup)
    assert (
        '<p id="s1" class="seg hit" data-start="0.0"><a class="ts" href="?t=0">00:00</a> <span class="text">'
        "<mark>Shore</mark> <mark>power</mark> &amp; the &lt;grid&gt;, shore-side.</span></p>"
    ) in html
    assert '<p id="s2" class="seg q" data-start="5.0">' in html  # not a hit: untouched
    assert "<mark>" not in html[html.index('id="s2"') :]


def test_a_cropped_highlight_lends_its_marked_words() -> None:
    html = mark_hits(LINES, [Hit(1, "…the &lt;grid&gt;, <mark>shore</mark>-side")])
    line = html[: html.index('id="s2"')]
    assert "<mark>Shore</mark> power &amp; the &lt;grid&gt;, <mark>shore</mark>-side." in line


def test_a_highlight_cannot_smuggle_markup() -> None:
    html = mark_hits(LINES, [Hit(2, '<img src=x onerror="alert(1)"><mark>shore</mark>')])
    assert "<img" not in html
    assert "Not this one: <mark>shore</mark> power again." in html


def test_hits_and_current_line_combine() -> None:
    html = mark_hits(
        mark_lines(LINES, 2, {1, 2}), [Hit(2, "Not this one: <mark>shore</mark> power again."), Hit(9, "")]
    )
    assert '<p id="s2" class="seg hit current in-clip q"' in html
    assert '<p id="s1" class="seg in-clip"' in html


def test_credit_names_everyone() -> None:
    assert credit([]) == ""
    assert credit(["Ana"]) == "Ana"
    assert credit(["Ana", "Bo"]) == "Ana and Bo"
    assert credit(["Ana", "Bo", "Cy"]) == "Ana, Bo and Cy"


def test_media_fragments() -> None:
    assert media_src(None, 5, None) is None
    assert media_src("/media/a.opus", None, None) == "/media/a.opus"
    assert media_src("/media/a.opus", 12.9, None) == "/media/a.opus#t=12"
    assert media_src("/media/a.opus", 12.9, 15.2) == "/media/a.opus#t=12,16"
    assert media_src("/media/a.opus", None, 15.0) == "/media/a.opus#t=0,15"


def test_embed_code_escapes_the_title() -> None:
    code = embed_code("https://x.test/webinars/a/embed?t=1&end=5", 'A "quoted" <title>', video=False)
    assert code == (
        '<iframe src="https://x.test/webinars/a/embed?t=1&amp;end=5" width="640" height="200"'
        ' title="A &quot;quoted&quot; &lt;title&gt;" loading="lazy" allow="fullscreen"'
        ' style="border:0"></iframe>'
    )
    assert 'height="420"' in embed_code("/e", "t", video=True)
