"""The mod queue in Discord: entry messages with persistent buttons, ``/queue``, "Report to moderators".

Entries come from the scoring decisions (``warden_decision``: queue, and delete/timeout for review),
from appeals (``warden_appeal``, filed by the warnings cog) and from members' reports. Each is posted in
the server's queue channel as an embed with persistent components (:mod:`cogs.modqueue.views`). The
rules are plain Python: who may act (:mod:`bot.moderation.queue_rules`), resolve-once
(:mod:`bot.moderation.queue`), the report rate limit (:mod:`bot.moderation.report_limits`) and what a
card shows (:mod:`bot.moderation.queue_cards`); the actions (delete, warn, timeout, ban, pardon) go
through :class:`bot.moderation.infractions.InfractionService` like every other infraction
(:mod:`cogs.modqueue.resolutions`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_adapter.plugin import (
    DELETED,
    FAILED,
    MISSING_CHANNEL,
    MISSING_PERMISSION,
    REMOVED_TEXT,
    ForgetResult,
    Redactions,
    WardenCog,
    member_is_moderator,
    require_moderator,
)
from bot.discord_adapter.reporting import describe_error, reply_ephemeral, unwrap_error
from bot.errors import CogDisabledError, MissingPermissionError
from bot.events import AppealEvent, DecisionEvent
from bot.moderation.queue import QueueService
from bot.moderation.queue_cards import entry_card
from bot.moderation.queue_rules import (
    REFUSAL,
    ModeratorCheck,
    QueueAction,
    actions_for,
    missing_permission,
    timeout_minutes,
)
from bot.moderation.report_limits import ReportRateLimiter, rate_limit_message
from bot.storage.posts import PostRepository
from bot.storage.queue import QueueEntry, QueueSource
from cogs.modqueue.embeds import NO_MENTIONS, card_embed, list_embed, stats_embed
from cogs.modqueue.resolutions import QueueResolutions
from cogs.modqueue.views import DYNAMIC_ITEMS, ReportModal, entry_view

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot
    from bot.policy.settings import PolicySettings

log = logging.getLogger(__name__)


class _ReportLimits(TypedDict):
    """A server's report limit, as ``ReportLimiter.peek``/``hit`` take it."""

    limit: int
    window: float


REPORT_MENU_NAME = "Report to moderators"


def moderator_check(member: discord.Member) -> ModeratorCheck:
    """The member's permissions, for :func:`bot.moderation.queue_rules.missing_permission`."""
    permissions = member.guild_permissions
    return ModeratorCheck(
        user_id=member.id,
        manage_messages=permissions.manage_messages,
        administrator=permissions.administrator,
        ban_members=permissions.ban_members,
        moderate_members=permissions.moderate_members,
        role_ids=frozenset(role.id for role in member.roles),
    )


