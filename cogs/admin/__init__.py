"""The admin cog: ``/warden setup|thresholds|dryrun|status|forget|cog`` (Manage Server only).

It cannot be switched off per server: it holds the switch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.admin.cog import AdminCog

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = ["AdminCog", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point."""
    await bot.add_cog(AdminCog(bot))
