"""``prepare`` for many messages off the event loop, one worker-thread call per batch.

Preparing a message runs regular expressions over up to 4,000 characters, so it never runs on the event
loop. One ``asyncio.to_thread`` per message costs the loop more than preparing a chat line does (a
future, an executor hand-off and a wake-up, 100-200 us on 2 busy cores against about 120 us for the
preparation itself), and in a raid that hand-off is what stops the lexical tier from answering every
message in time (docs/benchmarks.md). :class:`BatchedPrepare` queues the texts and hands them to a
worker thread together: one call for whatever arrived while the previous call ran, at most
``max_batch`` texts a call. It keeps arrival order, and a text that makes ``prepare`` raise fails alone.
Its drain task exists only while there is work, so an idle bot has no task waiting on anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

from bot.pipeline import PreparedText, prepare

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH = 128


def _prepare_all(
    texts: list[str], prepare_one: Callable[[str], PreparedText]
) -> list[PreparedText | BaseException]:
    """Each text's preparation, or the exception it raised (a worker-thread call)."""
    results: list[PreparedText | BaseException] = []
    for text in texts:
        try:
            results.append(prepare_one(text))
        except Exception as error:  # returned to that text's caller alone
            results.append(error)
    return results


class BatchedPrepare:
    """Awaitable ``prepare`` batched into worker-thread calls (see the module docstring)."""

    def __init__(
        self, *, max_batch: int = DEFAULT_MAX_BATCH, prepare_one: Callable[[str], PreparedText] = prepare
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.max_batch = max_batch
        self._prepare_one = prepare_one
        self._waiting: deque[tuple[str, asyncio.Future[PreparedText]]] = deque()
        self._drainer: asyncio.Task[None] | None = None
        self.calls_total = 0
        """Worker-thread calls made (fewer than texts prepared once messages arrive together)."""

    @property
    def waiting(self) -> int:
        """Texts queued for the next call."""
        return len(self._waiting)

    async def __call__(self, text: str) -> PreparedText:
        """``prepare(text)``, computed in a worker thread together with the texts queued beside it."""
        future: asyncio.Future[PreparedText] = asyncio.get_running_loop().create_future()
        self._waiting.append((text, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="warden-prepare")
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            count = min(len(self._waiting), self.max_batch)
            batch = [self._waiting.popleft() for _ in range(count)]
            live = [(text, future) for text, future in batch if not future.done()]
            if not live:
                continue
            self.calls_total += 1
            try:
                results = await asyncio.to_thread(_prepare_all, [text for text, _ in live], self._prepare_one)
            except asyncio.CancelledError:  # shutting down: nobody waits in vain
                for _text, future in [*live, *self._waiting]:
                    future.cancel()
                self._waiting.clear()
                raise
            except Exception as error:  # the worker call itself failed (not one text): this batch fails
                log.exception("preparing a batch of %d texts failed", len(live))
                results = [error] * len(live)
            for (_text, future), result in zip(live, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
