"""The labelled query set (tests/data/labelled_queries.yaml), its fixtures and its figures.

Shared by tests/integration/test_relevance.py (which asserts the targets) and bench/relevance.py
(which prints every query's outcome): both ingest the demo webinar and the two-voice interview
with the real pipeline (tiny.en, the diarizer, the structure stage), store them in a catalogue,
index them from it into a real Meilisearch, and ask every labelled query through the archive's
own search service, grouped as the search page asks and flat as the API does.

Figures:
- landed: the share of queries with a labelled moment whose first result (the first group's
  link, what a practitioner clicks) opens the replay at most LANDING_WINDOW seconds before one of
  the labelled times, and not after it;
- precision at 3: of the first three moments returned (flat, best first), the share that lie on a
  labelled time (the moment's segment holds it), averaged over the queries with labelled times;
- never: the share of (query, webinar) pairs labelled `never` for which that webinar returned no
  moment at all;
- about: the share of (query, webinar) pairs labelled `about` whose webinar is on the first page
  of grouped results.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from ingest.document import Transcript
from ingest.metadata import load_manifest
from ingest.pipeline import run
from server.search.index import connected_index
from server.search.process import MeiliConnection
from server.search.service import Hit, SearchQuery, SearchService, moment_url
from server.settings import Settings
from tests.site_data import ROOT, store_and_index

LABELS = ROOT / "tests" / "data" / "labelled_queries.yaml"
LANDING_WINDOW = 3.0
"""A link may open at most this many seconds before the words (and never after them)."""
SEGMENT_SLACK = 0.5
"""A labelled time within this of a moment's bounds counts as inside it (word times wobble)."""
TARGET_LANDED = 0.90
TARGET_PRECISION = 0.80
MIN_QUERIES = 40


@dataclass(frozen=True)
class Recording:
    key: str
    media: Path
    manifest: Path
    agenda: Path | None = None


RECORDINGS = (
    Recording(
        "demo",
        ROOT / "media/demo/demo-webinar.opus",
        ROOT / "media/demo/manifest.yaml",
        ROOT / "media/demo/agenda.txt",
    ),
    Recording(
        "two_voices", ROOT / "tests/data/two_voices.opus", ROOT / "tests/data/two_voices.manifest.yaml"
    ),
)


@dataclass(frozen=True)
class Label:
    q: str
    kind: str
    said: dict[str, list[float]]
    never: list[str]
    about: list[str]


def load_labels(path: Path = LABELS) -> list[Label]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Label(
            q=str(item["q"]),
            kind=str(item["kind"]),
            said={k: [float(t) for t in v] for k, v in (item.get("said") or {}).items()},
            never=list(item.get("never") or []),
            about=list(item.get("about") or []),
        )
        for item in data["queries"]
    ]


@functools.cache
def transcribe_recording(key: str) -> Transcript:
    """One recording through the whole ingest, once per process (the keyword set's tests and the
    paraphrased set's share it)."""
    rec = next(r for r in RECORDINGS if r.key == key)
    agenda = rec.agenda.read_text(encoding="utf-8") if rec.agenda else None
    return run(rec.media, load_manifest(rec.manifest), agenda=agenda).transcript


def transcripts_with(known: Mapping[str, Transcript]) -> dict[str, Transcript]:
    """Every recording's transcript: those in `known` (the session's demo ingest), the rest made."""
    return {
        rec.key: known[rec.key] if rec.key in known else transcribe_recording(rec.key) for rec in RECORDINGS
    }


def transcribe_recordings() -> dict[str, Transcript]:
    """Each recording through the whole ingest pipeline (real model, diarizer and structure)."""
    out = {}
    for rec in RECORDINGS:
        agenda = rec.agenda.read_text(encoding="utf-8") if rec.agenda else None
        out[rec.key] = run(rec.media, load_manifest(rec.manifest), agenda=agenda).transcript
    return out


def store_recordings(
    settings: Settings, transcripts: Mapping[str, Transcript], connection: MeiliConnection, index_uid: str
) -> dict[str, str]:
    """Store and index every transcript through the catalogue; the slugs by recording key."""
    slugs = {}
    for rec in RECORDINGS:
        slugs[rec.key] = store_and_index(
            settings,
            transcripts[rec.key],
            load_manifest(rec.manifest),
            rec.media.name,
            connection=connection,
            index_uid=index_uid,
            media_bytes=rec.media.read_bytes(),
        )
    return slugs


@dataclass
class Outcome:
    """What one labelled query got."""

    label: Label
    first_url: str | None = None
    landed: bool | None = None
    """None for queries with no labelled moment."""
    landed_at_start: bool | None = None
    """The baseline: would a link to the start of the same first moment have landed?"""
    precision: float | None = None
    leaked: list[str] = field(default_factory=list)
    """Webinars labelled `never` that returned a moment."""
    missing_about: list[str] = field(default_factory=list)
    """Webinars labelled `about` missing from the first page of grouped results."""