class ModQueue(WardenCog, name="ModQueue"):
    """The moderators' queue: entries with persistent buttons, ``/queue``, "Report to moderators"."""

    queue_group = app_commands.Group(
        name="queue",
        description="The moderators' queue.",
        guild_only=True,
        default_permissions=discord.Permissions(manage_messages=True),
    )

    def __init__(self, bot: WardenBot) -> None:
        super().__init__(bot)
        services = self.services
        self.service = QueueService(services.database, services.queue, services.cases)
        self.reports = ReportRateLimiter()
        self.resolutions = QueueResolutions(self.service, lambda: self.services.infractions)
        self.report_menu = app_commands.ContextMenu(name=REPORT_MENU_NAME, callback=self.report_message)
        self.report_menu.guild_only = True

    async def cog_load(self) -> None:
        """Register the persistent components and the "Report to moderators" menu."""
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.tree.add_command(self.report_menu)

    async def cog_unload(self) -> None:
        """Forget the persistent components and the menu."""
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)

    # ------------------------------------------------------------------ entries in

    @commands.Cog.listener()
    async def on_warden_decision(self, event: DecisionEvent) -> None:
        """Queue the message of a ``queue`` decision (and of ``delete``/``timeout``, for review)."""
        try:
            if not await self.enabled_in(event.guild_id):
                return
            added = await self.service.add_decision(event)
            if added is None:
                return
            entry, created = added
            if created:
                await self.publish(entry)
        except Exception:
            log.exception(
                "queueing message %s by %s in guild %s failed",
                event.message_id,
                event.author_id,
                event.guild_id,
            )

    @commands.Cog.listener()
    async def on_warden_appeal(self, event: AppealEvent) -> None:
        """Post an appeal the warnings cog stored in the queue."""
        try:
            if not await self.enabled_in(event.guild_id):
                return
            entry = await self.service.get(event.queue_entry_id)
            if entry is not None and entry.queue_message_id is None:
                await self.publish(entry)
        except Exception:
            log.exception(
                "posting appeal entry %s of case #%s in guild %s failed",
                event.queue_entry_id,
                event.case_number,
                event.guild_id,
            )

    async def _render(self, entry: QueueEntry) -> tuple[discord.Embed, discord.ui.View]:
        case = await self.service.case_of(entry) if entry.case_id is not None else None
        card = entry_card(entry, case)
        view = entry_view(entry.id, appeal=entry.source is QueueSource.APPEAL, resolved=card.resolved)
        return card_embed(card), view

    async def _queue_channel(self, guild_id: int) -> discord.TextChannel | discord.Thread | None:
        policy = await self.services.policies.get(guild_id)
        guild = self.bot.get_guild(guild_id)
        if policy.queue_channel_id is None or guild is None:
            return None
        channel = guild.get_channel_or_thread(policy.queue_channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            log.warning("queue channel %s of guild %s not found", policy.queue_channel_id, guild_id)
            return None
        return channel

    async def publish(self, entry: QueueEntry) -> discord.Message | None:
        """Post ``entry`` in the server's queue channel (none configured: it waits in ``/queue list``)."""
        channel = await self._queue_channel(entry.guild_id)
        if channel is None:
            return None
        embed, view = await self._render(entry)
        try:
            message = await channel.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not post queue entry %s in guild %s", entry.id, entry.guild_id, exc_info=True)
            return None
        await self.service.set_message_id(entry, message.id)
        return message

    async def _refresh_queue_message(self, entry: QueueEntry, *, skip: int | None = None) -> None:
        """Edit the entry's queue-channel message to its current state (``skip``: already edited)."""
        if entry.queue_message_id is None or entry.queue_message_id == skip:
            return
        channel = await self._queue_channel(entry.guild_id)
        if channel is None:
            return
        embed, view = await self._render(entry)
        try:
            await channel.get_partial_message(entry.queue_message_id).edit(embed=embed, view=view)
        except discord.HTTPException:
            log.warning("could not update queue message of entry %s", entry.id, exc_info=True)

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult:
        """``/warden forget``: the member's words leave the queue (the excerpts and evidence of entries
        about their messages, the reasons of the reports they filed), then the cards quoting them are
        re-rendered without them."""
        services = self.services
        erased = await services.database.run(services.queue.forget_member, guild_id, user_id)
        cards = await self._redact_cards(guild_id, user_id)
        return ForgetResult(
            erased={
                "queue excerpts": erased["queue_excerpts"],
                "report reason(s)": erased["report_reasons"],
            },
            redactions=[cards],
        )

    async def _redact_cards(self, guild_id: int, user_id: int) -> Redactions:
        """Re-render the cards whose text came from the member (their text is already erased), so the
        queue channel stops quoting them."""
        report = Redactions("queue card")
        posts = PostRepository(self.services.database)
        entry_ids = await self.services.database.run(posts.queue_cards_about, guild_id, user_id)
        channel = await self._queue_channel(guild_id) if entry_ids else None
        for entry_id in entry_ids:
            entry = await self.service.get(entry_id)
            if entry is None or entry.queue_message_id is None:
                continue
            if channel is None:
                report.fail(MISSING_CHANNEL)
                continue
            embed, view = await self._render(entry)
            if entry.author_id == user_id and not entry.excerpt:
                appeal = entry.source is QueueSource.APPEAL
                embed.description = ("**Appeal:** " if appeal else "") + REMOVED_TEXT
            try:
                await channel.get_partial_message(entry.queue_message_id).edit(embed=embed, view=view)
            except discord.NotFound:
                report.fail(DELETED)
            except discord.Forbidden:
                report.fail(MISSING_PERMISSION)
            except discord.HTTPException:
                log.warning(
                    "queue card of entry %s in guild %s not redacted", entry.id, guild_id, exc_info=True
                )
                report.fail(FAILED)
            else:
                report.redacted += 1
        return report

    # ------------------------------------------------------------------ buttons

    async def reply_error(self, interaction: discord.Interaction, error: BaseException) -> None:
        """The one error policy for components and modals: a short ephemeral answer, the log."""
        message, expected = describe_error(error)
        if expected:
            log.info("mod queue: refused for %s: %s", interaction.user.id, unwrap_error(error))
        else:
            log.error("mod queue interaction failed", exc_info=unwrap_error(error))
        try:
            await reply_ephemeral(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell %s about a mod queue error", interaction.user.id, exc_info=True)

    async def handle_component(
        self,
        interaction: discord.Interaction,
        entry_id: int,
        action: QueueAction,
        *,
        timeout_choice: str | None = None,
    ) -> None:
        """A queue button was pressed (or a timeout duration chosen)."""
        try:
            await self._handle_component(interaction, entry_id, action, timeout_choice)
        except Exception as error:
            await self.reply_error(interaction, error)

    async def _handle_component(
        self, interaction: discord.Interaction, entry_id: int, action: QueueAction, timeout_choice: str | None
    ) -> None:
        guild = interaction.guild
        member = interaction.user
        if guild is None or not isinstance(member, discord.Member):
            await reply_ephemeral(interaction, "The mod queue only works in a server.")
            return
        if not await self.enabled_in(guild.id):
            raise CogDisabledError(self.feature, guild.id)
        if not await member_is_moderator(self.bot, member):
            await reply_ephemeral(interaction, REFUSAL)
            return
        check = moderator_check(member)
        missing = missing_permission(check, action)
        if missing is not None:
            raise MissingPermissionError(missing)
        entry = await self.service.get(entry_id)
        if entry is None or entry.guild_id != guild.id:
            await reply_ephemeral(interaction, "That queue entry no longer exists.")
            return
        if action not in actions_for(entry.source):
            await reply_ephemeral(interaction, f"{action.label} does not apply to this entry.")
            return
        minutes = timeout_minutes(timeout_choice) if action is QueueAction.TIMEOUT else None

        # Buttons show their loading state while the action runs; the message is edited afterwards.
        await interaction.response.defer()
        if action is QueueAction.CLAIM:
            attempt = await self.service.claim(entry_id, member.id)
        else:
            act = self.resolutions.act(guild, member, action, minutes)
            attempt = await self.service.resolve(entry_id, member.id, action, act)
        current = attempt.entry or entry
        embed, view = await self._render(current)
        await interaction.edit_original_response(embed=embed, view=view)
        source_message = interaction.message.id if interaction.message else None
        await self._refresh_queue_message(current, skip=source_message)
        await interaction.followup.send(attempt.message(), ephemeral=True, allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ reports

    def _report_limits(self, policy: PolicySettings) -> _ReportLimits:
        return {"limit": policy.reports.limit, "window": policy.reports.window_minutes * 60.0}

    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """Context menu: ask for an optional reason, then file the report."""
        guild = interaction.guild
        if guild is None:
            await reply_ephemeral(interaction, "Reports only work in a server.")
            return
        if not await self.enabled_in(guild.id):
            raise CogDisabledError(self.feature, guild.id)
        if message.author.bot or message.webhook_id is not None:
            await reply_ephemeral(interaction, "Only members' messages can be reported.")
            return
        if message.author.id == interaction.user.id:
            await reply_ephemeral(interaction, "You can't report your own message.")
            return
        policy = await self.services.policies.get(guild.id)
        allowed = self.reports.peek(guild.id, interaction.user.id, **self._report_limits(policy))
        if not allowed.allowed:
            await reply_ephemeral(interaction, rate_limit_message(allowed.retry_after))
            return
        await interaction.response.send_modal(ReportModal(self, message))

    async def file_report(
        self, interaction: discord.Interaction, message: discord.Message, reason: str
    ) -> None:
        """The report modal was submitted: rate limit, queue (once per message), thank the member."""
        guild = interaction.guild
        assert guild is not None
        policy = await self.services.policies.get(guild.id)
        allowed = self.reports.hit(guild.id, interaction.user.id, **self._report_limits(policy))
        if not allowed.allowed:
            await reply_ephemeral(interaction, rate_limit_message(allowed.retry_after))
            return
        try:
            entry, created = await self.service.add_report(
                guild_id=guild.id,
                channel_id=message.channel.id,
                message_id=message.id,
                author_id=message.author.id,
                reporter_id=interaction.user.id,
                jump_url=message.jump_url,
                content=message.content,
                reason=reason,
            )
        except Exception:
            self.reports.refund(guild.id, interaction.user.id)
            raise
        if not created:
            await reply_ephemeral(
                interaction, "Thanks! That message is already in the moderators' queue; they will look at it."
            )
            return
        await reply_ephemeral(interaction, "Thanks for the report: the moderators will take a look.")
        await self.publish(entry)

    # ------------------------------------------------------------------ /queue

    @queue_group.command(name="list", description="The oldest entries waiting in the queue.")
    @require_moderator()
    async def queue_list(self, interaction: discord.Interaction) -> None:
        """Up to 10 waiting entries, oldest first."""
        assert interaction.guild_id is not None
        entries = await self.service.list_open(interaction.guild_id, limit=10)
        total = await self.service.count_open(interaction.guild_id)
        embed = list_embed(entries, total=total, now=datetime.now(UTC))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @queue_group.command(name="next", description="The oldest entry nobody has claimed, with its buttons.")
    @require_moderator()
    async def queue_next(self, interaction: discord.Interaction) -> None:
        """Show the oldest unclaimed entry (its buttons work here too)."""
        assert interaction.guild_id is not None
        entry = await self.service.next_open(interaction.guild_id)
        if entry is None:
            await reply_ephemeral(interaction, "Nothing waiting: every entry is resolved or claimed.")
            return
        embed, view = await self._render(entry)
        await interaction.response.send_message(
            embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @queue_group.command(name="stats", description="The queue in numbers.")
    @app_commands.describe(days="How many days back to count resolutions and new entries (default 7).")
    @require_moderator()
    async def queue_stats(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7
    ) -> None:
        """Open, claimed, resolved, outcomes, sources, false positives."""
        assert interaction.guild_id is not None
        now = datetime.now(UTC)
        stats = await self.service.stats(interaction.guild_id, since=now - timedelta(days=days))
        await interaction.response.send_message(
            embed=stats_embed(stats, days=days, now=now), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
