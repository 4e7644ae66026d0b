"""``/warden forget`` and the bot's own posts: the queue cards and modlog posts quoting the member are
redacted, and the reply counts what was redacted and what could not be (and why)."""

from __future__ import annotations

import discord

from bot.moderation.forget import REMOVED_TEXT
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
