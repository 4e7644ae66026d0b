"""0006: the modlog outbox, so a case's expiry line survives a process killed before it was posted.

``modlog_outbox``  one row per modlog line owed for a case (``event``: ``expired``), written in the
                   transaction that ends the case and deleted once the line was posted (or refused by
                   Discord, which is logged); rows left by a killed process are posted on the next
                   start. No member content: the server, the case number and the event.
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.migrations._pg import ID, TEXT, run

VERSION = 6

STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE modlog_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        case_number INTEGER NOT NULL,
        event TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (guild_id, case_number, event)
    )""",
)


def upgrade(db: sqlite_utils.Database) -> None:
    """Create the table (runs inside the migration's transaction)."""
    run(db, STATEMENTS)


def upgrade_postgres(db: object) -> None:
    """The same table on PostgreSQL."""
    run(
        db,
        (
            f"""CREATE TABLE modlog_outbox (
                id {ID},
                guild_id BIGINT NOT NULL,
                case_number BIGINT NOT NULL,
                event {TEXT} NOT NULL,
                created_at {TEXT} NOT NULL,
                UNIQUE (guild_id, case_number, event)
            )""",
        ),
    )
