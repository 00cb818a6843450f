"""The agenda staff write for an event, turned into typed items the structure stage can snap.

Staff already publish a "timing overview" on each event page (see docs/design.md, "The agenda
staff already write"); asking them for a second, machine-friendly format would mean two sources
that drift apart. So this module reads the overview as written: any bullet, `HH:MM:SS`,
`H:MM:SS` or `MM:SS`, loose separators, wrapped lines, and names in a handful of set phrases.
A manifest may instead carry a structured agenda (`AgendaEntry` list); both forms end up as the
same `AgendaItem` list, so later stages never care which one staff used.

Parsing is pure and strict about what would silently mislead (a bad or backwards time, an item
without a title) but forgiving about layout. Every problem is collected before raising, so staff
can fix the whole overview in one pass instead of one line per upload.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import msgspec

from ingest.document import SEGMENT_KINDS, SegmentKind
from ingest.metadata import AgendaEntry, Person

__all__ = [
    "AUDIENCE",
    "AgendaError",
    "AgendaItem",
    "match_speaker",
    "normalise_name",
    "parse_agenda",
    "parse_time",
]

_KINDS: tuple[SegmentKind, ...] = ("intro", "presentation", "question", "answer", "panel", "other")
assert _KINDS == SEGMENT_KINDS, "ingest.document changed its segment kinds"

AUDIENCE = "Audience"
"""The asker of a question put by someone in the audience rather than a named speaker."""


class AgendaError(ValueError):
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


# --------------------------------------------------------------------------------------------
# Times

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


def _format_time(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


# --------------------------------------------------------------------------------------------
# Names

# Letters NFKD leaves whole although readers treat them as accented forms of a plain letter;
# staff typing on an English keyboard write "Lukasz" for "Łukasz" and "Soren" for "Søren".
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_HONORIFICS = frozenset({"dr", "prof", "professor", "doctor", "mr", "mrs", "ms", "mx", "sir", "dame"})
_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "das", "do", "dos", "du", "del", "della", "di", "la", "le"}
    | {"ter", "ten", "y", "bin", "al", "el", "zu", "af", "st"}
)
# Capitalised words that start or fill titles: a run of them is never taken for a person.
_NOT_NAMES = frozenset(
    {"the", "a", "an", "and", "or", "of", "on", "in", "for", "to", "with", "from", "by", "at"}
    | {"project", "projects", "team", "panel", "question", "questions", "audience", "welcome"}
    | {"keynote", "closing", "opening", "remarks", "presentation", "session", "discussion", "break"}
    | {"introduction", "intro", "commission", "european", "agency", "ministry", "university"}
    | {"network", "partners", "partner", "consortium", "secretariat", "programme", "program"}
    | {"officer", "unit", "office", "department", "institute", "association", "foundation"}
    | {"council", "committee", "group", "centre", "center", "city", "municipality", "region"}
    | {"moderator", "moderated", "chair", "speaker", "speakers", "q", "qa", "all", "everyone"}
    | {"coffee", "lunch", "summary", "conclusion", "conclusions", "wrap", "up", "case", "study"}
    | {"part", "round", "table", "workshop", "webinar", "event", "agenda", "platform", "staff"}
    | {"participants", "attendees", "chat", "floor", "host", "hosts", "guest", "guests"}
)
# Capitalised words that may precede "project" without being part of its name.
_NOT_PROJECTS = frozenset(
    {"the", "a", "an", "this", "that", "our", "their", "its", "each", "every", "eu", "new"}
)
_WORD = re.compile(r"\w+")


def normalise_name(text: str) -> str:
    """Fold a name so spellings staff treat as the same compare equal.

    Case and accents are dropped (NFKD, then combining marks removed) because staff write
    "Jose Garcia" for "José García" and "MARIA JENSEN" in headings; whitespace is collapsed.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.translate(_PLAIN_LETTERS).split())


def _name_tokens(text: str) -> tuple[str, ...]:
    """Folded words of a name without honorifics; punctuation inside names does not matter."""
    tokens = _WORD.findall(normalise_name(text))
    while tokens and tokens[0] in _HONORIFICS:
        tokens = tokens[1:]
    return tuple(tokens)


