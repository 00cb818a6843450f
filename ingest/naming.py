"""Putting people's names on diarization labels (S0, S1, ...).

The diarizer knows voices, not people; the agenda and the metadata know people, not voices. A
label is named after the person whose expected speaking time it overlaps most: each chapter says
who should be talking (the presenter of a talk, the asker and answerer of a question, the
moderator of the opening, panel and closing), with a weight, and each label's speech is laid over
those expectations. Words add evidence of their own ("my name is ...", "..., the floor is yours",
"Thank you, Karen" right after Karen spoke), which is all there is without an agenda.

Labels and people are then paired one-to-one by the best total score (Hungarian algorithm), so a
label never carries two people's names and two labels never claim the same person; a pair is
only kept when the evidence covers a fair share of that label's speech, because naming the wrong
person in a replay is worse than showing "Speaker 3".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ingest.document import Segment
from ingest.textutil import contains_phrase, tokens

__all__ = ["Expectation", "assign_one_to_one", "name_labels", "word_evidence"]

# Seconds of expected speech that one piece of word evidence is worth.
SELF_INTRODUCTION = 60.0
HANDOVER = 40.0
THANKS = 25.0
ADDRESS = 15.0

MIN_SCORE = 2.0
"""Below this many weighted seconds a pairing is a guess, not evidence."""
MIN_SHARE = 0.15
"""A pairing must be backed by at least this share of the label's own speech time."""


@dataclass(frozen=True)
class Expectation:
    """A stretch of the recording and who is expected to talk in it, with weights in 0..1."""

    start: float
    end: float
    people: Mapping[str, float] = field(default_factory=dict)


