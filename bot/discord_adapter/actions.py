"""The Discord side of :class:`bot.moderation.infraction_types.ModerationActions` for one server.

:func:`bot.discord_adapter.factory.create_bot` wires these into the infraction service
(:meth:`bot.discord_adapter.client.WardenBot.moderation_actions`), so every feature that acts on
members (the policy's decisions, the moderators' commands, the mod queue's buttons) acts through the
same DMs, deletes, timeouts, bans and modlog posts, whichever cogs are loaded.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.discord_adapter.appeal import appeal_view
from bot.discord_adapter.checks import bot_blocked_by
from bot.discord_adapter.render import modlog_embed, notice_embed
from bot.moderation.infraction_types import ActionFailedError, DMFailedError, ModlogEntry, Notice
from bot.storage.posts import PostRepository

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

log = logging.getLogger(__name__)


def _http_reason(error: discord.HTTPException) -> str:
    return f"{error.status} {error.text or type(error).__name__}".strip()


class DiscordActions:
    """DMs, deletes, timeouts and modlog posts in ``guild``; refusals become the service's errors."""

    def __init__(self, bot: WardenBot, guild: discord.Guild, posts: PostRepository | None = None) -> None:
        self.bot = bot
        self.guild = guild
        self.guild_name = guild.name
        self.posts = posts
        """Where modlog posts quoting a member are remembered (for ``/warden forget``)."""

    async def _member(self, user_id: int) -> discord.Member | None:
        member = self.guild.get_member(user_id)
        if member is not None:
            return member
        try:
            return await self.guild.fetch_member(user_id)
        except discord.NotFound:
            return None

    async def dm(self, user_id: int, notice: Notice) -> None:
        """Send the notice (with the Appeal button when appealable); closed DMs raise DMFailedError."""
        user = self.bot.get_user(user_id)
        try:
            if user is None:
                user = await self.bot.fetch_user(user_id)
            view = appeal_view(notice.guild_id, notice.case.case_number) if notice.appealable else None
            if view is not None:
                await user.send(embed=notice_embed(notice), view=view)
                # The button is a registered DynamicItem: it works without keeping a view per DM.
                view.stop()
            else:
                await user.send(embed=notice_embed(notice))
        except discord.Forbidden as error:
            raise DMFailedError(f"DMs closed ({error.status}/{error.code}: {error.text})") from error
        except discord.HTTPException as error:
            raise DMFailedError(f"DM failed ({_http_reason(error)})") from error

    async def delete(self, channel_id: int, message_id: int) -> None:
        """Delete the message; already gone is fine."""
        channel = self.guild.get_channel_or_thread(channel_id)
        if channel is None or not isinstance(channel, discord.abc.Messageable):
            return
        try:
            await channel.get_partial_message(message_id).delete()
        except discord.NotFound:
            return
        except discord.Forbidden as error:
            raise ActionFailedError(
                "missing the Manage Messages permission in that channel", permission="manage_messages"
            ) from error
        except discord.HTTPException as error:
            raise ActionFailedError(_http_reason(error)) from error

    async def timeout(self, user_id: int, minutes: int | None, reason: str) -> None:
        """Time the member out (``None`` lifts it)."""
        member = await self._member(user_id)
        if member is None:
            raise ActionFailedError("the member left the server")
        blocked = bot_blocked_by(self.guild, member)
        if blocked is not None:
            raise ActionFailedError(f"role hierarchy: {blocked} is at or above my top role")
        until = timedelta(minutes=minutes) if minutes else None
        try:
            await member.timeout(until, reason=reason[:512] or None)
        except discord.Forbidden as error:
            raise ActionFailedError(
                "missing the Moderate Members permission", permission="moderate_members"
            ) from error
        except discord.HTTPException as error:
            raise ActionFailedError(_http_reason(error)) from error

    async def ban(self, user_id: int, reason: str) -> None:
        """Ban the member (their messages stay: the moderators may still need them)."""
        member = self.guild.get_member(user_id)
        if member is not None:
            blocked = bot_blocked_by(self.guild, member)
            if blocked is not None:
                raise ActionFailedError(f"role hierarchy: {blocked} is at or above my top role")
        try:
            await self.guild.ban(
                discord.Object(id=user_id), reason=reason[:512] or None, delete_message_seconds=0
            )
        except discord.Forbidden as error:
            raise ActionFailedError("missing the Ban Members permission", permission="ban_members") from error
        except discord.HTTPException as error:
            raise ActionFailedError(_http_reason(error)) from error

    async def post_modlog(self, entry: ModlogEntry) -> None:
        """Post in the server's modlog channel; none configured: nothing to do."""
        policy = await self.bot.services.policies.get(self.guild.id)
        channel_id = policy.modlog_channel_id
        if channel_id is None:
            return
        channel = self.guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise ActionFailedError(f"modlog channel {channel_id} not found")
        try:
            posted = await channel.send(
                embed=modlog_embed(entry), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.Forbidden as error:
            raise ActionFailedError(
                f"missing Send Messages / Embed Links in #{channel.name}", permission="send_messages"
            ) from error
        except discord.HTTPException as error:
            raise ActionFailedError(_http_reason(error)) from error
        if entry.excerpt and self.posts is not None:
            await self._remember(entry, channel.id, posted.id)

    async def _remember(self, entry: ModlogEntry, channel_id: int, message_id: int) -> None:
        """Record a post quoting the member, so ``/warden forget`` can redact it (never fatal)."""
        assert self.posts is not None
        try:
            await self.bot.services.database.run(
                self.posts.add,
                guild_id=self.guild.id,
                user_id=entry.case.user_id,
                channel_id=channel_id,
                message_id=message_id,
                case_id=entry.case.id,
            )
        except Exception:
            log.exception(
                "modlog post %s of case #%s in guild %s not recorded for redaction",
                message_id,
                entry.case.case_number,
                self.guild.id,
            )
