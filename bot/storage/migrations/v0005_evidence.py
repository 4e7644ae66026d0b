"""0005: a queue entry keeps the evidence of its decision, so its card shows it on every re-render.

``queue_entries.evidence``  JSON list of ``{"text", "label", "weight"}`` (:mod:`bot.explain`): the
                            words that carried each fired label; ``[]`` for reports, appeals, entries
                            queued before this version, and after ``/warden forget`` (the words are
                            the member's).
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.migrations._pg import run

VERSION = 5

STATEMENTS: tuple[str, ...] = ("ALTER TABLE queue_entries ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]'",)


def upgrade(db: sqlite_utils.Database) -> None:
    """Add the column (runs inside the migration's transaction)."""
    for statement in STATEMENTS:
        db.execute(statement)


def upgrade_postgres(db: object) -> None:
    """The same column on PostgreSQL (collation "C" like every text column there)."""
    run(db, ("ALTER TABLE queue_entries ADD COLUMN evidence TEXT COLLATE \"C\" NOT NULL DEFAULT '[]'",))
