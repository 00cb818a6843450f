"""The structure stage: a flat transcript becomes what a practitioner navigates and cites.

`structure` takes the transcription, the metadata, the diarizer's speaker turns and the parsed
agenda, and returns a new Transcript with segments split at speaker changes and sized for
search hits (about 10 to 40 s, cut at sentence ends), chapters snapped to where the talk really
changes, names on the voices, a kind for every segment, answers linked to their questions and
resources linked to the moments they are mentioned (issue 3).

It is a pure function: no model is loaded here (the caller diarizes and parses the agenda), so
every rule can be tested on synthetic input and re-run on a stored transcript when staff fix an
agenda. The helpers live in `chapters` (snapping, automatic chapters, titles), `naming` (labels
to people) and `questions` (questions from the words).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from ingest.agenda import AUDIENCE, AgendaItem
from ingest.chapters import Boundary, Unit, auto_boundaries, chapter_title, dominant, snap_starts
from ingest.document import Chapter, Resource, Segment, SegmentKind, Speaker, Transcript, Word
from ingest.metadata import Manifest, Person
from ingest.naming import Expectation, name_labels, word_evidence
from ingest.questions import is_explicit_question, sounds_like_question
from ingest.speakers import SpeakerTurn, assign_speakers
from ingest.textutil import contains_phrase, ends_clause, ends_sentence, fold, tokens

__all__ = ["MAX_SEGMENT", "MIN_FRAGMENT", "TARGET_SEGMENT", "split_words", "structure"]

TARGET_SEGMENT = 22.0
"""Preferred segment length in seconds: long enough to read as a passage, short enough that a
search hit lands within a few sentences of the moment it names."""
MIN_SEGMENT = 10.0
MAX_SEGMENT = 40.0
MIN_FRAGMENT = 2.0
"""Shorter pieces are merged into a neighbour of the same voice where that stays within 40 s."""
BLOCK_PAUSE = 5.0
"""A silence this long inside one voice's speech always ends a segment."""
ANSWER_LIMIT = 90.0
"""How much of a presenter's speech after a question inside a talk counts as the answer."""

_MODERATOR_ROLES = ("moderator", "chair", "host", "facilitator")
_EPS = 1e-6


# --------------------------------------------------------------------------------------------
# Words as one time line


@dataclass
class _Token:
    """A word (or a whole segment that has no word times) with the voice that spoke it."""

    start: float
    end: float
    text: str
    speaker: str
    word: Word | None
    source: Segment


def _tokens(segments: Sequence[Segment]) -> list[_Token]:
    out: list[_Token] = []
    for segment in segments:
        speaker = segment.speaker or "S0"
        if segment.words:
            out += [_Token(w.start, w.end, w.text, speaker, w, segment) for w in segment.words]
        else:
            out.append(_Token(segment.start, segment.end, segment.text, speaker, None, segment))
    return out


EDGE_WORDS = 3
"""At most this many words at a turn's edge may move to the neighbouring voice (see `_smooth`)."""


def _smooth(tokens_: list[_Token]) -> None:
    """Give words at a turn's edge back to the voice whose sentence they finish or start.

    Diarization turns start and end a few hundred milliseconds off, so the last word of one
    voice ("... and that convinced them.") often lands in the next voice's turn. Such a word
    sits right after the previous voice's unfinished sentence, with no pause before it and a
    pause after it; moving it back keeps sentences whole and chapter starts on the real change.
    The mirror case (a new voice's first words counted in the old turn) is handled the same way.
    """
    words = [t for t in tokens_ if t.word is not None]
    for i in range(1, len(words)):
        before, after = words[i - 1], words[i]
        if before.speaker == after.speaker:
            continue
        # The new run's first words finish the old voice's sentence.
        if not ends_sentence(before.text) and after.start - before.end < 0.15:
            for j in range(i, min(i + EDGE_WORDS, len(words))):
                if words[j].speaker != after.speaker or words[j].end - after.start > 1.5:
                    break
                following = words[j + 1] if j + 1 < len(words) else None
                if ends_sentence(words[j].text) and (
                    following is None or following.start - words[j].end >= 0.3
                ):
                    for k in range(i, j + 1):
                        words[k].speaker = before.speaker
                    break
            if words[i].speaker == before.speaker:
                continue
        # The old run's last words start the new voice's sentence.
        for j in range(i - 1, max(i - 1 - EDGE_WORDS, -1), -1):
            if words[j].speaker != before.speaker or before.end - words[j].start > 1.5:
                break
            if ends_sentence(words[j].text):
                break
            previous = words[j - 1] if j > 0 else None
            if (
                previous is not None
                and previous.speaker == before.speaker
                and ends_sentence(previous.text)
                and words[j].start - previous.end >= 0.3
                and after.start - before.end < 0.15
            ):
                for k in range(j, i):
                    words[k].speaker = after.speaker
                break


