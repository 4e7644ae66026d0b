"""The mod queue service as plain Python: add entries, claim, resolve each once, list, count.

``cogs/modqueue`` supplies the Discord side of a resolution and renders the answers; nothing here
imports discord.py. The repository (``bot.storage``) owns the rows and the conditional resolve; this
module wraps it with the rules of the queue (:mod:`bot.moderation.queue_rules`), every blocking call
through ``Database.run``. The cards are :mod:`bot.moderation.queue_cards`, the report rate limit
:mod:`bot.moderation.report_limits`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.events import DecisionEvent
from bot.moderation.decision_records import STORED_EXCERPT_CHARS, queue_draft
from bot.moderation.queue_rules import QueueAction, resolution_for, resolution_text
from bot.moderation.text import excerpt
from bot.service_protocols import CaseStore, QueueStore
from bot.storage.cases import Case
from bot.storage.database import Database
from bot.storage.errors import NotFoundError, StateError
from bot.storage.queue import (
    QueueEntry,
    QueueSource,
    QueueStats,
    QueueStatus,
)

# --------------------------------------------------------------------------- the service


class ResolveStatus(StrEnum):
    """How an attempt to resolve (or claim) an entry ended."""

    DONE = "done"
    ALREADY_RESOLVED = "already_resolved"
    CLAIMED_BY_OTHER = "claimed_by_other"
    NOT_FOUND = "not_found"
    ACTION_FAILED = "action_failed"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the Discord side of a resolution did: the case it opened (``case_id`` is the cases row id,
    ``case_number`` the server's number), and a warning to show the moderator (DM refused, ...)."""

    case_id: int | None = None
    case_number: int | None = None
    note: str = ""


class QueueActionError(Exception):
    """The Discord side of a resolution failed: the entry stays open, ``reason`` goes to the moderator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Attempt:
    """The answer to one button press: ``status``, the entry as it now is, and what was done."""

    status: ResolveStatus
    entry: QueueEntry | None
    action: QueueAction
    result: ActionResult | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when this press did what it asked."""
        return self.status is ResolveStatus.DONE

    def message(self) -> str:
        """The short ephemeral answer for the moderator who pressed."""
        entry = self.entry
        if self.status is ResolveStatus.NOT_FOUND or entry is None:
            return "That queue entry no longer exists."
        if self.status is ResolveStatus.ALREADY_RESOLVED:
            outcome = resolution_text(entry.resolution, entry.source) if entry.resolution else "resolved"
            by = f"<@{entry.resolved_by}>" if entry.resolved_by else "another moderator"
            return f"Already resolved by {by} ({outcome})."
        if self.status is ResolveStatus.CLAIMED_BY_OTHER:
            return f"Already claimed by <@{entry.claimed_by}>."
        if self.status is ResolveStatus.ACTION_FAILED:
            return f"Could not {self.action.value}: {self.error} The entry stays open."
        if self.action is QueueAction.CLAIM:
            return f"You claimed entry #{entry.id}."
        outcome = resolution_text(entry.resolution, entry.source) if entry.resolution else "resolved"
        text = f"Entry #{entry.id}: {outcome}."
        if self.result and self.result.case_number:
            text += f" Case #{self.result.case_number}."
        if self.result and self.result.note:
            text += f" {self.result.note}"
        return text


class KeyedLocks:
    """One ``asyncio.Lock`` per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        """Hold the lock of ``key``."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


