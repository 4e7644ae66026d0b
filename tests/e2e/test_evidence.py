"""Evidence end to end: queue cards and modlog posts name the words that carried each label, escaped;
unflagged messages cost no extra scoring; ``/warden forget`` takes the words away with the quote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import discord
import pytest

from bot.moderation.forget import REMOVED_TEXT
from bot.scoring.base import Scores
from tests.e2e.conftest import CLEAN, INSULT, World, build_test_scorer
from tests.e2e.test_modqueue import IDENTITY_ATTACK, QueueKeywordBackend


class CountingBackend(QueueKeywordBackend):
    """The keyword scorer that remembers every text it was asked to score."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def score(self, texts: Sequence[str]) -> list[Scores]:
        self.texts.extend(texts)
        return super().score(texts)


@pytest.fixture
async def warden_scorer() -> AsyncIterator[Any]:
    scorer = await build_test_scorer(CountingBackend())
    yield scorer
    await scorer.close()


def fields(message: discord.Message) -> dict[str | None, str | None]:
    return {field.name: field.value for field in message.embeds[0].fields}


async def test_a_queue_card_names_the_words_behind_its_label(world: World) -> None:
    await world.alice.send(world.news, IDENTITY_ATTACK)

    (card,) = world.queue_messages()
    evidence = fields(card)["Evidence"]
    first = evidence.splitlines()[0]
    assert first.startswith("**vermin** · ") and "identity attack 0.9" in first, evidence
    entry = (await world.database.run(world.bot.services.queue.list_open, world.guild.id))[0]
    assert {item.text for item in entry.evidence} == {"vermin"}  # stored: re-renders keep it


async def test_a_modlog_post_names_the_words_behind_its_case(world: World) -> None:
    await world.alice.send(world.news, INSULT)

    (post,) = world.modlog()
    evidence = fields(post)["Evidence"]
    assert evidence.startswith("**idiot** · "), evidence
    assert "insult 0.92" in evidence


async def test_an_unflagged_message_is_scored_once_and_never_taken_apart(world: World) -> None:
    backend: CountingBackend = world.bot.services.scorer.backend
    backend.texts.clear()

    await world.bob.send(world.news, CLEAN)

    assert backend.texts == [CLEAN]
    assert world.queue_messages() == [] and world.modlog() == []


async def test_forget_takes_the_evidence_away_with_the_quote(world: World) -> None:
    await world.alice.send(world.news, IDENTITY_ATTACK)
    await world.alice.send(world.news, INSULT)

    await world.admin.slash(world.news, "warden forget", user=world.alice)

    (card,) = world.queue_messages()
    (post,) = world.modlog()
    assert "Evidence" not in fields(card)
    assert fields(post)["Evidence"] == REMOVED_TEXT
    entry = (await world.database.run(world.bot.services.queue.list_open, world.guild.id))[0]
    assert entry.evidence == ()
