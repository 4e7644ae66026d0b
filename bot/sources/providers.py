"""Providers behind one interface: ``async search(claim, *, guild_id=0) -> list[Source]``.

Remote providers (Wikipedia, Google Fact Check Tools, GDELT) share :class:`RemoteProvider`: a base URL
(configurable, so tests point at 127.0.0.1), the bot's aiohttp session, an optional key, a descriptive
User-Agent, a timeout, a token-bucket rate limiter and a TTL cache. Any failure (timeout, 429, 5xx,
malformed JSON, unexpected shape) gives an empty result and a log line, never an exception.
Provider scores are lexical coverage (0..1); the ranker adds the semantic part.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from typing import Any, Protocol, runtime_checkable

import aiohttp

from bot.context_settings import ProviderConfig
from bot.sources.database_api import DatabaseLike
from bot.sources.fts import tokens
from bot.sources.http import USER_AGENT, TokenBucket, TTLCache, get_json
from bot.sources.models import Source, SourceKind
from bot.sources.store import LibraryHit, SourceLibrary

log = logging.getLogger(__name__)


@runtime_checkable
class Provider(Protocol):
    name: str

    async def search(self, claim: str, *, guild_id: int = 0) -> list[Source]: ...


_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly)$")


def _stem(token: str) -> str:
    return _SUFFIX.sub("", token) if len(token) > 4 else token


def coverage(claim: str, text: str) -> float:
    """Share of the claim's content tokens found in ``text`` (crudely stemmed), 0..1."""
    wanted = {_stem(t) for t in tokens(claim)}
    if not wanted:
        return 0.0
    have = {_stem(t) for t in tokens(text, keep_stop_words=True)}
    return len(wanted & have) / len(wanted)


def hit_to_source(hit: LibraryHit, claim: str, *, pinned: bool = False) -> Source:
    kind = SourceKind(hit.kind) if hit.kind in {k.value for k in SourceKind} else SourceKind.ARTICLE
    return Source(
        title=hit.title,
        url=hit.url,
        kind=kind,
        domain=hit.domain,
        date=hit.published,
        snippet=hit.snippet,
        rating=hit.rating,
        rating_author=hit.rating_author,
        claim_reviewed=hit.claim_reviewed,
        score=coverage(claim, f"{hit.title} {hit.claim_reviewed or ''} {hit.text}"),
        provider="library",
        source_id=hit.id,
        pinned=pinned,
    )


class LocalLibraryProvider:
    """The server's own source library (SQLite FTS5, BM25). Offline, always available."""

    name = "library"

    def __init__(self, database: DatabaseLike, *, limit: int = 20) -> None:
        self.database = database
        self.limit = limit

    async def search(
        self, claim: str, *, guild_id: int = 0, only_ids: list[int] | None = None
    ) -> list[Source]:
        hits = await self.database.run(
            lambda: SourceLibrary(self.database.db).search(
                claim, guild_id, limit=self.limit, only_ids=only_ids
            )
        )
        return [hit_to_source(h, claim, pinned=only_ids is not None) for h in hits]


class RemoteProvider:
    """Common plumbing of the HTTP providers."""

    name = "remote"
    kind = SourceKind.REFERENCE

    def __init__(
        self, session: aiohttp.ClientSession, config: ProviderConfig, *, user_agent: str = USER_AGENT
    ) -> None:
        self.session = session
        self.config = config
        self.user_agent = user_agent
        self.base_url = config.base_url.rstrip("/")
        self.limiter = TokenBucket(config.rate_per_s, 1.0, capacity=config.burst)
        self.cache = TTLCache(ttl=config.cache_ttl_s)

    async def search(self, claim: str, *, guild_id: int = 0) -> list[Source]:
        query = self.query_text(claim)
        if not query:
            return []
        key = (self.name, query)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        url, params = self.request(query)
        data = await get_json(
            self.session,
            url,
            params=params,
            timeout_s=self.config.timeout_s,
            provider=self.name,
            limiter=self.limiter,
            user_agent=self.user_agent,
        )
        if data is None:
            return []  # not cached: a transient failure should not stick
        try:
            sources = self.parse(data, claim)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("context provider sent an unexpected shape: %s", exc, extra={"provider": self.name})
            return []
        sources = sources[: self.config.max_results]
        self.cache.set(key, sources)
        return sources

    def query_text(self, claim: str) -> str:
        """Keywords sent to the remote API (no raw member text)."""
        return " ".join(tokens(claim)[:12])

    def request(self, query: str) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def parse(self, data: Any, claim: str) -> list[Source]:
        raise NotImplementedError


_TAGS = re.compile(r"<[^>]+>")


def _clean(text: Any) -> str:
    return re.sub(r"\s+", " ", html_lib.unescape(_TAGS.sub("", str(text or "")))).strip()


