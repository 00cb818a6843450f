"""Exact scores of search by meaning's candidates (server/search/exact.py): the packed int8
vectors keep a passage's cosine, and rescoring keeps, orders and cuts as the thresholds say."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from ingest.embeddings import DIMENSIONS
from server.search.exact import pack, rescore, score, unpack


def _unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, DIMENSIONS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@dataclass
class _Hit:
    name: str
    passages: str | None


def test_packed_vectors_keep_each_passage_cosine_to_a_thousandth() -> None:
    rng = np.random.default_rng(3)
    passages = _unit(rng, 3)
    packed = pack(passages)
    assert packed is not None
    assert len(packed) == 4 * 3 * DIMENSIONS // 3  # base64 of one byte a dimension
    restored = unpack(packed)
    assert restored.shape == (3, DIMENSIONS)
    queries = _unit(rng, 50)
    # Queries near the passages too, where the threshold's decisions are made.
    queries = np.vstack([queries, passages + 0.8 * _unit(rng, 3)])
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    error = np.abs(queries @ restored.T - queries @ passages.T)
    assert error.max() < 1e-3


def test_no_vectors_pack_to_nothing() -> None:
    assert pack(None) is None
    assert pack(np.zeros((0, DIMENSIONS), dtype=np.float32)) is None


def test_a_document_scores_by_its_nearest_passage_on_meilisearchs_scale() -> None:
    rng = np.random.default_rng(4)
    passages = _unit(rng, 3)
    query = passages[1]
    assert score(query, pack(passages) or "") == pytest.approx(1.0, abs=1e-3)  # (1 + 1) / 2
    assert score(-query, pack(passages[[0, 2]]) or "") == pytest.approx(
        (1 + float(np.max(-query @ passages[[0, 2]].T))) / 2, abs=1e-3
    )


def test_rescoring_keeps_what_reaches_the_threshold_best_first_and_cuts_to_the_limit() -> None:
    rng = np.random.default_rng(5)
    query = _unit(rng, 1)[0]
    noise = _unit(rng, 4)
    # Cosines to the query of about 0.9, 0.5, 0.3 and 0.05: scores 0.95, 0.75, 0.65, 0.525.
    def near(cosine: float, other: np.ndarray) -> np.ndarray:
        away = other - (other @ query) * query
        away /= np.linalg.norm(away)
        return (cosine * query + np.sqrt(1 - cosine**2) * away)[None, :]

    hits = [
        _Hit("far", pack(near(0.05, noise[0]))),
        _Hit("middle", pack(near(0.5, noise[1]))),
        _Hit("unvectored", None),
        _Hit("close", pack(near(0.9, noise[2]))),
        _Hit("loose", pack(near(0.3, noise[3]))),
    ]
    kept = rescore(query.tolist(), hits, threshold=0.61, limit=10)
    assert [h.name for h, _ in kept] == ["close", "middle", "loose"]
    assert [round(s, 2) for _, s in kept] == [0.95, 0.75, 0.65]
    assert [h.name for h, _ in rescore(query.tolist(), hits, threshold=0.61, limit=2)] == ["close", "middle"]
    assert rescore(query.tolist(), hits, threshold=0.96, limit=10) == []
    # A query vector that is not unit length (a webinar's mean) scores the same.
    assert [s for _, s in rescore((query * 0.3).tolist(), hits, 0.61, 10)] == pytest.approx(
        [s for _, s in kept]
    )