@dataclass
class _SpeakerIndex:
    """Lookups from folded name forms to canonical names, built once per agenda."""

    full: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    first_last: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    tail: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    single: dict[str, set[str]] = field(default_factory=dict)
    surnames: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, speakers: Iterable[Person]) -> _SpeakerIndex:
        index = cls()
        for person in speakers:
            name = " ".join(person.name.split())
            tokens = _name_tokens(name)
            if not tokens:
                continue
            index.full.setdefault(tokens, set()).add(name)
            if len(tokens) >= 2:
                index.first_last.setdefault((tokens[0], tokens[-1]), set()).add(name)
                index.tail.setdefault(tokens[1:], set()).add(name)
                index.surnames.setdefault(tokens[-1], set()).add(name)
                index.single.setdefault(tokens[-1], set()).add(name)
                index.single.setdefault(tokens[0], set()).add(name)
        return index

    def match(self, text: str) -> str | None:
        tokens = _name_tokens(text)
        if not tokens:
            return None
        tiers: list[set[str]] = [self.full.get(tokens, set())]
        if len(tokens) >= 2:
            tiers.append(self.first_last.get((tokens[0], tokens[-1]), set()))
            if len(tokens[0]) == 1:  # "M. Jensen"
                tiers.append(
                    {
                        name
                        for (first, last), names in self.first_last.items()
                        if last == tokens[-1] and first.startswith(tokens[0])
                        for name in names
                    }
                )
            tiers.append(self.tail.get(tokens, set()))
        else:
            tiers.append(self.single.get(tokens[0], set()))
        for candidates in tiers:
            if len(candidates) == 1:
                return next(iter(candidates))
            if candidates:
                return None  # ambiguous: a wrong name is worse than none
        return None

    def full_names(self) -> list[tuple[tuple[str, ...], str]]:
        """Multi-word names worth finding anywhere in a title, longest first."""
        found = [(tokens, next(iter(names))) for tokens, names in self.full.items() if len(names) == 1]
        return sorted((item for item in found if len(item[0]) >= 2), key=lambda item: -len(item[0]))


def match_speaker(text: str, speakers: Sequence[Person]) -> str | None:
    """The canonical name of the speaker a written mention refers to, or None.

    Mentions ignore case and accents, may drop a middle name or give an initial, and may give
    only the surname or only the first name; a mention that fits several speakers matches none,
    since naming the wrong person in a replay is worse than leaving a turn unnamed.
    """
    return _SpeakerIndex.build(speakers).match(text)


# --------------------------------------------------------------------------------------------
# Reading names out of a title


def _is_name_word(word: str) -> bool:
    core = word.rstrip(".")
    if not core or not core[0].isupper() or not core[0].isalpha():
        return False
    if len(core) == 1:
        return word.endswith(".")  # an initial such as "J."
    if word.endswith(".") and normalise_name(core) not in _HONORIFICS:
        return False
    rest = core[1:]
    return any(char.islower() for char in rest) and all(char.isalpha() or char in "-'’" for char in rest)


def _is_particle(word: str) -> bool:
    return word in _PARTICLES


def _strip_edges(word: str) -> tuple[str, bool]:
    """A word without surrounding punctuation, and whether punctuation ended a phrase there."""
    core = word.strip("\"“”‘'()[]")
    ended = core != word
    trailing = core.rstrip(",;:!?")
    if trailing != core:
        ended = True
    if trailing.endswith(".") and not (len(trailing) == 2 or normalise_name(trailing[:-1]) in _HONORIFICS):
        trailing, ended = trailing[:-1], True
    return trailing, ended


def _run(words: list[str]) -> list[str]:
    """The leading run of words that can form a person's name."""
    cleaned: list[str] = []
    for word in words:
        if cleaned and word[:1] in '([{"“‘':
            break  # "Tomasz Nowak (ReCircle project)": the bracket ends the name
        core, ended = _strip_edges(word)
        if not core:
            break
        folded = normalise_name(core.rstrip("."))
        if not cleaned and folded in _HONORIFICS:
            if ended:
                break
            cleaned.append(core)  # kept: "Mr. Smith" is a name where "Smith" alone is not
            continue
        if (cleaned and _is_particle(core)) or (_is_name_word(core) and folded not in _NOT_NAMES):
            cleaned.append(core)
        else:
            break
        if ended:
            break
    while cleaned and _is_particle(cleaned[-1]):
        cleaned.pop()
    return cleaned if len(cleaned) > 1 or not _is_honorific(cleaned[0] if cleaned else "") else []


def _is_honorific(word: str) -> bool:
    return normalise_name(word.rstrip(".")) in _HONORIFICS


