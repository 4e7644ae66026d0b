""" "Report to moderators" end to end: the message menu, the reason modal, dedup and the rate limit."""

from __future__ import annotations

import discord
import simcord

from bot.errors import CogDisabledError
from bot.storage.queue import QueueSource
from cogs.modqueue.cog import REPORT_MENU_NAME
from tests.e2e.conftest import CLEAN, World, expect_error

REASON_ID = "warden:mq:report:reason"


async def report(
    world: World, reporter: simcord.MemberActor, message: discord.Message, reason: str = ""
) -> str:
    """``reporter`` uses the menu on ``message``, fills the modal, and gets this ephemeral answer."""
    shown = await reporter.context_menu(world.off_topic, REPORT_MENU_NAME, message)
    if shown.modal is None:  # refused before the modal (rate limit, own message, ...)
        assert shown.ephemeral and shown.response is not None
        return shown.response.content
    submitted = await reporter.submit_modal(shown, {REASON_ID: reason} if reason else {})
    assert submitted.ephemeral and submitted.response is not None
    return submitted.response.content


async def test_report_files_an_entry_with_the_reason(world: World) -> None:
    message = await world.alice.send(world.off_topic, "Everyone from that town is a criminal, @everyone")

    answer = await report(world, world.bob, message, reason="generalising about a whole town")

    assert "Thanks for the report" in answer
    posted = world.queue_messages()
    assert len(posted) == 1
    embed = posted[0].embeds[0]
    assert embed.title.startswith("Reported message #")
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Reported by"] == world.bob.mention
    assert fields["Author"] == world.alice.mention
    assert "generalising about a whole town" in fields["Reporter's reason"]
    assert "@everyone" not in (embed.description or "")
    entries = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    assert [(e.source, e.reporter_id, e.message_id) for e in entries] == [
        (QueueSource.REPORT, world.bob.id, message.id)
    ]


async def test_report_without_a_reason(world: World) -> None:
    message = await world.alice.send(world.off_topic, CLEAN)

    assert "Thanks for the report" in await report(world, world.bob, message)
    assert len(world.queue_messages()) == 1


async def test_second_report_of_the_same_message_is_not_queued_twice(world: World) -> None:
    message = await world.alice.send(world.off_topic, CLEAN)
    carol = world.add_member("carol")

    await report(world, world.bob, message, reason="first")
    answer = await report(world, carol, message, reason="second")

    assert "already in the moderators' queue" in answer
    assert len(world.queue_messages()) == 1
    entries = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    assert len(entries) == 1


async def test_report_rate_limit_is_polite_and_lifts(world: World) -> None:
    await world.set_policy(reports={"limit": 2, "window_minutes": 60})
    messages = [await world.alice.send(world.off_topic, f"{CLEAN} ({n})") for n in range(3)]

    assert "Thanks for the report" in await report(world, world.bob, messages[0])
    assert "Thanks for the report" in await report(world, world.bob, messages[1])
    refused = await report(world, world.bob, messages[2])

    assert "try again in about 60 minutes" in refused
    assert len(world.queue_messages()) == 2
    # Another member is not limited by bob's reports.
    assert "Thanks for the report" in await report(world, world.add_member("carol"), messages[2])

    await world.env.advance_time(3601)
    later = await world.alice.send(world.off_topic, f"{CLEAN} (later)")
    assert "Thanks for the report" in await report(world, world.bob, later)


async def test_own_and_bot_messages_cannot_be_reported(world: World) -> None:
    own = await world.bob.send(world.off_topic, CLEAN)
    assert "your own message" in await report(world, world.bob, own)

    message = await world.alice.send(world.off_topic, CLEAN)
    await report(world, world.bob, message)
    bot_message = world.queue_messages()[-1]  # the queue post is the bot's own message
    shown = await world.moderator.context_menu(world.queue_channel, REPORT_MENU_NAME, bot_message)

    assert shown.modal is None
    assert shown.response is not None and "members' messages" in shown.response.content
    assert len(world.queue_messages()) == 1


async def test_a_report_is_resolved_from_the_queue_like_any_entry(world: World) -> None:
    message = await world.alice.send(world.off_topic, CLEAN)
    await report(world, world.bob, message, reason="spam")
    posted = world.queue_messages()[-1]

    await world.moderator.click(posted, label="Delete")

    assert message.id not in [m.id for m in world.off_topic.history()]
    now = world.queue_messages()[-1]
    assert any(f.name == "Outcome" and "deleted" in f.value for f in now.embeds[0].fields)


async def test_report_menu_says_so_when_the_queue_is_switched_off(world: World) -> None:
    await world.set_policy(disabled_cogs=["modqueue"])
    message = await world.alice.send(world.off_topic, CLEAN)

    shown = await world.bob.context_menu(world.off_topic, REPORT_MENU_NAME, message)

    assert shown.modal is None
    assert shown.response is not None and "switched off" in shown.response.content
    expect_error(world.env, CogDisabledError)
    assert world.queue_messages() == []
