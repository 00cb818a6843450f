"""Both agenda forms (the written timing overview, a structured list) read into `AgendaItem`s.

Parsing is pure and strict about what would silently mislead (a bad or backwards time, an item
without a title) but forgiving about layout. Every problem is collected before raising, so staff
can fix the whole overview in one pass instead of one line per upload.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from ingest.agenda.names import SpeakerIndex
from ingest.agenda.times import format_time, parse_time
from ingest.agenda.titles import Reading, TitleReader, read_title
from ingest.document import SEGMENT_KINDS, SegmentKind
from ingest.errors import InputError
from ingest.metadata import AgendaEntry, Person

__all__ = ["AgendaError", "AgendaItem", "parse_agenda"]


class AgendaError(InputError):
    """An agenda that cannot be trusted; names every bad line so staff can fix them at once.

    `problems` holds `(number, text, why)` triples: the 1-based line number (or entry number for
    a structured agenda; 0 for a problem with the agenda as a whole), the offending text and the
    reason. The message is a single line, because the CLI prints errors as one line.
    """

    def __init__(self, problems: list[tuple[int, str, str]], unit: str = "line") -> None:
        self.problems = problems
        self.unit = unit
        parts = []
        for number, text, why in problems:
            if number <= 0:
                parts.append(why)
            else:
                parts.append(f"{unit} {number}: {text!r}: {why}")
        super().__init__("malformed agenda: " + "; ".join(parts))


class AgendaItem(msgspec.Struct, frozen=True, kw_only=True):
    """One agenda item, the same whether staff wrote text or a structured list.

    Names are the canonical spellings from the manifest where a mention matched a speaker, and
    the text as written otherwise; those unmatched ones are also listed in `unmatched` so the
    caller can give them a speaker label of their own instead of guessing a match.
    """

    at: float
    """Seconds from the start of the recording, as written (staff times are approximate)."""
    title: str
    kind: SegmentKind
    speakers: list[str] = msgspec.field(default_factory=list)
    """Who talks in this item, whoever holds the floor first (presenter, asker) leading."""
    asker: str | None = None
    """For a question: the asking person, or `AUDIENCE`."""
    answerer: str | None = None
    moderator: str | None = None
    projects: list[str] = msgspec.field(default_factory=list)
    unmatched: list[str] = msgspec.field(default_factory=list)


def _item(at: float, title: str, reading: Reading, kind: SegmentKind | None = None) -> AgendaItem:
    return AgendaItem(
        at=at,
        title=title,
        kind=kind or reading.kind,
        speakers=reading.speakers,
        asker=reading.asker,
        answerer=reading.answerer,
        moderator=reading.moderator,
        projects=reading.projects,
        unmatched=reading.unmatched,
    )


# --------------------------------------------------------------------------------------------
# The written timing overview

_BULLET = re.compile(
    r"^(?:[•·▪▫◦‣⁃●○■□►▶➢➤→*+>~\-–—]+\s*|\(?[0-9]{1,3}[.)](?=\s)\s*|\(?[A-Za-z][.)](?=\s)\s*)"
)
_TIME_TOKEN = re.compile(r"[0-9]\w*(?::[\w.]+)+")
_RANGE_END = re.compile(r"\s*(?:-|–|—|to)\s*([0-9]{1,2}(?::[0-9]{2}){1,2})(?!\w)")
_SEPARATOR = re.compile(r"^[\s\-–—:|]+")


def _split_time(token: str) -> tuple[float, str] | str:
    """The time at the front of `token` and what followed it, or why it is not a time.

    `00:04:12:Keynote` (a colon separator without a space) reads as the time and a title; any
    other token that starts like a time but does not read as one is reported, not skipped.
    """
    try:
        return parse_time(token), ""
    except ValueError as exc:
        reason = str(exc)
    head, _, last = token.rpartition(":")
    if head.count(":") >= 1 and last[:1].isalpha():
        try:
            return parse_time(head), last
        except ValueError as exc:
            return str(exc)
    return reason


@dataclass
class _Draft:
    line: int
    text: str
    at: float | None
    title: str


def _parse_text(agenda: str, index: SpeakerIndex) -> list[AgendaItem]:
    problems: list[tuple[int, str, str]] = []
    drafts: list[_Draft] = []
    for number, raw in enumerate(agenda.split("\n"), start=1):
        line = unicodedata.normalize("NFC", raw)
        text = " ".join(line.split())
        if not text:
            continue
        rest = _BULLET.sub("", text, count=1)
        time_match = _TIME_TOKEN.match(rest)
        if time_match is None:
            if not drafts:
                problems.append((number, text, "text before the first timed item (every item needs a time)"))
            else:
                drafts[-1].title = f"{drafts[-1].title} {text}"
            continue
        outcome = _split_time(time_match.group())
        after = rest[time_match.end() :]
        if isinstance(outcome, str):
            problems.append((number, text, outcome))
            drafts.append(_Draft(number, text, None, _SEPARATOR.sub("", after)))
            continue
        at, glued = outcome
        if not glued and (range_end := _RANGE_END.match(after)):
            try:
                if parse_time(range_end.group(1)) > at:
                    after = after[range_end.end() :]
            except ValueError:
                pass
        drafts.append(_Draft(number, text, at, glued + after if glued else _SEPARATOR.sub("", after)))

    reader = TitleReader(index)
    items: list[AgendaItem] = []
    previous: _Draft | None = None
    for draft in drafts:
        title = " ".join(draft.title.split())
        if not title:
            problems.append((draft.line, draft.text, "no title after the time"))
        if draft.at is None:
            continue
        if previous is not None and previous.at is not None and draft.at <= previous.at:
            how = "repeats" if draft.at == previous.at else "goes back before"
            problems.append(
                (draft.line, draft.text, f"time {how} {format_time(previous.at)} on line {previous.line}")
            )
            continue
        previous = draft
        if title:
            items.append(_item(draft.at, title, read_title(title, reader)))
    if not drafts:
        problems.append((0, "", "the agenda has no timed items"))
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise AgendaError(problems)
    return items


# --------------------------------------------------------------------------------------------
# The structured agenda


def _entry_text(entry: AgendaEntry) -> str:
    return f"{entry.at} {entry.title}".strip() if isinstance(entry, AgendaEntry) else repr(entry)


def _entry_time(at: object) -> float:
    if isinstance(at, bool) or not isinstance(at, int | float | str):
        raise ValueError(f"'at' must be seconds or a time such as 00:04:12, not {at!r}")
    if isinstance(at, str):
        return parse_time(at)
    if not math.isfinite(at):
        raise ValueError("'at' must be a finite number of seconds")
    if at < 0:
        raise ValueError("'at' must not be negative")
    return float(at)


def _parse_entries(entries: Sequence[AgendaEntry], index: SpeakerIndex) -> list[AgendaItem]:
    problems: list[tuple[int, str, str]] = []
    reader = TitleReader(index)
    items: list[AgendaItem] = []
    previous: tuple[int, float] | None = None
    for number, entry in enumerate(entries, start=1):
        text = _entry_text(entry)
        if not isinstance(entry, AgendaEntry):
            problems.append((number, text, "not an agenda entry"))
            continue
        entry_problems: list[str] = []
        at: float | None = None
        try:
            at = _entry_time(entry.at)
        except ValueError as exc:
            entry_problems.append(str(exc))
        title = " ".join(entry.title.split()) if isinstance(entry.title, str) else ""
        if not title:
            entry_problems.append("empty title")
        kind: SegmentKind | None = None
        if entry.kind is not None:
            folded = entry.kind.strip().lower() if isinstance(entry.kind, str) else ""
            if folded in SEGMENT_KINDS:
                kind = next(known for known in SEGMENT_KINDS if known == folded)
            else:
                entry_problems.append(
                    f"unknown kind {entry.kind!r} (expected one of {', '.join(SEGMENT_KINDS)})"
                )
        if at is not None and previous is not None and at <= previous[1]:
            how = "repeats" if at == previous[1] else "goes back before"
            entry_problems.append(f"time {how} {format_time(previous[1])} of entry {previous[0]}")
            at = None
        if at is not None:
            previous = (number, at)
        problems += [(number, text, why) for why in entry_problems]
        if entry_problems or at is None:
            continue
        reading = read_title(title, reader)
        named: list[str] = []
        unmatched = list(reading.unmatched)
        for written in entry.speakers:
            name = " ".join(str(written).split())
            if not name:
                continue
            canonical = index.match(name)
            if canonical is None and name not in unmatched:
                unmatched.append(name)
            if (canonical or name) not in named:
                named.append(canonical or name)
        reading.speakers = named + [name for name in reading.speakers if name not in named]
        reading.unmatched = unmatched
        items.append(_item(at, title, reading, kind))
    if not entries:
        problems.append((0, "", "the agenda has no entries"))
    if problems:
        raise AgendaError(problems, unit="entry")
    return items


def parse_agenda(agenda: str | Sequence[AgendaEntry], speakers: Sequence[Person]) -> list[AgendaItem]:
    """Turn the agenda staff wrote, as text or as structured entries, into items sorted by time.

    Raises `AgendaError` naming every bad line (or entry) at once; nothing else escapes, so a
    caller can report a bad agenda to staff without guarding against parser bugs.
    """
    index = SpeakerIndex.build(speakers)
    if isinstance(agenda, str):
        return _parse_text(agenda, index)
    return _parse_entries(list(agenda), index)