def _looks_like_a_person(run: list[str]) -> bool:
    """Whether an unmatched run is safe to report as a person rather than a capitalised phrase.

    One capitalised word ("Eurostat", "Brussels") is too often not a person, so a lone word only
    counts after an honorific; initials alone ("J. R.") never do.
    """
    body = run[1:] if _is_honorific(run[0]) else run
    has_word = any(len(word.rstrip(".")) > 1 and not _is_particle(word) for word in body)
    return has_word and (len(body) >= 2 or len(body) < len(run))


def _trailing_run(words: list[str]) -> list[str]:
    """The trailing run of words that can form a person's name."""
    best: list[str] = []
    for start in range(len(words) - 1, -1, -1):
        candidate = _run(words[start:])
        if len(candidate) == len(words) - start:
            best = candidate
        elif not _is_particle(words[start]):
            # Particles may sit inside a run ("Jan van der Berg"), so only other words end it.
            break
    return best


_NAME_WINDOW = 240
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class _Name:
    name: str
    matched: bool
    position: int


class _TitleReader:
    """Finds the people and projects one title mentions, resolved against the speakers."""

    def __init__(self, index: _SpeakerIndex) -> None:
        self.index = index

    def _resolve_words(self, words: list[str], lead: bool) -> tuple[str, bool] | None:
        run = _run(words) if lead else _trailing_run(words)
        if run:
            text = " ".join(run)
            canonical = self.index.match(text)
            if canonical is not None:
                return canonical, True
            if _looks_like_a_person(run):
                return text, False
            return None
        # Names written in lower or upper case: only a known speaker can be recognised there.
        stripped = [_strip_edges(word)[0] for word in words]
        for size in range(min(len(stripped), 5), 0, -1):
            chunk = stripped[:size] if lead else stripped[len(stripped) - size :]
            if any(not word for word in chunk):
                continue
            canonical = self.index.match(" ".join(chunk))
            if canonical is not None:
                return canonical, True
        return None

    def names(self, title: str, start: int, end: int, lead: bool) -> list[_Name]:
        """Names listed in `title[start:end]`, read forwards (after "by") or backwards."""
        # Names are short; bounding the fragment keeps pathological titles linear.
        if lead:
            end = min(end, start + _NAME_WINDOW)
        else:
            start = max(start, end - _NAME_WINDOW)
        fragment = title[start:end]
        pieces: list[tuple[int, str]] = []
        cursor = 0
        for match in _LIST_SPLIT.finditer(fragment):
            pieces.append((cursor, fragment[cursor : match.start()]))
            cursor = match.end()
        pieces.append((cursor, fragment[cursor:]))
        if not lead:
            pieces.reverse()
        found: list[_Name] = []
        for offset, piece in pieces:
            words = piece.split()
            resolved = self._resolve_words(words, lead) if words else None
            if resolved is None:
                break
            found.append(_Name(resolved[0], resolved[1], start + offset))
            # A name that did not fill its piece ends the list ("Maria Jensen on tenders, and …").
            run = _run(words) if lead else _trailing_run(words)
            if run and len(run) != len(words):
                break
        if not lead:
            found.reverse()
        return found

    def known_names(self, title: str) -> list[_Name]:
        """Full names of speakers wherever they appear, whatever the phrasing around them."""
        tokens: list[tuple[str, int]] = []
        for match in _WORD.finditer(title):
            for piece in _WORD.findall(normalise_name(match.group())):
                tokens.append((piece, match.start()))
        words = [token for token, _ in tokens]
        taken = [False] * len(words)
        found: list[_Name] = []
        for name_tokens, canonical in self.index.full_names():
            size = len(name_tokens)
            for at in range(len(words) - size + 1):
                if tuple(words[at : at + size]) == name_tokens and not any(taken[at : at + size]):
                    taken[at : at + size] = [True] * size
                    found.append(_Name(canonical, True, tokens[at][1]))
        return sorted(found, key=lambda name: name.position)


