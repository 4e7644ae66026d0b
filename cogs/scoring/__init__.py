"""The scoring cog: every new or edited message in a watched channel is scored and decided on.

Guard chain first (no server, bots, webhooks, system messages, cog switched off, channel not watched,
exempt channel or role), then ``bot.pipeline.prepare`` (off the event loop), the micro-batched scorer
(chunks -> per-label max), then, in the author's turn (one member's messages in arrival order), the
policy with the author's history, the score stored with its case and queue entry, the case carried out,
and the decision dispatched to every ``on_warden_decision`` listener (the mod queue cog and deployment
plug-ins).
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