class WikipediaProvider(RemoteProvider):
    """MediaWiki REST search: ``GET {base}/w/rest.php/v1/search/page?q=...&limit=...``."""

    name = "wikipedia"
    kind = SourceKind.REFERENCE

    def request(self, query: str) -> tuple[str, dict[str, str]]:
        return f"{self.base_url}/w/rest.php/v1/search/page", {
            "q": query,
            "limit": str(self.config.max_results),
        }

    def parse(self, data: Any, claim: str) -> list[Source]:
        out = []
        for page in data["pages"]:
            key = page.get("key") or str(page["title"]).replace(" ", "_")
            title = _clean(page.get("title") or key)
            snippet = _clean(page.get("excerpt") or page.get("description") or "")
            out.append(
                Source(
                    title=title,
                    url=f"{self.base_url}/wiki/{key}",
                    kind=self.kind,
                    snippet=snippet,
                    score=coverage(claim, f"{title} {snippet}"),
                    provider=self.name,
                    match_text=f"{title}. {page.get('description') or ''}. {snippet}",
                )
            )
        return out


class FactCheckProvider(RemoteProvider):
    """Google Fact Check Tools: ``GET {base}/v1alpha1/claims:search?query=...&key=...&languageCode=en``."""

    name = "factcheck"
    kind = SourceKind.FACT_CHECK

    def request(self, query: str) -> tuple[str, dict[str, str]]:
        params = {
            "query": query,
            "languageCode": self.config.language,
            "pageSize": str(self.config.max_results),
        }
        if self.config.api_key:
            params["key"] = self.config.api_key.get_secret_value()
        return f"{self.base_url}/v1alpha1/claims:search", params

    def parse(self, data: Any, claim: str) -> list[Source]:
        out = []
        for item in data.get("claims", []):
            claim_text = _clean(item.get("text"))
            for review in item.get("claimReview", [])[:1]:
                url = review.get("url")
                if not url:
                    continue
                publisher = review.get("publisher") or {}
                title = _clean(review.get("title")) or claim_text or url
                date = str(review.get("reviewDate") or item.get("claimDate") or "")[:10] or None
                out.append(
                    Source(
                        title=title,
                        url=url,
                        kind=self.kind,
                        date=date,
                        snippet=claim_text,
                        rating=_clean(review.get("textualRating")) or None,
                        rating_author=_clean(publisher.get("name") or publisher.get("site")) or None,
                        claim_reviewed=claim_text or None,
                        score=coverage(claim, f"{title} {claim_text}"),
                        provider=self.name,
                        match_text=claim_text or title,
                    )
                )
        return out


class GdeltProvider(RemoteProvider):
    """GDELT DOC 2.0: ``GET {base}/api/v2/doc/doc?query=...&mode=artlist&format=json&maxrecords=...``."""

    name = "gdelt"
    kind = SourceKind.NEWS

    def query_text(self, claim: str) -> str:
        # GDELT rejects very short words and needs OR'd terms in parentheses; keep the 6 longest tokens.
        toks = [t for t in tokens(claim) if len(t) >= 3][:8]
        toks = sorted(toks, key=len, reverse=True)[:6]
        if not toks:
            return ""
        return toks[0] if len(toks) == 1 else "(" + " OR ".join(toks) + ") sourcelang:english"

    def request(self, query: str) -> tuple[str, dict[str, str]]:
        return f"{self.base_url}/api/v2/doc/doc", {
            "query": query,
            "mode": "artlist",
            "format": "json",
            "maxrecords": str(self.config.max_results),
            "sort": "hybridrel",
        }

    def parse(self, data: Any, claim: str) -> list[Source]:
        out = []
        for art in data.get("articles", []):
            url = art.get("url")
            if not url:
                continue
            title = _clean(art.get("title")) or url
            seen = str(art.get("seendate") or "")
            date = f"{seen[0:4]}-{seen[4:6]}-{seen[6:8]}" if re.match(r"\d{8}", seen) else None
            out.append(
                Source(
                    title=title,
                    url=url,
                    kind=self.kind,
                    domain=str(art.get("domain") or ""),
                    date=date,
                    score=coverage(claim, title),
                    provider=self.name,
                    match_text=title,
                )
            )
        return out


def build_remote_providers(
    session: aiohttp.ClientSession,
    *,
    wikipedia: ProviderConfig | None = None,
    factcheck: ProviderConfig | None = None,
    gdelt: ProviderConfig | None = None,
    user_agent: str = USER_AGENT,
) -> list[RemoteProvider]:
    providers: list[RemoteProvider] = []
    if wikipedia is not None and wikipedia.enabled:
        providers.append(WikipediaProvider(session, wikipedia, user_agent=user_agent))
    if factcheck is not None and factcheck.enabled:
        if not factcheck.api_key and "googleapis.com" in factcheck.base_url:
            log.warning("fact-check provider enabled without an API key; disabled")
        else:
            providers.append(FactCheckProvider(session, factcheck, user_agent=user_agent))
    if gdelt is not None and gdelt.enabled:
        providers.append(GdeltProvider(session, gdelt, user_agent=user_agent))
    return providers
