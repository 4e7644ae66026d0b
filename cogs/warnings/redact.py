"""``/warden forget`` in the modlog: the member's text in the bot's modlog posts is replaced."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord_adapter.render import EVIDENCE_FIELD, QUOTE_FIELD
from bot.moderation.forget import (
    DELETED,
    FAILED,
    MISSING_CHANNEL,
    MISSING_PERMISSION,
    REMOVED_TEXT,
    Redactions,
)
from bot.storage.posts import PostRepository, QuotingPost

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

log = logging.getLogger(__name__)

QUOTING_FIELDS = frozenset({QUOTE_FIELD, EVIDENCE_FIELD})
"""Every modlog field made of the member's words: the quote and the evidence."""


def redacted_embed(embed: discord.Embed) -> discord.Embed:
    """``embed`` with the member's quoted text replaced (the other fields kept as they were)."""
    copy = discord.Embed.from_dict(embed.to_dict())
    for index, embed_field in enumerate(copy.fields):
        if embed_field.name in QUOTING_FIELDS:
            copy.set_field_at(index, name=embed_field.name, value=REMOVED_TEXT, inline=False)
    return copy


async def redact_modlog_posts(
    bot: WardenBot, guild: discord.Guild | None, posts: PostRepository, user_id: int, guild_id: int
) -> Redactions:
    """Edit every modlog post still quoting ``user_id``; count what could not be (and why)."""
    report = Redactions("modlog post")
    database = bot.services.database
    quoting: list[QuotingPost] = await database.run(posts.quoting, guild_id, user_id)
    done: list[int] = []
    for post in quoting:
        outcome = await _redact(guild, post)
        if outcome is None:
            report.redacted += 1
            done.append(post.id)
        else:
            report.fail(outcome)
            if outcome == DELETED:
                done.append(post.id)  # nothing left that quotes them
    await database.run(posts.mark_redacted, done)
    return report


async def _redact(guild: discord.Guild | None, post: QuotingPost) -> str | None:
    """``None`` when the post was redacted, else why not."""
    channel = guild.get_channel_or_thread(post.channel_id) if guild is not None else None
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return MISSING_CHANNEL
    try:
        message = await channel.fetch_message(post.message_id)
        if message.embeds:
            await message.edit(embeds=[redacted_embed(embed) for embed in message.embeds])
    except discord.NotFound:
        return DELETED
    except discord.Forbidden:
        return MISSING_PERMISSION
    except discord.HTTPException:
        log.warning("modlog post %s in guild %s: not redacted", post.message_id, post.guild_id, exc_info=True)
        return FAILED
    return None
