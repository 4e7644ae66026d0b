"""The context feature as one object: what ``/context``, the "Get context" menu, ``/sources``, the
feed schedule and ``warden sources``/``warden context`` call (``bot.services.context``).

:class:`ContextService` composes five small services, each with one job, and answers for them:

* :attr:`~ContextService.library`: articles (URL, file, text) and channel articles
  (:mod:`bot.sources.library`);
* :attr:`~ContextService.feeds`: followed feeds and their polling (:mod:`bot.sources.feeds`);
* :attr:`~ContextService.search`: providers, BM25 + MiniLM ranking fused by RRF (:mod:`bot.sources.search`);
* :attr:`~ContextService.requests`: members' requests, their limits and feedback, ``/warden forget``
  (:mod:`bot.sources.request_service`);
* :attr:`~ContextService.suggestions`: proactive mode (:mod:`bot.sources.suggestions`).

The library and the search share the passage embeddings (:class:`~bot.sources.semantic.LibraryEmbeddings`).
Every method returns typed values (:mod:`bot.sources.models`); none says whether a claim is true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bot.context_settings import ContextSettings
from bot.sources.database_api import DatabaseLike, on_library
from bot.sources.embedding import Encoder, default_encoder
from bot.sources.feeds import FeedService
from bot.sources.library import LibraryService
from bot.sources.member_requests import ContextReply, Refusal
from bot.sources.models import AddedSource, ContextResult, Feed, FeedAdded, LibrarySource
from bot.sources.providers import Provider, build_remote_providers
from bot.sources.request_service import MemberRequestService
from bot.sources.safe_fetch import SafeFetcher
from bot.sources.search import SearchService
from bot.sources.semantic import LibraryEmbeddings
from bot.sources.store import SourceLibrary
from bot.sources.suggestions import SuggestionService

T = TypeVar("T")


def remote_providers(session: aiohttp.ClientSession | None, settings: ContextSettings) -> list[Provider]:
    """The remote providers the settings switch on (none without an HTTP session)."""
    if session is None:
        return []
    return list(
        build_remote_providers(
            session,
            wikipedia=settings.wikipedia,
            factcheck=settings.factcheck,
            gdelt=settings.gdelt,
            user_agent=settings.user_agent,
        )
    )


def encoder_for(settings: ContextSettings) -> Encoder | None:
    """The passage encoder the settings ask for (None: BM25 only)."""
    if not settings.semantic:
        return None
    return Encoder(settings.model_dir) if settings.model_dir else default_encoder()


class ContextService:
    """Build with :func:`bot.sources.build_context_service`; all methods are coroutines.

    ``encoder``, ``providers`` (the remote ones) and ``clock`` replace the defaults (tests, benchmarks).
    """

    def __init__(
        self,
        database: DatabaseLike,
        session: aiohttp.ClientSession | None,
        settings: ContextSettings | None = None,
        *,
        encoder: Encoder | None = None,
        providers: Sequence[Provider] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.database = database
        s = settings or ContextSettings()
        now = clock or (lambda: datetime.now(UTC))
        self.embeddings = LibraryEmbeddings(database, (encoder or encoder_for(s)) if s.semantic else None)
        self.library = LibraryService(database, session, s, self.embeddings)
        self.feeds = FeedService(database, self.library, s, now)
        remote = providers if providers is not None else remote_providers(session, s)
        self.search = SearchService(database, s, self.embeddings, remote)
        self.requests = MemberRequestService(database, s, self.search, now)
        self.suggestions = SuggestionService(s, self.search, now)

    @property
    def settings(self) -> ContextSettings:
        """The context settings every service reads; setting them here sets them for all."""
        return self.library.settings

    @settings.setter
    def settings(self, settings: ContextSettings) -> None:
        for service in (self.library, self.feeds, self.search, self.requests, self.suggestions):
            service.settings = settings

    @property
    def clock(self) -> Callable[[], datetime]:
        """The time the feeds, requests and suggestions go by; setting it here sets it for all."""
        return self.requests.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        for service in (self.feeds, self.requests, self.suggestions):
            service.clock = clock

    async def aclose(self) -> None:
        """Nothing to release: the HTTP session and the database belong to the caller."""
        self.embeddings.clear()

    @property
    def remote(self) -> list[Provider]:
        """The remote providers switched on."""
        return self.search.remote

    @property
    def fetcher(self) -> SafeFetcher | None:
        """The fetcher of untrusted URLs (pages, feeds, posted links); None until first used."""
        return self.library.fetcher

    @fetcher.setter
    def fetcher(self, fetcher: SafeFetcher | None) -> None:
        self.library.fetcher = fetcher

    async def _db(self, fn: Callable[[SourceLibrary], T]) -> T:
        return await on_library(self.database, fn)

    # -- search -----------------------------------------------------------------------------------

    async def context(
        self,
        text: str,
        *,
        guild_id: int = 0,
        channel_id: int | None = None,
        pick: bool = True,
        semantic: bool | None = None,
    ) -> ContextResult:
        """Sources that may be relevant to ``text``: :meth:`SearchService.context`."""
        return await self.search.context(
            text, guild_id=guild_id, channel_id=channel_id, pick=pick, semantic=semantic
        )

    async def backfill_embeddings(self, guild_id: int | None = None, limit: int = 1000) -> int:
        """Embed library rows that have none yet (at most once a minute)."""
        return await self.embeddings.backfill(guild_id, limit)

    # -- member requests ---------------------------------------------------------------------------

    async def check_limits(
        self,
        *,
        guild_id: int,
        requester_id: int,
        target_author_id: int | None,
        is_moderator: bool = False,
        server: Mapping[str, Any] | None = None,
    ) -> Refusal | None:
        """:meth:`MemberRequestService.check_limits`."""
        return await self.requests.check_limits(
            guild_id=guild_id,
            requester_id=requester_id,
            target_author_id=target_author_id,
            is_moderator=is_moderator,
            server=server,
        )

    async def request_context(
        self,
        text: str,
        *,
        guild_id: int,
        requester_id: int,
        channel_id: int | None = None,
        message_id: int | None = None,
        target_author_id: int | None = None,
        is_moderator: bool = False,
        pick: bool = True,
        server: Mapping[str, Any] | None = None,
    ) -> ContextReply:
        """A member's request answered: :meth:`MemberRequestService.request_context`."""
        return await self.requests.request_context(
            text,
            guild_id=guild_id,
            requester_id=requester_id,
            channel_id=channel_id,
            message_id=message_id,
            target_author_id=target_author_id,
            is_moderator=is_moderator,
            pick=pick,
            server=server,
        )

    async def demote_public(self, request_id: int) -> None:
        """The public post failed: the reply is recorded as ephemeral."""
        await self.requests.demote_public(request_id)

    async def record_feedback(self, request_id: int, user_id: int, helpful: bool) -> bool:
        """A Helpful / Not helpful vote; False when the request is no longer on record."""
        return await self.requests.record_feedback(request_id, user_id, helpful)

    async def feedback_counts(self, request_id: int) -> tuple[int, int]:
        """(helpful, not helpful) votes on a reply."""
        return await self.requests.feedback_counts(request_id)

    async def prune_requests(self) -> int:
        """Delete requests past their retention."""
        return await self.requests.prune_requests()

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        """A member's context requests and votes erased: :meth:`MemberRequestService.forget_member`."""
        return await self.requests.forget_member(guild_id, user_id)

    async def suggest(
        self,
        text: str,
        *,
        guild_id: int,
        channel_id: int | None = None,
        server: Mapping[str, Any] | None = None,
    ) -> ContextResult | None:
        """Proactive mode: :meth:`SuggestionService.suggest`."""
        return await self.suggestions.suggest(text, guild_id=guild_id, channel_id=channel_id, server=server)

    # -- library -----------------------------------------------------------------------------------

    async def add_url(self, url: str, *, guild_id: int = 0, added_by: int | None = None) -> AddedSource:
        """Fetch a page and add it (:class:`~bot.sources.ingest.IngestError` says why not)."""
        return await self.library.add_url(url, guild_id=guild_id, added_by=added_by)

    async def add_file(
        self, path: str | Path, *, guild_id: int = 0, added_by: int | None = None, url: str | None = None
    ) -> AddedSource:
        """Add a local HTML or text file."""
        return await self.library.add_file(path, guild_id=guild_id, added_by=added_by, url=url)

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
        return await self.library.add_text(
            title, text, url, guild_id=guild_id, published=published, added_by=added_by
        )

    async def list_sources(self, guild_id: int | None = None, limit: int = 200) -> list[LibrarySource]:
        """The articles ``guild_id`` sees, newest first."""
        return await self.library.list_sources(guild_id, limit)

    async def remove_source(self, source_id: int, *, guild_id: int | None = None) -> bool:
        """Remove an article; False when there is none."""
        return await self.library.remove_source(source_id, guild_id=guild_id)

    async def set_channel_article(
        self, guild_id: int, channel_id: int, url: str, *, set_by: int | None = None, explicit: bool = True
    ) -> AddedSource:
        """Make ``url`` the article ``channel_id`` discusses."""
        return await self.library.set_channel_article(
            guild_id, channel_id, url, set_by=set_by, explicit=explicit
        )

    async def note_posted_links(
        self, guild_id: int, channel_id: int, content: str, author_id: int | None = None
    ) -> list[int]:
        """Links posted in a channel that become its article."""
        return await self.library.note_posted_links(guild_id, channel_id, content, author_id)

    # -- feeds -------------------------------------------------------------------------------------

    async def add_feed(
        self, url: str, *, guild_id: int = 0, added_by: int | None = None, poll_now: bool = True
    ) -> FeedAdded:
        """Follow a feed; (feed id, entries stored by its first poll)."""
        return await self.feeds.add_feed(url, guild_id=guild_id, added_by=added_by, poll_now=poll_now)

    async def list_feeds(self, guild_id: int | None = None) -> list[Feed]:
        """The feeds ``guild_id`` sees."""
        return await self.feeds.list_feeds(guild_id)

    async def remove_feed(self, feed_id: int, *, guild_id: int | None = None) -> bool:
        """Stop following a feed; False when there is none."""
        return await self.feeds.remove_feed(feed_id, guild_id=guild_id)

    async def poll_feed(self, feed_id: int) -> int:
        """One conditional GET of a feed; entries stored."""
        return await self.feeds.poll_feed(feed_id)

    async def poll_due_feeds(self, owns: Callable[[int], bool] | None = None) -> int:
        """Poll every feed that is due (of the servers ``owns`` accepts, when given); entries stored."""
        return await self.feeds.poll_due_feeds(owns)
