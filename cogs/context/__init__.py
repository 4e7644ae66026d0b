"""The context cog (issue 5): members ask for context on a claim, Warden answers with neutral links.

``/context claim:<text>``, the "Get context" message menu, ``/sources add|feed|list|remove|article``
and the feed schedule. The logic is :class:`bot.sources.ContextService` (``bot.services.context``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.context.cog import ContextCog
from cogs.context.render import FeedbackButton

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = ["ContextCog", "FeedbackButton", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point: the cog (which adds the context menu) and the persistent feedback buttons."""
    bot.add_dynamic_items(FeedbackButton)
    await bot.add_cog(ContextCog(bot))


async def teardown(bot: WardenBot) -> None:
    bot.remove_dynamic_items(FeedbackButton)