@dataclass
class Figures:
    outcomes: list[Outcome]

    def _share(self, values: list[bool]) -> float:
        return sum(values) / len(values) if values else 1.0

    @property
    def landed(self) -> float:
        return self._share([o.landed for o in self.outcomes if o.landed is not None])

    @property
    def landed_at_start(self) -> float:
        return self._share([o.landed_at_start for o in self.outcomes if o.landed_at_start is not None])

    @property
    def precision_at_3(self) -> float:
        values = [o.precision for o in self.outcomes if o.precision is not None]
        return sum(values) / len(values) if values else 1.0

    @property
    def never_clean(self) -> float:
        pairs = [w not in o.leaked for o in self.outcomes for w in o.label.never]
        return self._share(pairs)

    @property
    def about_found(self) -> float:
        pairs = [w not in o.missing_about for o in self.outcomes for w in o.label.about]
        return self._share(pairs)

    def summary(self) -> str:
        scored = [o for o in self.outcomes if o.landed is not None]
        return (
            f"{len(self.outcomes)} queries: landed within {LANDING_WINDOW:.0f} s before the words "
            f"{self.landed:.0%} ({sum(bool(o.landed) for o in scored)}/{len(scored)}), "
            f"precision at 3 {self.precision_at_3:.0%}, never-said clean {self.never_clean:.0%}, "
            f"metadata matches shown {self.about_found:.0%}"
        )


def _second(url: str) -> float:
    return float(parse_qs(urlparse(url).query)["t"][0])


def lands(url: str, slug: str, times: list[float]) -> bool:
    path = urlparse(url).path
    if path != f"/webinars/{slug}":
        return False
    t = _second(url)
    return any(time - LANDING_WINDOW <= t <= time for time in times)


def _relevant(hit: Hit, said: Mapping[str, list[float]], slugs: Mapping[str, str]) -> bool:
    for key, times in said.items():
        if hit.webinar.slug == slugs[key] and any(
            hit.start - SEGMENT_SLACK <= t <= hit.end + SEGMENT_SLACK for t in times
        ):
            return True
    return False


async def evaluate(
    service: SearchService, slugs: Mapping[str, str], labels: list[Label], mode: str = "keyword"
) -> Figures:
    """Every label's outcome, asked in `mode`: by default `keyword`, the figures this set was
    made for (search by meaning answers "ferry tickets" with the ferry terminal's moments, by
    design; tests/semantic.py measures that side)."""
    outcomes = []
    for label in labels:
        outcome = Outcome(label)
        grouped = await service.search(SearchQuery(q=label.q, group="webinar", limit=10, mode=mode))
        flat = await service.search(SearchQuery(q=label.q, limit=100, mode=mode))
        first = grouped.groups[0].url if grouped.groups else None
        outcome.first_url = first
        if label.said:
            outcome.landed = first is not None and any(
                lands(first, slugs[key], times) for key, times in label.said.items()
            )
            hits = grouped.groups[0].hits if grouped.groups else []
            at_start = moment_url(hits[0].webinar.slug, math.floor(hits[0].start)) if hits else None
            outcome.landed_at_start = at_start is not None and any(
                lands(at_start, slugs[key], times) for key, times in label.said.items()
            )
            top = flat.hits[:3]
            outcome.precision = sum(_relevant(h, label.said, slugs) for h in top) / len(top) if top else 0.0
        returned = {h.webinar.slug for h in flat.hits}
        outcome.leaked = [key for key in label.never if slugs[key] in returned]
        shown = {g.webinar.slug for g in grouped.groups or []}
        outcome.missing_about = [key for key in label.about if slugs[key] not in shown]
        outcomes.append(outcome)
    return Figures(outcomes)


def evaluate_on(
    connection: MeiliConnection, index_uid: str, slugs: Mapping[str, str], mode: str = "keyword"
) -> Figures:
    async def go() -> Figures:
        async with connected_index(connection, index_uid) as index:
            return await evaluate(SearchService(index), slugs, load_labels(), mode)

    return asyncio.run(go())


def describe(outcome: Outcome) -> str:
    label = outcome.label
    marks = []
    if outcome.landed is not None:
        marks.append("landed" if outcome.landed else "MISSED")
    if outcome.precision is not None:
        marks.append(f"P@3 {outcome.precision:.2f}")
    if outcome.leaked:
        marks.append("LEAKED " + ",".join(outcome.leaked))
    if outcome.missing_about:
        marks.append("NOT SHOWN " + ",".join(outcome.missing_about))
    said = "; ".join(f"{k} {', '.join(f'{t:.1f}' for t in v)}" for k, v in label.said.items())
    return f"{label.kind:7} {label.q!r:40} -> {outcome.first_url or '-'}  [{said or '-'}]  {' '.join(marks)}"


def as_dict(figures: Figures) -> dict[str, Any]:
    return {
        "queries": len(figures.outcomes),
        "landed": figures.landed,
        "landed_at_segment_start": figures.landed_at_start,
        "precision_at_3": figures.precision_at_3,
        "never_clean": figures.never_clean,
        "about_found": figures.about_found,
    }
