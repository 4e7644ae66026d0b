"""The feeds a server follows: registering one (its first poll must succeed), conditional polling on a
schedule, and their entries stored in the library (:class:`~bot.sources.library.LibraryService`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from bot.context_settings import ContextSettings
from bot.sources.database_api import DatabaseLike, on_library
from bot.sources.ingest import MAX_FEED_ENTRIES, FeedPoll, IngestError, poll_feed
from bot.sources.library import LibraryService
from bot.sources.models import Feed, FeedAdded
from bot.sources.safe_fetch import FetchError
from bot.sources.store import SourceLibrary

log = logging.getLogger(__name__)

T = TypeVar("T")


class FeedService:
    """Follows, polls, lists and drops feeds; new and changed entries go into the library."""

    def __init__(
        self,
        database: DatabaseLike,
        library: LibraryService,
        settings: ContextSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.library = library
        self.settings = settings
        self.clock = clock

    async def _db(self, fn: Callable[[SourceLibrary], T]) -> T:
        return await on_library(self.database, fn)

    async def add_feed(
        self, url: str, *, guild_id: int = 0, added_by: int | None = None, poll_now: bool = True
    ) -> FeedAdded:
        """Register a feed and poll it once; returns (feed id, entries added). When that first poll
        fails (refused address, HTTP error, not a feed...) nothing is stored and :class:`IngestError`
        says why. ``poll_now=False`` only checks the address and registers the feed."""
        if not poll_now:
            try:
                await self.library.safe_fetcher().check(url)
            except FetchError as exc:
                raise IngestError(str(exc)) from exc
            return FeedAdded(await self._register(url, guild_id, added_by), 0)
        if self.library.session is None:
            raise IngestError("no HTTP session configured")
        poll = await self._poll(url, etag=None, last_modified=None)
        if not poll.ok:
            raise IngestError(poll.error or f"the feed answered HTTP {poll.status}")
        feed_id = await self._register(url, guild_id, added_by)
        return FeedAdded(feed_id, await self._ingest(feed_id, guild_id, added_by, poll))

    async def list_feeds(self, guild_id: int | None = None) -> list[Feed]:
        """The feeds ``guild_id`` sees (None: every guild's), oldest first."""
        return [Feed.from_row(row) for row in await self._db(lambda lib: lib.list_feeds(guild_id))]

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        """Stop following a feed (only ``guild_id``'s when given); its stored entries stay."""
        return await self._db(lambda lib: lib.remove_feed(feed_id, guild_id))

    async def poll_feed(self, feed_id: int) -> int:
        """One conditional GET of a feed; new/changed entries go into the library (at most
        :data:`~bot.sources.ingest.MAX_FEED_ENTRIES` per poll). Returns entries stored."""
        row = await self._db(lambda lib: lib.get_feed(feed_id))
        if row is None or self.library.session is None:
            return 0
        feed = Feed.from_row(row)
        poll = await self._poll(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        return await self._ingest(feed_id, feed.guild_id, feed.added_by, poll)

    async def poll_due_feeds(self, owns: Callable[[int], bool] | None = None) -> int:
        """Poll every feed whose interval has passed (call this on a schedule). Returns entries stored.

        ``owns``: with several shard-owning processes, only the feeds of the servers this process owns
        (:func:`bot.sharding.owns_guild`; the deployment's own feeds, ``guild_id`` 0, are on shard 0).
        """
        due = [Feed.from_row(row) for row in await self._db(lambda lib: lib.due_feeds(self.clock()))]
        if owns is not None:
            due = [feed for feed in due if owns(feed.guild_id)]
        total = 0
        for feed in due:
            try:
                total += await self.poll_feed(feed.id)
            except Exception:
                log.exception("feed poll failed", extra={"feed_id": feed.id})
        return total

    async def _register(self, url: str, guild_id: int, added_by: int | None) -> int:
        return await self._db(
            lambda lib: lib.add_feed(
                url, guild_id=guild_id, added_by=added_by, interval=self.settings.feed_interval_s
            )
        )

    async def _poll(self, url: str, *, etag: str | None, last_modified: str | None) -> FeedPoll:
        return await poll_feed(
            self.library.safe_fetcher(),
            url,
            etag=etag,
            last_modified=last_modified,
            timeout_s=self.settings.fetch_timeout_s,
            max_entries=MAX_FEED_ENTRIES,
            user_agent=self.settings.user_agent,
        )

    async def _ingest(self, feed_id: int, guild_id: int, added_by: int | None, poll: FeedPoll) -> int:
        stored = 0
        for entry in poll.entries:
            if not entry.url:
                continue
            try:
                added = await self.library.store(
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
