"""The machine draft of a webinar's key messages, summary and topics, for staff to review.

Extracted offline from the transcript: topic suggestions are YAKE keyphrases (`yake`, statistical,
no model or network), key messages an extractive summary, TextRank over the transcript's
sentences (similarity = shared content words over the log of the lengths, as in Mihalcea and
Tarau 2004; PageRank by power iteration in numpy). The draft is stored in
`webinar.editorial_draft`, apart from what staff write (`summary`, `key_messages`, `topics`):
it is shown to staff only, marked as not reviewed, until they accept it (`accept_draft`,
recorded in the history like any staff edit) or write their own. The public never sees it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

import msgspec
import numpy as np
import yake
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ingest.errors import InputError
from server.catalog.edits import update_webinar
from server.catalog.models import EditHistory, Segment, Webinar, WebinarUpdate, require_id, utcnow

log = logging.getLogger(__name__)

METHOD: Final = "YAKE keyphrases + TextRank sentences"
KEY_MESSAGES: Final = 5
TOPICS: Final = 8
MIN_WORDS: Final = 8
"""Shorter sentences (greetings, "Thank you, Karen.") are not key messages."""
MAX_WORDS: Final = 45

_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=[\"'(]?[A-Z0-9À-Ý])")
_WORD: Final = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_FILLER: Final = re.compile(
    r"\b(thank(s| you)|hello|good (morning|afternoon|evening)|welcome|goodbye|my name is|"
    r"the floor is yours|any questions|let us now|next speaker|can you hear|website|download|"
    r"recording|webinar|stands for|i work (for|at|in)|i coordinate|i lead|i am (a|the))\b",
    re.IGNORECASE,
)
STOPWORDS: Final = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "even",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "made",
        "make",
        "many",
        "me",
        "more",
        "most",
        "much",
        "must",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "one",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "really",
        "said",
        "same",
        "see",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "us",
        "very",
        "was",
        "way",
        "we",
        "well",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "yes",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)


GENERIC: Final = frozenset(
    [
        "answer",
        "bring",
        "question",
        "questions",
        "project",
        "projects",
        "today",
        "year",
        "years",
        "good",
        "thing",
        "things",
        "share",
        "people",
        "everyone",
        "time",
        "part",
        "point",
        "lot",
        "start",
        "step",
        "example",
        "idea",
        "work",
        "first",
        "last",
        "next",
        "new",
        "small",
        "short",
        "great",
        "important",
        "different",
        "simple",
        "whole",
    ]
)
"""Talk's words that YAKE ranks high in any webinar and that are never a topic alone."""


class Draft(msgspec.Struct, kw_only=True):
    """What the extractor proposes: key messages in the order they were said, topics best first."""

    key_messages: list[str]
    topics: list[str]
    summary: str
    method: str = METHOD


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (stopwords and one-letter words dropped)."""
    return [
        w for w in (m.group(0).casefold() for m in _WORD.finditer(text)) if len(w) > 1 and w not in STOPWORDS
    ]


def sentences(texts: Iterable[str]) -> list[str]:
    """The transcript's sentences, in order (segments are split at sentence ends)."""
    out: list[str] = []
    for text in texts:
        out.extend(s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip())
    return out


def _candidate(sentence: str) -> bool:
    words = len(_WORD.findall(sentence))
    return MIN_WORDS <= words <= MAX_WORDS and not sentence.endswith("?") and not _FILLER.search(sentence)


