"""Chapter starts: agenda times snapped to real boundaries, or chapters found without an agenda.

Staff write agenda times from memory or from the event plan, 5 to 30 seconds off. A replay
link that starts in the middle of the previous speaker's last sentence looks broken, so each
written time moves to the nearby place where the talk really changes: where the voice changes
(best: to the voice the item expects, such as the presenter of a talk) or where there is a
pause after a finished sentence. All items are snapped together by dynamic programming, so two
items written close to each other cannot both claim the same boundary or swap order.

Without an agenda, chapters are cut where several signals agree: a change of voice, a long
pause, and a change of vocabulary between the minute before and the minute after (the idea of
Hearst's TextTiling, 1997). Titles come from the chapter's own most distinctive phrases.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ingest.textutil import STOPWORDS, fold

__all__ = ["Boundary", "Unit", "auto_boundaries", "chapter_title", "snap_starts"]

MIN_PAUSE = 0.8
"""A silence this long between words is a boundary even without a sentence end."""
SENTENCE_PAUSE = 0.4
"""A shorter silence counts as a boundary only after a finished sentence."""
MIN_CHAPTER_GAP = 1.0
"""Snapped chapter starts stay at least this far apart, in their written order."""


@dataclass(frozen=True)
class Boundary:
    """A place between two words where a chapter could start (`time`: the next word's start)."""

    time: float
    gap: float
    """Silence before the next word."""
    before: str | None
    """Speaker label before; None at the start of speech."""
    after: str
    sentence_end: bool


def _qualifies(boundary: Boundary) -> bool:
    return (
        boundary.before != boundary.after
        or boundary.gap >= MIN_PAUSE
        or (boundary.sentence_end and boundary.gap >= SENTENCE_PAUSE)
    )


def _score(boundary: Boundary, written: float, expected: frozenset[str], window: float) -> float:
    """How well a boundary fits an agenda item: a change to the expected voice beats all else."""
    score = 1.0
    if boundary.before != boundary.after:
        score += 2.0
        if boundary.after in expected and boundary.before not in expected:
            score += 3.0
    score += min(boundary.gap, 2.0)
    if boundary.sentence_end or boundary.before is None:
        score += 0.5
    return score - 3.0 * abs(boundary.time - written) / window


def snap_starts(
    written: Sequence[float],
    expected: Sequence[frozenset[str]],
    boundaries: Sequence[Boundary],
    window: float,
) -> list[float | None]:
    """For each written time, the boundary it snaps to, or None to keep the written time.

    Maximises the total fit over all items with snapped times strictly increasing (at least
    `MIN_CHAPTER_GAP` apart); keeping the written time scores zero, so it wins only where no
    boundary within ±`window` fits better.
    """
    if not written:
        return []
    # options[i]: (time, score, boundary time or None)
    options: list[list[tuple[float, float, float | None]]] = []
    for i, at in enumerate(written):
        mine: list[tuple[float, float, float | None]] = [(at, 0.0, None)]
        for boundary in boundaries:
            if abs(boundary.time - at) <= window and _qualifies(boundary):
                mine.append((boundary.time, _score(boundary, at, expected[i], window), boundary.time))
        options.append(mine)
    best: list[list[float]] = []
    back: list[list[int]] = []
    for i, mine in enumerate(options):
        row: list[float] = []
        links: list[int] = []
        for time, score, _ in mine:
            if i == 0:
                row.append(score)
                links.append(-1)
                continue
            candidates = [
                (best[i - 1][k], k)
                for k, (prev_time, _, _) in enumerate(options[i - 1])
                if prev_time <= time - MIN_CHAPTER_GAP and best[i - 1][k] > -math.inf
            ]
            if candidates:
                value, k = max(candidates)
                row.append(value + score)
                links.append(k)
            else:
                row.append(-math.inf)
                links.append(-1)
        best.append(row)
        back.append(links)
    last = max(range(len(options[-1])), key=lambda k: best[-1][k])
    if best[-1][last] == -math.inf:  # written times themselves out of order: leave them alone
        return [None] * len(written)
    chosen: list[float | None] = [None] * len(written)
    k = last
    for i in range(len(written) - 1, -1, -1):
        chosen[i] = options[i][k][2]
        k = back[i][k]
    return chosen


# --------------------------------------------------------------------------------------------
# Chapters without an agenda


@dataclass(frozen=True)
class Unit:
    """A stretch of speech of one voice (a segment), as automatic chaptering sees it."""

    start: float
    end: float
    speaker: str
    text: str


def _bag(units: Sequence[Unit]) -> Counter[str]:
    bag: Counter[str] = Counter()
    for unit in units:
        bag.update(w for w in _words(unit.text) if w not in STOPWORDS and len(w) >= 3 and not w.isdigit())
    return bag


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(a[w] * b[w] for w in a.keys() & b.keys())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def auto_boundaries(units: Sequence[Unit], duration: float, *, target: float = 180.0) -> list[float]:
    """Chapter start times (the first is the start of speech) for a recording without an agenda.

    About one chapter per `target` seconds, never shorter than half that; each cut is the
    best-scoring gap between units, where a change of voice, a pause and a change of vocabulary
    (cosine distance between the 90 s before and after) each add to the score.
    """
    if not units:
        return [0.0]
    first = units[0].start
    span = max(duration, units[-1].end) - first
    count = max(1, min(30, round(span / target)))
    if count == 1:
        return [first]
    min_length = max(30.0, 0.5 * span / count)
    scored: list[tuple[float, float]] = []
    for k in range(1, len(units)):
        time = units[k].start
        if time - first < min_length or max(duration, units[-1].end) - time < min_length:
            continue
        before = [u for u in units[:k] if u.end >= time - 90.0]
        after = [u for u in units[k:] if u.start <= time + 90.0]
        score = 3.0 * (1.0 - _cosine(_bag(before), _bag(after)))
        if units[k].speaker != units[k - 1].speaker:
            score += 1.5
            floor_time = 0.0
            for unit in units[k:]:
                if unit.speaker != units[k].speaker:
                    break
                floor_time = unit.end - units[k].start
            score += min(floor_time, 60.0) / 60.0  # a long turn begins: likely a new talk
        score += min(units[k].start - units[k - 1].end, 3.0) / 1.5
        scored.append((score, time))
    chosen: list[float] = []
    for _score_value, time in sorted(scored, reverse=True):
        if len(chosen) >= count - 1:
            break
        if all(abs(time - other) >= min_length for other in chosen):
            chosen.append(time)
    return [first, *sorted(chosen)]


_PHRASE_BREAK = frozenset('.,;:?!()[]"“”')


def _words(text: str) -> list[str]:
    return [fold(w) for w in _split_words(text) if fold(w)]


def _split_words(text: str) -> list[str]:
    """Words with their original spelling, punctuation marks kept as separate items."""
    out: list[str] = []
    current: list[str] = []
    for char in text:
        if char.isalnum() or char in "-'’":
            current.append(char)
            continue
        if current:
            out.append("".join(current).strip("-'’"))
            current = []
        if char in _PHRASE_BREAK:
            out.append(char)
    if current:
        out.append("".join(current).strip("-'’"))
    return [w for w in out if w]


def _phrases(text: str) -> list[tuple[str, str]]:
    """Candidate title phrases (folded key, original spelling): runs of 1-3 content words."""
    found: list[tuple[str, str]] = []
    run: list[str] = []

    def flush() -> None:
        for n in (1, 2, 3):
            for i in range(len(run) - n + 1):
                words = run[i : i + n]
                found.append((" ".join(fold(w) for w in words), " ".join(words)))
        run.clear()

    for word in _split_words(text):
        key = fold(word)
        if word in _PHRASE_BREAK or key in STOPWORDS or len(key) < 3 or key.isdigit():
            flush()
        else:
            run.append(word)
    flush()
    return found


def chapter_title(
    texts: Sequence[str],
    others: Sequence[Sequence[str]],
    speaker: str | None = None,
) -> str:
    """A short title from the chapter's most distinctive phrases, with its main speaker if any.

    Phrases are scored by frequency in this chapter against how many other chapters use them
    (tf-idf); a phrase of two or three words must occur twice to beat single words, because a
    one-off word pair is usually an accident of speech rather than the topic. Never empty.
    """
    counts: Counter[str] = Counter()
    spelling: dict[str, Counter[str]] = {}
    for text in texts:
        for key, surface in _phrases(text):
            counts[key] += 1
            spelling.setdefault(key, Counter())[surface] += 1
    elsewhere: Counter[str] = Counter()
    for chapter in others:
        elsewhere.update({key for text in chapter for key, _ in _phrases(text)})

    def score(key: str) -> float:
        n = key.count(" ") + 1
        if n > 1 and counts[key] < 2:
            return 0.0
        idf = math.log((2 + len(others)) / (1 + elsewhere[key]))
        return counts[key] * idf * (1.0 + 0.6 * (n - 1))

    chosen: list[str] = []
    used: set[str] = set()
    for key in sorted(counts, key=lambda k: (-score(k), k)):
        if len(chosen) >= 3 or score(key) <= 0:
            break
        words = set(key.split())
        if words & used:
            continue
        chosen.append(spelling[key].most_common(1)[0][0])
        used |= words
    topic = ", ".join(chosen[:3])
    if speaker and topic:
        return f"{speaker}: {topic}"
    if topic:
        return topic[0].upper() + topic[1:]
    if speaker:
        return f"{speaker} speaking"
    return "Untitled part without speech" if not any(t.strip() for t in texts) else "Short remarks"


def dominant(units: Sequence[Unit], names: Mapping[str, str]) -> tuple[str | None, float]:
    """The name (or label) holding the floor longest in these units, and its share of speech."""
    time: dict[str, float] = {}
    for unit in units:
        time[unit.speaker] = time.get(unit.speaker, 0.0) + max(0.0, unit.end - unit.start)
    total = sum(time.values())
    if not total:
        return None, 0.0
    label = max(time, key=lambda k: time[k])
    amount = time[label]
    return names.get(label, label), amount / total