def _boundaries(tokens_: Sequence[_Token]) -> list[Boundary]:
    found: list[Boundary] = []
    for i, token in enumerate(tokens_):
        if i == 0:
            found.append(Boundary(token.start, token.start, None, token.speaker, True))
            continue
        previous = tokens_[i - 1]
        found.append(
            Boundary(
                time=token.start,
                gap=max(0.0, token.start - previous.end),
                before=previous.speaker,
                after=token.speaker,
                sentence_end=ends_sentence(previous.text),
            )
        )
    return found


# --------------------------------------------------------------------------------------------
# Segments of a searchable size


def _cut_cost(words: Sequence[Word], i: int) -> float:
    """The cost of cutting before `words[i]`: sentence ends are free, pauses make cuts cheaper."""
    before = words[i - 1].text
    base = 0.0 if ends_sentence(before) else 2.0 if ends_clause(before) else 6.0
    return base + 1.0 - min(max(0.0, words[i].start - words[i - 1].end), 1.0)


def _length_cost(duration: float) -> float:
    return ((duration - TARGET_SEGMENT) / 12.0) ** 2


def split_words(words: Sequence[Word]) -> list[list[Word]]:
    """Cut one voice's run of words into pieces of about 10 to 40 s, between words only.

    Dynamic programming over the cut points: each piece pays for its distance from the target
    length, each cut for what it interrupts (free at a sentence end, dearer at a comma, dearest
    mid-clause, cheaper where there is a pause). Pieces over 40 s are not allowed unless one word
    alone is that long, so a 60 s sentence is cut at its best comma or longest pause.
    """
    n = len(words)
    if n == 0:
        return []
    best = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            duration = words[j - 1].end - words[i].start
            if duration > MAX_SEGMENT and i < j - 1:
                break
            cost = best[i] + _length_cost(duration) + (_cut_cost(words, i) if i > 0 else 0.0)
            if cost < best[j]:
                best[j], back[j] = cost, i
    pieces: list[list[Word]] = []
    j = n
    while j > 0:
        pieces.append(list(words[back[j] : j]))
        j = back[j]
    return pieces[::-1]


def _join(words: Sequence[Word]) -> str:
    """Text from word texts; faster-whisper words carry their leading space, others get one."""
    parts = [w.text if (n == 0 or w.text[:1].isspace()) else " " + w.text for n, w in enumerate(words)]
    return "".join(parts).strip()


@dataclass
class _Piece:
    speaker: str
    chapter: int | None
    words: list[Word] = field(default_factory=list)
    whole: Segment | None = None  # a segment without word times, kept as it is

    @property
    def start(self) -> float:
        return self.whole.start if self.whole is not None else self.words[0].start

    @property
    def end(self) -> float:
        return self.whole.end if self.whole is not None else max(w.end for w in self.words)


def _chapter_of(time: float, starts: Sequence[float]) -> int | None:
    index = bisect.bisect_right(starts, time + _EPS) - 1
    return index if index >= 0 else None


