"""One round of the archive learning its vocabulary, on the demo recording (bench/glossary.py and
tests/integration/test_glossary.py).

1. The demo is transcribed with no manifest vocabulary at all (tiny.en writes "Merrick" for
   Marek, "Porties" for PORTIS, "Extramidua" for Extremadura) and stored as webinar A.
2. Staff correct the names in A's transcript through `server.catalog.corrections.edit_segment`,
   as they would on the replay page: every stretch where the machine's words differ from the
   script and the script has a name there is replaced by the script's words (the other mistakes
   are left alone). `corrected_until` limits this to the segments before that time.
3. The glossary (`server.catalog.glossary`) is built from that history and passed as
   `PipelineOptions.extra_vocabulary` to a second transcription of the same audio (a second
   webinar, still with no manifest vocabulary).
4. Names right are counted before (step 1) and after (step 3), over the whole recording and,
   when corrections stopped at `corrected_until`, over the held-out part after it (names that
   staff never corrected there, learned from the first part).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, SQLModel, col, select

from ingest.document import Transcript
from ingest.metadata import Manifest
from ingest.pipeline import PipelineOptions, run
from server.catalog import corrections, glossary
from server.catalog.db import create_db_engine
from server.catalog.models import Segment
from server.catalog.store import store_transcript

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "media" / "demo" / "demo-webinar.opus"
TRUTH = ROOT / "media" / "demo" / "truth.json"
EDITOR = "staff@example.org"

NAMES = (
    "Karen",
    "Højgaard",
    "Marek",
    "Wójcik",
    "Javier",
    "Gutiérrez",
    "Sofie",
    "Vandenberghe",
    "PORTIS",
    "AGROCIRC",
    "Extremadura",
    "Aarhus",
    "Gdynia",
    "Klaipėda",
    "Rostock",
    "Mérida",
    "Kołobrzeg",
    "Ustka",
    "Pomeranian",
    "East Flanders",
    "Baltic",
)
"""The demo's people, projects and places, counted one word (or fixed pair) at a time."""
HELD_OUT_FROM = 121.0
"""The demo's second half starts here (Javier Gutiérrez's talk): a clean utterance boundary."""


def names_right(reference: str, hypothesis: str, names: tuple[str, ...] = NAMES) -> tuple[int, int]:
    """Occurrences of the names in the reference that the hypothesis also spells right (case ignored,
    as tests/integration/test_transcribe.py counts them)."""
    found = total = 0
    for name in names:
        expected = reference.casefold().count(name.casefold())
        total += expected
        found += min(expected, hypothesis.casefold().count(name.casefold()))
    return found, total


def names_invented(reference: str, hypothesis: str, names: tuple[str, ...] = NAMES) -> int:
    """Occurrences of the names in the hypothesis beyond the reference's: a word wrongly turned into
    a name (the snap making "ports" PORTIS) counts here, not in `names_right`."""
    return sum(
        max(0, hypothesis.casefold().count(n.casefold()) - reference.casefold().count(n.casefold()))
        for n in names
    )


def _utterances() -> list[dict[str, object]]:
    data = json.loads(TRUTH.read_text(encoding="utf-8"))
    utterances: list[dict[str, object]] = data["utterances"]
    return utterances


def reference_text(start: float = 0.0, end: float = float("inf")) -> str:
    return " ".join(str(u["text"]) for u in _utterances() if start <= float(str(u["start"])) < end)


def hypothesis_text(transcript: Transcript, start: float = 0.0, end: float = float("inf")) -> str:
    return "".join(
        w.text for s in transcript.segments for w in s.words if start - 0.5 <= w.start < end
    ).strip()


def _core(token: str) -> str:
    return re.sub(r"^\W+|\W+$", "", token)


