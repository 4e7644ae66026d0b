"""``/queue list``, ``/queue next`` and ``/queue stats`` end to end."""

from __future__ import annotations

import pytest
import simcord

from bot.errors import MissingPermissionError
from tests.e2e.conftest import World, expect_error
from tests.e2e.test_modqueue import (  # noqa: F401  (warden_scorer: the module's deterministic scorer)
    buttons,
    followup_text,
    queue_attack,
    warden_scorer,
)


def description(result: simcord.InteractionResult) -> str:
    assert result.ephemeral and result.response is not None
    return result.response.embeds[0].description or ""


async def test_queue_list_shows_waiting_entries_oldest_first(world: World) -> None:
    await queue_attack(world)
    await queue_attack(world)

    result = await world.moderator.slash(world.queue_channel, "queue list")

    lines = description(result).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("**#1** flagged") and lines[1].startswith("**#2** flagged")
    assert world.alice.mention in lines[0] and "identity_attack" in lines[0]
    assert result.response.embeds[0].title == "Mod queue: 2 waiting"


async def test_queue_list_when_empty(world: World) -> None:
    result = await world.moderator.slash(world.queue_channel, "queue list")
    assert description(result) == "The queue is empty."


async def test_queue_next_shows_the_oldest_unclaimed_entry_with_working_buttons(world: World) -> None:
    _first_message, first = await queue_attack(world)
    await queue_attack(world)
    await world.moderator.click(first, label="Claim")

    result = await world.moderator.slash(world.queue_channel, "queue next")

    assert result.ephemeral and result.response is not None
    shown = result.response.message
    assert shown.embeds[0].title.startswith("Flagged message #2")
    # The buttons of the ephemeral copy act on the entry and update the queue channel's message too.
    await world.moderator.click(result.response, label="Approve")
    queue_copy = world.queue_messages()[-1]
    assert all(component.disabled for component in buttons(queue_copy).values())


async def test_queue_next_when_nothing_waits(world: World) -> None:
    result = await world.moderator.slash(world.queue_channel, "queue next")
    assert result.response is not None and "Nothing waiting" in result.response.content


async def test_queue_stats(world: World) -> None:
    _m1, first = await queue_attack(world)
    _m2, second = await queue_attack(world)
    await queue_attack(world)
    await world.moderator.click(first, label="Approve")
    await world.moderator.click(second, label="Delete")

    result = await world.moderator.slash(world.queue_channel, "queue stats", days=7)

    text = description(result)
    assert "**Waiting:** 1 open, 0 claimed" in text
    assert "**Resolved:** 2" in text
    assert "approved 1" in text and "deleted 1" in text
    assert "**False positives (approved):** 1" in text
    assert "auto 3" in text


async def test_queue_commands_refuse_members_who_are_not_moderators(world: World) -> None:
    with pytest.raises(simcord.SetupError):
        # Hidden by the default permissions: bob does not even see /queue.
        await world.bob.slash(world.queue_channel, "queue list")


async def test_queue_commands_recheck_permissions_at_run_time(world: World) -> None:
    # An admin re-enabled /queue for everyone in the integration settings: the run-time check refuses.
    registered = await world.bot.tree.fetch_commands()
    queue_command = next(command for command in registered if command.name == "queue")
    world.guild.set_command_permissions(queue_command, {world.guild.default_role: True})
    result = await world.bob.slash(world.queue_channel, "queue list")

    assert result.ephemeral and "Manage Messages" in result.response.content
    expect_error(world.env, MissingPermissionError)
