"""MicroBatcher: a text the backend cannot score fails alone; its batch-mates are still scored.

The probe: one message holding a lone surrogate among 31 ordinary ones made all 32 fail, because the
backend raised for the batch and the batcher failed every caller in it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

import pytest

from bot.pipeline import prepare
from bot.scoring import MicroBatcher, Scores, ScoringError
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.service import ScoringService


class PickyBackend:
    """Fails any batch holding a poisoned text (as sklearn's hasher did with a lone surrogate)."""

    name = "picky"
    model_version = "picky-1"

    def __init__(
        self, poison: str = "POISON", *, short_by_one: str | None = None, gate: threading.Event | None = None
    ) -> None:
        self.poison = poison
        self.short_by_one = short_by_one
        self.gate = gate
        self.batches: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.batches.append(list(texts))
        if self.gate is not None:
            self.gate.wait(5)
        if any(self.poison in text for text in texts):
            raise ValueError("cannot hash this text")
        results = [Scores(toxicity=(len(text) % 10) / 10) for text in texts]
        if self.short_by_one is not None and self.short_by_one in texts:
            return results[:-1]  # a broken backend: one score missing
        return results


async def _score_all(batcher: MicroBatcher, texts: list[str]) -> list[Scores | BaseException]:
    return list(await asyncio.gather(*(batcher.score(text) for text in texts), return_exceptions=True))


async def test_one_poisoned_text_among_32_fails_alone() -> None:
    backend = PickyBackend()
    texts = [f"ordinary message {i}" for i in range(32)]
    texts[13] = "POISON"
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=50) as batcher:
        results = await _score_all(batcher, texts)
    assert backend.batches[0] == texts  # they did share one batch
    assert isinstance(results[13], ScoringError)
    assert "cannot hash this text" in str(results[13])
    assert isinstance(results[13].__cause__, ValueError)
    for n, result in enumerate(results):
        if n != 13:
            assert result == Scores(toxicity=(len(texts[n]) % 10) / 10)
    assert batcher.failed_total == 1
    assert batcher.scored_total == 31
    # Halving finds it in log2(32) = 5 rounds of two calls: 11 calls, not 33.
    assert len(backend.batches) == 11
    assert batcher.split_batches_total == 5


async def test_two_poisoned_texts_fail_and_only_they() -> None:
    backend = PickyBackend()
    texts = [f"text {i}" for i in range(20)]
    texts[0] = texts[19] = "POISON here"
    async with MicroBatcher(backend, max_batch=32, max_wait_ms=50) as batcher:
        results = await _score_all(batcher, texts)
    failed = [n for n, result in enumerate(results) if isinstance(result, BaseException)]
    assert failed == [0, 19]
    assert batcher.scored_total == 18


async def test_a_backend_that_fails_everything_fails_every_caller() -> None:
    backend = PickyBackend(poison="")  # "" is in every text: nothing can be scored
    texts = [f"t{i}" for i in range(8)]
    async with MicroBatcher(backend, max_batch=8, max_wait_ms=50) as batcher:
        results = await _score_all(batcher, texts)
    assert all(isinstance(result, ScoringError) for result in results)
    assert batcher.failed_total == 8
    assert batcher.scored_total == 0
    assert len(backend.batches) == 2 * 8 - 1  # the whole, its halves, ... down to each text


async def test_a_missing_score_is_isolated_too() -> None:
    backend = PickyBackend(short_by_one="broken")
    texts = ["a", "b", "broken", "c"]
    async with MicroBatcher(backend, max_batch=4, max_wait_ms=50) as batcher:
        results = await _score_all(batcher, texts)
    assert isinstance(results[2], ScoringError)
    assert "returned 0 scores for 1 texts" in str(results[2])
    assert [isinstance(result, Scores) for result in results] == [True, True, False, True]


async def test_a_caller_cancelled_while_its_batch_is_split_is_not_scored_again() -> None:
    gate = threading.Event()
    backend = PickyBackend(gate=gate)
    async with MicroBatcher(backend, max_batch=4, max_wait_ms=50) as batcher:
        tasks = [asyncio.create_task(batcher.score(text)) for text in ("POISON", "b", "c", "d")]
        async with asyncio.timeout(5):
            while not backend.batches:  # noqa: ASYNC110 - set by the worker thread, no event to wait on
                await asyncio.sleep(0.001)
        tasks[1].cancel()  # while the whole batch is in the backend
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    assert backend.batches[0] == ["POISON", "b", "c", "d"]
    assert isinstance(results[0], ScoringError)
    assert isinstance(results[1], asyncio.CancelledError)
    assert all(isinstance(result, Scores) for result in results[2:])
    assert backend.batches[1:] == [["POISON"], ["c", "d"]]


async def test_a_split_is_logged_once_per_batch(caplog: pytest.LogCaptureFixture) -> None:
    backend = PickyBackend()
    texts = ["POISON", *(f"t{i}" for i in range(15))]
    with caplog.at_level(logging.WARNING, logger="bot.scoring.batcher"):
        async with MicroBatcher(backend, max_batch=16, max_wait_ms=50) as batcher:
            await _score_all(batcher, texts)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "batch of 16 texts failed (ValueError)" in warnings[0].getMessage()
    assert "POISON" not in warnings[0].getMessage()  # no message text in the log


@pytest.fixture(scope="module")
def embedded() -> EmbeddedBackend:
    return EmbeddedBackend()


async def test_the_probe_a_lone_surrogate_among_31_ordinary_messages(embedded: EmbeddedBackend) -> None:
    texts = [f"I read the article about gas prices, point {i} makes sense" for i in range(31)]
    texts.insert(16, "you are an id\ud800iot")
    async with MicroBatcher(embedded, max_batch=32, max_wait_ms=50) as batcher:
        service = ScoringService(batcher)
        prepared = await asyncio.gather(*(service.ascore_prepared(prepare(text)) for text in texts))
        raw = await _score_all(batcher, texts)  # the scorer takes unprepared text as well
    assert len(prepared) == 32
    assert all(isinstance(result, Scores) for result in raw)
    assert batcher.failed_total == 0
    assert batcher.split_batches_total == 0
    # The surrogate is dropped, not a word break: the insult is scored as an insult.
    assert prepared[16].scores.insult > max(result.scores.insult for result in prepared[:16])
