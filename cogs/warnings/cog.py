"""Infractions: the policy's warn/delete/timeout decisions and the moderators' commands.

The logic lives in :class:`bot.moderation.infractions.InfractionService` (record, DM, act, modlog,
schedule the expiry) and its Discord side in :mod:`bot.discord_adapter` (the actions, the hierarchy
check); this cog supplies the commands and the switch.
Policy decisions are carried out by :meth:`InfractionService.apply_decision`, which the scoring cog
awaits in the author's turn (one member's messages in order, so a burst climbs the escalation ladder);
this cog switches that on for the servers where the ``warnings`` feature is on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord_adapter.actions import DiscordActions
from bot.discord_adapter.plugin import (
    ForgetResult,
    WardenCheckFailure,
    WardenCog,
    check_hierarchy,
    quote_member_text,
    require_moderator,
    require_permissions,
)
from bot.discord_adapter.render import what_happened
from bot.errors import WardenError
from bot.moderation.infraction_types import InfractionOutcome, InfractionRequest
from bot.storage.cases import CaseType
from bot.storage.posts import PostRepository
from cogs.warnings.redact import redact_modlog_posts
from cogs.warnings.render import case_embed, case_line

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot
    from bot.service_protocols import Infractions

log = logging.getLogger(__name__)

__all__ = ["WarningsCog", "outcome_line"]

MAX_TIMEOUT_MINUTES = 40320


def outcome_line(outcome: InfractionOutcome, target: discord.abc.User, minutes: int | None = None) -> str:
    """The moderator's confirmation: case, what happened, DM delivered or not, what Discord refused."""
    case = outcome.case
    text = f"Case #{case.case_number}: {target.mention} {what_happened(case.type, minutes)}."
    text += " DM sent." if outcome.dm_sent else f" DM not delivered ({outcome.dm_error})."
    if outcome.action_error:
        text += f" Not done: {outcome.action_error}."
    if outcome.modlog_error:
        text += f" Modlog post failed: {outcome.modlog_error}."
    return text


def _guard(member: discord.abc.User | discord.Member) -> discord.Member:
    if not isinstance(member, discord.Member):
        raise WardenCheckFailure(WardenError("That user is not a member of this server."))
    return member


class WarningsCog(WardenCog, name="Warnings"):
    """Warns, removes and times out, from the policy and from moderators; pardons; case lookups.

    Its per-server switch decides whether the policy's decisions are carried out
    (:attr:`~bot.discord_adapter.plugin.WardenCog.carries_out_decisions`); the Discord actions
    themselves are the bot's (:meth:`bot.discord_adapter.client.WardenBot.moderation_actions`)."""

    carries_out_decisions = True

    def __init__(self, bot: WardenBot) -> None:
        super().__init__(bot)
        self.posts = PostRepository(self.services.database)
        """Modlog posts quoting members, for ``/warden forget``."""
        self._rearming: asyncio.Task[None] | None = None

    @property
    def service(self) -> Infractions:
        """The infraction service."""
        return self.services.infractions

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult:
        """``/warden forget``: replace the member's text in this server's modlog posts (their cases
        stay: they are the moderators' record)."""
        redacted = await redact_modlog_posts(
            self.bot, self.bot.get_guild(guild_id), self.posts, user_id, guild_id
        )
        return ForgetResult(redactions=[redacted])

    async def cog_load(self) -> None:
        """Re-arm the expiry timers stored in the database once the bot is ready (see
        :meth:`_rearm_when_ready`)."""
        self._rearming = asyncio.create_task(self._rearm_when_ready(), name="warden-expiry-rearm")

    async def _rearm_when_ready(self) -> None:
        """Once, when the bot is ready: a case already past due is expired at once, and only a ready
        bot knows its server, so its modlog post is made (the cog loads before the gateway connects)."""
        try:
            await self.bot.wait_until_ready()
            await self.service.reschedule()
        except Exception:
            log.exception("re-arming the stored case expiries failed")

    async def cog_unload(self) -> None:
        """Stop the expiry timers (the database keeps them for the next start); unloaded, the cog no
        longer carries out the policy's decisions (it is no longer among the bot's cogs)."""
        rearming = self._rearming
        if rearming is not None and not rearming.done():
            rearming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await rearming
        await self.service.scheduler.aclose()

    # ------------------------------------------------------------------ commands

    async def _apply_manual(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        kind: CaseType,
        reason: str,
        minutes: int | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        moderator = _guard(interaction.user)
        target = _guard(member)
        check_hierarchy(guild, moderator, target)
        await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await self.service.apply(
            DiscordActions(self.bot, guild),
            InfractionRequest(
                guild_id=guild.id,
                user_id=target.id,
                kind=kind,
                reason=reason,
                moderator_id=moderator.id,
                timeout_minutes=minutes,
            ),
        )
        await interaction.followup.send(
            outcome_line(outcome, target, minutes),
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="warn", description="Warn a member (DM with the reason, a case, the modlog).")
    @app_commands.describe(member="Who to warn", reason="Why (the member sees this)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @require_moderator()
    async def warn(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        """``/warn member reason``."""
        await self._apply_manual(interaction, member, CaseType.WARN, reason)

    @app_commands.command(name="timeout", description="Time a member out (a case, DM, modlog; it expires).")
    @app_commands.describe(member="Who to time out", minutes="How long (1 to 40320)", reason="Why")
    @app_commands.guild_only()
    @app_commands.default_permissions(moderate_members=True)
    @app_commands.checks.bot_has_permissions(moderate_members=True)
    @require_permissions(moderate_members=True)
    async def timeout(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        minutes: app_commands.Range[int, 1, MAX_TIMEOUT_MINUTES],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        """``/timeout member minutes reason``."""
        await self._apply_manual(interaction, member, CaseType.TIMEOUT, reason, minutes)

    @app_commands.command(
        name="pardon", description="Pardon a case: it stops counting (a timeout is lifted)."
    )
    @app_commands.describe(case="The case number", reason="Why")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @require_moderator()
    async def pardon(
        self,
        interaction: discord.Interaction,
        case: app_commands.Range[int, 1],
        reason: app_commands.Range[str, 1, 500],
    ) -> None:
        """``/pardon case reason``."""
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        pardoned = await self.service.pardon(
            DiscordActions(self.bot, guild), guild.id, case, moderator_id=interaction.user.id, reason=reason
        )
        await interaction.followup.send(
            f"Case #{pardoned.case_number} ({pardoned.type.value} of <@{pardoned.user_id}>) pardoned.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @app_commands.command(name="cases", description="A member's cases in this server, newest first.")
    @app_commands.describe(user="Whose cases")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @require_moderator()
    async def cases(self, interaction: discord.Interaction, user: discord.User) -> None:
        """``/cases user``."""
        assert interaction.guild_id is not None
        found = await self.service.cases_of(interaction.guild_id, user.id, limit=15)
        name = quote_member_text(user.display_name, 64)
        if not found:
            text = f"{name} has no cases here."
        else:
            lines = [case_line(case) for case in found]
            text = f"Cases of {name} ({user.id}):\n" + "\n".join(lines)
        await interaction.response.send_message(
            text[:1990], ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="case", description="One case in detail.")
    @app_commands.describe(id="The case number")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_messages=True)
    @require_moderator()
    async def case(self, interaction: discord.Interaction, id: app_commands.Range[int, 1]) -> None:
        """``/case id``."""
        assert interaction.guild_id is not None
        found = await self.service.get_case(interaction.guild_id, id)
        await interaction.response.send_message(
            embed=case_embed(found), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