def _regroup(tokens_: Sequence[_Token], starts: Sequence[float]) -> list[_Piece]:
    """Blocks of one voice within one chapter, each cut to a searchable size, tiny ones merged."""
    blocks: list[_Piece] = []
    for token in tokens_:
        chapter = _chapter_of(token.start, starts)
        last = blocks[-1] if blocks else None
        if token.word is None:
            blocks.append(_Piece(token.speaker, chapter, whole=token.source))
            continue
        if (
            last is None
            or last.whole is not None
            or last.speaker != token.speaker
            or last.chapter != chapter
            or token.start - last.words[-1].end >= BLOCK_PAUSE
        ):
            blocks.append(_Piece(token.speaker, chapter))
        blocks[-1].words.append(token.word)
    pieces: list[_Piece] = []
    for block in blocks:
        if block.whole is not None:
            pieces.append(block)
        else:
            pieces += [_Piece(block.speaker, block.chapter, part) for part in split_words(block.words)]
    return _merge_fragments(pieces)


def _merge_fragments(pieces: list[_Piece]) -> list[_Piece]:
    def mergeable(a: _Piece, b: _Piece) -> bool:
        return (
            a.whole is None
            and b.whole is None
            and a.speaker == b.speaker
            and a.chapter == b.chapter
            and b.end - a.start <= MAX_SEGMENT
        )

    merged: list[_Piece] = []
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece.whole is None and piece.end - piece.start < MIN_FRAGMENT:
            if merged and mergeable(merged[-1], piece):
                merged[-1].words += piece.words
                i += 1
                continue
            if i + 1 < len(pieces) and mergeable(piece, pieces[i + 1]):
                pieces[i + 1] = _Piece(piece.speaker, piece.chapter, piece.words + pieces[i + 1].words)
                i += 1
                continue
        merged.append(piece)
        i += 1
    return merged


def _segments(pieces: Sequence[_Piece]) -> list[Segment]:
    segments: list[Segment] = []
    for n, piece in enumerate(pieces):
        if piece.whole is not None:
            segment = msgspec.structs.replace(piece.whole, id=n, words=[], resources=[], answers=None)
        else:
            segment = Segment(
                id=n, start=piece.start, end=piece.end, text=_join(piece.words), words=piece.words
            )
        segment.speaker = piece.speaker
        segment.chapter = piece.chapter
        segment.kind = "other"
        segments.append(segment)
    for previous, segment in itertools.pairwise(segments):
        if previous.end > segment.start:  # overlapping word times: segments must not overlap
            previous.end = max(previous.start, segment.start)
    return segments


# --------------------------------------------------------------------------------------------
# People


@dataclass
class _Cast:
    """Who is who in the metadata: the moderator, the audience member, everyone by name."""

    people: dict[str, Person]
    moderator: str | None
    audience: str | None
    """The single manifest person whose role is "audience", who asks the audience's question."""

    @classmethod
    def build(cls, manifest: Manifest, agenda: Sequence[AgendaItem]) -> _Cast:
        people = {p.name: p for p in manifest.speakers}
        for item in agenda:
            for name in [*item.speakers, item.asker, item.answerer, item.moderator]:
                if name and name != AUDIENCE and name not in people:
                    people[name] = Person(name=name)
        moderator = next(
            (p.name for p in manifest.speakers if any(r in fold(p.role or "") for r in _MODERATOR_ROLES)),
            None,
        )
        moderator = moderator or next((i.moderator for i in agenda if i.moderator), None)
        if moderator is None:
            moderator = next((i.speakers[0] for i in agenda if i.kind == "intro" and i.speakers), None)
        audience = [p.name for p in manifest.speakers if "audience" in fold(p.role or "")]
        return cls(people, moderator, audience[0] if len(audience) == 1 else None)

    def asker(self, item: AgendaItem) -> str | None:
        if item.asker == AUDIENCE:
            return self.audience or AUDIENCE
        return item.asker

    def lead(self, item: AgendaItem) -> str | None:
        """Who should be speaking when the item begins: the voice its chapter snaps to."""
        if item.kind == "question":
            return self.asker(item) or (item.speakers[0] if item.speakers else None)
        if item.kind == "presentation" and item.speakers:
            return item.speakers[0]
        if item.kind in ("intro", "panel"):
            return item.moderator or self.moderator or (item.speakers[0] if item.speakers else None)
        return (item.speakers[0] if item.speakers else None) or self.moderator

    def expected(self, item: AgendaItem, first: bool, last: bool) -> dict[str, float]:
        """Who is expected to talk during an item, weighted by how much of it they should hold."""
        weights: dict[str, float] = {}

        def put(name: str | None, weight: float) -> None:
            if name:
                weights[name] = max(weights.get(name, 0.0), weight)

        moderator = item.moderator or self.moderator
        if item.kind == "question":
            put(self.asker(item), 1.0)
            put(item.answerer, 1.0)
            for name in item.speakers:
                put(name, 0.5)
            put(moderator, 0.1)
        elif item.kind == "panel":
            put(moderator, 1.0)
            for name in item.speakers:
                put(name, 0.7)
            for person in self.people.values():
                if "audience" not in fold(person.role or ""):
                    put(person.name, 0.3)
        elif item.kind in ("presentation", "answer"):
            for n, name in enumerate(item.speakers):
                put(name, 1.0 if n == 0 else 0.5)
            put(moderator, 0.1)
        else:  # intro, other
            for n, name in enumerate(item.speakers):
                put(name, 1.0 if n == 0 else 0.5)
            put(moderator, 1.0 if not item.speakers or item.kind == "intro" else 0.3)
        if first or last:
            put(self.moderator, 0.3)  # the moderator opens and closes
        return weights