_FLAGS = re.IGNORECASE
_QUESTION = re.compile(r"^(?:q\s*:\s*)?question\b", _FLAGS)
_QUESTION_FROM_TO = re.compile(r"^(?:q\s*:\s*)?question\s+(?:from|by)\s+(.+?)\s+(?:to|for)\s+(.+)$", _FLAGS)
_QUESTION_TO_FROM = re.compile(r"^(?:q\s*:\s*)?question\s+(?:to|for)\s+(.+?)\s+(?:from|by)\s+(.+)$", _FLAGS)
_QUESTION_FROM = re.compile(r"^(?:q\s*:\s*)?question\s+(?:from|by)\s+(.+)$", _FLAGS)
_QUESTION_TO = re.compile(r"^(?:q\s*:\s*)?question\s+(?:to|for)\s+(.+)$", _FLAGS)
_AUDIENCE_WORDS = re.compile(
    r"^(?:the\s+|an?\s+)?(?:audience|floor|participants?|attendees?|chat|public|viewers?|listeners?)\b",
    _FLAGS,
)
_MODERATED_BY = re.compile(
    r"\b(?:moderated|chaired|facilitated|hosted|led)\s+by\s+|\bmoderator\s*:?\s+|\bchair\s*:\s*", _FLAGS
)
_BY = re.compile(r"\bby\s+", _FLAGS)
_ROLE_BEFORE_BY = re.compile(r"\b(?:moderated|chaired|facilitated|hosted|led)\s*$", _FLAGS)
_WITH = re.compile(r"\b(?:with|featuring|feat\.)\s+", _FLAGS)
_FROM_PROJECT = re.compile(r",?\s+(?:from|of)\s+(?:the\s+)?[^,;()]*?\bprojects?\b", _FLAGS)
_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")
_PRESENTS = re.compile(
    r"\s+(?:presents?|presenting|introduces|explains|shows|discusses|shares|talks)\b", _FLAGS
)
_LEAD_LABEL = re.compile(r"\s*(?::|\s[-–—])\s+")
_TAIL_LABEL = re.compile(r"\s(?:-|–|—)\s+(?=[^-–—]*$)")
_PROJECT_WORD = re.compile(r"\bprojects?\b", _FLAGS)
_PROJECT_NAME_WORD = re.compile(r"[^\W_][\w&'’\-]*")


def _classify(title: str, has_presenter: bool) -> SegmentKind:
    """The kind the wording implies; order matters ("Closing remarks by X" is not a talk)."""
    text = normalise_name(title)
    if _QUESTION.match(text):
        return "question"
    if re.search(
        r"\bpanel|\bq\s*&\s*a\b|\bq and a\b|\bquestions and\b|\bround\s*table|\bdiscussion|\bdebate"
        r"|\bquestions from\b",
        text,
    ):
        return "panel"
    if re.search(r"\bkeynote", text):
        return "presentation"
    if re.search(r"\b(?:welcome|opening|introduction|intro|introductory|greetings)\b", text):
        return "intro"
    if re.search(
        r"\b(?:closing|close|wrap[- ]?up|conclusions?|concluding|farewell|break|lunch|coffee|end|goodbye)\b",
        text,
    ):
        return "other"
    if has_presenter or re.search(r"\b(?:presents?|presenting|presentation|talk|lecture|case study)\b", text):
        return "presentation"
    return "other"


def _projects(title: str) -> list[str]:
    """Project names written as "the GreenPorts project" or "(ReCircle project)"."""
    found: list[str] = []
    for match in _PROJECT_WORD.finditer(title):
        words = list(_PROJECT_NAME_WORD.finditer(title[: match.start()]))
        end = match.start()
        taken: list[re.Match[str]] = []
        for word in reversed(words):
            between = title[word.end() : end]
            if between.strip() or not between or len(taken) >= 4:
                break
            text = word.group()
            if not (text[0].isupper() or text[0].isdigit()) or normalise_name(text) in _NOT_PROJECTS:
                break
            taken.append(word)
            end = word.start()
        if taken:
            name = title[taken[-1].start() : taken[0].end()]
            if name not in found:
                found.append(name)
    return found


@dataclass
class _Reading:
    kind: SegmentKind
    speakers: list[str]
    asker: str | None
    answerer: str | None
    moderator: str | None
    projects: list[str]
    unmatched: list[str]


