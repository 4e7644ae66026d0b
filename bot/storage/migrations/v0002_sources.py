"""0002: the source library behind ``/context`` (issue 5).

Tables
------
``sources``           articles the server trusts (guild_id 0 = every guild), with extracted text, an
                      optional ClaimReview (publisher's rating) and chunk embeddings for semantic ranking.
``sources_fts``       FTS5 index over title and text (external content = ``sources``), kept in sync by
                      triggers; tokenizer ``porter unicode61 remove_diacritics 2``. On PostgreSQL:
                      ``sources.tsv``, a tsvector (title weight A, reviewed claim B, text D; the
                      ``english`` configuration over text folded like the queries, see
                      :func:`bot.sources.fts.search_text`) written with the row, and a GIN index.
``feeds``             RSS/Atom feeds polled with conditional GET (etag / last_modified).
``channel_articles``  the article a channel is discussing (searched first).
``context_requests``  every request: rate limits, the per-author cap and the public threshold.
``context_feedback``  Helpful / Not helpful votes on a reply.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from bot.storage.migrations._pg import TEXT, run

VERSION = 2


SCHEMA = """
        CREATE TABLE IF NOT EXISTS sources (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL DEFAULT 0,
            url TEXT NOT NULL,
            domain TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT 'article',
            published TEXT,
            text TEXT NOT NULL DEFAULT '',
            claim_reviewed TEXT,
            rating TEXT,
            rating_author TEXT,
            feed_id INTEGER,
            embedding BLOB,
            added_by INTEGER,
            added_at TEXT NOT NULL,
            UNIQUE (guild_id, url)
        );
        CREATE INDEX IF NOT EXISTS idx_sources_guild ON sources (guild_id);

        CREATE VIRTUAL TABLE IF NOT EXISTS sources_fts USING fts5(
            title, text, claim_reviewed,
            content='sources', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER IF NOT EXISTS sources_ai AFTER INSERT ON sources BEGIN
            INSERT INTO sources_fts (rowid, title, text, claim_reviewed)
            VALUES (new.id, new.title, new.text, coalesce(new.claim_reviewed, ''));
        END;
        CREATE TRIGGER IF NOT EXISTS sources_ad AFTER DELETE ON sources BEGIN
            INSERT INTO sources_fts (sources_fts, rowid, title, text, claim_reviewed)
            VALUES ('delete', old.id, old.title, old.text, coalesce(old.claim_reviewed, ''));
        END;
        CREATE TRIGGER IF NOT EXISTS sources_au AFTER UPDATE OF title, text, claim_reviewed ON sources BEGIN
            INSERT INTO sources_fts (sources_fts, rowid, title, text, claim_reviewed)
            VALUES ('delete', old.id, old.title, old.text, coalesce(old.claim_reviewed, ''));
            INSERT INTO sources_fts (rowid, title, text, claim_reviewed)
            VALUES (new.id, new.title, new.text, coalesce(new.claim_reviewed, ''));
        END;

        CREATE TABLE IF NOT EXISTS feeds (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL DEFAULT 0,
            url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            last_polled TEXT,
            interval INTEGER NOT NULL DEFAULT 3600,
            added_by INTEGER,
            added_at TEXT NOT NULL,
            UNIQUE (guild_id, url)
        );

        CREATE TABLE IF NOT EXISTS channel_articles (
            guild_id INTEGER NOT NULL,
            channel_id INTEGER NOT NULL,
            source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
            set_by INTEGER,
            explicit INTEGER NOT NULL DEFAULT 0,
            set_at TEXT NOT NULL,
            PRIMARY KEY (guild_id, channel_id, source_id)
        );

        CREATE TABLE IF NOT EXISTS context_requests (
            id INTEGER PRIMARY KEY,
            guild_id INTEGER NOT NULL,
            channel_id INTEGER,
            message_id INTEGER,
            requester_id INTEGER NOT NULL,
            target_author_id INTEGER,
            claim TEXT NOT NULL,
            n_results INTEGER NOT NULL DEFAULT 0,
            public INTEGER NOT NULL DEFAULT 0,
            refused TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_ctxreq_requester
            ON context_requests (guild_id, requester_id, created_at);
        CREATE INDEX IF NOT EXISTS idx_ctxreq_target
            ON context_requests (guild_id, target_author_id, created_at);
        CREATE INDEX IF NOT EXISTS idx_ctxreq_message ON context_requests (message_id);

        CREATE TABLE IF NOT EXISTS context_feedback (
            request_id INTEGER NOT NULL REFERENCES context_requests (id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            helpful INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (request_id, user_id)
        );
        """


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (trigger bodies keep their inner semicolons)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete statement in migration: {buffer!r}")
    return statements


def upgrade(db: sqlite_utils.Database) -> None:
    # One statement at a time: executescript() would COMMIT the migration's transaction early.
    for statement in _statements(SCHEMA):
        db.execute(statement)


POSTGRES_STATEMENTS: tuple[str, ...] = (
    f"""
    CREATE TABLE sources (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL DEFAULT 0,
        url {TEXT} NOT NULL,
        domain {TEXT} NOT NULL DEFAULT '',
        title {TEXT} NOT NULL DEFAULT '',
        kind {TEXT} NOT NULL DEFAULT 'article',
        published {TEXT},
        text {TEXT} NOT NULL DEFAULT '',
        claim_reviewed {TEXT},
        rating {TEXT},
        rating_author {TEXT},
        feed_id BIGINT,
        embedding BYTEA,
        added_by BIGINT,
        added_at {TEXT} NOT NULL,
        tsv TSVECTOR NOT NULL DEFAULT ''::tsvector,
        UNIQUE (guild_id, url)
    )
    """,
    "CREATE INDEX idx_sources_guild ON sources (guild_id)",
    "CREATE INDEX idx_sources_tsv ON sources USING GIN (tsv)",
    f"""
    CREATE TABLE feeds (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL DEFAULT 0,
        url {TEXT} NOT NULL,
        etag {TEXT},
        last_modified {TEXT},
        last_polled {TEXT},
        interval INTEGER NOT NULL DEFAULT 3600,
        added_by BIGINT,
        added_at {TEXT} NOT NULL,
        UNIQUE (guild_id, url)
    )
    """,
    # rowid: SQLite's implicit insertion order, which the newest-first ordering breaks ties with
    f"""
    CREATE TABLE channel_articles (
        guild_id BIGINT NOT NULL,
        channel_id BIGINT NOT NULL,
        source_id BIGINT NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
        set_by BIGINT,
        explicit INTEGER NOT NULL DEFAULT 0,
        set_at {TEXT} NOT NULL,
        rowid BIGINT GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (guild_id, channel_id, source_id)
    )
    """,
    f"""
    CREATE TABLE context_requests (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        channel_id BIGINT,
        message_id BIGINT,
        requester_id BIGINT NOT NULL,
        target_author_id BIGINT,
        claim {TEXT} NOT NULL,
        n_results INTEGER NOT NULL DEFAULT 0,
        public INTEGER NOT NULL DEFAULT 0,
        refused {TEXT},
        created_at {TEXT} NOT NULL
    )
    """,
    "CREATE INDEX idx_ctxreq_requester ON context_requests (guild_id, requester_id, created_at)",
    "CREATE INDEX idx_ctxreq_target ON context_requests (guild_id, target_author_id, created_at)",
    "CREATE INDEX idx_ctxreq_message ON context_requests (message_id)",
    f"""
    CREATE TABLE context_feedback (
        request_id BIGINT NOT NULL REFERENCES context_requests (id) ON DELETE CASCADE,
        user_id BIGINT NOT NULL,
        helpful INTEGER NOT NULL,
        created_at {TEXT} NOT NULL,
        PRIMARY KEY (request_id, user_id)
    )
    """,
)


def upgrade_postgres(db: object) -> None:
    """The same tables on PostgreSQL, full-text search in ``sources.tsv`` with a GIN index."""
    run(db, POSTGRES_STATEMENTS)