def _speech(
    turns: Sequence[SpeakerTurn], segments: Sequence[Segment]
) -> dict[str, list[tuple[float, float]]]:
    """Each label's speaking intervals: the diarizer's turns, or the segments without turns."""
    speech: dict[str, list[tuple[float, float]]] = {}
    if turns:
        for turn in turns:
            speech.setdefault(turn.speaker, []).append((turn.start, turn.end))
    else:
        for segment in segments:
            speech.setdefault(segment.speaker or "S0", []).append((segment.start, segment.end))
    return speech


def _spans(starts: Sequence[float], duration: float) -> list[tuple[float, float]]:
    return [(s, starts[i + 1] if i + 1 < len(starts) else max(duration, s)) for i, s in enumerate(starts)]


# --------------------------------------------------------------------------------------------
# Kinds, questions and answers


@dataclass(frozen=True)
class _Roles:
    kind: SegmentKind
    leads: frozenset[str] = frozenset()
    """Presenter labels of a talk."""
    askers: frozenset[str] = frozenset()
    answerers: frozenset[str] = frozenset()


def _kinds(segments: list[Segment], roles: Sequence[_Roles]) -> None:
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


def _question_chapter(members: list[Segment], role: _Roles) -> None:
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


def _talk_chapter(members: list[Segment], role: _Roles) -> None:
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


# --------------------------------------------------------------------------------------------
# Resources


def _link_resources(segments: list[Segment], manifest: Manifest, projects: Sequence[str]) -> list[Resource]:
    """Record on each segment the resources it names, by title or by the project they belong to."""
    phrases: list[list[list[str]]] = []
    for link in manifest.resources:
        title = tokens(link.title)
        mine = [title] if title else []
        for project in projects:
            words = tokens(project)
            if words and contains_phrase(title, words) and words not in mine:
                mine.append(words)
        phrases.append(mine)
    first: list[float | None] = [None] * len(phrases)
    for segment in segments:
        words = tokens(segment.text)
        segment.resources = [
            i for i, mine in enumerate(phrases) if any(contains_phrase(words, p) for p in mine)
        ]
        for i in segment.resources:
            if first[i] is None:
                first[i] = segment.start
    return [Resource(link.title, link.url, first[i]) for i, link in enumerate(manifest.resources)]


# --------------------------------------------------------------------------------------------
# The stage


