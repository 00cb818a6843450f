"""Which speaker a written mention means, and which runs of words can be a person's name.

Mentions are compared folded (`textutil.normalise_name`: case and accents dropped) because staff
write "Jose Garcia" for "José García"; a mention that fits several speakers matches none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.metadata import Person
from ingest.textutil import normalise_name

__all__ = [
    "NAME_WORD",
    "SpeakerIndex",
    "looks_like_a_person",
    "match_speaker",
    "name_run",
    "strip_edges",
    "trailing_name_run",
]

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
NAME_WORD = re.compile(r"\w+")
"""A word of a name; titles are cut into words the same way so full names can be found in them."""


def _name_tokens(text: str) -> tuple[str, ...]:
    """Folded words of a name without honorifics; punctuation inside names does not matter."""
    tokens = NAME_WORD.findall(normalise_name(text))
    while tokens and tokens[0] in _HONORIFICS:
        tokens = tokens[1:]
    return tuple(tokens)


@dataclass
class SpeakerIndex:
    """Lookups from folded name forms to canonical names, built once per agenda."""

    full: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    first_last: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    tail: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    single: dict[str, set[str]] = field(default_factory=dict)
    surnames: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, speakers: Iterable[Person]) -> SpeakerIndex:
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
    return SpeakerIndex.build(speakers).match(text)


# --------------------------------------------------------------------------------------------
# Runs of words that can form a name


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


def strip_edges(word: str) -> tuple[str, bool]:
    """A word without surrounding punctuation, and whether punctuation ended a phrase there."""
    core = word.strip("\"“”‘'()[]")
    ended = core != word
    trailing = core.rstrip(",;:!?")
    if trailing != core:
        ended = True
    if trailing.endswith(".") and not (len(trailing) == 2 or normalise_name(trailing[:-1]) in _HONORIFICS):
        trailing, ended = trailing[:-1], True
    return trailing, ended


def name_run(words: list[str]) -> list[str]:
    """The leading run of words that can form a person's name."""
    cleaned: list[str] = []
    for word in words:
        if cleaned and word[:1] in '([{"“‘':
            break  # "Tomasz Nowak (ReCircle project)": the bracket ends the name
        core, ended = strip_edges(word)
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


def looks_like_a_person(run: list[str]) -> bool:
    """Whether an unmatched run is safe to report as a person rather than a capitalised phrase.

    One capitalised word ("Eurostat", "Brussels") is too often not a person, so a lone word only
    counts after an honorific; initials alone ("J. R.") never do.
    """
    body = run[1:] if _is_honorific(run[0]) else run
    has_word = any(len(word.rstrip(".")) > 1 and not _is_particle(word) for word in body)
    return has_word and (len(body) >= 2 or len(body) < len(run))


def trailing_name_run(words: list[str]) -> list[str]:
    """The trailing run of words that can form a person's name."""
    best: list[str] = []
    for start in range(len(words) - 1, -1, -1):
        candidate = name_run(words[start:])
        if len(candidate) == len(words) - start:
            best = candidate
        elif not _is_particle(words[start]):
            # Particles may sit inside a run ("Jan van der Berg"), so only other words end it.
            break
    return best
