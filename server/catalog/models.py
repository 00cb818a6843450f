"""The catalogue's tables and API shapes (SQLModel): the database is the source of truth.

Shapes follow SQLModel's Base / table / Public / Update split: a `...Base` holds the fields a
client may see, the `table=True` class adds keys and bookkeeping, `...Public` is what the JSON
API returns, and `...Update` is what staff may change (every field optional). Column types are
given explicitly (`sa_type`) so the Alembic migration and the models agree on every backend;
`tests/integration/test_catalog.py` checks that they do.

Segments, chapters and resources belong to one webinar and are replaced wholesale when the same
recording is ingested again, so their foreign keys cascade on delete.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import JSON, Date, DateTime, Float, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

STATUS_PROCESSING: Final = "processing"
"""A row exists but the transcript is not stored yet (staff upload waiting for the worker)."""
STATUS_INDEX_PENDING: Final = "index_pending"
"""Stored in full, not yet in the search index (Meilisearch was down or not run yet)."""
STATUS_READY: Final = "ready"
STATUS_FAILED: Final = "failed"
WEBINAR_STATUSES: Final = (STATUS_PROCESSING, STATUS_INDEX_PENDING, STATUS_READY, STATUS_FAILED)

JOB_QUEUED: Final = "queued"
JOB_RUNNING: Final = "running"
JOB_SUCCEEDED: Final = "succeeded"
JOB_FAILED: Final = "failed"
JOB_CANCELLED: Final = "cancelled"
JOB_STATES: Final = (JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED)
JOB_STAGES: Final = ("probing", "transcribing", "finding speakers", "structuring", "indexing")
JOB_INGEST: Final = "ingest"
"""A new recording (an upload, or the API's POST /api/webinars)."""
JOB_REPROCESS: Final = "reprocess"
"""A stored webinar processed again (for example with another speech model)."""
JOB_KINDS: Final = (JOB_INGEST, JOB_REPROCESS)

ROLE_STAFF: Final = "staff"
ROLE_ADMIN: Final = "admin"
ROLES: Final = (ROLE_STAFF, ROLE_ADMIN)
"""Staff upload, edit and publish; admins also manage accounts."""


def utcnow() -> dt.datetime:
    """Timestamps are stored in UTC, so servers in different zones agree."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


# --- webinars -------------------------------------------------------------------------------


class WebinarBase(SQLModel):
    """The fields of a webinar that the public may see."""

    slug: str = Field(sa_type=String(200), max_length=200)
    title: str = Field(sa_type=Text)
    date: dt.date | None = Field(default=None, sa_type=Date)
    description: str | None = Field(default=None, sa_type=Text)
    language: str = Field(default="en", sa_type=String(16), max_length=16)
    topics: list[str] = Field(default_factory=list, sa_type=JSON)
    duration: float = Field(default=0.0, sa_type=Float)
    """Seconds, as measured by the probe."""
    summary: str | None = Field(default=None, sa_type=Text)
    """Staff's summary of the webinar, Markdown (rendered sanitised, `server/web/markdown.py`)."""
    key_messages: list[str] = Field(default_factory=list, sa_type=JSON)
    """Staff's key messages, each a short Markdown item, in order."""


class Webinar(WebinarBase, table=True):
    __tablename__ = "webinar"
    __table_args__ = (
        UniqueConstraint("slug", name="uq_webinar_slug"),
        UniqueConstraint("media_sha256", name="uq_webinar_media_sha256"),
        # The list page: newest first among published webinars.
        Index("ix_webinar_published_date", "published", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    media_path: str = Field(sa_type=Text)
    """Relative to ARCHIVE_MEDIA_DIR (absolute only for media kept elsewhere)."""
    media_sha256: str = Field(sa_type=String(64), max_length=64)
    """Identifies the recording: ingesting the same bytes again updates this row."""
    status: str = Field(default=STATUS_PROCESSING, sa_type=String(20), max_length=20)
    published: bool = True
    agenda: str | None = Field(default=None, sa_type=Text)
    """The timing overview staff wrote, kept so chapters can be rebuilt by a later structure stage."""
    model: str = Field(default="", sa_type=String(200), max_length=200)
    """The speech model that produced the transcript."""
    editorial_draft: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """A machine draft of key messages and topics extracted from the transcript
    (`server/catalog/drafts.py`), for staff only until accepted into `key_messages` and `topics`:
    `{key_messages, topics, summary, generated_at, method, transcript_updated_at,
    transcript_revision}` (the newest history row that had changed the words). Never public."""
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


def require_id(webinar: Webinar) -> int:
    """The webinar's primary key, which exists once the row is flushed (stored or read back)."""
    if webinar.id is None:  # only before a flush; a bug if seen here
        raise RuntimeError("webinar has no id yet")
    return webinar.id


class WebinarUpdate(SQLModel):
    """What staff may edit; every change is written to the edit history."""

    title: str | None = None
    date: dt.date | None = None
    description: str | None = None
    language: str | None = None
    topics: list[str] | None = None
    published: bool | None = None
    summary: str | None = None
    key_messages: list[str] | None = None


class SpeakerPublic(SQLModel):
    name: str
    role: str | None = None
    affiliation: str | None = None
    project: str | None = None
    slug: str | None = None
    """The person's page, `/speakers/<slug>`."""
    project_slug: str | None = None
    """The project's page, `/projects/<project_slug>`, when the person has a project."""


class ChapterPublic(SQLModel):
    start: float
    end: float
    title: str
    kind: str
    speakers: list[str]


class ResourcePublic(SQLModel):
    title: str
    url: str
    start: float | None = None
    """The first moment the resource is mentioned, when the structure stage found one."""
    project: str | None = None
    project_slug: str | None = None
    """The project it belongs to (`/projects/<project_slug>`), when known."""


class WebinarSummary(WebinarBase):
    """One row of `GET /api/webinars`."""

    url: str
    """The replay page, `/webinars/<slug>`."""


class WebinarPage(SQLModel):
    """`GET /api/webinars`: one page, newest first, with the total for the pager."""

    items: list[WebinarSummary]
    total: int
    limit: int
    offset: int


class WebinarPublic(WebinarBase):
    """`GET /api/webinars/<slug>`: everything the replay page needs except the segments."""

    media_url: str
    speakers: list[SpeakerPublic]
    chapters: list[ChapterPublic]
    resources: list[ResourcePublic]


class SegmentPublic(SQLModel):
    """One item of `GET /api/webinars/<slug>/segments`; `id` is also the search hit's `segment_id`."""

    id: int
    start: float
    end: float
    speaker: str | None
    """The speaker's name when known, else the stable label such as "Speaker 2"."""
    kind: str
    chapter: str | None
    """The chapter's title, as in search hits."""
    text: str
    language: str | None = None
    """Where the segment is spoken in another language than the webinar's: its ISO 639-1 code."""


# --- people ---------------------------------------------------------------------------------


class PersonBase(SQLModel):
    name: str = Field(sa_type=String(300), max_length=300)
    affiliation: str | None = Field(default=None, sa_type=Text)
    project: str | None = Field(default=None, sa_type=Text)
    """The name of the person's project (`project_id`'s name, kept beside it for the readers
    that only need the text: search documents, captions, manifests)."""


class Person(PersonBase, table=True):
    """A person across webinars: one row, however many webinars and voices, so their talks can be
    listed together. Ingest and naming a voice find them by `slug` (the folded name) or by an
    alias (the slug of a name they had before a rename or a merge)."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("name", name="uq_person_name"),
        UniqueConstraint("slug", name="uq_person_slug"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(200), max_length=200)
    """`/speakers/<slug>`: the name folded as webinar slugs are; also the key names match on."""
    role: str | None = Field(default=None, sa_type=Text)
    """What they do in general ("Policy officer"); their part in one webinar is WebinarPerson.role."""
    links: list[str] = Field(default_factory=list, sa_type=JSON)
    """Web addresses about them (http or https)."""
    photo_url: str | None = Field(default=None, sa_type=Text)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="SET NULL", index=True)


class PersonAlias(SQLModel, table=True):
    """A slug a person answered to before a rename or a merge: old links redirect to them, and a
    later ingest of the old spelling joins them instead of making a new person."""

    __tablename__ = "person_alias"

    slug: str = Field(sa_type=String(200), max_length=200, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", index=True)


class Project(SQLModel, table=True):
    """A project or organisation presented or mentioned in webinars (`/projects/<slug>`)."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("slug", name="uq_project_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(300), max_length=300)
    slug: str = Field(sa_type=String(200), max_length=200)
    url: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)


class WebinarPerson(SQLModel, table=True):
    """A person's part in one webinar: their role and the diarization label of their voice."""

    __tablename__ = "webinar_person"

    webinar_id: int = Field(foreign_key="webinar.id", primary_key=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", primary_key=True, ondelete="CASCADE", index=True)
    role: str | None = Field(default=None, sa_type=Text)
    speaker_label: str | None = Field(default=None, sa_type=String(100), max_length=100)
    position: int = 0
    """Order of appearance in the manifest, so the speaker list reads as staff wrote it."""


# --- transcript parts -----------------------------------------------------------------------


class Chapter(SQLModel, table=True):
    __tablename__ = "chapter"
    __table_args__ = (UniqueConstraint("webinar_id", "position", name="uq_chapter_position"),)

    id: int | None = Field(default=None, primary_key=True)
    webinar_id: int = Field(foreign_key="webinar.id", ondelete="CASCADE")
    position: int
    start: float = Field(sa_type=Float)
    end: float = Field(sa_type=Float)
    written_start: float | None = Field(default=None, sa_type=Float)
    """The time staff wrote in the agenda, before it was snapped to a real boundary."""
    title: str = Field(sa_type=Text)
    kind: str = Field(default="other", sa_type=String(20), max_length=20)
    speakers: list[str] = Field(default_factory=list, sa_type=JSON)


class Resource(SQLModel, table=True):
    __tablename__ = "resource"
    __table_args__ = (UniqueConstraint("webinar_id", "position", name="uq_resource_position"),)

    id: int | None = Field(default=None, primary_key=True)
    webinar_id: int = Field(foreign_key="webinar.id", ondelete="CASCADE")
    position: int
    title: str = Field(sa_type=Text)
    url: str = Field(sa_type=Text)
    start: float | None = Field(default=None, sa_type=Float)
    project_id: int | None = Field(default=None, foreign_key="project.id", ondelete="SET NULL", index=True)
    """The project the resource belongs to (at ingest: one whose name its title contains)."""


class Segment(SQLModel, table=True):
    """A timestamped stretch of speech: what a search hit lands on.

    `words` keeps word times as compact `[start, end, text, probability]` arrays (about half the
    size of objects; an hour has ~10,000 words) so captions can be re-cut without the model.
    `resources` holds positions into the webinar's resources, as in the transcript document.
    """

    __tablename__ = "segment"
    __table_args__ = (
        UniqueConstraint("webinar_id", "position", name="uq_segment_position"),
        Index("ix_segment_chapter_id", "chapter_id"),
        Index("ix_segment_person_id", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    webinar_id: int = Field(foreign_key="webinar.id", ondelete="CASCADE")
    position: int
    """The segment's id in the transcript document (0, 1, 2, ... in time order)."""
    start: float = Field(sa_type=Float)
    end: float = Field(sa_type=Float)
    text: str = Field(sa_type=Text)
    speaker_label: str | None = Field(default=None, sa_type=String(100), max_length=100)
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    kind: str = Field(default="other", sa_type=String(20), max_length=20)
    chapter_id: int | None = Field(default=None, foreign_key="chapter.id", ondelete="SET NULL")
    answers_id: int | None = Field(default=None, foreign_key="segment.id", ondelete="SET NULL")
    """For an answer: the question segment it answers."""
    words: list[list[Any]] = Field(default_factory=list, sa_type=JSON)
    resources: list[int] = Field(default_factory=list, sa_type=JSON)
    language: str | None = Field(default=None, sa_type=String(16), max_length=16)
    """ISO 639-1 code where the segment is spoken in another language than its webinar's (a
    question asked in German in an English webinar), as the ingest labelled it with segment
    languages on; None: the webinar's. Search indexes and filters the segment in its own language,
    and the replay page marks it up so (`lang`)."""


class SegmentEmbedding(SQLModel, table=True):
    """What a segment means, as a vector (search by meaning): computed once, at ingest or when
    its text changes, so rebuilding the search index never runs the model again.

    `vector` holds the rows of the segment's passages (the whole text, then its sentences:
    `ingest.embeddings.passages`), each 512 float32 numbers (the model's
    DIMENSIONS), little-endian (2 KB a row).
    `text_hash` is the hash of the text it was computed from (`ingest.embeddings.text_hash`): a
    segment whose text staff edited no longer matches, and is embedded again before indexing.
    """

    __tablename__ = "segment_embedding"

    segment_id: int = Field(primary_key=True, foreign_key="segment.id", ondelete="CASCADE")
    model: str = Field(sa_type=String(100), max_length=100)
    text_hash: str = Field(sa_type=String(32), max_length=32)
    vector: bytes = Field(sa_type=LargeBinary)


# --- operations -----------------------------------------------------------------------------


class ProcessingJob(SQLModel, table=True):
    """One piece of background work on a recording (an upload to ingest, a webinar to process
    again): what to do, how far it got, and which worker holds it.

    The row, not the task queue, is the job's truth. A worker claims it by writing `lease_owner`
    and keeps `lease_expires_at` in the future while it works (a heartbeat); a worker killed
    mid-job stops renewing, and the lease runs out, so another worker may claim the job and
    start it again (`attempts` counts the starts). Ingesting is idempotent, so a job started
    twice still ends with one webinar and one set of segments.
    """

    __tablename__ = "processing_job"
    __table_args__ = (Index("ix_processing_job_state", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    webinar_id: int | None = Field(default=None, foreign_key="webinar.id", ondelete="SET NULL", index=True)
    kind: str = Field(default=JOB_INGEST, sa_type=String(20), max_length=20)
    state: str = Field(default=JOB_QUEUED, sa_type=String(20), max_length=20)
    stage: str | None = Field(default=None, sa_type=String(40), max_length=40)
    """What a running job is doing: one of JOB_STAGES."""
    progress: float = Field(default=0.0, sa_type=Float)
    """0.0 to 1.0, over the whole job."""
    error: str | None = Field(default=None, sa_type=Text)
    """Why it failed, in words a member of staff can act on."""
    media_path: str | None = Field(default=None, sa_type=Text)
    """The recording, relative to ARCHIVE_MEDIA_DIR (an upload lands there before the job)."""
    manifest: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The metadata, in the format of `--manifest` (ingest/metadata.py), as JSON."""
    agenda: str | None = Field(default=None, sa_type=Text)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """Processing options (for example another speech model when processing again)."""
    created_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    attempts: int = 0
    lease_owner: str | None = Field(default=None, sa_type=String(100), max_length=100)
    lease_expires_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    cancel_requested: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    started_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    finished_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class MaintenanceLease(SQLModel, table=True):
    """Work that must not run twice at once across every process and machine sharing the
    catalogue (rebuilding a search index: two rebuilds would build into, and swap, the same side
    index). Held like a job's lease: `owner` keeps `expires_at` in the future while it works, and
    a holder that dies stops renewing, so the next one may take it over (`server/catalog/leases.py`).
    """

    __tablename__ = "maintenance_lease"

    name: str = Field(primary_key=True, sa_type=String(100), max_length=100)
    """What is held, such as "rebuild:segments"."""
    owner: str = Field(sa_type=String(100), max_length=100)
    """Who holds it: host, process and a random part, for the message another caller gets."""
    taken_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: dt.datetime = Field(sa_type=DateTime(timezone=True))


# --- accounts -------------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A member of staff who signs in; the public needs no account."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("email", name="uq_app_user_email"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), max_length=320)
    """Stored lower-cased, so sign-in ignores case."""
    password_hash: str = Field(sa_type=Text)
    """Argon2id, in the hasher's own encoded form (parameters and salt included)."""
    role: str = Field(default=ROLE_STAFF, sa_type=String(20), max_length=20)
    disabled: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_sign_in_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class ApiToken(SQLModel, table=True):
    """A personal API token: only its SHA-256 is kept, so a stolen database holds no usable token."""

    __tablename__ = "api_token"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_api_token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(sa_type=String(64), max_length=64)
    label: str | None = Field(default=None, sa_type=String(200), max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    last_used_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SignInAttempt(SQLModel, table=True):
    """One try to sign in, kept for a while: the rate limit per account and per address is counted
    from these rows, so every process of the site sees the same count."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_email", "email", "at"),
        Index("ix_sign_in_attempt_address", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320), max_length=320)
    address: str = Field(sa_type=String(64), max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    succeeded: bool = False


class EditHistory(SQLModel, table=True):
    """Who changed which field of which row, and from what: staff edits are reviewable and revertible."""

    __tablename__ = "edit_history"
    __table_args__ = (Index("ix_edit_history_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    table_name: str = Field(sa_type=String(64), max_length=64)
    row_id: int
    field: str = Field(sa_type=String(64), max_length=64)
    old_value: Any = Field(default=None, sa_type=JSON, nullable=True)
    new_value: Any = Field(default=None, sa_type=JSON, nullable=True)
    editor: str = Field(sa_type=String(200), max_length=200)
    edited_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
