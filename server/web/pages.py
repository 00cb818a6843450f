"""The public website (issue 5): home, search, replay, speaker and topic pages, server-rendered.

Every page works without JavaScript; `static/js/*.js` only enhances (live search, a player that
follows the transcript). The controllers are thin: they validate the URL, ask
`server/web/queries.py` or the search service, and return a `Template`. Database reads are
synchronous and run in Litestar's thread pool; the search page, which awaits Meilisearch, moves
its database reads to a worker thread so the event loop is never held by a query.

`SitePlugin` adds all of it to `create_app` in one line: the routes, the Jinja environment
(autoescape on, filters registered once), `/static`, `/media` with Range requests, the HTML
error pages, and the security headers sent with every response.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Controller, Request, get
from litestar.config.app import AppConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins import InitPluginProtocol
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope
from markupsafe import Markup
from sqlmodel import Session

from ingest.document import SEGMENT_KINDS
from ingest.errors import InputError, NotFoundError
from server.catalog import reads
from server.catalog.db import Database
from server.catalog.models import Webinar
from server.search.index import SearchIndexError, SearchUnavailable
from server.search.service import QueryError, SearchQuery, SearchResponse
from server.settings import Settings
from server.web import queries
from server.web.feeds import FeedController, absolute, moment_query
from server.web.media import is_video, media_file
from server.web.timecode import TimecodeError, clock, iso_duration, parse_timecode, url_seconds

ROOT: Final = Path(__file__).resolve().parents[2]
TEMPLATE_DIR: Final = ROOT / "templates"
STATIC_DIR: Final = ROOT / "static"
RESULTS_PER_PAGE: Final = 10
"""Webinars per search page (each with its best moments)."""
MAX_PAGE: Final = 100
QUOTE_CHARS: Final = 400

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'self'"
)
"""Scripts from this site only: no inline script anywhere (JSON-LD is data, not script)."""
EMBED_CSP: Final = CSP.replace("frame-ancestors 'self'", "frame-ancestors *")
"""The embeddable player (oEmbed) may be framed by any site; nothing else may."""
SECURITY_HEADERS: Final = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}
KIND_LABELS: Final = {
    "intro": "Introduction",
    "presentation": "Presentation",
    "question": "Question",
    "answer": "Answer",
    "panel": "Panel",
    "other": "Other",
}
_HIGHLIGHT_PARTS: Final = re.compile(r"(</?mark>)")
_DIGITS: Final = re.compile(r"^[0-9]{1,4}$")
"""A page or a year: ASCII digits, short enough that int() never meets a 5,000-digit string."""


# --- the Jinja environment ------------------------------------------------------------------


def safe_highlight(value: str) -> Markup:
    """The search service's highlight, trusted only for `<mark>`: any other `<` or `>` is escaped.

    The service already escapes the text and adds balanced marks (server/search/service.py);
    checking again here means a future change there cannot smuggle markup into the page.
    """
    out = []
    for part in _HIGHLIGHT_PARTS.split(value):
        if part in ("<mark>", "</mark>"):
            out.append(part)
        else:
            out.append(part.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;"))
    return Markup("".join(out))


def _date(value: dt.date | None) -> str:
    return f"{value.day} {value.strftime('%B %Y')}" if value else ""


def json_ld(data: Any) -> Markup:
    """JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` escaped so no text
    inside (a title saying `</script>`) can end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def template_environment() -> Environment:
    """The site's one Jinja environment: autoescape on, strict undefined, filters registered once."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        clock=clock,
        iso_duration=iso_duration,
        url_seconds=url_seconds,
        kind_label=lambda kind: KIND_LABELS.get(kind, kind.title()),
        highlight=safe_highlight,
        slug=queries.person_slug,
        date=_date,
        json_ld=json_ld,
    )
    return env


# --- security headers -----------------------------------------------------------------------


async def security_headers(message: Message, scope: Scope) -> None:
    """Add the security headers to every HTTP response, errors and static files included."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    path: str = scope.get("path", "")
    if "content-security-policy" not in headers:
        embed = path.startswith("/webinars/") and path.endswith("/embed")
        headers["content-security-policy"] = EMBED_CSP if embed else CSP
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]


FILTERS: Final = ("speaker", "kind", "topic", "webinar", "year")


def search_url(params: Mapping[str, str], **changes: str | None) -> str:
    """`/search?...` with `changes` applied (None removes a key); empty values are dropped."""
    merged = {**params, **changes}
    clean = {k: v for k, v in merged.items() if v}
    return "/search" + ("?" + urlencode(clean) if clean else "")


def _facet(
    name: str,
    label: str,
    counts: Mapping[str, int],
    params: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> Facet:
    values = []
    for value, count in counts.items():
        selected = params.get(name) == value
        values.append(
            FacetValue(
                value=value,
                label=(labels or {}).get(value, value),
                count=count,
                selected=selected,
                url=search_url(params, **{name: None if selected else value, "page": None}),
            )
        )
    return Facet(name, label, values)


def _query_params(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The search state the URL carries: q, the filters and the page (last value wins)."""
    out = {}
    for key in ("q", *FILTERS, "page"):
        value = request.query_params.get(key)
        if value is not None and value.strip():
            out[key] = value.strip()
    return out


class SearchPageError(ValueError):
    """A search parameter the page refuses with 400 and this message."""


def _search_query(params: Mapping[str, str]) -> tuple[SearchQuery, int]:
    year_text = params.get("year")
    date_from = date_to = None
    if year_text is not None:
        if not _DIGITS.match(year_text) or not 1900 <= int(year_text) <= 2999:
            raise SearchPageError(f"year: expected a year such as 2024, got {year_text!r}")
        date_from, date_to = dt.date(int(year_text), 1, 1), dt.date(int(year_text), 12, 31)
    page_text = params.get("page", "1")
    if not _DIGITS.match(page_text) or not 1 <= int(page_text) <= MAX_PAGE:
        raise SearchPageError(f"page: expected a number from 1 to {MAX_PAGE}, got {page_text!r}")
    page = int(page_text)
    kind = params.get("kind")
    if kind is not None and kind not in SEGMENT_KINDS:
        raise SearchPageError(f"kind: expected one of {', '.join(SEGMENT_KINDS)}, got {kind!r}")
    query = SearchQuery(
        q=params.get("q", ""),
        webinar=params.get("webinar"),
        speaker=params.get("speaker"),
        kind=kind,
        topic=params.get("topic"),
        date_from=date_from,
        date_to=date_to,
        limit=RESULTS_PER_PAGE,
        offset=(page - 1) * RESULTS_PER_PAGE,
        group="webinar",
    )
    return query, page


def _search_facets(
    result: SearchResponse, params: Mapping[str, str], labels: Mapping[str, queries.WebinarLabel]
) -> list[Facet]:
    """Facets as links that add or remove one filter; the year facet is summed from webinars."""
    year_counts: dict[str, int] = {}
    for slug, count in result.facets.webinar.items():
        label = labels.get(slug)
        if label is not None and label.date is not None:
            year = str(label.date.year)
            year_counts[year] = year_counts.get(year, 0) + count
    if "year" in params and params["year"] not in year_counts:
        year_counts[params["year"]] = 0
    years = dict(sorted(year_counts.items(), reverse=True))
    return [
        _facet("speaker", "Speaker", result.facets.speaker, params),
        _facet("kind", "Kind", result.facets.kind, params, KIND_LABELS),
        _facet("topic", "Topic", result.facets.topic, params),
        _facet(
            "webinar", "Webinar", result.facets.webinar, params, {s: lab.title for s, lab in labels.items()}
        ),
        _facet("year", "Year", years, params),
    ]


# --- replay ---------------------------------------------------------------------------------


def webinar_moment(
    session: Session, slug: str, t_text: str | None, end_text: str | None
) -> tuple[Webinar, float | None, float | None]:
    """The published webinar at `slug` and the moment asked for; NotFoundError or MomentError."""
    webinar = reads.get_published(session, slug)
    if webinar is None:
        raise NotFoundError(f"There is no webinar at /webinars/{slug}.", title="Webinar not found")
    try:
        t, end = parse_moment(t_text, end_text, webinar.duration)
    except TimecodeError as exc:  # the page offers the webinar from its start
        raise InputError(str(exc), title="That is not a moment in this webinar", webinar=webinar) from exc
    return webinar, t, end


def parse_moment(
    t_text: str | None, end_text: str | None, duration: float
) -> tuple[float | None, float | None]:
    """`t` and `end` from the URL, checked against the recording; TimecodeError says what is wrong."""
    t = parse_timecode(t_text) if t_text is not None else None
    end = parse_timecode(end_text) if end_text is not None else None
    if duration > 0 and t is not None and t > duration + 1:
        raise TimecodeError(f"t={t_text}: the recording is only {clock(duration)} long")
    if end is not None:
        if t is None:
            t = 0.0
        if end <= t:
            raise TimecodeError(f"end={end_text}: a clip must end after it starts (t={t_text})")
    return t, end


def _segment_at(starts: list[float], t: float) -> int:
    """Index of the segment a link to `t` means.

    Links carry whole seconds rounded down, so a segment starting at 81.57 is linked as t=81:
    a segment starting within the second after `t` is the one meant; otherwise the last one
    that started at or before `t` is playing.
    """
    following = bisect.bisect_left(starts, t)
    if following < len(starts) and starts[following] < t + 1:
        return following
    return max(0, bisect.bisect_right(starts, t) - 1)


def _quote(segments: list[queries.SegmentRow]) -> str:
    text = " ".join(s.text.strip() for s in segments)
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


@dataclass(frozen=True)
class RenderedTranscript:
    """One version of a webinar's transcript, rendered: the bulk of every replay page."""

    segments: list[queries.SegmentRow]
    starts: list[float]
    transcript_html: str
    qa_html: str


TRANSCRIPT_CACHE_SIZE: Final = 32
"""Webinars whose rendered transcript a worker keeps (~0.4 MB each for two hours)."""
_transcripts: OrderedDict[tuple[int, str], RenderedTranscript] = OrderedDict()
_transcripts_lock = threading.Lock()


def rendered_transcript(env: Environment, session: Session, webinar: Webinar) -> RenderedTranscript:
    """The transcript and Q&A HTML of `webinar`, rendered once per version and then reused.

    A two-hour transcript is ~1,500 segments and ~400 KB of HTML: reading and rendering it on
    every request would cost tens of milliseconds, while it only changes when the webinar is
    ingested again or edited, which moves `updated_at` (the cache key). The line playing at
    `t` and a clip's lines are marked afterwards, by `mark_lines`.
    """
    assert webinar.id is not None
    key = (webinar.id, webinar.updated_at.isoformat())
    with _transcripts_lock:
        cached = _transcripts.get(key)
        if cached is not None:
            _transcripts.move_to_end(key)
            return cached
    segments = queries.segments(session, webinar)
    context = {
        "webinar": webinar,
        "turns": queries.turns(segments),
        "qa": queries.questions_and_answers(segments),
    }
    rendered = RenderedTranscript(
        segments=segments,
        starts=[s.start for s in segments],
        transcript_html=env.get_template("_transcript.html").render(context),
        qa_html=env.get_template("_qa.html").render(context),
    )
    with _transcripts_lock:
        _transcripts[key] = rendered
        for stale in [k for k in _transcripts if k[0] == webinar.id and k != key]:
            del _transcripts[stale]
        while len(_transcripts) > TRANSCRIPT_CACHE_SIZE:
            _transcripts.popitem(last=False)
    return rendered


def mark_lines(html: str, current_id: int | None, clip_ids: set[int]) -> Markup:
    """Add `current` and `in-clip` to a few lines of the cached transcript (the template
    writes every line as `<p id="sID" class="seg`, so each replacement hits exactly one)."""
    for segment_id in {*clip_ids, *([current_id] if current_id is not None else [])}:
        extra = (" current" if segment_id == current_id else "") + (
            " in-clip" if segment_id in clip_ids else ""
        )
        anchor = f'<p id="s{segment_id}" class="seg'
        html = html.replace(anchor, anchor + extra, 1)
    return Markup(html)  # rendered by the autoescaping templates; only classes were added


