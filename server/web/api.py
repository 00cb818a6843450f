"""Public JSON API and caption files for webinars (the search endpoint lives in server/search).

Controllers stay thin: they validate parameters (Litestar answers 400 with the reason when a
parameter is out of range), ask the catalogue's reads through `db.run` (one unit of work on the
catalogue's threads, so the event loop is never held by a query), and return typed shapes.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session, SQLModel

from ingest.captions import to_srt, to_text, to_webvtt
from ingest.errors import NotFoundError
from server.catalog import reads
from server.catalog.db import Database
from server.catalog.models import SegmentPublic, Webinar, WebinarPage, WebinarPublic
from server.web.cache import WebinarCache
from server.web.routing import page_route

MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000
"""Deeper than any archive goes; a larger offset is refused before it reaches the database."""


def webinar_or_404(session: Session, slug: str) -> Webinar:
    webinar = reads.get_published(session, slug)
    if webinar is None:
        raise NotFoundError(f"no webinar with slug {slug!r}")
    return webinar


def _page(session: Session, limit: int, offset: int) -> WebinarPage:
    rows, total = reads.list_webinars(session, limit=limit, offset=offset)
    return WebinarPage(items=[reads.summary(w) for w in rows], total=total, limit=limit, offset=offset)


def _detail(session: Session, slug: str) -> WebinarPublic:
    return reads.webinar_detail(session, webinar_or_404(session, slug))


def _segments(session: Session, slug: str) -> list[SegmentPublic]:
    return reads.list_segments(session, webinar_or_404(session, slug))


def _captions(session: Session, cache: WebinarCache, slug: str, kind: str) -> tuple[Webinar, str]:
    """The caption file (or plain-text transcript) of the webinar's current version, made once
    per version (cache.py). `kind`: `vtt`, `vtt-plain` (names as text, no voice tags), `srt`,
    `txt`."""
    webinar = webinar_or_404(session, slug)
    writers: dict[str, Any] = {
        "vtt": to_webvtt,
        "vtt-plain": lambda transcript: to_webvtt(transcript, voice_tags=False),
        "srt": to_srt,
        "txt": lambda transcript: to_text(transcript, webinar.title),
    }
    write = writers[kind]
    return webinar, cache.get(webinar, kind, lambda: write(reads.load_transcript(session, webinar)))


class TranscriptFile(SQLModel):
    """`transcript.json`: the webinar's description and every segment, for people and programs."""

    slug: str
    title: str
    date: str | None
    language: str
    duration: float
    speakers: list[str]
    segments: list[SegmentPublic]


def _transcript_json(session: Session, slug: str) -> TranscriptFile:
    webinar = webinar_or_404(session, slug)
    detail = reads.webinar_detail(session, webinar)
    return TranscriptFile(
        slug=webinar.slug,
        title=webinar.title,
        date=webinar.date.isoformat() if webinar.date else None,
        language=webinar.language,
        duration=webinar.duration,
        speakers=[s.name for s in detail.speakers],
        segments=reads.list_segments(session, webinar),
    )


def _attachment(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


class WebinarController(Controller):
    path = "/api/webinars"
    tags = ["webinars"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @get("/", name="api-webinars", summary="Published webinars, newest first")
    async def list_webinars(
        self,
        db: NamedDependency[Database],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="page size")] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
    ) -> WebinarPage:
        return await db.run(_page, limit, offset)

    @get("/{slug:str}", summary="One webinar: speakers, chapters, resources")
    async def get_webinar(self, db: NamedDependency[Database], slug: FromPath[str]) -> WebinarPublic:
        return await db.run(_detail, slug)

    @get("/{slug:str}/segments", summary="The webinar's transcript, segment by segment")
    async def get_segments(self, db: NamedDependency[Database], slug: FromPath[str]) -> list[SegmentPublic]:
        return await db.run(_segments, slug)


class CaptionController(Controller):
    """Caption files (for the player's <track> element and to download), cut from the stored word
    times, and the transcript as plain text and JSON to download."""

    path = "/webinars/{slug:str}"
    tags = ["captions"]  # noqa: RUF012

    @page_route("/captions.vtt", name="captions-vtt", summary="WebVTT captions", media_type="text/vtt")
    async def webvtt(
        self,
        state: State,
        db: NamedDependency[Database],
        slug: FromPath[str],
        voice: Annotated[
            bool,
            QueryParameter(
                description="speakers as WebVTT voice tags (the default), or with voice=0 as text"
                " before each cue (`Name: ...`), for players that show the tags raw"
            ),
        ] = True,
    ) -> Response[str]:
        webinar, text = await db.run(_captions, state.webinars, slug, "vtt" if voice else "vtt-plain")
        if not voice:
            return Response(text, media_type="text/vtt")
        return Response(text, media_type="text/vtt", headers=_attachment(f"{webinar.slug}.vtt"))

    @page_route(
        "/captions.srt", name="captions-srt", summary="SRT captions", media_type="application/x-subrip"
    )
    async def srt(self, state: State, db: NamedDependency[Database], slug: FromPath[str]) -> Response[str]:
        webinar, text = await db.run(_captions, state.webinars, slug, "srt")
        return Response(text, media_type="application/x-subrip", headers=_attachment(f"{webinar.slug}.srt"))

    @page_route(
        "/transcript.txt",
        name="transcript-txt",
        summary="The transcript as plain text",
        media_type="text/plain",
    )
    async def text(self, state: State, db: NamedDependency[Database], slug: FromPath[str]) -> Response[str]:
        webinar, text = await db.run(_captions, state.webinars, slug, "txt")
        return Response(
            text, media_type="text/plain; charset=utf-8", headers=_attachment(f"{webinar.slug}.txt")
        )

    @page_route(
        "/transcript.json", name="transcript-json", summary="The transcript as JSON, segment by segment"
    )
    async def json(self, db: NamedDependency[Database], slug: FromPath[str]) -> Response[TranscriptFile]:
        data = await db.run(_transcript_json, slug)
        return Response(data, media_type="application/json", headers=_attachment(f"{data.slug}.json"))
