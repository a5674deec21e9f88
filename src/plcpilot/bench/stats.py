"""Statistics of the FX-IL RAG benchmark's protocol: Wilson intervals, unbiased Pass@k, paired
one-sided Wilcoxon signed-rank tests (scipy), means with standard deviations."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from plcpilot.errors import needs_extra


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """(rate, low, high): the 95 % Wilson score interval, sound at 0 % and 100 % too."""
    if n == 0:
        return (0.0, 0.0, 0.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # clamp rounding: at 0 % and 100 % the bound meets the rate exactly
    return (p, min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased Pass@k from n samples with c correct (Chen et al. 2021): 1 - C(n-c,k)/C(n,k)."""
    if k > n:
        raise ValueError(f"Pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod((n - c - i) / (n - i) for i in range(k))


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    values = [v for v in values if v is not None]
    if not values:
        return (float("nan"), float("nan"))
    return (statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0)


def wilcoxon_greater(a: Sequence[float], b: Sequence[float]) -> dict[str, float | int | None]:
    """One-sided paired Wilcoxon signed-rank: is `a` greater than `b`? (zero differences are
    dropped, as scipy's default `wilcox` zero method does)."""
    try:
        from scipy.stats import wilcoxon
    except ImportError:
        raise needs_extra("the Wilcoxon test", "bench", "scipy") from None

    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    diffs = [x - y for x, y in pairs]
    n = sum(1 for d in diffs if d != 0)
    if n == 0:
        return {"n": len(pairs), "nonzero": 0, "statistic": None, "p": None}
    result = wilcoxon([x for x, _ in pairs], [y for _, y in pairs], alternative="greater")
    return {"n": len(pairs), "nonzero": n, "statistic": float(result.statistic),
            "p": float(result.pvalue)}