def structure(
    transcript: Transcript,
    manifest: Manifest,
    turns: list[SpeakerTurn],
    agenda: list[AgendaItem] | None,
    *,
    snap_window: float = 30.0,
) -> Transcript:
    """Return a new, structured transcript; the input is left as it was.

    `turns` are the diarizer's speaker turns (labels such as "S0"); with none, segments keep the
    speakers they have. `agenda` is the parsed agenda, or None to find chapters automatically.
    """
    source = [
        msgspec.structs.replace(s, words=list(s.words), resources=list(s.resources))
        for s in transcript.segments
    ]
    split = assign_speakers(source, list(turns))
    tokens_ = sorted(_tokens(split), key=lambda t: (t.start, t.end))
    _smooth(tokens_)
    boundaries = _boundaries(tokens_)
    speech = _speech(turns, split)
    for token in tokens_:
        speech.setdefault(token.speaker, [])
    items = list(agenda or [])
    cast = _Cast.build(manifest, items)
    evidence = word_evidence(split, list(cast.people))
    duration = max([transcript.duration, *(t.end for t in tokens_)])

    if items:
        starts, names, roles, chapters = _agenda_chapters(
            items, cast, speech, evidence, boundaries, duration, snap_window
        )
    else:
        starts, names, roles, chapters = _automatic_chapters(split, cast, speech, evidence, duration)

    segments = _segments(_regroup(tokens_, starts))
    _kinds(segments, roles)
    projects = [p.project for p in manifest.speakers if p.project] + [p for i in items for p in i.projects]
    resources = _link_resources(segments, manifest, projects)
    labels, speakers = _speakers(segments, speech, names, cast)
    for segment in segments:
        segment.speaker = labels.get(segment.speaker or "", segment.speaker)
    return Transcript(
        language=transcript.language,
        duration=transcript.duration,
        model=transcript.model,
        segments=segments,
        speakers=speakers,
        chapters=chapters,
        resources=resources,
    )


def _agenda_chapters(
    items: Sequence[AgendaItem],
    cast: _Cast,
    speech: dict[str, list[tuple[float, float]]],
    evidence: dict[str, dict[str, float]],
    boundaries: Sequence[Boundary],
    duration: float,
    window: float,
) -> tuple[list[float], dict[str, str], list[_Roles], list[Chapter]]:
    """Snap the agenda's times and name the voices, each refining the other.

    Names come first from the written times (off by seconds, so the overlaps are still mostly
    right), then chapters snap to changes to the voices so named, then names are settled on the
    snapped chapters and the snapping is repeated once with them.
    """
    written = [item.at for item in items]
    expected = [cast.expected(item, n == 0, n == len(items) - 1) for n, item in enumerate(items)]
    starts = list(written)
    names: dict[str, str] = {}
    for round_ in range(2):
        spans = _spans(starts, duration)
        # First round: written times may be `window` off, so let each item reach that far.
        reach = window if round_ == 0 else 0.0
        names = name_labels(
            speech,
            [Expectation(s - reach, e + reach, w) for (s, e), w in zip(spans, expected, strict=True)],
            evidence,
        )
        by_person = {person: label for label, person in names.items()}
        leads = [frozenset({by_person[p]} if (p := cast.lead(item)) in by_person else ()) for item in items]
        snapped = snap_starts(written, leads, boundaries, window)
        starts = [s if s is not None else w for s, w in zip(snapped, written, strict=True)]
    spans = _spans(starts, duration)
    names = name_labels(
        speech, [Expectation(s, e, w) for (s, e), w in zip(spans, expected, strict=True)], evidence
    )
    by_person = {person: label for label, person in names.items()}

    def labels_of(*people: str | None) -> frozenset[str]:
        return frozenset(by_person[p] for p in people if p is not None and p in by_person)

    roles: list[_Roles] = []
    chapters: list[Chapter] = []
    for item, (start, end) in zip(items, spans, strict=True):
        asker = cast.asker(item)
        roles.append(
            _Roles(
                kind=item.kind,
                leads=labels_of(item.speakers[0] if item.speakers else None),
                askers=labels_of(asker),
                answerers=labels_of(item.answerer),
            )
        )
        people = list(item.speakers)
        if asker and asker != AUDIENCE and asker not in people:
            people.insert(0, asker)
        chapters.append(
            Chapter(
                start=start,
                end=max(start, end),
                title=item.title,
                kind=item.kind,
                speakers=people,
                written_start=item.at,
            )
        )
    return starts, names, roles, chapters


