"""A burst of 10x the full model's saturation rate (issue 12's target, time scaled down): no message is
left unscored, and every degraded one is scored again by the full model once the burst is over.

The front and the re-score queue are the production classes; the decision step is reduced to what the
scoring cog does with an answer (store it, queue a degraded one, skip a re-score made moot). The full
model's cost is the test's: 4 ms a text plus 4 ms a call, batches of 16 (about 235 texts a second).
Nothing here asserts a duration: a slow machine makes more messages degraded, never fewer scored.
"""

from __future__ import annotations

import asyncio
import itertools

from bot.scoring import Overloaded
from bot.scoring.front import TieredFront
from bot.scoring.rescore import RescoreQueue
from tests.tiered_fake import FULL_INSULT, TieredFake

ITEM_S, OVERHEAD_S, MAX_BATCH = 0.004, 0.004, 16
SATURATION_PER_S = MAX_BATCH / (OVERHEAD_S + ITEM_S * MAX_BATCH)
BURST_S = 0.5
"""10 s in the issue; a twentieth here, with the wait bound scaled the same way (2 s -> 100 ms)."""
TEXTS = ("you absolute moron", "what an idiot", "thanks for the link, interesting read")


class Decisions:
    """What the scoring cog stores per message: its insult score and whether it was degraded; a message
    neither tier could take in time is deferred whole to the re-score queue."""

    def __init__(self, front: TieredFront) -> None:
        self.front = front
        self.stored: dict[int, tuple[float, bool]] = {}
        self.rescores: RescoreQueue[int, tuple[int, str]] = RescoreQueue(
            self.rescore, ready=front.has_room, wait_ready=front.progressed
        )
        self.degraded_ids: set[int] = set()
        self.deferred_ids: set[int] = set()
        self.rescored_ids: list[int] = []

    async def arrive(self, message_id: int, text: str) -> None:
        try:
            answer = await self.front.score_chunks([text])
        except Overloaded:
            self.deferred_ids.add(message_id)
            assert self.rescores.add(message_id, (message_id, text))
            return
        self.stored[message_id] = (answer.scores[0].insult, answer.degraded)
        if answer.degraded:
            self.degraded_ids.add(message_id)
            assert self.rescores.add(message_id, (message_id, text))

    async def rescore(self, item: tuple[int, str]) -> None:
        message_id, text = item
        answer = await self.front.score_chunks([text], allow_degraded=False)  # Overloaded: retried later
        if message_id in self.stored and not self.stored[message_id][1]:
            return  # decided by the full model meanwhile
        self.stored[message_id] = (answer.scores[0].insult, answer.degraded)
        self.rescored_ids.append(message_id)


async def test_a_burst_of_ten_times_saturation_leaves_nothing_unscored_and_re_scores_every_degraded() -> None:
    backend = TieredFake(item_s=ITEM_S, overhead_s=OVERHEAD_S)
    front = TieredFront(
        backend,
        max_batch=MAX_BATCH,
        max_wait_ms=2,
        max_projected_wait_ms=100,
        lexical_max_projected_wait_ms=2000,  # the lexical tier's bound is not scaled down
    )
    decisions = Decisions(front)
    rate = 10 * SATURATION_PER_S
    total = int(rate * BURST_S)
    ids = itertools.count(1)
    texts = itertools.cycle(TEXTS)
    async with front:
        arrivals: list[asyncio.Task[None]] = []
        tick = 0.01
        loop = asyncio.get_running_loop()
        started = loop.time()
        while len(arrivals) < total:
            due = min(total, int((loop.time() - started + tick) * rate))
            for _ in range(due - len(arrivals)):
                arrivals.append(asyncio.create_task(decisions.arrive(next(ids), next(texts))))
            await asyncio.sleep(tick)
        async with asyncio.timeout(120):
            await asyncio.gather(*arrivals)  # every message has an answer (none raised)
            await decisions.rescores.join()  # and the full model has re-scored every degraded one

    assert len(decisions.stored) == total  # 0 messages unscored
    assert decisions.degraded_ids, "the burst did not saturate the full model"
    assert front.full_answers_total > 0  # the full model kept answering during the burst
    waiting = decisions.degraded_ids | decisions.deferred_ids
    assert sorted(decisions.rescored_ids) == sorted(waiting)  # each exactly once
    assert not any(degraded for _insult, degraded in decisions.stored.values())
    full_texts = backend.full_texts
    for message_id in decisions.degraded_ids:
        insult, _ = decisions.stored[message_id]
        assert insult in FULL_INSULT.values()  # the full model's score, not the lexical tier's
    insults_scored_in_full = full_texts.count("you absolute moron") + full_texts.count("what an idiot")
    assert insults_scored_in_full >= len(decisions.degraded_ids)
    assert decisions.rescores.expired_total == 0 and decisions.rescores.failed_total == 0
