"""``/warden tune``'s buttons: one per suggested threshold; pressing one applies it (nothing else does)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.discord_adapter.plugin import WardenCheckFailure, report_error
from bot.errors import MissingPermissionError
from bot.reports.tune import Suggestion

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

VIEW_TIMEOUT_S = 15 * 60
"""How long the buttons work (the suggestions are computed when the command runs)."""


class ApplyButton(discord.ui.Button["TuneView"]):
    """Sets one label's threshold to the suggested value."""

    def __init__(self, suggestion: Suggestion) -> None:
        assert suggestion.threshold is not None
        super().__init__(
            label=f"Apply {suggestion.label} {suggestion.threshold:.2f}",
            style=discord.ButtonStyle.primary,
        )
        self.suggestion = suggestion

    async def callback(self, interaction: discord.Interaction) -> None:
        view = self.view
        assert view is not None and self.suggestion.threshold is not None
        label, value = self.suggestion.label, self.suggestion.threshold
        before = (await view.services.policies.get(view.guild_id)).thresholds[label]
        await view.services.policies.set_key(view.guild_id, f"thresholds.{label}", value)
        log.info("guild %s threshold %s=%s (tune) by %s", view.guild_id, label, value, interaction.user.id)
        self.disabled = True
        self.label = f"{label} set to {value:.2f}"
        await interaction.response.edit_message(view=view)
        await interaction.followup.send(
            f"`{label}` threshold set to {value:.2f} (was {before:.2f}).",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )


class TuneView(discord.ui.View):
    """The Apply buttons of one ``/warden tune`` answer (Manage Server is checked again on each press)."""

    def __init__(self, services: Services, guild_id: int, suggestions: Sequence[Suggestion]) -> None:
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.services = services
        self.guild_id = guild_id
        for suggestion in suggestions:
            if suggestion.threshold is not None:
                self.add_item(ApplyButton(suggestion))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        member = interaction.user
        perms = getattr(member, "guild_permissions", None)
        if perms is None or not (perms.manage_guild or perms.administrator):
            raise WardenCheckFailure(MissingPermissionError("manage_guild"))
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[TuneView], /
    ) -> None:
        await report_error(interaction, error)
