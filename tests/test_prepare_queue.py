"""BatchedPrepare: ``prepare`` off the event loop, one worker-thread call per batch of waiting texts."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.moderation.prepare_queue import BatchedPrepare
from bot.pipeline import PreparedText, prepare


async def test_each_text_gets_its_own_preparation_in_order() -> None:
    texts = [f"message {n}: you **idiot**" if n % 3 == 0 else f"hello {n}" for n in range(50)]
    batched = BatchedPrepare(max_batch=8)
    results = await asyncio.gather(*(batched(text) for text in texts))
    assert results == [prepare(text) for text in texts]
    assert batched.waiting == 0


async def test_texts_that_arrive_while_a_call_runs_share_the_next_call() -> None:
    gate = threading.Event()
    threads: set[str] = set()

    def slow_prepare(text: str) -> PreparedText:
        threads.add(threading.current_thread().name)
        if text == "first":
            gate.wait(10)
        return prepare(text)

    batched = BatchedPrepare(max_batch=4, prepare_one=slow_prepare)
    first = asyncio.create_task(batched("first"))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(batched(f"text {n}")) for n in range(6)]
    await asyncio.sleep(0.05)
    assert batched.waiting == 6 and not first.done()  # queued behind the running call
    gate.set()
    await first
    await asyncio.gather(*rest)
    assert batched.calls_total == 3  # "first" alone, then 4 and 2 of the others
    assert threading.current_thread().name not in threads  # never on the event loop's thread


async def test_a_text_that_makes_prepare_raise_fails_alone() -> None:
    def picky(text: str) -> PreparedText:
        if text == "bad":
            raise ValueError("cannot prepare this")
        return prepare(text)

    batched = BatchedPrepare(prepare_one=picky)
    good, bad, other = await asyncio.gather(
        batched("good"), batched("bad"), batched("other"), return_exceptions=True
    )
    assert isinstance(bad, ValueError)
    assert good == prepare("good") and other == prepare("other")


async def test_no_task_is_left_once_the_queue_is_empty() -> None:
    batched = BatchedPrepare()
    await batched("hello")
    await asyncio.sleep(0)
    names = {task.get_name() for task in asyncio.all_tasks()}
    assert "warden-prepare" not in names


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        BatchedPrepare(max_batch=0)
