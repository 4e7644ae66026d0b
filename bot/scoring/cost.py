"""What the micro-batcher knows about time: the backend's cost per batch and the texts' arrival rate.

:class:`BatchCost` fits ``seconds = overhead + per_item * n`` to the recent backend calls, so the
batcher can tell how long the texts already waiting will take (and refuse a text that would wait too
long) before it runs them. :class:`ArrivalRate` is the mean gap between recent arrivals, so the
batcher can tell whether waiting for company is worth it. Both are plain arithmetic over small windows;
neither reads the clock itself.
"""

from __future__ import annotations

import math
from collections import deque


class BatchCost:
    """A least-squares fit of ``seconds = overhead + per_item * n`` over the last ``window`` calls.

    Before the first call (or while every call had the same size) the fit cannot separate the two
    terms: all of the cost is put on the items (``initial_item_s`` before the first call), which
    over-estimates larger batches, so the projection errs on the side of refusing early.
    """

    def __init__(self, *, window: int = 64, initial_item_s: float = 0.010) -> None:
        if window < 2:
            raise ValueError("window must be at least 2")
        if initial_item_s <= 0:
            raise ValueError("initial_item_s must be positive")
        self._samples: deque[tuple[int, float]] = deque(maxlen=window)
        self._initial_item_s = initial_item_s
        self._fit: tuple[float, float] = (0.0, initial_item_s)

    def observe(self, items: int, seconds: float) -> None:
        """Record one backend call of ``items`` texts that took ``seconds``."""
        if items < 1 or not math.isfinite(seconds) or seconds < 0:
            return
        self._samples.append((items, seconds))
        self._fit = self._refit()

    @property
    def samples(self) -> int:
        """Backend calls in the window."""
        return len(self._samples)

    @property
    def overhead_s(self) -> float:
        """The fitted fixed cost of one backend call."""
        return self._fit[0]

    @property
    def per_item_s(self) -> float:
        """The fitted cost of one more text in a call."""
        return self._fit[1]

    def batch_seconds(self, items: int) -> float:
        """Predicted duration of one call of ``items`` texts."""
        return self._fit[0] + self._fit[1] * items if items > 0 else 0.0

    def drain_seconds(self, items: int, max_batch: int) -> float:
        """Predicted time to score ``items`` waiting texts in calls of at most ``max_batch``."""
        if items <= 0:
            return 0.0
        calls = math.ceil(items / max_batch)
        return calls * self._fit[0] + items * self._fit[1]

    def _refit(self) -> tuple[float, float]:
        samples = self._samples
        count = len(samples)
        mean_n = sum(n for n, _ in samples) / count
        mean_t = sum(t for _, t in samples) / count
        spread = sum((n - mean_n) ** 2 for n, _ in samples)
        if spread > 0:
            slope = sum((n - mean_n) * (t - mean_t) for n, t in samples) / spread
            intercept = mean_t - slope * mean_n
            if slope > 0 and intercept >= 0:
                return intercept, slope
        # one size only, or a fit that makes no sense (noise on a loaded machine): cost per text
        per_item = sum(t for _, t in samples) / sum(n for n, _ in samples)
        return 0.0, max(per_item, 1e-6)


class ArrivalRate:
    """The mean gap between the last ``window`` arrivals; unknown until ``min_arrivals`` were seen."""

    def __init__(self, *, window: int = 32, min_arrivals: int = 8) -> None:
        if min_arrivals < 2 or window < min_arrivals:
            raise ValueError("need 2 <= min_arrivals <= window")
        self._times: deque[float] = deque(maxlen=window)
        self._min_arrivals = min_arrivals

    def observe(self, moment: float) -> None:
        """Record one arrival at ``moment`` (a monotonic clock, seconds)."""
        self._times.append(moment)

    def mean_gap(self, now: float) -> float | None:
        """Seconds between arrivals lately, counting the silence since the last one; ``None`` while
        fewer than ``min_arrivals`` arrivals were seen (a rate from two or three gaps is noise)."""
        times = self._times
        if len(times) < self._min_arrivals:
            return None
        span = max(now, times[-1]) - times[0]
        return span / (len(times) - 1)
