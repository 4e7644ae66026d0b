"""The Appeal button on a case DM and the modal behind it.

The button is a :class:`discord.ui.DynamicItem`: its custom id carries the server and the case
(``warden:appeal:<guild_id>:<case_number>``), so it works on any DM the bot ever sent, across
restarts, with no stored view. The appeal lands in the mod queue linked to its case, and
``warden_appeal`` is dispatched for the mod queue cog to post it.

Registered by the bot itself (:meth:`bot.discord_adapter.client.WardenBot.setup_hook`), not by a cog:
the DM that carries the button comes from the moderation actions, whichever feature opened the case.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.discord_adapter.reporting import report_error
from bot.errors import WardenError
from bot.events import APPEAL_EVENT, AppealEvent
from bot.moderation.infraction_types import APPEAL_CHARS
from bot.moderation.infractions import appeal_refused
from bot.storage.queue import QueueStatus

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

APPEAL_TEMPLATE = r"warden:appeal:(?P<guild_id>[0-9]{1,20}):(?P<case_number>[0-9]{1,10})"


def appeal_custom_id(guild_id: int, case_number: int) -> str:
    """The persistent custom id of the Appeal button of a case."""
    return f"warden:appeal:{guild_id}:{case_number}"


class AppealModal(discord.ui.Modal):
    """Asks the member why the case should be reconsidered."""

    text: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Why should the moderators reconsider?",
        style=discord.TextStyle.paragraph,
        min_length=5,
        max_length=APPEAL_CHARS,
        custom_id="warden:appeal:text",
    )

    def __init__(self, guild_id: int, case_number: int) -> None:
        super().__init__(title=f"Appeal case #{case_number}", timeout=900)
        self.guild_id = guild_id
        self.case_number = case_number

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Store the appeal in the mod queue and tell the member."""
        bot: WardenBot = interaction.client  # type: ignore[assignment]  # Warden's interactions come from its bot
        services = bot.services
        try:
            entry, case = await services.infractions.file_appeal(
                services.queue,
                self.guild_id,
                self.case_number,
                user_id=interaction.user.id,
                text=self.text.value,
            )
        except Exception as error:
            await report_error(interaction, error)
            return
        await interaction.response.send_message(
            f"Your appeal of case #{case.case_number} was sent to the moderators. They will get back to you.",
            ephemeral=True,
        )
        bot.dispatch(
            APPEAL_EVENT,
            AppealEvent(
                guild_id=self.guild_id,
                case_number=case.case_number,
                case_id=case.id,
                user_id=interaction.user.id,
                queue_entry_id=entry.id,
                text=entry.excerpt or "",
            ),
        )


class AppealButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=APPEAL_TEMPLATE):
    """The persistent Appeal button; only the member the case is about may use it."""

    def __init__(self, guild_id: int, case_number: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Appeal",
                style=discord.ButtonStyle.secondary,
                custom_id=appeal_custom_id(guild_id, case_number),
            )
        )
        self.guild_id = guild_id
        self.case_number = case_number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> AppealButton:
        """Rebuild the button from its custom id."""
        return cls(int(match["guild_id"]), int(match["case_number"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Open the appeal modal (after checking the case is the clicker's and still stands)."""
        bot: WardenBot = interaction.client  # type: ignore[assignment]  # Warden's interactions come from its bot
        try:
            case = await bot.services.infractions.get_case(self.guild_id, self.case_number)
            if case.user_id != interaction.user.id:
                raise WardenError("This case is not yours to appeal.")
            if case.pardoned:
                raise WardenError(f"Case #{case.case_number} was already pardoned.")
            services = bot.services
            earlier = await services.database.run(services.queue.appeal_of_case, case.id)
            if earlier is not None and earlier.status is QueueStatus.RESOLVED:
                raise appeal_refused(case.case_number, earlier)  # decided: no modal to fill in for nothing
        except Exception as error:
            await report_error(interaction, error)
            return
        await interaction.response.send_modal(AppealModal(self.guild_id, self.case_number))


def appeal_view(guild_id: int, case_number: int) -> discord.ui.View:
    """A view holding the Appeal button of a case (for the DM)."""
    view = discord.ui.View(timeout=None)
    view.add_item(AppealButton(guild_id, case_number))
    return view
