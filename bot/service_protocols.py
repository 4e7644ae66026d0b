"""The shapes of the shared services (:class:`bot.services.Services`), as Protocols.

Each Protocol is the part of a service that Warden's cogs and core consumers rely on: the SQLite
repositories of :mod:`bot.storage` implement them today, and another store (or a test double) only has
to provide these methods. Repository methods are blocking: call them through
``await services.database.run(method, ...)``, never on the event loop. No discord.py here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.events import DecisionEvent
    from bot.explain.occlusion import Evidence
    from bot.moderation.expiry import ExpiryScheduler
    from bot.moderation.infraction_types import (
        ActionsProvider,
        InfractionOutcome,
        InfractionRequest,
        ModerationActions,
    )
    from bot.policy.decision import Decision
    from bot.policy.engine import AuthorHistory
    from bot.policy.settings import PolicySettings
    from bot.scoring.base import Scores
    from bot.storage.cases import Case
    from bot.storage.decisions import CaseDraft, QueueDraft, RecordedDecision
    from bot.storage.queue import QueueEntry, QueueStats, Resolution
    from bot.storage.scores import ScoreRecord, ScoreStats

__all__ = [
    "CaseStore",
    "ContextFeature",
    "DecisionRecorder",
    "Infractions",
    "PolicyProvider",
    "QueueStore",
    "ScoreStore",
]


class PolicyProvider(Protocol):
    """Each server's effective policy (:class:`bot.moderation.store.PolicyStore`)."""

    @property
    def defaults(self) -> PolicySettings:
        """The deployment's default policy (``config/`` or ``WARDEN_CONFIG``)."""
        ...

    async def get(self, guild_id: int) -> PolicySettings:
        """The server's policy: the defaults with its stored overrides."""
        ...

    async def update(self, guild_id: int, patch: Mapping[str, Any]) -> PolicySettings:
        """Merge ``patch`` into the server's overrides (validated); the new policy."""
        ...

    async def set_key(self, guild_id: int, key: str, value: Any) -> PolicySettings:
        """Set one dotted key (``thresholds.insult``) of the server's policy (validated)."""
        ...

    async def disabled_cogs(self, guild_id: int) -> list[str]:
        """The features switched off in the server."""
        ...


class ScoreStore(Protocol):
    """Scored messages (:class:`bot.storage.scores.ScoreRepository`). Blocking."""

    def get(self, message_id: int) -> ScoreRecord | None: ...

    def purge_expired_text(self, now: datetime | None = None) -> int: ...

    def stats_today(self, guild_id: int, now: datetime | None = None) -> ScoreStats: ...

    def forget_scores(self, guild_id: int, user_id: int) -> int:
        """Delete the member's score rows (``/warden forget``, the scoring cog's share)."""
        ...

    def forget_user(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase what the member wrote in the server from every core table (``/warden forget``'s sweep
        after the cogs' hooks): counts by ``scores``, ``queue_excerpts``, ``report_reasons``."""
        ...


class CaseStore(Protocol):
    """Cases, the moderators' record (:class:`bot.storage.cases.CaseRepository`). Blocking."""

    def get(self, guild_id: int, case_number: int) -> Case | None: ...

    def list_for_user(
        self, guild_id: int, user_id: int, *, active_only: bool = False, limit: int | None = None
    ) -> list[Case]: ...

    def history_for(
        self, guild_id: int, user_id: int, now: datetime | None = None, *, lookback: timedelta = ...
    ) -> AuthorHistory: ...


class QueueStore(Protocol):
    """The mod queue's entries (:class:`bot.storage.queue.QueueRepository`). Blocking."""

    def add(
        self,
        *,
        guild_id: int,
        source: Any = ...,
        message_id: int | None = None,
        channel_id: int | None = None,
        author_id: int | None = None,
        reporter_id: int | None = None,
        jump_url: str | None = None,
        excerpt: str | None = None,
        scores: Scores | Mapping[str, float] | None = None,
        labels: Iterable[str] = (),
        reason: str = "",
        case_id: int | None = None,
        now: datetime | None = None,
        evidence: Iterable[Evidence] = (),
    ) -> tuple[QueueEntry, bool]: ...

    def get(self, entry_id: int) -> QueueEntry | None: ...

    def forget_member(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase the member's excerpts, evidence and report reasons (``/warden forget``)."""
        ...

    def appeal_of_case(self, case_id: int) -> QueueEntry | None: ...

    def get_by_queue_message(self, queue_message_id: int) -> QueueEntry | None: ...

    def list_open(self, guild_id: int, *, limit: int | None = None) -> list[QueueEntry]: ...

    def next_open(self, guild_id: int) -> QueueEntry | None: ...

    def stats(self, guild_id: int, *, since: datetime | None = None) -> QueueStats: ...

    def list_feedback(self, guild_id: int, *, verdict: str | None = None) -> list[dict[str, Any]]: ...

    def set_message_id(self, entry: QueueEntry | int, queue_message_id: int | None) -> QueueEntry: ...

    def claim(
        self, entry: QueueEntry | int, moderator_id: int, *, now: datetime | None = None
    ) -> QueueEntry: ...

    def resolve(
        self,
        entry: QueueEntry | int,
        moderator_id: int,
        resolution: Resolution | str,
        *,
        case_id: int | None = None,
        now: datetime | None = None,
    ) -> QueueEntry: ...


class DecisionRecorder(Protocol):
    """Stores a decision with its score, case and queue entry in one transaction
    (:class:`bot.storage.decisions.DecisionRepository`). Blocking."""

    def record(
        self,
        *,
        guild_id: int,
        channel_id: int,
        message_id: int,
        author_id: int,
        scores: Scores,
        decision: Decision,
        model_version: str,
        backend: str,
        created_at: datetime | None = None,
        edited_at: datetime | None = None,
        text: str | None = None,
        settings: PolicySettings | None = None,
        now: datetime | None = None,
        case: CaseDraft | None = None,
        queue: QueueDraft | None = None,
    ) -> RecordedDecision: ...


class Infractions(Protocol):
    """Apply, pardon, expire and appeal cases (:class:`bot.moderation.infractions.InfractionService`).

    ``actions_for`` and ``acting_enabled`` are wired by the composition root
    (:func:`bot.discord_adapter.factory.create_bot`): the Discord actions of a server, and whether the
    policy's decisions are carried out there."""

    actions_for: ActionsProvider
    acting_enabled: Callable[[int], Awaitable[bool]]
    scheduler: ExpiryScheduler

    async def apply(self, actions: ModerationActions, request: InfractionRequest) -> InfractionOutcome: ...

    async def apply_decision(self, event: DecisionEvent) -> InfractionOutcome | None: ...

    async def acts_in(self, guild_id: int) -> bool: ...

    async def pardon(
        self, actions: ModerationActions, guild_id: int, case_number: int, *, moderator_id: int, reason: str
    ) -> Case: ...

    async def get_case(self, guild_id: int, case_number: int) -> Case: ...

    async def cases_of(self, guild_id: int, user_id: int, *, limit: int | None = 25) -> list[Case]: ...

    async def file_appeal(
        self, queue: QueueStore, guild_id: int, case_number: int, *, user_id: int, text: str
    ) -> tuple[QueueEntry, Case]: ...

    async def reschedule(self) -> int: ...


class ContextFeature(Protocol):
    """What the rest of the bot needs from the context feature's service (``bot.sources``); the context
    cog uses the rest of its API."""

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        """Erase the member's context requests and votes (``/warden forget``); rows erased."""
        ...

    async def aclose(self) -> None:
        """Stop background work and release resources (shutdown)."""
        ...
