"""Run a thread through preparation, scoring and the moderation use case, off Discord.

Preparation and scoring are batched over the thread (many messages' chunks in few backend calls); then
each message, in order, goes through :meth:`bot.moderation.use_case.ModerateMessage.decide`, the very
step the bot runs in a member's turn: the author's history is read from the run's own store (a fresh
in-memory database, so escalation per author sees this thread only), the policy decides and the score,
case and queue entry are recorded there. Timeouts end on their own: before each message, the cases due
by its time expire (the bot's scheduler). The evidence of the acted-on messages is computed afterwards,
in pooled backend calls.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.explain import Evidence
from bot.explain.pooled import ExplainItem, explain_many
from bot.moderation.message import Assessment, MessageInput, Ports
from bot.moderation.use_case import ModerateMessage
from bot.pipeline import PreparedText, prepare
from bot.policy import PolicySettings
from bot.policy.decision import Action, Decision
from bot.replay.reader import LineError, ThreadMessage
from bot.scoring.base import ScorerBackend, Scores
from bot.scoring.service import ScoringService
from bot.storage.cases import CaseRepository
from bot.storage.database import SQLiteDatabase
from bot.storage.decisions import DecisionRepository
from bot.storage.scores import ScoreRepository

log = logging.getLogger(__name__)

T = TypeVar("T")

REPLAY_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Messages without a timestamp are placed one minute apart from here, so time windows mean something."""

SCORE_SLICE = 256
"""Messages scored per backend call; also the progress granularity."""

