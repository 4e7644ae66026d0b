"""Micro-batching in front of a blocking backend, for the bot's event loop.

Callers ``await score(text)``; a collector task gathers up to ``max_batch`` texts, waiting at most
``max_wait_ms`` after the first one, and runs ``backend.score(batch)`` in a worker thread, never on the
loop. The queue is bounded: when it is full ``score`` raises :class:`Overloaded` at once (never a
silent drop). When a batch fails, its halves are scored again, and so on down to single texts, so a
backend failure fails only the texts that cause it (each caller gets a ``ScoringError``) and their
batch-mates are still scored: a backend that fails on everything costs ``2n - 1`` calls for a batch
of ``n`` before each caller has its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

from bot.scoring.base import ScorerBackend, Scores, ScoringError

log = logging.getLogger(__name__)


class Overloaded(ScoringError):  # noqa: N818 - the name the bot and the brief use
    """The batcher's queue is full: the message was not scored (the caller decides what to do)."""

    def __init__(self, queue_depth: int, max_queue: int) -> None:
        self.queue_depth = queue_depth
        self.max_queue = max_queue
        super().__init__(
            f"scoring queue is full ({queue_depth}/{max_queue} waiting): message not scored, try later"
        )


class BatcherClosedError(ScoringError):
    """``score`` was called on a batcher that is not running (not started, or closed)."""


@dataclass(slots=True)
class _Item:
    text: str
    future: asyncio.Future[Scores]
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Collects texts into batches for ``backend.score``; see the module docstring."""

    def __init__(
        self,
        backend: ScorerBackend,
        *,
        max_batch: int = 32,
        max_wait_ms: float = 10,
        max_queue: int = 1024,
        executor: Executor | None = None,
        latency_window: int = 1024,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        if max_wait_ms < 0:
            raise ValueError("max_wait_ms must not be negative")
        self.backend = backend
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000
        self.max_queue = max_queue
        self._executor = executor
        self._own_executor = executor is None
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._accepting = False
        self._latencies: deque[float] = deque(maxlen=latency_window)
        self.scored_total = 0
        self.failed_total = 0
        self.rejected_total = 0
        self.batches_total = 0
        self.split_batches_total = 0
        """Failed backend calls that were split in two to find the text that fails."""

    # --- lifecycle -------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the collector task on the running loop (idempotent)."""
        if self._task is not None and not self._task.done():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warden-scorer")
            self._own_executor = True
        self._queue = asyncio.Queue(maxsize=self.max_queue)
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="warden-micro-batcher")

    async def close(self, drain: bool = True) -> None:
        """Stop accepting texts; with ``drain`` score what is queued first, else fail it with
        ``BatcherClosedError``. Waits for the collector and shuts down an executor the batcher created."""
        self._accepting = False
        task, queue = self._task, self._queue
        if task is not None and queue is not None and not task.done():
            if not drain:
                self._fail_queued(
                    queue, BatcherClosedError("scoring batcher closed before this message was scored")
                )
            await queue.put(_Item(text="", future=_SENTINEL_FUTURE))  # wake up and stop
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._own_executor and self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def __aenter__(self) -> MicroBatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- scoring ---------------------------------------------------------------------------------------
    async def score(self, text: str) -> Scores:
        """Scores for ``text``; raises ``Overloaded`` when the queue is full, ``ScoringError`` when the
        backend fails on this text (scored alone: a batch-mate's failure is not this text's)."""
        if not self._accepting or self._queue is None:
            raise BatcherClosedError("scoring batcher is not running (call start() first)")
        future: asyncio.Future[Scores] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Item(text=text, future=future))
        except asyncio.QueueFull:
            self.rejected_total += 1
            raise Overloaded(self._queue.qsize(), self.max_queue) from None
        return await future

    async def score_many(self, texts: list[str]) -> list[Scores]:
        """Score several texts (e.g. the chunks of one message) concurrently through the batcher."""
        return list(await asyncio.gather(*(self.score(text) for text in texts)))

    # --- stats -----------------------------------------------------------------------------------------
    @property
    def queue_depth(self) -> int:
        """Texts waiting to be batched."""
        return self._queue.qsize() if self._queue is not None else 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def latency_percentiles(self) -> dict[str, float]:
        """p50/p90/p99 (and max) of enqueue->result, in milliseconds, over the recent window."""
        if not self._latencies:
            return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "count": 0.0}
        ordered = sorted(self._latencies)

        def pick(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        return {
            "p50": pick(0.50),
            "p90": pick(0.90),
            "p99": pick(0.99),
            "max": ordered[-1] * 1000,
            "count": float(len(ordered)),
        }

    # --- internals -------------------------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        loop = asyncio.get_running_loop()
        stopping = False
        while not stopping:
            first = await queue.get()
            if first.future is _SENTINEL_FUTURE:
                break
            batch = [first]
            deadline = loop.time() + self.max_wait
            while len(batch) < self.max_batch:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                if item.future is _SENTINEL_FUTURE:
                    stopping = True  # score what we have, then stop (the queue before it is drained)
                    break
                batch.append(item)
            await self._run_batch(loop, batch)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
        live = [item for item in batch if not item.future.done()]  # cancelled callers are skipped
        if not live:
            return
        self.batches_total += 1
        await self._score_items(loop, live)

    async def _score_items(
        self, loop: asyncio.AbstractEventLoop, items: list[_Item], *, whole_batch: bool = True
    ) -> None:
        """One backend call for ``items``; when it fails, each half is scored on its own (recursively), so
        only a text the backend fails on alone gets the error."""
        texts = [item.text for item in items]
        try:
            results = await loop.run_in_executor(self._executor, self.backend.score, texts)
            if len(results) != len(texts):
                raise ScoringError(f"backend returned {len(results)} scores for {len(texts)} texts")
        except Exception as exc:
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
        for item, scores in zip(items, results, strict=True):
            if not item.future.done():
                item.future.set_result(scores)
            self._latencies.append(now - item.enqueued)
        self.scored_total += len(items)

    @staticmethod
    def _fail_queued(queue: asyncio.Queue[_Item], error: ScoringError) -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if item.future is not _SENTINEL_FUTURE and not item.future.done():
                item.future.set_exception(error)


class _Sentinel:
    """Marks the stop item in the queue (compared by identity)."""

    def done(self) -> bool:
        return True


_SENTINEL_FUTURE: asyncio.Future[Scores] = _Sentinel()  # type: ignore[assignment]
