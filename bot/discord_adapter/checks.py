"""Run-time checks every cog shares: permissions, moderators and Discord's role hierarchy.

Discord's ``default_permissions`` only sets what the client shows by default (server admins can
override it), so every command that needs a permission re-checks it here, *now*. The hierarchy check
is the one rule for acting on a member, used by the moderators' commands (warnings cog) and the mod
queue's buttons alike: it lives here so neither cog imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.errors import HierarchyError, InvalidTargetError, MissingPermissionError, WardenError
from bot.moderation.moderators import NotModeratorError, is_policy_moderator

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

__all__ = [
    "WardenCheckFailure",
    "bot_blocked_by",
    "check_hierarchy",
    "member_is_moderator",
    "require_moderator",
    "require_permissions",
]


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
        if not await member_is_moderator(interaction.client, member):  # type: ignore[arg-type]  # the WardenBot
            raise WardenCheckFailure(NotModeratorError())
        return True

    return app_commands.check(predicate)


def bot_blocked_by(guild: discord.Guild, member: discord.Member) -> str | None:
    """What stops the bot acting on ``member``: ``"server owner"``, or the name of their top role when
    it is at or above the bot's; ``None`` when nothing does."""
    if member.id == guild.owner_id:
        return "server owner"
    me = guild.me
    if me is not None and member.top_role >= me.top_role:
        return member.top_role.name
    return None


def check_hierarchy(guild: discord.Guild, moderator: discord.Member, target: discord.Member) -> None:
    """Refuse (``HierarchyError``/``InvalidTargetError``) what Discord's role hierarchy would refuse."""
    if target.id == moderator.id:
        raise InvalidTargetError(target.id, "You can't use this on yourself.")
    if target.bot:
        raise InvalidTargetError(target.id, "That's a bot: Warden only handles members.")
    blocked = bot_blocked_by(guild, target)
    if blocked is not None:
        raise HierarchyError(target.id, blocked_by="bot", role_name=blocked)
    if moderator.id != guild.owner_id and target.top_role >= moderator.top_role:
        raise HierarchyError(target.id, blocked_by="moderator", role_name=target.top_role.name)
