"""MicroBatcher (issue 12, item 3): adaptive wait, batches shaped by length, a queue bounded by projected
wait; and the cost and arrival-rate estimates behind them.

The backends are test doubles held by a gate, so what is asserted is the batcher's choices (which texts
share a batch, what is refused), never how long anything took.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Sequence

import pytest

from bot.scoring import MicroBatcher, Overloaded, Scores
from bot.scoring.cost import ArrivalRate, BatchCost


class GatedBackend:
    """Records each batch; each call waits for the gate while it is closed."""

    name = "gated"
    model_version = "gated-1"

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.batches: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.batches.append(list(texts))
        self.gate.wait(10)
        return [Scores(toxicity=min(1.0, len(text) / 1000)) for text in texts]


def _sparse_history(batcher: MicroBatcher) -> None:
    """Ten arrivals in the last ten minutes, one a minute: the next text is not expected soon."""
    start = time.perf_counter() - 600
    for minute in range(10):
        batcher.arrivals.observe(start + 60 * minute)


async def _until(condition) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - set by the worker thread, no event to wait on
            await asyncio.sleep(0.001)


# --------------------------------------------------------------------------- estimates


def test_batch_cost_separates_overhead_from_per_item_cost() -> None:
    cost = BatchCost()
    for items in (1, 4, 16, 64, 8, 32):
        cost.observe(items, 0.005 + 0.002 * items)
    assert cost.overhead_s == pytest.approx(0.005)
    assert cost.per_item_s == pytest.approx(0.002)
    # 100 texts in calls of 32: 4 calls' overhead plus 100 texts
    assert cost.drain_seconds(100, 32) == pytest.approx(4 * 0.005 + 100 * 0.002)
    assert cost.drain_seconds(0, 32) == 0.0


def test_batch_cost_of_one_size_puts_the_cost_on_the_items() -> None:
    cost = BatchCost(initial_item_s=0.05)
    assert cost.drain_seconds(10, 4) == pytest.approx(0.5)  # the prior, before any call
    cost.observe(8, 0.08)
    cost.observe(8, 0.08)
    assert (cost.overhead_s, cost.per_item_s) == (0.0, pytest.approx(0.01))
    cost.observe(0, 1.0)  # nonsense is ignored
    cost.observe(3, float("nan"))
    assert cost.samples == 2


def test_arrival_rate_is_unknown_until_enough_arrivals() -> None:
    rate = ArrivalRate(min_arrivals=4)
    for moment in (0.0, 0.1, 0.2):
        rate.observe(moment)
    assert rate.mean_gap(0.2) is None
    rate.observe(0.3)
    assert rate.mean_gap(0.3) == pytest.approx(0.1)
    # silence since the last arrival counts: the stream slowed down
    assert rate.mean_gap(3.0) == pytest.approx(1.0)


# --------------------------------------------------------------------------- adaptive wait


async def test_a_lonely_text_is_not_held_once_arrivals_are_known_to_be_sparse() -> None:
    backend = GatedBackend()
    # 30 s of max wait: a text that waited for company would fail the timeout below
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=30_000) as batcher:
        _sparse_history(batcher)
        async with asyncio.timeout(10):
            await batcher.score("alone")
    assert backend.batches == [["alone"]]
    assert batcher.early_flushes_total == 1


async def test_texts_arriving_while_the_backend_is_busy_form_the_next_batch() -> None:
    backend = GatedBackend()
    backend.gate.clear()
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=30_000) as batcher:
        _sparse_history(batcher)
        first = asyncio.create_task(batcher.score("first"))
        await _until(lambda: backend.batches)
        rest = [asyncio.create_task(batcher.score(f"t{i}")) for i in range(5)]
        await _until(lambda: batcher.queue_depth == 5)
        backend.gate.set()
        async with asyncio.timeout(10):
            await asyncio.gather(first, *rest)
    assert backend.batches == [["first"], ["t0", "t1", "t2", "t3", "t4"]]


# --------------------------------------------------------------------------- shaped by length


async def test_waiting_texts_are_batched_with_neighbours_in_length() -> None:
    backend = GatedBackend()
    backend.gate.clear()
    lengths = [5, 400, 9, 300, 7, 350, 6, 380, 8, 320, 4, 390, 10, 310, 3, 360]
    async with MicroBatcher(backend, max_batch=4, max_wait_ms=0) as batcher:
        busy = asyncio.create_task(batcher.score("in the backend"))
        await _until(lambda: backend.batches)
        waiting = [asyncio.create_task(batcher.score("x" * n)) for n in lengths]
        await _until(lambda: batcher.queue_depth == len(lengths))
        backend.gate.set()
        results = await asyncio.gather(busy, *waiting)
    assert [r.toxicity for r in results[1:]] == [n / 1000 for n in lengths]  # each caller its own result
    batches = [[len(text) for text in batch] for batch in backend.batches[1:]]
    assert sorted(n for batch in batches for n in batch) == sorted(lengths)
    assert len(batches) == 4
    # the short texts share batches, the long ones too: no batch pads a 3-letter text to 400
    spans = sorted((min(batch), max(batch)) for batch in batches)
    for (_, high), (low, _) in itertools.pairwise(spans):
        assert high <= low
    # within a batch, arrival order
    for batch in batches:
        assert batch == sorted(batch, key=lengths.index)
    # the batch holding the oldest waiting text goes first
    assert lengths[0] in batches[0]
    assert batcher.shaped_windows_total == 1


async def test_a_later_text_never_overtakes_the_shaped_window() -> None:
    backend = GatedBackend()
    backend.gate.clear()
    async with MicroBatcher(backend, max_batch=2, max_wait_ms=0) as batcher:
        busy = asyncio.create_task(batcher.score("busy"))
        await _until(lambda: backend.batches)
        window = [asyncio.create_task(batcher.score("y" * n)) for n in (50, 1, 40, 2, 30, 3, 20, 4)]
        await _until(lambda: batcher.queue_depth == 8)
        # 4 batches of 2 = the whole window; one more text arrives after it
        late = asyncio.create_task(batcher.score("late"))
        await _until(lambda: batcher.queue_depth == 9)
        backend.gate.set()
        await asyncio.gather(busy, *window, late)
    assert backend.batches[-1] == ["late"]


# --------------------------------------------------------------------------- bounded by projected wait


async def test_a_text_that_would_wait_too_long_is_refused_at_once() -> None:
    backend = GatedBackend()
    backend.gate.clear()
    batcher = MicroBatcher(backend, max_batch=8, max_wait_ms=0, max_queue=10_000, max_projected_wait_ms=2000)
    batcher.cost.observe(10, 1.0)  # 0.1 s a text, as measured
    await batcher.start()
    try:
        busy = asyncio.create_task(batcher.score("busy"))
        await _until(lambda: backend.batches)
        admitted: list[asyncio.Task[Scores]] = []
        with pytest.raises(Overloaded) as refused:
            for n in range(100):
                admitted.append(asyncio.create_task(batcher.score(f"t{n}")))
                await asyncio.sleep(0)  # let it reach the queue (or be refused)
                if admitted[-1].done() and admitted[-1].exception() is not None:
                    raise admitted.pop().exception()  # type: ignore[misc]
        # about 2 s of work at 0.1 s a text, not the 100 a count bound of 10,000 would take
        assert 17 <= len(admitted) <= 20
        assert refused.value.projected_wait_s is not None and refused.value.projected_wait_s > 2.0
        assert refused.value.max_wait_s == 2.0
        assert "would take" in str(refused.value)
        assert batcher.rejected_total == 1
        assert not batcher.has_room()
    finally:
        backend.gate.set()
        await batcher.close()
    assert len(await asyncio.gather(busy, *admitted)) == len(admitted) + 1  # nothing admitted was lost
    assert batcher.queue_depth == 0


async def test_an_idle_batcher_takes_a_text_whatever_its_estimate() -> None:
    backend = GatedBackend()
    batcher = MicroBatcher(backend, max_batch=8, max_wait_ms=0, max_projected_wait_ms=100)
    batcher.cost.observe(1, 60.0)  # a first call that took a minute (a cold start)
    async with batcher:
        assert batcher.has_room()
        await batcher.score("x")  # not refused: only running something corrects the estimate
    assert batcher.rejected_total == 0
    assert batcher.cost.samples == 2


async def test_the_chunks_of_a_message_are_admitted_all_or_none() -> None:
    backend = GatedBackend()
    backend.gate.clear()
    batcher = MicroBatcher(backend, max_batch=8, max_wait_ms=0, max_projected_wait_ms=1000)
    batcher.cost.observe(10, 1.0)
    await batcher.start()
    try:
        busy = asyncio.create_task(batcher.score("busy"))
        await _until(lambda: backend.batches)
        small = asyncio.create_task(batcher.score_many(["a", "b", "c"]))
        await _until(lambda: batcher.queue_depth == 3)
        with pytest.raises(Overloaded):
            await batcher.score_many([f"chunk {n}" for n in range(8)])  # 0.8 s more: over 1 s
        assert batcher.queue_depth == 3  # none of its chunks was queued
        assert batcher.rejected_total == 8
    finally:
        backend.gate.set()
        await batcher.close()
    assert len(await small) == 3
    await busy


async def test_a_failing_chunk_fails_score_many_without_leaking_errors() -> None:
    class FailsOnBoom(GatedBackend):
        def score(self, texts: Sequence[str]) -> list[Scores]:
            if "boom" in texts:
                raise RuntimeError("no")
            return super().score(texts)

    async with MicroBatcher(FailsOnBoom(), max_batch=8, max_wait_ms=0) as batcher:
        with pytest.raises(Exception, match="no"):
            await batcher.score_many(["fine", "boom", "also fine"])
        assert await batcher.score_many([]) == []


def test_invalid_projected_wait() -> None:
    with pytest.raises(ValueError):
        MicroBatcher(GatedBackend(), max_projected_wait_ms=0)
