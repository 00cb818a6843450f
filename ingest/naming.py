"""Putting people's names on diarization labels (S0, S1, ...).

The diarizer knows voices, not people; the agenda and the metadata know people, not voices. A
label is named after the person whose expected speaking time it overlaps most: each chapter says
who should be talking (the presenter of a talk, the asker and answerer of a question, the
moderator of the opening, panel and closing), with a weight, and each label's speech is laid over
those expectations. Words add evidence of their own ("my name is ...", "..., the floor is yours",
"Thank you, Karen" right after Karen spoke), which is all there is without an agenda. A
self-introduction counts only where the name is what follows the cue ("I'm Maria Jensen", not
"I'm with Karen"), and a placeholder such as "Speaker A" is never found in the words.

Labels and people are then paired one-to-one by the best total score (Hungarian algorithm), so a
label never carries two people's names and two labels never claim the same person; a pair is
only kept when the evidence covers a fair share of that label's speech, because naming the wrong
person in a replay is worse than showing "Speaker 3".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ingest.document import Segment
from ingest.textutil import STOPWORDS, contains_phrase, tokens

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


_GENERIC_TEXT = """
    speaker speakers guest participant panelist panellist presenter moderator host chair audience
    attendee unknown person voice caller member user anonymous interviewer interviewee respondent
    spk unnamed unidentified other label tbd tba
"""
_GENERIC = frozenset(_GENERIC_TEXT.split())
"""Words of a placeholder name ("Speaker A", "Guest 2", "SPEAKER_00"): it names a slot, not a person."""

_COMMON_TEXT = """
    will may bill mark grace hope joy faith rose june april august art frank jack pat sue rich max
    ray dean chase guy sky summer dawn robin iris ruby amber pearl holly ivy heather sandy rob don
    nick drew lance miles wade penny king young white black brown green gray grey long little wood
    woods hill baker cook fisher hunter mason page price rice bell ford banks park love rock stone
    field cross hall moss lane marsh bush bird fox wolf lamb hart swift strong sharp short north
    west south east march early best happy glad sorry afraid here from with
