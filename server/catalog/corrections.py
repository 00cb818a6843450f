"""Staff corrections of a transcript: a segment's text, speaker and kind, splitting and merging
segments, find and replace across the archive, and reverting any of them, each recorded in the
edit history in the same unit of work as the change.

Word times survive edits (`retime_words`): the old and new words are aligned (difflib on
case-folded tokens stripped of punctuation), words that survive keep their times, and new words
are spread evenly over the gap between the surviving neighbours (or the replaced words' span, or
the segment's edge). Captions (cut from word times) and the search documents' `times` (word
offsets) therefore stay right after a correction.

History layout (`edit_history`, no new columns): a correction is a row with `table_name =
"webinar"`, `row_id` the webinar's id and `field` one of `segment.text`, `segment.speaker`,
`segment.kind`, `segment.split`, `segment.merge`, `segment.replace`, so a webinar's whole history
(its own fields, written by edits.py, and its transcript's) is one indexed query, even for
segments that a merge has since deleted. `old_value` and `new_value` are JSON objects:
`{"segment": id, "value": shown before/after, "segments": [snapshots]}`, where the snapshots are
the affected segments' rows before and after (text edits keep the old words with the old text, so
a revert restores both). A find and replace writes one row per segment changed; every row carries
`"batch"` (a random id) and `"batch_rows"` (the ids of all the batch's rows), and reverting any of
them reverts the whole batch. A revert is itself a row of the same field with `"reverts"`: the id
of the row it reverted; it can be reverted in turn. A revert refuses (409) when the segment was
changed again since (its current value is not the row's `after`): revert the later rows first.

Every function takes a session its caller owns and only flushes; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import update
from sqlmodel import Session, col, select

from ingest.document import SEGMENT_KINDS
from ingest.errors import ConflictError, InputError, NotFoundError
from ingest.models import check_language
from server.catalog.db import is_row_id
from server.catalog.edits import update_webinar
from server.catalog.models import (
    Chapter,
    EditHistory,
    Person,
    Resource,
    Segment,
    Webinar,
    WebinarPerson,
    WebinarUpdate,
    require_id,
    utcnow,
)
from server.catalog.people import VOICE_FIELD, revert_voice
from server.catalog.reads import speaker_for, speaker_names

MAX_TEXT: Final = 20_000
"""Characters in one segment's text (an hour-long monologue is ~60,000; segments are 10-40 s)."""
MAX_FIND: Final = 500
NEW_WORD_PROBABILITY: Final = 1.0
"""A word staff wrote is certain."""
CONTEXT_CHARS: Final = 60
"""Characters shown either side of a find-and-replace match."""

TEXT, SPEAKER, KIND = "segment.text", "segment.speaker", "segment.kind"
ANSWERS: Final = "segment.answers"
"""Which question a segment answers (a Q&A pair), or none."""
LANGUAGE: Final = "segment.language"
"""The language a line is spoken in, where it is not the webinar's (a question asked in German)."""
RESOURCES: Final = "resources"
"""A resource (a link shown with the webinar) added, edited or removed: like chapters, the rows
hold the whole list and the segments' mentions of it before and after."""
CHAPTERS: Final = "chapters"
"""A chapter retitled, moved, added or deleted: the rows hold the whole chapter list before and
after (chapters are few), and a revert puts the list back."""
SPLIT, MERGE, REPLACE = "segment.split", "segment.merge", "segment.replace"
SEGMENT_FIELDS: Final = (TEXT, SPEAKER, KIND, ANSWERS, LANGUAGE, SPLIT, MERGE, REPLACE)

_ALL: Final = (
    "position",
    "start",
    "end",
    "text",
    "speaker_label",
    "person_id",
    "kind",
    "chapter_id",
    "answers_id",
    "words",
    "resources",
    "language",
)
_STRUCTURE: Final = ("start", "end", "text", "words", "resources")
_CHECKED: Final[dict[str, tuple[str, ...]]] = {
    TEXT: ("text", "words"),
    REPLACE: ("text", "words"),
    SPEAKER: ("speaker_label", "person_id"),
    KIND: ("kind",),
    ANSWERS: ("answers_id",),
    LANGUAGE: ("language",),
    SPLIT: _STRUCTURE,
    MERGE: _STRUCTURE,
}
"""The columns an entry changed: a revert checks they are unchanged since, and restores them."""
_WEBINAR_FIELDS: Final = tuple(WebinarUpdate.model_fields)
_TEMP_POSITION: Final = -1_000_000
"""New rows start far below the renumbering's temporary positions (-1 ... -n)."""


# --- word times ----------------------------------------------------------------------------------


def word_key(token: str) -> str:
    """What makes two words the same for the alignment: case and punctuation ignored."""
    folded = token.casefold()
    return re.sub(r"\W+", "", folded) or folded


