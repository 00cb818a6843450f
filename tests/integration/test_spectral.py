"""`ingest.spectral.LeanSpectralCluster` against senko's own `SpectralCluster` (imported here).

The diarizer clusters with the lean one; these tests hold that it gives senko's labels (with the
speaker count known and found by the eigengap) for a fraction of the memory. Embeddings are
made-up clusters, as the clustering alone is under test; the whole diarizer on real speech is
in test_speakers.py and test_real_voices.py.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from ingest.spectral import LeanSpectralCluster


def voices(windows: int, speakers: int, seed: int) -> Any:
    """Windows of speaker embeddings (192 numbers, as CAM++'s), each voice a centre plus noise of
    its own spread, some voices heard much more than others."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(speakers, 192))
    shares = rng.dirichlet(np.full(speakers, 2.0))
    who = rng.choice(speakers, size=windows, p=shares)
    spread = rng.uniform(0.6, 1.4, size=speakers)[who, None]
    return (centres[who] + rng.normal(scale=spread, size=(windows, 192))).astype(np.float32)


def senko_cluster(known: int | None) -> Any:
    from senko.cluster.cluster_cpu import SpectralCluster

    theirs = SpectralCluster(min_num_spks=1, max_num_spks=12)
    theirs.k = known
    return theirs


@pytest.mark.parametrize("told", [False, True], ids=["count found", "count told"])
@pytest.mark.parametrize(("windows", "speakers", "seed"), [(60, 2, 1), (400, 3, 2), (900, 6, 3)])
def test_same_labels_as_senko(windows: int, speakers: int, seed: int, told: bool) -> None:
    """(Told fewer voices than there are, both answers are one arbitrary basis of a near-null
    space, LAPACK's choice: not compared.)"""
    embeddings = voices(windows, speakers, seed)
    known = speakers if told else None
    theirs = senko_cluster(known)
    ours = LeanSpectralCluster.like(theirs)
    expected = theirs(embeddings.copy())
    labels = ours(embeddings.copy())
    np.testing.assert_array_equal(labels, expected)
    if known is None:
        assert len(set(labels.tolist())) == speakers, "the eigengap found every voice"


def peak_bytes(cluster: Callable[[Any], Any], embeddings: Any) -> int:
    tracemalloc.start()
    try:
        cluster(embeddings)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_fraction_of_senkos_memory() -> None:
    """2,000 windows (25 minutes of speech): senko keeps ~7 N x N arrays, the lean one ~2."""
    embeddings = voices(2000, 4, 7)
    theirs = senko_cluster(None)
    senko_peak = peak_bytes(theirs, embeddings.copy())
    lean_peak = peak_bytes(LeanSpectralCluster.like(theirs), embeddings.copy())
    square = 2000 * 2000 * 8
    print(f"\npeak: senko {senko_peak / square:.1f} N x N, lean {lean_peak / square:.1f} N x N (float64)")
    assert lean_peak < 0.5 * senko_peak
