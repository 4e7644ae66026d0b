"""Remote providers against a local aiohttp server on 127.0.0.1 serving recorded response shapes.

Every failure mode (429, 5xx, timeout, malformed JSON, unexpected shape, connection refused) gives an
empty provider result and a log line, never an exception; the service still answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.context_settings import ContextSettings, ProviderConfig
from bot.sources.http import USER_AGENT, TokenBucket, TTLCache
from bot.sources.models import SourceKind
from bot.sources.providers import FactCheckProvider, GdeltProvider, RemoteProvider, WikipediaProvider
from bot.sources.service import ContextService
from bot.storage.database import Database

# Recorded shapes (trimmed to the fields we read) of the three public APIs.
WIKIPEDIA_OK = {
    "pages": [
        {
            "id": 1,
            "key": "Lockheed_Martin_F-35_Lightning_II",
            "title": "Lockheed Martin F-35 Lightning II",
            "excerpt": 'The <span class="searchmatch">F-35</span> is a family of stealth multirole fighters',
            "description": "American stealth multirole fighter aircraft",
            "thumbnail": None,
        },
        {
            "id": 2,
            "key": "General_Dynamics_F-16_Fighting_Falcon",
            "title": "General Dynamics F-16 Fighting Falcon",
            "excerpt": 'single-engine multirole <span class="searchmatch">fighter</span> aircraft',
            "description": "American multirole fighter aircraft",
        },
    ]
}
FACTCHECK_OK = {
    "claims": [
        {
            "text": "Israel lost an F-35 stealth fighter over Syria",
            "claimant": "Social media posts",
            "claimDate": "2018-05-20T00:00:00Z",
            "claimReview": [
                {
                    "publisher": {"name": "Example Checks", "site": "checks.example"},
                    "url": "https://checks.example/f35-syria",
                    "title": "No evidence an Israeli F-35 was downed",
                    "reviewDate": "2018-05-24T10:00:00Z",
                    "textualRating": "False",
                    "languageCode": "en",
                }
            ],
        },
        {"text": "claim without review"},
    ],
    "nextPageToken": "abc",
}
GDELT_OK = {
    "articles": [
        {
            "url": "https://news.example/israel-jet",
            "url_mobile": "",
            "title": "Israeli jet crashes after Syrian fire",
            "seendate": "20180210T120000Z",
            "socialimage": "",
            "domain": "news.example",
            "language": "English",
            "sourcecountry": "United States",
        },
        {
            "url": "https://other.example/f35",
            "title": "F-35 flies first combat mission",
            "seendate": "20180522T080000Z",
            "domain": "other.example",
            "language": "English",
        },
    ]
}

PATHS = {
    "wikipedia": "/w/rest.php/v1/search/page",
    "factcheck": "/v1alpha1/claims:search",
    "gdelt": "/api/v2/doc/doc",
}
OK_BODIES = {"wikipedia": WIKIPEDIA_OK, "factcheck": FACTCHECK_OK, "gdelt": GDELT_OK}
CLASSES: dict[str, type[RemoteProvider]] = {
    "wikipedia": WikipediaProvider,
    "factcheck": FactCheckProvider,
    "gdelt": GdeltProvider,
}


class FakeApi:
    """One local server for all three APIs; ``mode`` decides what every route answers."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[web.Request] = []
        app = web.Application()
        for name, path in PATHS.items():
            app.router.add_get(path, self._handler(name))
        self.server = TestServer(app, host="127.0.0.1")

    def _handler(self, name: str) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            if self.mode == "429":
                return web.json_response({"error": "rate"}, status=429, headers={"Retry-After": "30"})
            if self.mode == "500":
                return web.Response(status=500, text="boom")
            if self.mode == "503":
                return web.Response(status=503, text="<html>unavailable</html>", content_type="text/html")
            if self.mode == "timeout":
                await asyncio.sleep(0.6)
            if self.mode == "malformed":
                return web.Response(text='{"pages": [ {"title": ', content_type="application/json")
            if self.mode == "html":
                return web.Response(text="<html>Please enable JS</html>", content_type="text/html")
            if self.mode == "shape":
                return web.json_response({"pages": "nope", "claims": [1, 2], "articles": {"x": 1}})
            return web.json_response(OK_BODIES[name])

        return handle

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def make(name: str, session: aiohttp.ClientSession, base_url: str, **overrides: Any) -> RemoteProvider:
    config = ProviderConfig(
        enabled=True,
        base_url=base_url,
        api_key="test-key",
        timeout_s=0.2,
        rate_per_s=100,
        burst=100,
        **overrides,
    )
    return CLASSES[name](session, config)


async def test_wikipedia_parses_pages(api: FakeApi, session: aiohttp.ClientSession) -> None:
    sources = await make("wikipedia", session, api.base_url).search("Israel has lost 2 F16s and 1 F35")
    assert [s.title for s in sources] == [
        "Lockheed Martin F-35 Lightning II",
        "General Dynamics F-16 Fighting Falcon",
    ]
    assert sources[0].url == f"{api.base_url}/wiki/Lockheed_Martin_F-35_Lightning_II"
    assert sources[0].kind is SourceKind.REFERENCE
    assert "<span" not in sources[0].snippet
    assert all(0.0 <= s.score <= 1.0 for s in sources)
    request = api.requests[-1]
    assert request.query["q"] and request.query["limit"] == "5"
    assert request.headers["User-Agent"] == USER_AGENT