def retime_words(words: Sequence[Sequence[Any]], text: str, start: float, end: float) -> list[list[Any]]:
    """Word times for `text` (the new text of a segment running `start`-`end`) from its old `words`.

    Old and new tokens are aligned with `difflib.SequenceMatcher` on `word_key`s: a word that
    survives keeps its start, end and probability (its spelling is the new one, so "merck," may
    become "Merck."); words inserted or rewritten share the gap between the surviving neighbours
    evenly (with no neighbour, the span of the words they replace, else the segment's edge).
    Word texts carry a leading space, as the recogniser writes them.
    """
    tokens = text.split()
    old = [list(w) for w in words if str(w[2]).strip()]
    result: list[list[Any] | None] = [None] * len(tokens)
    matcher = difflib.SequenceMatcher(
        None, [word_key(str(w[2]).strip()) for w in old], [word_key(t) for t in tokens], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(j2 - j1):
                w = old[i1 + k]
                result[j1 + k] = [float(w[0]), float(w[1]), f" {tokens[j1 + k]}", float(w[3])]
            continue
        if j1 == j2:
            continue  # a deletion: its time is simply left unspoken
        # The gap: from the kept word before (else the replaced words' start, else the segment's)
        # to the kept word after (else the replaced words' end, else the segment's).
        replaced = i2 > i1
        lo = float(old[i1 - 1][1]) if j1 > 0 else (float(old[i1][0]) if replaced else start)
        hi = float(old[i2][0]) if j2 < len(tokens) else (float(old[i2 - 1][1]) if replaced else end)
        hi = max(hi, lo)
        step = (hi - lo) / (j2 - j1)
        for k in range(j2 - j1):
            at = lo + k * step
            result[j1 + k] = [round(at, 3), round(at + step, 3), f" {tokens[j1 + k]}", NEW_WORD_PROBABILITY]
    return [w for w in result if w is not None]


def _clean_text(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError("text: a segment cannot be empty (merge it into its neighbour instead)")
    if len(cleaned) > MAX_TEXT:
        raise InputError(f"text: longer than {MAX_TEXT:,} characters")
    return cleaned


# --- rows and snapshots --------------------------------------------------------------------------


def segment_in(session: Session, webinar: Webinar, segment_id: int) -> Segment:
    """Segment `segment_id` of this webinar (404 when it is another's or gone)."""
    segment = session.get(Segment, segment_id)
    if segment is None or segment.webinar_id != webinar.id:
        raise NotFoundError(f"webinar {webinar.slug!r} has no segment {segment_id}")
    return segment


def _ordered(session: Session, webinar_id: int) -> list[Segment]:
    return list(
        session.exec(select(Segment).where(Segment.webinar_id == webinar_id).order_by(col(Segment.position)))
    )


def _snapshot(segment: Segment, fields: Iterable[str] = _ALL) -> dict[str, Any]:
    snap: dict[str, Any] = {"id": segment.id}
    for name in fields:
        value = getattr(segment, name)
        snap[name] = (
            [list(v) for v in value] if name == "words" else (list(value) if name == "resources" else value)
        )
    return snap


def _renumber(session: Session, ordered: Sequence[Segment | Chapter | Resource]) -> None:
    """Positions 0..n-1 in list order, in two steps so the unique (webinar, position) never clashes."""
    moving = [(i, row) for i, row in enumerate(ordered) if row.position != i]
    if not moving:
        return
    for i, row in moving:
        row.position = -1 - i
        session.add(row)
    session.flush()
    for i, row in moving:
        row.position = i
    session.flush()


def _replace_run(
    session: Session, webinar_id: int, run: list[Segment], rows: list[dict[str, Any]]
) -> list[Segment]:
    """Replace the consecutive segments `run` by `rows` (column values; an `id` of a segment of the
    run updates it, another id or none makes a new row); positions renumbered, links to removed
    segments moved to the first of the new ones."""
    ordered = _ordered(session, webinar_id)
    ids = [s.id for s in ordered]
    at = ids.index(run[0].id)
    if [s.id for s in ordered[at : at + len(run)]] != [s.id for s in run]:
        raise ConflictError("those segments are no longer next to each other")
    existing = {s.id: s for s in run}
    made: list[Segment] = []
    for n, row in enumerate(rows):
        segment = existing.pop(row.get("id"), None)
        if segment is None:
            if row.get("id") is not None and session.get(Segment, row["id"]) is not None:
                raise ConflictError(f"segment {row['id']} exists elsewhere")
            segment = Segment(
                id=row.get("id"),
                webinar_id=webinar_id,
                position=_TEMP_POSITION - n,
                start=0.0,
                end=0.0,
                text="",
            )
        for name, value in row.items():
            if name not in ("id", "position"):
                setattr(segment, name, value)
        session.add(segment)
        made.append(segment)
    session.flush()
    if existing:
        removed = list(existing)
        session.execute(
            update(Segment)
            .where(col(Segment.answers_id).in_(removed))
            .values(answers_id=made[0].id)
            .execution_options(synchronize_session=False)
        )
        for segment in existing.values():
            session.delete(segment)
        session.flush()
    _renumber(session, ordered[:at] + made + ordered[at + len(run) :])
    return made


def _touch(session: Session, webinar: Webinar) -> None:
    """A new `updated_at`: the pages' caches (keyed by it) rebuild the transcript and captions."""
    webinar.updated_at = utcnow()
    session.add(webinar)


def _record(
    session: Session,
    webinar: Webinar,
    field: str,
    before: dict[str, Any],
    after: dict[str, Any],
    editor: str,
) -> EditHistory:
    entry = EditHistory(
        table_name="webinar",
        row_id=require_id(webinar),
        field=field,
        old_value=before,
        new_value=after,
        editor=editor,
    )
    session.add(entry)
    session.flush()
    return entry


def _speaker_name(session: Session, webinar_id: int, segment: Segment) -> str | None:
    people, labels = speaker_names(session, webinar_id)
    return speaker_for(segment.person_id, segment.speaker_label, people, labels)


# --- edits ------------------------------------------------------------------------------------


def _resolve_speaker(session: Session, webinar_id: int, speaker: str) -> tuple[str | None, int | None]:
    """A voice label used in this webinar, or the name of one of its people: (label, person id)."""
    wanted = speaker.strip()
    links = list(
        session.exec(
            select(WebinarPerson, Person)
            .join(Person, col(Person.id) == col(WebinarPerson.person_id))
            .where(WebinarPerson.webinar_id == webinar_id)
        )
    )
    for link, person in links:
        if link.speaker_label == wanted:
            return link.speaker_label, person.id
    used = session.exec(
        select(Segment.speaker_label).where(Segment.webinar_id == webinar_id).distinct()
    ).all()
    if wanted in used:
        return wanted, None
    for link, person in links:
        if person.name.casefold() == wanted.casefold():
            return link.speaker_label, person.id
    known = sorted({str(label) for label in used if label} | {p.name for _, p in links})
    raise InputError(
        f"speaker: {speaker!r} is neither a voice nor a person of this webinar ({', '.join(known)})"
    )


def edit_segment(
    session: Session,
    webinar: Webinar,
    segment_id: int,
    editor: str,
    *,
    text: str | None = None,
    speaker: str | None = None,
    kind: str | None = None,
    answers: int | None = None,
    language: str | None = None,
) -> tuple[Segment, list[EditHistory]]:
    """Change a segment's text (word times kept), speaker, kind, the question it answers
    (`answers`: an earlier segment's id, or 0 for none) and the language it is spoken in
    (`language`: an ISO 639-1 code; "" or the webinar's own: the webinar's); one history row per
    field changed."""
    if text is None and speaker is None and kind is None and answers is None and language is None:
        raise InputError("nothing to change: give text, speaker, kind, answers or language")
    if kind is not None and kind not in SEGMENT_KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(SEGMENT_KINDS)}")
    if language:  # the codes a recording's language may have (the manifest's check)
        try:
            language = check_language(language)
        except ValueError as exc:
            raise InputError(f"language: {exc} ('' for the webinar's)") from None
    webinar_id = require_id(webinar)
    segment = segment_in(session, webinar, segment_id)
    entries: list[EditHistory] = []
    if text is not None:
        cleaned = _clean_text(text)
        if cleaned != segment.text:
            before = _snapshot(segment, _CHECKED[TEXT])
            segment.words = retime_words(segment.words, cleaned, segment.start, segment.end)
            segment.text = cleaned
            after = _snapshot(segment, _CHECKED[TEXT])
            entries.append(
                _entry(session, webinar, TEXT, segment, before, after, before["text"], cleaned, editor)
            )
    if speaker is not None:
        label, person_id = _resolve_speaker(session, webinar_id, speaker)
        if (label, person_id) != (segment.speaker_label, segment.person_id):
            before = _snapshot(segment, _CHECKED[SPEAKER])
            shown = _speaker_name(session, webinar_id, segment)
            segment.speaker_label, segment.person_id = label, person_id
            after = _snapshot(segment, _CHECKED[SPEAKER])
            now = _speaker_name(session, webinar_id, segment)
            entries.append(_entry(session, webinar, SPEAKER, segment, before, after, shown, now, editor))
    if kind is not None and kind != segment.kind:
        before = _snapshot(segment, _CHECKED[KIND])
        old_kind, segment.kind = segment.kind, kind
        after = _snapshot(segment, _CHECKED[KIND])
        entries.append(_entry(session, webinar, KIND, segment, before, after, old_kind, kind, editor))
    if language is not None:
        spoken = language if language and language != webinar.language else None
        if spoken != segment.language:
            before = _snapshot(segment, _CHECKED[LANGUAGE])
            old_language, segment.language = segment.language, spoken
            after = _snapshot(segment, _CHECKED[LANGUAGE])
            entries.append(
                _entry(session, webinar, LANGUAGE, segment, before, after, old_language, spoken, editor)
            )
    if answers is not None:
        question = _question(session, webinar, segment, answers)
        if question != segment.answers_id:
            before = _snapshot(segment, _CHECKED[ANSWERS])
            old_question, segment.answers_id = segment.answers_id, question
            after = _snapshot(segment, _CHECKED[ANSWERS])
            entries.append(
                _entry(session, webinar, ANSWERS, segment, before, after, old_question, question, editor)
            )
    if entries:
        session.add(segment)
        _touch(session, webinar)
        session.flush()
    return segment, entries


def _question(session: Session, webinar: Webinar, segment: Segment, answers: int) -> int | None:
    """The question segment `answers` names (0: none), which must come earlier in the webinar."""
    if answers == 0:
        return None
    question = session.get(Segment, answers) if is_row_id(answers) else None
    if question is None or question.webinar_id != webinar.id:
        raise InputError(f"answers: webinar {webinar.slug!r} has no segment {answers} (0 unpairs)")
    if question.position >= segment.position:
        raise InputError("answers: the question must come before its answer")
    return answers


def _entry(
    session: Session,
    webinar: Webinar,
    field: str,
    segment: Segment,
    before: dict[str, Any],
    after: dict[str, Any],
    shown_before: Any,
    shown_after: Any,
    editor: str,
    **extra: Any,
) -> EditHistory:
    return _record(
        session,
        webinar,
        field,
        {"segment": segment.id, "value": shown_before, "segments": [before]},
        {"segment": segment.id, "value": shown_after, "segments": [after], **extra},
        editor,
    )


def _text_of(words: Sequence[Sequence[Any]]) -> str:
    return " ".join("".join(str(w[2]) for w in words).split())


def split_segment(
    session: Session, webinar: Webinar, segment_id: int, word: int, editor: str
) -> tuple[list[Segment], EditHistory]:
    """Split a segment before its word number `word` (0-based; 1 to the word count - 1): the first
    part keeps the row (and its id), the second is a new segment right after it, with the same
    speaker, kind and chapter; later segments move down one position."""
    webinar_id = require_id(webinar)
    segment = segment_in(session, webinar, segment_id)
    words = [list(w) for w in segment.words]
    if len(words) < 2:
        raise InputError("this segment has fewer than two timed words: there is nowhere to split it")
    if not 1 <= word < len(words):
        raise InputError(f"word: expected 1 to {len(words) - 1} (the word that starts the second part)")
    before = [_snapshot(segment)]
    first, second = words[:word], words[word:]
    rows = [
        {"id": segment.id, "end": float(first[-1][1]), "text": _text_of(first), "words": first},
        {
            **{k: v for k, v in _snapshot(segment).items() if k not in ("id", "position")},
            "start": float(second[0][0]),
            "end": segment.end,
            "text": _text_of(second),
            "words": second,
            "resources": [],
        },
    ]
    made = _replace_run(session, webinar_id, [segment], rows)
    after = [_snapshot(s) for s in made]
    _touch(session, webinar)
    entry = _record(
        session,
        webinar,
        SPLIT,
        {"segment": segment.id, "value": [before[0]["text"]], "segments": before},
        {"segment": segment.id, "value": [s.text for s in made], "segments": after, "word": word},
        editor,
    )
    return made, entry


def merge_segments(
    session: Session, webinar: Webinar, segment_id: int, editor: str
) -> tuple[Segment, EditHistory]:
    """Merge a segment with the next one: one segment, words and text joined, the first one's
    speaker, kind and chapter; the next one's row is deleted and what answered it answers this."""
    webinar_id = require_id(webinar)
    segment = segment_in(session, webinar, segment_id)
    following = session.exec(
        select(Segment)
        .where(Segment.webinar_id == webinar_id)
        .where(Segment.position == segment.position + 1)
    ).first()
    if following is None:
        raise InputError("this is the last segment: there is no next one to merge it with")
    before = [_snapshot(segment), _snapshot(following)]
    resources = list(dict.fromkeys([*segment.resources, *following.resources]))
    row = {
        "id": segment.id,
        "end": max(segment.end, following.end),
        "text": f"{segment.text} {following.text}".strip(),
        "words": [list(w) for w in segment.words] + [list(w) for w in following.words],
        "resources": resources,
    }
    [merged] = _replace_run(session, webinar_id, [segment, following], [row])
    _touch(session, webinar)
    entry = _record(
        session,
        webinar,
        MERGE,
        {"segment": segment.id, "value": [s["text"] for s in before], "segments": before},
        {"segment": segment.id, "value": [merged.text], "segments": [_snapshot(merged)]},
        editor,
    )
    return merged, entry


# --- find and replace --------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One occurrence of the searched text: `id` ("segment:offset") selects it for `replace_matches`."""

    id: str
    webinar: str
    webinar_title: str
    segment: int
    start: float
    time: float
    """When its first word is said."""
    offset: int
    before: str
    match: str
    after: str


def _pattern(find: str, match_case: bool, whole_word: bool) -> re.Pattern[str]:
    needle = find.strip()
    if not needle:
        raise InputError("find: give the text to look for")
    if len(needle) > MAX_FIND:
        raise InputError(f"find: longer than {MAX_FIND} characters")
    body = r"\s+".join(re.escape(part) for part in needle.split())
    if whole_word:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if match_case else re.IGNORECASE)