def textrank_scores(candidates: Sequence[str], damping: float = 0.85) -> list[float]:
    """TextRank: PageRank over the sentences, edges weighted by shared content words over the
    sum of the logs of the sentences' lengths. Dense numpy (an hour's ~1,000 sentences is a
    few MB and well under a second); sentences with no edge share the rank evenly (PageRank's
    dangling nodes)."""
    n = len(candidates)
    if n == 0:
        return []
    bags = [set(content_words(s)) for s in candidates]
    vocabulary = {w: i for i, w in enumerate(sorted(set().union(*bags)))}
    if not vocabulary:
        return [1.0 / n] * n
    terms = np.zeros((n, len(vocabulary)), dtype=np.float32)
    for row, bag in enumerate(bags):
        terms[row, [vocabulary[w] for w in bag]] = 1.0
    shared = terms @ terms.T
    np.fill_diagonal(shared, 0.0)
    sizes = terms.sum(axis=1)
    logs = np.log(np.maximum(sizes, 1.0))
    usable = sizes > 1
    denominator = logs[:, None] + logs[None, :]
    weights = np.where(
        (shared > 0) & usable[:, None] & usable[None, :], shared / np.maximum(denominator, 1e-9), 0.0
    )
    out = weights.sum(axis=1)
    dangling = out == 0
    transition = np.divide(weights, out[:, None], out=np.zeros_like(weights), where=~dangling[:, None])
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        spread = rank @ transition + rank[dangling].sum() / n
        new = (1.0 - damping) / n + damping * spread
        done = float(np.abs(new - rank).sum()) < 1e-8
        rank = new
        if done:
            break
    return [float(x) for x in rank]


def textrank(candidates: Sequence[str], count: int) -> list[int]:
    """The indices of the `count` most central sentences, in their original order."""
    scores = textrank_scores(candidates)
    best = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:count]
    return sorted(best)


def keyphrases(text: str, count: int, exclude: Iterable[str] = (), language: str = "en") -> list[str]:
    """YAKE's best keyphrases (one to three words), lower-cased, without near repeats (one
    phrase's words inside a better one's) and without the names in `exclude` (people, projects,
    organisations are not topics)."""
    lan = language.split("-")[0].lower() or "en"
    extractor = yake.KeywordExtractor(lan=lan, n=3, dedup_lim=0.7, top=count * 5)
    banned = {w for name in exclude for w in content_words(name)}
    chosen: list[str] = []
    taken: list[set[str]] = []
    for phrase, _score in extractor.extract_keywords(text):
        words = content_words(phrase)
        if not words or any(w in banned for w in words) or any(w.isdigit() for w in words):
            continue
        if words[0] in GENERIC or words[-1] in GENERIC or (len(words) == 1 and len(words[0]) < 4):
            continue
        bag = set(words)
        if any(len(bag & other) * 2 >= min(len(bag), len(other)) for other in taken):
            continue
        chosen.append(" ".join(phrase.casefold().split()))
        taken.append(bag)
        if len(chosen) == count:
            break
    return chosen


def extract_draft(
    texts: Sequence[str],
    *,
    language: str = "en",
    exclude: Iterable[str] = (),
    messages: int = KEY_MESSAGES,
    topics: int = TOPICS,
) -> Draft:
    """A draft from the transcript's texts (segments in order); pure."""
    every = sentences(texts)
    candidates = [s for s in every if _candidate(s)] or every
    scores = textrank_scores(candidates)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    picked = [candidates[i] for i in sorted(order[:messages])]
    summary_picks = [candidates[i] for i in sorted(order[:2])]
    return Draft(
        key_messages=picked,
        topics=keyphrases(" ".join(texts), topics, exclude, language) if texts else [],
        summary=" ".join(summary_picks),
    )


# --- stored drafts --------------------------------------------------------------------------


def _names(session: Session, webinar: Webinar) -> list[str]:
    from server.catalog.reads import speaker_names

    assert webinar.id is not None
    people, _ = speaker_names(session, webinar.id)
    out: list[str] = []
    for person in people.values():
        out.extend(x for x in (person.name, person.affiliation, person.project) if x)
    return out


def generate_draft(session: Session, webinar: Webinar) -> dict[str, Any]:
    """Extract a draft from the webinar's stored (corrected) segments and keep it on the row, in
    `editorial_draft`; the staff-written fields are untouched. The caller commits."""
    texts = list(
        session.exec(
            select(Segment.text).where(Segment.webinar_id == webinar.id).order_by(col(Segment.position))
        )
    )
    draft = extract_draft(texts, language=webinar.language, exclude=_names(session, webinar))
    stored: dict[str, Any] = {
        **msgspec.to_builtins(draft),
        "generated_at": utcnow().isoformat(),
        "transcript_updated_at": webinar.updated_at.isoformat(),
        "transcript_revision": transcript_revision(session, webinar),
    }
    webinar.editorial_draft = stored
    session.add(webinar)
    session.flush()
    return stored


