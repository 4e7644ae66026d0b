"""The moderators' queue (``queue_entries``) and the feedback its resolutions give the model (``feedback``).

An entry goes ``open`` -> ``claimed`` (optional) -> ``resolved``. Claim and resolve are conditional
updates whose row count is checked, so when several moderators click at once exactly one succeeds and
the others get :class:`~bot.storage.errors.StateError` with the entry as it now is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.explain.occlusion import Evidence, evidence_dicts, evidence_from
from bot.scoring.base import Scores
from bot.storage._common import dumps, from_db_time, loads, need_time, rows, to_db_time, utcnow
from bot.storage.database import Database
from bot.storage.errors import NotFoundError, StateError


class QueueStatus(StrEnum):
    """Where an entry is in its lifecycle."""

    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """How a moderator resolved an entry. ``approved`` = the message is fine (a false positive)."""

    APPROVED = "approved"
    DELETED = "deleted"
    WARNED = "warned"
    TIMED_OUT = "timed_out"
    BANNED = "banned"


class QueueSource(StrEnum):
    """What put the entry in the queue."""

    AUTO = "auto"
    REPORT = "report"
    APPEAL = "appeal"


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One entry of the queue. ``queue_message_id`` is the queue channel's message carrying its buttons;
    ``evidence`` the words that carried each fired label of an automatic entry (empty otherwise)."""

    id: int
    guild_id: int
    source: QueueSource
    message_id: int | None
    channel_id: int | None
    author_id: int | None
    reporter_id: int | None
    jump_url: str | None
    excerpt: str | None
    scores: dict[str, float]
    labels: tuple[str, ...]
    reason: str
    status: QueueStatus
    claimed_by: int | None
    claimed_at: datetime | None
    resolved_by: int | None
    resolved_at: datetime | None
    resolution: Resolution | None
    case_id: int | None
    queue_message_id: int | None
    created_at: datetime
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueStats:
    """One server's queue in numbers."""

    open: int
    claimed: int
    resolved: int
    by_resolution: dict[str, int]
    by_source: dict[str, int]
    oldest_open_at: datetime | None
    false_positives: int


