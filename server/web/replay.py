"""The replay and embed pages' view models: the moment a link asks for, and the transcript.

A two-hour transcript is ~1,500 segments and ~400 KB of HTML, so it is rendered once per version
of the webinar and kept in the app's `WebinarCache` (server/web/cache.py); the line playing at
`t` and a clip's lines are marked in the cached HTML afterwards.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from jinja2 import Environment
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup
from sqlmodel import Session

from ingest.errors import NotFoundError
from server.catalog import reads
from server.catalog.models import Webinar
from server.web import queries
from server.web.cache import WebinarCache
from server.web.feeds import absolute, moment_query
from server.web.media import is_video
from server.web.timecode import TimecodeError, clock, iso_duration, parse_timecode, url_seconds

QUOTE_CHARS: Final = 400


# --- replay ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """Where a link asks the player to start (and stop), and what was wrong with the link if
    anything: a link never dead-ends, it opens at the nearest moment that exists, with a note."""

    t: float | None
    end: float | None
    note: str | None = None


def webinar_moment(
    session: Session, slug: str, t_text: str | None, end_text: str | None
) -> tuple[Webinar, Moment]:
    """The published webinar at `slug` (else NotFoundError) and the moment the link asks for."""
    webinar = reads.get_published(session, slug)
    if webinar is None:
        raise NotFoundError(f"There is no webinar at /webinars/{slug}.", title="Webinar not found")
    return webinar, parse_moment(t_text, end_text, webinar.duration)


def parse_moment(t_text: str | None, end_text: str | None, duration: float) -> Moment:
    """`t` and `end` from the URL, moved to the nearest moment the recording has.

    An article's link outlives edits (a recording trimmed, a typo in `t`), so a bad moment is no
    reason to refuse the page: a time past the end plays from the last second, a negative one
    or one that is not a time from the start, and a clip that ends before it starts plays as a
    plain moment. The note says what was changed.
    """
    notes: list[str] = []
    t = _read_time("t", t_text, notes)
    end = _read_time("end", end_text, notes)
    last = float(math.floor(duration)) if duration > 0 else None
    if t is not None and last is not None and t > last:
        notes.append(f"The link points to {clock(t)}, past the end of the recording ({clock(duration)}).")
        t = last
    if end is not None:
        start = t if t is not None else 0.0
        if end <= start:
            notes.append(f"The clip's end ({clock(end)}) is not after its start ({clock(start)}).")
            end = None
        else:
            t = start
    return Moment(t, end, " ".join(notes) + (f" Playing from {clock(t or 0)}." if notes else "") or None)


def _read_time(name: str, text: str | None, notes: list[str]) -> float | None:
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("-"):
        notes.append(f"{name}={stripped[:40]} is before the start of the recording.")
        return 0.0
    try:
        return parse_timecode(stripped)
    except TimecodeError as exc:
        notes.append(f"{exc}.")
        return None


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


def render_transcript(
    env: Environment, session: Session, webinar: Webinar, url_for: Callable[..., str]
) -> RenderedTranscript:
    """The transcript and Q&A HTML of `webinar` (the page caches it per version: cache.py).

    The partials are rendered without a request, so Litestar's `url_for` template callable
    (which reads the request from the context) cannot run there: `url_for` here is the app's
    reverse routing, passed in the context where it takes the callable's place. The links it
    makes depend only on the app's routes, so the cached HTML stays valid for the app.
    """
    segments = queries.segments(session, webinar)
    context = {
        "webinar": webinar,
        "turns": queries.turns(segments),
        "qa": queries.questions_and_answers(segments),
        "url_for": url_for,
    }
    return RenderedTranscript(
        segments=segments,
        starts=[s.start for s in segments],
        transcript_html=env.get_template("_transcript.html").render(context),
        qa_html=env.get_template("_qa.html").render(context),
    )


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
    """Everything the replay page shows, read in one unit of database work.

    Only the webinar's row is read on every view; its detail and rendered transcript come from
    the app's `WebinarCache` for the webinar's current version.
    """
    webinar, asked = webinar_moment(
        session, slug, request.query_params.get("t"), request.query_params.get("end")
    )
    t, end = asked.t, asked.end
    app = request.app
    cache: WebinarCache = app.state.webinars
    reverse = functools.partial(app.state.routes.reverse, app)
    engine: JinjaTemplateEngine = app.template_engine  # type: ignore[assignment]
    detail = cache.get(webinar, "detail", lambda: reads.webinar_detail(session, webinar))
    transcript = cache.get(
        webinar, "transcript", lambda: render_transcript(engine.engine, session, webinar, reverse)
    )
    segments, starts = transcript.segments, transcript.starts
    current = _segment_at(starts, t) if segments and t is not None else None
    clip: list[queries.SegmentRow] = []
    if t is not None and end is not None:
        clip = [s for s in segments if s.end > t and s.start < end]
    moment_segments = clip or ([segments[current]] if current is not None else segments[:1])
    moment = moment_segments[0] if moment_segments else None
    page_url = absolute(request, reverse("replay", slug=webinar.slug))
    moment_url = page_url + moment_query(t if t is not None else (moment.start if moment else 0), end)
    media_url = detail.media_url
    ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": webinar.title,
        "description": webinar.description or webinar.title,
        "duration": iso_duration(webinar.duration),
        "url": page_url,
        "embedUrl": absolute(request, reverse("embed", slug=webinar.slug)),
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
        "oembed_url": reverse("oembed") + "?" + urlencode({"url": moment_url}),
        # A citation quotes whole segments, so it links to where its quote starts (a clip: the clip).
        "cite_time": t if end is not None and t is not None else (moment.start if moment else 0.0),
        "cite_url": moment_url
        if end is not None
        else page_url + moment_query(moment.start if moment else 0, None),
        "json_ld": ld,
        "moment_note": asked.note,
    }


def embed_context(session: Session, request: Request[Any, Any, Any], slug: str) -> dict[str, Any]:
    webinar, asked = webinar_moment(
        session, slug, request.query_params.get("t"), request.query_params.get("end")
    )
    t, end = asked.t, asked.end
    media_url = reads.media_url(webinar)
    return {
        "webinar": webinar,
        "t": t,
        "end": end,
        "video": is_video(webinar.media_path),
        "media_url": media_url,
        "media_src": (media_url + (f"#t={url_seconds(t)}" if t else "")) if media_url else None,
        "page_url": request.app.route_reverse("replay", slug=webinar.slug) + moment_query(t, end),
    }