def generate_draft_or_log(session: Session, webinar: Webinar) -> None:
    """`generate_draft` after a transcript is stored (the worker, `webinar-archive ingest`): a
    failure to extract one is logged and fails nothing, since staff can ask again."""
    try:
        generate_draft(session, webinar)  # reads, computes, then sets one attribute
    except Exception:
        log.exception("webinar %s: no editorial draft extracted", webinar.slug)


# What a draft is extracted from: the words of the transcript. Pairing, kinds and speakers do not
# change the words, so they leave the draft current.
_TRANSCRIPT_FIELDS: Final = ("segment.text", "segment.split", "segment.merge", "segment.replace")


def _newest_transcript_edit(session: Session, webinar: Webinar) -> tuple[int, dt.datetime | None]:
    """The id and time of the newest history row that changed the transcript's words."""
    newest, at = session.execute(
        sa_select(func.max(col(EditHistory.id)), func.max(col(EditHistory.edited_at)))
        .where(col(EditHistory.table_name) == "webinar")
        .where(col(EditHistory.row_id) == require_id(webinar))
        .where(col(EditHistory.field).in_(_TRANSCRIPT_FIELDS))
    ).one()
    return int(newest or 0), at


def transcript_revision(session: Session, webinar: Webinar) -> int:
    """The id of the webinar's newest history row that changed the transcript's words (a text
    correction, a split or merge, a find and replace, or a revert of one), 0 when none: a
    draft records it, so a later correction is seen by `draft_is_stale` without a new column."""
    return _newest_transcript_edit(session, webinar)[0]


def draft_is_stale(session: Session, webinar: Webinar) -> bool:
    """Whether staff corrected the transcript's words after the draft was extracted, so the
    draft may quote what is no longer said. A draft from before revisions were recorded is
    compared by time instead."""
    draft = webinar.editorial_draft
    if not draft:
        return False
    recorded = draft.get("transcript_revision")
    if isinstance(recorded, int):
        return transcript_revision(session, webinar) > recorded
    _newest, newest_at = _newest_transcript_edit(session, webinar)
    generated = draft.get("generated_at")
    if newest_at is None or not isinstance(generated, str):
        return False
    made = dt.datetime.fromisoformat(generated)
    if newest_at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        newest_at = newest_at.replace(tzinfo=dt.UTC)
    if made.tzinfo is None:
        made = made.replace(tzinfo=dt.UTC)
    return bool(newest_at > made)


def accept_draft(
    session: Session,
    webinar: Webinar,
    editor: str,
    *,
    key_messages: bool = True,
    summary: bool = True,
    topics: bool = True,
) -> Webinar:
    """Staff take the draft as their own: its key messages replace theirs, its summary fills an
    empty one, its topics are added to theirs; each change one history row (revertible). The
    draft is then marked accepted (kept, so what the machine proposed stays visible)."""
    draft = webinar.editorial_draft
    if not draft:
        raise InputError("this webinar has no draft: generate one first")
    changes: dict[str, Any] = {}
    if key_messages and draft.get("key_messages"):
        changes["key_messages"] = list(draft["key_messages"])
    if summary and draft.get("summary") and not (webinar.summary or "").strip():
        changes["summary"] = draft["summary"]
    if topics and draft.get("topics"):
        known = {t.casefold() for t in webinar.topics}
        changes["topics"] = [*webinar.topics, *(t for t in draft["topics"] if t.casefold() not in known)]
    update_webinar(session, webinar, WebinarUpdate.model_validate(changes), editor)
    webinar.editorial_draft = {**draft, "accepted_at": utcnow().isoformat(), "accepted_by": editor}
    session.add(webinar)
    session.flush()
    return webinar
