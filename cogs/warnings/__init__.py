"""The warnings cog: infractions (warn, delete, timeout) from the policy and from moderators.

Its switch decides where the policy's ``warn``/``delete``/``timeout`` decisions are carried out (the
scoring cog carries them out in the author's turn through the infraction service; never in dry-run,
once per message); commands ``/warn``, ``/timeout``, ``/pardon``, ``/cases``, ``/case``. The logic is
:class:`bot.moderation.infractions.InfractionService`; the Discord actions (DMs with the persistent
Appeal button, deletes, timeouts, modlog posts) are the adapter's (:mod:`bot.discord_adapter.actions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cogs.warnings.cog import WarningsCog

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = ["WarningsCog", "setup"]


async def setup(bot: WardenBot) -> None:
    """Extension entry point."""
    await bot.add_cog(WarningsCog(bot))
