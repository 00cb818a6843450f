"""Speech cut into segments of a searchable size: one voice, one chapter, about 10 to 40 s.

A search hit should land within a few sentences of the moment it names and read as a passage,
so segments end at speaker changes, chapter starts and long pauses, and a voice's run of words
is cut where a listener would pause (sentence ends first, then clauses, then silences).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec

from ingest.chapters import Boundary
from ingest.document import Segment, Word
from ingest.textutil import ends_clause, ends_sentence

__all__ = [
    "MAX_SEGMENT",
    "MIN_FRAGMENT",
    "TARGET_SEGMENT",
    "TIME_EPS",
    "Token",
    "cut_segments",
    "speech_boundaries",
    "split_words",
    "word_timeline",
]

TARGET_SEGMENT = 22.0
"""Preferred segment length in seconds: long enough to read as a passage, short enough that a
search hit lands within a few sentences of the moment it names."""
MIN_SEGMENT = 10.0
MAX_SEGMENT = 40.0
MIN_FRAGMENT = 2.0
"""Shorter pieces are merged into a neighbour of the same voice where that stays within 40 s."""
BLOCK_PAUSE = 5.0
"""A silence this long inside one voice's speech always ends a segment."""
TIME_EPS = 1e-6
"""Times this close count as the same instant when speech is placed in a chapter."""


@dataclass
class Token:
    """A word (or a whole segment that has no word times) with the voice that spoke it."""

    start: float
    end: float
    text: str
    speaker: str
    word: Word | None
    source: Segment


def _tokens(segments: Sequence[Segment]) -> list[Token]:
    out: list[Token] = []
    for segment in segments:
        speaker = segment.speaker or "S0"
        if segment.words:
            out += [Token(w.start, w.end, w.text, speaker, w, segment) for w in segment.words]
        else:
            out.append(Token(segment.start, segment.end, segment.text, speaker, None, segment))
    return out


EDGE_WORDS = 3
"""At most this many words at a turn's edge may move to the neighbouring voice (see `_smooth`)."""


def word_timeline(segments: Sequence[Segment]) -> list[Token]:
    """Every word (or untimed segment) in time order, edge words given back to their sentence."""
    tokens_ = sorted(_tokens(segments), key=lambda t: (t.start, t.end))
    _smooth(tokens_)
    return tokens_


def _smooth(tokens_: list[Token]) -> None:
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


def speech_boundaries(tokens_: Sequence[Token]) -> list[Boundary]:
    """Every place a chapter may start: before each token, with the pause and the voices around it."""
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
    index = bisect.bisect_right(starts, time + TIME_EPS) - 1
    return index if index >= 0 else None


def _regroup(tokens_: Sequence[Token], starts: Sequence[float]) -> list[_Piece]:
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


def cut_segments(tokens_: Sequence[Token], starts: Sequence[float]) -> list[Segment]:
    """Segments of one voice within one chapter each, of a searchable size, numbered in order."""
    return _segments(_regroup(tokens_, starts))
