"""0004: ``message_scores.degraded``: the stored decision was made on the lexical tier's scores alone.

``degraded``  1 while the row holds a degraded decision (the full model could not answer in time, see
              :mod:`bot.policy.degraded`); the full model's re-score updates the row and sets it back
              to 0. Existing rows were all scored by the full model: 0.
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.migrations._pg import run

VERSION = 4

STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE message_scores ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0 CHECK (degraded IN (0, 1))",
    "CREATE INDEX message_scores_degraded ON message_scores (guild_id) WHERE degraded = 1",
)


def upgrade(db: sqlite_utils.Database) -> None:
    """Add the column and its partial index (runs inside the migration's transaction)."""
    for statement in STATEMENTS:
        db.execute(statement)


def upgrade_postgres(db: object) -> None:
    """The same column and index on PostgreSQL (the statements are portable)."""
    run(db, STATEMENTS)
