"""Scored messages (``message_scores``): one row per message, updated when an edit is re-scored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.policy.decision import Action, Decision
from bot.policy.engine import as_utc
from bot.policy.settings import PolicySettings
from bot.scoring.base import LABELS, Scores
from bot.storage._common import (
    dumps,
    flag,
    from_db_time,
    loads,
    maybe_db_time,
    need_time,
    rows,
    to_db_time,
    utcnow,
)
from bot.storage.database import Database


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    """One scored message as stored. ``text`` is set only where the server opted in, until it expires."""

    message_id: int
    guild_id: int
    channel_id: int
    author_id: int
    created_at: datetime
    edited_at: datetime | None
    scored_at: datetime
    scores: Scores
    model_version: str
    backend: str
    action: Action
    labels: tuple[str, ...]
    band: str
    reason: str
    dry_run: bool
    text: str | None
    text_expires_at: datetime | None
    degraded: bool = False
    """Decided on the lexical tier alone (:mod:`bot.policy.degraded`) and not yet re-scored."""


@dataclass(frozen=True, slots=True)
class ScoreStats:
    """Today's (UTC) numbers of one server: messages scored, flagged (any action but none), per action
    and per fired label, and how many of the flagged were in dry-run."""

    scored: int
    flagged: int
    by_action: dict[str, int]
    by_label: dict[str, int]
    dry_run: int


def _record(row: Mapping[str, Any]) -> ScoreRecord:
    return ScoreRecord(
        message_id=int(row["message_id"]),
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        author_id=int(row["author_id"]),
        created_at=need_time(row["created_at"]),
        edited_at=from_db_time(row["edited_at"]),
        scored_at=need_time(row["scored_at"]),
        scores=Scores(**{label: float(row[label]) for label in LABELS}),
        model_version=str(row["model_version"]),
        backend=str(row["backend"]),
        action=Action(row["action"]),
        labels=tuple(loads(row["labels"], [])),
        band=str(row["band"]),
        reason=str(row["reason"]),
        dry_run=bool(flag(row["dry_run"])),
        text=row["text"],
        text_expires_at=from_db_time(row["text_expires_at"]),
        degraded=bool(flag(row["degraded"])),
    )


class ScoreRepository:
    """Writes and reads ``message_scores``."""

    def __init__(self, database: Database) -> None:
        self._database = database

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
    ) -> ScoreRecord:
        """Store the scores and decision of one message; an edit (same ``message_id``) updates the row.

        ``text`` is kept only when ``settings.store_message_text`` is on, until ``now`` +
        ``settings.retention_days``; otherwise it is dropped (and an earlier stored text is erased).
        ``created_at`` of the first scoring is kept on updates. ``decision.degraded`` is stored as
        ``degraded`` (a later full-model re-score of the message clears it).
        """
        now = now or utcnow()
        keep_text = text is not None and settings is not None and settings.store_message_text
        expires = now + timedelta(days=settings.retention_days) if keep_text and settings else None
        values = {
            "message_id": message_id,
            "guild_id": guild_id,
            "channel_id": channel_id,
            "author_id": author_id,
            "created_at": to_db_time(created_at or now),
            "edited_at": maybe_db_time(edited_at),
            "scored_at": to_db_time(now),
            **scores.as_dict(),
            "model_version": model_version,
            "backend": backend,
            "action": decision.action.value,
            "labels": dumps(list(decision.labels)),
            "band": decision.band,
            "reason": decision.reason,
            "dry_run": int(decision.dry_run),
            "text": text if keep_text else None,
            "text_expires_at": maybe_db_time(expires),
            "degraded": int(decision.degraded),
        }
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(
            f"{name} = excluded.{name}" for name in values if name not in {"message_id", "created_at"}
        )
        with self._database.transaction() as db:
            (row,) = rows(
                db,
                f"INSERT INTO message_scores ({columns}) VALUES ({marks}) "
                f"ON CONFLICT (message_id) DO UPDATE SET {updates} RETURNING *",
                list(values.values()),
            )
            return _record(row)

    def get(self, message_id: int) -> ScoreRecord | None:
        """The stored record of ``message_id``, if any."""
        with self._database.connection() as db:
            found = rows(db, "SELECT * FROM message_scores WHERE message_id = ?", [message_id])
        return _record(found[0]) if found else None

    def purge_expired_text(self, now: datetime | None = None) -> int:
        """Erase every stored text whose retention ended at or before ``now``; returns how many."""
        with self._database.transaction() as db:
            cursor = db.execute(
                "UPDATE message_scores SET text = NULL, text_expires_at = NULL "
                "WHERE text_expires_at IS NOT NULL AND text_expires_at <= ?",
                [to_db_time(now or utcnow())],
            )
            return int(cursor.rowcount)

    def stats_today(self, guild_id: int, now: datetime | None = None) -> ScoreStats:
        """The numbers of ``guild_id`` since 00:00 UTC of ``now``'s day."""
        now = as_utc(now or utcnow())
        start = to_db_time(datetime.combine(now.date(), time.min, tzinfo=UTC))
        where = "WHERE guild_id = ? AND scored_at >= ?"
        with self._database.connection() as db:
            by_action = {
                row["action"]: int(row["n"])
                for row in rows(
                    db,
                    f"SELECT action, count(*) AS n FROM message_scores {where} GROUP BY action",
                    [guild_id, start],
                )
            }
            by_label = {
                row["label"]: int(row["n"])
                for row in rows(
                    db,
                    "SELECT j.value AS label, count(*) AS n FROM message_scores, "
                    f"{self._database.dialect.json_each('message_scores.labels')} {where} GROUP BY j.value",
                    [guild_id, start],
                )
            }
            dry = rows(
                db,
                f"SELECT count(*) AS n FROM message_scores {where} AND dry_run = 1 AND action != 'none'",
                [guild_id, start],
            )[0]["n"]
        scored = sum(by_action.values())
        return ScoreStats(
            scored=scored,
            flagged=scored - by_action.get(Action.NONE.value, 0),
            by_action=by_action,
            by_label=by_label,
            dry_run=int(dry),
        )

    def forget_scores(self, guild_id: int, user_id: int) -> int:
        """Delete ``user_id``'s score rows in ``guild_id`` (their stored texts go with them); the
        scoring cog's share of ``/warden forget``. Returns the rows deleted."""
        with self._database.transaction() as db:
            deleted = db.execute(
                "DELETE FROM message_scores WHERE guild_id = ? AND author_id = ?", [guild_id, user_id]
            ).rowcount
        return int(deleted)

    def forget_user(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase what ``user_id`` wrote in ``guild_id``: their score rows (and stored texts), the
        message excerpts of queue entries about them and the reasons they gave in the reports they filed
        (``reporter_id``), in one transaction (:meth:`forget_scores` and
        :meth:`bot.storage.queue.QueueRepository.forget_member`). Cases stay: they are the moderators'
        record. Returns ``{"scores": rows deleted, "queue_excerpts": excerpts erased, "report_reasons":
        reasons erased}``.
        """
        from bot.storage.queue import QueueRepository

        with self._database.transaction():
            scores = self.forget_scores(guild_id, user_id)
            queue = QueueRepository(self._database).forget_member(guild_id, user_id)
        return {"scores": scores, **queue}
