"""One scored message's records, written together: its score row, the automatic case and the queue entry.

The scoring cog writes a message's decision once, through :meth:`DecisionRepository.record`: the
``message_scores`` row, the automatic case of a ``warn``/``delete``/``timeout`` decision and the mod
queue entry of a ``queue``/``delete``/``timeout`` decision commit in one transaction, so a crash (even
``kill -9``) leaves all of them or none: never a decision without its case, nor an automatic case
without its review entry. What the case and entry say is decided by the caller (drafts); the Discord
side (DM, delete, timeout, modlog, posting the entry) happens after the commit, on the recorded rows.

Invariants after any crash (checked by ``tests/test_storage_decisions_crash.py``):

- every automatic case of a message has that message's score row, whose action opened it;
- every automatic ``delete``/``timeout`` case has a queue entry for its message;
- every non-dry-run score row whose action is ``queue``/``delete``/``timeout`` has a queue entry, and
  every one whose action is ``warn``/``delete``/``timeout`` has an automatic case (when drafts were given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.explain.occlusion import Evidence
from bot.policy.decision import Decision
from bot.policy.settings import PolicySettings
from bot.scoring.base import Scores
from bot.storage._common import utcnow
from bot.storage.cases import Case, CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.errors import ConflictError
from bot.storage.queue import QueueEntry, QueueRepository, QueueSource
from bot.storage.scores import ScoreRecord, ScoreRepository


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """The automatic case a decision opens: its ``type``, ``reason`` and, for a timeout, ``duration``.

    ``during_timeout``: the type recorded instead when the database refuses this case because the
    member's timeout is already running (an automatic timeout meeting the running one is recorded as
    a ``warn`` strike on its message, see :mod:`bot.moderation.infractions`); ``None``: nothing.
    """

    type: CaseType
    reason: str
    duration: timedelta | None = None
    jump_url: str | None = None
    during_timeout: CaseType | None = None


@dataclass(frozen=True, slots=True)
class QueueDraft:
    """The mod queue entry a decision opens (``source="auto"``): the ``reason``, the stored ``excerpt``,
    the fired ``labels`` and the ``evidence`` behind them; the scores are the message's."""

    reason: str
    excerpt: str | None = None
    labels: tuple[str, ...] = ()
    jump_url: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """What :meth:`DecisionRepository.record` stored.

    ``case`` is the case this decision opened; ``None`` when no case was drafted or the database
    refused it, and then ``conflict`` is the case in the way (the message already has one, an active
    timeout). ``queue_entry`` is the entry the message waits in: opened by this decision when
    ``queue_created``, else the one it was already waiting in.
    """

    score: ScoreRecord
    case: Case | None = None
    conflict: Case | None = None
    queue_entry: QueueEntry | None = None
    queue_created: bool = False

    @property
    def case_number(self) -> int | None:
        """The number of the case this decision opened (``None``: it opened none)."""
        return self.case.case_number if self.case is not None else None

    @property
    def opened_entry_id(self) -> int | None:
        """The id of the queue entry this decision opened (``None``: none, or it joined one)."""
        return self.queue_entry.id if self.queue_created and self.queue_entry is not None else None


class DecisionRepository:
    """Writes a message's score, automatic case and queue entry in one transaction."""

    def __init__(
        self,
        database: Database,
        scores: ScoreRepository | None = None,
        cases: CaseRepository | None = None,
        queue: QueueRepository | None = None,
    ) -> None:
        self._database = database
        self._scores = scores or ScoreRepository(database)
        self._cases = cases or CaseRepository(database)
        self._queue = queue or QueueRepository(database)

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
    ) -> RecordedDecision:
        """Store the score row (see :meth:`ScoreRepository.record`), the drafted case and queue entry.

        All of it commits together or not at all. A case the database refuses (the message already has
        one, e.g. an edit re-scored; the member already has an active timeout) is not an error: the
        rest is stored and ``conflict`` says what was in the way. A message already waiting in the
        queue is not queued twice (``queue_created`` is False).
        """
        now = now or utcnow()
        with self._database.transaction():
            score = self._scores.record(
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message_id,
                author_id=author_id,
                scores=scores,
                decision=decision,
                model_version=model_version,
                backend=backend,
                created_at=created_at,
                edited_at=edited_at,
                text=text,
                settings=settings,
                now=now,
            )
            opened: Case | None = None
            conflict: Case | None = None
            if case is not None:
                opened, conflict = self._open_case(case, guild_id, author_id, message_id, channel_id, now)
            entry: QueueEntry | None = None
            created = False
            if queue is not None:
                entry, created = self._queue.add(
                    guild_id=guild_id,
                    source=QueueSource.AUTO,
                    message_id=message_id,
                    channel_id=channel_id,
                    author_id=author_id,
                    jump_url=queue.jump_url,
                    excerpt=queue.excerpt,
                    scores=scores,
                    labels=queue.labels,
                    reason=queue.reason,
                    now=now,
                    evidence=queue.evidence,
                )
        return RecordedDecision(
            score=score, case=opened, conflict=conflict, queue_entry=entry, queue_created=created
        )

    def _open_case(
        self,
        draft: CaseDraft,
        guild_id: int,
        author_id: int,
        message_id: int,
        channel_id: int,
        now: datetime,
    ) -> tuple[Case | None, Case | None]:
        """``(opened, in_the_way)``: the drafted case, or what refused it (and the strike recorded
        instead when that is the member's running timeout and the draft says so)."""

        def create(kind: CaseType, reason: str, duration: timedelta | None) -> Case:
            return self._cases.create(
                guild_id=guild_id,
                user_id=author_id,
                type=kind,
                reason=reason,
                auto=True,
                created_at=now,
                duration=duration,
                message_id=message_id,
                channel_id=channel_id,
                jump_url=draft.jump_url,
            )

        try:
            return create(draft.type, draft.reason, draft.duration), None
        except ConflictError as refused:
            existing: Case | None = refused.existing
            if existing is None:
                raise
        running = existing.type is CaseType.TIMEOUT and existing.active and existing.message_id != message_id
        if not running or draft.during_timeout is None:
            return None, existing
        reason = f"{draft.reason}; already timed out (case #{existing.case_number})"
        try:
            return create(draft.during_timeout, reason, None), existing
        except ConflictError:  # refused too: the score and the queue entry are still stored
            return None, existing
