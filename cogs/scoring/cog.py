"""Listeners for new and edited messages: the Discord side of the moderation use case.

The scoring cog is a thin adapter: it keeps the guard links that only Discord can answer (no server,
bots, webhooks, system messages, edits that did not change the text), turns a ``discord.Message`` into
a :class:`~bot.moderation.message.MessageInput` and hands it to
:class:`~bot.moderation.use_case.ModerateMessage`, which prepares, scores, reads the history, decides,
records, acts (one member's messages in arrival order) and emits the decision; this cog lends it the
feature switch, the mod queue's presence, the in-flight marker and the ``warden_decision`` dispatch.
It also erases stored texts past their retention.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.discord_adapter.plugin import ForgetResult, WardenCog
from bot.moderation.message import MessageInput, Outcome, Ports
from bot.moderation.use_case import ModerateMessage
from bot.policy.decision import Decision

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

log = logging.getLogger(__name__)

MOD_QUEUE_COG = "ModQueue"
"""The cog that posts queued decisions (its queue entry is recorded with the score only where it runs)."""

SCORED_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
"""Member messages; joins, pins, boosts and other system messages are never scored."""


def watched_channel_id(channel: discord.abc.Snowflake) -> int:
    """The channel whose policy applies: a thread follows its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return channel.parent_id
    return channel.id


def eligible(message: discord.Message) -> bool:
    """The first links of the guard chain: a member's own text in a server."""
    if message.guild is None or message.webhook_id is not None:
        return False
    if message.author.bot or message.author.system or message.is_system():
        return False
    if message.type not in SCORED_MESSAGE_TYPES:
        return False
    return bool(message.content and message.content.strip())


def role_ids(message: discord.Message) -> tuple[int, ...]:
    """The author's role ids (none when the member is not cached)."""
    author = message.author
    if not isinstance(author, discord.Member) and message.guild is not None:
        author = message.guild.get_member(author.id) or author
    if isinstance(author, discord.Member):
        return tuple(role.id for role in author.roles)
    return ()


def message_input(message: discord.Message, *, edited: bool) -> MessageInput:
    """What the use case reads of a member's message in a server."""
    assert message.guild is not None
    return MessageInput(
        guild_id=message.guild.id,
        channel_id=message.channel.id,
        policy_channel_id=watched_channel_id(message.channel),
        message_id=message.id,
        author_id=message.author.id,
        content=message.content,
        created_at=message.created_at,
        role_ids=role_ids(message),
        is_reply=message.reference is not None,
        edited=edited,
        edited_at=message.edited_at,
        jump_url=message.jump_url,
    )


TEXT_PURGE_MINUTES = 60
"""How often stored message texts past their server's ``retention_days`` are erased."""


class ScoringCog(WardenCog):
    """Scores messages in watched channels and dispatches ``warden_decision`` for each."""

    def __init__(self, bot: WardenBot) -> None:
        super().__init__(bot)
        services = self.services
        self.moderation = ModerateMessage(
            database=services.database,
            policies=services.policies,
            scores=services.scores,
            cases=services.cases,
            decisions=services.decisions,
            scorer=lambda: self.services.scorer,
            model_version=lambda: self.services.model_version,
            backend=lambda: self.services.backend_name,
            metrics=services.metrics,
            # looked up at each call: what the bot and its services hold then (tests swap them too)
            ports=Ports(
                enabled=self.enabled_in,
                acts_in=lambda guild_id: self.services.infractions.acts_in(guild_id),
                queues_in=self._queues_in,
                act=lambda event: self.services.infractions.apply_decision(event),
                emit=lambda event: self.bot.dispatch_decision(event),
                in_flight=lambda: self.bot.in_flight(),
            ),
        )
        """The use case this cog adapts (its turns per member and its re-score queue live there)."""

    async def cog_load(self) -> None:
        self.services.metrics.rescores = self.moderation.rescores
        self.purge_expired_text.start()

    async def cog_unload(self) -> None:
        self.purge_expired_text.cancel()
        await self.moderation.close()

    async def forget_member(self, guild_id: int, user_id: int) -> ForgetResult:
        """``/warden forget``: the member's score rows (and stored texts) go."""
        erased = await self.services.database.run(self.services.scores.forget_scores, guild_id, user_id)
        return ForgetResult(erased={"scored messages": erased})

    @tasks.loop(minutes=TEXT_PURGE_MINUTES)
    async def purge_expired_text(self) -> int:
        """Erase message texts whose retention ended (servers with ``store_message_text`` on)."""
        services = self.services
        try:
            erased = await services.database.run(services.scores.purge_expired_text, datetime.now(UTC))
        except Exception:
            log.exception("purging expired message texts failed")
            return 0
        if erased:
            log.info("erased %d stored message texts past their retention", erased)
        return erased

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A new message."""
        if eligible(message):
            await self._guarded(message, edited=False)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit, cached or not: re-scored when its text changed."""
        if payload.guild_id is None or "content" not in payload.data:
            return  # an embed unfurl or a flag change, not an edit of the text
        message = payload.message
        before = payload.cached_message
        if before is not None and before.content == message.content:
            return
        if eligible(message):
            await self._guarded(message, edited=True)

    async def _guarded(self, message: discord.Message, *, edited: bool) -> None:
        try:
            await self.process(message, edited=edited)
        except Exception:
            log.exception(
                "message %s by %s in guild %s: scoring failed%s",
                message.id,
                message.author.id,
                message.guild.id if message.guild else "?",
                " (edited)" if edited else "",
            )

    async def process(self, message: discord.Message, *, edited: bool) -> Decision | None:
        """Hand ``message`` to the use case; its decision, ``None`` when a guard stopped it."""
        outcome: Outcome | None = await self.moderation.handle(message_input(message, edited=edited))
        return outcome.decision if outcome is not None else None

    async def _queues_in(self, guild_id: int) -> bool:
        """Whether the mod queue takes this server's decisions (loaded, and switched on there)."""
        queue = self.bot.get_cog(MOD_QUEUE_COG)
        return isinstance(queue, WardenCog) and await queue.enabled_in(guild_id)
