"""Times as staff write them in a timing overview: `HH:MM:SS`, `H:MM:SS` or `MM:SS`."""

from __future__ import annotations

import re

__all__ = ["format_time", "parse_time"]

_TIME_PART = re.compile(r"[0-9]+")
_SECONDS_PART = re.compile(r"([0-9]+)(\.[0-9]+)?")


def parse_time(text: str) -> float:
    """Read a written time as seconds; the ValueError's message is the reason, ready for staff.

    Only the forms staff actually write are accepted, so a typo such as `00:61:00` or `1:2:3` is
    reported instead of being read as some other time that the chapters would then point to.
    """
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not text.strip():
        raise ValueError(f"{text.strip()!r} is not a time (expected HH:MM:SS, H:MM:SS or MM:SS)")
    *front, last = parts
    for part in front:
        if not _TIME_PART.fullmatch(part):
            raise ValueError(f"{part!r} in {text.strip()!r} is not a number")
    seconds_match = _SECONDS_PART.fullmatch(last)
    if seconds_match is None:
        raise ValueError(f"{last!r} in {text.strip()!r} is not a number")
    whole_seconds, fraction = seconds_match.groups()
    if len(whole_seconds) != 2:
        raise ValueError("seconds must have two digits")
    if len(parts) == 3:
        hours_text, minutes_text = front
        if len(hours_text) > 2:
            raise ValueError("hours must have one or two digits")
        if len(minutes_text) != 2:
            raise ValueError("minutes must have two digits")
    else:
        hours_text, minutes_text = "0", front[0]
        if len(minutes_text) > 2:
            raise ValueError("minutes must have one or two digits")
    hours, minutes, seconds = int(hours_text), int(minutes_text), int(whole_seconds)
    if minutes >= 60:
        raise ValueError("minutes must be below 60")
    if seconds >= 60:
        raise ValueError("seconds must be below 60")
    return float(hours * 3600 + minutes * 60 + seconds) + (float(fraction) if fraction else 0.0)


def format_time(seconds: float) -> str:
    """`HH:MM:SS`, the form problems quote a time back to staff in."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