def assign_one_to_one(score: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column) maximising the total score, each row and column used at most once.

    A plain O(n³) Hungarian algorithm with potentials on the square matrix padded with zeros;
    written here because scipy is not a dependency and a webinar has at most a dozen labels.
    Pairs with a zero or negative score are dropped (a padded or useless match).
    """
    rows = len(score)
    cols = max((len(r) for r in score), default=0)
    n = max(rows, cols)
    if n == 0:
        return []
    top = max((v for r in score for v in r), default=0.0)
    cost = [
        [top - (score[i][j] if i < rows and j < len(score[i]) else 0.0) for j in range(n)] for i in range(n)
    ]
    u = [0.0] * (n + 1)
    v = [0.0] * (n + 1)
    match_col = [0] * (n + 1)  # match_col[j] = row (1-based) matched to column j
    way = [0] * (n + 1)
    for i in range(1, n + 1):
        match_col[0] = i
        j0 = 0
        minv = [math.inf] * (n + 1)
        used = [False] * (n + 1)
        while True:
            used[j0] = True
            i0 = match_col[j0]
            delta = math.inf
            j1 = 0
            for j in range(1, n + 1):
                if used[j]:
                    continue
                cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if cur < minv[j]:
                    minv[j] = cur
                    way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            for j in range(n + 1):
                if used[j]:
                    u[match_col[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if match_col[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            match_col[j0] = match_col[j1]
            j0 = j1
    pairs = []
    for j in range(1, n + 1):
        i = match_col[j] - 1
        if i < rows and j - 1 < len(score[i]) and score[i][j - 1] > 0:
            pairs.append((i, j - 1))
    return sorted(pairs)


def _overlap(spans: Sequence[tuple[float, float]], start: float, end: float) -> float:
    return sum(max(0.0, min(e, end) - max(s, start)) for s, e in spans)


def _name_forms(people: Sequence[str]) -> dict[str, list[list[str]]]:
    """Folded word sequences by which a person may be mentioned: full name, first and last name.

    A first or last name shared by two people is dropped: it would be evidence for neither.
    """
    forms: dict[str, list[list[str]]] = {}
    counts: dict[str, int] = {}
    for person in people:
        words = tokens(person)
        for single in {words[0], words[-1]} if len(words) >= 2 else set():
            counts[single] = counts.get(single, 0) + 1
    for person in people:
        words = tokens(person)
        if not words:
            continue
        person_forms = [words]
        if len(words) >= 2:
            person_forms += [[w] for w in dict.fromkeys((words[0], words[-1])) if counts.get(w) == 1]
        forms[person] = person_forms
    return forms


def _mentioned(words: list[str], forms: dict[str, list[list[str]]]) -> list[str]:
    return [person for person, fs in forms.items() if any(contains_phrase(words, f) for f in fs)]


_SELF = (["my", "name", "is"], ["this", "is"], ["i", "am"], ["i'm"], ["here", "is"])
_HANDOVER = (["the", "floor", "is", "yours"], ["over", "to", "you"], ["floor", "to"], ["hand", "over", "to"])


def word_evidence(segments: Sequence[Segment], people: Sequence[str]) -> dict[str, dict[str, float]]:
    """Evidence from the words for label -> person, in seconds of expected speech.

    Three habits of webinar speech are used: people introduce themselves ("this is Sofie
    Vandenberghe"), moderators hand over by name ("Marek, the floor is yours": the next voice
    is Marek) and speakers start by thanking whoever spoke before ("Thank you, Karen").
    Only one unambiguous name per cue counts.
    """
    forms = _name_forms(people)
    evidence: dict[str, dict[str, float]] = {}

    def add(label: str | None, person: str, amount: float) -> None:
        if label is not None:
            bucket = evidence.setdefault(label, {})
            bucket[person] = bucket.get(person, 0.0) + amount

    ordered = sorted(segments, key=lambda s: s.start)
    for n, segment in enumerate(ordered):
        words = tokens(segment.text)
        if not words:
            continue
        previous = next((s.speaker for s in reversed(ordered[:n]) if s.speaker != segment.speaker), None)
        following = next((s.speaker for s in ordered[n + 1 :] if s.speaker != segment.speaker), None)
        for cue in _SELF:
            for i in range(len(words) - len(cue) + 1):
                if words[i : i + len(cue)] == cue:
                    named = _mentioned(words[i + len(cue) : i + len(cue) + 3], forms)
                    if len(named) == 1:
                        add(segment.speaker, named[0], SELF_INTRODUCTION)
        if any(contains_phrase(words, cue) for cue in _HANDOVER):
            named = _mentioned(words[-12:], forms)
            if len(named) == 1:
                add(following, named[0], HANDOVER)
        if words[:2] == ["thank", "you"] or words[:1] == ["thanks"]:
            start = 2 if words[0] == "thank" else 1
            named = _mentioned(words[start : start + 3], forms)
            if len(named) == 1:
                add(previous, named[0], THANKS)
        named = _mentioned(words[:2], forms)
        if len(named) == 1 and "?" in segment.text:
            add(following, named[0], ADDRESS)  # "Javier, how do you ...?"
    return evidence


def name_labels(
    speech: Mapping[str, Sequence[tuple[float, float]]],
    expectations: Sequence[Expectation],
    evidence: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, str]:
    """Label -> person key, one-to-one, for the labels the evidence supports.

    `speech` holds each label's speaking intervals. A label's score for a person is the time it
    speaks inside each expectation times the person's weight there, plus the word evidence.
    """
    labels = list(speech)
    people: list[str] = []
    for expectation in expectations:
        people += [p for p in expectation.people if p not in people]
    for per_label in (evidence or {}).values():
        people += [p for p in per_label if p not in people]
    if not labels or not people:
        return {}
    score = [[0.0] * len(people) for _ in labels]
    column = {person: j for j, person in enumerate(people)}
    for i, label in enumerate(labels):
        for expectation in expectations:
            time = _overlap(speech[label], expectation.start, expectation.end)
            if time <= 0:
                continue
            for person, weight in expectation.people.items():
                score[i][column[person]] += time * weight
        for person, amount in (evidence or {}).get(label, {}).items():
            score[i][column[person]] += amount
    total = {label: sum(e - s for s, e in speech[label]) for label in labels}
    named: dict[str, str] = {}
    for i, j in assign_one_to_one(score):
        if score[i][j] >= max(MIN_SCORE, MIN_SHARE * total[labels[i]]):
            named[labels[i]] = people[j]
    return named