def _word_time(segment: Segment, offset: int) -> float:
    """The start of the word at character `offset` of the text (words follow the text's tokens)."""
    index = len(segment.text[:offset].split())
    if offset > 0 and not segment.text[offset - 1].isspace() and index:
        index -= 1
    if index < len(segment.words):
        return float(segment.words[index][0])
    return segment.start


def _candidates(session: Session, find: str) -> list[tuple[Segment, Webinar]]:
    # A LIKE on the first word narrows the scan (case-insensitively for ASCII on every backend);
    # the regular expression then decides.
    first = find.split()[0].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.exec(
        select(Segment, Webinar)
        .join(Webinar, col(Webinar.id) == col(Segment.webinar_id))
        .where(col(Segment.text).ilike(f"%{first}%", escape="\\"))
        .order_by(col(Webinar.id), col(Segment.position))
    ).all()
    return [(s, w) for s, w in rows]


def find_matches(
    session: Session, find: str, *, match_case: bool = False, whole_word: bool = True
) -> list[Match]:
    """Every occurrence of `find` in every webinar's transcript (drafts too: staff only), in order."""
    pattern = _pattern(find, match_case, whole_word)
    matches: list[Match] = []
    for segment, webinar in _candidates(session, find):
        text = segment.text
        for found in pattern.finditer(text):
            a, b = found.span()
            matches.append(
                Match(
                    id=f"{segment.id}:{a}",
                    webinar=webinar.slug,
                    webinar_title=webinar.title,
                    segment=segment.id or 0,
                    start=segment.start,
                    time=_word_time(segment, a),
                    offset=a,
                    before=_context(text[max(0, a - CONTEXT_CHARS) : a], leading=a > CONTEXT_CHARS),
                    match=found.group(),
                    after=_context(text[b : b + CONTEXT_CHARS], trailing=b + CONTEXT_CHARS < len(text)),
                )
            )
    return matches


