"""Senko's spectral clustering of speaker embeddings, computed with a fraction of its memory.

Senko 0.2.2 (`senko.cluster.cluster_cpu.SpectralCluster`) builds the degree matrix as a full
N x N array, keeps several N x N copies alive (similarities, pruned, symmetrised, Laplacian) and
asks numpy for every eigenvector of the Laplacian, when it reads only the first few. N is the
number of 1.5-s windows of speech: ~4,800 for an hour, so each copy is 180 MB, and the
clustering took the diarization of the demo 13 times over (`bench/whole_ingest.py --repeat 13`
makes that file) from 1.5 GB to 2.3 GB resident, measured around each of senko's steps.
This is the same computation (the same similarities, pruning, Laplacian, eigengap and k-means
with the same seed) done in place, asking LAPACK only for the eigenpairs the eigengap and the
speaker count read.
"""

from __future__ import annotations

from typing import Any


class LeanSpectralCluster:
    """Drop-in for senko's `SpectralCluster` (the attributes `SenkoDiarizer.diarize` sets per
    call: `min_num_spks`, `max_num_spks`, `k`), called with the embeddings, returning labels."""

    def __init__(
        self, min_num_spks: int = 1, max_num_spks: int = 10, pval: float = 0.02, min_pnum: int = 6
    ) -> None:
        self.min_num_spks = min_num_spks
        self.max_num_spks = max_num_spks
        self.pval = pval
        self.min_pnum = min_pnum
        self.k: int | None = None

    @classmethod
    def like(cls, theirs: Any) -> LeanSpectralCluster:
        """One with the settings of senko's own instance."""
        lean = cls(theirs.min_num_spks, theirs.max_num_spks, theirs.pval, theirs.min_pnum)
        lean.k = theirs.k
        return lean

    def __call__(self, embeddings: Any) -> Any:
        import numpy as np
        from scipy.linalg import eigh
        from sklearn.cluster import KMeans
        from sklearn.metrics.pairwise import cosine_similarity

        affinity = cosine_similarity(embeddings, embeddings)
        n = affinity.shape[0]
        # p-pruning: in each row, all but the largest similarities become 0 (row by row, in place).
        dropped = min(int((1 - self.pval) * n), n - self.min_pnum)
        for row in affinity:
            row[np.argsort(row)[:dropped]] = 0
        laplacian = affinity + affinity.T  # symmetrised (x2: halved below, in place)
        del affinity
        laplacian *= 0.5
        np.fill_diagonal(laplacian, 0)
        degrees = np.abs(laplacian).sum(axis=1)
        np.negative(laplacian, out=laplacian)
        laplacian[np.diag_indices(n)] = degrees  # D - A, without a dense D
        wanted = self.k if self.k is not None else 0
        last = min(n - 1, max(self.max_num_spks, wanted))
        values, vectors = eigh(laplacian, subset_by_index=[0, last], overwrite_a=True)
        if self.k is not None:
            speakers = self.k
        else:
            window = values[self.min_num_spks - 1 : self.max_num_spks + 1]
            speakers = int(np.argmax(np.diff(window))) + self.min_num_spks
        labels = KMeans(n_clusters=speakers, random_state=0).fit_predict(vectors[:, :speakers])
        return labels
