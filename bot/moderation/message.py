"""The plain data the moderation use case (:mod:`bot.moderation.use_case`) works on: one message as the
platform delivered it, what scoring it found, what was decided, and what the platform lends the use case.

No discord.py here: the scoring cog turns a ``discord.Message`` into a :class:`MessageInput`, the
replay turns a thread line into one.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.events import DecisionEvent
from bot.explain import Evidence
from bot.pipeline import PreparedText
from bot.policy.decision import Decision
from bot.scoring.base import Scores


@dataclass(frozen=True, slots=True)
class MessageInput:
    """One member message, as plain data.

    ``channel_id`` is where it was posted; ``policy_channel_id`` the channel whose policy applies (a
    thread follows its parent), ``None`` for no channel checks at all (a replayed thread whose channels
    are names). ``is_reply``: it answers another message (a reply speaks to someone). ``edited``: it is
    the new text of an edited message; ``edited_at`` is when (recorded for edits and re-scores).
    """

    guild_id: int
    channel_id: int
    policy_channel_id: int | None
    message_id: int
    author_id: int
    content: str
    created_at: datetime
    role_ids: tuple[int, ...] = ()
    is_reply: bool = False
    edited: bool = False
    edited_at: datetime | None = None
    jump_url: str = ""


@dataclass(frozen=True, slots=True)
class Assessment:
    """A prepared message and its chunks' scores. ``degraded``: the lexical tier answered while the full
    model was busy; ``latency_ms``: preparation plus scoring, for the metrics (0 when not measured)."""

    prepared: PreparedText
    chunk_scores: tuple[Scores, ...]
    degraded: bool = False
    latency_ms: float = 0.0

    @property
    def scores(self) -> Scores:
        """The message's scores: the per-label maximum over its chunks (zeros without chunks)."""
        return Scores.elementwise_max(list(self.chunk_scores)) if self.chunk_scores else Scores.zeros()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the use case decided about one message, and the event it emitted for it."""

    decision: Decision
    scores: Scores
    evidence: tuple[Evidence, ...]
    event: DecisionEvent


@dataclass(frozen=True, slots=True)
class PendingRescore:
    """A message waiting for the full model since ``queued_at``: ``degraded`` (its degraded decision is
    stored) or deferred (the front had no answer at all: nothing stored for this text)."""

    message: MessageInput
    degraded: bool
    queued_at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))


async def _yes(_guild_id: int) -> bool:
    return True


async def _nothing(_event: DecisionEvent) -> None:
    return None


def _emit_nowhere(_event: DecisionEvent) -> None:
    return None


def _wall_clock(_message: MessageInput) -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Ports:
    """What the platform around the use case lends it (defaults: a world with nothing around it).

    ``enabled``: the scoring feature is switched on in a server. ``acts_in`` / ``queues_in``: a
    server's decisions open their automatic case (the warnings side acts there) / their mod queue entry
    (the queue takes them). ``act``: carry out a decision's case (never raises). ``emit``: hand the
    finished decision to the listeners (the Discord adapter dispatches ``warden_decision``). ``in_flight``:
    mark one message's work so a shutdown lets it finish. ``now``: the moment a message is decided at
    (the bot: the wall clock; the replay: the message's own time).
    """

    enabled: Callable[[int], Awaitable[bool]] = _yes
    acts_in: Callable[[int], Awaitable[bool]] = _yes
    queues_in: Callable[[int], Awaitable[bool]] = _yes
    act: Callable[[DecisionEvent], Awaitable[object]] = _nothing
    emit: Callable[[DecisionEvent], None] = _emit_nowhere
    in_flight: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
    now: Callable[[MessageInput], datetime] = _wall_clock