"""
_COMMON = STOPWORDS | frozenset(_COMMON_TEXT.split())
"""English words that are also first or last names: on their own they name someone only where the
transcript writes them capitalised in mid-sentence ("I'm Will", not "this is will power")."""

_TITLES = frozenset(("dr", "doctor", "prof", "professor", "mr", "mrs", "ms", "miss", "mx", "sir", "dame"))
_FILLERS = frozenset(("uh", "um", "er", "erm", "ah", "eh", "hm", "hmm", "mm"))
_THIRD_PERSON = frozenset(("he", "she", "his", "her", "him", "he's", "she's"))
"""Right after "this is Karen", these mean Karen is being introduced by someone else."""

_SENTENCE_END = re.compile(r"[.?!…]")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class _Form:
    """One way a person may be mentioned, as folded words."""

    words: tuple[str, ...]
    weak: bool = False
    """A single common word ("Will", "May"): it counts only where written capitalised mid-sentence."""


def _is_placeholder(words: Sequence[str]) -> bool:
    return all(w in _GENERIC or len(w) <= 1 or any(c.isdigit() for c in w) for w in words)


def _name_forms(people: Sequence[str]) -> dict[str, list[_Form]]:
    """The forms by which each person may be mentioned: full name, first and last name.

    A first or last name shared by two people is dropped (it would be evidence for neither), as
    is a single letter or number; a single common English word is kept as a weak form. A
    placeholder ("Speaker A", "Guest 2") has no forms: its words name nobody.
    """
    names = {person: tokens(person) for person in people}
    names = {person: words for person, words in names.items() if words and not _is_placeholder(words)}
    counts: dict[str, int] = {}
    for words in names.values():
        for word in {words[0], words[-1]}:
            counts[word] = counts.get(word, 0) + 1

    def single(word: str) -> _Form | None:
        if len(word) <= 1 or word.isdigit() or word in _TITLES:
            return None
        return _Form((word,), weak=word in _COMMON)

    forms: dict[str, list[_Form]] = {}
    for person, words in names.items():
        if len(words) == 1:
            found = single(words[0]) if counts.get(words[0]) == 1 else None
            person_forms = [found] if found else []
        else:
            person_forms = [_Form(tuple(words))]
            if len(words) >= 3:
                person_forms.append(_Form((words[0], words[-1])))  # "Maria Jensen" for "Maria de Jensen"
            for word in dict.fromkeys((words[0], words[-1])):
                found = single(word) if counts.get(word) == 1 else None
                if found:
                    person_forms.append(found)
        if person_forms:
            forms[person] = person_forms
    return forms


@dataclass
class _Words:
    """The folded words of a text, with what the writing around them says."""

    folded: list[str] = field(default_factory=list)
    marked: list[bool] = field(default_factory=list)
    """Written capitalised in mid-sentence. A weak signal (Whisper capitalises inconsistently),
    used only to let a name that is also a common word count; at a sentence start it says nothing."""
    opens: list[bool] = field(default_factory=list)
    """Starts a sentence (the first word, or the first after a full stop, ? or !)."""

    @classmethod
    def of(cls, text: str) -> _Words:
        words = cls()
        text = text.replace("’", "'")
        previous_end = 0
        for match in _WORD.finditer(text):
            surface = match.group()
            gap = text[previous_end : match.start()]
            after_title = bool(words.folded) and words.folded[-1] in _TITLES and gap.strip() == "."
            opens = not words.folded or (bool(_SENTENCE_END.search(gap)) and not after_title)  # "Dr. Jensen"
            previous_end = match.end()
            for n, word in enumerate(tokens(surface)):
                words.folded.append(word)
                words.marked.append(not opens and surface[:1].isupper())
                words.opens.append(opens and n == 0)
        return words


def _match_length(words: _Words, at: int, form: _Form, stop: int) -> int:
    n = len(form.words)
    if at < 0 or at + n > stop or tuple(words.folded[at : at + n]) != form.words:
        return 0
    if form.weak and not all(words.marked[at : at + n]):
        return 0
    return n


def _named_at(words: _Words, at: int, forms: dict[str, list[_Form]]) -> tuple[list[str], int]:
    """The people whose name starts exactly at `at` (the longest match wins), and its length."""
    best: list[str] = []
    longest = 0
    for person, person_forms in forms.items():
        length = max(_match_length(words, at, f, len(words.folded)) for f in person_forms)
        if length and length > longest:
            best, longest = [person], length
        elif length and length == longest:
            best.append(person)
    return best, longest


def _mentioned(words: _Words, start: int, stop: int, forms: dict[str, list[_Form]]) -> list[str]:
    """The people mentioned anywhere within words[start:stop]."""
    start, stop = max(0, start), min(len(words.folded), stop)
    return [
        person
        for person, person_forms in forms.items()
        if any(_match_length(words, at, f, stop) for at in range(start, stop) for f in person_forms)
    ]


_SELF: tuple[tuple[str, ...], ...] = (
    ("my", "name", "is"),
    ("my", "name's"),
    ("this", "is"),
    ("i", "am"),
    ("i'm",),
    ("i", "am", "called"),
    ("i'm", "called"),
    ("here", "is"),
    ("here's",),
)
_PRESENTING = {("this", "is"), ("here", "is"), ("here's",)}
"""Cues that also introduce someone else ("this is Karen, she leads ...")."""


def _introduced(words: _Words, forms: dict[str, list[_Form]]) -> list[str]:
    """Who the words introduce themselves as: "this is Jensen", "I'm Maria Jensen", "Hi, I am Tomasz".

    The name must be what follows the cue phrase in the same sentence (past a filler or a title
    such as "Dr"), not a word somewhere near it: "I'm with Karen", "this is a bit of HTML" and
    "here is the Nowak report" introduce nobody, nor does "this is Karen, she ..." (someone else
    introducing Karen).
    """
    folded = words.folded
    found: list[str] = []
    for cue in _SELF:
        for i in range(len(folded) - len(cue) + 1):
            if tuple(folded[i : i + len(cue)]) != cue:
                continue
            at = i + len(cue)
            while at < len(folded) and (folded[at] in _FILLERS or folded[at] in _TITLES):
                at += 1
            if any(words.opens[i + 1 : at + 1]):
                continue
            named, length = _named_at(words, at, forms)
            if len(named) != 1:
                continue
            if cue in _PRESENTING and any(w in _THIRD_PERSON for w in folded[at + length : at + length + 3]):
                continue
            found.append(named[0])
    return found


_HANDOVER = (["the", "floor", "is", "yours"], ["over", "to", "you"], ["floor", "to"], ["hand", "over", "to"])


def word_evidence(segments: Sequence[Segment], people: Sequence[str]) -> dict[str, dict[str, float]]:
    """Evidence from the words for label -> person, in seconds of expected speech.

    Three habits of webinar speech are used: people introduce themselves ("this is Sofie
    Vandenberghe"), moderators hand over by name ("Marek, the floor is yours": the next voice
    is Marek) and speakers start by thanking whoever spoke before ("Thank you, Karen").
    Only one unambiguous name per cue counts; a name that is also a common word ("Will") only
    where the transcript writes it capitalised mid-sentence.
    """
    forms = _name_forms(people)
    evidence: dict[str, dict[str, float]] = {}

    def add(label: str | None, person: str, amount: float) -> None:
        if label is not None:
            bucket = evidence.setdefault(label, {})
            bucket[person] = bucket.get(person, 0.0) + amount

    ordered = sorted(segments, key=lambda s: s.start)
    for n, segment in enumerate(ordered):
        text = _Words.of(segment.text)
        words = text.folded
        if not words:
            continue
        previous = next((s.speaker for s in reversed(ordered[:n]) if s.speaker != segment.speaker), None)
        following = next((s.speaker for s in ordered[n + 1 :] if s.speaker != segment.speaker), None)
        for person in _introduced(text, forms):
            add(segment.speaker, person, SELF_INTRODUCTION)
        if any(contains_phrase(words, cue) for cue in _HANDOVER):
            named = _mentioned(text, len(words) - 12, len(words), forms)
            if len(named) == 1:
                add(following, named[0], HANDOVER)
        if words[:2] == ["thank", "you"] or words[:1] == ["thanks"]:
            start = 2 if words[0] == "thank" else 1
            named = _mentioned(text, start, start + 3, forms)
            if len(named) == 1:
                add(previous, named[0], THANKS)
        named = _mentioned(text, 0, 2, forms)
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
