"""Persistent queue components: buttons and the timeout select, rebuilt from their custom ids.

Every component on a queue entry is a :class:`discord.ui.DynamicItem` whose custom id carries the action
and the entry id (``warden:mq:<action>:<entry id>``), registered with ``bot.add_dynamic_items`` when the
cog loads. A restarted bot therefore answers buttons on entries it posted before the restart, without
keeping any view in memory. The callbacks hand over to :class:`cogs.modqueue.cog.ModQueue`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.moderation.queue_rules import (
    APPEAL_ACTIONS,
    MESSAGE_ACTIONS,
    TIMEOUT_CHOICES,
    TIMEOUT_LABELS,
    QueueAction,
)

if TYPE_CHECKING:
    from cogs.modqueue.cog import ModQueue

CUSTOM_ID_PREFIX = "warden:mq"
_BUTTON_ACTIONS = "|".join(action.value for action in QueueAction if action is not QueueAction.TIMEOUT)

BUTTON_STYLES: dict[QueueAction, discord.ButtonStyle] = {
    QueueAction.APPROVE: discord.ButtonStyle.success,
    QueueAction.DELETE: discord.ButtonStyle.danger,
    QueueAction.WARN: discord.ButtonStyle.primary,
    QueueAction.BAN: discord.ButtonStyle.danger,
    QueueAction.CLAIM: discord.ButtonStyle.secondary,
    QueueAction.UPHOLD: discord.ButtonStyle.primary,
    QueueAction.PARDON: discord.ButtonStyle.success,
}


def button_custom_id(action: QueueAction, entry_id: int) -> str:
    """``warden:mq:delete:12``."""
    return f"{CUSTOM_ID_PREFIX}:{action.value}:{entry_id}"


def timeout_custom_id(entry_id: int) -> str:
    """``warden:mq:timeout:12``."""
    return f"{CUSTOM_ID_PREFIX}:timeout:{entry_id}"


def _cog(interaction: discord.Interaction[Any]) -> ModQueue | None:
    client = interaction.client
    get_cog = getattr(client, "get_cog", None)
    return get_cog("ModQueue") if get_cog is not None else None


async def _cog_missing(interaction: discord.Interaction[Any]) -> None:
    await interaction.response.send_message("The mod queue is switched off right now.", ephemeral=True)


class QueueButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(rf"{CUSTOM_ID_PREFIX}:(?P<action>{_BUTTON_ACTIONS}):(?P<entry_id>[0-9]+)"),
):
    """One action button of one entry."""

    def __init__(self, action: QueueAction, entry_id: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=action.label,
                style=BUTTON_STYLES[action],
                custom_id=button_custom_id(action, entry_id),
                disabled=disabled,
                row=0,
            )
        )
        self.action = action
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QueueButton:
        return cls(QueueAction(match["action"]), int(match["entry_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = _cog(interaction)
        if cog is None:
            await _cog_missing(interaction)
            return
        await cog.handle_component(interaction, self.entry_id, self.action)


class TimeoutSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=re.compile(rf"{CUSTOM_ID_PREFIX}:timeout:(?P<entry_id>[0-9]+)"),
):
    """The timeout duration select of one entry (choosing a duration is pressing Timeout)."""

    def __init__(self, entry_id: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Select(
                placeholder="Timeout the author for…",
                custom_id=timeout_custom_id(entry_id),
                options=[
                    discord.SelectOption(label=TIMEOUT_LABELS[key], value=key) for key in TIMEOUT_CHOICES
                ],
                min_values=1,
                max_values=1,
                disabled=disabled,
                row=1,
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> TimeoutSelect:
        return cls(int(match["entry_id"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        cog = _cog(interaction)
        if cog is None:
            await _cog_missing(interaction)
            return
        choice = self.item.values[0] if self.item.values else ""
        await cog.handle_component(interaction, self.entry_id, QueueAction.TIMEOUT, timeout_choice=choice)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (QueueButton, TimeoutSelect)
"""What the cog registers with ``bot.add_dynamic_items``."""


def entry_view(entry_id: int, *, appeal: bool, resolved: bool) -> discord.ui.View:
    """The components of an entry message: all disabled once the entry is resolved."""
    view = discord.ui.View(timeout=None)
    actions = APPEAL_ACTIONS if appeal else MESSAGE_ACTIONS
    for action in actions:
        view.add_item(QueueButton(action, entry_id, disabled=resolved))
    if not appeal:
        view.add_item(TimeoutSelect(entry_id, disabled=resolved))
    return view


class ReportModal(discord.ui.Modal, title="Report to moderators"):
    """The optional reason a member gives when reporting a message."""

    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="What is wrong with this message? (optional)",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=500,
        custom_id="warden:mq:report:reason",
    )

    def __init__(self, cog: ModQueue, message: discord.Message) -> None:
        super().__init__(timeout=600)
        self.cog = cog
        self.message = message

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.cog.file_report(interaction, self.message, self.reason.value or "")

    # discord.py's Modal.on_error itself drops BaseView.on_error's ``item`` argument
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:  # type: ignore[override]
        await self.cog.reply_error(interaction, error)
