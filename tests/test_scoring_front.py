"""TieredFront (issue 12, item 4): the full model when it can answer in time, the lexical tier at once
when it cannot; degraded only where the lexical tier does not clear a chunk.

The full model is held by a gate and its cost is seeded, so a refusal is decided by the projected wait
(never by how fast this machine is).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest

from bot.pipeline import prepare
from bot.scoring import Overloaded, Scores, ScoringError, ScoringService
from bot.scoring.batcher import MicroBatcher
from bot.scoring.front import ChunkScores, TieredFront, room_check, score_chunks
from tests.tiered_fake import FULL_INSULT, LEXICAL_INSULT, TieredFake


async def _until(condition) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - set by the worker thread, no event to wait on
            await asyncio.sleep(0.001)


async def _saturated(backend: TieredFake, front: TieredFront) -> asyncio.Task[ChunkScores]:
    """Hold the full model on one text whose projected cost is over the limit: the next text is refused."""
    backend.gate.clear()
    busy = asyncio.create_task(front.score_chunks(["first"]))
    await _until(lambda: backend.full_calls)
    front.full.cost.observe(1, 10.0)  # 10 s a text, as measured: nothing more fits in 2 s
    return busy


async def test_the_full_model_answers_while_it_has_room() -> None:
    backend = TieredFake()
    async with TieredFront(backend) as front:
        answer = await front.score_chunks(["you idiot", "fine"])
    assert answer == ChunkScores(tuple(backend.score(["you idiot", "fine"])), degraded=False, tier="full")
    assert front.full_answers_total == 1 and front.degraded_total == 0
    assert backend.fast_calls == []


async def test_when_the_full_model_is_busy_the_lexical_tier_answers_at_once() -> None:
    backend = TieredFake()
    async with TieredFront(backend) as front:
        busy = await _saturated(backend, front)
        insult = await front.score_chunks(["all good here", "you moron"])  # the full model is held
        clean = await front.score_chunks(["thanks for the link"])
        assert not busy.done()
        backend.gate.set()
        await busy
    assert insult.tier == "lexical" and insult.degraded  # tier 1 does not clear "moron"
    assert insult.scores[1].insult == LEXICAL_INSULT["moron"]
    assert clean.tier == "lexical" and not clean.degraded  # tier 1 clears it: final, as the cascade
    assert front.degraded_total == 1 and front.lexical_final_total == 1
    assert "you moron" not in backend.full_texts  # refused whole: no chunk queued for the full model


async def test_a_re_score_never_takes_the_lexical_answer() -> None:
    backend = TieredFake()
    async with TieredFront(backend) as front:
        busy = await _saturated(backend, front)
        with pytest.raises(Overloaded):
            await front.score_chunks(["you idiot"], allow_degraded=False)
        assert front.refused_total == 1 and backend.fast_calls == []
        assert not front.has_room()
        backend.gate.set()
        await busy
        answer = await front.score_chunks(["you idiot"], allow_degraded=False)
    assert answer.scores[0].insult == FULL_INSULT["idiot"] and not answer.degraded


async def test_a_backend_without_a_lexical_tier_refuses() -> None:
    class FullOnly:
        name = "full-only"
        model_version = "full-only-1"

        def __init__(self) -> None:
            self.gate = threading.Event()

        def score(self, texts: Sequence[str]) -> list[Scores]:
            self.gate.wait(10)
            return [Scores() for _ in texts]

    backend = FullOnly()
    async with TieredFront(backend) as front:
        assert front.lexical is None
        busy = asyncio.create_task(front.score_chunks(["first"]))
        await _until(lambda: front.full.busy)
        front.full.cost.observe(1, 10.0)
        with pytest.raises(Overloaded):
            await front.score_chunks(["second"])
        backend.gate.set()
        await busy
    assert front.refused_total == 1


async def test_the_lexical_tier_is_bounded_too() -> None:
    backend = TieredFake()
    async with TieredFront(backend) as front:
        busy = await _saturated(backend, front)
        assert front.lexical is not None
        held = threading.Event()
        original = backend.score_fast

        def slow_fast(texts: Sequence[str]) -> list[tuple[Scores, bool]]:
            held.wait(10)
            return original(texts)

        front.lexical.backend._score_fast = slow_fast
        waiting = asyncio.create_task(front.score_chunks(["you idiot"]))
        await _until(lambda: front.lexical.busy)
        front.lexical.cost.observe(1, 10.0)  # a lexical tier that is as slow: nothing more fits
        with pytest.raises(Overloaded):
            await front.score_chunks(["you moron"])
        held.set()
        backend.gate.set()
        await asyncio.gather(busy, waiting)
    assert front.refused_total == 1


async def test_scoring_service_reports_a_degraded_message() -> None:
    backend = TieredFake()
    async with TieredFront(backend) as front:
        service = ScoringService(front)
        busy = await _saturated(backend, front)
        scored = await service.ascore_prepared(prepare("you absolute moron"), allow_degraded=True)
        with pytest.raises(Overloaded):
            await service.ascore_prepared(prepare("you absolute moron"))  # the default: the full model
        backend.gate.set()
        await busy
        full = await service.ascore_prepared(prepare("you absolute moron"))
    assert scored.degraded and scored.scores.insult == LEXICAL_INSULT["moron"]
    assert not full.degraded and full.scores.insult == FULL_INSULT["moron"]
    assert service.backend_name == "tiered-fake"


async def test_score_chunks_works_with_any_scorer_front() -> None:
    class PlainFront:
        async def score(self, text: str) -> Scores:
            return Scores(toxicity=0.5)

    plain = await score_chunks(PlainFront(), ["a", "b"])
    assert plain == ChunkScores((Scores(toxicity=0.5),) * 2)
    assert room_check(PlainFront()) is None  # it cannot say when it has room: nothing is deferred to it
    async with MicroBatcher(TieredFake()) as batcher:
        batched = await score_chunks(batcher, ["you idiot"])
        assert room_check(batcher) is not None and room_check(batcher)()  # type: ignore[misc]
    assert batched.scores[0].insult == FULL_INSULT["idiot"] and not batched.degraded


async def test_stats_and_properties() -> None:
    backend = TieredFake()
    front = TieredFront(backend, max_batch=8)
    assert not front.running
    async with front:
        assert front.running
        await front.score("x")
        stats = front.stats()
    assert not front.running
    assert front.name == "tiered-fake" and front.model_version == "tiered-fake-1"
    assert stats["batches"] == 1 and stats["queue_depth"] == 0
    assert front.latency_percentiles()["count"] == 1


async def _lexical_backlog(
    backend: TieredFake, front: TieredFront
) -> list[asyncio.Task[list[tuple[Scores, bool]]]]:
    """Hold the lexical tier in a call with another text waiting behind it: a burst's backlog."""
    assert front.lexical is not None
    lexical = front.lexical
    backend.fast_gate.clear()
    tasks = [asyncio.create_task(lexical.score_many(["you moron"]))]
    await _until(lambda: backend.fast_calls)
    tasks.append(asyncio.create_task(lexical.score_many(["you idiot"])))
    await _until(lambda: lexical.queue_depth == 1)
    return tasks


