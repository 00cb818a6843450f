"""Public JSON API and caption files for webinars (the search endpoint lives in server/search).

Controllers stay thin: they validate parameters (Litestar answers 400 with the reason when a
parameter is out of range), ask the repository, and return typed shapes. Handlers are synchronous
and run in Litestar's thread pool (`sync_to_thread=True`) because the database driver blocks;
the event loop is never held by a query.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from sqlmodel import Session

from ingest.captions import to_srt, to_webvtt
from server.catalog import repository
from server.catalog.models import SegmentPublic, Webinar, WebinarPage, WebinarPublic

MAX_PAGE_SIZE = 100


def _webinar_or_404(session: Session, slug: str) -> Webinar:
    webinar = repository.get_published(session, slug)
    if webinar is None:
        raise NotFoundException(detail=f"no webinar with slug {slug!r}")
    return webinar


class WebinarController(Controller):
    path = "/api/webinars"
    tags = ["webinars"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @get("/", sync_to_thread=True, summary="Published webinars, newest first")
    def list_webinars(
        self,
        session: NamedDependency[Session],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description="page size")] = 20,
        offset: Annotated[int, QueryParameter(ge=0, description="rows to skip")] = 0,
    ) -> WebinarPage:
        rows, total = repository.list_webinars(session, limit=limit, offset=offset)
        return WebinarPage(
            items=[repository.summary(w) for w in rows], total=total, limit=limit, offset=offset
        )

    @get("/{slug:str}", sync_to_thread=True, summary="One webinar: speakers, chapters, resources")
    def get_webinar(self, session: NamedDependency[Session], slug: FromPath[str]) -> WebinarPublic:
        return repository.webinar_detail(session, _webinar_or_404(session, slug))

    @get("/{slug:str}/segments", sync_to_thread=True, summary="The webinar's transcript, segment by segment")
    def get_segments(self, session: NamedDependency[Session], slug: FromPath[str]) -> list[SegmentPublic]:
        return repository.list_segments(session, _webinar_or_404(session, slug))


class CaptionController(Controller):
    """Caption files for the player's <track> element, cut from the stored word times."""

    path = "/webinars/{slug:str}"
    tags = ["captions"]  # noqa: RUF012

    @get("/captions.vtt", sync_to_thread=True, summary="WebVTT captions")
    def webvtt(self, session: NamedDependency[Session], slug: FromPath[str]) -> Response[str]:
        webinar = _webinar_or_404(session, slug)
        return Response(to_webvtt(repository.load_transcript(session, webinar)), media_type="text/vtt")

    @get("/captions.srt", sync_to_thread=True, summary="SRT captions")
    def srt(self, session: NamedDependency[Session], slug: FromPath[str]) -> Response[str]:
        webinar = _webinar_or_404(session, slug)
        return Response(
            to_srt(repository.load_transcript(session, webinar)),
            media_type="application/x-subrip",
            headers={"content-disposition": f'attachment; filename="{webinar.slug}.srt"'},
        )
