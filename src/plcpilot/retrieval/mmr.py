"""Maximal marginal relevance, as the FX-IL RAG benchmark selects exemplars.

Fetch min(fetch_factor*k, n-1) candidates by cosine, drop those under the threshold (when none
clears it, fall back to the unfiltered top-k), then pick k greedily by
    lambda * sim(query, d) - (1 - lambda) * max(sim(d, s) for s already picked).
Vectors are L2-normalised, so cosine is a dot product.
"""

from __future__ import annotations

import numpy as np


def nearest(query: np.ndarray, vectors: np.ndarray, count: int,
            exclude: set[int] = frozenset()) -> list[tuple[int, float]]:
    """Exact cosine search: the `count` best rows (row, similarity), `exclude` left out."""
    sims = vectors @ query
    order = np.argsort(-sims, kind="stable")
    out = []
    for i in order:
        if int(i) not in exclude:
            out.append((int(i), float(sims[i])))
            if len(out) == count:
                break
    return out


def mmr_pick(candidates: list[tuple[int, float]], vectors: np.ndarray, *, k: int = 3,
             threshold: float = 0.25, lam: float = 0.5) -> list[tuple[int, float]]:
    """Choose k of the fetched candidates (row, similarity), in pick order."""
    kept = [c for c in candidates if c[1] >= threshold]
    if not kept:
        return candidates[:k]
    chosen: list[tuple[int, float]] = []
    while kept and len(chosen) < k:
        def score(c: tuple[int, float]) -> float:
            redundancy = max((float(vectors[c[0]] @ vectors[j]) for j, _ in chosen), default=0.0)
            return lam * c[1] - (1 - lam) * redundancy
        best = max(kept, key=score)
        chosen.append(best)
        kept.remove(best)
    return chosen


def fetch_count(k: int, fetch_factor: int, n: int) -> int:
    """min(fetch_factor * k, n - 1): the paper leaves the query's own item out of n."""
    return max(0, min(fetch_factor * k, n - 1))