async def test_the_full_model_starts_no_call_while_the_lexical_tier_has_a_backlog() -> None:
    """In a burst both tiers compete for the same cores: the lexical tier's answers go first."""
    backend = TieredFake()
    async with TieredFront(backend) as front:
        backend.gate.clear()
        first = asyncio.create_task(front.score_chunks(["first"]))
        await _until(lambda: backend.full_calls)
        lexical = await _lexical_backlog(backend, front)
        second = asyncio.create_task(front.score_chunks(["second"]))  # queued for the full model
        await _until(lambda: front.full.queue_depth == 1)
        backend.gate.set()
        await first
        await _until(lambda: not front.full.busy)
        await asyncio.sleep(0.05)  # room for the collector to start a call, were it allowed to
        assert backend.full_calls == [["first"]] and not second.done()
        assert front.full.queue_depth == 1  # the held batch still counts as waiting (projected wait)
        backend.fast_gate.set()
        answers = await asyncio.gather(*lexical)
        answer = await second
    assert [scores.insult for ((scores, _final),) in answers] == [
        LEXICAL_INSULT["moron"],
        LEXICAL_INSULT["idiot"],
    ]
    assert answer.tier == "full" and backend.full_calls == [["first"], ["second"]]


async def test_one_lexical_call_without_a_backlog_holds_nothing() -> None:
    """A mild overload (an occasional refusal answered by the lexical tier): both tiers run side by side."""
    backend = TieredFake()
    async with TieredFront(backend) as front:
        assert front.lexical is not None
        backend.fast_gate.clear()
        lexical = asyncio.create_task(front.lexical.score_many(["you moron"]))
        await _until(lambda: backend.fast_calls)
        answer = await front.score_chunks(["meanwhile"])  # the full model answers while it runs
        assert answer.tier == "full" and not lexical.done()
        backend.fast_gate.set()
        await lexical
    assert backend.full_calls == [["meanwhile"]]


async def test_closing_without_drain_fails_a_batch_held_for_the_lexical_tier() -> None:
    backend = TieredFake()
    front = TieredFront(backend)
    await front.start()
    lexical = await _lexical_backlog(backend, front)
    held = asyncio.create_task(front.score_chunks(["held"], allow_degraded=False))
    await _until(lambda: front.full.queue_depth == 1 and not front.full.busy)
    await asyncio.sleep(0.05)  # past the collector's wait for company: it would have started a call
    assert backend.full_calls == [] and front.full.queue_depth == 1
    closing = asyncio.create_task(front.close(drain=False))
    await asyncio.sleep(0.01)
    backend.fast_gate.set()
    await closing
    with pytest.raises(ScoringError):
        await held
    in_flight, waiting = await asyncio.gather(*lexical, return_exceptions=True)
    assert not isinstance(in_flight, BaseException)  # the lexical call that had started finished
    assert isinstance(waiting, ScoringError)  # what still waited was failed, as for the full model
    assert backend.full_calls == []


