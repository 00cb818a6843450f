"""Machine-readable views of the site: oEmbed for moments and clips, an Atom feed, a sitemap.

oEmbed (https://oembed.com) lets an article embed a moment: the consumer asks `/oembed?url=<a
replay link>` and gets JSON with an `<iframe>` of `/webinars/<slug>/embed?t=..&end=..`, a
minimal player page that may be framed by any site (its own frame-ancestors policy), while the
rest of the site may not. Only JSON is offered; `format=xml` gets 501, as the spec asks.

The feed is built with ElementTree, so every title and description is escaped by the XML
writer rather than by string formatting. Each entry carries its recording as an Atom enclosure
(`<link rel="enclosure" href length type>`, RFC 4287 4.2.7.2), so a podcast app that follows the
feed downloads and plays the webinars. The sitemap (sitemaps.org 0.9, announced in robots.txt)
lists the published webinars' replay pages, and the speaker and project pages that list them,
for search engines; drafts never appear in it, nor anyone seen only in drafts.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree as ET

from litestar import Controller, Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import Parameter

from ingest.errors import NotFoundError
from server.catalog import reads
from server.catalog.db import Database
from server.catalog.models import Webinar
from server.web import queries
from server.web.media import content_type, is_video, resolve_media
from server.web.routing import page_route
from server.web.templating import human_date
from server.web.timecode import clock, parse_timecode, url_seconds

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
PROVIDER = "Webinar Archive"


def absolute(request: Request[Any, Any, State], path: str) -> str:
    """An absolute URL on this site (feeds, oEmbed, JSON-LD and citations leave the page)."""
    return str(request.base_url).rstrip("/") + path


def moment_query(t: float | None, end: float | None) -> str:
    """`?t=120&end=150` (or just `?t=120`, or nothing) in whole seconds."""
    params: dict[str, int] = {}
    if t is not None:
        params["t"] = url_seconds(t)
    if end is not None:
        params["end"] = url_seconds(end)
    return "?" + urlencode(params) if params else ""


class FeedController(Controller):
    """`/oembed` and `/feed.xml`."""

    include_in_schema = False

    @page_route("/oembed", name="oembed")
    async def oembed(
        self,
        request: Request[Any, Any, State],
        db: NamedDependency[Database],
        url: Annotated[str, Parameter(description="a replay link on this site")],
        format: Annotated[str, Parameter(description="json (xml is not offered)")] = "json",
        maxwidth: Annotated[int | None, Parameter(ge=200, le=4000)] = None,
        maxheight: Annotated[int | None, Parameter(ge=80, le=4000)] = None,
    ) -> Response[dict[str, Any]]:
        """oEmbed JSON for `/webinars/<slug>`, `?t=` and `&end=` kept in the embedded player."""
        if format != "json":
            raise HTTPException(status_code=501, detail="only format=json is offered")
        parts = urlsplit(url)
        segments = [p for p in parts.path.split("/") if p]
        if len(segments) != 2 or segments[0] != "webinars":
            raise NotFoundError("not a replay link of this archive")
        if parts.netloc and parts.netloc != request.url.netloc:
            raise NotFoundError("not a link to this archive")
        webinar = await db.run(reads.get_published, segments[1])
        if webinar is None:
            raise NotFoundError(f"no webinar with slug {segments[1]!r}")
        query = parse_qs(parts.query)
        t = parse_timecode(query["t"][0]) if "t" in query else None
        end = parse_timecode(query["end"][0]) if "end" in query else None
        video = is_video(webinar.media_path)
        width = min(maxwidth or 640, 640)
        height = round(width * 9 / 16) + 60 if video else 200
        if maxheight is not None:
            height = min(height, maxheight)
        reverse = request.app.route_reverse
        src = absolute(request, reverse("embed", slug=webinar.slug) + moment_query(t, end))
        title = webinar.title
        if t is not None:
            title += f" (at {clock(t)}" + (f" to {clock(end)}" if end is not None else "") + ")"
        attributes = {
            "src": src,
            "width": str(width),
            "height": str(height),
            "title": title,
            "loading": "lazy",
            "allow": "fullscreen",
            "style": "border:0",
        }
        iframe = "<iframe " + " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in attributes.items())
        iframe += "></iframe>"
        body: dict[str, Any] = {
            "version": "1.0",
            "type": "video" if video else "rich",
            "title": title,
            "provider_name": PROVIDER,
            "provider_url": absolute(request, reverse("home")),
            "html": iframe,
            "width": width,
            "height": height,
            "url": absolute(request, reverse("replay", slug=webinar.slug) + moment_query(t, end)),
        }
        return Response(body, media_type="application/json")

    @page_route("/feed.xml", name="feed")
    async def feed(self, request: Request[Any, Any, State], db: NamedDependency[Database]) -> Response[bytes]:
        """An Atom feed of the newest webinars, so followers learn of new replays."""
        webinars = await db.run(queries.feed_webinars)
        media_dir: Path = request.app.state.settings.storage.media_dir
        enclosures = {w.slug: enclosure(media_dir, w) for w in webinars}
        return Response(
            atom_feed(request, webinars, enclosures),
            media_type="application/atom+xml; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @page_route("/sitemap.xml", name="sitemap")
    async def sitemap(
        self, request: Request[Any, Any, State], db: NamedDependency[Database]
    ) -> Response[bytes]:
        """The home page, the list of webinars, every published replay page, and the speaker
        and project pages that list them."""
        webinars = await db.run(queries.sitemap_webinars)
        people, projects = await db.run(queries.sitemap_people_and_projects)
        ET.register_namespace("", SITEMAP_NS)
        urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
        pages: list[tuple[str, dt.datetime | None]] = [
            (request.app.route_reverse("home"), None),
            (request.app.route_reverse("browse"), None),
        ]
        pages += [(request.app.route_reverse("replay", slug=slug), updated) for slug, updated in webinars]
        pages += [(request.app.route_reverse("speaker", slug=slug), None) for slug in people]
        pages += [(request.app.route_reverse("project", slug=slug), None) for slug in projects]
        for path, updated in pages:
            url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = absolute(request, path)
            if updated is not None:
                ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = _timestamp(updated)
        body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
        return Response(body, media_type="application/xml", headers={"Cache-Control": "public, max-age=3600"})

    @page_route("/robots.txt", name="robots")
    async def robots(self, request: Request[Any, Any, State]) -> Response[str]:
        """Crawlers may read the public site, not the staff pages or the API's writes; the
        sitemap says where the replays are."""
        sitemap = absolute(request, request.app.route_reverse("sitemap"))
        text = f"User-agent: *\nDisallow: /staff\nDisallow: /api/uploads\nSitemap: {sitemap}\n"
        return Response(text, media_type="text/plain", headers={"Cache-Control": "public, max-age=3600"})


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Enclosure:
    """A recording as a feed offers it for download: its path on this site, size and type."""

    path: str
    length: int
    media_type: str


def enclosure(media_dir: Path, webinar: Webinar) -> Enclosure | None:
    """The webinar's recording as an enclosure, or None when the file is not where `/media/`
    serves it from (a podcast app would fail on a link that is not there). The size is the
    file's own, read when the feed is made, so it matches what `/media/` sends."""
    path = reads.media_url(webinar)
    file = resolve_media(media_dir, webinar.media_path)
    if path is None or file is None:
        return None
    return Enclosure(path, file.stat().st_size, content_type(file))


