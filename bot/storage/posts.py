"""The bot's own posts that quote a member (``quoting_posts``), for ``/warden forget``.

Modlog posts that quote a member's message are recorded when posted; queue cards are found through
``queue_entries.queue_message_id``. After ``/warden forget`` edits them, a redacted post is marked so it
is not edited again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.storage._common import rows, to_db_time, utcnow
from bot.storage.database import Database


@dataclass(frozen=True, slots=True)
class QuotingPost:
    """A bot post in ``channel_id`` quoting ``user_id``'s text (``kind``: ``modlog``)."""

    id: int
    guild_id: int
    user_id: int
    kind: str
    channel_id: int
    message_id: int
    case_id: int | None


class PostRepository:
    """Records the bot's quoting posts and finds them again for a member."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(
        self,
        *,
        guild_id: int,
        user_id: int,
        channel_id: int,
        message_id: int,
        case_id: int | None = None,
        kind: str = "modlog",
        now: datetime | None = None,
    ) -> None:
        """Remember a post quoting ``user_id`` (the same message twice is stored once)."""
        with self._database.transaction() as db:
            db.execute(
                "INSERT INTO quoting_posts (guild_id, user_id, kind, channel_id, message_id, "
                "case_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [guild_id, user_id, kind, channel_id, message_id, case_id, to_db_time(now or utcnow())],
            )

    def quoting(self, guild_id: int, user_id: int, kind: str = "modlog") -> list[QuotingPost]:
        """The posts of ``kind`` that still quote ``user_id`` in ``guild_id``, oldest first."""
        with self._database.connection() as db:
            found = rows(
                db,
                "SELECT id, guild_id, user_id, kind, channel_id, message_id, case_id FROM quoting_posts "
                "WHERE guild_id = ? AND user_id = ? AND kind = ? AND redacted_at IS NULL ORDER BY id",
                [guild_id, user_id, kind],
            )
        return [QuotingPost(**row) for row in found]

    def mark_redacted(self, post_ids: Iterable[int], now: datetime | None = None) -> int:
        """Mark posts as no longer quoting anyone (edited, or gone); returns how many changed."""
        ids = list(post_ids)
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        with self._database.transaction() as db:
            cursor = db.execute(
                f"UPDATE quoting_posts SET redacted_at = ? WHERE redacted_at IS NULL AND id IN ({marks})",
                [to_db_time(now or utcnow()), *ids],
            )
        return int(cursor.rowcount)

    def queue_cards_about(self, guild_id: int, user_id: int) -> list[int]:
        """Ids of the queue entries with a card in the queue channel whose text came from ``user_id``:
        entries about their messages (or their appeals) and the reports they filed."""
        with self._database.connection() as db:
            found = rows(
                db,
                "SELECT id FROM queue_entries WHERE guild_id = ? AND queue_message_id IS NOT NULL "
                "AND (author_id = ? OR reporter_id = ?) ORDER BY id",
                [guild_id, user_id, user_id],
            )
        return [int(row["id"]) for row in found]
