"""Times as staff write them in a timing overview: `HH:MM:SS`, `H:MM:SS`, `MM:SS` or `H:MM`.

A two-part time is ambiguous: `13:00` is thirteen minutes into the recording (`MM:SS`) or, in
an overview that gives the later items to the minute, `1:10` may be an hour and ten minutes
(`H:MM`). One agenda is read one way throughout (`two_part_as_hours` decides which), because a
list that switches reading halfway would put items in an order staff never wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import pairwise

__all__ = ["clock_start", "format_time", "parse_time", "two_part_as_hours"]

_TIME_PART = re.compile(r"[0-9]+")
_SECONDS_PART = re.compile(r"([0-9]+)(\.[0-9]+)?")


def parse_time(text: str, *, hours_first: bool = False) -> float:
    """Read a written time as seconds; the ValueError's message is the reason, ready for staff.

    Only the forms staff actually write are accepted, so a typo such as `00:61:00` or `1:2:3` is
    reported instead of being read as some other time that the chapters would then point to.
    A two-part time is `MM:SS` (`M:SS`), or `H:MM` (`HH:MM`) with `hours_first`.
    """
    written = text.strip()
    parts = written.split(":")
    if len(parts) not in (2, 3) or not written:
        raise ValueError(f"{written!r} is not a time (expected HH:MM:SS, H:MM:SS or MM:SS)")
    *front, last = parts
    for part in front:
        if not _TIME_PART.fullmatch(part):
            raise ValueError(f"{part!r} in {written!r} is not a number")
    seconds_match = _SECONDS_PART.fullmatch(last)
    if seconds_match is None:
        raise ValueError(f"{last!r} in {written!r} is not a number")
    last_whole, fraction = seconds_match.groups()
    if len(parts) == 2 and hours_first:
        if fraction:
            raise ValueError(f"{last!r} in {written!r} is not a whole number of minutes")
        hours_text, minutes_text, seconds_text = front[0], last_whole, "00"
        if len(minutes_text) != 2:
            raise ValueError("minutes must have two digits")
    else:
        seconds_text = last_whole
        if len(seconds_text) != 2:
            raise ValueError("seconds must have two digits")
        if len(parts) == 3:
            hours_text, minutes_text = front
            if len(minutes_text) != 2:
                raise ValueError("minutes must have two digits")
        else:
            hours_text, minutes_text = "0", front[0]
            if len(minutes_text) > 2:
                raise ValueError("minutes must have one or two digits")
    if len(hours_text) > 2:
        raise ValueError("hours must have one or two digits")
    hours, minutes, seconds = int(hours_text), int(minutes_text), int(seconds_text)
    if minutes >= 60:
        raise ValueError("minutes must be below 60")
    if seconds >= 60:
        raise ValueError("seconds must be below 60")
    return float(hours * 3600 + minutes * 60 + seconds) + (float(fraction) if fraction else 0.0)


def _increasing(values: Iterable[float]) -> bool:
    return all(earlier < later for earlier, later in pairwise(values))


def two_part_as_hours(times: Sequence[str]) -> bool:
    """Whether one agenda's two-part times mean `H:MM` rather than `MM:SS`; `times` in written order.

    `MM:SS` unless the agenda also writes three-part times, reading its two-part ones as `MM:SS`
    puts an item before the one above it, and reading them as `H:MM` keeps every item in order
    (`0:00:05, 0:45:00, 1:10, 1:30`: the later items given to the minute). An agenda of two-part
    times only is always `MM:SS`: both readings keep the same order, and a recording's overview
    counts minutes and seconds far more often than hours. Times that do not read both ways (typos,
    `75:10`) take no part in the choice; they are reported in whichever reading wins.
    """
    counts = {time.count(":") for time in times}
    if not {1, 2} <= counts:
        return False
    as_minutes: list[float] = []
    as_hours: list[float] = []
    for time in times:
        try:
            minutes_first, hours_first = parse_time(time), parse_time(time, hours_first=True)
        except ValueError:
            continue
        as_minutes.append(minutes_first)
        as_hours.append(hours_first)
    return not _increasing(as_minutes) and _increasing(as_hours)


CLOCK_HOURS = range(6, 24)
"""Hours an event's published schedule starts in (a first item at `13:00` is 1 pm)."""
MIN_TALK_GAP = 60.0
"""Seconds: agenda items are talks and questions, minutes apart, never a few seconds."""


def clock_start(times: Sequence[str], *, twelve_hour: bool = False) -> float | None:
    """When an agenda gives wall-clock times (`13:00`, `13:10`, `13:45`, as event pages do), the
    first item's time in seconds, to subtract from every item; None for times into the recording.

    Read as `MM:SS`, such an agenda starts 13 minutes in with items seconds apart: no webinar
    runs that way. So two-part times only, a first hour from 06 to 23, and a median gap under a
    minute as `MM:SS` (at least a minute as `HH:MM`) mean clock times. `00:05`, `04:12`, `21:40`
    (minutes and seconds) has a first part below 6 or gaps of minutes, and stays as it is.
    `twelve_hour`: the agenda wrote a.m. or p.m. (its times are now `HH:MM`), so they are clock
    times whatever their hours and gaps.
    """
    if not times or any(time.count(":") != 1 for time in times):
        return None
    try:
        as_minutes = [parse_time(time) for time in times]
        as_clock = [parse_time(time, hours_first=True) for time in times]
    except ValueError:
        return None
    if twelve_hour:
        return as_clock[0]
    if int(times[0].split(":")[0]) not in CLOCK_HOURS or len(times) < 2:
        return None
    if not (_increasing(as_clock) and _increasing(as_minutes)):
        return None
    gaps = sorted(later - earlier for earlier, later in pairwise(as_minutes))
    if gaps[len(gaps) // 2] >= MIN_TALK_GAP:
        return None
    return as_clock[0]


def format_time(seconds: float) -> str:
    """`HH:MM:SS`, the form problems quote a time back to staff in."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