def staff_fixes(
    segments: list[tuple[int, str]], reference: str, names: tuple[str, ...] = NAMES
) -> dict[int, str]:
    """The new text of each segment a member of staff would correct: where the machine's words
    differ from the script's and the script says a name, the script's words replace them.

    `segments` are (id, text) in order. A difference that crosses two segments is left alone.
    """
    wanted = {n.casefold() for name in names for n in name.split()}
    hyp: list[tuple[int, str]] = [(sid, tok) for sid, text in segments for tok in text.split()]
    ref = reference.split()
    key = corrections.word_key
    matcher = difflib.SequenceMatcher(None, [key(t) for _, t in hyp], [key(t) for t in ref], autojunk=False)
    out: dict[int, list[str]] = {sid: [] for sid, _ in segments}
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                sid, tok = hyp[i]
                recased = _core(ref[j]).casefold() in wanted and _core(tok) != _core(ref[j])
                out[sid].append(ref[j] if recased else tok)
            continue
        says_name = any(_core(t).casefold() in wanted for t in ref[j1:j2])
        owners = {hyp[i][0] for i in range(i1, i2)}
        if not says_name or len(owners) > 1:
            for i in range(i1, i2):
                out[hyp[i][0]].append(hyp[i][1])
            continue
        owner = owners.pop() if owners else (hyp[i1 - 1][0] if i1 > 0 else hyp[0][0])
        out[owner].extend(ref[j1:j2])
    fixes: dict[int, str] = {}
    for sid, text in segments:
        new = " ".join(out[sid])
        if new and new != " ".join(text.split()):
            fixes[sid] = new
    return fixes


@dataclass(frozen=True)
class Round:
    before: tuple[int, int]
    """Names right over the whole recording, transcribed with no vocabulary."""
    after: tuple[int, int]
    """The same, transcribed with the glossary learned from the corrections."""
    held_out_before: tuple[int, int]
    held_out_after: tuple[int, int]
    """Over the part after `corrected_until` (the whole recording when corrections covered it)."""
    invented_before: int
    invented_after: int
    """Names written where the script has none (`names_invented`), over the whole recording."""
    corrected_segments: int
    glossary: tuple[str, ...]
    before_text: str
    after_text: str


def plain_transcript() -> Transcript:
    """The demo with no manifest and so no vocabulary (transcription alone)."""
    return run(DEMO, Manifest(), PipelineOptions(structure=False)).transcript


def learn(
    plain: Transcript, db_path: Path, corrected_until: float = float("inf")
) -> tuple[tuple[str, ...], int]:
    """Store `plain` as webinar A, correct its names before `corrected_until` as staff would, and
    return the glossary's vocabulary and the number of segments corrected."""
    from ingest.probe import probe

    engine = create_db_engine(f"sqlite:///{db_path}")
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine) as session:
            with session.begin():
                webinar = store_transcript(
                    session, probe(DEMO), "a" * 64, Manifest(title="Cleaner ports, first recording"), plain
                )
            with session.begin():
                rows = session.exec(
                    select(Segment).where(Segment.webinar_id == webinar.id).order_by(col(Segment.position))
                ).all()
                part = [(row.id or 0, row.text) for row in rows if row.start < corrected_until]
                fixes = staff_fixes(part, reference_text(0.0, corrected_until))
                for segment_id, text in fixes.items():
                    corrections.edit_segment(session, webinar, segment_id, EDITOR, text=text)
            with session.begin():
                vocabulary = glossary.ingest_vocabulary(session)
    finally:
        engine.dispose()
    return vocabulary, len(fixes)


def one_round(db_path: Path, corrected_until: float = float("inf"), plain: Transcript | None = None) -> Round:
    plain = plain or plain_transcript()
    vocabulary, corrected = learn(plain, db_path, corrected_until)
    learned = run(DEMO, Manifest(), PipelineOptions(structure=False, extra_vocabulary=vocabulary)).transcript
    held_from = corrected_until if corrected_until != float("inf") else 0.0
    return Round(
        before=names_right(reference_text(), plain.text),
        after=names_right(reference_text(), learned.text),
        held_out_before=names_right(reference_text(held_from), hypothesis_text(plain, held_from)),
        held_out_after=names_right(reference_text(held_from), hypothesis_text(learned, held_from)),
        invented_before=names_invented(reference_text(), plain.text),
        invented_after=names_invented(reference_text(), learned.text),
        corrected_segments=corrected,
        glossary=vocabulary,
        before_text=plain.text,
        after_text=learned.text,
    )
