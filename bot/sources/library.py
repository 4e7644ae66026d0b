"""The library service: articles added by URL, file or text, what a server sees of them, and the
article each channel discusses (set by a moderator, or a posted link from a site the server trusts).

Pages (untrusted URLs) are never fetched with the bot's session but through :attr:`LibraryService.fetcher`,
which checks every hop's address when it connects; it is built from ``allow_private_hosts`` on first
use, and tests may set their own. Feeds are :mod:`bot.sources.feeds`, which stores its entries here.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.context_settings import ContextSettings
from bot.sources.database_api import DatabaseLike, library_call, on_library
from bot.sources.ingest import IngestError, ParsedArticle, fetch_page, parse_content, read_file
from bot.sources.models import AddedSource, LibrarySource, domain_of
from bot.sources.safe_fetch import SafeFetcher
from bot.sources.semantic import LibraryEmbeddings
from bot.sources.store import SourceLibrary

log = logging.getLogger(__name__)

T = TypeVar("T")

_URL = re.compile(r"https?://[^\s<>()\"']+", re.IGNORECASE)
MAX_LINKS_NOTED = 3
"""Links of one posted message that may become its channel's article."""


def _added(row: dict[str, Any], *, url: str | None = None, changed: bool = True) -> AddedSource:
    return AddedSource(
        row["id"],
        row["title"],
        url or row["url"],
        row["kind"],
        row["published"],
        row["rating"],
        changed=changed,
    )


class LibraryService:
    """Adds, lists and removes the library's articles and sets channel articles."""

    def __init__(
        self,
        database: DatabaseLike,
        session: aiohttp.ClientSession | None,
        settings: ContextSettings,
        embeddings: LibraryEmbeddings,
    ) -> None:
        self.database = database
        self.session = session  # None: no fetching at all
        self.settings = settings
        self.embeddings = embeddings
        self.fetcher: SafeFetcher | None = None

    async def _db(self, fn: Callable[[SourceLibrary], T]) -> T:
        return await on_library(self.database, fn)

    def safe_fetcher(self) -> SafeFetcher:
        """The fetcher of untrusted URLs (built on first use)."""
        if self.fetcher is None:
            self.fetcher = SafeFetcher(allow_private=self.settings.allow_private_hosts)
        return self.fetcher

    async def store(
        self,
        parsed: ParsedArticle,
        url: str,
        *,
        guild_id: int,
        added_by: int | None,
        feed_id: int | None = None,
    ) -> AddedSource:
        """Store a parsed article (embedded when the encoder is there); the same title and text already
        stored for the guild write nothing (``changed`` False). Raises :class:`IngestError` when there
        is no text."""
        if not parsed.text.strip() and not parsed.claim_review:
            raise IngestError("no article text could be extracted")
        review = parsed.claim_review
        existing = await self._db(lambda lib: lib.find_by_url(url, guild_id))
        if (
            existing is not None
            and existing["guild_id"] == guild_id
            and existing["title"] == parsed.title.strip()
            and existing["text"] == parsed.text
            and (existing["embedding"] is not None or not self.embeddings.available)
        ):
            return _added(existing, url=url, changed=False)
        blob = await self.embeddings.embed_document(
            parsed.title, parsed.text, review.claim_reviewed if review else None
        )
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
        self.embeddings.changed()
        log.info("source added", extra={"source_id": sid, "guild_id": guild_id, "domain": domain_of(url)})
        return AddedSource(
            sid, parsed.title, url, parsed.kind, parsed.published, review.rating if review else None
        )

    async def add_url(self, url: str, *, guild_id: int = 0, added_by: int | None = None) -> AddedSource:
        """Fetch a page and add it. Raises :class:`IngestError` with an admin-readable message."""
        if self.session is None:
            raise IngestError("no HTTP session configured")
        body, ctype = await fetch_page(
            self.safe_fetcher(),
            url,
            timeout_s=self.settings.fetch_timeout_s,
            max_bytes=self.settings.max_page_bytes,
            user_agent=self.settings.user_agent,
        )
        parsed = await asyncio.to_thread(parse_content, body, url, ctype)
        return await self.store(parsed, url, guild_id=guild_id, added_by=added_by)

    async def add_file(
        self, path: str | Path, *, guild_id: int = 0, added_by: int | None = None, url: str | None = None
    ) -> AddedSource:
        """Add a local HTML or text file (its URL is ``url`` or the file's ``file://`` URI)."""
        path = Path(path)
        if not path.is_file():
            raise IngestError(f"{path} is not a file")
        parsed = await asyncio.to_thread(read_file, path)
        return await self.store(parsed, url or path.resolve().as_uri(), guild_id=guild_id, added_by=added_by)

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
        """Add an article given as text."""
        return await self.store(
            ParsedArticle(title=title, text=text, published=published),
            url,
            guild_id=guild_id,
            added_by=added_by,
        )

    async def list_sources(self, guild_id: int | None = None, limit: int = 200) -> list[LibrarySource]:
        """The articles ``guild_id`` sees (None: every guild's), newest first."""
        rows = await self._db(lambda lib: lib.list_sources(guild_id, limit=limit))
        return [LibrarySource.from_row(row) for row in rows]

    async def remove_source(self, source_id: int, *, guild_id: int | None = None) -> bool:
        """Remove an article (only ``guild_id``'s when given); False when there is no such article."""
        self.embeddings.changed()
        return await self._db(lambda lib: lib.remove_source(source_id, guild_id))

    async def set_channel_article(
        self, guild_id: int, channel_id: int, url: str, *, set_by: int | None = None, explicit: bool = True
    ) -> AddedSource:
        """Make ``url`` the article ``channel_id`` discusses (fetched and added to the guild if new)."""
        existing = await self._db(lambda lib: lib.find_by_url(url, guild_id))
        if existing is None:
            added = await self.add_url(url, guild_id=guild_id, added_by=set_by)
        else:
            added = _added(existing)
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
        urls = [u.rstrip(".,;:!?)") for u in _URL.findall(content or "")][:MAX_LINKS_NOTED]
        if not urls:
            return []
        marked: list[int] = []
        trusted: set[str] | None = None
        for url in urls:
            existing = await library_call(self.database, SourceLibrary.find_by_url, url, guild_id)
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
            await library_call(
                self.database,
                SourceLibrary.set_channel_article,
                guild_id,
                channel_id,
                sid,
                set_by=author_id,
                explicit=False,
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