def _automatic_chapters(
    split: Sequence[Segment],
    cast: _Cast,
    speech: dict[str, list[tuple[float, float]]],
    evidence: dict[str, dict[str, float]],
    duration: float,
) -> tuple[list[float], dict[str, str], list[_Roles], list[Chapter]]:
    """Chapters from voices, pauses and vocabulary; names from the words and the moderator's role.

    Without an agenda the metadata still says who moderates, and moderators open and close: the
    first and last tenth of the recording (at most two minutes each) expect the moderator.
    """
    expectations: list[Expectation] = []
    if cast.moderator:
        edge = min(120.0, 0.1 * duration)
        expectations += [
            Expectation(0.0, edge, {cast.moderator: 1.0}),
            Expectation(duration - edge, duration, {cast.moderator: 1.0}),
        ]
    names = name_labels(speech, expectations, evidence)
    units = [Unit(s.start, s.end, s.speaker or "S0", s.text) for s in split]
    starts = auto_boundaries(units, duration)
    spans = _spans(starts, duration)
    members = [
        [u for u in units if s - _EPS <= u.start < e or (n == len(spans) - 1 and u.start >= s)]
        for n, (s, e) in enumerate(spans)
    ]
    by_person = {person: label for label, person in names.items()}
    moderator_label = by_person.get(cast.moderator or "")
    roles: list[_Roles] = []
    chapters: list[Chapter] = []
    for n, ((start, end), group) in enumerate(zip(spans, members, strict=True)):
        label_time: dict[str, float] = {}
        for unit in group:
            label_time[unit.speaker] = label_time.get(unit.speaker, 0.0) + unit.end - unit.start
        main_label = max(label_time, key=lambda k: label_time[k]) if label_time else None
        main_name, share = dominant(group, names)
        total = sum(label_time.values())
        ranked = sorted(label_time, key=lambda k: -label_time[k])
        kind: SegmentKind
        moderated = main_label is not None and main_label == moderator_label and share >= 0.6
        if moderated and n == 0:
            kind = "intro"
        elif moderated and n == len(spans) - 1:
            kind = "other"
        elif share >= 0.75:
            kind = "presentation"
        elif (
            len(ranked) >= 2
            and (label_time[ranked[0]] + label_time[ranked[1]]) >= 0.9 * total
            and group
            and sounds_like_question(group[0].text)
        ):
            kind = "question"
        elif len(ranked) >= 2:
            kind = "panel"
        else:
            kind = "other"
        others = [[u.text for u in g] for m, g in enumerate(members) if m != n]
        shown = main_name if main_name is not None and share >= 0.6 and main_label in names else None
        title = chapter_title([u.text for u in group], others, shown)
        present = [names[label] for label in ranked if label in names]
        roles.append(_Roles(kind=kind, leads=frozenset({main_label}) if main_label else frozenset()))
        chapters.append(Chapter(start=start, end=max(start, end), title=title, kind=kind, speakers=present))
    return starts, names, roles, chapters


def _speakers(
    segments: Sequence[Segment],
    speech: dict[str, list[tuple[float, float]]],
    names: dict[str, str],
    cast: _Cast,
) -> tuple[dict[str, str], list[Speaker]]:
    """Stable display labels ("Speaker 1", "Audience") and the Speaker entries, in order of speech."""
    order: list[str] = []
    for segment in segments:
        if segment.speaker and segment.speaker not in order:
            order.append(segment.speaker)
    labels: dict[str, str] = {}
    speakers: list[Speaker] = []
    for n, raw in enumerate(order, start=1):
        person_key = names.get(raw)
        if person_key == AUDIENCE:
            labels[raw] = AUDIENCE
            speakers.append(Speaker(label=AUDIENCE, role="audience"))
            continue
        label = f"Speaker {n}"
        labels[raw] = label
        person = cast.people.get(person_key) if person_key else None
        if person is None:
            speakers.append(Speaker(label=label))
        else:
            speakers.append(Speaker(label, person.name, person.role, person.affiliation, person.project))
    return labels, speakers