def _context(text: str, *, leading: bool = False, trailing: bool = False) -> str:
    """Context cut at word boundaries, with an ellipsis where the text goes on."""
    if leading and " " in text:
        text = "…" + text[text.index(" ") :]
    if trailing and " " in text:
        text = text[: text.rindex(" ")] + " …"
    return text


@dataclass(frozen=True)
class Replaced:
    changed: int
    """How many matches were replaced."""
    segments: list[Segment]
    webinar_ids: list[int]
    batch: str | None
    entries: list[EditHistory]


def replace_matches(
    session: Session,
    find: str,
    replace: str,
    editor: str,
    *,
    selected: Iterable[str] | None = None,
    match_case: bool = False,
    whole_word: bool = True,
) -> Replaced:
    """Replace the `selected` matches (ids from `find_matches`; None: all) by `replace`, keeping
    word times; one history row per segment, all of one batch (reverting one reverts them all).

    A selected id that no longer matches (the text changed since the preview) is a conflict: the
    caller should preview again.
    """
    replacement = " ".join(replace.split())
    if len(replacement) > MAX_FIND:
        raise InputError(f"replace: longer than {MAX_FIND} characters")
    matches = find_matches(session, find, match_case=match_case, whole_word=whole_word)
    if selected is not None:
        wanted = set(selected)
        missing = wanted - {m.id for m in matches}
        if missing:
            named = ", ".join(sorted(missing)[:5])
            raise ConflictError(f"{len(missing)} selected match(es) no longer found ({named}): preview again")
        matches = [m for m in matches if m.id in wanted]
    by_segment: dict[int, list[Match]] = {}
    for m in matches:
        by_segment.setdefault(m.segment, []).append(m)
    batch = uuid.uuid4().hex[:12]
    changed_segments: list[Segment] = []
    changed = 0
    entries: list[EditHistory] = []
    webinars: dict[int, Webinar] = {}
    for segment_id, found in by_segment.items():
        segment = session.get(Segment, segment_id)
        assert segment is not None
        webinar = webinars.get(segment.webinar_id) or session.get(Webinar, segment.webinar_id)
        assert webinar is not None
        webinars[segment.webinar_id] = webinar
        text = segment.text
        for m in sorted(found, key=lambda m: m.offset, reverse=True):
            text = text[: m.offset] + replacement + text[m.offset + len(m.match) :]
        cleaned = _clean_text(text)
        if cleaned == segment.text:
            continue
        before = _snapshot(segment, _CHECKED[REPLACE])
        segment.words = retime_words(segment.words, cleaned, segment.start, segment.end)
        old_text, segment.text = segment.text, cleaned
        session.add(segment)
        after = _snapshot(segment, _CHECKED[REPLACE])
        entries.append(
            _entry(
                session, webinar, REPLACE, segment, before, after, old_text, cleaned, editor,
                batch=batch, find=find, replace=replacement, matches=len(found),
            )
        )  # fmt: skip
        changed_segments.append(segment)
        changed += len(found)
    _seal_batch(session, entries, batch)
    for webinar in webinars.values():
        _touch(session, webinar)
    session.flush()
    return Replaced(
        changed=changed,
        segments=changed_segments,
        webinar_ids=sorted(webinars),
        batch=batch if entries else None,
        entries=entries,
    )


