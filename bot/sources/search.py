"""The search: sources that may be relevant to a claim, from the library and the remote providers,
ranked by BM25/provider order and the semantic score fused by reciprocal rank fusion
(:mod:`bot.sources.ranking`). The channel's article is looked up first. It never says whether a claim
is true.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.context_settings import ContextSettings
from bot.sources.claims import pick_claim
from bot.sources.database_api import DatabaseLike, on_library
from bot.sources.models import ContextResult, Source
from bot.sources.providers import LocalLibraryProvider, Provider, hit_to_source
from bot.sources.ranking import RankConfig, fuse, url_key
from bot.sources.semantic import EMPTY_INDEX, LibraryEmbeddings

log = logging.getLogger(__name__)

PROVIDER_GRACE_S = 1.0
"""A provider gets its own timeout plus this before its search is abandoned."""
SEMANTIC_EXTRA = 20
"""Library articles BM25 missed that the encoder may still add, best first."""
BACKFILL_PER_SEARCH = 50


def rank_config(settings: ContextSettings) -> RankConfig:
    """The ranking knobs of the context settings."""
    return RankConfig(
        max_items=settings.max_items,
        max_per_domain=settings.max_per_domain,
        min_score=settings.min_score,
        min_article_score=settings.min_article_score,
        rrf_k=settings.rrf_k,
    )


class SearchService:
    """Asks every provider concurrently and ranks what they found; ``remote`` are the remote providers."""

    def __init__(
        self,
        database: DatabaseLike,
        settings: ContextSettings,
        embeddings: LibraryEmbeddings,
        remote: Sequence[Provider] = (),
    ) -> None:
        self.database = database
        self.settings = settings
        self.embeddings = embeddings
        self.library = LocalLibraryProvider(database)
        self.remote: list[Provider] = list(remote)
        self.rank_config = rank_config(settings)

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
        available = self.embeddings.available
        use_semantic = available if semantic is None else (semantic and available)

        pinned: list[Source] = []
        matched: frozenset[str] = frozenset()
        if channel_id is not None and self.settings.library_enabled:
            pinned, matched = await self._channel_articles(claim, guild_id, channel_id)

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

    async def _channel_articles(
        self, claim: str, guild_id: int, channel_id: int
    ) -> tuple[list[Source], frozenset[str]]:
        """The channel's articles in their order, and the URL keys of those BM25 matched."""
        ids = await on_library(self.database, lambda lib: lib.channel_article_ids(guild_id, channel_id))
        if not ids:
            return [], frozenset()
        pinned = await self.library.search(claim, guild_id=guild_id, only_ids=ids)
        matched = frozenset(url_key(p.url) for p in pinned)
        found = {p.source_id for p in pinned}
        missing = [i for i in ids if i not in found]
        if missing:
            hits = await on_library(self.database, lambda lib: lib.hits_by_id(missing))
            pinned += [hit_to_source(h, claim, pinned=True) for h in hits]
        order: dict[int | None, int] = {sid: n for n, sid in enumerate(ids)}
        pinned.sort(key=lambda s: order.get(s.source_id, len(order)))
        return pinned, matched

    async def _safe_search(self, provider: Provider, claim: str, guild_id: int) -> list[Source] | None:
        timeout = getattr(getattr(provider, "config", None), "timeout_s", 5.0) + PROVIDER_GRACE_S
        try:
            return await asyncio.wait_for(provider.search(claim, guild_id=guild_id), timeout)
        except TimeoutError:
            log.warning("context provider timed out", extra={"provider": provider.name})
        except Exception:
            log.exception("context provider failed", extra={"provider": provider.name})
        return None

    async def _semantic(
        self, claim: str, guild_id: int, lists: list[list[Source]], pinned: list[Source]
    ) -> tuple[dict[str, float], list[Source]]:
        """Cosines by URL key (library articles: their best passage) and the library articles only the
        encoder found."""
        embeddings = self.embeddings
        await embeddings.backfill(guild_id, limit=BACKFILL_PER_SEARCH)
        query = (await embeddings.encode([claim]))[0]
        index = await embeddings.index(guild_id) if self.settings.library_enabled else EMPTY_INDEX
        doc_cos = await asyncio.to_thread(index.best_cosines, query)
        cosines: dict[str, float] = {}
        remote: list[Source] = []
        for item in [*pinned, *(s for lst in lists for s in lst)]:
            if item.source_id is not None and item.source_id in doc_cos:
                cosines[url_key(item.url)] = doc_cos[item.source_id]
            elif url_key(item.url) not in cosines:
                remote.append(item)
        if remote:
            vecs = await embeddings.encode([r.match_text or f"{r.title}. {r.snippet}" for r in remote])
            for item, vec in zip(remote, vecs, strict=True):
                cosines.setdefault(url_key(item.url), float(vec @ query))
        seen_ids = {s.source_id for lst in lists for s in lst} | {p.source_id for p in pinned}
        ranked = sorted(doc_cos.items(), key=lambda kv: -kv[1])[:SEMANTIC_EXTRA]
        top = [sid for sid, _ in ranked if sid not in seen_ids]
        extra: list[Source] = []
        if top:
            hits = await on_library(self.database, lambda lib: lib.hits_by_id(top))
            for hit in hits:
                src = hit_to_source(hit, claim)
                cosines[url_key(src.url)] = doc_cos[hit.id]
                extra.append(src)
        return cosines, extra
