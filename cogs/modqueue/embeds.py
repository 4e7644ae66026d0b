"""Queue cards as Discord embeds. The card's text comes from :func:`bot.moderation.queue_cards.entry_card`,
already escaped; this module only picks colours and builds :class:`discord.Embed` objects."""

from __future__ import annotations

from datetime import datetime

import discord

from bot.moderation.queue_cards import EntryCard, Tone, list_line, stats_lines
from bot.storage.queue import QueueEntry, QueueStats

COLOURS: dict[Tone, discord.Colour] = {
    Tone.OPEN: discord.Colour.orange(),
    Tone.CLAIMED: discord.Colour.blue(),
    Tone.RESOLVED: discord.Colour.dark_grey(),
    Tone.APPEAL: discord.Colour.purple(),
}

NO_MENTIONS = discord.AllowedMentions.none()
"""Every queue message is sent with this: an excerpt or reason can never ping anyone."""


def card_embed(card: EntryCard) -> discord.Embed:
    """The embed of one queue entry."""
    embed = discord.Embed(
        title=card.title[:256], description=card.description[:4096], colour=COLOURS[card.tone]
    )
    for field in card.fields[:25]:
        embed.add_field(name=field.name[:256], value=field.value[:1024] or "-", inline=field.inline)
    embed.set_footer(text=card.footer[:2048])
    return embed


def list_embed(entries: list[QueueEntry], *, total: int, now: datetime) -> discord.Embed:
    """``/queue list``: the oldest waiting entries."""
    if not entries:
        return discord.Embed(
            title="Mod queue", description="The queue is empty.", colour=discord.Colour.green()
        )
    lines = [list_line(entry, now) for entry in entries]
    more = total - len(entries)
    if more > 0:
        lines.append(f"…and {more} more.")
    return discord.Embed(
        title=f"Mod queue: {total} waiting",
        description="\n".join(lines)[:4096],
        colour=discord.Colour.orange(),
    )


def stats_embed(stats: QueueStats, *, days: int, now: datetime) -> discord.Embed:
    """``/queue stats``."""
    return discord.Embed(
        title=f"Mod queue: last {days} day{'s' if days != 1 else ''}",
        description="\n".join(stats_lines(stats, now)),
        colour=discord.Colour.blurple(),
    )
