"""MicroBatcher: batching, max wait, overload, drain on close, errors, off-loop execution.

The backend here is a test double that records what it was asked: the batcher is under test.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from bot.scoring import MicroBatcher, Overloaded, Scores, ScoringError
from bot.scoring.batcher import BatcherClosedError


class RecordingBackend:
    name = "recording"
    model_version = "recording-1"

    def __init__(self, delay: float = 0.0, fail_on: str | None = None, gate: threading.Event | None = None):
        self.delay = delay
        self.fail_on = fail_on
        self.gate = gate
        self.batches: list[list[str]] = []
        self.threads: list[int] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.threads.append(threading.get_ident())
        self.batches.append(list(texts))
        if self.gate is not None:
            self.gate.wait(5)
        if self.delay:
            time.sleep(self.delay)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("model exploded")
        return [Scores(toxicity=min(1.0, len(text) / 100)) for text in texts]


async def _until(condition) -> None:
    """Yield to the loop until ``condition()`` holds (the collector reached a known point)."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - set by the worker thread, no event to wait on
            await asyncio.sleep(0.001)


async def test_batches_up_to_max_batch() -> None:
    backend = RecordingBackend()
    async with MicroBatcher(backend, max_batch=4, max_wait_ms=50) as batcher:
        results = await asyncio.gather(*(batcher.score("x" * i) for i in range(10)))
    assert [r.toxicity for r in results] == [i / 100 for i in range(10)]
    assert all(len(batch) <= 4 for batch in backend.batches)
    assert sum(len(batch) for batch in backend.batches) == 10
    assert max(len(batch) for batch in backend.batches) == 4
    assert batcher.scored_total == 10


async def test_max_wait_is_honoured_for_a_lonely_text() -> None:
    backend = RecordingBackend()
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=30) as batcher:
        started = time.perf_counter()
        await batcher.score("alone")
        elapsed = time.perf_counter() - started
    assert backend.batches == [["alone"]]
    assert elapsed >= 0.025  # it waited for company...
    assert elapsed < 2.0  # ...but not forever


async def test_texts_arriving_within_the_wait_share_a_batch() -> None:
    backend = RecordingBackend()
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=200) as batcher:
        first = asyncio.create_task(batcher.score("a"))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(batcher.score("b"))
        await asyncio.gather(first, second)
    assert backend.batches == [["a", "b"]]


async def test_overload_raises_instead_of_dropping() -> None:
    gate = threading.Event()
    backend = RecordingBackend(gate=gate)
    batcher = MicroBatcher(backend, max_batch=1, max_wait_ms=0, max_queue=2)
    await batcher.start()
    try:
        busy = asyncio.create_task(batcher.score("in flight"))
        await _until(lambda: backend.batches)  # the collector took it and is blocked in the backend
        queued = [asyncio.create_task(batcher.score(f"q{i}")) for i in range(2)]
        await _until(lambda: batcher.queue_depth == 2)
        with pytest.raises(Overloaded, match="queue is full") as info:
            await batcher.score("one too many")
        assert isinstance(info.value, ScoringError)
        assert info.value.max_queue == 2
        assert batcher.rejected_total == 1
    finally:
        gate.set()
        await batcher.close()
    assert (await busy).toxicity > 0
    assert len(await asyncio.gather(*queued)) == 2


async def test_close_drains_the_queue() -> None:
    backend = RecordingBackend(delay=0.01)
    batcher = MicroBatcher(backend, max_batch=2, max_wait_ms=5)
    await batcher.start()
    tasks = [asyncio.create_task(batcher.score(f"t{i}")) for i in range(7)]
    await asyncio.sleep(0)  # let them enqueue
    await batcher.close(drain=True)
    results = await asyncio.gather(*tasks)
    assert len(results) == 7
    assert sum(len(b) for b in backend.batches) == 7
    with pytest.raises(BatcherClosedError):
        await batcher.score("after close")


async def test_close_without_drain_fails_the_waiting_callers() -> None:
    gate = threading.Event()
    backend = RecordingBackend(gate=gate)
    batcher = MicroBatcher(backend, max_batch=1, max_wait_ms=0)
    await batcher.start()
    first = asyncio.create_task(batcher.score("first"))
    await _until(lambda: backend.batches)
    waiting = asyncio.create_task(batcher.score("waiting"))
    await _until(lambda: batcher.queue_depth == 1)
    closing = asyncio.create_task(batcher.close(drain=False))
    await asyncio.sleep(0.01)
    gate.set()
    await closing
    assert (await first).toxicity > 0
    with pytest.raises(BatcherClosedError):
        await waiting


async def test_backend_error_fails_only_the_failing_text() -> None:
    backend = RecordingBackend(fail_on="boom")
    async with MicroBatcher(backend, max_batch=2, max_wait_ms=50) as batcher:
        bad, mate = await asyncio.gather(batcher.score("boom"), batcher.score("x"), return_exceptions=True)
        good = await batcher.score("fine")
    assert isinstance(bad, ScoringError)
    assert "model exploded" in str(bad)
    assert isinstance(mate, Scores)  # its batch-mate is scored again on its own
    assert isinstance(good, Scores)
    assert backend.batches[:3] == [["boom", "x"], ["boom"], ["x"]]
    assert batcher.failed_total == 1
    assert batcher.scored_total == 2


async def test_runs_off_the_loop_thread() -> None:
    backend = RecordingBackend()
    async with MicroBatcher(backend) as batcher:
        await batcher.score("where am I")
    assert backend.threads
    assert threading.get_ident() not in backend.threads


async def test_cancelled_caller_does_not_break_the_batch() -> None:
    backend = RecordingBackend()
    async with MicroBatcher(backend, max_batch=8, max_wait_ms=100) as batcher:
        doomed = asyncio.create_task(batcher.score("doomed"))
        kept = asyncio.create_task(batcher.score("kept"))
        await asyncio.sleep(0.01)
        doomed.cancel()
        result = await kept
        with pytest.raises(asyncio.CancelledError):
            await doomed
    assert isinstance(result, Scores)
    assert backend.batches == [["kept"]]


async def test_latency_percentiles_and_stats() -> None:
    backend = RecordingBackend()
    batcher = MicroBatcher(backend, max_batch=4, max_wait_ms=1)
    assert batcher.latency_percentiles()["p50"] == 0.0
    async with batcher:
        await asyncio.gather(*(batcher.score(str(i)) for i in range(20)))
    stats = batcher.latency_percentiles()
    assert 0 < stats["p50"] <= stats["p99"] <= stats["max"]
    assert stats["count"] == 20
    assert batcher.queue_depth == 0


async def test_score_before_start_is_an_error() -> None:
    with pytest.raises(BatcherClosedError, match="start"):
        await MicroBatcher(RecordingBackend()).score("x")


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(RecordingBackend(), max_batch=0)
    with pytest.raises(ValueError):
        MicroBatcher(RecordingBackend(), max_queue=0)
