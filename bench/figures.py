"""Order statistics the benches print, computed one way for all of them."""
from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `fraction` of all values at or below it.
    Of 10 lags the 99th percentile is the worst one; of 400 latencies it is the 396th smallest."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    return ordered[max(math.ceil(fraction * len(ordered) - 1e-9), 1) - 1]
