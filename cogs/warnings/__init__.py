"""The warnings cog: infractions (warn, delete, timeout) from the policy and from moderators.

Supplies the Discord side of ``warn``/``delete``/``timeout`` decisions, which the scoring cog carries
out in the author's turn through the infraction service (never in dry-run, once per message);
commands ``/warn``, ``/timeout``, ``/pardon``, ``/cases``, ``/case``; the persistent Appeal button on
case DMs. The logic is :class:`bot.moderation.infractions.InfractionService`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.warnings.appeal import AppealButton
from cogs.warnings.cog import WarningsCog

if TYPE_CHECKING:
    from bot.client import WardenBot

__all__ = ["AppealButton", "WarningsCog", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point: the cog and the persistent Appeal button."""
    bot.add_dynamic_items(AppealButton)
    await bot.add_cog(WarningsCog(bot))


async def teardown(bot: WardenBot) -> None:
    """Unload: forget the Appeal button."""
    bot.remove_dynamic_items(AppealButton)