def _seal_batch(session: Session, entries: list[EditHistory], batch: str) -> None:
    """Every row of a batch names all of them, so a revert of one finds the rest without a JSON query."""
    ids = [entry.id for entry in entries]
    for entry in entries:
        entry.new_value = {**entry.new_value, "batch": batch, "batch_rows": ids}
        session.add(entry)
    session.flush()


# --- history and revert --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    at: dt.datetime
    who: str
    field: str
    segment: int | None
    before: Any
    after: Any
    reverts: int | None
    batch: str | None


def _shown(value: Any, field: str) -> Any:
    if field in (*SEGMENT_FIELDS, CHAPTERS, RESOURCES) and isinstance(value, dict):
        return value.get("value")
    return value


def history_entry(entry: EditHistory) -> HistoryEntry:
    new = entry.new_value if isinstance(entry.new_value, dict) else {}
    segment_field = entry.field in SEGMENT_FIELDS
    at = entry.edited_at if entry.edited_at.tzinfo else entry.edited_at.replace(tzinfo=dt.UTC)
    return HistoryEntry(
        id=entry.id or 0,
        at=at,
        who=entry.editor,
        field=entry.field,
        segment=new.get("segment") if segment_field else None,
        before=_shown(entry.old_value, entry.field),
        after=_shown(entry.new_value, entry.field),
        reverts=new.get("reverts") if segment_field or entry.field in (CHAPTERS, RESOURCES) else None,
        batch=new.get("batch") if segment_field else None,
    )


