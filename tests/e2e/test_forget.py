"""``/warden forget``: every loaded cog is asked to erase what it holds for the member (plug-ins
included, switched off or not) and the reply says what each did; the queue cards and modlog posts
quoting the member are redacted, and the reply counts what was redacted and what could not be (and
why)."""

from __future__ import annotations

import discord

from bot.discord_adapter.plugin import REMOVED_TEXT, ForgetResult, WardenCog
from tests.e2e.conftest import INSULT, THREAT, World

ALICE_QUEUED = THREAT  # a "queue" decision: a card in #mod-queue quoting it
ALICE_WARNED = INSULT  # a "warn" decision: a modlog post quoting it


def embed_text(message: discord.Message) -> str:
    """Everything an embed of ``message`` shows, as one string."""
    parts: list[str] = []
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{field.name} {field.value}" for field in embed.fields]
    return "\n".join(parts)


def quotes(message: discord.Message, text: str) -> bool:
    """The embed quotes ``text`` (escaped or not: a distinctive word of it is enough)."""
    shown = embed_text(message).replace("\\", "")
    return any(word in shown for word in text.split() if len(word) > 4 and word.isalpha())


async def alice_flagged_twice(world: World) -> tuple[discord.Message, discord.Message]:
    await world.alice.send(world.news, ALICE_QUEUED)
    await world.alice.send(world.news, ALICE_WARNED)
    (card,) = world.queue_messages()
    (post,) = world.modlog()
    assert quotes(card, "find kill disgusting") and quotes(post, "honestly")
    return card, post


async def test_forget_redacts_the_queue_card_and_the_modlog_post(world: World) -> None:
    card, post = await alice_flagged_twice(world)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    reply = result.response.content
    assert "Redacted the bot's posts quoting them: 1 queue card, 1 modlog post." in reply
    assert "Could not" not in reply
    (card_after,) = world.queue_messages()
    (post_after,) = world.modlog()
    assert (card_after.id, post_after.id) == (card.id, post.id)  # edited in place
    for message in (card_after, post_after):
        assert not quotes(message, ALICE_QUEUED) and not quotes(message, ALICE_WARNED)
        assert "removed at the member's request" in embed_text(message)
    # the rest of the modlog post stays: the case, the member, the labels
    fields = {field.name: field.value for field in post_after.embeds[0].fields}
    assert fields["Message"] == REMOVED_TEXT and "insult" in fields["Labels"]
    assert len(await world.cases(world.alice)) == 1

    again = await world.admin.slash(world.news, "warden forget", user=world.alice)
    assert "modlog post" not in again.response.content  # already redacted: not edited twice


async def test_forget_reports_what_it_could_not_redact(world: World) -> None:
    card, post = await alice_flagged_twice(world)
    await world.admin.delete(post)  # a moderator removed the modlog post
    world.env.inject_error(
        "PATCH",
        f"/channels/{world.queue_channel.id}/messages/{card.id}",
        status=403,
        code=50013,
        message="Missing Permissions",
        times=None,
    )

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    reply = result.response.content
    assert "Could not redact 1 queue card, 1 modlog post (1 deleted, 1 missing permission)." in reply
    assert "Erased the stored data" in reply


async def test_forget_reports_a_missing_channel(world: World) -> None:
    await alice_flagged_twice(world)
    world.env.backend.delete_channel(world.modlog_channel.id)  # the modlog channel was deleted
    await world.env.settle()

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    reply = result.response.content
    assert "Redacted the bot's posts quoting them: 1 queue card." in reply
    assert "Could not redact 1 modlog post (1 channel missing)." in reply


async def test_forget_reports_what_each_cog_did(world: World) -> None:
    await alice_flagged_twice(world)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    lines = result.response.content.splitlines()
    assert lines[0].startswith("Erased the stored data of alice")
    assert "- scoring: 2 scored messages" in lines
    assert "- modqueue: 1 queue excerpts, 0 report reason(s), redacted 1 queue card" in lines
    assert "- warnings: redacted 1 modlog post" in lines
    assert "- context: 0 context request row(s)" in lines
    assert not any(line.startswith("- admin") for line in lines)  # it holds no member data


async def test_forget_reaches_cogs_switched_off_in_the_server(world: World) -> None:
    await alice_flagged_twice(world)
    await world.set_policy(disabled_cogs=["scoring", "modqueue", "warnings"])

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    lines = result.response.content.splitlines()
    assert "- scoring: 2 scored messages" in lines
    assert "- modqueue: 1 queue excerpts, 0 report reason(s), redacted 1 queue card" in lines
    assert "- warnings: redacted 1 modlog post" in lines
    stats = await world.database.run(world.bot.services.scores.stats_today, world.guild.id)
    assert stats.scored == 0


async def test_forget_erases_what_cogs_that_are_not_loaded_left_in_the_core_tables(world: World) -> None:
    await alice_flagged_twice(world)
    await world.bot.unload_extension("cogs.modqueue")
    await world.bot.unload_extension("cogs.scoring")

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    lines = result.response.content.splitlines()
    assert not any(line.startswith(("- scoring", "- modqueue")) for line in lines)
    assert "- not loaded: 2 scored messages, 1 queue excerpts, 0 report reason(s)" in lines
    (entry,) = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    assert entry.excerpt == "" or entry.excerpt is None
    stats = await world.database.run(world.bot.services.scores.stats_today, world.guild.id)
    assert stats.scored == 0


async def test_nothing_left_over_means_no_extra_line(world: World) -> None:
    await alice_flagged_twice(world)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    assert not any(line.startswith("- not loaded") for line in result.response.content.splitlines())


class Hoarder(WardenCog):
    """A plug-in whose erasure fails: the others still erase, and the admin is told."""

    feature = "hoarder"

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult:
        raise RuntimeError("the hoard is locked")


class Quiet(WardenCog):
    """A plug-in that keeps no member data: left out of the report."""

    feature = "quiet"


async def test_a_failing_plugin_hook_is_reported_and_the_others_still_run(world: World, caplog) -> None:
    await world.bot.add_cog(Hoarder(world.bot))
    await world.bot.add_cog(Quiet(world.bot))
    await world.alice.send(world.news, ALICE_WARNED)

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    lines = result.response.content.splitlines()
    assert "- hoarder: could not erase (the error was logged; its data may remain)" in lines
    assert "- scoring: 1 scored messages" in lines and "- warnings: redacted 1 modlog post" in lines
    assert not any(line.startswith("- quiet") for line in lines)
    assert any("could not erase the data of" in record.getMessage() for record in caplog.records)
