"""The structure stage: a flat transcript becomes what a practitioner navigates and cites.

`structure` takes the transcription, the metadata, the diarizer's speaker turns and the parsed
agenda, and returns a new Transcript with segments split at speaker changes and sized for
search hits (about 10 to 40 s, cut at sentence ends), chapters snapped to where the talk really
changes, names on the voices, a kind for every segment, answers linked to their questions and
resources linked to the moments they are mentioned, so a practitioner can jump to a talk, a
person or a question instead of scrolling a wall of text.

It is a pure function: no model is loaded here (the caller diarizes and parses the agenda), so
every rule can be tested on synthetic input and re-run on a stored transcript when staff fix an
agenda. This module holds who is who, the chapters and the order of the steps; the steps live in
`segmenting` (segments of a searchable size), `chapters` (snapping, automatic chapters, titles),
`naming` (labels to people), `kinds` (segment kinds, answers linked to questions) and
`questions` (questions from the words).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from ingest.agenda import AUDIENCE, AgendaItem
from ingest.chapters import Boundary, Unit, auto_boundaries, chapter_title, dominant, snap_starts
from ingest.document import Chapter, Resource, Segment, SegmentKind, Speaker, Transcript
from ingest.kinds import ChapterRoles, assign_kinds
from ingest.mentions import find_mention, title_words
from ingest.metadata import Manifest, Person
from ingest.naming import Expectation, name_labels, word_evidence
from ingest.questions import sounds_like_question
from ingest.segmenting import (
    MAX_SEGMENT,
    MIN_FRAGMENT,
    TARGET_SEGMENT,
    TIME_EPS,
    cut_segments,
    speech_boundaries,
    split_words,
    word_timeline,
)
from ingest.speakers import SpeakerTurn, assign_speakers
from ingest.textutil import contains_phrase, fold, tokens

__all__ = ["MAX_SEGMENT", "MIN_FRAGMENT", "TARGET_SEGMENT", "split_words", "structure"]

_MODERATOR_ROLES = ("moderator", "chair", "host", "facilitator")


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
# Resources


def _link_resources(segments: list[Segment], manifest: Manifest, projects: Sequence[str]) -> list[Resource]:
    """Record on each segment the resources it names, by title or by the project they belong to,
    and give each resource the moment its own title is said (ingest/mentions.py): the project's
    first mention is often minutes before the guide or report itself comes up, so it is no
    "mentioned at" for the resource. A title never said leaves the resource without a moment."""
    phrases: list[list[list[str]]] = []
    for link in manifest.resources:
        title = tokens(link.title)
        mine = [title] if title else []
        for project in projects:
            words = tokens(project)
            if words and contains_phrase(title, words) and words not in mine:
                mine.append(words)
        phrases.append(mine)
    for segment in segments:
        words = tokens(segment.text)
        segment.resources = [
            i for i, mine in enumerate(phrases) if any(contains_phrase(words, p) for p in mine)
        ]
    project_words = {word for project in projects for word in title_words(project)}
    rests = [frozenset(title_words(link.title)) - project_words for link in manifest.resources]
    resources = []
    for i, link in enumerate(manifest.resources):
        # A project's name may go unsaid ("the pilot report"), unless the rest of the title is
        # another resource's too (two projects' "pilot report"): then it tells them apart.
        shared = rests.count(rests[i]) > 1
        mention = find_mention(link.title, segments, () if shared else project_words)
        if mention is not None and i not in segments[mention.segment].resources:
            segments[mention.segment].resources = sorted([*segments[mention.segment].resources, i])
        resources.append(Resource(link.title, link.url, mention.start if mention else None))
    return resources


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
    tokens_ = word_timeline(split)
    boundaries = speech_boundaries(tokens_)
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

    segments = cut_segments(tokens_, starts)
    assign_kinds(segments, roles)
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
        audio_track=transcript.audio_track,
    )


def _agenda_chapters(
    items: Sequence[AgendaItem],
    cast: _Cast,
    speech: dict[str, list[tuple[float, float]]],
    evidence: dict[str, dict[str, float]],
    boundaries: Sequence[Boundary],
    duration: float,
    window: float,
) -> tuple[list[float], dict[str, str], list[ChapterRoles], list[Chapter]]:
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

    roles: list[ChapterRoles] = []
    chapters: list[Chapter] = []
    for item, (start, end) in zip(items, spans, strict=True):
        asker = cast.asker(item)
        roles.append(
            ChapterRoles(
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
) -> tuple[list[float], dict[str, str], list[ChapterRoles], list[Chapter]]:
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
        [u for u in units if s - TIME_EPS <= u.start < e or (n == len(spans) - 1 and u.start >= s)]
        for n, (s, e) in enumerate(spans)
    ]
    by_person = {person: label for label, person in names.items()}
    moderator_label = by_person.get(cast.moderator or "")
    roles: list[ChapterRoles] = []
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
        roles.append(ChapterRoles(kind=kind, leads=frozenset({main_label}) if main_label else frozenset()))
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
