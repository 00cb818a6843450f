"""The replay and embed pages' view models: the moment a link asks for, and the transcript.

A two-hour transcript is ~1,500 segments and ~400 KB of HTML, so it is rendered once per version
of the webinar and kept in the app's `WebinarCache` (server/web/cache.py); the line playing at
`t` and a clip's lines are marked in the cached HTML afterwards.
"""

from __future__ import annotations

import bisect
import functools
import html as html_lib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol
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
from server.web.browse import language_name
from server.web.cache import WebinarCache
from server.web.feeds import absolute, moment_query
from server.web.media import is_video
from server.web.templating import safe_highlight
from server.web.timecode import TimecodeError, clock, iso_duration, parse_timecode, url_seconds

QUOTE_CHARS: Final = 400
EMBED_WIDTH: Final = 640


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


def _speakers(segments: list[queries.SegmentRow]) -> list[tuple[str, str | None]]:
    """Every named voice in `segments`, once each, in the order they first speak."""
    seen: dict[str, str | None] = {}
    for s in segments:
        if s.speaker and s.speaker not in seen:
            seen[s.speaker] = s.speaker_slug
    return list(seen.items())


def credit(names: list[str]) -> str:
    """`A`, `A and B`, `A, B and C`: the speakers a citation credits."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def media_src(media_url: str | None, t: float | None, end: float | None) -> str | None:
    """The player's source with the moment as a media fragment, so it works without JavaScript:
    `#t=120` starts there, `#t=120,150` plays a clip and stops at its end."""
    if not media_url:
        return None
    if end is not None:
        return f"{media_url}#t={url_seconds(t or 0)},{math.ceil(end)}"
    return media_url + (f"#t={url_seconds(t)}" if t else "")


def embed_code(src: str, title: str, video: bool) -> str:
    """The `<iframe>` a visitor copies to embed the player (the same as oEmbed's), as text."""
    height = round(EMBED_WIDTH * 9 / 16) + 60 if video else 200
    attributes = {
        "src": src,
        "width": str(EMBED_WIDTH),
        "height": str(height),
        "title": title,
        "loading": "lazy",
        "allow": "fullscreen",
        "style": "border:0",
    }
    return (
        "<iframe "
        + " ".join(f'{k}="{html_lib.escape(v, quote=True)}"' for k, v in attributes.items())
        + "></iframe>"
    )


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
        "pairs": queries.qa_pairs(segments),
        "url_for": url_for,
        "language_name": language_name,
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


class SearchHitLine(Protocol):
    """What the page needs of a search hit in this webinar (`find.hits` in the context)."""

    @property
    def segment_id(self) -> int: ...
    @property
    def highlight(self) -> str: ...


_MARK_TERMS: Final = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)
_TAGS: Final = re.compile(r"</?mark>")
_TEXT_OPEN: Final = '<span class="text">'


def _marked_text(text: str, highlight: str) -> Markup:
    """The line's text, escaped, with <mark> where the search matched.

    The highlight is used as it is when it holds the whole text; a cropped one (`…` at either
    end) lends only its marked words, which are marked wherever they start a word in the line.
    """
    if html_lib.unescape(_TAGS.sub("", highlight)) == text:
        return safe_highlight(highlight)
    terms = {html_lib.unescape(t).strip() for t in _MARK_TERMS.findall(highlight)}
    terms.discard("")
    if not terms:
        return Markup.escape(text)
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + ")",
        re.IGNORECASE,
    )
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out += [Markup.escape(text[last : match.start()]), "<mark>", Markup.escape(match.group()), "</mark>"]
        last = match.end()
    out.append(Markup.escape(text[last:]))
    return Markup("".join(out))


def mark_hits(html: Markup | str, hits: list[SearchHitLine]) -> Markup:
    """The transcript with the search hits' lines marked: class `hit`, matched words in <mark>.

    Each line is written as `<p id="sID" class="seg...><a ...>..</a> <span class="text">TEXT</span>`
    (_transcript.html), its text escaped, so the text ends at the first `</span>` after it. The
    page is cut once at every hit and put back together (a long transcript is ~400 KB).
    """
    text = str(html)
    edits: list[tuple[int, int, int, str]] = []  # (line's class end, text start, text end, marked)
    for hit in hits:
        anchor = f'<p id="s{hit.segment_id}" class="seg'
        at = text.find(anchor)
        text_at = text.find(_TEXT_OPEN, at) if at >= 0 else -1
        text_end = text.find("</span>", text_at) if text_at >= 0 else -1
        if text_end < 0:
            continue
        inner_at = text_at + len(_TEXT_OPEN)
        line = _marked_text(html_lib.unescape(text[inner_at:text_end]), hit.highlight)
        edits.append((at + len(anchor), inner_at, text_end, str(line)))
    out: list[str] = []
    last = 0
    for class_end, inner_at, text_end, marked in sorted(set(edits)):
        if class_end < last:
            continue  # the same line twice
        out += [text[last:class_end], " hit", text[class_end:inner_at], marked]
        last = text_end
    out.append(text[last:])
    return Markup("".join(out))  # only classes and <mark> (of the escaped text) were added


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
    moment_speakers = _speakers(moment_segments)
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
        # Agenda lines that name a known project link to its page (read on each view: a project
        # added later links at once).
        "chapter_projects": queries.chapter_projects(session, [c.title for c in detail.chapters]),
        "media_url": media_url,
        "media_src": media_src(media_url, t, end),
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
        "moment_speakers": moment_speakers,
        # A clip's citation quotes all of it and credits everyone who speaks in it.
        "cite_quote": " ".join(s.text.strip() for s in clip) if clip else _quote(moment_segments[:1]),
        "cite_credit": credit([name for name, _ in (moment_speakers if clip else moment_speakers[:1])]),
        "embed_code": embed_code(
            absolute(request, reverse("embed", slug=webinar.slug))
            + moment_query(t if t is not None else (moment.start if moment else 0), end),
            webinar.title,
            is_video(webinar.media_path),
        ),
        "mark_hits": mark_hits,
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
        "media_src": media_src(media_url, t, end),
        "page_url": request.app.route_reverse("replay", slug=webinar.slug) + moment_query(t, end),
    }
