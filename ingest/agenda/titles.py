"""Who and what one agenda title names, read from the set phrases staff use.

"Keynote by Dr. Jane Smith", "Question from the audience to Tomasz Nowak", "GreenPorts project
(Ana Ribeiro) - results": the people are resolved against the manifest's speakers where
possible, the kind comes from the wording, and project names from "the X project".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.agenda.names import (
    NAME_WORD,
    SpeakerIndex,
    looks_like_a_person,
    name_run,
    strip_edges,
    trailing_name_run,
)
from ingest.document import SegmentKind
from ingest.textutil import normalise_name

__all__ = ["AUDIENCE", "Reading", "TitleReader", "read_title"]

AUDIENCE = "Audience"
"""The asker of a question put by someone in the audience rather than a named speaker."""


# Capitalised words that may precede "project" without being part of its name.
_NOT_PROJECTS = frozenset(
    {"the", "a", "an", "this", "that", "our", "their", "its", "each", "every", "eu", "new"}
)

_NAME_WINDOW = 240
_LIST_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class _Name:
    name: str
    matched: bool
    position: int


class TitleReader:
    """Finds the people and projects one title mentions, resolved against the speakers."""

    def __init__(self, index: SpeakerIndex) -> None:
        self.index = index

    def _resolve_words(self, words: list[str], lead: bool) -> tuple[str, bool] | None:
        run = name_run(words) if lead else trailing_name_run(words)
        if run:
            text = " ".join(run)
            canonical = self.index.match(text)
            if canonical is not None:
                return canonical, True
            if looks_like_a_person(run):
                return text, False
            return None
        # Names written in lower or upper case: only a known speaker can be recognised there.
        stripped = [strip_edges(word)[0] for word in words]
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
            run = name_run(words) if lead else trailing_name_run(words)
            if run and len(run) != len(words):
                break
        if not lead:
            found.reverse()
        return found

    def known_names(self, title: str) -> list[_Name]:
        """Full names of speakers wherever they appear, whatever the phrasing around them."""
        tokens: list[tuple[str, int]] = []
        for match in NAME_WORD.finditer(title):
            for piece in NAME_WORD.findall(normalise_name(match.group())):
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
class Reading:
    kind: SegmentKind
    speakers: list[str]
    asker: str | None
    answerer: str | None
    moderator: str | None
    projects: list[str]
    unmatched: list[str]


def read_title(title: str, reader: TitleReader) -> Reading:
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
                and len(trailing_name_run(title[: label.start()].split()))
                == len(title[: label.start()].split())
            ):
                primary += names
        if tail := _TAIL_LABEL.search(title):
            names = reader.names(title, tail.end(), len(title), lead=True)
            words = title[tail.end() :].split()
            if len(names) == 1 and len(name_run(words)) == len(words):
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
    return Reading(
        kind=_classify(title, bool(primary)),
        speakers=speakers,
        asker=AUDIENCE if audience else (asker.name if asker else None),
        answerer=answerers[0].name if answerers else None,
        moderator=moderator.name if moderator else None,
        projects=_projects(title),
        unmatched=unmatched,
    )
