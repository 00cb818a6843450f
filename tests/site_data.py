"""Webinars for the site's tests and benchmark, built by hand (no speech model needed).

`demo_transcript()` turns the demo webinar's ground truth (media/demo/truth.json, the script the
recording was synthesised from) into a structured transcript whose times fall inside the real
277-second recording, so the browser tests can play it. `long_transcript()` makes a synthetic
two-hour webinar (~1,500 segments) for bench/pages.py. `store_and_index()` goes through the
catalogue's own store function and the search package's indexer, as an ingest would.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

from sqlmodel import Session

from ingest.document import Chapter, Resource, Segment, Speaker, Transcript, Word
from ingest.mentions import find_mention
from ingest.metadata import Manifest, load_manifest
from ingest.probe import MediaInfo
from server.catalog.db import create_db_engine, upgrade_database
from server.catalog.store import store_transcript
from server.search.indexer import index_catalogue
from server.search.process import MeiliConnection
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "media" / "demo"
DEMO_MEDIA = DEMO_DIR / "demo-webinar.opus"


def _words(start: float, end: float, text: str) -> list[Word]:
    tokens = text.split()
    step = (end - start) / max(1, len(tokens))
    return [Word(start + i * step, start + (i + 1) * step, f" {t}", 0.95) for i, t in enumerate(tokens)]


def demo_manifest() -> Manifest:
    return load_manifest(DEMO_DIR / "manifest.yaml")


def demo_transcript() -> Transcript:
    """The demo webinar as the structure stage would leave it: speakers, chapters, kinds, Q&A."""
    truth = json.loads((DEMO_DIR / "truth.json").read_text(encoding="utf-8"))
    manifest = demo_manifest()
    labels = {p.name: f"SPEAKER_{i:02d}" for i, p in enumerate(manifest.speakers)}
    segments: list[Segment] = []
    last_question: int | None = None
    for i, u in enumerate(truth["utterances"]):
        kind = u["kind"]
        if kind == "question":
            last_question = i
        segments.append(
            Segment(
                id=i,
                start=float(u["start"]),
                end=float(u["end"]),
                text=u["text"],
                words=_words(float(u["start"]), float(u["end"]), u["text"]),
                speaker=labels[u["speaker"]],
                kind=kind,
                chapter=u["chapter"],
                answers=last_question if kind == "answer" else None,
            )
        )
    duration = float(truth["duration"])
    chapters = []
    for n, c in enumerate(truth["chapters"]):
        end = truth["chapters"][n + 1]["start"] if n + 1 < len(truth["chapters"]) else duration
        own = [u for u in truth["utterances"] if u["chapter"] == n]
        chapters.append(
            Chapter(
                start=float(c["start"]),
                end=float(end),
                title=c["title"],
                kind=own[0]["kind"] if own else "other",
                speakers=list(dict.fromkeys(u["speaker"] for u in own)),
            )
        )
    resources = []
    for link in manifest.resources:  # where each title is said, as the structure stage finds it
        mention = find_mention(link.title, segments)
        resources.append(Resource(link.title, link.url, mention.start if mention else None))
    return Transcript(
        language="en",
        duration=duration,
        model="hand-built",
        segments=segments,
        speakers=[
            Speaker(labels[p.name], p.name, p.role, p.affiliation, p.project) for p in manifest.speakers
        ],
        chapters=chapters,
        resources=resources,
    )


_VOCABULARY = tuple(
    " ".join(
        [
            "regional cooperation programme project partners municipality tender procurement circular",
            "economy shore power ferry port emissions tariff model biomass pruning waste heating schools",
            "villages farmers cooperative funding call application budget indicators results evaluation",
            "pilot region stakeholders citizens energy transition climate adaptation mobility digital",
            "skills training small and medium-sized enterprises SMEs innovation research development",
        ]
    ).split()
)


def long_transcript(hours: float = 2.0, seed: int = 5) -> Transcript:
    """A synthetic webinar of `hours` with segments of 2.8-6 s (about 1,500 for two hours)."""
    rng = random.Random(seed)
    people = [
        ("Maria Jensen", "moderator", "EU Programme", None),
        ("Tomasz Nowak", "speaker", "City of Gdansk", "ReCircle"),
        ("Ana Ribeiro", "speaker", "Port of Aveiro", "GreenPorts"),
        ("Lena Berg", "panelist", "Digital Regions", None),
    ]
    speakers = [Speaker(f"SPEAKER_{i:02d}", *person) for i, person in enumerate(people)]
    duration = hours * 3600
    segments: list[Segment] = []
    t = 2.0
    speaker = 0
    while t < duration - 8:
        length = rng.uniform(2.8, 6.0)
        text = " ".join(rng.choice(_VOCABULARY) for _ in range(int(length * 2.6))).capitalize() + "."
        if rng.random() < 0.08:
            speaker = rng.randrange(len(speakers))
        kind = "question" if rng.random() < 0.03 else "presentation"
        segments.append(
            Segment(
                id=len(segments),
                start=round(t, 2),
                end=round(t + length, 2),
                text=text,
                words=_words(t, t + length, text),
                speaker=speakers[speaker].label,
                kind=kind,  # type: ignore[arg-type]
                chapter=min(11, int(t // (duration / 12))),
            )
        )
        t += length + rng.uniform(0.1, 0.6)
    chapters = [
        Chapter(
            i * duration / 12,
            (i + 1) * duration / 12,
            f"Part {i + 1}: {rng.choice(_VOCABULARY)}",
            "presentation",
        )
        for i in range(12)
    ]
    return Transcript("en", duration, "synthetic", segments, speakers, chapters, [])


def settings_for(base: Path, *, development: bool = False) -> Settings:
    """Settings with the data and media folders under `base` (nothing from the environment).

    `development=True` is ARCHIVE_ENV=development: cookies without `Secure`, so a browser keeps
    the staff session over http://127.0.0.1."""
    return Settings.from_env({"ARCHIVE_ENV": "development"} if development else {}, base_dir=base)


