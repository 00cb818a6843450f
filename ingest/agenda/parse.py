"""Both agenda forms (the written timing overview, a structured list) read into `AgendaItem`s.

Parsing is pure and strict about what would silently mislead (a bad or backwards time, an item
without a title) but forgiving about layout: the text a pasted overview carries around its items
(an introductory sentence, headings, notes, links) is skipped with a warning per line
(`ingest.agenda.lines` says which lines are items). Every problem is collected before raising,
so staff can fix the whole overview in one pass instead of one line per upload.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from ingest.agenda.lines import Line, continues, read_line
from ingest.agenda.names import SpeakerIndex
from ingest.agenda.times import clock_start, format_time, parse_time, two_part_as_hours
from ingest.agenda.titles import Reading, TitleReader, read_title
from ingest.document import SEGMENT_KINDS, SegmentKind
from ingest.errors import InputError
from ingest.metadata import AgendaEntry, Person

__all__ = [
    "AgendaError",
    "AgendaItem",
    "AgendaWarning",
    "ParsedAgenda",
    "parse_agenda",
    "read_agenda",
    "within_recording",
]


class AgendaWarning(msgspec.Struct, frozen=True, kw_only=True):
    """A written line that was skipped: not an item and not part of one (a heading, a note), or
    an item timed after the recording ends (`within_recording`)."""

    line: int
    """The 1-based line number in the agenda as written (the entry number of a structured one)."""
    text: str
    """The line, whitespace collapsed."""
    why: str
    """What happened to it, such as "skipped (no time)"."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.text!r}: {self.why}"


class AgendaError(InputError):
    """An agenda that cannot be trusted; names every bad line so staff can fix them at once.

    `problems` holds `(number, text, why)` triples: the 1-based line number (or entry number for
    a structured agenda; 0 for a problem with the agenda as a whole), the offending text and the
    reason. The message is a single line, because the CLI prints errors as one line. `warnings`
    lists the lines that were skipped, which may explain a problem (an item written without a
    time is skipped, so the agenda may have no items at all).
    """

    def __init__(
        self,
        problems: list[tuple[int, str, str]],
        unit: str = "line",
        warnings: Sequence[AgendaWarning] = (),
    ) -> None:
        self.problems = problems
        self.unit = unit
        self.warnings = list(warnings)
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


class ParsedAgenda(msgspec.Struct, frozen=True, kw_only=True):
    """The items of an agenda, and the written lines that were skipped around them."""

    items: list[AgendaItem]
    """In time order; every item's time is later than the one before."""
    warnings: list[AgendaWarning] = msgspec.field(default_factory=list)
    """Lines skipped as prose, in written order; for a structured agenda, only items left out by
    `within_recording`."""
    lines: list[int] = msgspec.field(default_factory=list)
    """Where each item was written: its 1-based line (entry number for a structured agenda), so
    a later warning about an item can point at it. Not part of the item: the same item written
    on another line is the same item."""
    written: list[str] = msgspec.field(default_factory=list)
    """Each item as written (its line, whitespace collapsed): a later warning quotes it, so staff
    who wrote clock times ("14:30 Panel") see their own line, not the time into the recording."""


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
# The written timing overview (which lines are items: `lines`)


@dataclass
class _Draft:
    line: Line
    title: str
    at: float | None = None


def _join(title: str, line: Line) -> str:
    """A wrapped line, joined as written (a sub-point keeps its dash: "… with: - Ana Ribeiro")."""
    return f"{title} {line.text}".strip()


def _group(agenda: str) -> tuple[list[_Draft], list[AgendaWarning]]:
    """Item lines with their wrapped continuations; every other line becomes a warning."""
    drafts: list[_Draft] = []
    warnings: list[AgendaWarning] = []
    after_blank = False
    for number, raw in enumerate(agenda.split("\n"), start=1):
        line = read_line(number, raw)
        if line is None:
            after_blank = True
            continue
        if line.is_item:
            drafts.append(_Draft(line, line.title))
        elif drafts and continues(line, drafts[-1].line, drafts[-1].title, after_blank):
            drafts[-1].title = _join(drafts[-1].title, line)
        else:
            warnings.append(AgendaWarning(line=number, text=line.text, why=line.why))
        after_blank = False
    return drafts, warnings


def _read_times(drafts: list[_Draft]) -> list[tuple[int, str, str]]:
    """Set each draft's time, in the agenda's one reading of two-part times; returns problems."""
    problems: list[tuple[int, str, str]] = []
    twelve_hour = any(draft.line.twelve_hour for draft in drafts)
    if twelve_hour:
        _settle_half_days([draft.line for draft in drafts])
    written = [draft.line.time for draft in drafts if draft.line.time]
    start = clock_start(written, twelve_hour=twelve_hour)
    hours_first = start is not None or two_part_as_hours(written)
    offset = start or 0.0
    for draft in drafts:
        line = draft.line
        if line.problem is not None or line.time is None:
            problems.append((line.number, line.text, line.problem or "no time"))
            continue
        try:
            at = parse_time(line.time, hours_first=hours_first) - offset
        except ValueError as exc:
            problems.append((line.number, line.text, str(exc)))
            continue
        if line.end is not None:
            try:
                end = parse_time(line.end, hours_first=hours_first) - offset
            except ValueError as exc:
                problems.append((line.number, line.text, f"end of the range: {exc}"))
                continue
            if end <= at:
                problems.append(
                    (line.number, line.text, f"the range ends at {format_time(end)}, not after it starts")
                )
                continue
        draft.at = at
    return problems


