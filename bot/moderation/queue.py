"""The moderation queue as plain Python: who may act, resolve-once, rate limits, rendering data.

``cogs/modqueue`` turns what this module returns into embeds and buttons; nothing here imports
discord.py. The repository (``bot.storage``) owns the rows and the conditional resolve; this module
wraps it with the rules of the queue, every blocking call through ``Database.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.events import DecisionEvent
from bot.moderation.infractions import excerpt
from bot.moderation.moderators import is_moderator
from bot.storage.cases import Case, CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.errors import NotFoundError, StateError
from bot.storage.queue import (
    QueueEntry,
    QueueRepository,
    QueueSource,
    QueueStats,
    QueueStatus,
    Resolution,
)

# --------------------------------------------------------------------------- actions


class QueueAction(StrEnum):
    """What a moderator can do with an entry (the ``action`` part of a button's custom id)."""

    APPROVE = "approve"
    """False positive: nothing happens to the author, the verdict is recorded as feedback."""
    DELETE = "delete"
    WARN = "warn"
    TIMEOUT = "timeout"
    BAN = "ban"
    CLAIM = "claim"
    """Not a resolution: marks the entry as being handled by one moderator."""
    UPHOLD = "uphold"
    """Appeals: the original case stands."""
    PARDON = "pardon"
    """Appeals: the original case is pardoned."""

    @property
    def resolves(self) -> bool:
        """True for every action except claim."""
        return self is not QueueAction.CLAIM

    @property
    def label(self) -> str:
        """Button label."""
        return self.value.capitalize()


MESSAGE_ACTIONS: tuple[QueueAction, ...] = (
    QueueAction.APPROVE,
    QueueAction.DELETE,
    QueueAction.WARN,
    QueueAction.BAN,
    QueueAction.CLAIM,
)
"""Buttons on an entry about a message (scoring decisions and member reports), in display order.
Timeout is a select beside them (it needs a duration)."""

APPEAL_ACTIONS: tuple[QueueAction, ...] = (QueueAction.UPHOLD, QueueAction.PARDON, QueueAction.CLAIM)
"""Buttons on an appeal entry."""


def actions_for(source: QueueSource) -> tuple[QueueAction, ...]:
    """What can be done with an entry from ``source`` (the timeout select counts as Timeout)."""
    if source is QueueSource.APPEAL:
        return APPEAL_ACTIONS
    return (*MESSAGE_ACTIONS, QueueAction.TIMEOUT)


TIMEOUT_CHOICES: dict[str, int] = {"10m": 10, "1h": 60, "1d": 1440, "1w": 10080}
"""Timeout durations offered in the select: option value -> minutes."""

TIMEOUT_LABELS: dict[str, str] = {"10m": "10 minutes", "1h": "1 hour", "1d": "1 day", "1w": "1 week"}


def timeout_minutes(choice: str) -> int:
    """Minutes for a timeout option value; ``ValueError`` for an unknown one."""
    try:
        return TIMEOUT_CHOICES[choice]
    except KeyError:
        raise ValueError(f"unknown timeout duration {choice!r}") from None


# --------------------------------------------------------------------------- who may act


@dataclass(frozen=True, slots=True)
class ModeratorCheck:
    """What the queue needs to know about the member pressing a button (their server permissions)."""

    user_id: int
    manage_messages: bool = False
    administrator: bool = False
    ban_members: bool = False
    moderate_members: bool = False
    role_ids: frozenset[int] = frozenset()


def may_moderate(member: ModeratorCheck, moderator_role_ids: Iterable[int] = ()) -> bool:
    """Manage Messages (or administrator), or one of the server's configured moderator roles
    (:func:`bot.moderation.moderators.is_moderator`, the rule every moderator check uses)."""
    return is_moderator(
        manage_messages=member.manage_messages or member.administrator,
        role_ids=member.role_ids,
        moderator_role_ids=moderator_role_ids,
    )


EXTRA_PERMISSION: dict[QueueAction, str] = {
    QueueAction.BAN: "ban_members",
    QueueAction.TIMEOUT: "moderate_members",
}
"""Actions that need a Discord permission beyond being a moderator (as ``/timeout`` does)."""


def missing_permission(member: ModeratorCheck, action: QueueAction) -> str | None:
    """The permission ``member`` lacks for ``action`` (``None``: nothing missing)."""
    needed = EXTRA_PERMISSION.get(action)
    if needed is None or member.administrator or getattr(member, needed):
        return None
    return needed


REFUSAL = "Only moderators can use the mod queue."
"""The short ephemeral answer to a non-moderator pressing a queue button."""


# --------------------------------------------------------------------------- report rate limit


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The rate limiter's answer: allowed, or how many seconds until the next report is."""

    allowed: bool
    retry_after: float = 0.0


class ReportRateLimiter:
    """A sliding window of at most ``limit`` reports per ``window`` seconds, per (guild, member).

    ``hit`` and ``peek`` take the server's own ``limit``/``window`` (the policy's ``[reports]``) and fall
    back to the limiter's defaults. In memory: a restart forgets the windows, which errs on the side of
    letting members report. ``clock`` defaults to ``time.monotonic`` looked up at call time.
    """

    def __init__(self, limit: int = 5, window: float = 3600.0, clock: Callable[[], float] | None = None):
        _check_limits(limit, window)
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[tuple[int, int], deque[float]] = {}

    def _now(self) -> float:
        return self._clock() if self._clock is not None else time.monotonic()

    def peek(
        self, guild_id: int, user_id: int, *, limit: int | None = None, window: float | None = None
    ) -> RateDecision:
        """Would a report be allowed now? Records nothing."""
        limit = self.limit if limit is None else limit
        window = self.window if window is None else window
        _check_limits(limit, window)
        now = self._now()
        key = (guild_id, user_id)
        hits = self._hits.get(key)
        if hits is None:
            return RateDecision(True)
        while hits and hits[0] <= now - window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return RateDecision(True)
        if len(hits) < limit:
            return RateDecision(True)
        return RateDecision(False, retry_after=max(0.0, hits[-limit] + window - now))

    def hit(
        self, guild_id: int, user_id: int, *, limit: int | None = None, window: float | None = None
    ) -> RateDecision:
        """Record a report if allowed; the answer says whether it was."""
        decision = self.peek(guild_id, user_id, limit=limit, window=window)
        if decision.allowed:
            self._hits.setdefault((guild_id, user_id), deque()).append(self._now())
        return decision

    def refund(self, guild_id: int, user_id: int) -> None:
        """Give back the latest hit (the report failed before it was filed)."""
        hits = self._hits.get((guild_id, user_id))
        if hits:
            hits.pop()


def _check_limits(limit: int, window: float) -> None:
    if limit < 1 or window <= 0:
        raise ValueError("limit must be >= 1 and window > 0")


def rate_limit_message(retry_after: float) -> str:
    """The polite refusal for a member over the report limit."""
    minutes = max(1, round(retry_after / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Thanks for helping keep the server friendly. You have sent several reports recently; "
        f"please try again in about {minutes} {unit}. Moderators are already looking at the queue."
    )


# --------------------------------------------------------------------------- rendering data

_MENTION_RE = re.compile(r"@(everyone|here|[!&]?[0-9]{15,21})")
_MARKDOWN_RE = re.compile(r"([\\*_~`|>#\-\[\]()<])")
ZWSP = "\u200b"


def safe_excerpt(text: str, limit: int = 300) -> str:
    """The message text cut to ``limit`` characters, markdown-escaped, unable to mention anyone.

    Every markdown character is backslash-escaped, which also turns ``<@id>``, ``<@&id>`` and
    ``<#id>`` into plain text; ``@everyone``, ``@here`` and ``@id`` also get a zero-width space after
    the ``@`` (as ``discord.utils.escape_mentions`` does).
    (The cog also sends everything with no allowed mentions: two independent guards.)
    """
    escaped = _MARKDOWN_RE.sub(r"\\\1", excerpt(text, limit))
    escaped = _MENTION_RE.sub("@" + ZWSP + r"\1", escaped)
    return escaped or "*(no text)*"


def score_bar(value: float, width: int = 10) -> str:
    """``0.71`` -> ``███████░░░``."""
    value = min(1.0, max(0.0, float(value)))
    filled = round(value * width)
    return "█" * filled + "░" * (width - filled)


def score_lines(scores: Mapping[str, float], top: int = 3, floor: float = 0.05) -> list[str]:
    """The highest labels as ``insult ███████░░░ 0.71`` lines, label names padded to one width."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    shown = [(label, value) for label, value in ranked[:top] if value >= floor] or ranked[:1]
    width = max((len(label) for label, _ in shown), default=0)
    return [f"{label.ljust(width)} {score_bar(value)} {value:.2f}" for label, value in shown]


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


RESOLUTION_OF: dict[QueueAction, Resolution] = {
    QueueAction.APPROVE: Resolution.APPROVED,
    QueueAction.DELETE: Resolution.DELETED,
    QueueAction.WARN: Resolution.WARNED,
    QueueAction.TIMEOUT: Resolution.TIMED_OUT,
    QueueAction.BAN: Resolution.BANNED,
    # Appeals: the repository's resolutions describe messages, so a pardon is stored as "approved"
    # (the moderators approved the appeal); an upheld appeal is stored as the original case's kind.
    QueueAction.PARDON: Resolution.APPROVED,
}

_UPHOLD_RESOLUTION: dict[CaseType, Resolution] = {
    CaseType.WARN: Resolution.WARNED,
    CaseType.TIMEOUT: Resolution.TIMED_OUT,
    CaseType.BAN: Resolution.BANNED,
    CaseType.DELETE: Resolution.DELETED,
}


def resolution_for(action: QueueAction, case: Case | None = None) -> Resolution:
    """The stored resolution of an action (uphold: the kind of the appealed case, default warned)."""
    if action is QueueAction.UPHOLD:
        return _UPHOLD_RESOLUTION.get(case.type, Resolution.WARNED) if case else Resolution.WARNED
    try:
        return RESOLUTION_OF[action]
    except KeyError:
        raise ValueError(f"{action.value} does not resolve an entry") from None


def resolution_text(resolution: Resolution, source: QueueSource | None = None) -> str:
    """How a stored resolution reads (appeals read as upheld/pardoned)."""
    if source is QueueSource.APPEAL:
        return "pardoned" if resolution is Resolution.APPROVED else "upheld"
    return {
        Resolution.APPROVED: "approved (false positive)",
        Resolution.DELETED: "deleted",
        Resolution.WARNED: "warned",
        Resolution.TIMED_OUT: "timed out",
        Resolution.BANNED: "banned",
    }[resolution]


QUEUED_ACTIONS = frozenset({"queue", "delete", "timeout"})
"""Decisions that put the message in the queue: ``queue``, and ``delete``/``timeout`` for review."""

STORED_EXCERPT_CHARS = 500
"""How much of a queued message's text the entry keeps (raw; escaped when rendered)."""


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

    def __init__(self, database: Database, repository: QueueRepository, cases: CaseRepository | None = None):
        self.database = database
        self.repository = repository
        self.cases = cases
        self._locks = KeyedLocks()

    # ------------------------------------------------------------------ adding

    async def add_decision(self, event: DecisionEvent) -> tuple[QueueEntry, bool] | None:
        """Queue the message of a scoring decision (``queue``, ``delete``, ``timeout``; never in dry-run).

        Returns ``(entry, created)``, or ``None`` when the decision does not queue.
        """
        if event.dry_run or event.decision.get("dry_run") or event.action not in QUEUED_ACTIONS:
            return None
        labels = tuple(event.decision.get("labels") or ())
        reason = str(event.decision.get("reason") or "")
        if event.action != "queue":
            reason = f"automatic {event.action}: {reason}" if reason else f"automatic {event.action}"
        return await self.database.run(
            self.repository.add,
            guild_id=event.guild_id,
            source=QueueSource.AUTO,
            message_id=event.message_id,
            channel_id=event.channel_id,
            author_id=event.author_id,
            jump_url=event.jump_url,
            excerpt=excerpt(event.content, STORED_EXCERPT_CHARS),
            scores=dict(event.scores),
            labels=labels,
            reason=reason,
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


# --------------------------------------------------------------------------- cards (what an entry shows)


class Tone(StrEnum):
    """The state an entry's card shows (the cog picks a colour for each)."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"
    APPEAL = "appeal"


@dataclass(frozen=True, slots=True)
class CardField:
    """One embed field."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class EntryCard:
    """Everything an entry's embed shows, as plain text (mentions in fields render, never ping).

    ``actions`` are the buttons in order, ``timeout_select`` whether the duration select is offered,
    ``resolved`` whether every component is disabled.
    """

    entry_id: int
    title: str
    tone: Tone
    description: str
    fields: tuple[CardField, ...]
    footer: str
    actions: tuple[QueueAction, ...]
    timeout_select: bool
    resolved: bool


SOURCE_TITLES: dict[QueueSource, str] = {
    QueueSource.AUTO: "Flagged message",
    QueueSource.REPORT: "Reported message",
    QueueSource.APPEAL: "Appeal",
}


def entry_card(entry: QueueEntry, case: Case | None = None) -> EntryCard:
    """The card of ``entry`` (``case``: the case an appeal is about, if it could be read)."""
    appeal = entry.source is QueueSource.APPEAL
    fields: list[CardField] = []
    if entry.author_id is not None:
        fields.append(CardField("Member" if appeal else "Author", f"<@{entry.author_id}>"))
    if entry.channel_id is not None:
        fields.append(CardField("Channel", f"<#{entry.channel_id}>"))
    if entry.jump_url:
        fields.append(CardField("Message", f"[Jump to message]({entry.jump_url})"))
    if appeal:
        title = f"{SOURCE_TITLES[entry.source]} #{entry.id}"
        if case is not None:
            title += f" · case #{case.case_number} ({case.type.value})"
            case_text = f"#{case.case_number} {case.type.value}"
            if case.reason:
                case_text += f": {safe_excerpt(case.reason, 200)}"
            if case.pardoned:
                case_text += " (pardoned)"
            fields.append(CardField("Case", case_text, inline=False))
        # The warnings cog stores the appeal text as the entry's excerpt.
        description = "**Appeal:** " + safe_excerpt(entry.excerpt or "", 1000)
    else:
        title = f"{SOURCE_TITLES[entry.source]} #{entry.id}"
        if entry.labels:
            title += " · " + ", ".join(entry.labels)
        description = safe_excerpt(entry.excerpt or "", 300)
        lines = score_lines(entry.scores)
        if lines:
            fields.append(CardField("Scores", "```\n" + "\n".join(lines) + "\n```", inline=False))
        if entry.reason:
            label = "Reporter's reason" if entry.source is QueueSource.REPORT else "Reason"
            fields.append(CardField(label, safe_excerpt(entry.reason, 500), inline=False))
        if entry.reporter_id is not None:
            fields.append(CardField("Reported by", f"<@{entry.reporter_id}>"))
    if entry.status is QueueStatus.RESOLVED and entry.resolution is not None:
        outcome = resolution_text(entry.resolution, entry.source)
        by = f" by <@{entry.resolved_by}>" if entry.resolved_by else ""
        if entry.case_id is not None and case is not None and case.id == entry.case_id and not appeal:
            outcome += f" · case #{case.case_number}"
        fields.append(CardField("Outcome", f"**{outcome}**{by}", inline=False))
        tone = Tone.RESOLVED
    elif entry.status is QueueStatus.CLAIMED:
        fields.append(CardField("Claimed by", f"<@{entry.claimed_by}>", inline=False))
        tone = Tone.CLAIMED
    else:
        tone = Tone.APPEAL if appeal else Tone.OPEN
    footer = f"Queue entry {entry.id} · {entry.source.value}"
    return EntryCard(
        entry_id=entry.id,
        title=title,
        tone=tone,
        description=description,
        fields=tuple(fields),
        footer=footer,
        actions=APPEAL_ACTIONS if appeal else MESSAGE_ACTIONS,
        timeout_select=not appeal,
        resolved=entry.status is QueueStatus.RESOLVED,
    )


def list_line(entry: QueueEntry, now: datetime) -> str:
    """One line of ``/queue list``: ``#12 flagged · <@author> · identity_attack · 3 h ago · claimed by``."""
    what = {QueueSource.AUTO: "flagged", QueueSource.REPORT: "report", QueueSource.APPEAL: "appeal"}
    parts = [f"**#{entry.id}** {what[entry.source]}"]
    if entry.author_id is not None:
        parts.append(f"<@{entry.author_id}>")
    if entry.labels:
        parts.append(", ".join(entry.labels))
    parts.append(age_text(now - entry.created_at))
    if entry.status is QueueStatus.CLAIMED:
        parts.append(f"claimed by <@{entry.claimed_by}>")
    return " · ".join(parts)


def age_text(age: timedelta) -> str:
    """``5 min ago``, ``3 h ago``, ``2 d ago``."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def stats_lines(stats: QueueStats, now: datetime) -> list[str]:
    """``/queue stats`` as lines."""
    lines = [
        f"**Waiting:** {stats.open} open, {stats.claimed} claimed",
        f"**Resolved:** {stats.resolved}",
    ]
    if stats.by_resolution:
        parts = ", ".join(
            f"{name.replace('_', ' ')} {count}" for name, count in sorted(stats.by_resolution.items())
        )
        lines.append(f"**Outcomes:** {parts}")
    if stats.by_source:
        parts = ", ".join(f"{name} {count}" for name, count in sorted(stats.by_source.items()))
        lines.append(f"**Sources:** {parts}")
    lines.append(f"**False positives (approved):** {stats.false_positives}")
    if stats.oldest_open_at is not None:
        lines.append(f"**Oldest open entry:** {age_text(now - stats.oldest_open_at)}")
    return lines
