"""One message's way through Warden, as plain Python: the moderation use case the scoring cog and the
replay share.

:meth:`ModerateMessage.handle` (the bot: one message as it arrives) runs the guard chain that is data
(scoring switched on in the server, the channel watched and not exempt, no exempt role), prepares the
text off the event loop and scores its chunks through the scorer front; then, in the author's turn,
:meth:`ModerateMessage.decide` reads the author's history from the store, evaluates the policy, explains
an acted-on message (:mod:`bot.explain`), records the score with its automatic case and queue entry in
one transaction, carries the case out and emits the :class:`~bot.events.DecisionEvent`. The replay
(:mod:`bot.replay.engine`) prepares and scores a whole thread in batches and calls the same
:meth:`~ModerateMessage.decide` for each message, in order, on its own store.

One member's messages are decided in the order they arrived (:class:`~bot.moderation.ordering.KeyedTurns`
per server and author): preparing and scoring run concurrently, but reading the author's history,
deciding, storing and acting happen one message at a time, so the fifth insult of a burst reads the
cases the first four opened.

Never unscored: when the full model cannot answer in time (a burst), the scorer front's lexical tier
answers at once (:mod:`bot.scoring.front`); a message it does not clear is decided **degraded**, at
stricter thresholds (:mod:`bot.policy.degraded`), stored marked so, and queued
(:class:`~bot.scoring.rescore.RescoreQueue`) for the full model, which scores it again once it has
room, through the same path as an edit: the score row is updated and no second case is opened. A front
with no lexical tier defers the whole message to that queue instead.

No discord.py here: what the platform lends (the feature switch, acting, the event's dispatch) comes
in through :class:`~bot.moderation.message.Ports`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from bot.events import DecisionEvent
from bot.explain import Evidence, aexplain, evidence_dicts, score_many_of
from bot.moderation.decision_records import case_draft, queue_draft
from bot.moderation.message import Assessment, MessageInput, Outcome, PendingRescore, Ports
from bot.moderation.ordering import KeyedTurns, Turn
from bot.moderation.prepare_queue import BatchedPrepare
from bot.pipeline.address import addresses_someone
from bot.policy import AuthorHistory, PolicySettings, evaluate
from bot.policy.decision import Action, Decision
from bot.policy.degraded import evaluate_degraded
from bot.policy.engine import EARLIEST, as_utc
from bot.scoring.base import Scores, ScoringError
from bot.scoring.batcher import Overloaded
from bot.scoring.front import room_check, score_chunks, wait_for_progress
from bot.scoring.rescore import RescoreQueue
from bot.service_protocols import CaseStore, DecisionRecorder, ScoreStore
from bot.services import ScoringMetrics
from bot.storage.cases import DEFAULT_LOOKBACK
from bot.storage.database import Database
from bot.storage.decisions import RecordedDecision

__all__ = ["ModerateMessage", "PolicySource", "channel_in_scope", "decision_event", "record_decision"]

log = logging.getLogger(__name__)

DEGRADED_LOG_INTERVAL_S = 10.0
"""At most one warning this often while messages are decided degraded (each one is logged at DEBUG)."""


class PolicySource(Protocol):
    """Where a server's effective policy comes from (:class:`bot.moderation.store.PolicyStore`)."""

    async def get(self, guild_id: int) -> PolicySettings:
        """The policy in force in ``guild_id``."""
        ...


def channel_in_scope(policy: PolicySettings, channel_id: int | None) -> bool:
    """The policy's channel checks, applied before any scoring work (the engine applies them again);
    ``None``: no channel, nothing to check."""
    if channel_id is None:
        return True
    if channel_id in policy.exempt_channels:
        return False
    if policy.watched_channels and channel_id not in policy.watched_channels:
        return False
    override = policy.channel(channel_id)
    return not (override is not None and override.off)


def in_scope(policy: PolicySettings, message: MessageInput) -> bool:
    """The data links of the guard chain: the channel is watched and not exempt, no role is exempt."""
    if not channel_in_scope(policy, message.policy_channel_id):
        return False
    return not (policy.exempt_roles and any(role in policy.exempt_roles for role in message.role_ids))


