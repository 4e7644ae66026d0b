"""What every cog shares on the Discord side: the :class:`WardenCog` base, the run-time permission and
moderator checks, echoing member text safely, and the one error policy for interactions.

Not a cog (a module, not a package: :func:`cogs.discover` loads packages only). The composition root,
:mod:`bot.client`, builds the bot these run in and routes the command tree's errors to
:func:`report_error`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import (
    CogDisabledError,
    MissingPermissionError,
    WardenError,
    permission_name,
)
from bot.moderation.moderators import NotModeratorError, is_policy_moderator
from bot.moderation.text import excerpt

if TYPE_CHECKING:
    from bot.client import WardenBot
    from bot.services import Services

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- checks and cog base


class WardenCheckFailure(app_commands.CheckFailure):
    """A check failed with a domain error; ``original`` is the :class:`~bot.errors.WardenError`."""

    def __init__(self, error: WardenError) -> None:
        super().__init__(error.user_message)
        self.original = error


def require_permissions(**perms: bool) -> Callable[[Any], Any]:
    """App-command check: the invoking member has these guild permissions *now* (run-time re-check).

    Pair it with ``app_commands.default_permissions(...)``, which only sets what Discord shows by
    default and can be overridden by server admins in the integration settings.
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member):
            raise WardenCheckFailure(WardenError("This command only works in a server."))
        have = member.guild_permissions
        for name, wanted in perms.items():
            if wanted and not getattr(have, name) and not have.administrator:
                raise WardenCheckFailure(MissingPermissionError(name))
        return True

    return app_commands.check(predicate)


async def member_is_moderator(bot: WardenBot, member: discord.Member) -> bool:
    """Manage Messages (or Administrator) or one of the server's moderator roles, *now*.

    The one moderator check of every cog (:func:`bot.moderation.moderators.is_moderator`); the roles
    are the policy's ``moderator_roles`` (``/warden setup moderator_role:``).
    """
    permissions = member.guild_permissions
    policy = await bot.services.policies.get(member.guild.id)
    return is_policy_moderator(
        policy,
        manage_messages=permissions.manage_messages or permissions.administrator,
        role_ids=[role.id for role in member.roles],
    )


def require_moderator() -> Callable[[Any], Any]:
    """App-command check: the invoking member is a moderator (:func:`member_is_moderator`) *now*.

    Pair it with ``app_commands.default_permissions(manage_messages=True)``: Discord then hides the
    command from members without Manage Messages, role-only moderators included, unless the server
    allows their role in Server Settings → Integrations; this run-time check is what accepts the role.
    Refusals are a :class:`~bot.moderation.moderators.NotModeratorError` (a ``MissingPermissionError``
    for Manage Messages whose message mentions the moderator role).
    """

    async def predicate(interaction: discord.Interaction) -> bool:
        member = interaction.user
        if not isinstance(member, discord.Member) or interaction.guild_id is None:
            raise WardenCheckFailure(WardenError("This command only works in a server."))
        if not await member_is_moderator(interaction.client, member):  # type: ignore[arg-type]
            raise WardenCheckFailure(NotModeratorError())
        return True

    return app_commands.check(predicate)


class WardenCog(commands.Cog):
    """Base of every Warden cog: a feature name and the per-server on/off guard.

    ``feature`` is the name admins use in ``/warden cog enable|disable NAME`` (default: the cog's
    package name, e.g. ``scoring`` for ``cogs.scoring``). Slash commands of a switched-off cog answer
    with a short ephemeral note; listeners must start with ``if not await self.enabled_in(guild_id):
    return`` (the guard chain).
    """

    feature: ClassVar[str] = ""

    def __init__(self, bot: WardenBot) -> None:
        self.bot = bot

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("feature"):
            module = cls.__module__
            parts = module.split(".")
            cls.feature = parts[1] if parts[0] == "cogs" and len(parts) > 1 else parts[-1]

    @property
    def services(self) -> Services:
        """The shared services of the bot."""
        return self.bot.services

    async def enabled_in(self, guild_id: int | None) -> bool:
        """True unless this cog is switched off in ``guild_id`` (always true outside servers)."""
        return await self.bot.cog_enabled(self.feature, guild_id)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:  # type: ignore[override]
        """Refuse every app command of this cog where the cog is switched off."""
        if not await self.enabled_in(interaction.guild_id):
            raise WardenCheckFailure(CogDisabledError(self.feature, interaction.guild_id))
        return True


# --------------------------------------------------------------------------- errors


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


def quote_member_text(text: str, limit: int | None = None) -> str:
    """Member-written ``text`` made safe to echo: markdown escaped, mentions defused (and truncated to
    ``limit`` characters on one line). Send it with ``AllowedMentions.none()`` (the bot's default)."""
    if limit is not None:
        text = excerpt(text, limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


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
