"""Moments in URLs: parsing `?t=` / `&end=` and formatting times for people and machines.

A link may say `?t=150`, `?t=150.5`, `?t=2m30s`, `?t=1h02m30s` or `?t=1:02:30` (what
people paste from YouTube-style links and from timestamps they read on the page). Anything else
is refused with a message, so the page can answer 400 instead of silently starting at 0:00.
`static/js/replay.js` accepts the same forms in `#t=`.
"""

from __future__ import annotations

import math
import re
from typing import Final

from ingest.errors import InputError

_UNITS: Final = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?$")
_CLOCK: Final = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")
MAX_SECONDS: Final = 7 * 24 * 3600.0
"""No recording is a week long: a larger value is a typo, not a moment."""


class TimecodeError(InputError):
    """A `t` or `end` value that is not a time; the message is shown on the 400 page."""


def parse_timecode(text: str) -> float:
    """Seconds from `150`, `150.5`, `2m30s`, `1h02m30s`, `1:02:30` or `02:30`."""
    value = text.strip().lower()
    if not value or len(value) > 32:
        raise TimecodeError(f"{text[:32]!r} is not a time: use seconds (150) or 1h02m30s or 1:02:30")
    match = _CLOCK.match(value)
    if match:
        hours, minutes, seconds = match.groups()
        if int(minutes) > 59 or float(seconds) >= 60:
            raise TimecodeError(f"{text[:32]!r} is not a time: minutes and seconds go up to 59")
        total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    else:
        match = _UNITS.match(value)
        if not match or not any(match.groups()):
            raise TimecodeError(f"{text[:32]!r} is not a time: use seconds (150) or 1h02m30s or 1:02:30")
        hours, minutes, seconds = match.groups()
        total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)
    if not math.isfinite(total) or total > MAX_SECONDS:
        raise TimecodeError(f"{text!r} is too far: no recording is that long")
    return total


def clock(seconds: float) -> str:
    """`1:02:30`, or `02:30` under an hour: how the page shows a moment."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """ISO 8601 (`PT1H2M30S`), as schema.org's `duration` and `startOffset`-style fields expect."""
    whole = max(0, int(seconds + 0.5))  # half up: a 24.5 s recording lasts 25 s, not 24
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or out == "PT":
        out += f"{secs}S"
    return out


def url_seconds(seconds: float) -> int:
    """Whole seconds for a URL, rounded down so a link never lands after the words it names."""
    return max(0, int(seconds))
