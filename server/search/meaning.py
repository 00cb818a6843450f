"""Queries as vectors, in the web process: search by meaning needs the question's vector too.

The segments' vectors are computed at ingest; a query's is computed here, with the same model
(ingest/embeddings.py), ~2 ms for a short question on one core. The model is loaded once per
process, on a thread of its own as the app starts (`warm_up`), and every query runs on a worker
thread too (neither must hold the event loop). Recent queries are remembered: the search page
asks the same words several times (live search, paging, facets).

A process without the model installed searches by words only: `embed_query` answers None, and
the reason is logged once.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Final

import anyio.to_thread

from ingest.embeddings import ModelFilesError, default_embedder

log = logging.getLogger(__name__)

QueryEmbedder = Callable[[str], Awaitable[list[float] | None]]
"""An async function from a query's words to its vector (None: no search by meaning)."""

CACHE_SIZE: Final = 512
_cache: OrderedDict[str, list[float]] = OrderedDict()
_lock = threading.Lock()
_broken: str | None = None


def _embed(q: str) -> list[float] | None:
    global _broken
    if _broken is not None:
        return None
    try:
        vector: list[float] = default_embedder().embed_one(q).tolist()
    except ModelFilesError as exc:
        _broken = str(exc)
        log.warning("search by meaning is off: %s", exc)
        return None
    return vector


def warm_up() -> None:
    """Load the model now, on a thread of its own at the app's start: loading takes ~1.8 s on
    a 2-core machine (the vocabulary alone ~1 s), which the first question by meaning, or the
    first staff edit (it embeds the edited line), would otherwise wait for."""
    _embed("warm up")


async def embed_query(q: str) -> list[float] | None:
    """The vector of query `q` (its words as typed, trimmed), computed off the event loop."""
    key = q.strip()
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    vector = await anyio.to_thread.run_sync(_embed, key)
    if vector is not None:
        with _lock:
            _cache[key] = vector
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return vector