def atom_feed(
    request: Request[Any, Any, State],
    webinars: list[Webinar],
    enclosures: dict[str, Enclosure | None] | None = None,
) -> bytes:
    """RFC 4287: id, title, updated and a link for the feed and for every entry, and the
    recording as an enclosure where `enclosures` (by slug) has it."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    reverse = request.app.route_reverse
    feed_url = absolute(request, reverse("feed"))
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", feed_url)
    sub(feed, "title", f"{PROVIDER}: new webinars")
    updated = max((w.updated_at for w in webinars), default=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    sub(feed, "updated", _timestamp(updated))
    sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=absolute(request, reverse("home")), type="text/html")
    author = sub(feed, "author")
    sub(author, "name", PROVIDER)
    for webinar in webinars:
        entry = sub(feed, "entry")
        link = absolute(request, reverse("replay", slug=webinar.slug))
        sub(entry, "id", link)
        sub(entry, "title", webinar.title)
        sub(entry, "updated", _timestamp(webinar.updated_at))
        sub(entry, "published", _timestamp(webinar.created_at))
        sub(entry, "link", rel="alternate", href=link, type="text/html")
        media = (enclosures or {}).get(webinar.slug)
        if media is not None:
            sub(
                entry,
                "link",
                rel="enclosure",
                href=absolute(request, media.path),
                length=str(media.length),
                type=media.media_type,
            )
        summary = webinar.description or ""
        if webinar.date is not None:
            summary = f"{human_date(webinar.date)}. {summary}".strip()
        sub(entry, "summary", summary)
        for topic in webinar.topics or []:
            sub(entry, "category", term=topic)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body
