"""Embeds of the moderators' case commands (``/cases``, ``/case``): every member-written text escaped.

The DM and modlog embeds the moderation actions send are :mod:`bot.discord_adapter.render`.
"""

from __future__ import annotations

import discord

from bot.discord_adapter.render import COLOURS, clip, quote_member_text
from bot.storage.cases import Case


def case_line(case: Case) -> str:
    """One line of ``/cases``."""
    state = "pardoned" if case.pardoned else ("active" if case.active else "ended")
    when = discord.utils.format_dt(case.created_at, "d")
    reason = quote_member_text(case.reason, 80) if case.reason else "—"
    return f"**#{case.case_number}** {case.type.value} · {when} · {state} · {reason}"


def case_embed(case: Case) -> discord.Embed:
    """``/case N``."""
    embed = discord.Embed(
        title=f"Case #{case.case_number} · {case.type.value}", colour=COLOURS.get(case.type)
    )
    embed.add_field(name="Member", value=f"<@{case.user_id}> ({case.user_id})", inline=True)
    embed.add_field(name="By", value=f"<@{case.moderator_id}>" if case.moderator_id else "Warden (automatic)")
    embed.add_field(name="Opened", value=discord.utils.format_dt(case.created_at, "f"), inline=True)
    if case.expires_at:
        embed.add_field(name="Expires", value=discord.utils.format_dt(case.expires_at, "f"), inline=True)
    state = "pardoned" if case.pardoned else ("active" if case.active else "ended")
    embed.add_field(name="State", value=state, inline=True)
    embed.add_field(name="Reason", value=clip(quote_member_text(case.reason) or "—"), inline=False)
    dm = "—" if case.dm_sent is None else ("sent" if case.dm_sent else f"not delivered ({case.dm_error})")
    embed.add_field(name="DM", value=dm, inline=True)
    if case.jump_url:
        embed.add_field(name="Message", value=case.jump_url, inline=False)
    if case.pardoned:
        embed.add_field(
            name="Pardon",
            value=clip(f"by <@{case.pardoned_by}>: {quote_member_text(case.pardon_reason or '—')}"),
            inline=False,
        )
    return embed
