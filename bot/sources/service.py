"""The context service: what ``/context``, the "Get context" menu and ``warden context`` call.

It picks the claim, asks every provider concurrently (the channel's article first), ranks the results
(BM25/provider order + semantic, RRF), applies per-member rate limits, the per-author cap and the public
threshold, and records requests and feedback. It never says whether a claim is true.

Member requests' rules (limits, public threshold) are :mod:`bot.sources.member_requests`; adding and
removing library articles and feeds is :mod:`bot.sources.library_admin` (mixed into this service).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import numpy as np

from bot.context_settings import ContextSettings
from bot.sources.claims import pick_claim
from bot.sources.database_api import DatabaseLike
from bot.sources.embedding import DIM, Encoder, default_encoder, from_blob, to_blob
from bot.sources.library_admin import LibraryAdmin
from bot.sources.member_requests import (
    ContextReply,
    Refusal,
    limit_refusal,
    reserve_request,
    server_settings,
)
from bot.sources.models import ContextResult, Source
from bot.sources.providers import LocalLibraryProvider, Provider, build_remote_providers, hit_to_source
from bot.sources.ranking import RankConfig, chunk_texts, fuse, url_key
from bot.sources.store import RequestLog, SourceLibrary

log = logging.getLogger(__name__)


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


class ContextService(LibraryAdmin):
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
    # member requests: the rules (limits, per-author cap, public threshold) are member_requests'
    # ------------------------------------------------------------------------------------------
    async def check_limits(
        self,
        *,
        guild_id: int,
        requester_id: int,
        target_author_id: int | None,
        is_moderator: bool = False,
        server: Mapping[str, Any] | None = None,
    ) -> Refusal | None:
        """Would this request be refused right now? (Read-only; :meth:`request_context` checks atomically.)
        ``server``: the server's policy ``[context]`` values (:func:`.member_requests.policy_values`)."""
        now = self.clock()
        settings = server_settings(self.settings, server)
        return await self._requests(
            lambda log_: limit_refusal(
                log_,
                settings,
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
        server: Mapping[str, Any] | None = None,
    ) -> ContextReply:
        """Everything a member request needs: limits, search, whether to answer publicly, a record.

        The limit check, the public decision and the request record happen in one step on the database
        thread, so two requests arriving together can't both slip under a limit or both go public.
        ``server``: the server's policy ``[context]`` values, applied over the deployment's limits
        (:func:`~bot.sources.member_requests.policy_values`)."""
        now = self.clock()
        settings = server_settings(self.settings, server)
        refusal, request_id, public, already = await self._requests(
            lambda log_: reserve_request(
                log_,
                settings,
                text=text,
                guild_id=guild_id,
                requester_id=requester_id,
                channel_id=channel_id,
                message_id=message_id,
                target_author_id=target_author_id,
                is_moderator=is_moderator,
                now=now,
            )
        )
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
        self,
        text: str,
        *,
        guild_id: int,
        channel_id: int | None = None,
        server: Mapping[str, Any] | None = None,
    ) -> ContextResult | None:
        """Proactive mode (off unless ``proactive``, the server's over the deployment's): a result worth
        showing the moderators for a check-worthy claim, or None. Needs a strongly check-worthy sentence
        and a strong match, and at most ``proactive_per_hour`` suggestions per guild."""
        s = server_settings(self.settings, server)
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

    async def forget_user(self, guild_id: int, user_id: int) -> int:
        """``/warden forget``: erase the context requests ``user_id`` made in ``guild_id``, those about
        their messages (claim text included) and the feedback votes on them, plus the member's own votes
        on the guild's other requests, in one transaction. Returns the number of rows erased (requests +
        votes). Library sources and channel articles stay: they are the server's, not the member's."""
        erased = await self._requests(lambda log_: log_.forget_user(guild_id, user_id))
        log.info("context data of a member erased", extra={"guild_id": guild_id, **erased})
        return erased["requests"] + erased["feedback"]

    async def demote_public(self, request_id: int) -> None:
        """The public post failed (e.g. missing permission): record the reply as ephemeral."""
        await self._requests(lambda log_: log_.update(request_id, public=0))

    async def record_feedback(self, request_id: int, user_id: int, helpful: bool) -> bool:
        return await self._requests(lambda log_: log_.record_feedback(request_id, user_id, helpful))

    async def feedback_counts(self, request_id: int) -> tuple[int, int]:
        return await self._requests(lambda log_: log_.feedback_counts(request_id))