RUN_GUILD_ID = 1
"""The server a run is decided under in its own store."""


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One replayed message: what it scored and what the policy decided."""

    line: int
    author: str | None
    channel: str | None
    content: str
    scores: Scores
    decision: Decision
    at: datetime = REPLAY_EPOCH
    """When the message was sent (its timestamp, or its place after :data:`REPLAY_EPOCH`)."""
    evidence: tuple[Evidence, ...] = ()
    """The words that carried each fired label (acted-on messages only, see :mod:`bot.explain`)."""


@dataclass(slots=True)
class ReplayResult:
    """Everything the replay found, plus the figures for its summary."""

    rows: list[ReplayRow]
    errors: list[LineError]
    backend: str
    model_version: str
    elapsed_s: float
    action_counts: Counter[str] = field(default_factory=Counter)
    failed: list[LineError] = field(default_factory=list)
    """The lines the engine itself had to skip (also in ``errors``, which holds the reader's too)."""

    @property
    def messages_per_second(self) -> float:
        """Replay throughput over preparation, scoring and policy."""
        return len(self.rows) / self.elapsed_s if self.elapsed_s > 0 else 0.0


def channel_id(channel: str | None) -> int | None:
    """A JSONL ``channel`` given as a Discord channel id, so the policy's channel settings apply;
    a channel name (or none) skips the channel checks, as for a thread with no channels. Only ASCII
    digits make an id (``"²"`` is a digit to :meth:`str.isdigit`, but no id)."""
    if channel is None or not (channel.isascii() and channel.isdigit()):
        return None
    return int(channel)


@dataclass(frozen=True, slots=True)
class _Prepared:
    index: int  # position in the thread: places a message without a timestamp in time
    message: ThreadMessage
    prepared: PreparedText


@dataclass(frozen=True, slots=True)
class _Scored:
    pending: _Prepared
    scores: Scores
    chunk_scores: tuple[Scores, ...] = ()

    @property
    def index(self) -> int:
        return self.pending.index

    @property
    def message(self) -> ThreadMessage:
        return self.pending.message

    @property
    def prepared(self) -> PreparedText:
        return self.pending.prepared


class _InlineDatabase(SQLiteDatabase):
    """The run's own store. The replay decides one message at a time with nothing else on its event
    loop, so a store call runs right there instead of hopping to the database thread and back."""

    async def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        with self.connection():
            return fn(*args, **kwargs)


class _FixedPolicy:
    """The one policy a replay runs under, whatever the server."""

    def __init__(self, policy: PolicySettings) -> None:
        self.policy = policy

    async def get(self, guild_id: int) -> PolicySettings:
        return self.policy


def _moment(at: datetime) -> datetime:
    """A message's time, aware (a naive timestamp is UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _failure(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 80 else text[:79] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ReplayEngine:
    """Replays messages in order; scoring is batched, the policy sees each author's warnings so far.

    A message that fails on its own (preparation, scoring or policy) becomes a :class:`LineError` and
    the replay goes on; only a backend that can score nothing at all stops the run (its error is raised).
    With ``evidence`` (the default) every message with an action above ``none`` gets its evidence,
    computed after all decisions in pooled backend calls; unflagged messages cost nothing more.
    """

    def __init__(self, backend: ScorerBackend, policy: PolicySettings, *, evidence: bool = True) -> None:
        self.backend = backend
        self.policy = policy
        self.service = ScoringService(backend)
        self.evidence = evidence

    def run(
        self,
        messages: Sequence[ThreadMessage],
        errors: Sequence[LineError] = (),
        progress: Callable[[int], None] | None = None,
    ) -> ReplayResult:
        """Score and decide every message; ``progress`` is called with the number just scored."""
        started = time.perf_counter()
        failed: list[LineError] = []
        scored: list[_Scored] = []
        for start in range(0, len(messages), SCORE_SLICE):
            batch = messages[start : start + SCORE_SLICE]
            pending = [self._prepare(start + offset, message, failed) for offset, message in enumerate(batch)]
            ready = [item for item in pending if item is not None]
            scored.extend(self._score(ready, failed, nothing_scored_yet=not scored))
            if progress is not None:
                progress(len(batch))

        rows, decided = asyncio.run(self._decide_all(scored, failed))
        if self.evidence:
            rows = self._explain(rows, decided)
        elapsed = time.perf_counter() - started
        counts = Counter(row.decision.action.value for row in rows)
        return ReplayResult(
            rows=rows,
            errors=sorted([*errors, *failed], key=lambda error: error.line),
            backend=self.backend.name,
            model_version=self.backend.model_version,
            elapsed_s=elapsed,
            action_counts=counts,
            failed=failed,
        )

    @staticmethod
    def _prepare(index: int, message: ThreadMessage, failed: list[LineError]) -> _Prepared | None:
        try:
            return _Prepared(index, message, prepare(message.content))
        except Exception as exc:
            log.debug("replay line %d could not be prepared", message.line, exc_info=True)
            failed.append(LineError(message.line, f"could not be prepared ({_failure(exc)}): skipped"))
            return None

    def _score(
        self,
        batch: Sequence[_Prepared],
        failed: list[LineError],
        *,
        nothing_scored_yet: bool,
    ) -> list[_Scored]:
        """The batch scored in one go; when that fails, one message at a time, so a message that
        breaks the backend is named and skipped. A slice where nothing scores, before anything
        has, means the backend itself is broken: its error is raised."""
        try:
            results = self.service.score_many([item.prepared for item in batch])
            return [
                _Scored(item, result.scores, result.chunk_scores)
                for item, result in zip(batch, results, strict=True)
            ]
        except Exception:
            log.debug("replay slice failed to score, retrying message by message", exc_info=True)
        out: list[_Scored] = []
        first_error: Exception | None = None
        for item in batch:
            line = item.message.line
            try:
                (result,) = self.service.score_many([item.prepared])
            except Exception as exc:
                log.debug("replay line %d could not be scored", line, exc_info=True)
                first_error = first_error or exc
                failed.append(LineError(line, f"could not be scored ({_failure(exc)}): skipped"))
                continue
            out.append(_Scored(item, result.scores, result.chunk_scores))
        if first_error is not None and not out and nothing_scored_yet:
            raise first_error
        return out

    async def _decide_all(
        self, scored: Sequence[_Scored], failed: list[LineError]
    ) -> tuple[list[ReplayRow], list[_Scored]]:
        """Every scored message through the use case's decision, in thread order, on a fresh store."""
        database = _InlineDatabase(":memory:")
        cases = CaseRepository(database)
        use_case = ModerateMessage(
            database=database,
            policies=_FixedPolicy(self.policy),
            scores=ScoreRepository(database),
            cases=cases,
            decisions=DecisionRepository(database, cases=cases),
            scorer=lambda: self.backend,
            model_version=lambda: self.backend.model_version,
            backend=lambda: self.backend.name,
            ports=Ports(now=lambda message: message.created_at),
            evidence=False,  # explained afterwards, pooled
        )
        authors: dict[str, int] = {}
        rows: list[ReplayRow] = []
        decided: list[_Scored] = []
        try:
            for item in scored:
                message = item.message
                # A plain-text thread has no authors: each line is its own author, so nothing escalates.
                author_key = message.author if message.author is not None else f"line-{message.line}"
                at = _moment(message.timestamp or REPLAY_EPOCH + timedelta(minutes=item.index))
                incoming = MessageInput(
                    guild_id=RUN_GUILD_ID,
                    channel_id=channel_id(message.channel) or 0,
                    policy_channel_id=channel_id(message.channel),
                    message_id=message.line,
                    author_id=authors.setdefault(author_key, len(authors) + 1),
                    content=message.content,
                    created_at=at,
                )
                try:
                    await database.run(cases.expire_due, at)
                    outcome = await use_case.decide(
                        incoming, Assessment(item.prepared, item.chunk_scores), self.policy
                    )
                except Exception as exc:
                    log.debug("replay line %d could not be decided", message.line, exc_info=True)
                    failed.append(LineError(message.line, f"could not be decided ({_failure(exc)}): skipped"))
                    continue
                rows.append(
                    ReplayRow(
                        line=message.line,
                        author=message.author,
                        channel=message.channel,
                        content=message.content,
                        scores=outcome.scores,
                        decision=outcome.decision,
                        at=at,
                    )
                )
                decided.append(item)
        finally:
            await use_case.close()
            await asyncio.to_thread(database.close)
        return rows, decided

    def _explain(self, rows: list[ReplayRow], items: list[_Scored]) -> list[ReplayRow]:
        """``rows`` with the evidence of every acted-on one (``items``: their scored messages)."""
        flagged = [index for index, row in enumerate(rows) if row.decision.action is not Action.NONE]
        if not flagged:
            return rows
        asks = [
            ExplainItem(items[i].prepared.chunks, items[i].chunk_scores, rows[i].decision.labels)
            for i in flagged
        ]
        found = explain_many(self.backend, asks)
        out = list(rows)
        for index, evidence in zip(flagged, found, strict=True):
            out[index] = replace(rows[index], evidence=evidence)
        return out
