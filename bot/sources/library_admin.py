"""Library administration: add articles (URL, file, text), feeds and their polling, the article a
channel discusses, and removing what was added.

A mixin of :class:`~bot.sources.service.ContextService` (``/sources``, ``warden sources`` and the
feed schedule call these on the one service); the search side of that class is :mod:`bot.sources.service`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.context_settings import ContextSettings
from bot.sources.ingest import (
    MAX_FEED_ENTRIES,
    FeedPoll,
    IngestError,
    ParsedArticle,
    fetch_page,
    parse_content,
    poll_feed,
    read_file,
)
from bot.sources.models import domain_of
from bot.sources.safe_fetch import FetchError, SafeFetcher
from bot.sources.store import SourceLibrary

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://[^\s<>()\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AddedSource:
    id: int
    title: str
    url: str
    kind: str
    published: str | None
    rating: str | None = None
    changed: bool = True  # False: the same text was already stored (nothing written)


class LibraryAdmin:
    """The library administration methods of :class:`~bot.sources.service.ContextService`.

    The host provides the HTTP session, the settings, the clock, ``_db`` (a call on the database
    thread), ``_embed_blob`` and ``semantic_enabled``; every change bumps ``_library_version``, which
    drops the host's cached embedding index.

    Pages and feeds (untrusted URLs) are never fetched with the host's session but through
    :attr:`fetcher`, which checks every hop's address when it connects; it is built from
    ``allow_private_hosts`` on first use, and tests may set their own.
    """

    session: aiohttp.ClientSession | None  # None: no fetching at all
    fetcher: SafeFetcher | None = None
    settings: ContextSettings
    clock: Callable[[], datetime]
    _library_version: int

    if TYPE_CHECKING:

        @property
        def semantic_enabled(self) -> bool: ...

        async def _db(self, fn: Callable[[SourceLibrary], Any]) -> Any: ...

        async def _embed_blob(self, title: str, text: str, claim_reviewed: str | None) -> bytes | None: ...

    async def _store(
        self,
        parsed: ParsedArticle,
        url: str,
        *,
        guild_id: int,
        added_by: int | None,
        feed_id: int | None = None,
    ) -> AddedSource:
        if not parsed.text.strip() and not parsed.claim_review:
            raise IngestError("no article text could be extracted")
        review = parsed.claim_review
        existing = await self._db(lambda lib: lib.find_by_url(url, guild_id))
        if (
            existing is not None
            and existing["guild_id"] == guild_id
            and existing["title"] == parsed.title.strip()
            and existing["text"] == parsed.text
            and (existing["embedding"] is not None or not self.semantic_enabled)
        ):
            return AddedSource(
                existing["id"],
                existing["title"],
                url,
                existing["kind"],
                existing["published"],
                existing["rating"],
                changed=False,
            )
        blob = await self._embed_blob(parsed.title, parsed.text, review.claim_reviewed if review else None)
        sid = await self._db(
            lambda lib: lib.add_source(
                url=url,
                title=parsed.title,
                text=parsed.text,
                guild_id=guild_id,
                kind=parsed.kind,
                published=parsed.published,
                claim_reviewed=review.claim_reviewed if review else None,
                rating=review.rating if review else None,
                rating_author=review.author if review else None,
                feed_id=feed_id,
                added_by=added_by,
                embedding=blob,
            )
        )
        self._library_version += 1
        log.info("source added", extra={"source_id": sid, "guild_id": guild_id, "domain": domain_of(url)})
        return AddedSource(
            sid, parsed.title, url, parsed.kind, parsed.published, review.rating if review else None
        )

    def _fetcher(self) -> SafeFetcher:
        if self.fetcher is None:
            self.fetcher = SafeFetcher(allow_private=self.settings.allow_private_hosts)
        return self.fetcher

    async def add_url(self, url: str, *, guild_id: int = 0, added_by: int | None = None) -> AddedSource:
        """Fetch a page and add it. Raises :class:`IngestError` with an admin-readable message."""
        if self.session is None:
            raise IngestError("no HTTP session configured")
        body, ctype = await fetch_page(
            self._fetcher(),
            url,
            timeout_s=self.settings.fetch_timeout_s,
            max_bytes=self.settings.max_page_bytes,
            user_agent=self.settings.user_agent,
        )
        parsed = await asyncio.to_thread(parse_content, body, url, ctype)
        return await self._store(parsed, url, guild_id=guild_id, added_by=added_by)

    async def add_file(
        self, path: str | Path, *, guild_id: int = 0, added_by: int | None = None, url: str | None = None
    ) -> AddedSource:
        """Add a local HTML or text file (its URL is ``url`` or the file's ``file://`` URI)."""
        path = Path(path)
        if not path.is_file():
            raise IngestError(f"{path} is not a file")
        parsed = await asyncio.to_thread(read_file, path)
        return await self._store(parsed, url or path.resolve().as_uri(), guild_id=guild_id, added_by=added_by)

    async def add_text(
        self,
        title: str,
        text: str,
        url: str,
        *,
        guild_id: int = 0,
        published: str | None = None,
        added_by: int | None = None,
    ) -> AddedSource:
        return await self._store(
            ParsedArticle(title=title, text=text, published=published),
            url,
            guild_id=guild_id,
            added_by=added_by,
        )

    async def list_sources(self, guild_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        return await self._db(lambda lib: lib.list_sources(guild_id, limit=limit))

    async def list_feeds(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        return await self._db(lambda lib: lib.list_feeds(guild_id))

    async def remove_source(self, source_id: int, *, guild_id: int | None = None) -> bool:
        self._library_version += 1
        return await self._db(lambda lib: lib.remove_source(source_id, guild_id))

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        return await self._db(lambda lib: lib.remove_feed(feed_id, guild_id))

    async def add_feed(
        self, url: str, *, guild_id: int = 0, added_by: int | None = None, poll_now: bool = True
    ) -> tuple[int, int]:
        """Register a feed and poll it once; returns (feed id, entries added). When that first poll
        fails (refused address, HTTP error, not a feed...) nothing is stored and :class:`IngestError`
        says why. ``poll_now=False`` only checks the address and registers the feed."""
        if not poll_now:
            try:
                await self._fetcher().check(url)
            except FetchError as exc:
                raise IngestError(str(exc)) from exc
            feed_id = await self._register_feed(url, guild_id, added_by)
            return feed_id, 0
        if self.session is None:
            raise IngestError("no HTTP session configured")
        poll = await self._poll(url, etag=None, last_modified=None)
        if not poll.ok:
            raise IngestError(poll.error or f"the feed answered HTTP {poll.status}")
        feed_id = await self._register_feed(url, guild_id, added_by)
        return feed_id, await self._ingest_poll(feed_id, guild_id, added_by, poll)

    async def _register_feed(self, url: str, guild_id: int, added_by: int | None) -> int:
        return await self._db(
            lambda lib: lib.add_feed(
                url, guild_id=guild_id, added_by=added_by, interval=self.settings.feed_interval_s
            )
        )

    async def _poll(self, url: str, *, etag: str | None, last_modified: str | None) -> FeedPoll:
        return await poll_feed(
            self._fetcher(),
            url,
            etag=etag,
            last_modified=last_modified,
            timeout_s=self.settings.fetch_timeout_s,
            max_entries=MAX_FEED_ENTRIES,
            user_agent=self.settings.user_agent,
        )

    async def poll_feed(self, feed_id: int) -> int:
        """One conditional GET of a feed; new/changed entries go into the library (at most
        :data:`~bot.sources.ingest.MAX_FEED_ENTRIES` per poll). Returns entries stored."""
        feed = await self._db(lambda lib: lib.get_feed(feed_id))
        if feed is None or self.session is None:
            return 0
        poll = await self._poll(feed["url"], etag=feed["etag"], last_modified=feed["last_modified"])
        return await self._ingest_poll(feed_id, feed["guild_id"], feed["added_by"], poll)

    async def _ingest_poll(self, feed_id: int, guild_id: int, added_by: int | None, poll: FeedPoll) -> int:
        stored = 0
        for entry in poll.entries:
            if not entry.url:
                continue
            try:
                added = await self._store(
                    entry, entry.url, guild_id=guild_id, added_by=added_by, feed_id=feed_id
                )
            except IngestError:
                continue
            stored += int(added.changed)
        await self._db(
            lambda lib: lib.update_feed_state(
                feed_id, etag=poll.etag, last_modified=poll.last_modified, polled_at=self.clock()
            )
        )
        log.info("feed polled", extra={"feed_id": feed_id, "status": poll.status, "stored": stored})
        return stored

    async def poll_due_feeds(self) -> int:
        """Poll every feed whose interval has passed (call this on a schedule). Returns entries stored."""
        due = await self._db(lambda lib: lib.due_feeds(self.clock()))
        total = 0
        for feed in due:
            try:
                total += await self.poll_feed(feed["id"])
            except Exception:
                log.exception("feed poll failed", extra={"feed_id": feed["id"]})
        return total

    async def set_channel_article(
        self, guild_id: int, channel_id: int, url: str, *, set_by: int | None = None, explicit: bool = True
    ) -> AddedSource:
        """Make ``url`` the article ``channel_id`` discusses (fetched and added to the guild if new)."""
        existing = await self._db(lambda lib: lib.find_by_url(url, guild_id))
        if existing is None:
            added = await self.add_url(url, guild_id=guild_id, added_by=set_by)
        else:
            added = AddedSource(
                existing["id"],
                existing["title"],
                existing["url"],
                existing["kind"],
                existing["published"],
                existing["rating"],
            )
        await self._db(
            lambda lib: lib.set_channel_article(
                guild_id, channel_id, added.id, set_by=set_by, explicit=explicit
            )
        )
        return added

    async def note_posted_links(
        self, guild_id: int, channel_id: int, content: str, author_id: int | None = None
    ) -> list[int]:
        """A link posted in a channel becomes that channel's article when it is already in the library
        or comes from a domain the server already trusts (a source or feed domain). Returns source ids."""
        urls = [u.rstrip(".,;:!?)") for u in _URL.findall(content or "")][:3]
        if not urls:
            return []
        marked: list[int] = []
        trusted: set[str] | None = None
        for url in urls:
            existing = await self._db(lambda lib, url=url: lib.find_by_url(url, guild_id))
            if existing is None:
                if trusted is None:
                    trusted = await self._trusted_domains(guild_id)
                if domain_of(url) not in trusted or self.session is None:
                    continue
                try:
                    sid = (await self.add_url(url, guild_id=guild_id, added_by=author_id)).id
                except IngestError as exc:
                    log.info("posted link not added: %s", exc, extra={"guild_id": guild_id})
                    continue
            else:
                sid = existing["id"]
            await self._db(
                lambda lib, sid=sid: lib.set_channel_article(
                    guild_id, channel_id, sid, set_by=author_id, explicit=False
                )
            )
            marked.append(sid)
        return marked

    async def _trusted_domains(self, guild_id: int) -> set[str]:
        def query(lib: SourceLibrary) -> set[str]:
            rows = lib.db.execute("SELECT DISTINCT domain FROM sources WHERE guild_id IN (0, ?)", [guild_id])
            domains = {r[0] for r in rows}
            domains |= {domain_of(f["url"]) for f in lib.list_feeds(guild_id)}
            return {d for d in domains if d and d != "local"}

        return await self._db(query)
