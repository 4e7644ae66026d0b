"""Re-scores waiting for the full model: degraded decisions made in a burst, decided again once it has room.

:class:`RescoreQueue` holds one entry per key (a message id), oldest first, and runs its ``rescore``
callback for them while ``ready()`` says the scorer front has room (the bot: the full model's projected
wait is below a quarter of its limit), at most ``max_in_flight`` at a time. It never holds the front
busy on its own: entries only start when ``ready()`` holds, and what they queue raises the projected
wait, so new messages keep their place. A callback that raises one of ``retry_on`` (the front refused
again: a new burst) puts its entry back at the head of the line. Between tries it waits on
``wait_ready()`` (the bot: until the full model finished its next batch; default: ``poll_s``), or for a
running callback to end: no timer ticks while it waits for the front.

Bounded: ``max_pending`` entries (a new key beyond that is refused and counted, never silently lost: its
degraded decision stays stored as it is), and an entry older than ``max_age_s`` is given up, logged.
Adding a key already waiting replaces its value (an edit while waiting: the newest text is re-scored)
and keeps its place. The drain task exists only while there is work, so an idle bot has no task
waiting on anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from bot.scoring.batcher import Overloaded

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RescoreQueue(Generic[K, V]):
    """Pending re-scores, drained while the scorer front has room (see the module docstring)."""

    def __init__(
        self,
        rescore: Callable[[V], Awaitable[object]],
        *,
        ready: Callable[[], bool],
        wait_ready: Callable[[], Awaitable[object]] | None = None,
        max_pending: int = 50_000,
        max_in_flight: int = 64,
        max_age_s: float = 600.0,
        poll_s: float = 0.05,
        retry_on: tuple[type[BaseException], ...] = (Overloaded,),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_pending < 1 or max_in_flight < 1:
            raise ValueError("max_pending and max_in_flight must be at least 1")
        if max_age_s <= 0 or poll_s <= 0:
            raise ValueError("max_age_s and poll_s must be positive")
        self._rescore = rescore
        self._ready = ready
        self._wait_ready = wait_ready or (lambda: asyncio.sleep(self.poll_s))
        self.max_pending = max_pending
        self.max_in_flight = max_in_flight
        self.max_age_s = max_age_s
        self.poll_s = poll_s
        self._retry_on = retry_on
        self._clock = clock
        self._pending: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._running: set[asyncio.Task[None]] = set()
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False
        self._refused = False
        self.added_total = 0
        self.rescored_total = 0
        self.retried_total = 0
        self.refused_total = 0
        """Keys refused because ``max_pending`` were waiting."""
        self.expired_total = 0
        """Entries given up after ``max_age_s``."""
        self.failed_total = 0
        """Callbacks that raised something else than ``retry_on`` (logged)."""

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, key: object) -> bool:
        return key in self._pending

    @property
    def pending(self) -> int:
        """Entries waiting (not counting those running)."""
        return len(self._pending)

    @property
    def in_flight(self) -> int:
        """Callbacks running now."""
        return len(self._running)

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing running."""
        return not self._pending and not self._running

    # ------------------------------------------------------------------ writing
    def add(self, key: K, value: V) -> bool:
        """Queue ``value`` for a re-score under ``key``; False (counted, logged) when ``max_pending`` wait.

        A key already waiting gets the new value and keeps its place and age."""
        if self._closed:
            return False
        if key in self._pending:
            _old, added = self._pending[key]
            self._pending[key] = (value, added)
            return True
        if len(self._pending) >= self.max_pending:
            self.refused_total += 1
            log.warning("re-score queue full (%d waiting): %s keeps its degraded decision", len(self), key)
            return False
        self._pending[key] = (value, self._clock())
        self.added_total += 1
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="warden-rescore-queue")
        return True

    def discard(self, key: K) -> bool:
        """Forget ``key``'s waiting entry (it was decided by the full model meanwhile)."""
        return self._pending.pop(key, None) is not None

    async def join(self) -> None:
        """Wait until nothing waits and nothing runs (returns at once when idle)."""
        while (drainer := self._drainer) is not None and not drainer.done():
            await asyncio.shield(drainer)

    async def close(self) -> int:
        """Stop starting re-scores (the running ones finish); returns how many were left waiting."""
        self._closed = True
        drainer, self._drainer = self._drainer, None
        if drainer is not None and not drainer.done():
            drainer.cancel()
            await asyncio.gather(drainer, return_exceptions=True)
        left = len(self._pending)
        if left:
            log.warning("%d degraded decision(s) were not re-scored before shutdown", left)
        return left

    # ------------------------------------------------------------------ draining
    async def _drain(self) -> None:
        done_before = (self.rescored_total, self.retried_total, self.expired_total, self.failed_total)
        while self._pending or self._running:
            if not self._pending or len(self._running) >= self.max_in_flight:
                await asyncio.wait(set(self._running), return_when=asyncio.FIRST_COMPLETED)
                continue
            if self._refused or not self._ready():
                self._refused = False  # refused although ready() said yes: wait for the front first
                await self._wait_ready()
                await asyncio.sleep(0)  # a wait that returned at once still lets the loop run
                continue
            key, (value, added) = self._pending.popitem(last=False)
            if self._clock() - added > self.max_age_s:
                self.expired_total += 1
                log.warning(
                    "gave up re-scoring %s after %.0f s: it keeps its degraded decision", key, self.max_age_s
                )
                continue
            task = asyncio.create_task(self._one(key, value, added), name=f"warden-rescore-{key}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            await asyncio.sleep(0)  # let it reach the front, so ready() counts it
        rescored, retried, expired, failed = (
            now - before
            for now, before in zip(
                (self.rescored_total, self.retried_total, self.expired_total, self.failed_total),
                done_before,
                strict=True,
            )
        )
        log.info(
            "re-score queue drained: %d re-scored, %d refused and retried, %d given up, %d failed",
            rescored,
            retried,
            expired,
            failed,
        )

    async def _one(self, key: K, value: V, added: float) -> None:
        try:
            await self._rescore(value)
        except self._retry_on:
            self.retried_total += 1
            self._refused = True
            if key not in self._pending and not self._closed:  # a newer value waits already: it goes
                self._pending[key] = (value, added)
                self._pending.move_to_end(key, last=False)
        except Exception:
            self.failed_total += 1
            log.exception("re-scoring %s failed", key)
        else:
            self.rescored_total += 1
