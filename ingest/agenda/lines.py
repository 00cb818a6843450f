"""One line of a pasted timing overview: an item, a wrapped title, or prose to skip.

Event pages wrap the overview in their own text: an introductory sentence ("In order to
facilitate the navigation through the webinar, we present you with a short overview of
timing:"), a heading ("Agenda", "Programme:"), notes ("(times are approximate)"), links. Staff
paste all of it, so only lines that carry or clearly intend a time are items; the rest is skipped
and reported as a warning rather than refusing the whole agenda. The rules, in order:

1. A line is an item when, after any bullet, it starts with a time (`00:04:12 - Keynote`,
   `(00:04:12) Keynote`, a range `00:13 – 00:39 Keynote`), or ends with one set off by a dash,
   a bar or brackets (`Keynote – 00:04:12`, `Welcome by Maria Jensen (00:00:05)`). Such a time
   that does not read (`00:4:1x`, `25:99`) is an error naming the line, never a skip.
2. A line that starts with a bullet (or a number: `1.`, `(2)`) and holds something time-like
   anywhere that does not read as a time is an error too: a time was clearly intended.
3. Any other line has no time. Right under an item (no blank line between) it continues that
   item's title when it is indented deeper than the item's line, starts in lower case, follows
   a line left open (ending in a comma, a dash, a colon or a word such as "by", "and", "of"),
   or gives the title of an item whose line held only the time. A deeper-indented bulleted line
   under an item is a sub-point and continues it the same way (joined as written).
4. Everything else is prose and is skipped with a warning: lines before the first item, after a
   blank line, at the item's own indentation starting with a capital or a bracket ("Q&A session
   moderated by X", "(times are approximate)"), bulleted lines without a time, and links.

A time in the middle of a line (`The webinar ran from 10:00 to 12:00`) is not an item's time:
only the start and the end are where overviews put them. Dashes and brackets mark a time at the
end, not a colon or a comma, so a note such as "Duration: 1:30:00" stays prose. Whether a
two-part time such as `13:00` is minutes and seconds or hours and minutes is decided once for
the whole agenda, from the order of its items (`times.two_part_as_hours`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.agenda.times import parse_time

__all__ = ["Line", "continues", "read_line"]

_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
"""Byte-order marks, zero-width spaces and soft hyphens that web pages leave in pasted text."""

_BULLET = re.compile(
    r"^(?:[•·▪▫◦‣⁃●○■□►▶➢➤→⦁◆◇❖✓✔\uf0b7*+>~\-–—]+\s*"
    r"|\(?[0-9]{1,3}[.)](?=\s)\s*|\(?[A-Za-z][.)](?=\s)\s*)"
)
_TOKEN = r"[0-9]\w*(?::[\w.]+)+"
"""Something time-like: digits, then colon-separated parts (read strictly by `parse_time`)."""
_RANGE = rf"\s*(?:[-–—]|\bto\b)\s*(?P<end>{_TOKEN})"
_START = re.compile(rf"(?P<open>[(\[]\s*)?(?P<time>{_TOKEN})")
_RANGE_END = re.compile(rf"{_RANGE}(?!\w)")
_CLOSE = re.compile(r"^\s*[)\]]")
_CLOCK = r"(?:[01]?[0-9]|2[0-3])(?:[.h][0-5][0-9]|h)"
_WRITTEN_CLOCK = re.compile(rf"^(?P<start>{_CLOCK})(?:\s*(?:[-–—]|\bto\b)\s*(?P<end>{_CLOCK}))?(?=\s|$)")
"""A clock time at the start of a line written as event pages write it besides `13:00`: with a
dot (`13.00`) or the French way (`13h00`, `13h`), with its range; rewritten as `13:00` so one
reading serves them all. Only at the start of a line: `2.10` or `10h` inside prose stays as it is.
"""


_TWELVE = r"(?:1[0-2]|0?[1-9])(?:[:.][0-5][0-9])?"
_WRITTEN_TWELVE = re.compile(
    rf"^(?P<start>{_TWELVE})(?:\s*(?P<start_half>[AaPp])\.?\s?[Mm]\b\.?)?"
    rf"(?:\s*(?:[-–—]|\bto\b)\s*(?P<end>{_TWELVE})(?:\s*(?P<end_half>[AaPp])\.?\s?[Mm]\b\.?)?)?"
    r"(?=[\s\-–—:|,]|$)"
)
"""A 12-hour clock time at the start of a line, as English-language event pages write it
(`2:00 PM`, `2pm`, `9.30 a.m.`, `11:30 – 12:00 PM`), rewritten as 24-hour `HH:MM`. It counts
only with a.m. or p.m. on the start or the end; a start written without one takes the end's
half of the day, or the morning when that would put it after the end (`11:30 – 12:30 PM`)."""


def _as_colon(clock: str) -> str:
    hour, _, minute = clock.lower().replace(".", "h").replace(":", "h").partition("h")
    return f"{int(hour):02d}:{minute or '00'}"


def _twenty_four(clock: str, half: str) -> str:
    """`clock` (`H`, `H:MM`, `H.MM`) in the morning (`a`) or afternoon (`p`) as `HH:MM`."""
    hour, minute = _as_colon(clock).split(":")
    return f"{int(hour) % 12 + (12 if half.lower() == 'p' else 0):02d}:{minute}"


def _written_clock(body: str) -> tuple[str, bool]:
    """`body` with a clock time (and range) at its start rewritten as `HH:MM` (see _WRITTEN_CLOCK
    and _WRITTEN_TWELVE), and whether it was written with a.m. or p.m."""
    twelve = _WRITTEN_TWELVE.match(body)
    if twelve is not None and (twelve.group("start_half") or twelve.group("end_half")):
        end, end_half = twelve.group("end"), twelve.group("end_half")
        start = _twenty_four(twelve.group("start"), twelve.group("start_half") or end_half)
        times = start
        if end:
            end_at = _twenty_four(end, end_half or twelve.group("start_half"))
            if not twelve.group("start_half") and start > end_at:
                start = _twenty_four(twelve.group("start"), "a")
            times = f"{start} – {end_at}"
        return f"{times}{body[twelve.end() :]}", True
    written = _WRITTEN_CLOCK.match(body)
    if written is None:
        return body, False
    end = written.group("end")
    times = _as_colon(written.group("start")) + (f" – {_as_colon(end)}" if end else "")
    return f"{times}{body[written.end() :]}", False


_ZONE = re.compile(r"^(?:CET|CEST|UTC|GMT|BST|EET|EEST|WET|WEST|CST|EST|EDT|PST|PDT)\b\s*")
"""A time zone written after the time (`13:00 CET Welcome`): part of the time, not the title."""
_SEPARATOR = re.compile(r"^[\s\-–—:|.]+")
_END_BRACKETED = re.compile(rf"^(?P<title>.*?\S)\s*[(\[]\s*(?P<time>{_TOKEN})(?:{_RANGE})?\s*[)\]]\s*[.;]?$")
_END_DASHED = re.compile(rf"^(?P<title>.*?\S)(?:\s*[–—|]\s*|\s+-\s*)(?P<time>{_TOKEN})(?:{_RANGE})?\s*[.;]?$")
_TITLE_TAIL = re.compile(r"[\s,;:|\-–—]+$")
_TIME_LIKE = re.compile(rf"(?<![\w:.]){_TOKEN}")
_INITIAL = re.compile(r"[A-Z]\.\s")
_URL = re.compile(r"<?(?:https?://|www\.)\S+", re.IGNORECASE)
_OPEN_END = re.compile(
    # The words count only as words of their own: the "A" of "Q&A" is not the article "a".
    r"(?:[,:;&/(+\-–—]|(?:^|(?<=\s))(?:by|and|of|the|from|to|with|on|in|for|at|a|an|or|about|between|via"
    r"|moderated|chaired|facilitated|hosted|featuring|presents|presenting|introduces))$",
    re.IGNORECASE,
)


@dataclass
class Line:
    """One non-blank written line, read on its own (`continues` judges it against the item above)."""

    number: int
    text: str
    """The line with its whitespace collapsed: how problems and warnings quote it."""
    indent: int
    bulleted: bool
    body: str
    """The text after the bullet."""
    time: str | None = None
    """An item's start as written (read later, once the agenda's two-part reading is known)."""
    end: str | None = None
    """The end of a written range, as written."""
    title: str = ""
    problem: str | None = None
    """Why an item line cannot be read; set only for items."""
    why: str = ""
    """For a line without a time: the warning if it is skipped."""
    twelve_hour: bool = False
    """The time was written on a 12-hour clock with a.m. or p.m. (and is now `HH:MM`)."""

    @property
    def is_item(self) -> bool:
        return self.time is not None or self.problem is not None

    @property
    def marked(self) -> bool:
        """Whether a symbol (•, -, *) starts the line: a list entry, never a wrapped title's text.

        A number or letter before a dot may instead start a wrapped line ("J. Smith").
        """
        return self.bulleted and not self.text[0].isalnum() and self.text[0] != "("

    @property
    def is_link(self) -> bool:
        return _URL.match(self.body) is not None


def _glued(token: str) -> tuple[str, str]:
    """`00:04:12:Keynote` (a colon separator without a space) is the time and a title."""
    head, _, last = token.rpartition(":")
    if head.count(":") >= 1 and last[:1].isalpha():
        return head, last
    return token.rstrip("."), ""


def _reads(token: str) -> bool:
    for hours_first in (False, True):
        try:
            parse_time(token, hours_first=hours_first)
        except ValueError:
            continue
        return True
    return False


def _why_not(token: str) -> str:
    try:
        parse_time(token)
    except ValueError as exc:
        return str(exc)
    return ""


def read_line(number: int, raw: str) -> Line | None:
    """What one written line is on its own; None for a blank line."""
    line = unicodedata.normalize("NFC", raw).translate(_INVISIBLE).expandtabs(4)
    text = " ".join(line.split())
    if not text:
        return None
    indent = len(line) - len(line.lstrip())
    body = _BULLET.sub("", text, count=1)
    read = Line(number, text, indent, bulleted=body != text, body=body)
    body, read.twelve_hour = _written_clock(body)

    if start := _START.match(body):
        token, glued = _glued(start.group("time"))
        after = body[start.end() :]
        if not glued and (range_end := _RANGE_END.match(after)):
            read.end = range_end.group("end").rstrip(".")
            after = after[range_end.end() :]
        if start.group("open") and (close := _CLOSE.match(after)):
            after = after[close.end() :]
        read.time = token
        if not glued and token.count(":") == 1 and (zone := _ZONE.match(after.lstrip())):
            after = after.lstrip()[zone.end() :]  # `13:00 CET`: clock times only, never `00:00:05`
        read.title = glued + after if glued else _SEPARATOR.sub("", after)
        return read

    for pattern in (_END_BRACKETED, _END_DASHED):
        if end := pattern.match(body):
            read.time = end.group("time").rstrip(".")
            read.end = end.group("end").rstrip(".") if end.group("end") else None
            read.title = _TITLE_TAIL.sub("", end.group("title"))
            return read

    tokens = [match.group().rstrip(".") for match in _TIME_LIKE.finditer(_URL.sub(" ", body))]
    broken = [token for token in tokens if not _reads(token)]
    if read.bulleted and broken:
        read.problem = _why_not(broken[0])
        read.title = body
    elif tokens:
        read.why = "skipped (no time at the start or the end of the line)"
    else:
        read.why = "skipped (no time)"
    return read


def continues(line: Line, item: Line, title: str, after_blank: bool) -> bool:
    """Whether a line without a time continues the title of `item` (so far `title`) above it."""
    if line.is_link:
        return False
    if not title:
        return not line.marked  # "00:04:12 -" then the title on the next line
    if after_blank:
        return False
    if line.indent > item.indent:
        return True
    if line.marked or (line.bulleted and not _INITIAL.match(line.text)):
        return False
    return line.text[0].islower() or _OPEN_END.search(title) is not None
