"""The public website's pages: home, search, replay, embed, speaker and topic, server-rendered.

Every page works without JavaScript; `static/js/*.js` only enhances (live search, a player that
follows the transcript). The controllers are thin: they read the URL, run one unit of database
work through `Database.run` (see server/catalog/db.py) or ask the search service, and return a
`Template`; view models live in `replay.py` and `search_page.py`. Errors are raised, and
server/web/errors.py renders them.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Any, Final

from litestar import Controller, Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlmodel import Session

from ingest.errors import NotFoundError
from server.catalog import reads
from server.catalog.db import Database
from server.catalog.embeddings import webinar_vector
from server.catalog.models import Project
from server.search.index import SearchIndexError, SearchUnavailable
from server.search.service import (
    DEFAULT_MODE,
    MAX_QUERY_CHARS,
    Group,
    Hit,
    QueryError,
    SearchQuery,
    SearchService,
)
from server.web import queries
from server.web.browse import (
    BrowsePageError,
    browse_context,
    browse_params,
    language_name,
    last_page_url,
    read_filters,
)
from server.web.cache import WebinarCache
from server.web.replay import embed_context, replay_context
from server.web.routing import page_route
from server.web.search_page import (
    FILTERS,
    MODE_LABELS,
    SearchPageError,
    query_params,
    search_facets,
    search_query,
    search_url,
)
from server.web.templating import KIND_LABELS

# --- the controller -------------------------------------------------------------------------


@dataclass(frozen=True)
class Find:
    """A search inside one webinar, for the replay page (`find` in its context)."""

    q: str
    hits: list[Hit]
    """In talk order, each with its whole text highlighted."""
    error: str | None = None

    @property
    def total(self) -> int:
        return len(self.hits)


RELATED_TTL: Final = 300.0
"""Seconds a replay page's related moments are reused: they change only when other webinars are
indexed, and without this every view of a replay page was a vector search (the load benchmark
found Meilisearch saturating on them at about 50 readers)."""
RELATED_ENTRIES: Final = 2048


async def related_moments(db: Database, search: SearchService, slug: str, at: float | None) -> list[Hit]:
    """Moments of other webinars that say something close in meaning: to the line at `at` (a
    link to a moment), else to the webinar as a whole. A search that is down shows none; an
    answer is reused for RELATED_TTL seconds (per webinar and whole second)."""
    if not search.available:
        return []
    key = (slug, None if at is None else int(at))
    recent = search.recent_related  # the app's own: a new index (a new app) starts empty
    cached = recent.get(key)
    if cached is not None and time.monotonic() - cached[0] < RELATED_TTL:
        return cached[1]
    vector = await db.run(webinar_vector, slug, at)
    if vector is None:
        return []
    try:
        hits = await search.related(vector, slug)
    except (SearchUnavailable, SearchIndexError):
        return []
    recent[key] = (time.monotonic(), hits)
    recent.move_to_end(key)
    while len(recent) > RELATED_ENTRIES:
        recent.popitem(last=False)
    return hits


async def find_in_webinar(search: SearchService, slug: str, q: str | None) -> Find | None:
    """The moments of webinar `slug` matching `q` (None without a query); a query the search
    refuses, or a search that is down, leaves the page as it is with a note."""
    q = (q or "").strip()
    if not q:
        return None
    if len(q) > MAX_QUERY_CHARS:
        return Find(q[:MAX_QUERY_CHARS], [], f"The search words are limited to {MAX_QUERY_CHARS} characters.")
    try:
        return Find(q, await search.moments(slug, q))
    except (SearchUnavailable, SearchIndexError):
        return Find(q, [], "Search is temporarily unavailable, so the words are not marked.")


def home_context(session: Session, cache: WebinarCache) -> dict[str, Any]:
    """The home page's lists, read once per catalogue version."""

    def build() -> dict[str, Any]:
        latest, total = reads.list_webinars(session, limit=8, offset=0)
        return {
            "latest": latest,
            "total": total,
            "topics": queries.topics(session)[:40],
            "speakers": queries.speakers(session, limit=30),
        }

    return cache.get_catalogue(queries.catalogue_version(session), "home", build)


