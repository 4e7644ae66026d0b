"""The "Report to moderators" rate limit: a sliding window of reports per member and server.

Plain Python (``cogs/modqueue`` asks it before filing a report); nothing here imports discord.py.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The rate limiter's answer: allowed, or how many seconds until the next report is."""

    allowed: bool
    retry_after: float = 0.0


class ReportRateLimiter:
    """A sliding window of at most ``limit`` reports per ``window`` seconds, per (guild, member).

    ``hit`` and ``peek`` take the server's own ``limit``/``window`` (the policy's ``[reports]``) and fall
    back to the limiter's defaults. In memory: a restart forgets the windows, which errs on the side of
    letting members report. ``clock`` defaults to ``time.monotonic`` looked up at call time.
    """

    def __init__(self, limit: int = 5, window: float = 3600.0, clock: Callable[[], float] | None = None):
        _check_limits(limit, window)
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[tuple[int, int], deque[float]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    def peek(
        self, guild_id: int, user_id: int, *, limit: int | None = None, window: float | None = None
    ) -> RateDecision:
        """Would a report be allowed now? Records nothing."""
        limit = self.limit if limit is None else limit
        window = self.window if window is None else window
        _check_limits(limit, window)
        now = self._now()
        key = (guild_id, user_id)
        hits = self._hits.get(key)
        if hits is None:
            return RateDecision(True)
        while hits and hits[0] <= now - window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return RateDecision(True)
        if len(hits) < limit:
            return RateDecision(True)
        return RateDecision(False, retry_after=max(0.0, hits[-limit] + window - now))

    def hit(
        self, guild_id: int, user_id: int, *, limit: int | None = None, window: float | None = None
    ) -> RateDecision:
        """Record a report if allowed; the answer says whether it was."""
        decision = self.peek(guild_id, user_id, limit=limit, window=window)
        if decision.allowed:
            self._hits.setdefault((guild_id, user_id), deque()).append(self._now())
        return decision

    def refund(self, guild_id: int, user_id: int) -> None:
        """Give back the latest hit (the report failed before it was filed)."""
        hits = self._hits.get((guild_id, user_id))
        if hits:
            hits.pop()


def _check_limits(limit: int, window: float) -> None:
    if limit < 1 or window <= 0:
        raise ValueError("limit must be >= 1 and window > 0")


def rate_limit_message(retry_after: float) -> str:
    """The polite refusal for a member over the report limit."""
    minutes = max(1, round(retry_after / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Thanks for helping keep the server friendly. You have sent several reports recently; "
        f"please try again in about {minutes} {unit}. Moderators are already looking at the queue."
    )