def _settle_half_days(lines: list[Line]) -> None:
    """In an agenda that writes a.m. or p.m., give each time written without it (`1:10` between
    `1:00 PM` and `1:45 PM`) the half of the day that keeps the items in order: the earliest
    reading at or after the item above, or, before any such item, the latest at or before the
    first time written with a.m. or p.m. Times already past 12 (`13:10`) are left as written."""
    known = [at for line in lines if line.twelve_hour and (at := _clock(line.time)) is not None]
    previous: float | None = None
    for line in lines:
        at = _clock(line.time)
        if at is None:
            continue
        if not line.twelve_hour and at < 13 * 3600:
            readings = [at % (12 * 3600), at % (12 * 3600) + 12 * 3600]
            if previous is not None:
                at = min((r for r in readings if r >= previous), default=readings[-1])
            elif known:
                at = max((r for r in readings if r <= known[0]), default=readings[0])
            line.time = format_time(at)[:5]  # HH:MM
            end = _clock(line.end)
            if end is not None and end < 13 * 3600:
                later = [r for r in (end % (12 * 3600), end % (12 * 3600) + 12 * 3600) if r > at]
                end = min(later, default=end)
                line.end = format_time(end)[:5]
        previous = at


def _clock(time: str | None) -> float | None:
    """A two-part time read as `H:MM`, or None (a three-part time, or one that does not read)."""
    if time is None or time.count(":") != 1:
        return None
    try:
        return parse_time(time, hours_first=True)
    except ValueError:
        return None


def _parse_text(agenda: str, index: SpeakerIndex) -> ParsedAgenda:
    drafts, warnings = _group(agenda)
    problems = _read_times(drafts)
    reader = TitleReader(index)
    items: list[AgendaItem] = []
    lines: list[int] = []
    written: list[str] = []
    previous: _Draft | None = None
    for draft in drafts:
        line = draft.line
        title = " ".join(draft.title.split())
        if not title:
            problems.append((line.number, line.text, "no title after the time"))
        if draft.at is None:
            continue
        if previous is not None and previous.at is not None and draft.at <= previous.at:
            how = "repeats" if draft.at == previous.at else "goes back before"
            problems.append(
                (
                    line.number,
                    line.text,
                    f"time {how} {format_time(previous.at)} on line {previous.line.number}",
                )
            )
            continue
        previous = draft
        if title:
            items.append(_item(draft.at, title, read_title(title, reader)))
            lines.append(line.number)
            written.append(" ".join(line.text.split()))
    if not drafts:
        count = len(warnings)
        skipped = f" ({count} line{' was' if count == 1 else 's were'} skipped: no time)" if count else ""
        problems.append((0, "", f"the agenda has no timed items{skipped}"))
    if problems:
        problems.sort(key=lambda problem: problem[0])
        raise AgendaError(problems, warnings=warnings)
    return ParsedAgenda(items=items, warnings=warnings, lines=lines, written=written)


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


def _parse_entries(entries: Sequence[AgendaEntry], index: SpeakerIndex) -> ParsedAgenda:
    problems: list[tuple[int, str, str]] = []
    reader = TitleReader(index)
    items: list[AgendaItem] = []
    lines: list[int] = []
    written: list[str] = []
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
        for speaker in entry.speakers:
            name = " ".join(str(speaker).split())
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
        lines.append(number)
        written.append(text)
    if not entries:
        problems.append((0, "", "the agenda has no entries"))
    if problems:
        raise AgendaError(problems, unit="entry")
    return ParsedAgenda(items=items, lines=lines, written=written)


def read_agenda(agenda: str | Sequence[AgendaEntry], speakers: Sequence[Person]) -> ParsedAgenda:
    """Turn the agenda staff wrote, as text or as structured entries, into items sorted by time.

    Lines of text that are neither items nor part of one come back as `warnings`, for the CLI
    and the staff pages to show. Raises `AgendaError` naming every bad line (or entry) at once;
    nothing else escapes, so a caller can report a bad agenda to staff without guarding against
    parser bugs.
    """
    index = SpeakerIndex.build(speakers)
    if isinstance(agenda, str):
        return _parse_text(agenda, index)
    return _parse_entries(list(agenda), index)


def parse_agenda(agenda: str | Sequence[AgendaEntry], speakers: Sequence[Person]) -> list[AgendaItem]:
    """The items of `read_agenda`, for callers that do not report skipped lines."""
    return read_agenda(agenda, speakers).items


def within_recording(parsed: ParsedAgenda, duration: float) -> ParsedAgenda:
    """The agenda without the items written at or after the recording's end, each left out with
    a warning.

    Such an item would become a chapter nobody can open (the player cannot seek past the end),
    and it happens for ordinary reasons: the recording was stopped before the closing words, or
    only the first part of an event was recorded. The agenda can only be read against the
    recording once its duration is known, so this runs after probing, not in `read_agenda`.
    Items are in time order, so the late ones are the tail.
    """
    count = sum(1 for item in parsed.items if item.at < duration)
    if count == len(parsed.items):
        return parsed
    late = [
        AgendaWarning(
            line=line,
            text=text,
            why=(
                f"skipped: starts {format_time(item.at)} into the recording, at or after its end "
                f"({format_time(duration)})"
            ),
        )
        for item, line, text in zip(
            parsed.items[count:], parsed.lines[count:], parsed.written[count:], strict=True
        )
    ]
    warnings = sorted([*parsed.warnings, *late], key=lambda warning: warning.line)
    return ParsedAgenda(
        items=parsed.items[:count],
        warnings=warnings,
        lines=parsed.lines[:count],
        written=parsed.written[:count],
    )