def replay_context(session: Session, request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    """Everything the replay page shows, read in one unit of database work."""
    webinar, t, end = webinar_moment(
        session, slug, request.query_params.get("t"), request.query_params.get("end")
    )
    detail = reads.webinar_detail(session, webinar)
    engine: JinjaTemplateEngine = request.app.template_engine  # type: ignore[assignment]
    transcript = rendered_transcript(engine.engine, session, webinar)
    segments, starts = transcript.segments, transcript.starts
    current = _segment_at(starts, t) if segments and t is not None else None
    clip: list[queries.SegmentRow] = []
    if t is not None and end is not None:
        clip = [s for s in segments if s.end > t and s.start < end]
    moment_segments = clip or ([segments[current]] if current is not None else segments[:1])
    moment = moment_segments[0] if moment_segments else None
    page_url = absolute(request, f"/webinars/{webinar.slug}")
    moment_url = page_url + moment_query(t if t is not None else (moment.start if moment else 0), end)
    media_url = detail.media_url
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": webinar.title,
        "description": webinar.description or webinar.title,
        "duration": iso_duration(webinar.duration),
        "url": page_url,
        "embedUrl": absolute(request, f"/webinars/{webinar.slug}/embed"),
        "inLanguage": webinar.language,
        "potentialAction": {
            "@type": "SeekToAction",
            "target": page_url + "?t={seek_to_second_number}",
            "startOffset-input": "required name=seek_to_second_number",
        },
        "hasPart": [
            {
                "@type": "Clip",
                "name": c.title,
                "startOffset": url_seconds(c.start),
                "endOffset": math.ceil(c.end),
                "url": f"{page_url}?t={url_seconds(c.start)}",
            }
            for c in detail.chapters
        ],
    }
    if webinar.date is not None:
        ld["uploadDate"] = webinar.date.isoformat()
    if media_url:
        ld["contentUrl"] = absolute(request, media_url)
    if webinar.topics:
        ld["keywords"] = ", ".join(webinar.topics)
    return {
        "webinar": webinar,
        "detail": detail,
        "media_url": media_url,
        "media_src": (media_url + (f"#t={url_seconds(t)}" if t else "")) if media_url else None,
        "video": is_video(webinar.media_path),
        "transcript_html": mark_lines(
            transcript.transcript_html,
            segments[current].id if current is not None else None,
            {s.id for s in clip},
        ),
        "qa_html": Markup(transcript.qa_html),
        "segment_count": len(segments),
        "t": t,
        "end": end,
        "moment": moment,
        "quote": _quote(moment_segments) if moment_segments else "",
        "page_url": page_url,
        "moment_url": moment_url,
        "oembed_url": "/oembed?" + urlencode({"url": moment_url}),
        # A citation quotes whole segments, so it links to where its quote starts (a clip: the clip).
        "cite_time": t if end is not None and t is not None else (moment.start if moment else 0.0),
        "cite_url": moment_url
        if end is not None
        else page_url + moment_query(moment.start if moment else 0, None),
        "json_ld": ld,
    }


