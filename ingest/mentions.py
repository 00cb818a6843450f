"""Where a resource is mentioned: the moment its title is said, found in the words' own times.

The replay page links each resource (a guide, a report the manifest lists) to "mentioned at" a
moment. Linking it to the first mention of its project sent every resource of a project to the
same early moment ("our first speaker leads the PORTIS project", 00:17), long before the guide
itself came up (1:32). So the title itself is looked for: its distinctive words (folded for case
and accents, stop words dropped) close together in the transcript, scored by how many of them
were said. The full title said anywhere beats a partial one said earlier ("the shore power
guide" still counts for "PORTIS shore power guide" when nothing better is said); a title never
said has no mention, and the page then shows none rather than a wrong one.

The moment to play from is the start of the sentence that holds the mention (a listener needs
"All of this is described in..." to follow), taken from the word times; without word times, the
segment's start.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz

from ingest.document import Segment
from ingest.textutil import STOPWORDS, ends_sentence, tokens

SLACK: Final = 1
"""Extra words allowed among a title's words ("the PORTIS shore-power pilot guide")."""
LEAD_IN: Final = 15.0
"""At most this many seconds of the sentence before the mention are played first."""
FUZZY_MIN_CHARS: Final = 6
FUZZY_MIN_RATIO: Final = 85.0
"""Long words a recogniser misspells slightly ("Agrocirk") still match; short ones must be exact."""


@dataclass(frozen=True)
class Mention:
    """Where a title is said: the sentence's start (to play from), the first matched word's
    time, the segment's index, and the share of the title's words that were said (1.0: all)."""

    start: float
    word_start: float
    segment: int
    score: float


@dataclass(frozen=True)
class _Token:
    text: str
    start: float
    segment: int
    sentence_start: float


def title_words(title: str) -> list[str]:
    """The words of a title that identify it: folded, stop words dropped, each once."""
    return list(dict.fromkeys(t for t in tokens(title) if t not in STOPWORDS))


def _timeline(segments: Sequence[Segment]) -> list[_Token]:
    """Every spoken word (stop words dropped) with its time, segment and sentence start."""
    out: list[_Token] = []
    for index, segment in enumerate(segments):
        if segment.words:
            pieces = [(w.start, w.text) for w in segment.words]
        else:  # no word times: the whole segment is one moment
            pieces = [(segment.start, segment.text)]
        sentence = segment.start
        new_sentence = False
        for start, text in pieces:
            if new_sentence:
                sentence, new_sentence = start, False
            for token in tokens(text):
                if token not in STOPWORDS:
                    out.append(_Token(token, start, index, sentence))
            new_sentence = ends_sentence(text)
    return out


def same_word(said: str, wanted: str) -> bool:
    """Whether a transcript word is the title's word: equal, a plural of it, or (long words) a
    near spelling."""
    if said == wanted or said == wanted + "s" or wanted == said + "s":
        return True
    if min(len(said), len(wanted)) >= FUZZY_MIN_CHARS:
        return fuzz.ratio(said, wanted) >= FUZZY_MIN_RATIO
    return False


def _required(wanted: int) -> int:
    """How many of a title's words must be said for a mention: all of up to three ("the
    AGROCIRC pilot" is the pilot, not its report), all but one of four or more (the project's
    name is often left out: "the shore power guide")."""
    return wanted if wanted <= 3 else wanted - 1


def find_mention(title: str, segments: Sequence[Segment], optional: Collection[str] = ()) -> Mention | None:
    """The best place where `title` is said: most of its words within one sentence and a window
    of its length (plus `SLACK`), the earliest among the best; None when it is never said.

    `optional`: folded words of the title that may go unsaid when every other word is said and
    those are at least two. The caller passes the project names it knows (the recogniser
    mangles project acronyms more than any other word, "the Agresser Pilot Report", and
    speakers drop them), and none for a title whose other words are another title's too."""
    wanted = title_words(title)
    if not wanted:
        return None
    rest = {w for w in wanted if w not in optional}
    enough_rest = len(rest) >= 2
    timeline = _timeline(segments)
    width = len(wanted) + SLACK
    best: Mention | None = None
    for i, token in enumerate(timeline):
        if not any(same_word(token.text, w) for w in wanted):
            continue
        sentence = (token.segment, token.sentence_start)  # a title is said within one sentence
        window = [t for t in timeline[i : i + width] if (t.segment, t.sentence_start) == sentence]
        said: set[str] = set()
        span = 0
        for k, candidate in enumerate(window):
            new = {w for w in wanted if w not in said and same_word(candidate.text, w)}
            if new:
                said |= new
                span = k + 1
        # The whole title may have a word of its own inserted; a part of it must be said as is
        # ("the shore power guide", not "PORTIS builds shore power").
        allowed = len(said) + (SLACK if len(said) == len(wanted) else 0)
        enough = len(said) >= _required(len(wanted)) or (enough_rest and rest <= said)
        if not enough or span > allowed:
            continue
        score = len(said) / len(wanted)
        if best is not None and score <= best.score:
            continue
        start = token.sentence_start if token.start - token.sentence_start <= LEAD_IN else token.start
        best = Mention(start=start, word_start=token.start, segment=token.segment, score=score)
        if score == 1.0:
            break
    return best
