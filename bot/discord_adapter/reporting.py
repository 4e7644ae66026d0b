"""The one error policy for interactions: a short ephemeral answer for the member, the rest to the log.

The command tree (:class:`bot.discord_adapter.client.WardenTree`) routes every slash-command and
context-menu error through :func:`report_error`; components and modals call it themselves. What the
member reads comes from :class:`bot.errors.WardenError.user_message` or :func:`describe_error`.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.errors import WardenError, permission_name

__all__ = ["describe_error", "reply_ephemeral", "report_error", "unwrap_error"]

log = logging.getLogger(__name__)


def unwrap_error(error: BaseException) -> BaseException:
    """The error behind discord.py's wrappers (``CommandInvokeError``, ``WardenCheckFailure``, ...)."""
    seen = 0
    while seen < 5:
        inner = getattr(error, "original", None)
        if not isinstance(inner, BaseException) or inner is error:
            return error
        error = inner
        seen += 1
    return error


def describe_error(error: BaseException) -> tuple[str, bool]:
    """``(short message for the member, expected?)`` for an error a command raised.

    Expected errors (domain errors, refused checks, permission problems) are logged in one line;
    the rest with their traceback.
    """
    error = unwrap_error(error)
    if isinstance(error, WardenError):
        return error.user_message, True
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return f"You need the **{names}** permission for this.", True
    if isinstance(error, app_commands.BotMissingPermissions):
        names = ", ".join(permission_name(p) for p in error.missing_permissions)
        return (
            f"I am missing the **{names}** permission here. "
            "An admin can grant it in Server Settings → Roles.",
            True,
        )
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", True
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f}s.", True
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here.", True
    if isinstance(error, app_commands.TransformerError):
        return f"I could not understand `{error.value}`.", True
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused that: I am missing a permission for it (Discord said: "
            f"{error.text or 'Missing Permissions'}). An admin can check my role's permissions.",
            True,
        )
    if isinstance(error, discord.HTTPException) and error.status >= 500:
        return "Discord is having trouble right now; please try again in a minute.", True
    return "Something went wrong; the error was logged for the admins.", False


async def reply_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer ``interaction`` with an ephemeral message, whether or not it was already answered."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """The one error policy for interactions: a short ephemeral answer for the member; expected errors
    logged in one line, unexpected ones with their traceback. Used by the tree and by components."""
    message, expected = describe_error(error)
    command = interaction.command.qualified_name if interaction.command else "component"
    if expected:
        log.info(
            "refused: %s by %s in guild %s: %s",
            command,
            interaction.user.id,
            interaction.guild_id,
            unwrap_error(error),
        )
    else:
        log.error(
            "%s failed (guild %s, user %s)",
            command,
            interaction.guild_id,
            interaction.user.id,
            exc_info=unwrap_error(error),
        )
    try:
        await reply_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("could not tell the member about the error of %s", command, exc_info=True)