def _entry(row: Mapping[str, Any]) -> QueueEntry:
    return QueueEntry(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        source=QueueSource(row["source"]),
        message_id=row["message_id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        reporter_id=row["reporter_id"],
        jump_url=row["jump_url"],
        excerpt=row["excerpt"],
        scores=loads(row["scores"], {}),
        labels=tuple(loads(row["labels"], [])),
        reason=str(row["reason"]),
        status=QueueStatus(row["status"]),
        claimed_by=row["claimed_by"],
        claimed_at=from_db_time(row["claimed_at"]),
        resolved_by=row["resolved_by"],
        resolved_at=from_db_time(row["resolved_at"]),
        resolution=Resolution(row["resolution"]) if row["resolution"] else None,
        case_id=row["case_id"],
        queue_message_id=row["queue_message_id"],
        created_at=need_time(row["created_at"]),
        evidence=evidence_from(loads(row.get("evidence"), [])),
    )


def _entry_id(entry: QueueEntry | int) -> int:
    return entry.id if isinstance(entry, QueueEntry) else int(entry)


class QueueRepository:
    """Adds, claims, resolves and counts queue entries."""

    def __init__(self, database: Database) -> None:
        self._database = database

    # -- adding -------------------------------------------------------------------------------------

    def add(
        self,
        *,
        guild_id: int,
        source: QueueSource | str = QueueSource.AUTO,
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
    ) -> tuple[QueueEntry, bool]:
        """Queue a message (or an appeal) and return ``(entry, created)``.

        A message already waiting in the queue (open or claimed) is not queued twice: its entry comes
        back with ``created=False`` (a report of an auto-queued message joins it). A case is appealed
        once: an appeal of a case that already has an appeal entry (waiting or decided) is not stored,
        and that entry comes back with ``created=False``; the check and the insert are one transaction.
        """
        kind = QueueSource(source)
        score_map = scores.as_dict() if isinstance(scores, Scores) else dict(scores or {})
        with self._database.transaction() as db:
            if kind is QueueSource.APPEAL and case_id is not None:
                self._database.lock(db, "appeal", case_id)
                earlier = self.appeal_of_case(case_id)
                if earlier is not None:
                    return earlier, False
            if message_id is not None and kind is not QueueSource.APPEAL:
                existing = self._unresolved_for_message(guild_id, message_id)
                if existing is not None:
                    return existing, False
            try:
                with self._database.transaction() as step:  # a savepoint: a refused insert leaves the rest
                    (row,) = rows(
                        step,
                        """
                        INSERT INTO queue_entries (guild_id, source, message_id, channel_id, author_id,
                            reporter_id, jump_url, excerpt, scores, labels, reason, case_id, created_at,
                            evidence)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                        """,
                        [
                            guild_id,
                            kind.value,
                            message_id,
                            channel_id,
                            author_id,
                            reporter_id,
                            jump_url,
                            excerpt,
                            dumps(score_map),
                            dumps(list(labels)),
                            reason,
                            case_id,
                            to_db_time(now or utcnow()),
                            dumps(evidence_dicts(list(evidence))),
                        ],
                    )
            except self._database.dialect.integrity_errors:
                # another process queued it between our check and insert
                existing = self._unresolved_for_message(guild_id, message_id or 0)
                if existing is None:
                    raise
                return existing, False
            return _entry(row), True

    def _unresolved_for_message(self, guild_id: int, message_id: int) -> QueueEntry | None:
        return self._one(
            "WHERE guild_id = ? AND message_id = ? AND status != 'resolved' AND source != 'appeal'",
            [guild_id, message_id],
        )

    # -- reading ------------------------------------------------------------------------------------

    def _many(self, where: str, params: list[object]) -> list[QueueEntry]:
        with self._database.connection() as db:
            return [_entry(row) for row in rows(db, f"SELECT * FROM queue_entries {where}", params)]

    def _one(self, where: str, params: list[object]) -> QueueEntry | None:
        found = self._many(where + " LIMIT 1", params)
        return found[0] if found else None

    def get(self, entry_id: int) -> QueueEntry | None:
        """The entry ``entry_id``, if it exists."""
        return self._one("WHERE id = ?", [entry_id])

    def _need(self, entry_id: int) -> QueueEntry:
        entry = self.get(entry_id)
        if entry is None:
            raise NotFoundError("queue entry", entry_id)
        return entry

    def appeal_of_case(self, case_id: int) -> QueueEntry | None:
        """The (first) appeal entry of case ``case_id``, waiting or decided."""
        return self._one("WHERE source = 'appeal' AND case_id = ? ORDER BY id", [case_id])

    def get_by_queue_message(self, queue_message_id: int) -> QueueEntry | None:
        """The entry whose queue-channel message is ``queue_message_id`` (persistent buttons)."""
        return self._one("WHERE queue_message_id = ?", [queue_message_id])

    def list_open(self, guild_id: int, *, limit: int | None = None) -> list[QueueEntry]:
        """Entries not yet resolved (open and claimed), oldest first."""
        params: list[object] = [guild_id]
        where = "WHERE guild_id = ? AND status != 'resolved' ORDER BY created_at, id"
        if limit is not None:
            where += " LIMIT ?"
            params.append(limit)
        return self._many(where, params)

    def next_open(self, guild_id: int) -> QueueEntry | None:
        """The oldest entry nobody has claimed yet."""
        return self._one("WHERE guild_id = ? AND status = 'open' ORDER BY created_at, id", [guild_id])

    def stats(self, guild_id: int, *, since: datetime | None = None) -> QueueStats:
        """Counts for ``guild_id`` (resolutions and sources counted since ``since``, default: ever)."""
        start = to_db_time(since) if since else ""
        with self._database.connection() as db:
            status = {
                row["status"]: int(row["n"])
                for row in rows(
                    db,
                    "SELECT status, count(*) AS n FROM queue_entries WHERE guild_id = ? "
                    "AND (status != 'resolved' OR resolved_at >= ?) GROUP BY status",
                    [guild_id, start],
                )
            }
            by_resolution = {
                row["resolution"]: int(row["n"])
                for row in rows(
                    db,
                    "SELECT resolution, count(*) AS n FROM queue_entries WHERE guild_id = ? "
                    "AND status = 'resolved' AND resolved_at >= ? GROUP BY resolution",
                    [guild_id, start],
                )
            }
            by_source = {
                row["source"]: int(row["n"])
                for row in rows(
                    db,
                    "SELECT source, count(*) AS n FROM queue_entries WHERE guild_id = ? AND created_at >= ? "
                    "GROUP BY source",
                    [guild_id, start],
                )
            }
            oldest = db.execute(
                "SELECT min(created_at) FROM queue_entries WHERE guild_id = ? AND status = 'open'", [guild_id]
            ).fetchone()[0]
            false_positives = db.execute(
                "SELECT count(*) FROM feedback WHERE guild_id = ? AND verdict = 'false_positive' "
                "AND created_at >= ?",
                [guild_id, start],
            ).fetchone()[0]
        return QueueStats(
            open=status.get("open", 0),
            claimed=status.get("claimed", 0),
            resolved=status.get("resolved", 0),
            by_resolution=by_resolution,
            by_source=by_source,
            oldest_open_at=from_db_time(oldest),
            false_positives=int(false_positives),
        )

    def forget_member(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase ``user_id``'s words from ``guild_id``'s queue, in one transaction: the message excerpts
        and evidence of the entries about their messages, and the reasons they gave in the reports they
        filed (``reporter_id``); the mod queue's share of ``/warden forget``. Returns
        ``{"queue_excerpts": entries erased, "report_reasons": reasons erased}``."""
        with self._database.transaction() as db:
            excerpts = db.execute(  # the evidence is the member's words too
                "UPDATE queue_entries SET excerpt = NULL, evidence = '[]' "
                "WHERE guild_id = ? AND author_id = ? AND (excerpt IS NOT NULL OR evidence != '[]')",
                [guild_id, user_id],
            ).rowcount
            reasons = db.execute(
                "UPDATE queue_entries SET reason = '' "
                "WHERE guild_id = ? AND reporter_id = ? AND reason != ''",
                [guild_id, user_id],
            ).rowcount
        return {"queue_excerpts": int(excerpts), "report_reasons": int(reasons)}

    def list_feedback(self, guild_id: int, *, verdict: str | None = None) -> list[dict[str, Any]]:
        """The feedback rows of ``guild_id`` (oldest first), as dicts with ``labels``/``scores`` decoded."""
        where = "WHERE guild_id = ?" + (" AND verdict = ?" if verdict else "")
        params: list[object] = [guild_id] + ([verdict] if verdict else [])
        with self._database.connection() as db:
            found = rows(db, f"SELECT * FROM feedback {where} ORDER BY id", params)
        for row in found:
            row["labels"] = loads(row["labels"], [])
            row["scores"] = loads(row["scores"], {})
        return found

    # -- lifecycle ----------------------------------------------------------------------------------

    def set_message_id(self, entry: QueueEntry | int, queue_message_id: int | None) -> QueueEntry:
        """Remember the queue-channel message that shows ``entry``."""
        entry_id = _entry_id(entry)
        with self._database.transaction() as db:
            db.execute(
                "UPDATE queue_entries SET queue_message_id = ? WHERE id = ?", [queue_message_id, entry_id]
            )
        return self._need(entry_id)

    def claim(self, entry: QueueEntry | int, moderator_id: int, *, now: datetime | None = None) -> QueueEntry:
        """Claim an open entry for ``moderator_id`` (claiming one's own claim again is a no-op).

        Raises :class:`StateError` (``current``) when someone else claimed it first or it is resolved.
        """
        entry_id = _entry_id(entry)
        with self._database.transaction() as db:
            cursor = db.execute(
                "UPDATE queue_entries SET status = 'claimed', claimed_by = ?, claimed_at = ? "
                "WHERE id = ? AND status = 'open'",
                [moderator_id, to_db_time(now or utcnow()), entry_id],
            )
            current = self._need(entry_id)
        if cursor.rowcount == 1 or (
            current.status is QueueStatus.CLAIMED and current.claimed_by == moderator_id
        ):
            return current
        if current.status is QueueStatus.RESOLVED:
            raise StateError(f"queue entry {entry_id} is already resolved", current)
        raise StateError(f"queue entry {entry_id} is already claimed by {current.claimed_by}", current)

    def release(self, entry: QueueEntry | int, moderator_id: int) -> QueueEntry:
        """Give back one's claim: the entry is open again. Raises :class:`StateError` otherwise."""
        entry_id = _entry_id(entry)
        with self._database.transaction() as db:
            cursor = db.execute(
                "UPDATE queue_entries SET status = 'open', claimed_by = NULL, claimed_at = NULL "
                "WHERE id = ? AND status = 'claimed' AND claimed_by = ?",
                [entry_id, moderator_id],
            )
            current = self._need(entry_id)
        if cursor.rowcount != 1:
            raise StateError(f"queue entry {entry_id} is not claimed by {moderator_id}", current)
        return current

    def resolve(
        self,
        entry: QueueEntry | int,
        moderator_id: int,
        resolution: Resolution | str,
        *,
        case_id: int | None = None,
        now: datetime | None = None,
    ) -> QueueEntry:
        """Resolve an entry (whoever claimed it) and record the moderator's verdict as feedback.

        Exactly one concurrent resolve succeeds; the others raise :class:`StateError` (``current``).
        ``approved`` is recorded as a false positive, every other resolution as a true positive
        (appeals give no model feedback). ``case_id`` links the case the resolution created.
        """
        entry_id = _entry_id(entry)
        outcome = Resolution(resolution)
        moment = to_db_time(now or utcnow())
        with self._database.transaction() as db:
            cursor = db.execute(
                "UPDATE queue_entries SET status = 'resolved', resolved_by = ?, resolved_at = ?, "
                "resolution = ?, case_id = coalesce(?, case_id) WHERE id = ? AND status != 'resolved'",
                [moderator_id, moment, outcome.value, case_id, entry_id],
            )
            current = self._need(entry_id)
            if cursor.rowcount != 1:
                raise StateError(f"queue entry {entry_id} is already resolved", current)
            if current.source is not QueueSource.APPEAL:
                db.execute(
                    """
                    INSERT INTO feedback (guild_id, queue_entry_id, message_id, source, verdict, resolution,
                        labels, scores, moderator_id, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        current.guild_id,
                        current.id,
                        current.message_id,
                        current.source.value,
                        "false_positive" if outcome is Resolution.APPROVED else "true_positive",
                        outcome.value,
                        dumps(list(current.labels)),
                        dumps(current.scores),
                        moderator_id,
                        moment,
                    ],
                )
        return current
