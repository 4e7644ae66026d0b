"""Synchronous repositories over the Warden database (run them through ``Database.run``).

:class:`SourceLibrary` holds the articles a server trusts (full-text search + chunk embeddings), its
feeds and the article each channel is discussing; context requests and feedback are
:mod:`bot.sources.request_log`'s.

Both repositories take the database's raw handle (``database.db``: sqlite-utils on SQLite, the session on
PostgreSQL) and write plain SQL that runs on either. Full-text search is each backend's own: FTS5 and
bm25 on SQLite, a weighted tsvector with a GIN index and ``ts_rank`` on PostgreSQL; both rank the
title above the reviewed claim above the text, over the same folded tokens (:mod:`bot.sources.fts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.sources.fts import build_match_query, build_tsquery, search_text
from bot.sources.models import domain_of
from bot.sources.rows import insert_row, iso, update_row, utcnow
from bot.storage.dialect import dialect_of


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
                update_row(self.db, "sources", sid, row)
            else:
                sid = insert_row(self.db, "sources", row)
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
            return insert_row(
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
            update_row(
                self.db,
                "feeds",
                feed_id,
                {"etag": etag, "last_modified": last_modified, "last_polled": iso(polled_at or utcnow())},
            )
