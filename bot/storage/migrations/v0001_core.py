"""0001: the core tables: guild settings, message scores, cases (infractions), the mod queue, feedback.

Timestamps are ISO 8601 UTC text with microseconds (``2026-11-25T14:00:00.000000+00:00``), so they
compare correctly as strings. Discord ids are INTEGER (snowflakes fit in 63 bits).
"""

from __future__ import annotations

import sqlite_utils

from bot.storage.migrations._pg import ID, TEXT, run

VERSION = 1

STATEMENTS: tuple[str, ...] = (
    # -- per-server policy overrides --------------------------------------------------------------------
    """
    CREATE TABLE guild_settings (
        guild_id INTEGER PRIMARY KEY,
        overrides TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL
    )
    """,
    # -- one row per scored message (an edit re-scores the same row) ------------------------------------
    """
    CREATE TABLE message_scores (
        message_id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        channel_id INTEGER NOT NULL,
        author_id INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        edited_at TEXT,
        scored_at TEXT NOT NULL,
        toxicity REAL NOT NULL,
        severe_toxicity REAL NOT NULL,
        obscene REAL NOT NULL,
        threat REAL NOT NULL,
        insult REAL NOT NULL,
        identity_attack REAL NOT NULL,
        model_version TEXT NOT NULL,
        backend TEXT NOT NULL,
        action TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        band TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        dry_run INTEGER NOT NULL DEFAULT 0,
        text TEXT,
        text_expires_at TEXT,
        CHECK ((text IS NULL) = (text_expires_at IS NULL))
    )
    """,
    "CREATE INDEX message_scores_guild_scored ON message_scores (guild_id, scored_at)",
    "CREATE INDEX message_scores_guild_author ON message_scores (guild_id, author_id)",
    "CREATE INDEX message_scores_text_expiry ON message_scores (text_expires_at) "
    "WHERE text_expires_at IS NOT NULL",
    # -- cases: append-only infractions with lifecycle fields -------------------------------------------
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        case_number INTEGER NOT NULL CHECK (case_number >= 1),
        user_id INTEGER NOT NULL,
        moderator_id INTEGER,
        type TEXT NOT NULL CHECK (type IN ('warn', 'timeout', 'delete', 'ban', 'kick', 'note')),
        reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        expires_at TEXT,
        active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        auto INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),
        dm_sent INTEGER CHECK (dm_sent IN (0, 1)),
        dm_error TEXT,
        message_id INTEGER,
        channel_id INTEGER,
        jump_url TEXT,
        pardoned_by INTEGER,
        pardoned_at TEXT,
        pardon_reason TEXT
    )
    """,
    "CREATE UNIQUE INDEX cases_guild_number ON cases (guild_id, case_number)",
    # one ACTIVE timeout per user: the database refuses a second
    """
    CREATE UNIQUE INDEX cases_one_active_timeout ON cases (guild_id, user_id, type)
    WHERE active = 1 AND type = 'timeout'
    """,
    # at most one case of a type per message (an edit or a retry cannot warn twice)
    """
    CREATE UNIQUE INDEX cases_one_per_message ON cases (guild_id, message_id, type)
    WHERE message_id IS NOT NULL
    """,
    "CREATE INDEX cases_guild_user ON cases (guild_id, user_id, type, created_at)",
    "CREATE INDEX cases_expiring ON cases (expires_at) WHERE active = 1 AND expires_at IS NOT NULL",
    # append-only: no deletes, and only the lifecycle fields may change
    """
    CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
    BEGIN SELECT RAISE(ABORT, 'cases are append-only'); END
    """,
    """
    CREATE TRIGGER cases_fixed_fields BEFORE UPDATE OF
        id, guild_id, case_number, user_id, moderator_id, type, reason, created_at, auto, message_id,
        channel_id
    ON cases
    BEGIN SELECT RAISE(ABORT, 'cases are append-only: only lifecycle fields change'); END
    """,
    # -- the moderators' queue -------------------------------------------------------------------------
    """
    CREATE TABLE queue_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        source TEXT NOT NULL DEFAULT 'auto' CHECK (source IN ('auto', 'report', 'appeal')),
        message_id INTEGER,
        channel_id INTEGER,
        author_id INTEGER,
        reporter_id INTEGER,
        jump_url TEXT,
        excerpt TEXT,
        scores TEXT NOT NULL DEFAULT '{}',
        labels TEXT NOT NULL DEFAULT '[]',
        reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'resolved')),
        claimed_by INTEGER,
        claimed_at TEXT,
        resolved_by INTEGER,
        resolved_at TEXT,
        resolution TEXT CHECK (
            resolution IS NULL
            OR resolution IN ('approved', 'deleted', 'warned', 'timed_out', 'banned')
        ),
        case_id INTEGER REFERENCES cases (id),
        queue_message_id INTEGER,
        created_at TEXT NOT NULL,
        CHECK ((status = 'resolved') = (resolution IS NOT NULL))
    )
    """,
    # one unresolved entry per message (a report of a message already queued joins that entry)
    """
    CREATE UNIQUE INDEX queue_one_open_per_message ON queue_entries (guild_id, message_id)
    WHERE message_id IS NOT NULL AND status != 'resolved' AND source != 'appeal'
    """,
    "CREATE INDEX queue_guild_status ON queue_entries (guild_id, status, created_at)",
    "CREATE UNIQUE INDEX queue_by_queue_message ON queue_entries (queue_message_id) "
    "WHERE queue_message_id IS NOT NULL",
    # -- moderator feedback on the model (an approved queue entry is a false positive) ------------------
    """
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        guild_id INTEGER NOT NULL,
        queue_entry_id INTEGER NOT NULL REFERENCES queue_entries (id),
        message_id INTEGER,
        source TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('false_positive', 'true_positive')),
        resolution TEXT NOT NULL,
        labels TEXT NOT NULL DEFAULT '[]',
        scores TEXT NOT NULL DEFAULT '{}',
        moderator_id INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX feedback_one_per_entry ON feedback (queue_entry_id)",
    "CREATE INDEX feedback_guild_verdict ON feedback (guild_id, verdict, created_at)",
)


