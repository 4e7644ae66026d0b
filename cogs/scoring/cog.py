"""Listeners for new and edited messages: guard chain, prepare, score, decide, store, act, dispatch.

One member's messages are decided in the order they arrived (:class:`bot.moderation.ordering.KeyedTurns`
per server and author): preparing and scoring run concurrently, but reading the author's history,
deciding, storing and acting (:meth:`bot.moderation.infractions.InfractionService.apply_decision`)
happen one message at a time, so the fifth insult of a burst reads the cases the first four opened.

Never unscored: when the full model cannot answer in time (a burst), the scorer front's lexical tier
answers at once (:mod:`bot.scoring.front`); a message it does not clear is decided **degraded**, at
stricter thresholds (:mod:`bot.policy.degraded`), stored marked so, and queued
(:class:`bot.scoring.rescore.RescoreQueue`) for the full model, which scores it again once it has room,
through the same path as an edit: the score row is updated and no second case is opened. A front with
no lexical tier defers the whole message to that queue instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.discord_adapter.plugin import ForgetResult, WardenCog
from bot.events import DecisionEvent
from bot.explain import Evidence, aexplain, evidence_dicts, score_many_of
from bot.moderation.decision_records import case_draft, queue_draft
from bot.moderation.ordering import KeyedTurns, Turn
from bot.pipeline import prepare
from bot.pipeline.address import addresses_someone
from bot.policy import PolicySettings, evaluate
from bot.policy.decision import Action, Decision
from bot.policy.degraded import evaluate_degraded
from bot.scoring.base import Scores, ScoringError
from bot.scoring.batcher import Overloaded
from bot.scoring.front import room_check, score_chunks, wait_for_progress
from bot.scoring.rescore import RescoreQueue

if TYPE_CHECKING:
    from bot.discord_adapter.client import WardenBot

log = logging.getLogger(__name__)

MOD_QUEUE_COG = "ModQueue"
"""The cog that posts queued decisions (its queue entry is recorded with the score only where it runs)."""

SCORED_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
"""Member messages; joins, pins, boosts and other system messages are never scored."""


def watched_channel_id(channel: object) -> int:
    """The channel whose policy applies: a thread follows its parent channel."""
    if isinstance(channel, discord.Thread) and channel.parent_id is not None:
        return channel.parent_id
    return channel.id  # type: ignore[attr-defined]


def channel_in_scope(policy: PolicySettings, channel_id: int) -> bool:
    """The policy's channel checks, applied before any scoring work (the engine applies them again)."""
    if channel_id in policy.exempt_channels:
        return False
    if policy.watched_channels and channel_id not in policy.watched_channels:
        return False
    override = policy.channel(channel_id)
    return not (override is not None and override.off)


def eligible(message: discord.Message) -> bool:
    """The first links of the guard chain: a member's own text in a server."""
    if message.guild is None or message.webhook_id is not None:
        return False
    if message.author.bot or message.author.system or message.is_system():
        return False
    if message.type not in SCORED_MESSAGE_TYPES:
        return False
    return bool(message.content and message.content.strip())


TEXT_PURGE_MINUTES = 60
"""How often stored message texts past their server's ``retention_days`` are erased."""

