"""The scoring cog: every new or edited message in a watched channel is scored and decided on.

A thin adapter over :class:`bot.moderation.use_case.ModerateMessage`: the cog drops what only Discord
can tell apart (no server, bots, webhooks, system messages), turns a ``discord.Message`` into a
:class:`~bot.moderation.message.MessageInput`, and the use case does the rest (cog switched off,
channel not watched, exempt channel or role, ``bot.pipeline.prepare``, the scorer front, and in the
author's turn the policy with the author's history, the score stored with its case and queue entry, the
case carried out); the cog dispatches the decision to every ``on_warden_decision`` listener (the mod
queue cog and deployment plug-ins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.scoring.cog import ScoringCog

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = ["ScoringCog", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point."""
    await bot.add_cog(ScoringCog(bot))