def upgrade(db: sqlite_utils.Database) -> None:
    """Create the core tables, indexes and triggers (runs inside the migration's transaction)."""
    for statement in STATEMENTS:
        db.execute(statement)


def _postgres_statements() -> tuple[str, ...]:
    return (
        f"""
        CREATE TABLE guild_settings (
            guild_id BIGINT PRIMARY KEY,
            overrides {TEXT} NOT NULL DEFAULT '{{}}',
            updated_at {TEXT} NOT NULL
        )
        """,
        f"""
        CREATE TABLE message_scores (
            message_id BIGINT PRIMARY KEY,
            guild_id BIGINT NOT NULL,
            channel_id BIGINT NOT NULL,
            author_id BIGINT NOT NULL,
            created_at {TEXT} NOT NULL,
            edited_at {TEXT},
            scored_at {TEXT} NOT NULL,
            toxicity DOUBLE PRECISION NOT NULL,
            severe_toxicity DOUBLE PRECISION NOT NULL,
            obscene DOUBLE PRECISION NOT NULL,
            threat DOUBLE PRECISION NOT NULL,
            insult DOUBLE PRECISION NOT NULL,
            identity_attack DOUBLE PRECISION NOT NULL,
            model_version {TEXT} NOT NULL,
            backend {TEXT} NOT NULL,
            action {TEXT} NOT NULL,
            labels {TEXT} NOT NULL DEFAULT '[]',
            band {TEXT} NOT NULL DEFAULT '',
            reason {TEXT} NOT NULL DEFAULT '',
            dry_run INTEGER NOT NULL DEFAULT 0,
            text {TEXT},
            text_expires_at {TEXT},
            CHECK ((text IS NULL) = (text_expires_at IS NULL))
        )
        """,
        "CREATE INDEX message_scores_guild_scored ON message_scores (guild_id, scored_at)",
        "CREATE INDEX message_scores_guild_author ON message_scores (guild_id, author_id)",
        "CREATE INDEX message_scores_text_expiry ON message_scores (text_expires_at) "
        "WHERE text_expires_at IS NOT NULL",
        f"""
        CREATE TABLE cases (
            id {ID},
            guild_id BIGINT NOT NULL,
            case_number INTEGER NOT NULL CHECK (case_number >= 1),
            user_id BIGINT NOT NULL,
            moderator_id BIGINT,
            type {TEXT} NOT NULL CHECK (type IN ('warn', 'timeout', 'delete', 'ban', 'kick', 'note')),
            reason {TEXT} NOT NULL DEFAULT '',
            created_at {TEXT} NOT NULL,
            expires_at {TEXT},
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            auto INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),
            dm_sent INTEGER CHECK (dm_sent IN (0, 1)),
            dm_error {TEXT},
            message_id BIGINT,
            channel_id BIGINT,
            jump_url {TEXT},
            pardoned_by BIGINT,
            pardoned_at {TEXT},
            pardon_reason {TEXT}
        )
        """,
        "CREATE UNIQUE INDEX cases_guild_number ON cases (guild_id, case_number)",
        "CREATE UNIQUE INDEX cases_one_active_timeout ON cases (guild_id, user_id, type) "
        "WHERE active = 1 AND type = 'timeout'",
        "CREATE UNIQUE INDEX cases_one_per_message ON cases (guild_id, message_id, type) "
        "WHERE message_id IS NOT NULL",
        # one automatic case per message, whatever its type: SQLite gets this from the check-then-insert
        # under BEGIN IMMEDIATE; here concurrent processes are refused by the index itself
        "CREATE UNIQUE INDEX cases_one_auto_per_message ON cases (guild_id, message_id) "
        "WHERE auto = 1 AND message_id IS NOT NULL",
        "CREATE INDEX cases_guild_user ON cases (guild_id, user_id, type, created_at)",
        "CREATE INDEX cases_expiring ON cases (expires_at) WHERE active = 1 AND expires_at IS NOT NULL",
        # the per-server counter the next case number comes from: its row is locked by the increment
        # until the case commits, and rolled back with it (a sequence would leave gaps)
        """
        CREATE TABLE case_counters (
            guild_id BIGINT PRIMARY KEY,
            last_number INTEGER NOT NULL CHECK (last_number >= 0)
        )
        """,
        """
        CREATE FUNCTION warden_cases_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'cases are append-only' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RAISE EXCEPTION 'cases are append-only: only lifecycle fields change'
                USING ERRCODE = 'integrity_constraint_violation';
        END
        $$
        """,
        "CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases "
        "FOR EACH ROW EXECUTE FUNCTION warden_cases_append_only()",
        """
        CREATE TRIGGER cases_fixed_fields BEFORE UPDATE OF
            id, guild_id, case_number, user_id, moderator_id, type, reason, created_at, auto, message_id,
            channel_id
        ON cases FOR EACH ROW EXECUTE FUNCTION warden_cases_append_only()
        """,
        f"""
        CREATE TABLE queue_entries (
            id {ID},
            guild_id BIGINT NOT NULL,
            source {TEXT} NOT NULL DEFAULT 'auto' CHECK (source IN ('auto', 'report', 'appeal')),
            message_id BIGINT,
            channel_id BIGINT,
            author_id BIGINT,
            reporter_id BIGINT,
            jump_url {TEXT},
            excerpt {TEXT},
            scores {TEXT} NOT NULL DEFAULT '{{}}',
            labels {TEXT} NOT NULL DEFAULT '[]',
            reason {TEXT} NOT NULL DEFAULT '',
            status {TEXT} NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'resolved')),
            claimed_by BIGINT,
            claimed_at {TEXT},
            resolved_by BIGINT,
            resolved_at {TEXT},
            resolution {TEXT} CHECK (
                resolution IS NULL
                OR resolution IN ('approved', 'deleted', 'warned', 'timed_out', 'banned')
            ),
            case_id BIGINT REFERENCES cases (id),
            queue_message_id BIGINT,
            created_at {TEXT} NOT NULL,
            CHECK ((status = 'resolved') = (resolution IS NOT NULL))
        )
        """,
        "CREATE UNIQUE INDEX queue_one_open_per_message ON queue_entries (guild_id, message_id) "
        "WHERE message_id IS NOT NULL AND status != 'resolved' AND source != 'appeal'",
        "CREATE INDEX queue_guild_status ON queue_entries (guild_id, status, created_at)",
        "CREATE UNIQUE INDEX queue_by_queue_message ON queue_entries (queue_message_id) "
        "WHERE queue_message_id IS NOT NULL",
        # one appeal per case (SQLite: check-then-insert under BEGIN IMMEDIATE)
        "CREATE UNIQUE INDEX queue_one_appeal_per_case ON queue_entries (case_id) "
        "WHERE source = 'appeal' AND case_id IS NOT NULL",
        f"""
        CREATE TABLE feedback (
            id {ID},
            guild_id BIGINT NOT NULL,
            queue_entry_id BIGINT NOT NULL REFERENCES queue_entries (id),
            message_id BIGINT,
            source {TEXT} NOT NULL,
            verdict {TEXT} NOT NULL CHECK (verdict IN ('false_positive', 'true_positive')),
            resolution {TEXT} NOT NULL,
            labels {TEXT} NOT NULL DEFAULT '[]',
            scores {TEXT} NOT NULL DEFAULT '{{}}',
            moderator_id BIGINT NOT NULL,
            created_at {TEXT} NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX feedback_one_per_entry ON feedback (queue_entry_id)",
        "CREATE INDEX feedback_guild_verdict ON feedback (guild_id, verdict, created_at)",
    )


def upgrade_postgres(db: object) -> None:
    """The same tables on PostgreSQL, plus the case counter and the indexes that replace SQLite's
    whole-file write lock for one automatic case per message and one appeal per case."""
    run(db, _postgres_statements())
