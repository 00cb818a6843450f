"""Staff's Markdown rendered sanitised (server/web/markdown.py): hostile text never becomes markup."""

from __future__ import annotations

import re

import pytest

from ingest.errors import InputError
from server.catalog.edits import check_key_messages, check_summary
from server.web.markdown import render_inline, render_markdown

HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" onclick="alert(2)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "[x](<javascript:alert(1)>)",
    "![x](https://tracker.example/p.gif)",
    "<div style='background:url(javascript:alert(1))'>y</div>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_is_text(text: str) -> None:
    for html in (str(render_markdown(text)), str(render_inline(text))):
        assert not re.search(r"<(script|img|iframe|svg|div|style)\b", html, re.IGNORECASE), html
        assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE), html
        tag_href = r"<a\b[^>]*href\s*=\s*[\"']?\s*(javascript|vbscript|data):"
        assert not re.search(tag_href, html, re.IGNORECASE), html


def test_markdown_keeps_what_staff_mean() -> None:
    html = str(render_markdown("**Shore power** cut *emissions*.\n\n- one\n- [guide](https://example.org/g)"))
    assert "<strong>Shore power</strong>" in html
    assert "<em>emissions</em>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://example.org/g" rel="nofollow noopener noreferrer">guide</a>' in html
    assert str(render_inline("A *key* message")) == "A <em>key</em> message"
    assert str(render_markdown(None)) == ""
    assert str(render_inline("   ")) == ""


def test_key_messages_and_summary_are_trimmed_and_bounded() -> None:
    assert check_key_messages(["- one ", "", "* two", "  three"]) == ["one", "two", "three"]
    assert check_key_messages(None) == []
    assert check_summary("  \n ") is None
    with pytest.raises(InputError):
        check_key_messages(["x"] * 21)
    with pytest.raises(InputError):
        check_key_messages(["x" * 1001])
    with pytest.raises(InputError):
        check_summary("x" * 20_001)