class QueueService:
    """The queue for async callers: add entries, resolve each once, claim, list, count.

    Resolving runs the Discord action (``act``, supplied by the cog) under a per-entry lock, then the
    repository's conditional resolve: two presses at once in this process are serialised (the second
    finds the entry resolved), and the conditional update keeps it once across processes too. A failed
    action leaves the entry open.
    """

    def __init__(self, database: Database, repository: QueueStore, cases: CaseStore | None = None):
        self.database = database
        self.repository = repository
        self.cases = cases
        self._locks = KeyedLocks()

    # ------------------------------------------------------------------ adding

    async def add_decision(self, event: DecisionEvent) -> tuple[QueueEntry, bool] | None:
        """Queue the message of a scoring decision (``queue``, ``delete``, ``timeout``; never in dry-run).

        Returns ``(entry, created)``, or ``None`` when the decision does not queue. An entry the
        scoring cog already recorded with the score (``event.queue_entry_id``) comes back as created
        by this decision; a decision dispatched without one (a plug-in's, a test's) is queued here.
        """
        draft = queue_draft(event)
        if draft is None:
            return None
        if event.queue_entry_id is not None:
            recorded = await self.get(event.queue_entry_id)
            if recorded is not None:
                return recorded, True
        return await self.database.run(
            self.repository.add,
            guild_id=event.guild_id,
            source=QueueSource.AUTO,
            message_id=event.message_id,
            channel_id=event.channel_id,
            author_id=event.author_id,
            jump_url=draft.jump_url,
            excerpt=draft.excerpt,
            scores=dict(event.scores),
            labels=draft.labels,
            reason=draft.reason,
        )

    async def add_report(
        self,
        *,
        guild_id: int,
        channel_id: int,
        message_id: int,
        author_id: int,
        reporter_id: int,
        jump_url: str,
        content: str,
        reason: str = "",
    ) -> tuple[QueueEntry, bool]:
        """File a member's report of a message; a message already in the queue is not queued twice
        (``created`` is False and the existing entry comes back)."""
        return await self.database.run(
            self.repository.add,
            guild_id=guild_id,
            source=QueueSource.REPORT,
            message_id=message_id,
            channel_id=channel_id,
            author_id=author_id,
            reporter_id=reporter_id,
            jump_url=jump_url,
            excerpt=excerpt(content, STORED_EXCERPT_CHARS),
            reason=" ".join(reason.split())[:500],
        )

    async def set_message_id(self, entry: QueueEntry, queue_message_id: int | None) -> QueueEntry:
        """Remember the queue-channel message that shows ``entry``."""
        return await self.database.run(self.repository.set_message_id, entry, queue_message_id)

    # ------------------------------------------------------------------ reading

    async def get(self, entry_id: int) -> QueueEntry | None:
        """The entry, if it exists."""
        return await self.database.run(self.repository.get, entry_id)

    async def list_open(self, guild_id: int, limit: int = 10) -> list[QueueEntry]:
        """Unresolved entries, oldest first."""
        return await self.database.run(self.repository.list_open, guild_id, limit=limit)

    async def count_open(self, guild_id: int) -> int:
        """How many entries wait (open or claimed)."""
        stats = await self.stats(guild_id)
        return stats.open + stats.claimed

    async def next_open(self, guild_id: int) -> QueueEntry | None:
        """The oldest entry nobody claimed."""
        return await self.database.run(self.repository.next_open, guild_id)

    async def stats(self, guild_id: int, since: datetime | None = None) -> QueueStats:
        """The queue in numbers."""
        return await self.database.run(self.repository.stats, guild_id, since=since)

    async def case_of(self, entry: QueueEntry) -> Case | None:
        """The case an entry is linked to (appeals; resolutions that opened one)."""
        if entry.case_id is None or self.cases is None or entry.author_id is None:
            return None
        cases = await self.database.run(self.cases.list_for_user, entry.guild_id, entry.author_id)
        return next((case for case in cases if case.id == entry.case_id), None)

    # ------------------------------------------------------------------ claim and resolve

    async def claim(self, entry_id: int, moderator_id: int) -> Attempt:
        """Claim an open entry; someone else's claim or a resolution wins."""
        try:
            entry = await self.database.run(self.repository.claim, entry_id, moderator_id)
        except NotFoundError:
            return Attempt(ResolveStatus.NOT_FOUND, None, QueueAction.CLAIM)
        except StateError as error:
            current: QueueEntry = error.current
            status = (
                ResolveStatus.ALREADY_RESOLVED
                if current.status is QueueStatus.RESOLVED
                else ResolveStatus.CLAIMED_BY_OTHER
            )
            return Attempt(status, current, QueueAction.CLAIM)
        return Attempt(ResolveStatus.DONE, entry, QueueAction.CLAIM)

    async def resolve(
        self,
        entry_id: int,
        moderator_id: int,
        action: QueueAction,
        act: Callable[[QueueEntry], Awaitable[ActionResult]] | None = None,
    ) -> Attempt:
        """Run ``act`` (the Discord side) and resolve the entry, once.

        The loser of two presses gets ``ALREADY_RESOLVED`` with the winner in ``entry.resolved_by``;
        ``act`` raising :class:`QueueActionError` gives ``ACTION_FAILED`` and leaves the entry open.
        """
        if not action.resolves:
            raise ValueError("claim does not resolve; use claim()")
        async with self._locks.hold(entry_id):
            entry = await self.get(entry_id)
            if entry is None:
                return Attempt(ResolveStatus.NOT_FOUND, None, action)
            if entry.status is QueueStatus.RESOLVED:
                return Attempt(ResolveStatus.ALREADY_RESOLVED, entry, action)
            case = await self.case_of(entry) if action is QueueAction.UPHOLD else None
            resolution = resolution_for(action, case)
            result = ActionResult()
            if act is not None:
                try:
                    result = await act(entry)
                except QueueActionError as error:
                    return Attempt(ResolveStatus.ACTION_FAILED, entry, action, error=error.reason)
            try:
                resolved = await self.database.run(
                    self.repository.resolve, entry_id, moderator_id, resolution, case_id=result.case_id
                )
            except StateError as error:  # resolved by another process meanwhile
                return Attempt(ResolveStatus.ALREADY_RESOLVED, error.current, action, result=result)
            return Attempt(ResolveStatus.DONE, resolved, action, result=result)
