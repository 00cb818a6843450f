"""A kind for every segment, and each answer linked to the question it answers.

The chapter sets the expectation (an agenda question, a talk, a panel) and the words settle it:
inside a talk only a question another voice puts right before the presenter speaks counts, and
inside a panel only an announced one, because moderators asking panellists is the panel itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.document import Segment, SegmentKind
from ingest.questions import is_explicit_question, sounds_like_question

__all__ = ["ANSWER_LIMIT", "ChapterRoles", "assign_kinds"]

ANSWER_LIMIT = 90.0
"""How much of a presenter's speech after a question inside a talk counts as the answer."""


@dataclass(frozen=True)
class ChapterRoles:
    """What one chapter expects: its kind, and which voice labels present, ask and answer in it."""

    kind: SegmentKind
    leads: frozenset[str] = frozenset()
    """Presenter labels of a talk."""
    askers: frozenset[str] = frozenset()
    answerers: frozenset[str] = frozenset()


def assign_kinds(segments: list[Segment], roles: Sequence[ChapterRoles]) -> None:
    """Give each segment a kind from its chapter and its words, and link answers to questions."""
    by_chapter: dict[int | None, list[Segment]] = {}
    for segment in segments:
        by_chapter.setdefault(segment.chapter, []).append(segment)
    for chapter, members in by_chapter.items():
        if chapter is None:
            for segment in members:
                segment.kind = "other"
            continue
        role = roles[chapter]
        if role.kind == "question":
            _question_chapter(members, role)
        elif role.kind == "presentation":
            _talk_chapter(members, role)
        elif role.kind == "panel":
            _panel_chapter(members)
        else:
            for segment in members:
                segment.kind = role.kind
    _pair(segments)


def _question_chapter(members: list[Segment], role: ChapterRoles) -> None:
    askers, answerers = set(role.askers), set(role.answerers)
    if not askers:
        first = next((s.speaker for s in members if s.speaker not in answerers), None)
        askers = {first} if first else set()
    if not answerers:
        asked = next((n for n, s in enumerate(members) if s.speaker in askers), 0)
        reply = next((s.speaker for s in members[asked:] if s.speaker not in askers), None)
        answerers = {reply} if reply else set()
    answered = False
    for segment in members:
        if segment.speaker in answerers and segment.speaker not in askers:
            segment.kind, answered = "answer", True
        elif segment.speaker in askers or sounds_like_question(segment.text) or not answered:
            segment.kind = "question"
        else:
            segment.kind = "other"


def _talk_chapter(members: list[Segment], role: ChapterRoles) -> None:
    leads = set(role.leads)
    if not leads:
        time: dict[str | None, float] = {}
        for segment in members:
            time[segment.speaker] = time.get(segment.speaker, 0.0) + segment.end - segment.start
        leads = {max(time, key=lambda k: time[k]) or ""} if time else set()
    answering_until = -1.0
    for n, segment in enumerate(members):
        following = members[n + 1] if n + 1 < len(members) else None
        if (
            segment.speaker not in leads
            and following is not None
            and following.speaker in leads
            and ("?" in segment.text or is_explicit_question(segment.text))
        ):
            segment.kind = "question"
            answering_until = following.start + ANSWER_LIMIT
        elif (
            n > 0
            and segment.speaker in leads
            and answering_until > segment.start
            and members[n - 1].kind in ("question", "answer")
        ):
            segment.kind = "answer"
        else:
            segment.kind = "presentation"


def _panel_chapter(members: list[Segment]) -> None:
    """Panel talk stays `panel` unless someone clearly puts a question that another voice answers.

    "Clearly" means an explicit announcement ("a question from the audience", "my question
    is"): moderators ask panellists questions all the time, and that exchange is the panel.
    """
    for segment in members:
        segment.kind = "panel"
    for n, segment in enumerate(members):
        if segment.kind != "panel" or not is_explicit_question(segment.text):
            continue
        rest = members[n + 1 :]
        k = 0
        while k < len(rest) and rest[k].speaker == segment.speaker:
            k += 1  # the asker goes on asking before anyone answers
        if k == len(rest):
            continue
        for asked in [segment, *rest[:k]]:
            asked.kind = "question"
        answerer = rest[k].speaker
        while k < len(rest) and rest[k].speaker == answerer:
            rest[k].kind = "answer"
            k += 1


def _pair(segments: list[Segment]) -> None:
    """Each answer points at the first segment of the question run it follows, in its chapter."""
    question: int | None = None
    asker: str | None = None
    chapter: int | None = None
    for segment in segments:
        segment.answers = None
        if segment.chapter != chapter:
            question, asker, chapter = None, None, segment.chapter
        if segment.kind == "question":
            if question is None or segment.speaker != asker or segments[segment.id - 1].kind != "question":
                question, asker = segment.id, segment.speaker
        elif segment.kind == "answer" and question is not None and segment.speaker != asker:
            segment.answers = question
