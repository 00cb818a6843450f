"""Moments in URLs (`?t=`, `&end=`) and the search highlight filter: the site's pure helpers."""

from __future__ import annotations

import pytest

from server.web.templating import safe_highlight
from server.web.timecode import TimecodeError, clock, iso_duration, parse_timecode


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("150", 150), ("150.5", 150.5), ("2m30s", 150), ("1h02m30s", 3750), ("1:02:30", 3750), ("02:30", 150),
     ("45s", 45), ("1h", 3600), ("0", 0)],
)  # fmt: skip
def test_timecodes(text: str, seconds: float) -> None:
    assert parse_timecode(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-5", "1:75:00", "1:02:60", "5x", "1e9", "99999999", "1h2h"])
def test_bad_timecodes(text: str) -> None:
    with pytest.raises(TimecodeError):
        parse_timecode(text)


def test_time_formats() -> None:
    assert clock(3750.9) == "1:02:30"
    assert clock(65) == "01:05"
    assert iso_duration(3750) == "PT1H2M30S"
    assert iso_duration(0) == "PT0S"


def test_highlight_filter_lets_only_mark_through() -> None:
    assert safe_highlight("a <mark>b</mark> &amp; c") == "a <mark>b</mark> &amp; c"
    assert safe_highlight('<mark><img src=x onerror="y"></mark>') == (
        "<mark>&lt;img src=x onerror=&#34;y&#34;&gt;</mark>"
    )