def history_since(now: datetime, lookback: timedelta = DEFAULT_LOOKBACK) -> timedelta:
    """The history lookback from ``now``, shortened so that ``now - lookback`` stays in the calendar."""
    return min(lookback, as_utc(now) - EARLIEST)


def decision_event(
    message: MessageInput,
    scores: Scores,
    decision: Decision,
    evidence: tuple[Evidence, ...],
    *,
    model_version: str,
    backend: str,
    degraded: bool = False,
    rescored: bool = False,
) -> DecisionEvent:
    """The ``warden_decision`` payload for ``message`` (before its case and entry are recorded)."""
    return DecisionEvent(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        message_id=message.message_id,
        author_id=message.author_id,
        jump_url=message.jump_url,
        scores=scores.as_dict(),
        decision=decision.to_payload(),
        model_version=model_version,
        backend=backend,
        dry_run=decision.dry_run,
        edited=message.edited,
        content=message.content,
        evidence=evidence_dicts(evidence),
        degraded=degraded,
        rescored=rescored,
    )


def record_decision(
    decisions: DecisionRecorder,
    event: DecisionEvent,
    message: MessageInput,
    scores: Scores,
    decision: Decision,
    policy: PolicySettings,
    *,
    now: datetime,
    opens_case: bool,
    opens_entry: bool,
    edited_at: datetime | None = None,
) -> RecordedDecision:
    """Blocking: the score, the automatic case and the queue entry of ``event``, in one transaction (a
    crash leaves all of them or none). Used by :class:`ModerateMessage` and by ``warden replay --db``."""
    return decisions.record(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        message_id=message.message_id,
        author_id=message.author_id,
        scores=scores,
        decision=decision,
        model_version=event.model_version,
        backend=event.backend,
        created_at=message.created_at,
        edited_at=edited_at,
        text=message.content,
        settings=policy,
        now=now,
        case=case_draft(event) if opens_case else None,
        queue=queue_draft(event) if opens_entry else None,
    )


