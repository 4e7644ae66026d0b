"""A member's burst of messages sent at once, end to end: decided in order, so the escalation ladder
is climbed; a timeout decision during a running timeout is a recorded strike, never an error."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import discord
import pytest
import simcord

from tests.e2e.conftest import INSULT, INSULT_2, INSULT_3, World

BURST_SETTLE_S = 60.0
"""A burst is several messages' scoring at once: more than simcord's default 5 s on a loaded machine."""


async def send_at_once(
    world: World, member: simcord.MemberActor, channel: simcord.ChannelHandle, texts: Sequence[str]
) -> list[int]:
    """Post every text before the bot handles any (one gateway burst), then let the bot settle."""
    backend = world.env.backend
    ids = [backend.create_message(channel.id, member.id, text).id for text in texts]
    world.env._mark_mutation()
    await world.env.settle(timeout=BURST_SETTLE_S)
    return ids


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


BURST = [INSULT, INSULT_2, INSULT_3, INSULT + " Seriously.", INSULT_2 + " Again."]


async def test_a_burst_of_five_insults_ends_in_the_ladders_timeout(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await send_at_once(world, world.alice, world.news, BURST)

    cases = await world.cases(world.alice)
    # decided in arrival order: two warnings, the 3rd strike's timeout, then strikes during it
    assert [case.message_id for case in cases] == ids
    assert [case.type.value for case in cases] == ["warn", "warn", "timeout", "warn", "warn"]
    (timeout,) = [case for case in cases if case.type.value == "timeout"]
    assert world.alice.member.is_timed_out()
    # the 5th strike in 72 h reaches the 60-minute rung: the running timeout is extended, not stacked
    assert timeout.active and timeout.expires_at is not None
    assert timeout.expires_at - timeout.created_at >= timedelta(minutes=59)
    assert all("already timed out (case #3)" in case.reason for case in cases[3:])
    remaining = {message.id for message in world.news.history()}
    assert ids[0] in remaining and ids[1] in remaining
    assert not remaining & set(ids[2:])  # every timeout decision removed its message
    assert errors_logged(caplog) == []


async def test_two_earlier_warnings_and_three_insults_at_once_give_exactly_one_timeout(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for reason in ("Stay on topic", "Second warning"):
        await world.moderator.slash(world.news, "warn", member=world.alice, reason=reason)

    ids = await send_at_once(world, world.alice, world.news, [INSULT, INSULT_2, INSULT_3])

    cases = await world.cases(world.alice)
    assert [case.type.value for case in cases] == ["warn", "warn", "timeout", "warn", "warn"]
    assert [case.message_id for case in cases[2:]] == ids  # every message has its case
    assert sum(case.type.value == "timeout" for case in cases) == 1
    assert world.alice.member.is_timed_out()
    assert not {message.id for message in world.news.history()} & set(ids)  # all three removed
    # each case reached the modlog and the member
    titles = [message.embeds[0].title for message in world.modlog()]
    assert sum("timeout" in (title or "") for title in titles) == 1
    assert len(world.dms(world.alice)) == 5
    assert errors_logged(caplog) == []


async def test_members_bursts_do_not_wait_for_each_other(world: World) -> None:
    backend = world.env.backend
    for text in (INSULT, INSULT_2):
        backend.create_message(world.news.id, world.alice.id, text)
        backend.create_message(world.news.id, world.bob.id, text)
    world.env._mark_mutation()
    await world.env.settle(timeout=BURST_SETTLE_S)

    assert [c.type.value for c in await world.cases(world.alice)] == ["warn", "warn"]
    assert [c.type.value for c in await world.cases(world.bob)] == ["warn", "warn"]
    assert isinstance(world.alice.member, discord.Member) and not world.alice.member.is_timed_out()