def _read_title(title: str, reader: _TitleReader) -> _Reading:
    """Who and what a title names, from the set phrases staff use."""
    primary: list[_Name] = []
    others: list[_Name] = []
    asker: _Name | None = None
    answerers: list[_Name] = []
    moderators: list[_Name] = []
    audience = False
    question = _QUESTION.match(title) is not None

    if question:
        asker_span: tuple[int, int] | None = None
        answerer_span: tuple[int, int] | None = None
        if match := _QUESTION_FROM_TO.match(title):
            asker_span, answerer_span = match.span(1), match.span(2)
        elif match := _QUESTION_TO_FROM.match(title):
            answerer_span, asker_span = match.span(1), match.span(2)
        elif match := _QUESTION_FROM.match(title):
            asker_span = match.span(1)
        elif match := _QUESTION_TO.match(title):
            answerer_span = match.span(1)
        if asker_span is not None:
            if _AUDIENCE_WORDS.match(title[asker_span[0] : asker_span[1]]):
                audience = True
            else:
                askers = reader.names(title, *asker_span, lead=True)
                asker = askers[0] if askers else None
        if answerer_span is not None:
            answerers = reader.names(title, *answerer_span, lead=True)
    else:
        for match in _MODERATED_BY.finditer(title):
            moderators += reader.names(title, match.end(), len(title), lead=True)
        for match in _BY.finditer(title):
            if not _ROLE_BEFORE_BY.search(title[max(0, match.start() - 40) : match.start()]):
                primary += reader.names(title, match.end(), len(title), lead=True)
        for match in _FROM_PROJECT.finditer(title):
            primary += reader.names(title, 0, match.start(), lead=False)
        for match in _PARENTHESIS.finditer(title):
            names = reader.names(title, 0, match.start(), lead=False)
            if "project" in normalise_name(match.group(1)) or all(name.matched for name in names):
                primary += names
        for match in _PRESENTS.finditer(title):
            primary += reader.names(title, 0, match.start(), lead=False)
        if label := _LEAD_LABEL.search(title):
            names = reader.names(title, 0, label.start(), lead=False)
            if (
                len(names) == 1
                and names[0].position == 0
                and len(_trailing_run(title[: label.start()].split())) == len(title[: label.start()].split())
            ):
                primary += names
        if tail := _TAIL_LABEL.search(title):
            names = reader.names(title, tail.end(), len(title), lead=True)
            words = title[tail.end() :].split()
            if len(names) == 1 and len(_run(words)) == len(words):
                primary += names
        for match in _WITH.finditer(title):
            others += reader.names(title, match.end(), len(title), lead=True)
    others += reader.known_names(title)

    moderator = moderators[0] if moderators else None
    ordered: list[_Name] = []
    if question:
        ordered += [asker] if asker else []
        ordered += answerers
        ordered += sorted(others, key=lambda name: name.position)
    else:
        ordered += sorted(primary, key=lambda name: name.position)
        ordered += sorted(others, key=lambda name: name.position)
        ordered += moderators
        if moderator is not None:
            # The moderator holds the floor least; list them last unless they are the only one.
            ordered = [name for name in ordered if name.name != moderator.name] + [moderator]

    speakers: list[str] = []
    unmatched: list[str] = []
    for name in ordered:
        if name.name not in speakers:
            speakers.append(name.name)
        if not name.matched and name.name not in unmatched:
            unmatched.append(name.name)
    return _Reading(
        kind=_classify(title, bool(primary)),
        speakers=speakers,
        asker=AUDIENCE if audience else (asker.name if asker else None),
        answerer=answerers[0].name if answerers else None,
        moderator=moderator.name if moderator else None,
        projects=_projects(title),
        unmatched=unmatched,
    )


def _item(at: float, title: str, reading: _Reading, kind: SegmentKind | None = None) -> AgendaItem:
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


def _parse_text(agenda: str, index: _SpeakerIndex) -> list[AgendaItem]:
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

    reader = _TitleReader(index)
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
                (draft.line, draft.text, f"time {how} {_format_time(previous.at)} on line {previous.line}")
            )
            continue
        previous = draft
        if title:
            items.append(_item(draft.at, title, _read_title(title, reader)))
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


def _parse_entries(entries: Sequence[AgendaEntry], index: _SpeakerIndex) -> list[AgendaItem]:
    problems: list[tuple[int, str, str]] = []
    reader = _TitleReader(index)
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
                kind = next(known for known in _KINDS if known == folded)
            else:
                entry_problems.append(
                    f"unknown kind {entry.kind!r} (expected one of {', '.join(SEGMENT_KINDS)})"
                )
        if at is not None and previous is not None and at <= previous[1]:
            how = "repeats" if at == previous[1] else "goes back before"
            entry_problems.append(f"time {how} {_format_time(previous[1])} of entry {previous[0]}")
            at = None
        if at is not None:
            previous = (number, at)
        problems += [(number, text, why) for why in entry_problems]
        if entry_problems or at is None:
            continue
        reading = _read_title(title, reader)
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
    index = _SpeakerIndex.build(speakers)
    if isinstance(agenda, str):
        return _parse_text(agenda, index)
    return _parse_entries(list(agenda), index)