class ModerateMessage:
    """The moderation use case (see the module docstring).

    ``scorer`` returns the scorer front when asked (it is built after the use case, at start-up);
    ``model_version`` and ``backend`` name what scores. ``evidence=False`` skips the evidence (the
    replay explains its acted-on messages in one pooled pass afterwards).
    """

    def __init__(
        self,
        *,
        database: Database,
        policies: PolicySource,
        scores: ScoreStore,
        cases: CaseStore,
        decisions: DecisionRecorder,
        scorer: Callable[[], object],
        model_version: Callable[[], str],
        backend: Callable[[], str],
        metrics: ScoringMetrics | None = None,
        ports: Ports | None = None,
        evidence: bool = True,
    ) -> None:
        self.database = database
        self.policies = policies
        self.scores = scores
        self.cases = cases
        self.decisions = decisions
        self._scorer = scorer
        self._model_version = model_version
        self._backend = backend
        self.metrics = metrics if metrics is not None else ScoringMetrics()
        self.ports = ports if ports is not None else Ports()
        self.evidence = evidence
        self.prepare = BatchedPrepare()
        """Preparation off the event loop, batched into worker-thread calls."""
        self.turns = KeyedTurns()
        """One line per (guild, author): their messages are decided in arrival order."""
        self.rescores: RescoreQueue[int, PendingRescore] = RescoreQueue(
            self._rescore,
            ready=self._front_has_room,
            wait_ready=lambda: wait_for_progress(self._scorer()),
        )
        """Messages waiting for the full model (degraded or deferred in a burst), by message id."""
        self._degraded_logged_at = -DEGRADED_LOG_INTERVAL_S

    async def close(self) -> None:
        """Stop the re-score queue (what waits there keeps its stored degraded decision)."""
        await self.rescores.close()

    # ------------------------------------------------------------------ the bot's path

    async def handle(self, message: MessageInput, *, rescore: PendingRescore | None = None) -> Outcome | None:
        """Guard, prepare, score and, in the author's turn, :meth:`decide`; ``None`` when a guard stopped
        it or it could not be scored now (deferred, or the scorer failed: logged).

        ``rescore``: the full model's decision on a message waiting in :attr:`rescores` (raises
        ``Overloaded`` when the full model still cannot take it; skipped when the message was decided
        by the full model meanwhile, e.g. after an edit). Marked in flight (``ports.in_flight``)."""
        # Taken before the first await: the order of the calls is the order of the member's turns.
        turn = self.turns.take((message.guild_id, message.author_id))
        with self.ports.in_flight():
            async with turn:
                return await self._handle(message, turn, rescore)

    async def _handle(
        self, message: MessageInput, turn: Turn, rescore: PendingRescore | None
    ) -> Outcome | None:
        if not await self.ports.enabled(message.guild_id):
            return None
        policy = await self.policies.get(message.guild_id)
        if not in_scope(policy, message):
            return None
        assessment = await self.assess(message, allow_degraded=rescore is None, retry=rescore is not None)
        if assessment is None:
            return None
        await turn.wait()  # the member's earlier messages are decided and acted on
        if rescore is not None and not await self.still_waiting(rescore):
            return None
        return await self.decide(message, assessment, policy, rescore=rescore)

    async def assess(
        self, message: MessageInput, *, allow_degraded: bool, retry: bool = False
    ) -> Assessment | None:
        """Prepare (off the event loop, batched: :mod:`bot.moderation.prepare_queue`) and score through
        the front; ``None`` for an empty text, a deferred message or a scoring failure (logged).
        ``retry``: ``Overloaded`` is raised instead of deferring (a re-score: its queue keeps it)."""
        prepared = await self.prepare(message.content)
        if prepared.is_empty:
            return None
        started = time.perf_counter()
        try:
            answer = await score_chunks(self._scorer(), prepared.chunks, allow_degraded=allow_degraded)
        except Overloaded:
            if retry:
                raise
            self._defer(message)
            return None
        except ScoringError:
            log.exception("scoring failed for message %s in guild %s", message.message_id, message.guild_id)
            return None
        latency_ms = (time.perf_counter() - started) * 1000.0
        return Assessment(prepared, tuple(answer.scores), answer.degraded, latency_ms)

    # ------------------------------------------------------------------ the turn, shared with the replay

    async def decide(
        self,
        message: MessageInput,
        assessment: Assessment,
        policy: PolicySettings,
        *,
        rescore: PendingRescore | None = None,
    ) -> Outcome:
        """History, policy, evidence, record, act and emit, for a message whose turn it is."""
        now = self.ports.now(message)
        history: AuthorHistory = await self.database.run(
            self.cases.history_for,
            message.guild_id,
            message.author_id,
            now,
            lookback=history_since(now),
        )
        # A reply speaks to someone too, unless the insult's own clause is about a third party;
        # prepare() already decided for a message that is not a reply.
        prepared = assessment.prepared
        addressed = prepared.addressed
        if message.is_reply:
            addressed = addresses_someone(prepared.text, mentions=len(prepared.mentions), is_reply=True)
        scores = assessment.scores
        decision = (evaluate_degraded if assessment.degraded else evaluate)(
            scores,
            policy,
            history=history,
            channel_id=message.policy_channel_id,
            author_role_ids=list(message.role_ids),
            now=now,
            addressed=addressed,
        )
        # a degraded decision gets its evidence with the full model's re-score, not during the burst
        evidence = () if assessment.degraded else await self._evidence(message, assessment, decision)
        event = decision_event(
            message,
            scores,
            decision,
            evidence,
            model_version=self._model_version(),
            backend=self._backend(),
            degraded=assessment.degraded,
            rescored=rescore is not None,
        )
        # The case is acted on and the entry posted from the ids the event then carries.
        recorded = await self.database.run(
            record_decision,
            self.decisions,
            event,
            message,
            scores,
            decision,
            policy,
            now=now,
            opens_case=await self.ports.acts_in(message.guild_id),
            opens_entry=await self.ports.queues_in(message.guild_id),
            edited_at=message.edited_at if message.edited or rescore is not None else None,
        )
        event = dataclasses.replace(
            event, case_number=recorded.case_number, queue_entry_id=recorded.opened_entry_id
        )
        self.metrics.record(assessment.latency_ms)
        if rescore is not None:
            self.metrics.rescored += 1
        _log_decision(message, decision, rescored=rescore is not None)
        if assessment.degraded:
            self._note_degraded(message)
        else:  # the full model's decision (or a final lexical one): nothing left to re-score
            self.rescores.discard(message.message_id)
        # Its case is opened in this turn, so the member's next message counts it (never raises).
        await self.ports.act(event)
        self.ports.emit(event)
        return Outcome(decision, scores, evidence, event)

    async def _evidence(
        self, message: MessageInput, assessment: Assessment, decision: Decision
    ) -> tuple[Evidence, ...]:
        """The words behind the fired labels of a flagged message (one batch through the scorer front);
        nothing for an unflagged one. Never raises: a message without evidence is still acted on."""
        if not self.evidence or decision.action is Action.NONE:
            return ()
        try:
            return await aexplain(
                score_many_of(self._scorer()),
                assessment.prepared.chunks,
                assessment.chunk_scores,
                decision.labels,
            )
        except Exception as error:
            log.warning(
                "message %s in guild %s: no evidence (%s)",
                message.message_id,
                message.guild_id,
                type(error).__name__,
            )
            return ()

    # ------------------------------------------------------------------ bursts: degraded and deferred

    def _front_has_room(self) -> bool:
        check = room_check(self._scorer())
        return check is not None and check()

    async def _rescore(self, pending: PendingRescore) -> None:
        """The full model's decision on a waiting message (``Overloaded``: the queue tries again later)."""
        await self.handle(pending.message, rescore=pending)

    async def still_waiting(self, pending: PendingRescore) -> bool:
        """Whether a re-score is still wanted: not when the full model decided the message after it was
        queued (an edit), nor when its degraded row is gone (``/warden forget``)."""
        record = await self.database.run(self.scores.get, pending.message.message_id)
        if record is None:
            return not pending.degraded
        return record.degraded or record.scored_at < pending.queued_at

    def _defer(self, message: MessageInput) -> None:
        """Neither tier could take ``message`` in time: it waits for the full model (when the front can
        say when it has room), else it is logged as not scored."""
        metrics = self.metrics
        metrics.overloaded += 1
        if room_check(self._scorer()) is not None and self.rescores.add(
            message.message_id, PendingRescore(message, degraded=False)
        ):
            metrics.deferred += 1
            log.warning(
                "scorer overloaded: message %s in guild %s deferred to the full model (%d waiting)",
                message.message_id,
                message.guild_id,
                len(self.rescores),
            )
            return
        log.warning(
            "scorer overloaded: message %s in guild %s not scored, nothing acted",
            message.message_id,
            message.guild_id,
        )

    def _note_degraded(self, message: MessageInput) -> None:
        """Count a degraded decision, queue its re-score, and warn at most every few seconds."""
        metrics = self.metrics
        metrics.degraded += 1
        queued = self.rescores.add(message.message_id, PendingRescore(message, degraded=True))
        log.debug(
            "message %s in guild %s decided degraded (re-score queued: %s)",
            message.message_id,
            message.guild_id,
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
                message.message_id,
                message.guild_id,
            )


def _log_decision(message: MessageInput, decision: Decision, *, rescored: bool) -> None:
    if decision.action is Action.NONE:
        return
    prefix = "[dry-run] would " if decision.dry_run else ""
    log.info(
        "%s%s: message %s by %s in guild %s%s: %s",
        prefix,
        decision.action.value,
        message.message_id,
        message.author_id,
        message.guild_id,
        " (edited)" if message.edited else " (re-scored by the full model)" if rescored else "",
        decision.reason,
    )