def webinar_history(
    session: Session, webinar: Webinar, limit: int = 200, offset: int = 0
) -> list[HistoryEntry]:
    """The webinar's history, newest first: its own fields and its transcript's corrections."""
    rows = session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar")
        .where(EditHistory.row_id == require_id(webinar))
        .order_by(col(EditHistory.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return [history_entry(row) for row in rows]


def revert(session: Session, entry_id: int, editor: str) -> tuple[list[EditHistory], list[int]]:
    """Undo history row `entry_id` (its whole batch for a find and replace), recorded as new rows.

    Returns the new rows and the ids of the webinars changed (to re-index).
    """
    entry = session.get(EditHistory, entry_id)
    if entry is None:
        raise NotFoundError(f"no history entry {entry_id}")
    if entry.table_name != "webinar":
        raise InputError(
            f"history entry {entry_id} is of {entry.table_name!r}, which cannot be reverted here"
        )
    webinar = session.get(Webinar, entry.row_id)
    if webinar is None:
        raise NotFoundError(f"the webinar of history entry {entry_id} no longer exists")
    if entry.field in _WEBINAR_FIELDS:
        return [_revert_webinar_field(session, webinar, entry, editor)], [require_id(webinar)]
    if entry.field == CHAPTERS:
        return [_revert_chapters(session, webinar, entry, editor)], [require_id(webinar)]
    if entry.field == RESOURCES:
        return [_revert_resources(session, webinar, entry, editor)], [require_id(webinar)]
    if entry.field == VOICE_FIELD:  # a voice named after a person (server/catalog/people.py)
        return [revert_voice(session, entry, editor)], [require_id(webinar)]
    if entry.field not in SEGMENT_FIELDS:
        raise InputError(f"history entry {entry_id} ({entry.field}) cannot be reverted")
    new = entry.new_value
    rows = [entry]
    batch: str | None = None
    if isinstance(new, dict) and new.get("batch_rows"):
        batch = uuid.uuid4().hex[:12]
        rows = [row for i in new["batch_rows"] if (row := session.get(EditHistory, i)) is not None]
    made: list[EditHistory] = []
    touched: dict[int, Webinar] = {}
    for row in rows:
        target = session.get(Webinar, row.row_id)
        if target is None:
            continue
        made.append(_revert_segments(session, target, row, editor, batch))
        touched[require_id(target)] = target
    if batch:
        _seal_batch(session, made, batch)
    for target in touched.values():
        _touch(session, target)
    session.flush()
    return made, sorted(touched)


def _revert_webinar_field(session: Session, webinar: Webinar, entry: EditHistory, editor: str) -> EditHistory:
    current = getattr(webinar, entry.field)
    current = current.isoformat() if isinstance(current, dt.date) else current
    if current != entry.new_value:
        raise ConflictError(
            f"{entry.field} was changed again since entry {entry.id}: revert the later entry first"
        )
    update_webinar(session, webinar, WebinarUpdate.model_validate({entry.field: entry.old_value}), editor)
    newest = session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar")
        .where(EditHistory.row_id == webinar.id)
        .order_by(col(EditHistory.id).desc())
    ).first()
    assert newest is not None
    return newest


def _revert_segments(
    session: Session, webinar: Webinar, entry: EditHistory, editor: str, batch: str | None
) -> EditHistory:
    webinar_id = require_id(webinar)
    old, new = entry.old_value, entry.new_value
    fields = _CHECKED[entry.field]
    run: list[Segment] = []
    for snap in new["segments"]:
        segment = session.get(Segment, snap["id"])
        if segment is None or segment.webinar_id != webinar_id:
            raise ConflictError(
                f"segment {snap['id']} is gone since entry {entry.id}: revert the later entries first"
            )
        changed = [f for f in fields if _column(segment, f) != snap.get(f)]
        if changed:
            raise ConflictError(
                f"segment {snap['id']} was changed again since entry {entry.id} ({', '.join(changed)}): "
                "revert the later entries first"
            )
        run.append(segment)
    current = [_snapshot(s, _ALL) for s in run]
    rows: list[dict[str, Any]] = []
    for snap in old["segments"]:
        if entry.field in (SPLIT, MERGE) and not any(s.id == snap["id"] for s in run):
            row = {k: v for k, v in snap.items() if k != "position"}  # a segment made again
            row["chapter_id"] = (
                row["chapter_id"] if _exists(session, Chapter, row.get("chapter_id")) else None
            )
            row["person_id"] = row["person_id"] if _exists(session, Person, row.get("person_id")) else None
            row["answers_id"] = (
                row["answers_id"] if _exists(session, Segment, row.get("answers_id")) else None
            )
        else:
            row = {"id": snap["id"], **{f: snap[f] for f in fields}}
        rows.append(row)
    if entry.field in (SPLIT, MERGE):
        made = _replace_run(session, webinar_id, run, rows)
    else:
        made = []
        for segment, row in zip(run, rows, strict=True):
            for name in fields:
                setattr(segment, name, row[name])
            session.add(segment)
            made.append(segment)
        session.flush()
    before_value, after_value = new.get("value"), old.get("value")
    if entry.field == SPEAKER:
        before_value, after_value = new.get("value"), _speaker_name(session, webinar_id, made[0])
    extra: dict[str, Any] = {"reverts": entry.id}
    if batch:
        extra.update(batch=batch, find=new.get("find"), replace=new.get("replace"))
    return _record(
        session,
        webinar,
        entry.field,
        {"segment": new.get("segment"), "value": before_value, "segments": current},
        {
            "segment": old.get("segment"),
            "value": after_value,
            "segments": [_snapshot(s) for s in made],
            **extra,
        },
        editor,
    )


def _column(segment: Segment, name: str) -> Any:
    value = getattr(segment, name)
    if name == "words":
        return [list(w) for w in value]
    if name == "resources":
        return list(value)
    return value


def _exists(session: Session, model: type[Any], key: Any) -> bool:
    return key is not None and session.get(model, key) is not None


# --- chapters ----------------------------------------------------------------------------------

_CHAPTER_COLUMNS: Final = ("position", "start", "end", "written_start", "title", "kind", "speakers")


def _chapters(session: Session, webinar_id: int) -> list[Chapter]:
    return list(
        session.exec(select(Chapter).where(Chapter.webinar_id == webinar_id).order_by(col(Chapter.position)))
    )


def _chapter_snapshot(chapter: Chapter) -> dict[str, Any]:
    snap: dict[str, Any] = {"id": chapter.id}
    for name in _CHAPTER_COLUMNS:
        value = getattr(chapter, name)
        snap[name] = list(value) if name == "speakers" else value
    return snap


def _chapter_list(chapters: Sequence[Chapter]) -> list[dict[str, Any]]:
    return [_chapter_snapshot(c) for c in chapters]


def _settle_chapters(session: Session, webinar: Webinar, chapters: list[Chapter]) -> list[Chapter]:
    """Order by start, renumber, end each where the next starts (the last at the webinar's end),
    and put each segment in the last chapter starting at or before it."""
    webinar_id = require_id(webinar)
    chapters.sort(key=lambda c: (c.start, c.position))
    for i, chapter in enumerate(chapters):
        chapter.end = chapters[i + 1].start if i + 1 < len(chapters) else max(webinar.duration, chapter.start)
        session.add(chapter)
    session.flush()
    _renumber(session, chapters)
    starts = [c.start for c in chapters]
    for segment in _ordered(session, webinar_id):
        index = max((i for i, start in enumerate(starts) if start <= segment.start + 1e-6), default=None)
        chapter_id = chapters[index].id if index is not None else None
        if segment.chapter_id != chapter_id:
            segment.chapter_id = chapter_id
            session.add(segment)
    session.flush()
    return chapters


def _check_chapter(title: str | None, start: float | None, kind: str | None, webinar: Webinar) -> None:
    if title is not None and not title.strip():
        raise InputError("title: a chapter needs a title")
    if title is not None and len(title) > 500:
        raise InputError("title: longer than 500 characters")
    if start is not None and not 0 <= start <= max(webinar.duration, 0.0):
        raise InputError(f"start: expected 0 to {webinar.duration:.1f} seconds")
    if kind is not None and kind not in SEGMENT_KINDS:
        raise InputError(f"kind: {kind!r} is not one of {', '.join(SEGMENT_KINDS)}")


def _chapter_in(session: Session, webinar: Webinar, chapter_id: int) -> Chapter:
    chapter = session.get(Chapter, chapter_id)
    if chapter is None or chapter.webinar_id != webinar.id:
        raise NotFoundError(f"webinar {webinar.slug!r} has no chapter {chapter_id}")
    return chapter


def _chapter_state(session: Session, webinar_id: int) -> dict[str, Any]:
    """The chapter list and which chapter each segment is in: what a chapter change may alter."""
    return {
        "chapters": _chapter_list(_chapters(session, webinar_id)),
        "segments": [[s.id, s.chapter_id] for s in _ordered(session, webinar_id)],
    }


def _record_chapters(
    session: Session, webinar: Webinar, before: dict[str, Any], editor: str, **extra: Any
) -> EditHistory:
    """One history row: the whole chapter list (and segments' chapters) before and after."""
    _touch(session, webinar)
    after = _chapter_state(session, require_id(webinar))

    def shown(rows: list[dict[str, Any]]) -> list[str]:
        return [f"{int(c['start']) // 60:02d}:{int(c['start']) % 60:02d} {c['title']}" for c in rows]

    return _record(
        session,
        webinar,
        CHAPTERS,
        {"value": shown(before["chapters"]), **before},
        {"value": shown(after["chapters"]), **after, **extra},
        editor,
    )


def edit_chapter(
    session: Session,
    webinar: Webinar,
    chapter_id: int,
    editor: str,
    *,
    title: str | None = None,
    start: float | None = None,
    kind: str | None = None,
) -> tuple[Chapter, EditHistory | None]:
    """Retitle a chapter, move its start, or change its kind; a move re-ends the chapters and
    moves the segments between them."""
    if title is None and start is None and kind is None:
        raise InputError("nothing to change: give title, start or kind")
    _check_chapter(title, start, kind, webinar)
    chapter = _chapter_in(session, webinar, chapter_id)
    before = _chapter_state(session, require_id(webinar))
    if title is not None:
        chapter.title = " ".join(title.split())
    if kind is not None:
        chapter.kind = kind
    session.add(chapter)
    session.flush()
    if start is not None and float(start) != chapter.start:
        chapter.start = float(start)
        _settle_chapters(session, webinar, _chapters(session, require_id(webinar)))
    if _chapter_state(session, require_id(webinar)) == before:
        return chapter, None
    return chapter, _record_chapters(session, webinar, before, editor)


def add_chapter(
    session: Session, webinar: Webinar, start: float, title: str, editor: str, kind: str = "other"
) -> tuple[Chapter, EditHistory]:
    _check_chapter(title, start, kind, webinar)
    chapters = _chapters(session, require_id(webinar))
    before = _chapter_state(session, require_id(webinar))
    chapter = Chapter(
        webinar_id=require_id(webinar),
        position=_TEMP_POSITION,
        start=float(start),
        end=float(start),
        title=" ".join(title.split()),
        kind=kind,
    )
    session.add(chapter)
    session.flush()
    _settle_chapters(session, webinar, [*chapters, chapter])
    return chapter, _record_chapters(session, webinar, before, editor)


def delete_chapter(session: Session, webinar: Webinar, chapter_id: int, editor: str) -> EditHistory:
    """Delete a chapter; its segments join the chapter before it (none when it was the first)."""
    _chapter_in(session, webinar, chapter_id)
    chapters = _chapters(session, require_id(webinar))
    before = _chapter_state(session, require_id(webinar))
    _drop_chapter(session, chapter_id)
    _settle_chapters(session, webinar, [c for c in chapters if c.id != chapter_id])
    return _record_chapters(session, webinar, before, editor)


def _drop_chapter(session: Session, chapter_id: int | None) -> None:
    for segment in session.exec(select(Segment).where(Segment.chapter_id == chapter_id)):
        segment.chapter_id = None
        session.add(segment)
    chapter = session.get(Chapter, chapter_id)
    if chapter is not None:
        session.delete(chapter)
    session.flush()


def _revert_chapters(session: Session, webinar: Webinar, entry: EditHistory, editor: str) -> EditHistory:
    """Put the chapter list back as it was (a deleted chapter comes back with its id) and the
    segments in the chapters they were in (segments made since keep theirs)."""
    webinar_id = require_id(webinar)
    before = _chapter_state(session, webinar_id)
    if before["chapters"] != entry.new_value["chapters"]:
        raise ConflictError(
            f"the chapters were changed again since entry {entry.id}: revert the later entries first"
        )
    old_rows = entry.old_value["chapters"]
    wanted = {row["id"] for row in old_rows}
    existing = {c.id: c for c in _chapters(session, webinar_id)}
    for chapter_id in [i for i in existing if i not in wanted]:
        _drop_chapter(session, chapter_id)
    restored: list[Chapter] = []
    for n, row in enumerate(old_rows):
        found = existing.get(row["id"])
        chapter = (
            found
            if found is not None
            else Chapter(
                id=row["id"], webinar_id=webinar_id, position=_TEMP_POSITION - n, start=0.0, end=0.0, title=""
            )
        )
        for name in _CHAPTER_COLUMNS:
            if name != "position":
                setattr(chapter, name, list(row[name]) if name == "speakers" else row[name])
        session.add(chapter)
        restored.append(chapter)
    session.flush()
    _renumber(session, restored)
    placed = {sid: cid for sid, cid in entry.old_value.get("segments", [])}
    for segment in _ordered(session, webinar_id):
        if segment.id in placed and segment.chapter_id != placed[segment.id]:
            segment.chapter_id = placed[segment.id]
            session.add(segment)
    session.flush()
    return _record_chapters(session, webinar, before, editor, reverts=entry.id)


# --- resources ---------------------------------------------------------------------------------

_SAFE_URL: Final = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _resources(session: Session, webinar_id: int) -> list[Resource]:
    return list(
        session.exec(
            select(Resource).where(Resource.webinar_id == webinar_id).order_by(col(Resource.position))
        )
    )


def _resource_state(session: Session, webinar_id: int) -> dict[str, Any]:
    """The resource list and which segments mention which (segments hold resource positions)."""
    return {
        "resources": [
            {"id": r.id, "position": r.position, "title": r.title, "url": r.url, "start": r.start}
            for r in _resources(session, webinar_id)
        ],
        "segments": [[s.id, list(s.resources)] for s in _ordered(session, webinar_id) if s.resources],
    }


def _check_resource(webinar: Webinar, title: str | None, url: str | None, start: float | None) -> None:
    if title is not None and not title.strip():
        raise InputError("title: a resource needs a title")
    if title is not None and len(title) > 500:
        raise InputError("title: longer than 500 characters")
    if url is not None and (len(url) > 2000 or not _SAFE_URL.match(url.strip())):
        raise InputError("url: expected an http:// or https:// address")
    if start is not None and not 0 <= start <= max(webinar.duration, 0.0):
        raise InputError(f"start: expected 0 to {webinar.duration:.1f} seconds")


def _record_resources(
    session: Session, webinar: Webinar, before: dict[str, Any], editor: str, **extra: Any
) -> EditHistory:
    _touch(session, webinar)
    after = _resource_state(session, require_id(webinar))

    def shown(rows: list[dict[str, Any]]) -> list[str]:
        return [f"{r['title']} <{r['url']}>" for r in rows]

    return _record(
        session,
        webinar,
        RESOURCES,
        {"value": shown(before["resources"]), **before},
        {"value": shown(after["resources"]), **after, **extra},
        editor,
    )


def _mention(session: Session, webinar_id: int, position: int, start: float | None) -> None:
    """The segment said at `start` mentions resource `position` (and no other segment does)."""
    for segment in _ordered(session, webinar_id):
        says = start is not None and segment.start <= start < max(segment.end, segment.start + 1e-6)
        has = position in segment.resources
        if says != has:
            segment.resources = sorted(
                {*segment.resources, position} if says else set(segment.resources) - {position}
            )
            session.add(segment)
    session.flush()


def add_resource(
    session: Session, webinar: Webinar, title: str, url: str, editor: str, start: float | None = None
) -> tuple[Resource, EditHistory]:
    """A link shown with the webinar, tied to the moment it is mentioned (`start`, optional)."""
    _check_resource(webinar, title, url, start)
    webinar_id = require_id(webinar)
    before = _resource_state(session, webinar_id)
    resource = Resource(
        webinar_id=webinar_id,
        position=len(before["resources"]),
        title=" ".join(title.split()),
        url=url.strip(),
        start=start,
    )
    session.add(resource)
    session.flush()
    _mention(session, webinar_id, resource.position, start)
    return resource, _record_resources(session, webinar, before, editor)


def _resource_in(session: Session, webinar: Webinar, resource_id: int) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None or resource.webinar_id != webinar.id:
        raise NotFoundError(f"webinar {webinar.slug!r} has no resource {resource_id}")
    return resource


def edit_resource(
    session: Session,
    webinar: Webinar,
    resource_id: int,
    editor: str,
    *,
    title: str | None = None,
    url: str | None = None,
    start: float | None = None,
) -> tuple[Resource, EditHistory | None]:
    if title is None and url is None and start is None:
        raise InputError("nothing to change: give title, url or start")
    _check_resource(webinar, title, url, start)
    webinar_id = require_id(webinar)
    resource = _resource_in(session, webinar, resource_id)
    before = _resource_state(session, webinar_id)
    if title is not None:
        resource.title = " ".join(title.split())
    if url is not None:
        resource.url = url.strip()
    if start is not None and start != resource.start:
        resource.start = start
        _mention(session, webinar_id, resource.position, start)
    session.add(resource)
    session.flush()
    if _resource_state(session, webinar_id) == before:
        return resource, None
    return resource, _record_resources(session, webinar, before, editor)


def delete_resource(session: Session, webinar: Webinar, resource_id: int, editor: str) -> EditHistory:
    """Remove a resource; the later ones move up a position, and the segments' mentions follow."""
    webinar_id = require_id(webinar)
    resource = _resource_in(session, webinar, resource_id)
    before = _resource_state(session, webinar_id)
    gone = resource.position
    for segment in _ordered(session, webinar_id):
        if segment.resources:
            moved = [p - 1 if p > gone else p for p in segment.resources if p != gone]
            if moved != list(segment.resources):
                segment.resources = moved
                session.add(segment)
    session.delete(resource)
    session.flush()
    _renumber(session, [r for r in _resources(session, webinar_id)])
    return _record_resources(session, webinar, before, editor)


def _revert_resources(session: Session, webinar: Webinar, entry: EditHistory, editor: str) -> EditHistory:
    webinar_id = require_id(webinar)
    before = _resource_state(session, webinar_id)
    if before["resources"] != entry.new_value["resources"]:
        raise ConflictError(
            f"the resources were changed again since entry {entry.id}: revert the later entries first"
        )
    rows = entry.old_value["resources"]
    wanted = {row["id"] for row in rows}
    existing = {r.id: r for r in _resources(session, webinar_id)}
    for resource_id, resource in existing.items():
        if resource_id not in wanted:
            session.delete(resource)
    session.flush()
    restored: list[Resource] = []
    for n, row in enumerate(rows):
        found = existing.get(row["id"])
        resource = (
            found
            if found is not None
            else Resource(id=row["id"], webinar_id=webinar_id, position=_TEMP_POSITION - n, title="", url="")
        )
        resource.title, resource.url, resource.start = row["title"], row["url"], row["start"]
        session.add(resource)
        restored.append(resource)
    session.flush()
    _renumber(session, restored)
    mentions = {sid: refs for sid, refs in entry.old_value.get("segments", [])}
    for segment in _ordered(session, webinar_id):
        refs = mentions.get(segment.id, [])
        if list(segment.resources) != refs:
            segment.resources = list(refs)
            session.add(segment)
    session.flush()
    return _record_resources(session, webinar, before, editor, reverts=entry.id)


# --- corrections kept through a re-processing -------------------------------------------------


def corrected_segments(session: Session, webinar_id: int) -> list[dict[str, Any]]:
    """The segments staff corrected (text, speaker, kind, pairing, split, merge, find and replace)
    whose last change was not a revert, as full snapshots in time order: what a re-processing of
    the webinar keeps unless staff choose to discard it."""
    rows = session.exec(
        select(EditHistory)
        .where(EditHistory.table_name == "webinar")
        .where(EditHistory.row_id == webinar_id)
        .where(col(EditHistory.field).in_(SEGMENT_FIELDS))
        .order_by(col(EditHistory.id))
    )
    last: dict[int, EditHistory] = {}
    for row in rows:
        for snap in [*row.old_value.get("segments", []), *row.new_value.get("segments", [])]:
            last[snap["id"]] = row
    kept: list[dict[str, Any]] = []
    for segment_id, row in last.items():
        segment = session.get(Segment, segment_id)
        if segment is None or segment.webinar_id != webinar_id or "reverts" in row.new_value:
            continue
        kept.append(_snapshot(segment))
    return sorted(kept, key=lambda s: (s["start"], s["position"]))


def keep_corrections(session: Session, webinar: Webinar, kept: Sequence[dict[str, Any]]) -> list[int]:
    """Put corrected segments (from `corrected_segments`, taken before the transcript was
    replaced) back into the new transcript: each replaces the new segments whose middle falls
    within its time span, keeps its id when that is free (so its history still applies), and
    joins the chapter it now falls in. Returns the ids of the segments kept."""
    webinar_id = require_id(webinar)
    if not kept:
        return []
    labels = {
        link.person_id: link.speaker_label
        for link in session.exec(select(WebinarPerson).where(WebinarPerson.webinar_id == webinar_id))
    }
    segments = _ordered(session, webinar_id)
    replaced = {
        s.id
        for s in segments
        for snap in kept
        if snap["start"] <= (s.start + s.end) / 2 < max(snap["end"], snap["start"] + 1e-6)
    }
    for segment in segments:
        if segment.id in replaced:
            session.delete(segment)
    session.flush()
    made: list[Segment] = []
    for n, snap in enumerate(kept):
        free = session.exec(select(Segment.id).where(Segment.id == snap["id"])).first() is None
        person = snap["person_id"] if _exists(session, Person, snap["person_id"]) else None
        segment = Segment(
            id=snap["id"] if free else None,
            webinar_id=webinar_id,
            position=_TEMP_POSITION - n,
            start=snap["start"],
            end=snap["end"],
            text=snap["text"],
            words=[list(w) for w in snap["words"]],
            speaker_label=labels.get(person) or snap["speaker_label"] if person else snap["speaker_label"],
            person_id=person,
            kind=snap["kind"],
            language=snap.get("language"),  # history written before segment languages has none
        )
        session.add(segment)
        made.append(segment)
    session.flush()
    chapters = _chapters(session, webinar_id)
    for segment in made:
        inside = [c for c in chapters if c.start <= segment.start + 1e-6]
        segment.chapter_id = inside[-1].id if inside else None
        session.add(segment)
    ordered = sorted(
        [s for s in segments if s.id not in replaced] + made, key=lambda s: (s.start, s.position)
    )
    _renumber(session, ordered)
    _touch(session, webinar)
    return [s.id or 0 for s in made]
