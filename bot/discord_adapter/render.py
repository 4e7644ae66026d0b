"""Rendering shared by every cog: member text made safe to echo, and the case embeds the moderation
actions send (the member's DM, the modlog post).

Every member-written text goes through :func:`quote_member_text`; messages are sent with
``AllowedMentions.none()`` (the bot's default), so nothing can ping.
"""

from __future__ import annotations

import discord

from bot.explain.render import evidence_lines
from bot.moderation.infraction_types import ModlogEntry, Notice
from bot.moderation.text import excerpt
from bot.storage.cases import CaseType

__all__ = [
    "COLOURS",
    "EVIDENCE_FIELD",
    "FIELD_LIMIT",
    "QUOTE_FIELD",
    "clip",
    "label_list",
    "modlog_embed",
    "notice_embed",
    "quote_member_text",
    "what_happened",
]

COLOURS = {
    CaseType.WARN: discord.Colour.gold(),
    CaseType.DELETE: discord.Colour.orange(),
    CaseType.TIMEOUT: discord.Colour.red(),
    CaseType.BAN: discord.Colour.dark_red(),
    CaseType.NOTE: discord.Colour.light_grey(),
}
FIELD_LIMIT = 1000
EVIDENCE_FIELD = "Evidence"
"""The words that carried the labels: the member's words, redacted with the quote by ``/warden forget``."""
QUOTE_FIELD = "Message"
"""The modlog embed field that quotes the member (:func:`modlog_embed`)."""


def quote_member_text(text: str, limit: int | None = None) -> str:
    """Member-written ``text`` made safe to echo: markdown escaped, mentions defused (and truncated to
    ``limit`` characters on one line). Send it with ``AllowedMentions.none()`` (the bot's default)."""
    if limit is not None:
        text = excerpt(text, limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def clip(text: str, limit: int = FIELD_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut), for an embed field."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def label_list(labels: tuple[str, ...] | list[str]) -> str:
    """``insult, toxicity`` in words (``severe toxicity``)."""
    return ", ".join(label.replace("_", " ") for label in labels)


def what_happened(kind: CaseType, minutes: int | None) -> str:
    """One phrase for the case type."""
    if kind is CaseType.TIMEOUT:
        return f"timed out for {minutes} minutes" if minutes else "timed out"
    if kind is CaseType.DELETE:
        return "had a message removed"
    if kind is CaseType.BAN:
        return "banned"
    if kind is CaseType.NOTE:
        return "got a note"
    return "warned"


def notice_embed(notice: Notice) -> discord.Embed:
    """The DM a member gets when a case is opened or pardoned."""
    case = notice.case
    guild = quote_member_text(notice.guild_name, 100)
    if notice.event == "pardoned":
        embed = discord.Embed(
            title=f"Case #{case.case_number} in {guild} was pardoned",
            description="A moderator lifted it; it no longer counts against you.",
            colour=discord.Colour.green(),
        )
        if notice.reason:
            embed.add_field(
                name="Note from the moderators", value=clip(quote_member_text(notice.reason)), inline=False
            )
        return embed
    embed = discord.Embed(
        title=f"You were {what_happened(case.type, notice.timeout_minutes)} in {guild}",
        colour=COLOURS.get(case.type, discord.Colour.gold()),
    )
    embed.add_field(name="Reason", value=clip(quote_member_text(notice.reason) or "—"), inline=False)
    if notice.labels:
        embed.add_field(name="Rule", value=f"Flagged for: {label_list(notice.labels)}", inline=False)
    if notice.excerpt:
        embed.add_field(
            name="Your message", value=clip("> " + quote_member_text(notice.excerpt)), inline=False
        )
    if notice.appealable:
        embed.add_field(name="Appeal", value=notice.appeal_hint, inline=False)
    embed.set_footer(text=f"Case #{case.case_number}")
    return embed


def modlog_embed(entry: ModlogEntry) -> discord.Embed:
    """The modlog post of a case event."""
    case = entry.case
    actor = f"<@{entry.actor_id}>" if entry.actor_id else "Warden (automatic)"
    if entry.event == "opened":
        title = f"Case #{case.case_number} · {case.type.value}"
        colour = COLOURS.get(case.type, discord.Colour.gold())
    elif entry.event == "pardoned":
        title = f"Case #{case.case_number} · pardoned"
        colour = discord.Colour.green()
    else:
        title = f"Case #{case.case_number} · expired"
        colour = discord.Colour.light_grey()
    embed = discord.Embed(title=title, colour=colour)
    embed.add_field(name="Member", value=f"<@{case.user_id}> ({case.user_id})", inline=True)
    embed.add_field(name="By", value=actor, inline=True)
    if entry.event == "opened" and case.type is CaseType.TIMEOUT and entry.timeout_minutes:
        embed.add_field(name="Duration", value=f"{entry.timeout_minutes} min", inline=True)
    if entry.reason:
        embed.add_field(name="Reason", value=clip(quote_member_text(entry.reason)), inline=False)
    if entry.labels:
        scores = ", ".join(
            f"{label.replace('_', ' ')} {entry.scores[label]:.2f}" if label in entry.scores else label
            for label in entry.labels
        )
        embed.add_field(name="Labels", value=scores, inline=False)
    if entry.evidence:
        shown = evidence_lines(entry.evidence, lambda word: quote_member_text(word, 60))
        embed.add_field(name=EVIDENCE_FIELD, value=clip("\n".join(shown)), inline=False)
    if entry.excerpt:
        embed.add_field(name=QUOTE_FIELD, value=clip("> " + quote_member_text(entry.excerpt)), inline=False)
    if case.jump_url:
        embed.add_field(name="Link", value=case.jump_url, inline=False)
    if entry.event == "opened":
        dm = "sent" if case.dm_sent else f"not delivered ({case.dm_error or 'unknown'})"
        embed.add_field(name="DM", value=dm, inline=True)
    if entry.action_error:
        embed.add_field(name="Not done", value=clip(entry.action_error), inline=False)
    return embed
