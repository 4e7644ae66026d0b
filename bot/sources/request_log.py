"""Context requests and their feedback (``context_requests``, ``context_feedback``): rate limits, the
per-author cap, the public threshold. A synchronous repository over the database's raw handle (run it
through ``Database.run``), plain SQL for SQLite and PostgreSQL alike, like :mod:`bot.sources.store`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot.sources.rows import insert_row, iso, update_row, utcnow
from bot.storage.dialect import dialect_of


class RequestLog:
    """Context requests and feedback."""

    def __init__(self, db: Any) -> None:
        self.db = db

    @contextlib.contextmanager
    def reserving(self, guild_id: int) -> Iterator[None]:
        """One transaction holding ``guild_id``'s request lock: a limit check and the request it lets
        through are one step for every thread and process (PostgreSQL runs several of each)."""
        with self.db.atomic():
            dialect_of(self.db).lock(self.db, "context-requests", guild_id)
            yield

    def record(
        self,
        *,
        guild_id: int,
        requester_id: int,
        claim: str,
        channel_id: int | None = None,
        message_id: int | None = None,
        target_author_id: int | None = None,
        n_results: int = 0,
        public: bool = False,
        refused: str | None = None,
        at: datetime | None = None,
    ) -> int:
        with self.db.atomic():
            return insert_row(
                self.db,
                "context_requests",
                {
                    "guild_id": guild_id,
                    "channel_id": channel_id,
                    "message_id": message_id,
                    "requester_id": requester_id,
                    "target_author_id": target_author_id,
                    "claim": claim[:1000],
                    "n_results": n_results,
                    "public": int(public),
                    "refused": refused,
                    "created_at": iso(at or utcnow()),
                },
            )

    def update(self, request_id: int, **fields: Any) -> None:
        with self.db.atomic():
            update_row(self.db, "context_requests", request_id, fields)

    def member_requests_since(self, guild_id: int, requester_id: int, since: datetime) -> list[str]:
        """Timestamps (ISO, newest first) of the member's served requests since ``since``."""
        rows = self.db.execute(
            "SELECT created_at FROM context_requests WHERE guild_id = ? AND requester_id = ? "
            "AND refused IS NULL AND created_at >= ? ORDER BY created_at DESC",
            [guild_id, requester_id, iso(since)],
        )
        return [r[0] for r in rows]

    def target_requests_since(self, guild_id: int, target_author_id: int, since: datetime) -> int:
        return int(
            self.db.execute(
                "SELECT count(*) FROM context_requests WHERE guild_id = ? AND target_author_id = ? "
                "AND refused IS NULL AND created_at >= ?",
                [guild_id, target_author_id, iso(since)],
            ).fetchone()[0]
        )

    def message_requesters(self, message_id: int) -> set[int]:
        rows = self.db.execute(
            "SELECT DISTINCT requester_id FROM context_requests WHERE message_id = ? AND refused IS NULL",
            [message_id],
        )
        return {int(r[0]) for r in rows}

    def message_has_public_reply(self, message_id: int) -> bool:
        return (
            self.db.execute(
                "SELECT 1 FROM context_requests WHERE message_id = ? AND public = 1 LIMIT 1", [message_id]
            ).fetchone()
            is not None
        )

    def prune(self, before: datetime) -> int:
        """Forget requests (and their feedback) older than ``before``: the claim text is member content."""
        with self.db.atomic():
            self.db.execute(
                "DELETE FROM context_feedback WHERE request_id IN "
                "(SELECT id FROM context_requests WHERE created_at < ?)",
                [iso(before)],
            )
            cur = self.db.execute("DELETE FROM context_requests WHERE created_at < ?", [iso(before)])
        return cur.rowcount

    def forget_user(self, guild_id: int, user_id: int) -> dict[str, int]:
        """Erase ``user_id``'s context data in ``guild_id``, in one transaction: the requests they made
        and the requests about their messages (the claim is their text), every vote on those requests,
        and their own votes on the guild's other requests. Returns ``{"requests": n, "feedback": n}``.

        Erased requests no longer count towards rate limits, the per-author cap or the public threshold.
        """
        who = "guild_id = ? AND (requester_id = ? OR target_author_id = ?)"
        with self.db.atomic():
            feedback = self.db.execute(
                "DELETE FROM context_feedback WHERE request_id IN "
                f"(SELECT id FROM context_requests WHERE {who}) OR "
                "(user_id = ? AND request_id IN (SELECT id FROM context_requests WHERE guild_id = ?))",
                [guild_id, user_id, user_id, user_id, guild_id],
            ).rowcount
            requests = self.db.execute(
                f"DELETE FROM context_requests WHERE {who}", [guild_id, user_id, user_id]
            ).rowcount
        return {"requests": int(requests), "feedback": int(feedback)}

    def get(self, request_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM context_requests WHERE id = ?", [request_id]))
        return rows[0] if rows else None

    def record_feedback(self, request_id: int, user_id: int, helpful: bool) -> bool:
        """Store (or change) one member's vote; False if the request does not exist."""
        if self.get(request_id) is None:
            return False
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO context_feedback (request_id, user_id, helpful, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (request_id, user_id) DO UPDATE SET helpful = excluded.helpful, "
                "created_at = excluded.created_at",
                [request_id, user_id, int(helpful), iso(utcnow())],
            )
        return True

    def feedback_counts(self, request_id: int) -> tuple[int, int]:
        row = self.db.execute(
            "SELECT coalesce(sum(helpful), 0), coalesce(sum(1 - helpful), 0) FROM context_feedback "
            "WHERE request_id = ?",
            [request_id],
        ).fetchone()
        return int(row[0]), int(row[1])
