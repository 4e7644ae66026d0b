"""The context service: what ``/context``, the "Get context" menu and ``warden context`` call.

It picks the claim, asks every provider concurrently (the channel's article first), ranks the results
(BM25/provider order + semantic, RRF), applies per-member rate limits, the per-author cap and the public
threshold, and records requests and feedback. It never says whether a claim is true.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from bot.sources.claims import pick_claim
from bot.sources.config import ContextSettings
from bot.sources.database_api import DatabaseLike
from bot.sources.embedding import DIM, Encoder, default_encoder, from_blob, to_blob
from bot.sources.ingest import (
    IngestError,
    ParsedArticle,
    check_public_url,
    fetch_page,
    parse_content,
    poll_feed,
    read_file,
)
from bot.sources.models import ContextResult, Source, domain_of
from bot.sources.providers import LocalLibraryProvider, Provider, build_remote_providers, hit_to_source
from bot.sources.ranking import RankConfig, chunk_texts, fuse, url_key
from bot.sources.store import RequestLog, SourceLibrary

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://[^\s<>()\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str  # "cooldown" | "daily" | "target_cap"
    message: str  # polite, shown to the member


@dataclass(frozen=True, slots=True)
class ContextReply:
    """The outcome of one member request: a result to render, or a polite refusal."""

    result: ContextResult | None
    request_id: int | None = None
    public: bool = False
    refusal: Refusal | None = None
    already_public: bool = False  # a public reply under this message exists already


@dataclass(frozen=True, slots=True)
class AddedSource:
    id: int
    title: str
    url: str
    kind: str
    published: str | None
    rating: str | None = None
    changed: bool = True  # False: the same text was already stored (nothing written)


@dataclass(frozen=True, slots=True)
class _LibraryIndex:
    """All chunk embeddings of a library in one float32 matrix; ``starts[i]`` is the first row of
    source ``ids[i]``."""

    ids: np.ndarray
    starts: np.ndarray
    matrix: np.ndarray

    @classmethod
    def build(cls, rows: list[tuple[int, bytes]]) -> _LibraryIndex:
        ids, starts, blocks, row = [], [], [], 0
        for sid, blob in rows:
            m = from_blob(blob)
            if m is None or not len(m):
                continue
            ids.append(sid)
            starts.append(row)
            blocks.append(m)
            row += len(m)
        matrix = np.vstack(blocks) if blocks else np.zeros((0, DIM), dtype=np.float32)
        return cls(np.asarray(ids, dtype=np.int64), np.asarray(starts, dtype=np.int64), matrix)

    def best_cosines(self, query: np.ndarray) -> dict[int, float]:
        """Source id -> cosine of its best chunk with ``query``."""
        if not len(self.ids):
            return {}
        sims = self.matrix @ query
        best = np.maximum.reduceat(sims, self.starts)
        return {int(sid): float(v) for sid, v in zip(self.ids, best, strict=True)}


class ContextService:
    """Build with :func:`bot.sources.build_context_service`; all methods are coroutines unless noted."""

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
        self.session = session
        self.settings = settings or ContextSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.library = LocalLibraryProvider(database)
        if providers is not None:
            self.remote: list[Provider] = list(providers)
        elif session is not None:
            s = self.settings
            self.remote = list(
                build_remote_providers(
                    session,
                    wikipedia=s.wikipedia,
                    factcheck=s.factcheck,
                    gdelt=s.gdelt,
                    user_agent=s.user_agent,
                )
            )
        else:
            self.remote = []
        self.encoder: Encoder | None = None
        if self.settings.semantic:
            self.encoder = encoder or (
                Encoder(self.settings.model_dir) if self.settings.model_dir else default_encoder()
            )
        self._emb_cache: dict[int, tuple[tuple[int, ...], _LibraryIndex]] = {}
        self._library_version = 0  # bumped on every add/remove made through this service
        self._last_backfill = -1e9
        self._suggested: dict[int, list[datetime]] = {}  # proactive suggestions per guild (last hour)
        self.rank_config = RankConfig(
            max_items=self.settings.max_items,
            max_per_domain=self.settings.max_per_domain,
            min_score=self.settings.min_score,
            min_article_score=self.settings.min_article_score,
            rrf_k=self.settings.rrf_k,
        )

    async def aclose(self) -> None:
        """Nothing to release: the HTTP session and the database belong to the caller."""
        self._emb_cache.clear()

    # ------------------------------------------------------------------------------------------
    # search
    # ------------------------------------------------------------------------------------------
    @property
    def semantic_enabled(self) -> bool:
        return self.encoder is not None and self.encoder.available

    async def _db(self, fn: Callable[[SourceLibrary], Any]) -> Any:
        return await self.database.run(lambda: fn(SourceLibrary(self.database.db)))

    async def _requests(self, fn: Callable[[RequestLog], Any]) -> Any:
        return await self.database.run(lambda: fn(RequestLog(self.database.db)))

    async def context(
        self,
        text: str,
        *,
        guild_id: int = 0,
        channel_id: int | None = None,
        pick: bool = True,
        semantic: bool | None = None,
    ) -> ContextResult:
        """Sources that may be relevant to ``text`` (the claim sentence is picked when ``pick``)."""
        claim = pick_claim(text).text if pick else text.strip()
        if not claim:
            return ContextResult(claim="", original=text)
        use_semantic = self.semantic_enabled if semantic is None else (semantic and self.semantic_enabled)

        pinned: list[Source] = []
        matched: frozenset[str] = frozenset()
        if channel_id is not None and self.settings.library_enabled:
            ids = await self._db(lambda lib: lib.channel_article_ids(guild_id, channel_id))
            if ids:
                pinned = await self.library.search(claim, guild_id=guild_id, only_ids=ids)
                matched = frozenset(url_key(p.url) for p in pinned)
                found = {p.source_id for p in pinned}
                missing = [i for i in ids if i not in found]
                if missing:
                    hits = await self._db(lambda lib: lib.hits_by_id(missing))
                    pinned += [hit_to_source(h, claim, pinned=True) for h in hits]
                order = {sid: n for n, sid in enumerate(ids)}
                pinned.sort(key=lambda s: order.get(s.source_id, 99))

        providers: list[Provider] = ([self.library] if self.settings.library_enabled else []) + self.remote
        results = await asyncio.gather(*(self._safe_search(p, claim, guild_id) for p in providers))
        failed = tuple(p.name for p, r in zip(providers, results, strict=True) if r is None)
        lists = [r for r in results if r]

        cosines: dict[str, float] | None = None
        extra: list[Source] = []
        if use_semantic:
            try:
                cosines, extra = await self._semantic(claim, guild_id, lists, pinned)
            except Exception:
                log.exception("semantic ranking failed; falling back to lexical order")
                cosines = None
        ranked = fuse(lists, cosines, self.rank_config, pinned=pinned, extra=extra, pinned_matched=matched)
        return ContextResult(claim=claim, sources=tuple(ranked), original=text, providers_failed=failed)

    async def _safe_search(self, provider: Provider, claim: str, guild_id: int) -> list[Source] | None:
        timeout = getattr(getattr(provider, "config", None), "timeout_s", 5.0) + 1.0
        try:
            return await asyncio.wait_for(provider.search(claim, guild_id=guild_id), timeout)
        except TimeoutError:
            log.warning("context provider timed out", extra={"provider": provider.name})
        except Exception:
            log.exception("context provider failed", extra={"provider": provider.name})
        return None

    async def _library_index(self, guild_id: int) -> _LibraryIndex:
        """Chunk embeddings of the library visible to ``guild_id``, stacked into one matrix and cached
        until the library changes (here, or in another process such as the CLI)."""
        sig_sql = (
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(id), 0), "
            "coalesce(sum(length(embedding)), 0) FROM sources "
            "WHERE embedding IS NOT NULL AND guild_id IN (0, ?)"
        )
        row = await self.database.run(lambda: tuple(self.database.db.execute(sig_sql, [guild_id]).fetchone()))
        sig = (self._library_version, *row)
        cached = self._emb_cache.get(guild_id)
        if cached and cached[0] == sig:
            return cached[1]
        rows = await self._db(lambda lib: lib.embeddings(guild_id))
        index = await asyncio.to_thread(_LibraryIndex.build, rows)
        self._emb_cache[guild_id] = (sig, index)
        return index

    async def _semantic(
        self, claim: str, guild_id: int, lists: list[list[Source]], pinned: list[Source]
    ) -> tuple[dict[str, float], list[Source]]:
        assert self.encoder is not None
        await self.backfill_embeddings(guild_id, limit=50)
        query = (await self.encoder.aencode([claim]))[0]
        if self.settings.library_enabled:
            index = await self._library_index(guild_id)
        else:
            index = _LibraryIndex.build([])
        doc_cos = await asyncio.to_thread(index.best_cosines, query)
        cosines: dict[str, float] = {}
        remote: list[Source] = []
        for item in [*pinned, *(s for lst in lists for s in lst)]:
            if item.source_id is not None and item.source_id in doc_cos:
                cosines[url_key(item.url)] = doc_cos[item.source_id]
            elif url_key(item.url) not in cosines:
                remote.append(item)
        if remote:
            vecs = await self.encoder.aencode([r.match_text or f"{r.title}. {r.snippet}" for r in remote])
            for item, vec in zip(remote, vecs, strict=True):
                cosines.setdefault(url_key(item.url), float(vec @ query))
        # Library articles BM25 missed but the encoder finds close.
        seen_ids = {s.source_id for lst in lists for s in lst} | {p.source_id for p in pinned}
        top = [sid for sid, _ in sorted(doc_cos.items(), key=lambda kv: -kv[1])[:20] if sid not in seen_ids]
        extra: list[Source] = []
        if top:
            hits = await self._db(lambda lib: lib.hits_by_id(top))
            for hit in hits:
                src = hit_to_source(hit, claim)
                cosines[url_key(src.url)] = doc_cos[hit.id]
                extra.append(src)
        return cosines, extra

    async def backfill_embeddings(self, guild_id: int | None = None, limit: int = 1000) -> int:
        """Embed library rows that have no embedding yet (e.g. added while the model was unavailable).
        At most once a minute, so a row that can't be embedded doesn't slow every search."""
        if not self.semantic_enabled or time.monotonic() - self._last_backfill < 60:
            return 0
        self._last_backfill = time.monotonic()
        rows = await self._db(lambda lib: lib.missing_embeddings(guild_id, limit=limit))
        for row in rows:
            blob = await self._embed_blob(row["title"], row["text"], row["claim_reviewed"])
            if blob is not None:
                await self._db(lambda lib, row=row, blob=blob: lib.set_embedding(row["id"], blob))
        return len(rows)

    async def _embed_blob(self, title: str, text: str, claim_reviewed: str | None) -> bytes | None:
        if not self.semantic_enabled:
            return None
        assert self.encoder is not None
        try:
            return to_blob(await self.encoder.aencode(chunk_texts(title, text, claim_reviewed)))
        except Exception:
            log.exception("could not embed a source; it stays searchable by BM25")
            return None

    # ------------------------------------------------------------------------------------------
    # member requests: rate limits, per-author cap, public threshold
    # ------------------------------------------------------------------------------------------
    def _limit_refusal(
        self,
        log_: RequestLog,
        *,
        guild_id: int,
        requester_id: int,
        target_author_id: int | None,
        is_moderator: bool,
        now: datetime,
    ) -> Refusal | None:
        """The first limit this request breaks, or None (blocking; runs on the database thread)."""
        if is_moderator:
            return None
        s = self.settings
        recent = log_.member_requests_since(guild_id, requester_id, now - timedelta(days=1))
        if recent:
            wait = s.cooldown_s - (now - datetime.fromisoformat(recent[0])).total_seconds()
            if wait > 0:
                return Refusal(
                    "cooldown",
                    f"You asked for context a moment ago. Please try again in {int(wait) + 1} seconds.",
                )
        if len(recent) >= s.daily_limit:
            return Refusal(
                "daily",
                f"You've reached today's limit of {s.daily_limit} context requests. "
                "Thanks for checking sources; you can ask again tomorrow.",
            )
        if target_author_id is not None and target_author_id != requester_id:
            count = log_.target_requests_since(guild_id, target_author_id, now - timedelta(days=1))
            if count >= s.per_target_daily_cap:
                return Refusal(
                    "target_cap",
                    "Context has already been requested many times today for this member's messages, so "
                    "Warden is pausing further requests about them. The moderators can still look.",
                )
        return None

    async def check_limits(
        self, *, guild_id: int, requester_id: int, target_author_id: int | None, is_moderator: bool = False
    ) -> Refusal | None:
        """Would this request be refused right now? (Read-only; :meth:`request_context` checks atomically.)"""
        now = self.clock()
        return await self._requests(
            lambda log_: self._limit_refusal(
                log_,
                guild_id=guild_id,
                requester_id=requester_id,
                target_author_id=target_author_id,
                is_moderator=is_moderator,
                now=now,
            )
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
    ) -> ContextReply:
        """Everything a member request needs: limits, search, whether to answer publicly, a record.

        The limit check, the public decision and the request record happen in one step on the database
        thread, so two requests arriving together can't both slip under a limit or both go public."""
        now = self.clock()
        threshold = self.settings.public_threshold

        def reserve(log_: RequestLog) -> tuple[Refusal | None, int, bool, bool]:
            refusal = self._limit_refusal(
                log_,
                guild_id=guild_id,
                requester_id=requester_id,
                target_author_id=target_author_id,
                is_moderator=is_moderator,
                now=now,
            )
            fields = {
                "guild_id": guild_id,
                "requester_id": requester_id,
                "claim": text,
                "channel_id": channel_id,
                "message_id": message_id,
                "target_author_id": target_author_id,
                "at": now,
            }
            if refusal is not None:
                return refusal, log_.record(**fields, refused=refusal.code), False, False
            public = already = False
            if message_id is not None:
                already = log_.message_has_public_reply(message_id)
                askers = log_.message_requesters(message_id) | {requester_id}
                public = not already and (is_moderator or len(askers) >= threshold)
            return None, log_.record(**fields, public=public), public, already

        refusal, request_id, public, already = await self._requests(reserve)
        if refusal is not None:
            log.info("context request refused", extra={"guild_id": guild_id, "reason": refusal.code})
            return ContextReply(result=None, refusal=refusal)
        result = await self.context(text, guild_id=guild_id, channel_id=channel_id, pick=pick)
        await self._requests(
            lambda log_: log_.update(
                request_id, claim=(result.claim or text)[:1000], n_results=len(result.sources)
            )
        )
        return ContextReply(result=result, request_id=request_id, public=public, already_public=already)

    async def suggest(
        self, text: str, *, guild_id: int, channel_id: int | None = None
    ) -> ContextResult | None:
        """Proactive mode (off unless ``settings.proactive``): a result worth showing the moderators for a
        check-worthy claim, or None. Needs a strongly check-worthy sentence and a strong match, and at
        most ``proactive_per_hour`` suggestions per guild."""
        s = self.settings
        if not s.proactive:
            return None
        pick = pick_claim(text)
        best = max((p.score for p in pick.sentences), default=0.0)
        if best < s.proactive_min_claim_score:
            return None
        now = self.clock()
        recent = [t for t in self._suggested.get(guild_id, []) if now - t < timedelta(hours=1)]
        if len(recent) >= s.proactive_per_hour:
            return None
        result = await self.context(text, guild_id=guild_id, channel_id=channel_id)
        strong = tuple(x for x in result.sources if x.score >= s.proactive_min_source_score)
        if not strong:
            return None
        self._suggested[guild_id] = [*recent, now]
        return ContextResult(claim=result.claim, sources=strong, original=text)

    async def prune_requests(self) -> int:
        """Delete requests older than ``request_retention_days`` (run on the feed schedule)."""
        before = self.clock() - timedelta(days=self.settings.request_retention_days)
        return await self._requests(lambda log_: log_.prune(before))

    async def demote_public(self, request_id: int) -> None:
        """The public post failed (e.g. missing permission): record the reply as ephemeral."""
        await self._requests(lambda log_: log_.update(request_id, public=0))

    async def record_feedback(self, request_id: int, user_id: int, helpful: bool) -> bool:
        return await self._requests(lambda log_: log_.record_feedback(request_id, user_id, helpful))

    async def feedback_counts(self, request_id: int) -> tuple[int, int]:
        return await self._requests(lambda log_: log_.feedback_counts(request_id))

    # ------------------------------------------------------------------------------------------
    # library administration
    # ------------------------------------------------------------------------------------------
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

    async def add_url(self, url: str, *, guild_id: int = 0, added_by: int | None = None) -> AddedSource:
        """Fetch a page and add it. Raises :class:`IngestError` with an admin-readable message."""
        if self.session is None:
            raise IngestError("no HTTP session configured")
        await check_public_url(url, allow_private=self.settings.allow_private_hosts)
        body, ctype = await fetch_page(
            self.session,
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
        """Register a feed (and poll it once); returns (feed id, entries added)."""
        await check_public_url(url, allow_private=self.settings.allow_private_hosts)
        feed_id = await self._db(
            lambda lib: lib.add_feed(
                url, guild_id=guild_id, added_by=added_by, interval=self.settings.feed_interval_s
            )
        )
        added = await self.poll_feed(feed_id) if poll_now else 0
        return feed_id, added

    async def poll_feed(self, feed_id: int) -> int:
        """One conditional GET of a feed; new/changed entries go into the library. Returns entries stored."""
        feed = await self._db(lambda lib: lib.get_feed(feed_id))
        if feed is None or self.session is None:
            return 0
        poll = await poll_feed(
            self.session,
            feed["url"],
            etag=feed["etag"],
            last_modified=feed["last_modified"],
            timeout_s=self.settings.fetch_timeout_s,
            user_agent=self.settings.user_agent,
        )
        stored = 0
        for entry in poll.entries:
            if not entry.url:
                continue
            try:
                added = await self._store(
                    entry, entry.url, guild_id=feed["guild_id"], added_by=feed["added_by"], feed_id=feed_id
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
