"""Bias recognition toward the event's own names: a prompt before decoding, a snap after it.

tiny.en knows "Kent" but not "Extremadura". Two levers are used, both kept because the
benchmark and tests measure them (README, "Vocabulary"):
- `initial_prompt`: the people's and projects' names, shown to the decoder before the first
  window; it nudges spelling without changing timing;
- `snap_to_vocabulary`: after decoding, a window of words that is a near miss of a known term
  (fuzzy ratio above a length-dependent bar) is replaced by the term, keeping its times.
faster-whisper's `hotwords` made tiny.en worse and twice as slow in the measurements, so it is
not used by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import msgspec
from rapidfuzz import fuzz

from ingest.document import Segment, Transcript, Word
from ingest.textutil import normalise_name

_PROMPT_MAX_CHARS = 600
_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)


def build_prompt(terms: list[str]) -> str | None:
    """The names alone, comma-separated: measured better than a sentence or a longer list.

    On the fixtures (README, "Vocabulary"), a prompt of people and project names lowered WER
    with the snap from 10.2% to 6.8% (two voices) and 10.4% to 9.8% (demo); adding
    affiliations or the title and topics as a sentence raised it to 15.9% and 17.6%.
    Each name once (case ignored), whole, up to 600 characters in the order given.
    """
    names: list[str] = []
    seen: set[str] = set()
    for term in terms:  # once each: the manifest's names and the archive's glossary overlap
        name = " ".join(term.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if not names:
        return None
    prompt = names[0][: _PROMPT_MAX_CHARS - 1]
    for name in names[1:]:  # whole names only: the first ones (the manifest's) are kept
        if len(prompt) + len(name) + 3 > _PROMPT_MAX_CHARS:
            break
        prompt = f"{prompt}, {name}"
    return prompt + "."


def _fold(text: str) -> str:
    """`normalise_name` (the agenda's folding: case, accents, ø/ł...), then only letters and digits."""
    return "".join(c for c in normalise_name(text) if c.isalnum())


@dataclass(frozen=True)
class _Term:
    text: str
    folded: str
    n_words: int


def _threshold(length: int) -> float:
    """Short terms need an almost exact match: a 4-letter name is one edit from many words."""
    if length < 5:
        return 101.0  # never snapped
    if length < 8:
        return 86.0
    return 80.0


def snap_to_vocabulary(transcript: Transcript, vocabulary: list[str]) -> Transcript:
    """Replace near-miss spellings of known terms; the words' times are kept."""
    terms = [
        _Term(t, _fold(t), len(_TOKEN.findall(t)))
        for t in sorted(set(vocabulary), key=len, reverse=True)
        if _TOKEN.findall(t)
    ]
    if not terms:
        return transcript
    segments = [_snap_segment(segment, terms) for segment in transcript.segments]
    return msgspec.structs.replace(transcript, segments=segments)


def _snap_segment(segment: Segment, terms: list[_Term]) -> Segment:
    words = list(segment.words)
    if not words:
        return segment
    folded = [_fold(w.text) for w in words]  # once per word, not once per window and term
    i = 0
    out: list[Word] = []
    while i < len(words):
        match = _best_match(words, folded, i, terms)
        if match is None:
            out.append(words[i])
            i += 1
            continue
        term, span = match
        group = words[i : i + span]
        lead = " " if group[0].text.startswith(" ") else ""
        trail = re.sub(r"^.*?([^\w]*)$", r"\1", group[-1].text.strip())
        out.append(
            Word(
                start=group[0].start,
                end=group[-1].end,
                text=f"{lead}{term.text}{trail}",
                probability=min(w.probability for w in group),
            )
        )
        i += span
    if out == words:
        return segment
    return msgspec.structs.replace(segment, text="".join(w.text for w in out).strip(), words=out)


def _best_match(words: list[Word], folded: list[str], i: int, terms: list[_Term]) -> tuple[_Term, int] | None:
    """The best term matching words starting at i, over spans of the term's length ±1.

    A window that also matches as well one word later is left for that later start, so a
    neighbouring word ("in", "the") is never swallowed into the name.
    """
    best: tuple[float, _Term, int] | None = None
    for term in terms:
        scored = _span_scores(words, folded, i, term)
        if scored is None:
            return None  # already exactly right at this position
        if not scored:
            continue
        score, span = max(scored, key=lambda pair: (pair[0], -pair[1]))
        if score < _threshold(len(term.folded)):
            continue
        later = _span_scores(words, folded, i + 1, term)
        if later is None or (later and max(later)[0] >= score):
            continue
        if best is None or score > best[0]:
            best = (score, term, span)
    return (best[1], best[2]) if best else None


def _span_scores(words: list[Word], folded: list[str], i: int, term: _Term) -> list[tuple[float, int]] | None:
    """Fuzzy scores of the windows at i against a term; None when a window is the term exactly."""
    scores: list[tuple[float, int]] = []
    for span in sorted({max(1, term.n_words - 1), term.n_words, term.n_words + 1}):
        if i + span > len(words):
            continue
        candidate = "".join(folded[i : i + span])
        if candidate == term.folded:
            if _display(words[i : i + span]) == term.text:
                return None
            scores.append((100.0, span))  # right letters, wrong form: use the known spelling
            continue
        if not candidate or abs(len(candidate) - len(term.folded)) > max(2, len(term.folded) // 4):
            continue
        if span == 1 and _common_word(words[i].text) and term.text[:1].isupper():
            # Whisper capitalises the names it hears, so a lower-case word is a common word:
            # "ports" is not a misspelling of PORTIS. Measured on the demo with an archive-wide
            # glossary, this rule removed the 3 names the snap had invented (bench/glossary.py).
            continue
        scores.append((fuzz.ratio(candidate, term.folded), span))
    return scores


def _common_word(text: str) -> bool:
    """A word written all in lower case (a name the model heard would be capitalised)."""
    letters = re.sub(r"[^\w]", "", text)
    return bool(letters) and letters.islower()


def _display(words: list[Word]) -> str:
    return re.sub(r"[^\w\s'’-]", "", "".join(w.text for w in words)).strip()
