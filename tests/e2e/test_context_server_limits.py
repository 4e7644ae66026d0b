"""The server's policy ``[context]`` limits, end to end: ``daily_limit = 2`` refuses the third
``/context``; ``cooldown_seconds = 0`` answers the second one at once (the deployment waits 30 s)."""

from __future__ import annotations

from typing import Any

from cogs.context.render import TITLE
from tests.e2e.test_context import library, reply_message

__all__ = ["library"]  # the fixture, shared with test_context


async def ask(world: Any, member: Any, claim: str) -> Any:
    return reply_message(await member.slash(world.news, "context", claim=claim))


async def test_a_server_daily_limit_of_two_refuses_the_third_request(world: Any, library: Any) -> None:
    await world.set_policy(context={"daily_limit": 2})
    for i in range(2):
        (embed,) = (await ask(world, world.alice, f"Putin authorised Israeli strikes {i}")).embeds
        assert embed.title == TITLE
        await world.env.advance_time(31)

    third = await ask(world, world.alice, "Putin authorised Israeli strikes again")

    assert not third.embeds and "today's limit of 2" in third.content


async def test_a_server_cooldown_of_zero_answers_the_second_request_at_once(world: Any, library: Any) -> None:
    first = await ask(world, world.alice, "Putin authorised Israeli strikes")
    assert first.embeds
    waited = await ask(world, world.alice, "Putin visited Damascus")
    assert not waited.embeds and "try again in" in waited.content  # the deployment's 30 s

    await world.set_policy(context={"cooldown_seconds": 0})
    second = await ask(world, world.alice, "Putin visited Damascus")

    (embed,) = second.embeds
    assert embed.title == TITLE
