"""Public JSON API and caption files for webinars (the search endpoint lives in server/search).

Controllers stay thin: they validate parameters (Litestar answers 400 with the reason when a
parameter is out of range), ask the catalogue's reads through `db.run` (one unit of work on the
catalogue's threads, so the event loop is never held by a query), and return typed shapes.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session

from ingest.captions import to_srt, to_webvtt
from ingest.errors import NotFoundError
from server.catalog import reads
from server.catalog.db import Database
from server.catalog.models import SegmentPublic, Webinar, WebinarPage, WebinarPublic
from server.web.cache import WebinarCache

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
    """The caption file of the webinar's current version, made once per version (cache.py)."""
    webinar = webinar_or_404(session, slug)
    write = to_webvtt if kind == "vtt" else to_srt
    return webinar, cache.get(webinar, kind, lambda: write(reads.load_transcript(session, webinar)))


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
    """Caption files for the player's <track> element, cut from the stored word times."""

    path = "/webinars/{slug:str}"
    tags = ["captions"]  # noqa: RUF012

    @get("/captions.vtt", name="captions-vtt", summary="WebVTT captions")
    async def webvtt(self, state: State, db: NamedDependency[Database], slug: FromPath[str]) -> Response[str]:
        _, text = await db.run(_captions, state.webinars, slug, "vtt")
        return Response(text, media_type="text/vtt")

    @get("/captions.srt", name="captions-srt", summary="SRT captions")
    async def srt(self, state: State, db: NamedDependency[Database], slug: FromPath[str]) -> Response[str]:
        webinar, text = await db.run(_captions, state.webinars, slug, "srt")
        return Response(
            text,
            media_type="application/x-subrip",
            headers={"content-disposition": f'attachment; filename="{webinar.slug}.srt"'},
        )