def store_and_index(
    settings: Settings,
    transcript: Transcript,
    manifest: Manifest,
    media_name: str,
    *,
    connection: MeiliConnection | None,
    index_uid: str,
    slug: str | None = None,
    media_bytes: bytes | None = None,
) -> str:
    """Store a webinar through the catalogue, index it (when `connection`), return its slug.

    `media_name` is copied from the demo recording unless `media_bytes` is given.
    """
    media_dir = settings.storage.media_dir
    media_dir.mkdir(parents=True, exist_ok=True)
    target = media_dir / media_name
    if media_bytes is not None:
        target.write_bytes(media_bytes)
    elif not target.exists():
        shutil.copyfile(DEMO_MEDIA, target)
    digest = hashlib.sha256(target.read_bytes() + media_name.encode()).hexdigest()
    info = MediaInfo(
        path=Path(media_name),
        container="ogg",
        duration=transcript.duration,
        audio_codec="opus",
        sample_rate=48000,
        channels=1,
        has_video=media_name.endswith((".mp4", ".webm")),
    )
    upgrade_database(settings.storage.database_url)
    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            webinar = store_transcript(session, info, digest, manifest, transcript, slug=slug)
            webinar_id, stored_slug = webinar.id, webinar.slug
        assert webinar_id is not None
        if connection is not None:
            index_catalogue(settings, engine, [webinar_id], connection=connection, index_uid=index_uid)
    finally:
        engine.dispose()
    return stored_slug


def add_account(settings: Settings, email: str, password: str, role: str = "staff") -> None:
    """A staff account in the settings' catalogue (as `user create` makes one)."""
    from server.accounts import passwords, users

    upgrade_database(settings.storage.database_url)
    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            users.create_user(session, email, passwords.hash_password(password), role)
    finally:
        engine.dispose()


def add_token(settings: Settings, email: str) -> str:
    """A new API token for the account (as `user token` makes one)."""
    from server.accounts import users

    engine = create_db_engine(settings.storage.database_url)
    try:
        with Session(engine) as session, session.begin():
            return users.issue_token(session, users.get_user(session, email))
    finally:
        engine.dispose()
