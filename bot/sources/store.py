"""Synchronous repositories over the Warden database (run them through ``Database.run``).

:class:`SourceLibrary` holds the articles a server trusts (full-text search + chunk embeddings), its
feeds and the article each channel is discussing; :class:`RequestLog` holds context requests and
feedback (rate limits, the per-author cap, the public threshold).

Both take the database's raw handle (``database.db``: sqlite-utils on SQLite, the session on
PostgreSQL) and write plain SQL that runs on either. Full-text search is each backend's own: FTS5 and
bm25 on SQLite, a weighted tsvector with a GIN index and ``ts_rank`` on PostgreSQL; both rank the
title above the reviewed claim above the text, over the same folded tokens (:mod:`bot.sources.fts`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sources.fts import build_match_query, build_tsquery, search_text
from bot.sources.models import domain_of
from bot.storage.dialect import dialect_of


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class LibraryHit:
    id: int
    guild_id: int
    url: str
    domain: str
    title: str
    kind: str
    published: str | None
    snippet: str
    text: str
    claim_reviewed: str | None
    rating: str | None
    rating_author: str | None
    bm25: float  # higher = better (negated FTS5 bm25; ts_rank on PostgreSQL)
    embedding: bytes | None


_SNIPPET_CLEAN = re.compile(r"\s+")
_COLUMNS = (
    "id, guild_id, url, domain, title, kind, published, text, claim_reviewed, rating, rating_author, "
    "feed_id, embedding, added_by, added_at"
)
"""The columns of ``sources`` a caller sees (PostgreSQL's search vector is not one of them)."""
_TS_WEIGHTS = "'{0.1, 0, 0.2, 0.3}'"
"""ts_rank weights D, C, B, A: text 1, reviewed claim 2, title 3 (the bm25 weights on SQLite)."""
_HEADLINE = 'StartSel="", StopSel="", MaxWords=24, MinWords=8, MaxFragments=1, FragmentDelimiter=" … "'


def _insert(db: Any, table: str, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` and return its new id."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return int(
        db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(row.values())
        ).fetchone()[0]
    )


def _update(db: Any, table: str, row_id: int, fields: dict[str, Any]) -> None:
    """Set ``fields`` (names from code, never from input) on row ``row_id`` of ``table``."""
    if fields:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*fields.values(), row_id])


class SourceLibrary:
    """Articles, feeds and channel articles. Guild 0 rows are visible to every guild."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.dialect = dialect_of(db)

    # --- sources -------------------------------------------------------------------------------
    def add_source(
        self,
        *,
        url: str,
        title: str,
        text: str,
        guild_id: int = 0,
        kind: str = "article",
        published: str | None = None,
        claim_reviewed: str | None = None,
        rating: str | None = None,
        rating_author: str | None = None,
        feed_id: int | None = None,
        added_by: int | None = None,
        embedding: bytes | None = None,
    ) -> int:
        """Insert or refresh (same guild + url) an article; returns its id."""
        row = {
            "guild_id": int(guild_id),
            "url": url,
            "domain": domain_of(url) or "local",
            "title": title.strip(),
            "kind": kind,
            "published": published,
            "text": text,
            "claim_reviewed": claim_reviewed,
            "rating": rating,
            "rating_author": rating_author,
            "feed_id": feed_id,
            "added_by": added_by,
            "embedding": embedding,
            "added_at": iso(utcnow()),
        }
        with self.db.atomic():
            # one writer per (guild, url): two processes adding one article refresh one row
            self.dialect.lock(self.db, f"source:{url}", int(guild_id))
            existing = self.db.execute(
                "SELECT id FROM sources WHERE guild_id = ? AND url = ?", [row["guild_id"], url]
            ).fetchone()
            if existing:
                sid = int(existing[0])
                row.pop("added_at")
                _update(self.db, "sources", sid, row)
            else:
                sid = _insert(self.db, "sources", row)
            self.index_text(sid, title.strip(), claim_reviewed, text)
            return sid

    def index_text(self, source_id: int, title: str, claim_reviewed: str | None, text: str) -> None:
        """Write the search vector of source ``source_id`` from its stored ``title``, ``claim_reviewed``
        and ``text``: PostgreSQL's ``tsv`` column. Nothing on SQLite, whose FTS5 index follows the row
        through triggers."""
        if self.dialect.postgres:
            self.db.execute(
                "UPDATE sources SET tsv = setweight(to_tsvector('english', ?), 'A') "
                "|| setweight(to_tsvector('english', ?), 'B') "
                "|| setweight(to_tsvector('english', ?), 'D') WHERE id = ?",
                [search_text(title), search_text(claim_reviewed or ""), search_text(text), source_id],
            )

    def get(self, source_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query(f"SELECT {_COLUMNS} FROM sources WHERE id = ?", [source_id]))
        return rows[0] if rows else None

    def find_by_url(self, url: str, guild_id: int = 0) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                f"SELECT {_COLUMNS} FROM sources WHERE url = ? AND guild_id IN (0, ?) "
                "ORDER BY guild_id DESC LIMIT 1",
                [url, guild_id],
            )
        )
        return rows[0] if rows else None

    def list_sources(self, guild_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Sources visible to ``guild_id`` (None: all guilds), newest first, without text/embedding."""
        cols = "id, guild_id, url, domain, title, kind, published, rating, rating_author, feed_id, added_at"
        if guild_id is None:
            return list(self.db.query(f"SELECT {cols} FROM sources ORDER BY id DESC LIMIT ?", [limit]))
        return list(
            self.db.query(
                f"SELECT {cols} FROM sources WHERE guild_id IN (0, ?) ORDER BY id DESC LIMIT ?",
                [guild_id, limit],
            )
        )

    def remove_source(self, source_id: int, guild_id: int | None = None) -> bool:
        """Delete a source (only its own guild's, when ``guild_id`` is given; guild 0 removes global ones)."""
        with self.db.atomic():
            if guild_id is None:
                cur = self.db.execute("DELETE FROM sources WHERE id = ?", [source_id])
            else:
                cur = self.db.execute(
                    "DELETE FROM sources WHERE id = ? AND guild_id = ?", [source_id, guild_id]
                )
            self.db.execute("DELETE FROM channel_articles WHERE source_id = ?", [source_id])
        return cur.rowcount > 0

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM sources").fetchone()[0])

    def set_embedding(self, source_id: int, blob: bytes) -> None:
        with self.db.atomic():
            self.db.execute("UPDATE sources SET embedding = ? WHERE id = ?", [blob, source_id])

    def missing_embeddings(self, guild_id: int | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
        sql = "SELECT id, title, text, claim_reviewed FROM sources WHERE embedding IS NULL"
        params: list[Any] = []
        if guild_id is not None:
            sql += " AND guild_id IN (0, ?)"
            params.append(guild_id)
        return list(self.db.query(sql + " LIMIT ?", [*params, limit]))

    def embeddings(self, guild_id: int, ids: list[int] | None = None) -> list[tuple[int, bytes]]:
        """(id, embedding blob) of every embedded source visible to ``guild_id`` (or of ``ids``)."""
        if ids is not None:
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            rows = self.db.execute(
                f"SELECT id, embedding FROM sources WHERE embedding IS NOT NULL AND id IN ({marks})", ids
            )
        else:
            rows = self.db.execute(
                "SELECT id, embedding FROM sources WHERE embedding IS NOT NULL AND guild_id IN (0, ?)",
                [guild_id],
            )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def hits_by_id(self, ids: list[int]) -> list[LibraryHit]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {
            r["id"]: r for r in self.db.query(f"SELECT {_COLUMNS} FROM sources WHERE id IN ({marks})", ids)
        }
        return [self._hit(rows[i], "", 0.0) for i in ids if i in rows]

    def search(
        self, text: str, guild_id: int, *, limit: int = 20, only_ids: list[int] | None = None
    ) -> list[LibraryHit]:
        """BM25 search (title weighted 3x, reviewed claim 2x) over sources visible to ``guild_id``
        (``ts_rank`` with the same weights on PostgreSQL)."""
        if only_ids is not None and not only_ids:
            return []
        if self.dialect.postgres:
            return self._search_postgres(text, guild_id, limit=limit, only_ids=only_ids)
        query = build_match_query(text)
        if query is None:
            return []
        sql = (
            "SELECT s.*, -bm25(sources_fts, 3.0, 1.0, 2.0) AS score, "
            "snippet(sources_fts, 1, '', '', ' … ', 24) AS snip "
            "FROM sources_fts JOIN sources s ON s.id = sources_fts.rowid "
            "WHERE sources_fts MATCH ? AND s.guild_id IN (0, ?)"
        )
        params: list[Any] = [query, guild_id]
        if only_ids is not None:
            sql += f" AND s.id IN ({','.join('?' * len(only_ids))})"
            params += list(only_ids)
        sql += " ORDER BY bm25(sources_fts, 3.0, 1.0, 2.0) LIMIT ?"
        params.append(limit)
        return [self._hit(row, row["snip"], float(row["score"])) for row in self.db.query(sql, params)]

    def _search_postgres(
        self, text: str, guild_id: int, *, limit: int, only_ids: list[int] | None
    ) -> list[LibraryHit]:
        query = build_tsquery(text)
        if query is None:
            return []
        columns = ", ".join(f"s.{name.strip()}" for name in _COLUMNS.split(","))
        sql = (
            f"SELECT {columns}, ts_rank({_TS_WEIGHTS}, s.tsv, q, 1) AS score, "
            f"ts_headline('english', s.text, q, '{_HEADLINE}') AS snip "
            "FROM sources s, to_tsquery('english', ?) AS q "
            "WHERE s.tsv @@ q AND s.guild_id IN (0, ?)"
        )
        params: list[Any] = [query, guild_id]
        if only_ids is not None:
            sql += f" AND s.id IN ({','.join('?' * len(only_ids))})"
            params += list(only_ids)
        sql += " ORDER BY score DESC, s.id LIMIT ?"
        params.append(limit)
        return [self._hit(row, row["snip"], float(row["score"])) for row in self.db.query(sql, params)]

    @staticmethod
    def _hit(row: dict[str, Any], snippet: str, score: float) -> LibraryHit:
        snippet = _SNIPPET_CLEAN.sub(" ", snippet or row["text"][:200]).strip()
        return LibraryHit(
            id=row["id"],
            guild_id=row["guild_id"],
            url=row["url"],
            domain=row["domain"],
            title=row["title"],
            kind=row["kind"],
            published=row["published"],
            snippet=snippet,
            text=row["text"],
            claim_reviewed=row["claim_reviewed"],
            rating=row["rating"],
            rating_author=row["rating_author"],
            bm25=score,
            embedding=bytes(row["embedding"]) if row["embedding"] is not None else None,
        )

    # --- channel articles ----------------------------------------------------------------------
    def set_channel_article(
        self,
        guild_id: int,
        channel_id: int,
        source_id: int,
        *,
        set_by: int | None = None,
        explicit: bool = False,
    ) -> None:
        """Mark ``source_id`` as an article ``channel_id`` discusses (explicit ones win over posted links).

        Explicit is sticky: a member posting the link of the article a moderator set (``/sources
        article``) refreshes nothing and demotes nothing; the moderator's ``set_by`` and ``set_at`` stay.
        A moderator setting a posted link makes it explicit."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO channel_articles (guild_id, channel_id, source_id, set_by, explicit, set_at) "
                "VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id, source_id) DO UPDATE SET "
                "set_by = CASE WHEN excluded.explicit >= channel_articles.explicit "
                "THEN excluded.set_by ELSE channel_articles.set_by END, "
                "set_at = CASE WHEN excluded.explicit >= channel_articles.explicit "
                "THEN excluded.set_at ELSE channel_articles.set_at END, "
                f"explicit = {self.dialect.greatest('channel_articles.explicit', 'excluded.explicit')}",
                [guild_id, channel_id, source_id, set_by, int(explicit), iso(utcnow())],
            )

    def channel_article_ids(self, guild_id: int, channel_id: int, limit: int = 3) -> list[int]:
        """The channel's articles to search first: explicit (moderator-set) ones, then posted links,
        newest first within each."""
        rows = self.db.execute(
            "SELECT source_id FROM channel_articles WHERE guild_id = ? AND channel_id = ? "
            "ORDER BY explicit DESC, set_at DESC, rowid DESC LIMIT ?",
            [guild_id, channel_id, limit],
        )
        return [int(r[0]) for r in rows]

    # --- feeds ---------------------------------------------------------------------------------
    def add_feed(
        self, url: str, *, guild_id: int = 0, interval: int = 3600, added_by: int | None = None
    ) -> int:
        with self.db.atomic():
            self.dialect.lock(self.db, f"feed:{url}", guild_id)
            existing = self.db.execute(
                "SELECT id FROM feeds WHERE guild_id = ? AND url = ?", [guild_id, url]
            ).fetchone()
            if existing:
                return int(existing[0])
            return _insert(
                self.db,
                "feeds",
                {
                    "guild_id": guild_id,
                    "url": url,
                    "interval": interval,
                    "added_by": added_by,
                    "added_at": iso(utcnow()),
                    "etag": None,
                    "last_modified": None,
                    "last_polled": None,
                },
            )

    def list_feeds(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.db.query("SELECT * FROM feeds ORDER BY id"))
        return list(self.db.query("SELECT * FROM feeds WHERE guild_id IN (0, ?) ORDER BY id", [guild_id]))

    def get_feed(self, feed_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM feeds WHERE id = ?", [feed_id]))
        return rows[0] if rows else None

    def remove_feed(self, feed_id: int, guild_id: int | None = None) -> bool:
        with self.db.atomic():
            if guild_id is None:
                cur = self.db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
            else:
                cur = self.db.execute("DELETE FROM feeds WHERE id = ? AND guild_id = ?", [feed_id, guild_id])
        return cur.rowcount > 0

    def due_feeds(self, now: datetime | None = None) -> list[dict[str, Any]]:
        now = now or utcnow()
        due = []
        for feed in self.list_feeds():
            last = feed["last_polled"]
            if last is None or datetime.fromisoformat(last) + timedelta(seconds=feed["interval"]) <= now:
                due.append(feed)
        return due

    def update_feed_state(
        self, feed_id: int, *, etag: str | None, last_modified: str | None, polled_at: datetime | None = None
    ) -> None:
        with self.db.atomic():
            _update(
                self.db,
                "feeds",
                feed_id,
                {"etag": etag, "last_modified": last_modified, "last_polled": iso(polled_at or utcnow())},
            )


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
            return _insert(
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
            _update(self.db, "context_requests", request_id, fields)

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
