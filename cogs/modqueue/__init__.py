"""The mod queue cog: a queue channel per server, persistent action buttons, ``/queue``, and the
"Report to moderators" message menu. The rules live in :mod:`bot.moderation.queue_rules`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.modqueue.cog import ModQueue

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = ["ModQueue", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point (the cog registers its persistent components in ``cog_load``)."""
    await bot.add_cog(ModQueue(bot))