DEGRADED_LOG_INTERVAL_S = 10.0
"""At most one warning this often while messages are decided degraded (each one is logged at DEBUG)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PendingRescore:
    """A message waiting for the full model since ``queued_at``: ``degraded`` (its degraded decision is
    stored) or deferred (the front had no answer at all: nothing stored for this text)."""

    message: discord.Message
    degraded: bool
    queued_at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))


class ScoringCog(WardenCog):
    """Scores messages in watched channels and dispatches ``warden_decision`` for each."""

    def __init__(self, bot: WardenBot) -> None:
        super().__init__(bot)
        self.turns = KeyedTurns()
        """One line per (guild, author): their messages are decided in arrival order."""
        self.rescores: RescoreQueue[int, PendingRescore] = RescoreQueue(
            self._rescore,
            ready=self._front_has_room,
            wait_ready=lambda: wait_for_progress(self.services.scorer),
        )
        """Messages waiting for the full model (degraded or deferred in a burst), by message id."""
        self._degraded_logged_at = -DEGRADED_LOG_INTERVAL_S

    async def cog_load(self) -> None:
        self.services.metrics.rescores = self.rescores
        self.purge_expired_text.start()

    async def cog_unload(self) -> None:
        self.purge_expired_text.cancel()
        await self.rescores.close()

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

    def _front_has_room(self) -> bool:
        check = room_check(self.services.scorer)
        return check is not None and check()

    async def _rescore(self, pending: PendingRescore) -> None:
        """The full model's decision on a waiting message (``Overloaded``: the queue tries again later)."""
        await self.process(pending.message, edited=False, rescore=pending)

    async def process(
        self, message: discord.Message, *, edited: bool, rescore: PendingRescore | None = None
    ) -> Decision | None:
        """Score ``message`` and dispatch the decision; ``None`` when a guard stopped it.

        ``rescore``: the full model's decision on a message waiting in :attr:`rescores` (raises
        ``Overloaded`` when the full model still cannot take it; skipped when the message was decided
        by the full model meanwhile, e.g. after an edit).

        Marked in flight on the bot (:meth:`bot.discord_adapter.client.WardenBot.in_flight`): a graceful
        shutdown lets it store its scores before the database closes."""
        assert message.guild is not None
        # Taken before the first await: the order of the calls is the order of the member's turns.
        turn = self.turns.take((message.guild.id, message.author.id))
        in_flight = getattr(self.bot, "in_flight", None)
        with in_flight() if callable(in_flight) else contextlib.nullcontext():
            async with turn:
                return await self._process(message, turn, edited=edited, rescore=rescore)

    async def _process(
        self, message: discord.Message, turn: Turn, *, edited: bool, rescore: PendingRescore | None
    ) -> Decision | None:
        assert message.guild is not None
        guild_id = message.guild.id
        if not await self.enabled_in(guild_id):
            return None
        services = self.services
        policy: PolicySettings = await services.policies.get(guild_id)
        channel_id = watched_channel_id(message.channel)
        if not channel_in_scope(policy, channel_id):
            return None
        role_ids = await self._role_ids(message)
        if policy.exempt_roles and any(role in policy.exempt_roles for role in role_ids):
            return None

        # regular expressions over up to 4000 characters: off the event loop
        prepared = await asyncio.to_thread(prepare, message.content)
        if prepared.is_empty:
            return None
        started = time.perf_counter()
        try:
            answer = await score_chunks(services.scorer, prepared.chunks, allow_degraded=rescore is None)
        except Overloaded:
            if rescore is not None:
                raise  # still no room: the re-score queue keeps it
            self._defer(message)
            return None
        except ScoringError:
            log.exception("scoring failed for message %s in guild %s", message.id, guild_id)
            return None
        scores = Scores.elementwise_max(list(answer.scores))
        latency_ms = (time.perf_counter() - started) * 1000.0

        await turn.wait()  # the member's earlier messages are decided and acted on
        if rescore is not None and not await self._still_waiting(rescore):
            return None
        now = datetime.now(UTC)
        history = await services.database.run(services.cases.history_for, guild_id, message.author.id, now)
        # A reply speaks to someone too, unless the insult's own clause is about a third party;
        # prepare() already decided for a message that is not a reply.
        addressed = prepared.addressed
        if message.reference is not None:
            addressed = addresses_someone(prepared.text, mentions=len(prepared.mentions), is_reply=True)
        decision = (evaluate_degraded if answer.degraded else evaluate)(
            scores,
            policy,
            history=history,
            channel_id=channel_id,
            author_role_ids=role_ids,
            now=now,
            addressed=addressed,
        )
        # a degraded decision gets its evidence with the full model's re-score, not during the burst
        evidence = (
            () if answer.degraded else await self._evidence(message, prepared.chunks, answer.scores, decision)
        )
        event = DecisionEvent(
            guild_id=guild_id,
            channel_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            jump_url=message.jump_url,
            scores=scores.as_dict(),
            decision=decision.to_payload(),
            model_version=services.model_version,
            backend=services.backend_name,
            dry_run=decision.dry_run,
            edited=edited,
            content=message.content,
            evidence=evidence_dicts(evidence),
            degraded=answer.degraded,
            rescored=rescore is not None,
        )
        # The score, the automatic case and the queue entry commit together (a crash leaves all of them
        # or none); the case is acted on and the entry posted from the ids the event then carries.
        recorded = await services.database.run(
            services.decisions.record,
            guild_id=guild_id,
            channel_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            scores=scores,
            decision=decision,
            model_version=services.model_version,
            backend=services.backend_name,
            created_at=message.created_at,
            edited_at=message.edited_at if edited or rescore is not None else None,
            text=message.content,
            settings=policy,
            now=now,
            case=case_draft(event) if await services.infractions.acts_in(guild_id) else None,
            queue=queue_draft(event) if await self._queues_in(guild_id) else None,
        )
        event = dataclasses.replace(
            event, case_number=recorded.case_number, queue_entry_id=recorded.opened_entry_id
        )
        services.metrics.record(latency_ms)
        if rescore is not None:
            services.metrics.rescored += 1
        self._log_decision(message, decision, edited=edited, rescored=rescore is not None)
        if answer.degraded:
            self._note_degraded(message)
        else:  # the full model's decision (or a final lexical one): nothing left to re-score
            self.rescores.discard(message.id)
        # Its case is opened in this turn, so the member's next message counts it (never raises).
        await services.infractions.apply_decision(event)
        self.bot.dispatch_decision(event)
        return decision

    def _defer(self, message: discord.Message) -> None:
        """Neither tier could take ``message`` in time: it waits for the full model (when the front can
        say when it has room), else it is logged as not scored."""
        assert message.guild is not None
        metrics = self.services.metrics
        metrics.overloaded += 1
        if room_check(self.services.scorer) is not None and self.rescores.add(
            message.id, PendingRescore(message, degraded=False)
        ):
            metrics.deferred += 1
            log.warning(
                "scorer overloaded: message %s in guild %s deferred to the full model (%d waiting)",
                message.id,
                message.guild.id,
                len(self.rescores),
            )
            return
        log.warning(
            "scorer overloaded: message %s in guild %s not scored, nothing acted",
            message.id,
            message.guild.id,
        )

    def _note_degraded(self, message: discord.Message) -> None:
        """Count a degraded decision, queue its re-score, and warn at most every few seconds."""
        assert message.guild is not None
        metrics = self.services.metrics
        metrics.degraded += 1
        queued = self.rescores.add(message.id, PendingRescore(message, degraded=True))
        log.debug(
            "message %s in guild %s decided degraded (re-score queued: %s)",
            message.id,
            message.guild.id,
            queued,
        )
        now = time.monotonic()
        if now - self._degraded_logged_at >= DEGRADED_LOG_INTERVAL_S:
            self._degraded_logged_at = now
            log.warning(
                "scorer busy: %d message(s) decided degraded since start (lexical tier, stricter "
                "thresholds), %d waiting for the full model; latest: message %s in guild %s",
                metrics.degraded,
                len(self.rescores),
                message.id,
                message.guild.id,
            )

    async def _still_waiting(self, pending: PendingRescore) -> bool:
        """Whether a re-score is still wanted: not when the full model decided the message after it was
        queued (an edit), nor when its degraded row is gone (``/warden forget``)."""
        services = self.services
        record = await services.database.run(services.scores.get, pending.message.id)
        if record is None:
            return not pending.degraded
        return record.degraded or record.scored_at < pending.queued_at

    async def _evidence(
        self,
        message: discord.Message,
        chunks: Sequence[str],
        chunk_scores: Sequence[Scores],
        decision: Decision,
    ) -> tuple[Evidence, ...]:
        """The words behind the fired labels of a flagged message (one batch through the scorer front);
        nothing for an unflagged one. Never raises: a message without evidence is still acted on."""
        if decision.action is Action.NONE:
            return ()
        try:
            return await aexplain(score_many_of(self.services.scorer), chunks, chunk_scores, decision.labels)
        except Exception as error:
            log.warning(
                "message %s in guild %s: no evidence (%s)",
                message.id,
                message.guild.id if message.guild else "?",
                type(error).__name__,
            )
            return ()

    async def _queues_in(self, guild_id: int) -> bool:
        """Whether the mod queue takes this server's decisions (loaded, and switched on there)."""
        queue = self.bot.get_cog(MOD_QUEUE_COG)
        return isinstance(queue, WardenCog) and await queue.enabled_in(guild_id)

    async def _role_ids(self, message: discord.Message) -> list[int]:
        author = message.author
        if not isinstance(author, discord.Member) and message.guild is not None:
            author = message.guild.get_member(author.id) or author
        if isinstance(author, discord.Member):
            return [role.id for role in author.roles]
        return []

    @staticmethod
    def _log_decision(message: discord.Message, decision: Decision, *, edited: bool, rescored: bool) -> None:
        if decision.action is Action.NONE:
            return
        prefix = "[dry-run] would " if decision.dry_run else ""
        log.info(
            "%s%s: message %s by %s in guild %s%s: %s",
            prefix,
            decision.action.value,
            message.id,
            message.author.id,
            message.guild.id if message.guild else "?",
            " (edited)" if edited else " (re-scored by the full model)" if rescored else "",
            decision.reason,
        )