async def test_a_message_that_waited_past_its_bound_behind_the_lexical_tier_gets_its_answer() -> None:
    backend = TieredFake()
    # the lexical tier's own bound is wide: its held calls would otherwise teach it a cost of seconds
    async with TieredFront(backend, max_projected_wait_ms=200, lexical_max_projected_wait_ms=10_000) as front:
        backend.gate.clear()
        first = asyncio.create_task(front.score_chunks(["first"], allow_degraded=False))
        await _until(lambda: backend.full_calls)
        late = asyncio.create_task(front.score_chunks(["you moron"]))  # admitted: nothing measured yet
        await _until(lambda: front.full.queue_depth == 1)
        lexical = await _lexical_backlog(backend, front)
        backend.gate.set()
        await first
        await _until(lambda: front.full.yielding)  # "you moron" is held behind the lexical backlog
        await asyncio.sleep(0.25)  # and its 200 ms are over
        backend.fast_gate.set()
        answer = await late
        await asyncio.gather(*lexical)
        await _until(lambda: front.full.idle)
    assert answer.tier == "lexical" and answer.degraded
    assert answer.scores[0].insult == LEXICAL_INSULT["moron"]
    assert backend.full_calls == [["first"]]  # given up before the call, never scored for nobody
    assert front.degraded_total == 1 and front.full.expired_total == 1


async def test_a_waiter_for_room_is_woken_when_every_waiting_text_was_given_up() -> None:
    """The re-score queue waits on ``progressed()``: a batch that had nothing left to score must wake it."""
    backend = TieredFake()
    async with TieredFront(backend, max_projected_wait_ms=200) as front:
        lexical = await _lexical_backlog(backend, front)
        late = asyncio.create_task(front.full.score_many(["late"], deadline_s=0.2))
        await _until(lambda: front.full.yielding)  # held behind the lexical tier's backlog
        waiter = asyncio.create_task(front.progressed())
        await asyncio.sleep(0.25)
        assert not waiter.done()
        backend.fast_gate.set()
        await asyncio.gather(*lexical)
        with pytest.raises(Overloaded):
            await late
        async with asyncio.timeout(5):
            await waiter
        assert front.full.idle and front.has_room()
    assert backend.full_calls == []


@pytest.mark.parametrize("seed", range(5))
async def test_under_random_load_every_message_gets_exactly_one_answer(seed: int) -> None:
    """Many messages at random moments while both tiers stall at random: the full model yields, texts
    are given up at their deadline, re-scores wait; every caller still gets one answer, none hangs, and
    the counters add up."""
    import random

    rng = random.Random(seed)

    class Jittery(TieredFake):
        def score(self, texts: Sequence[str]) -> list[Scores]:
            threading.Event().wait(rng.uniform(0.0, 0.02) * len(texts))
            return super().score(texts)

        def score_fast(self, texts: Sequence[str]) -> list[tuple[Scores, bool]]:
            threading.Event().wait(rng.uniform(0.0, 0.01))
            return super().score_fast(texts)

    backend = Jittery()
    texts = ["you idiot", "you moron", "fine thanks", "see the link"]
    async with TieredFront(backend, max_batch=8, max_wait_ms=2, max_projected_wait_ms=60) as front:

        async def one(n: int) -> str:
            await asyncio.sleep(rng.uniform(0, 0.3))
            chunks = [texts[(n + i) % len(texts)] for i in range(1 + n % 3)]
            try:
                answer = await front.score_chunks(chunks, allow_degraded=n % 5 != 0)
            except Overloaded:
                return "refused"
            assert len(answer.scores) == len(chunks)
            return "degraded" if answer.degraded else answer.tier

        async with asyncio.timeout(30):
            outcomes = await asyncio.gather(*(one(n) for n in range(200)))
        async with asyncio.timeout(10):
            while not front.full.idle:
                await front.progressed()
    answered = front.full_answers_total + front.lexical_final_total + front.degraded_total
    assert answered + front.refused_total == len(outcomes) == 200
    assert front.lexical_final_total + front.degraded_total > 0, "the load never reached the lexical tier"
    assert outcomes.count("lexical") == front.lexical_final_total
    assert outcomes.count("full") == front.full_answers_total
    assert outcomes.count("degraded") == front.degraded_total
    assert outcomes.count("refused") == front.refused_total
    assert front.full.queue_depth == 0 and front.lexical is not None and front.lexical.idle
