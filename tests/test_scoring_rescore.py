"""RescoreQueue (issue 12, item 4): degraded messages wait for the full model, which decides them again
once the front has room; bounded, deduplicated, retried when refused, never busy while idle."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.scoring import Overloaded
from bot.scoring.rescore import RescoreQueue


class Recorder:
    """A re-score callback: records values; raises ``Overloaded`` while ``refusing`` is above zero."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.refusing = 0
        self.running = 0
        self.most_running = 0
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, value: str) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            await self.release.wait()
            if value == "explode":
                raise RuntimeError("boom")
            if self.refusing:
                self.refusing -= 1
                raise Overloaded(1, 1)
            self.done.append(value)
        finally:
            self.running -= 1


async def _until(condition) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the queue's own task changes it
            await asyncio.sleep(0.001)


async def test_nothing_starts_until_the_front_has_room_then_everything_in_order() -> None:
    recorder, room = Recorder(), {"now": False}
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: room["now"], poll_s=0.001)
    for n in range(5):
        assert queue.add(n, f"m{n}")
    await asyncio.sleep(0.05)
    assert recorder.done == [] and queue.pending == 5
    room["now"] = True
    await _until(lambda: queue.idle)
    assert recorder.done == [f"m{n}" for n in range(5)]
    assert queue.rescored_total == 5 and queue.added_total == 5
    async with asyncio.timeout(10):
        await queue.join()  # the drain task ends: no task waits on anything while idle


async def test_adding_a_waiting_key_keeps_its_place_with_the_newest_value() -> None:
    recorder, room = Recorder(), {"now": False}
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: room["now"], poll_s=0.001)
    queue.add(1, "first text")
    queue.add(2, "other")
    queue.add(1, "edited text")
    assert len(queue) == 2 and 1 in queue
    assert queue.discard(2) and not queue.discard(2)
    room["now"] = True
    await _until(lambda: queue.idle)
    assert recorder.done == ["edited text"]
    assert queue.added_total == 2


async def test_a_full_queue_refuses_new_keys_and_counts_them(caplog: pytest.LogCaptureFixture) -> None:
    queue: RescoreQueue[int, str] = RescoreQueue(Recorder(), ready=lambda: False, max_pending=2)
    assert queue.add(1, "a") and queue.add(2, "b")
    with caplog.at_level(logging.WARNING, logger="bot.scoring.rescore"):
        assert not queue.add(3, "c")
    assert queue.add(2, "b again")  # a waiting key is not new
    assert queue.refused_total == 1 and len(queue) == 2
    assert "re-score queue full" in caplog.text
    assert await queue.close() == 2


async def test_a_refused_re_score_goes_back_to_the_head_of_the_line() -> None:
    recorder = Recorder()
    recorder.refusing = 2
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: True, poll_s=0.001, max_in_flight=1)
    for n in range(3):
        queue.add(n, f"m{n}")
    await _until(lambda: queue.idle)
    assert recorder.done == ["m0", "m1", "m2"]  # m0 was refused twice and still went first
    assert queue.retried_total == 2 and queue.rescored_total == 3


async def test_at_most_max_in_flight_run_at_once() -> None:
    recorder = Recorder()
    recorder.release.clear()
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: True, poll_s=0.001, max_in_flight=3)
    for n in range(10):
        queue.add(n, f"m{n}")
    await _until(lambda: recorder.running == 3)
    await asyncio.sleep(0.02)
    assert recorder.running == 3 and queue.in_flight == 3 and queue.pending == 7
    recorder.release.set()
    await _until(lambda: queue.idle)
    assert recorder.most_running == 3 and len(recorder.done) == 10


async def test_an_entry_too_old_is_given_up_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    clock = {"now": 0.0}
    recorder, room = Recorder(), {"now": False}
    queue: RescoreQueue[int, str] = RescoreQueue(
        recorder, ready=lambda: room["now"], poll_s=0.001, max_age_s=60, clock=lambda: clock["now"]
    )
    queue.add(1, "old")
    clock["now"] = 30
    queue.add(2, "young")
    clock["now"] = 61
    room["now"] = True
    with caplog.at_level(logging.WARNING, logger="bot.scoring.rescore"):
        await _until(lambda: queue.idle)
    assert recorder.done == ["young"]
    assert queue.expired_total == 1
    assert "gave up re-scoring 1 after 60 s" in caplog.text


async def test_a_failing_re_score_is_logged_and_the_rest_go_on(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: True, poll_s=0.001)
    queue.add(1, "explode")
    queue.add(2, "fine")
    with caplog.at_level(logging.INFO, logger="bot.scoring.rescore"):
        async with asyncio.timeout(10):
            await queue.join()
    assert queue.idle
    assert recorder.done == ["fine"]
    assert queue.failed_total == 1
    assert "re-scoring 1 failed" in caplog.text
    assert "re-score queue drained: 1 re-scored, 0 refused and retried, 0 given up, 1 failed" in caplog.text


async def test_close_stops_starting_re_scores() -> None:
    recorder = Recorder()
    queue: RescoreQueue[int, str] = RescoreQueue(recorder, ready=lambda: False, poll_s=0.001)
    queue.add(1, "a")
    assert await queue.close() == 1
    assert not queue.add(2, "b")
    await asyncio.sleep(0.01)
    assert recorder.done == []


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        RescoreQueue(Recorder(), ready=lambda: True, max_pending=0)
    with pytest.raises(ValueError):
        RescoreQueue(Recorder(), ready=lambda: True, max_age_s=0)