def suggested_topics(session: Session, cache: WebinarCache) -> list[queries.TopicCount]:
    """Topics offered on the search page, read once per catalogue version."""
    version = queries.catalogue_version(session)
    return cache.get_catalogue(version, "topics", lambda: queries.topics(session)[:12])


def speaker_context(session: Session, slug: str) -> dict[str, Any]:
    """The speaker page's context; `{"redirect": slug}` for an old slug (a rename, a merge)."""
    person, old = queries.person_for_page(session, slug)
    if person is not None and old:
        return {"redirect": person.slug}
    appearances = queries.appearances(session, person) if person is not None else []
    if person is None or not appearances:
        raise NotFoundError(f"No speaker in the archive at /speakers/{slug}.", title="Speaker not found")
    project = session.get(Project, person.project_id) if person.project_id is not None else None
    return {"person": person, "appearances": appearances, "project": project}


def project_context(session: Session, slug: str) -> queries.ProjectPage:
    project = queries.project_by_slug(session, slug)
    if project is None:
        raise NotFoundError(f"No project in the archive at /projects/{slug}.", title="Project not found")
    return queries.project_page(session, project)


class PageController(Controller):
    """The HTML pages. Query parameters are read by hand so a bad one gets an HTML 400 page.

    Every handler is async and reaches the database only through `db.run`, one short unit of
    work per call on the catalogue's own threads; no connection is held while a handler awaits
    Meilisearch, and a client that hangs up cancels the work it was still waiting for.
    """

    include_in_schema = False

    @page_route("/", name="home")
    async def home(self, state: State, db: NamedDependency[Database]) -> Template:
        """The front door: a search box, the latest webinars, topics and speakers."""
        return Template(template_name="home.html", context=await db.run(home_context, state.webinars))

    @page_route("/search", name="search")
    async def search_page(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
    ) -> Template | Redirect:
        """Grouped results with facets; `partial=1` returns only the results, for search.js.

        A page past the last one (an old link, a hand-edited URL) redirects to the last page.
        """
        params = query_params(request)
        path = request.app.route_reverse("search")
        partial = request.query_params.get("partial") == "1"
        template = "_search_results.html" if partial else "search.html"
        context: dict[str, Any] = {
            "params": params,
            "q": params.get("q", ""),
            "filters": [(k, params[k]) for k in FILTERS if k in params],
            "result": None,
            "groups": [],
            "facets": [],
            "error": None,
            "suggestions": [],
            "page": 1,
            "pages": 0,
            "search_url": functools.partial(search_url, path),
            "kind_labels": KIND_LABELS,
            "webinar_titles": {},
            "one_webinar": "webinar" in params,
            "language_name": language_name,
            "mode": params.get("mode", DEFAULT_MODE),
            "mode_labels": MODE_LABELS,
        }
        try:
            query, page = search_query(params)
        except SearchPageError as exc:
            context["error"] = str(exc)
            return Template(template_name=template, context=context, status_code=400)
        context["page"] = page
        context["suggestions"] = await db.run(suggested_topics, request.app.state.webinars)
        if not query.q.strip() and not context["filters"]:
            return Template(template_name=template, context=context)
        try:
            result = await search.search(query)
        except QueryError as exc:
            context["error"] = str(exc)
            return Template(template_name=template, context=context, status_code=400)
        except (SearchUnavailable, SearchIndexError):
            context["error"] = "Search is temporarily unavailable. Please try again in a minute."
            return Template(template_name=template, context=context, status_code=503)
        if query.group is None and result.hits:
            # One webinar chosen: every moment of it, paged, as its one group.
            result.groups = [Group(webinar=result.hits[0].webinar, hits=result.hits, moments=result.total)]
        pages = math.ceil(result.total / query.limit)
        if page > max(1, pages):
            last = str(pages) if pages > 1 else None
            return Redirect(search_url(path, {**params, "partial": "1" if partial else ""}, page=last))
        slugs = list(result.facets.webinar) + [g.webinar.slug for g in result.groups or []]
        labels = await db.run(queries.webinar_labels, slugs)
        context["key_messages"] = await db.run(
            queries.key_messages, [g.webinar.slug for g in result.groups or []]
        )
        context.update(
            result=result,
            groups=result.groups or [],
            facets=search_facets(path, result, params, labels),
            pages=pages,
            webinar_titles={slug: label.title for slug, label in labels.items()},
            webinar_languages={slug: label.language for slug, label in labels.items()},
        )
        return Template(template_name=template, context=context)

    @page_route("/webinars", name="browse")
    async def browse(
        self, request: Request[Any, Any, State], db: NamedDependency[Database]
    ) -> Template | Redirect:
        """Every published webinar, newest first, 20 a page, by topic, speaker, year and language
        (view model: browse.py). A bad parameter gets this page with a message and a 400; a page
        past the last redirects to the last."""
        path = request.app.route_reverse("browse")
        cache = request.app.state.webinars
        params = browse_params(request.query_params)
        try:
            filters, page = read_filters(params)
        except BrowsePageError as exc:
            context = await db.run(browse_context, cache, path, {}, None, 1, str(exc))
            return Template(template_name="browse.html", context=context, status_code=400)
        context = await db.run(browse_context, cache, path, params, filters, page)
        if page > max(1, context["pages"]):
            return Redirect(last_page_url(path, params, context["pages"]))
        return Template(template_name="browse.html", context=context)

    @page_route("/webinars/{slug:str}", name="replay")
    async def replay(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
    ) -> Template:
        """The replay page: player at `t`, chapters, transcript, Q&A, speakers, resources.

        With `?q=` (a search hit's link, or the transcript's own search box) the page also gets
        `find`: every moment of this webinar the index matches, so the transcript marks them and
        the timeline shows their ticks, typo-tolerant as the search page is.
        """
        context = await db.run(replay_context, request, slug)
        q = request.query_params.get("q")
        context["find"] = await find_in_webinar(search, context["webinar"].slug, q)
        context["related"] = await related_moments(db, search, context["webinar"].slug, context["t"])
        return Template(template_name="replay.html", context=context)

    @page_route("/webinars/{slug:str}/embed", name="embed")
    async def embed(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], slug: FromPath[str]
    ) -> Template:
        """A bare player for other sites' iframes (oEmbed), starting at `t`, stopping at `end`."""
        return Template(template_name="embed.html", context=await db.run(embed_context, request, slug))

    @page_route("/speakers/{slug:str}", name="speaker")
    async def speaker(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], slug: FromPath[str]
    ) -> Template | Redirect:
        """Everything one person said across the archive, webinar by webinar; a slug they had
        before a rename or a merge redirects (301) to their page."""
        context = await db.run(speaker_context, slug)
        if "redirect" in context:
            path = request.app.route_reverse("speaker", slug=context["redirect"])
            return Redirect(path=path, status_code=301)
        return Template(template_name="speaker.html", context=context)

    @page_route("/projects/{slug:str}", name="project")
    async def project(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
    ) -> Template:
        """A project: its people, the webinars where it is presented, and every moment across
        the archive where its name is said (the search index, as the topic page asks it)."""
        page = await db.run(project_context, slug)
        name = page.project.name
        moments: list[Hit] = []
        search_error = None
        try:
            moments = (await search.search(SearchQuery(q=name[:MAX_QUERY_CHARS], limit=50))).hits
        except (SearchUnavailable, SearchIndexError):
            search_error = "Search is temporarily unavailable, so moments are not listed."
        except QueryError:
            moments = []
        return Template(
            template_name="project.html",
            context={
                "page": page,
                "project": page.project,
                "moments": moments,
                "search_error": search_error,
                "search_link": search_url(request.app.route_reverse("search"), {}, q=name),
            },
        )

    @page_route("/topics/{slug:str}", name="topic")
    async def topic(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        search: NamedDependency[SearchService],
        slug: FromPath[str],
    ) -> Template:
        """The webinars on a topic, and the moments across the archive that talk about it."""
        name, webinars = await db.run(queries.webinars_on_topic, slug)
        if name is None:
            raise NotFoundError(f"No webinar in the archive has the topic {slug!r}.", title="Topic not found")
        moments = []
        search_error = None
        try:
            moments = (await search.search(SearchQuery(q=name, limit=12))).hits
        except (SearchUnavailable, SearchIndexError):
            search_error = "Search is temporarily unavailable, so moments are not listed."
        return Template(
            template_name="topic.html",
            context={
                "name": name,
                "webinars": webinars,
                "moments": moments,
                "search_error": search_error,
                "search_link": search_url(request.app.route_reverse("search"), {}, q=name),
            },
        )
