"""Micro-batching in front of a blocking backend, for the bot's event loop.

Callers ``await score(text)`` (or ``score_many(texts)``, admitted all or none); one collector task
hands batches of at most ``max_batch`` texts to ``backend.score`` in a worker thread, never on the loop,
one batch at a time: texts that arrive while the backend is busy form the next batch.

**Adaptive wait.** When the backend is idle and fewer than ``max_batch`` texts wait, the collector
waits for company only when it helps: while the arrival rate is unknown (fewer than 8 texts seen) it
waits up to ``max_wait_ms`` after the first text arrived; once it is known, it flushes at once when the
next text is not expected within that time, and otherwise waits at most two mean gaps for it. A text
that already waited ``max_wait_ms`` (the backend was busy) is never held back further.

**Batches shaped by length.** When more than ``max_batch`` texts wait, the oldest ``4 * max_batch``
are sorted by length and cut into balanced batches of neighbours, run oldest batch first, so a long
text does not make a batch of short ones pad to its length; every text of that window is scored before
any text that arrived after it. Within a batch the texts keep their arrival order.

**Bounded by projected wait.** :class:`~bot.scoring.cost.BatchCost` fits the cost of recent backend
calls; with ``max_projected_wait_ms`` set, a text whose projected wait (the batch in the backend, every
text ahead of it, and itself) exceeds it is refused at once with :class:`Overloaded` (never a silent
drop), so a caller can answer another way instead of waiting. An idle batcher takes any text (a
too-high estimate is corrected by the next call instead of refusing everything). ``max_queue``
remains as a hard cap on the number of waiting texts (memory), ``Overloaded`` too.

**Yielding to a more urgent batcher.** ``yield_to`` (an async callable, default none) is awaited
before each backend call, with the chosen batch counted as waiting: the bot's front makes the full model
wait there while the lexical tier has a backlog, so in a burst the cheap answers are not starved of CPU
by the expensive ones, and gives up there the texts that waited past their deadline.

**A text fails alone.** When a batch fails, its halves are scored again, and so on down to single
texts, so a backend failure fails only the texts that cause it (each caller gets a ``ScoringError``)
and their batch-mates are still scored: a backend that fails on everything costs ``2n - 1`` calls for a
batch of ``n`` before each caller has its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from bot.percentiles import percentiles
from bot.scoring.base import ScoringError
from bot.scoring.cost import ArrivalRate, BatchCost
from bot.scoring.overload import BatcherClosedError, Overloaded

log = logging.getLogger(__name__)

__all__ = ["BatchBackend", "BatcherClosedError", "MicroBatcher", "Overloaded"]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class BatchBackend(Protocol[T_co]):
    """What the batcher needs of a backend: a blocking ``score`` with one result per text, in order."""

    def score(self, texts: list[str], /) -> Sequence[T_co]: ...


SHAPE_WINDOW_BATCHES = 4
"""How many batches' worth of the oldest waiting texts are sorted by length together."""

ROOM_SHARE = 0.25
"""The batcher has room for deferred work (re-scores) while what waits is under this share of its bound."""


_sequence = itertools.count()


@dataclass(slots=True)
class _Item(Generic[T]):
    text: str
    future: asyncio.Future[T]
    enqueued: float = field(default_factory=time.perf_counter)
    seq: int = field(default_factory=lambda: next(_sequence))
    deadline: float | None = None
    """``perf_counter`` time after which it is given up while the collector yields (:meth:`shed_expired`)."""


