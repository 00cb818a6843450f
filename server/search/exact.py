"""Exact scores for search by meaning, over candidates the binary-quantized index chose.

The segments index keeps its vectors binary quantized (one bit a dimension, `index_settings`):
at 1M segments (3M passage vectors) float vectors made a ~28 GB index that no longer fit a
search machine's memory, and a question then waited on the disk (p95 339 ms; docs/search.md).
One bit a dimension ranks candidates nearly as well, but its scores are too coarse for the
threshold that keeps questions about things never said empty: on the labelled set no binary
threshold kept all of them empty without losing recall at 3 (0.76 against 0.84).

So every document also carries its passages' vectors as int8 (`pack`, a base64 string of 512
bytes a passage, ~2 KB a segment: stored, never searched), a vector search asks Meilisearch for
a few times more neighbours than it shows, under a looser threshold (CANDIDATE_THRESHOLD), and
`rescore` scores each candidate by its exact cosine, dropping those under the real threshold.
int8 rows keep the cosine to ~1e-3, well inside the thresholds' steps (0.01).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Final, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from ingest.embeddings import DIMENSIONS

OVERSAMPLE: Final = 3
"""Candidates asked of the binary-quantized index for each hit shown: its ranking is close to the
exact one, not the same (the labelled set's recall at 3 was the same with binary scores at a
loose threshold)."""
CANDIDATE_THRESHOLD: Final = 0.52
"""`rankingScoreThreshold` of the candidate search, in the binary scores. A binary cosine
estimates 1 - 2·angle/π with a spread of ~0.04 at 512 dimensions: the strictest exact threshold
(a cosine of 0.22, MEANING_THRESHOLD) is ~0.14 there, a score of 0.57; 0.52 leaves two spreads
of margin, so no moment that passes the exact threshold is cut before it is scored."""


class Scored(Protocol):
    """A hit that brings its passages' packed vectors."""

    passages: str | None


H = TypeVar("H", bound=Scored)


def pack(vectors: npt.NDArray[np.floating] | Sequence[Sequence[float]] | None) -> str | None:
    """Passage vectors (rows of unit length) as stored in a document: int8 rows, each scaled so
    its largest component is ±127, as one base64 string (None without vectors). The scale is not
    kept: a cosine needs only the row's direction."""
    if vectors is None or len(vectors) == 0:
        return None
    rows = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSIONS)
    peak = np.abs(rows).max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    quantized = np.round(rows / peak * 127).astype(np.int8)
    return base64.b64encode(quantized.tobytes()).decode("ascii")


def unpack(packed: str) -> npt.NDArray[np.float32]:
    """The rows `pack` stored, scaled back to unit length."""
    rows = np.frombuffer(base64.b64decode(packed), dtype=np.int8).reshape(-1, DIMENSIONS).astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: npt.NDArray[np.float32] = rows / norms
    return unit


def score(query: npt.NDArray[np.float32], packed: str) -> float:
    """A document's exact score for a query vector, on Meilisearch's scale: (1 + cosine) / 2 of
    its nearest passage, as Meilisearch ranks a document with several vectors."""
    cosine = float(np.max(unpack(packed) @ query))
    return (1.0 + cosine) / 2.0


def rescore(query: Sequence[float], hits: Sequence[H], threshold: float, limit: int) -> list[tuple[H, float]]:
    """The candidates whose exact score reaches `threshold`, best first, at most `limit`, each with
    its score. A candidate without packed vectors (none can reach the index without them: the
    index's embedder settings changed with them) is dropped."""
    q = np.asarray(query, dtype=np.float32)
    q /= max(float(np.linalg.norm(q)), 1e-12)
    scored = [(hit, score(q, hit.passages)) for hit in hits if hit.passages]
    kept = [pair for pair in scored if pair[1] >= threshold]
    kept.sort(key=lambda pair: pair[1], reverse=True)
    return kept[:limit]
