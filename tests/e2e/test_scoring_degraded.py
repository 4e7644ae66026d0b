"""A raid end to end (issue 12, item 4): the production bot on simcord, a real SQLite file, a scorer whose
full model is far slower than the burst. No message is left unscored: the lexical tier answers at once,
degraded decisions act only at stricter thresholds, and the full model re-scores every one of them
after the burst through the edit path, so no message ever gets a second case (or a second DM).

The backend is :class:`tests.tiered_fake.TieredFake`: ``idiot`` is under the degraded insult threshold
for the lexical tier (nothing at once, the re-score warns), ``moron`` over it (a degraded warning at
once, which the re-score must not repeat).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.events import DecisionEvent
from bot.moderation.message import PendingRescore
from bot.scoring.front import TieredFront
from tests.e2e.conftest import CLEAN, INSULT, INSULT_3, World
from tests.e2e.test_bursts import errors_logged, send_at_once
from tests.tiered_fake import FULL_INSULT, TieredFake

POLICY = {
    "thresholds": {"insult": 0.70, "threat": 0.34, "identity_attack": 0.60, "severe_toxicity": 0.50},
    "label_actions": {"insult": {"low": "warn", "medium": "warn", "high": "warn"}},
    "escalation": [],  # one warning per insult: the count of cases is the count of insults
}
"""Insults warn from 0.70 (0.85 when degraded), whatever the default policy's thresholds are today."""

MEMBERS, PER_MEMBER = 6, 12


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    """A front whose full model takes 50 ms a text: about 20 texts a second, 300 ms of wait allowed."""
    front = TieredFront(
        TieredFake(item_s=0.05, overhead_s=0.005),
        max_batch=8,
        max_wait_ms=2,
        max_projected_wait_ms=300,
        lexical_max_projected_wait_ms=10_000,
    )
    front.full.cost.observe(8, 0.405)  # what it costs, as if measured: about 6 texts fit in 300 ms
    await front.start()
    yield front
    await front.close()


async def test_a_raid_leaves_no_message_unscored_and_no_message_with_two_cases(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await world.set_policy(**POLICY)
    events: list[DecisionEvent] = []

    async def on_warden_decision(event: DecisionEvent) -> None:
        events.append(event)

    world.bot.add_listener(on_warden_decision)
    members = [world.add_member(f"raider{n}") for n in range(MEMBERS)]
    texts = [INSULT, INSULT_3, CLEAN] * (PER_MEMBER // 3)
    sent: dict[int, str] = {}
    backend = world.env.backend
    for member in members:  # every message in one gateway burst, interleaved per member
        for text in texts:
            sent[backend.create_message(world.news.id, member.id, text).id] = text
    await send_at_once(world, members[0], world.news, [])

    services = world.bot.services
    metrics = services.metrics
    scores = services.scores
    stored = {mid: await world.database.run(scores.get, mid) for mid in sent}
    assert all(record is not None for record in stored.values())  # 0 messages unscored
    assert metrics.degraded > 0, "the burst never reached the lexical tier"
    assert metrics.rescored == metrics.degraded + metrics.deferred  # every one of them re-scored
    assert not any(record.degraded for record in stored.values())  # by the full model: none left
    for mid, record in stored.items():
        expected = FULL_INSULT["moron" if sent[mid] == INSULT_3 else "idiot"] if sent[mid] != CLEAN else 0.01
        assert record.scores.insult == pytest.approx(expected)

    insults = {mid for mid, text in sent.items() if text != CLEAN}
    cases = await world.cases()
    assert sorted(case.message_id or 0 for case in cases) == sorted(insults)  # one case each, none twice
    assert all(case.type.value == "warn" for case in cases)
    for member in members:
        assert len(world.dms(member)) == 2 * (PER_MEMBER // 3)  # one DM per case, none repeated
    assert metrics.rescores.pending == 0 and metrics.rescores.in_flight == 0

    # Decided at once on the lexical tier: "moron" (0.95 >= 0.85) warned, "idiot" (0.80) only recorded;
    # the full model's re-score then warned the "idiot" ones and opened nothing for the "moron" ones.
    degraded = [event for event in events if event.degraded]
    rescored = {event.message_id: event for event in events if event.rescored}
    assert len(degraded) == metrics.degraded and set(rescored) >= {event.message_id for event in degraded}
    morons = [event for event in degraded if sent[event.message_id] == INSULT_3]
    idiots = [event for event in degraded if sent[event.message_id] == INSULT]
    assert morons and idiots
    for event in morons:
        assert event.action == "warn" and event.case_number is not None
        assert event.decision["reason"].startswith("degraded (lexical tier only")
        assert rescored[event.message_id].action == "warn"
        assert rescored[event.message_id].case_number is None  # the case was opened already
    for event in idiots:
        assert event.action == "none" and event.case_number is None
        assert rescored[event.message_id].action == "warn"
        assert rescored[event.message_id].case_number is not None
    assert errors_logged(caplog) == []
    assert any("decided degraded" in record.getMessage() for record in caplog.records)

    status = await world.admin.slash(world.news, "warden status")
    fields = {field.name: field.value for field in status.response.embeds[0].fields}
    assert f"{metrics.degraded} decided degraded" in fields["Overloaded"]
    assert f"{metrics.rescored} re-scored by the full model" in fields["Overloaded"]
    assert "0 waiting for it" in fields["Overloaded"]


async def test_a_waiting_re_score_is_dropped_once_the_full_model_decided_the_message(world: World) -> None:
    # discord.py drops an unloaded extension's modules from sys.modules, so a class imported at the top of
    # this file may belong to an earlier bot's copy: use the module this bot loaded.
    loaded = importlib.import_module("cogs.scoring.cog")
    cog = world.bot.get_cog("ScoringCog")
    assert isinstance(cog, loaded.ScoringCog)
    moderation = cog.moderation  # the use case the cog adapts: the re-score queue lives there
    before = datetime.now(UTC)
    message = await world.alice.send(world.news, CLEAN)  # decided by the full model (the front is idle)
    after = datetime.now(UTC)
    record = await world.database.run(world.bot.services.scores.get, message.id)
    assert record is not None and not record.degraded

    def waiting(since: datetime, *, degraded: bool, message_id: int = message.id) -> PendingRescore:
        return PendingRescore(SimpleNamespace(message_id=message_id), degraded=degraded, queued_at=since)  # type: ignore[arg-type]

    # queued before the full model decided it (e.g. then edited): moot
    assert not await moderation.still_waiting(waiting(before, degraded=False))
    assert not await moderation.still_waiting(waiting(before, degraded=True))
    # an edit deferred after that decision: its new text still needs the full model
    assert await moderation.still_waiting(waiting(after, degraded=False))
    # nothing stored: a deferred message waits, a degraded one whose row was erased (forget) does not
    assert await moderation.still_waiting(waiting(after, degraded=False, message_id=1))
    assert not await moderation.still_waiting(waiting(after, degraded=True, message_id=1))