async def test_factcheck_keeps_publisher_rating_verbatim(
    api: FakeApi, session: aiohttp.ClientSession
) -> None:
    sources = await make("factcheck", session, api.base_url).search("Israel lost an F35 over Syria")
    assert len(sources) == 1
    item = sources[0]
    assert item.kind is SourceKind.FACT_CHECK
    assert item.rating == "False" and item.rating_author == "Example Checks"
    assert item.date == "2018-05-24" and item.domain == "checks.example"
    query = api.requests[-1].query
    assert query["key"] == "test-key" and query["languageCode"] == "en" and "israel" in query["query"]


async def test_gdelt_parses_artlist(api: FakeApi, session: aiohttp.ClientSession) -> None:
    sources = await make("gdelt", session, api.base_url).search("Syrian fire downed an Israeli jet")
    assert [s.domain for s in sources] == ["news.example", "other.example"]
    assert sources[0].kind is SourceKind.NEWS and sources[0].date == "2018-02-10"
    query = api.requests[-1].query
    assert query["mode"] == "artlist" and query["format"] == "json" and query["maxrecords"] == "5"


@pytest.mark.parametrize("name", sorted(PATHS))
@pytest.mark.parametrize("mode", ["429", "500", "503", "timeout", "malformed", "html", "shape"])
async def test_failures_give_empty_result_and_a_log_line(
    api: FakeApi, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, name: str, mode: str
) -> None:
    api.mode = mode
    provider = make(name, session, api.base_url)
    with caplog.at_level(logging.WARNING, logger="bot.sources"):
        assert await provider.search("Israel has lost 2 F16s and 1 F35") == []
    assert any(getattr(r, "provider", None) == name for r in caplog.records), caplog.text
    assert "test-key" not in caplog.text


@pytest.mark.parametrize("name", sorted(PATHS))
async def test_connection_refused(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    provider = make(name, session, "http://127.0.0.1:9")  # discard port: nothing listens
    with caplog.at_level(logging.WARNING, logger="bot.sources"):
        assert await provider.search("Putin visited Damascus") == []
    assert caplog.records


async def test_results_are_cached_and_failures_are_not(api: FakeApi, session: aiohttp.ClientSession) -> None:
    provider = make("wikipedia", session, api.base_url)
    api.mode = "500"
    assert await provider.search("Putin Damascus visit") == []
    api.mode = "ok"
    first = await provider.search("Putin Damascus visit")
    second = await provider.search("Putin Damascus visit")
    assert first == second and first
    assert len(api.requests) == 2  # the failure, then one real fetch; the repeat came from the cache


async def test_local_rate_limit_drops_the_call(
    api: FakeApi, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    provider = make("gdelt", session, api.base_url)
    provider.limiter = TokenBucket(rate=1, per=3600, capacity=1)
    assert await provider.search("Putin Damascus visit")
    with caplog.at_level(logging.WARNING, logger="bot.sources"):
        assert await provider.search("Assad Erdogan meeting") == []
    assert "rate-limited" in caplog.text
    assert len(api.requests) == 1


async def test_token_bucket_and_ttl_cache_with_fake_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, per=1.0, capacity=2, clock=lambda: now[0])
    assert bucket.try_acquire() and bucket.try_acquire() and not bucket.try_acquire()
    now[0] = 0.5
    assert bucket.try_acquire() and not bucket.try_acquire()
    cache = TTLCache(ttl=10, maxsize=2, clock=lambda: now[0])
    cache.set("a", 1)
    cache.set("b", 2)
    cache.set("c", 3)
    assert cache.get("a") is None and cache.get("c") == 3
    now[0] = 11
    assert cache.get("c") is None


async def test_service_answers_from_the_library_when_every_remote_fails(
    api: FakeApi, session: aiohttp.ClientSession, tmp_path: Any
) -> None:
    api.mode = "timeout"
    database = Database(tmp_path / "w.db")
    try:
        providers = [make(n, session, api.base_url) for n in sorted(PATHS)]
        service = ContextService(database, session, ContextSettings(semantic=False), providers=providers)
        await service.add_text(
            "Israeli F-16 crashes after Syrian fire",
            "An Israeli F-16 jet was lost to Syrian anti-aircraft fire in 2018.",
            "https://local.example/f16",
        )
        result = await service.context("Israel has lost 2 F16s and 1 F35")
        assert [s.url for s in result.sources] == ["https://local.example/f16"]
    finally:
        database.close()


async def test_service_merges_remote_items(
    api: FakeApi, session: aiohttp.ClientSession, tmp_path: Any
) -> None:
    database = Database(tmp_path / "w.db")
    try:
        providers = [make(n, session, api.base_url) for n in sorted(PATHS)]
        service = ContextService(
            database, session, ContextSettings(semantic=False, min_score=0.2), providers=providers
        )
        result = await service.context("Israel lost an F35 stealth fighter over Syria")
        kinds = {s.kind for s in result.sources}
        assert SourceKind.FACT_CHECK in kinds
        assert len(result.sources) <= 6
        assert json.dumps([s.to_dict() for s in result.sources])  # serialisable
    finally:
        database.close()


async def test_deployment_user_agent_is_sent(api: FakeApi, session: aiohttp.ClientSession) -> None:
    config = ProviderConfig(enabled=True, base_url=api.base_url, timeout_s=1)
    provider = WikipediaProvider(session, config, user_agent="WardenBot/0.1 (ops@example.org)")
    await provider.search("Putin Damascus")
    assert api.requests[-1].headers["User-Agent"] == "WardenBot/0.1 (ops@example.org)"
