"""0003: the bot's own posts that quote a member's text, so ``/warden forget`` can redact them.

``quoting_posts``  one row per modlog post that quotes a member's message (``user_id``: whose text):
                   the channel and message ids, the case it is about, when it was redacted (``NULL``:
                   still quoting). Queue cards need no row: ``queue_entries.queue_message_id`` has them.
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.migrations._pg import ID, TEXT, run

VERSION = 3

STATEMENTS: tuple[str, ...] = (
    """
    CREATE TABLE quoting_posts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('modlog')),
        channel_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        case_id INTEGER,
        created_at TEXT NOT NULL,
        redacted_at TEXT
    )
    """,
    "CREATE UNIQUE INDEX quoting_posts_message ON quoting_posts (message_id)",
    "CREATE INDEX quoting_posts_member ON quoting_posts (guild_id, user_id) WHERE redacted_at IS NULL",
)


def upgrade(db: sqlite_utils.Database) -> None:
    """Create the table and its indexes (runs inside the migration's transaction)."""
    for statement in STATEMENTS:
        db.execute(statement)


def upgrade_postgres(db: object) -> None:
    """The same table and indexes on PostgreSQL."""
    run(
        db,
        (
            f"""
            CREATE TABLE quoting_posts (
                id {ID},
                guild_id BIGINT NOT NULL,
                user_id BIGINT NOT NULL,
                kind {TEXT} NOT NULL CHECK (kind IN ('modlog')),
                channel_id BIGINT NOT NULL,
                message_id BIGINT NOT NULL,
                case_id BIGINT,
                created_at {TEXT} NOT NULL,
                redacted_at {TEXT}
            )
            """,
            *STATEMENTS[1:],
        ),
    )