# --- the controller -------------------------------------------------------------------------


def home_context(session: Session) -> dict[str, Any]:
    latest, total = reads.list_webinars(session, limit=8, offset=0)
    return {
        "latest": latest,
        "total": total,
        "topics": queries.topics(session)[:40],
        "speakers": queries.speakers(session, limit=30),
    }


def embed_context(session: Session, request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    webinar, t, end = webinar_moment(
        session, slug, request.query_params.get("t"), request.query_params.get("end")
    )
    media_url = reads.media_url(webinar)
    return {
        "webinar": webinar,
        "t": t,
        "end": end,
        "video": is_video(webinar.media_path),
        "media_url": media_url,
        "media_src": (media_url + (f"#t={url_seconds(t)}" if t else "")) if media_url else None,
        "page_url": f"/webinars/{webinar.slug}{moment_query(t, end)}",
    }


def speaker_context(session: Session, slug: str) -> dict[str, Any]:
    person = queries.person_by_slug(session, slug)
    appearances = queries.appearances(session, person) if person is not None else []
    if person is None or not appearances:
        raise NotFoundError(f"No speaker in the archive at /speakers/{slug}.", title="Speaker not found")
    return {"person": person, "appearances": appearances}


class PageController(Controller):
    """The HTML pages. Query parameters are read by hand so a bad one gets an HTML 400 page.

    Every handler is async and reaches the database only through `db.run`, one short unit of
    work per call on the catalogue's own threads; no connection is held while a handler awaits
    Meilisearch, and a client that hangs up cancels the work it was still waiting for.
    """

    include_in_schema = False

    @get("/", name="home")
    async def home(self, db: NamedDependency[Database]) -> Template:
        """The front door: a search box, the latest webinars, topics and speakers."""
        return Template(template_name="home.html", context=await db.run(home_context))

    @get("/search", name="search")
    async def search(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Template:
        """Grouped results with facets; `partial=1` returns only the results, for search.js."""
        params = _query_params(request)
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
            "search_url": search_url,
            "kind_labels": KIND_LABELS,
            "webinar_titles": {},
        }
        try:
            query, page = _search_query(params)
        except SearchPageError as exc:
            context["error"] = str(exc)
            return Template(template_name=template, context=context, status_code=400)
        context["page"] = page
        context["suggestions"] = (await db.run(queries.topics))[:12]
        if not query.q.strip() and not context["filters"]:
            return Template(template_name=template, context=context)
        service = request.app.state.get("search")
        try:
            if service is None:
                raise SearchUnavailable(request.app.state.get("search_error") or "no search index")
            # Grouped results (distinct per webinar) count only each webinar's best moment in
            # their facets, so the facets come from the same search without grouping.
            result, everything = await asyncio.gather(
                service.search(query),
                service.search(msgspec.structs.replace(query, group=None, limit=1, offset=0)),
            )
            result.facets = everything.facets
        except QueryError as exc:
            context["error"] = str(exc)
            return Template(template_name=template, context=context, status_code=400)
        except (SearchUnavailable, SearchIndexError):
            context["error"] = "Search is temporarily unavailable. Please try again in a minute."
            return Template(template_name=template, context=context, status_code=503)
        slugs = list(result.facets.webinar) + [g.webinar.slug for g in result.groups or []]
        labels = await db.run(queries.webinar_labels, slugs)
        context.update(
            result=result,
            groups=result.groups or [],
            facets=_search_facets(result, params, labels),
            pages=math.ceil(result.total / RESULTS_PER_PAGE),
            webinar_titles={slug: label.title for slug, label in labels.items()},
        )
        return Template(template_name=template, context=context)

    @get("/webinars/{slug:str}", name="replay")
    async def replay(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], slug: FromPath[str]
    ) -> Template:
        """The replay page: player at `t`, chapters, transcript, Q&A, speakers, resources."""
        return Template(template_name="replay.html", context=await db.run(replay_context, request, slug))

    @get("/webinars/{slug:str}/embed", name="embed")
    async def embed(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], slug: FromPath[str]
    ) -> Template:
        """A bare player for other sites' iframes (oEmbed), starting at `t`, stopping at `end`."""
        return Template(template_name="embed.html", context=await db.run(embed_context, request, slug))

    @get("/speakers/{slug:str}", name="speaker")
    async def speaker(self, db: NamedDependency[Database], slug: FromPath[str]) -> Template:
        """Everything one person said across the archive, webinar by webinar."""
        return Template(template_name="speaker.html", context=await db.run(speaker_context, slug))

    @get("/topics/{slug:str}", name="topic")
    async def topic(
        self, request: Request[Any, Any, State], db: NamedDependency[Database], slug: FromPath[str]
    ) -> Template:
        """The webinars on a topic, and the moments across the archive that talk about it."""
        name, webinars = await db.run(queries.webinars_on_topic, slug)
        if name is None:
            raise NotFoundError(f"No webinar in the archive has the topic {slug!r}.", title="Topic not found")
        moments = []
        search_error = None
        service = request.app.state.get("search")
        if service is None:
            search_error = "Search is temporarily unavailable, so moments are not listed."
        else:
            try:
                result = await service.search(SearchQuery(q=name, limit=12))
                moments = result.hits
            except (SearchUnavailable, SearchIndexError):
                search_error = "Search is temporarily unavailable, so moments are not listed."
        return Template(
            template_name="topic.html",
            context={
                "name": name,
                "webinars": webinars,
                "moments": moments,
                "search_error": search_error,
                "search_link": search_url({}, q=name),
            },
        )


class SitePlugin(InitPluginProtocol):
    """Adds the website to `create_app`: pages, feeds, media, static files, templates, headers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(
            [
                PageController,
                FeedController,
                media_file,
                create_static_files_router(
                    path="/static",
                    directories=[STATIC_DIR],
                    name="static",
                    include_in_schema=False,
                    cache_control=None,
                ),
            ]
        )
        app_config.template_config = TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(template_environment())
        )
        app_config.before_send.append(security_headers)
        return app_config