class MicroBatcher(Generic[T]):
    """Collects texts into batches for ``backend.score``; see the module docstring.

    ``backend`` is any object whose blocking ``score(texts)`` returns one result per text (a
    :class:`~bot.scoring.base.ScorerBackend` returns ``Scores``). ``max_projected_wait_ms=None`` (the
    default) bounds the queue by ``max_queue`` only; the bot's front sets it (:mod:`bot.scoring.front`).
    """

    def __init__(
        self,
        backend: BatchBackend[T],
        *,
        max_batch: int = 32,
        max_wait_ms: float = 10,
        max_queue: int = 1024,
        max_projected_wait_ms: float | None = None,
        executor: Executor | None = None,
        latency_window: int = 1024,
        initial_item_ms: float = 10.0,
        yield_to: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must not be negative")
        if max_projected_wait_ms is not None and max_projected_wait_ms <= 0:
            raise ValueError("max_projected_wait_ms must be positive (or None)")
        self.backend: Any = backend
        """The backend as given: callers read its other members (a ``ScorerBackend``'s name, version)."""
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self.max_projected_wait = None if max_projected_wait_ms is None else max_projected_wait_ms / 1000
        self._executor = executor
        self._own_executor = executor is None
        self._pending: deque[_Item[T]] = deque()
        self._planned: deque[list[_Item[T]]] = deque()
        self._held: list[_Item[T]] = []
        """The next batch, chosen and waiting on ``yield_to``."""
        self.yield_to = yield_to
        """Awaited before each backend call (see the module docstring)."""
        self._wake: asyncio.Event | None = None
        self._progress: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._accepting = False
        self._closing = False
        self._in_flight: tuple[int, float] | None = None
        self._latencies: deque[float] = deque(maxlen=latency_window)
        self.cost = BatchCost(initial_item_s=initial_item_ms / 1000)
        """The fitted cost of a backend call (drives the projected wait)."""
        self.arrivals = ArrivalRate()
        self.scored_total = 0
        self.failed_total = 0
        self.rejected_total = 0
        """Texts refused with ``Overloaded``."""
        self.expired_total = 0
        """Texts given up at their deadline before the backend took them (``score_many(deadline_s=)``)."""
        self.batches_total = 0
        self.split_batches_total = 0
        """Failed backend calls that were split in two to find the text that fails."""
        self.early_flushes_total = 0
        """Batches sent before ``max_wait_ms`` because no other text was expected in time."""
        self.shaped_windows_total = 0
        """Times the waiting texts were sorted by length into several batches."""

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the collector task on the running loop (idempotent)."""
        if self._task is not None and not self._task.done():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warden-scorer")
            self._own_executor = True
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()
        self._closing = False
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="warden-micro-batcher")

    async def close(self, drain: bool = True) -> None:
        """Stop accepting texts; with ``drain`` score what is queued first, else fail it with
        ``BatcherClosedError``. Waits for the collector and shuts down an executor the batcher created."""
        self._accepting = False
        task = self._task
        if task is not None and not task.done():
            if not drain:
                self._fail_queued(BatcherClosedError("scoring batcher closed before this message was scored"))
            self._closing = True
            assert self._wake is not None
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._signal_progress()
        if self._own_executor and self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def __aenter__(self) -> MicroBatcher[T]:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- scoring ---------------------------------------------------------------------------------------
    async def score(self, text: str) -> T:
        """The backend's result for ``text``; raises ``Overloaded`` when it cannot be taken in time,
        ``ScoringError`` when the backend fails on this text (scored alone: a batch-mate's failure is
        not this text's)."""
        (future,) = self._admit([text])
        return await future

    async def score_many(self, texts: Sequence[str], *, deadline_s: float | None = None) -> list[T]:
        """Results for several texts (e.g. the chunks of one message), admitted together: either all are
        queued or ``Overloaded`` is raised and none is. Raises the first text's error when one fails.

        With ``deadline_s``, a text still waiting that long after admission while the collector is
        held by ``yield_to`` is given up (:meth:`shed_expired`: ``Overloaded``, and the collector skips
        it), so the caller can answer another way; a text in the backend's hands is always answered."""
        if not texts:
            return []
        futures = self._admit(list(texts), deadline_s=deadline_s)
        results = await asyncio.gather(*futures, return_exceptions=True)
        scored: list[T] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result
            scored.append(result)
        return scored

    def projected_wait_s(self, extra: int = 0) -> float:
        """Seconds until ``extra`` more texts queued now would be scored: what is left of the batch in the
        backend, plus every waiting text, plus them (from :attr:`cost`)."""
        running = 0.0
        if self._in_flight is not None:
            items, started = self._in_flight
            running = max(0.0, self.cost.batch_seconds(items) - (time.perf_counter() - started))
        return running + self.cost.drain_seconds(self.queue_depth + extra, self.max_batch)

    async def progressed(self) -> None:
        """Return once the backend finished its next call (at once when the batcher is idle or stopped):
        a waiter for :meth:`has_room` needs no timer."""
        progress = self._progress
        if progress is None or self.idle or not self.running:
            return
        await progress.wait()

    def has_room(self) -> bool:
        """Whether deferred work (re-scores) may be queued now without crowding new texts out: the
        projected wait is under :data:`ROOM_SHARE` of ``max_projected_wait_ms``, or within it while
        less than one full batch waits (so deferred work runs in full batches whatever the bound;
        without a bound: the waiting texts under that share of ``max_queue``, or one batch)."""
        if self.idle:
            return True
        waiting = self.queue_depth
        if self.max_projected_wait is None:
            return waiting < max(self.max_batch, ROOM_SHARE * self.max_queue)
        projected = self.projected_wait_s(extra=1)
        if projected <= ROOM_SHARE * self.max_projected_wait:
            return True
        return waiting < self.max_batch and projected <= self.max_projected_wait

    # --- stats -----------------------------------------------------------------------------------------
    @property
    def queue_depth(self) -> int:
        """Texts waiting to be batched (not counting the batch in the backend)."""
        return len(self._pending) + sum(len(batch) for batch in self._planned) + len(self._held)

    @property
    def yielding(self) -> bool:
        """A batch is chosen and held on ``yield_to`` (another batcher goes first)."""
        return bool(self._held)

    @property
    def busy(self) -> bool:
        """A batch is in the backend."""
        return self._in_flight is not None

    @property
    def idle(self) -> bool:
        """Nothing in the backend and nothing waiting."""
        return self._in_flight is None and not self._pending and not self._planned and not self._held

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def latency_percentiles(self) -> dict[str, float]:
        """p50/p90/p99 (:func:`bot.percentiles.percentile`) and max of enqueue->result, in milliseconds,
        over the recent window (all 0 before the first text)."""
        if not self._latencies:
            return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "count": 0.0}
        p50, p90, p99, top = percentiles(self._latencies, (50, 90, 99, 100))
        return {
            "p50": p50 * 1000,
            "p90": p90 * 1000,
            "p99": p99 * 1000,
            "max": top * 1000,
            "count": float(len(self._latencies)),
        }

    # --- admission -------------------------------------------------------------------------------------
    def _admit(self, texts: list[str], *, deadline_s: float | None = None) -> list[asyncio.Future[T]]:
        if not self._accepting or self._wake is None:
            raise BatcherClosedError("scoring batcher is not running (call start() first)")
        depth = self.queue_depth
        if depth + len(texts) > self.max_queue:
            self.rejected_total += len(texts)
            raise Overloaded(depth, self.max_queue)
        # An idle batcher always takes the texts: nothing can be faster than now, and a cost estimate
        # that is stale or too high (a slow first call) is only corrected by running something.
        if self.max_projected_wait is not None and not self.idle:
            projected = self.projected_wait_s(extra=len(texts))
            if projected > self.max_projected_wait:
                self.rejected_total += len(texts)
                raise Overloaded(
                    depth, self.max_queue, projected_wait_s=projected, max_wait_s=self.max_projected_wait
                )
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        futures: list[asyncio.Future[T]] = []
        for text in texts:
            future: asyncio.Future[T] = loop.create_future()
            deadline = None if deadline_s is None else now + deadline_s
            item = _Item(text=text, future=future, enqueued=now, deadline=deadline)
            self._pending.append(item)
            self.arrivals.observe(now)
            futures.append(future)
        self._wake.set()
        return futures

    def shed_expired(self) -> int:
        """Give up every waiting text whose deadline passed (``Overloaded`` to its caller); how many.

        Called by a ``yield_to`` while it holds the collector (the batch it holds included)."""
        now = time.perf_counter()
        shed = 0
        planned = itertools.chain.from_iterable(self._planned)
        waiting = itertools.chain(self._pending, planned, self._held)
        for item in waiting:
            if item.deadline is not None and item.deadline <= now and not item.future.done():
                waited, bound = now - item.enqueued, item.deadline - item.enqueued
                item.future.set_exception(
                    Overloaded(self.queue_depth, self.max_queue, projected_wait_s=waited, max_wait_s=bound)
                )
                shed += 1
        self.expired_total += shed
        return shed

    # --- the collector ---------------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._next_batch()
            if batch is None:
                return
            if self.yield_to is not None:
                self._held = batch
                try:
                    await self.yield_to()
                finally:
                    self._held = []
            await self._run_batch(loop, batch)

    async def _next_batch(self) -> list[_Item[T]] | None:
        """The next batch to run (the backend is idle now); ``None`` once closing and nothing waits."""
        if self._planned:
            return self._planned.popleft()
        wake = self._wake
        assert wake is not None
        while not self._pending:
            if self._closing:
                return None
            wake.clear()
            await wake.wait()
        if len(self._pending) < self.max_batch and not self._closing:
            await self._wait_for_company(wake)
        if len(self._pending) > self.max_batch:
            self._plan_by_length()
            return self._planned.popleft()
        batch = list(self._pending)
        self._pending.clear()
        return batch

    async def _wait_for_company(self, wake: asyncio.Event) -> None:
        """Hold a short batch while more texts are expected within ``max_wait`` of the oldest's arrival."""
        deadline = self._pending[0].enqueued + self.max_wait
        while len(self._pending) < self.max_batch and not self._closing:
            now = time.perf_counter()
            remaining = deadline - now
            if remaining <= 0:
                return
            gap = self.arrivals.mean_gap(now)
            if gap is not None and gap > remaining:
                self.early_flushes_total += 1  # nobody is expected in time: do not make them wait
                return
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), remaining if gap is None else min(remaining, 2 * gap))
            except TimeoutError:
                if gap is not None:
                    self.early_flushes_total += 1  # the expected text did not come
                    return

    def _plan_by_length(self) -> None:
        """Sort the oldest waiting texts by length and cut them into balanced batches of neighbours."""
        size = min(len(self._pending), SHAPE_WINDOW_BATCHES * self.max_batch)
        window = [self._pending.popleft() for _ in range(size)]
        calls = math.ceil(size / self.max_batch)
        per_call = math.ceil(size / calls)
        by_length = sorted(window, key=lambda item: (len(item.text), item.seq))
        groups = [
            sorted(by_length[start : start + per_call], key=lambda item: item.seq)
            for start in range(0, size, per_call)
        ]
        groups.sort(key=lambda group: group[0].seq)  # the batch holding the oldest text goes first
        self._planned.extend(groups)
        self.shaped_windows_total += 1

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Item[T]]) -> None:
        live = [item for item in batch if not item.future.done()]  # cancelled or given-up texts are skipped
        if not live:
            self._signal_progress()  # the queue shrank: a waiter for room must look again
            return
        self.batches_total += 1
        try:
            await self._score_items(loop, live)
        finally:
            self._signal_progress()

    def _signal_progress(self) -> None:
        """Wake every :meth:`progressed` waiter (each wait is for the next call after it started)."""
        if self._progress is not None:
            self._progress.set()
            self._progress = asyncio.Event()

    async def _score_items(
        self, loop: asyncio.AbstractEventLoop, items: list[_Item[T]], *, whole_batch: bool = True
    ) -> None:
        """One backend call for ``items``; when it fails, each half is scored on its own (recursively), so
        only a text the backend fails on alone gets the error."""
        texts = [item.text for item in items]
        started = time.perf_counter()
        self._in_flight = (len(texts), started)
        try:
            results = await loop.run_in_executor(self._executor, self.backend.score, texts)
            if len(results) != len(texts):
                raise ScoringError(f"backend returned {len(results)} scores for {len(texts)} texts")
        except Exception as exc:
            self._in_flight = None
            if len(items) > 1:
                self.split_batches_total += 1
                log.log(
                    logging.WARNING if whole_batch else logging.DEBUG,
                    "scoring a batch of %d texts failed (%s); scoring its halves apart",
                    len(items),
                    type(exc).__name__,
                )
                middle = len(items) // 2
                for half in (items[:middle], items[middle:]):
                    still_waiting = [item for item in half if not item.future.done()]
                    if still_waiting:
                        await self._score_items(loop, still_waiting, whole_batch=False)
                return
            error = exc if isinstance(exc, ScoringError) else ScoringError(f"scoring failed: {exc!r}")
            if error is not exc:
                error.__cause__ = exc
            self.failed_total += 1
            if not items[0].future.done():
                items[0].future.set_exception(error)
            return
        now = time.perf_counter()
        self._in_flight = None
        self.cost.observe(len(texts), now - started)
        for item, result in zip(items, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)
            self._latencies.append(now - item.enqueued)
        self.scored_total += len(items)

    def _fail_queued(self, error: ScoringError) -> None:
        waiting = [*self._pending, *itertools.chain.from_iterable(self._planned), *self._held]
        self._pending.clear()
        self._planned.clear()
        for item in waiting:
            if not item.future.done():
                item.future.set_exception(error)
