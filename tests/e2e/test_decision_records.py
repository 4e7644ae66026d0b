"""A decision's score, automatic case and queue entry are stored in one transaction, then acted on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from bot.events import DecisionEvent
from bot.scoring.base import Scores
from bot.storage.cases import CaseType
from tests.e2e.conftest import KeywordBackend, World, build_test_scorer

SEVERE = "You subhuman scum, everyone like you deserves to suffer."
"""Scores severe_toxicity 0.95: an automatic ``delete`` with the default policy (a case, and a queue
entry for review)."""


class SevereKeywordBackend(KeywordBackend):
    """The shared keyword scorer, plus "scum" scoring as severe toxicity."""

    def score(self, texts: Sequence[str]) -> list[Scores]:
        out: list[Scores] = []
        for text, scores in zip(texts, super().score(texts), strict=True):
            values = scores.as_dict()
            if "scum" in text.lower():
                values.update(severe_toxicity=0.95, toxicity=0.97)
            out.append(Scores(**values))
        return out


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    """The production micro-batcher over :class:`SevereKeywordBackend`."""
    scorer = await build_test_scorer(SevereKeywordBackend())
    yield scorer
    await scorer.close()


async def _stored(world: World, message_id: int) -> tuple[Any, list[Any], list[Any]]:
    services = world.bot.services
    score = await world.database.run(services.scores.get, message_id)
    cases = [case for case in await world.cases() if case.message_id == message_id]
    entries = await world.database.run(services.queue.list_open, world.guild.id)
    return score, cases, [entry for entry in entries if entry.message_id == message_id]


async def test_the_event_carries_the_case_and_entry_stored_with_the_score(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[DecisionEvent] = []
    dispatch = world.bot.dispatch_decision

    def capture(event: DecisionEvent) -> None:
        seen.append(event)
        dispatch(event)

    monkeypatch.setattr(world.bot, "dispatch_decision", capture)

    message = await world.alice.send(world.news, SEVERE)

    score, cases, entries = await _stored(world, message.id)
    assert score is not None and score.action.value == "delete"
    (case,) = cases
    (entry,) = entries
    assert case.type is CaseType.DELETE and case.auto
    (event,) = seen
    assert (event.case_number, event.queue_entry_id) == (case.case_number, entry.id)
    # then acted on from those rows: DM'd, removed, posted once
    assert case.dm_sent is True
    assert message.id not in {m.id for m in world.news.history()}
    assert len(world.queue_messages()) == 1


async def test_a_failure_while_storing_stores_nothing_and_acts_on_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    queue = world.bot.services.queue

    def disk_full(**_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(queue, "add", disk_full)

    message = await world.alice.send(world.news, SEVERE)

    assert await _stored(world, message.id) == (None, [], [])
    assert message.id in {m.id for m in world.news.history()}  # nothing acted on without its record
    assert world.dms(world.alice) == [] and world.queue_messages() == []
    failures = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert failures and str(message.id) in failures[0].getMessage()


@pytest.mark.parametrize(
    ("switched_off", "case_stored", "entry_stored"),
    [(["warnings"], False, True), (["modqueue"], True, False), (["warnings", "modqueue"], False, False)],
)
async def test_a_feature_switched_off_gets_nothing_stored_for_it(
    world: World, switched_off: list[str], case_stored: bool, entry_stored: bool
) -> None:
    await world.set_policy(disabled_cogs=switched_off)

    message = await world.alice.send(world.news, SEVERE)

    score, cases, entries = await _stored(world, message.id)
    assert score is not None
    assert bool(cases) is case_stored
    assert bool(entries) is entry_stored
    assert (message.id in {m.id for m in world.news.history()}) is not case_stored
