"""The one percentile definition Warden reports with: ``/warden status``, the scorer front's stats and
the benchmarks all mean the same thing by p50 and p99.

Linear interpolation between the closest ranks (numpy's default ``linear`` method, and
``statistics.quantiles(..., method="inclusive")``): the ``q``-th percentile of ``n`` sorted values sits at
position ``q / 100 * (n - 1)``; between two values it is interpolated. So p0 is the minimum, p100 the
maximum, p50 the median, and one value is every percentile of itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

__all__ = ["percentile", "percentiles"]


def _at(ordered: Sequence[float], q: float) -> float:
    if not 0 <= q <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {q}")
    position = q / 100 * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def percentiles(values: Iterable[float], qs: Iterable[float]) -> list[float]:
    """The ``qs``-th percentiles (each 0-100) of ``values``, sorting them once. Raises ``ValueError``
    for no values (the caller says what an empty window shows)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values to take a percentile of")
    return [_at(ordered, q) for q in qs]


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` (see the module docstring)."""
    return percentiles(values, (q,))[0]
