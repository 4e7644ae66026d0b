"""Fetched bodies are read whole up to the size limit and refused past it or past the time limit; an
unknown charset is a clear error; a feed whose first poll fails is not stored; one poll adds at most
``MAX_FEED_ENTRIES`` (probe: a 1 MB article was stored as its first network chunk, a never-ending body
was "Added" with one character). Real aiohttp servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import typer
from aiohttp import web
from aiohttp.test_utils import TestServer
from typer.testing import CliRunner

from bot.cli import sources as sources_cli
from bot.context_settings import ContextSettings
from bot.sources.ingest import MAX_FEED_ENTRIES, IngestError
from bot.sources.service import ContextService
from bot.storage.database import Database

LIMIT = 200_000  # max_page_bytes for the boundary tests
LINE = "Satellite navigation reported false positions near the coast again today.\n"


def text_article(size: int) -> bytes:
    """A plain-text article of exactly ``size`` bytes (title line, then body lines)."""
    head = "A long article\n"
    body = (LINE * (size // len(LINE) + 1))[: size - len(head)]
    return (head + body).encode()


def rss(n: int) -> str:
    items = "".join(
        f"<item><title>Entry {i}</title><link>https://feed.example/{i}</link>"
        f"<description>Entry number {i} of a long feed about ships.</description></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'


async def endless(request: web.Request) -> web.StreamResponse:
    """A body that never ends (chunked, no Content-Length); ``?drip`` sends a byte every 0.1 s."""
    resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await resp.prepare(request)
    drip = "drip" in request.query
    try:
        while True:
            await resp.write(b"x" if drip else b"x" * 65536)
            await asyncio.sleep(0.1 if drip else 0)
    except (ConnectionError, aiohttp.ClientConnectionResetError):
        return resp


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    def raw(body: bytes, ctype: str, status: int = 200) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            return web.Response(body=body, status=status, headers={"Content-Type": ctype})

        return handle

    app = web.Application()
    app.router.add_get("/1mb", raw(text_article(1_000_000), "text/plain; charset=utf-8"))
    app.router.add_get("/at-limit", raw(text_article(LIMIT), "text/plain"))
    app.router.add_get("/over-limit", raw(text_article(LIMIT + 1), "text/plain"))
    app.router.add_get("/endless", endless)
    app.router.add_get(
        "/charset", raw(b"<html><body><p>hello</p></body></html>", "text/html; charset=x-nope")
    )
    app.router.add_get("/rot13", raw(b"<html><body><p>hello</p></body></html>", "text/html; charset=rot13"))
    app.router.add_get(
        "/latin1", raw("Caf\u00e9 title\nDes caf\u00e9s.".encode("latin-1"), "text/plain; charset=latin-1")
    )
    app.router.add_get("/feed-503", raw(b"", "text/plain", status=503))
    app.router.add_get("/not-a-feed", raw(b"<html><body><p>just a page</p></body></html>", "text/html"))
    app.router.add_get("/big-feed.xml", raw(rss(MAX_FEED_ENTRIES * 3).encode(), "application/rss+xml"))
    srv = TestServer(app, host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


async def make_service(
    database: Database, session: aiohttp.ClientSession, **settings: object
) -> ContextService:
    return ContextService(
        database, session, ContextSettings(semantic=False, allow_private_hosts=True, **settings)
    )


@pytest.fixture
async def service(database: Database) -> AsyncIterator[ContextService]:
    async with aiohttp.ClientSession() as session:
        yield await make_service(database, session)


@pytest.fixture
async def small(database: Database) -> AsyncIterator[ContextService]:
    """max_page_bytes = LIMIT, a one-second fetch time limit."""
    async with aiohttp.ClientSession() as session:
        yield await make_service(database, session, max_page_bytes=LIMIT, fetch_timeout_s=1.0)


def url(server: TestServer, path: str) -> str:
    return str(server.make_url(path))


async def stored_text(service: ContextService, source_id: int) -> str:
    row = await service._db(lambda lib: lib.get(source_id))
    assert row is not None
    return row["text"]


async def test_a_1mb_article_is_stored_whole(server: TestServer, service: ContextService) -> None:
    assert service.settings.max_page_bytes > 1_000_000  # the default limit: 1 MB is under it
    added = await service.add_url(url(server, "/1mb"))
    expected = text_article(1_000_000).decode().split("\n", 1)[1].strip()
    assert await stored_text(service, added.id) == expected


async def test_the_size_limit_is_exact(server: TestServer, small: ContextService) -> None:
    added = await small.add_url(url(server, "/at-limit"))
    assert len(await stored_text(small, added.id)) > LIMIT - 100
    with pytest.raises(IngestError, match=r"larger than the limit \(200,000 bytes\)"):
        await small.add_url(url(server, "/over-limit"))
    assert [s["id"] for s in await small.list_sources()] == [added.id]


@pytest.mark.parametrize(
    "query,message", [("", "larger than the limit"), ("?drip", "took too long")], ids=["flood", "drip"]
)
async def test_an_endless_body_is_refused(
    server: TestServer, small: ContextService, query: str, message: str
) -> None:
    with pytest.raises(IngestError, match=message):
        await small.add_url(url(server, "/endless" + query))
    assert await small.list_sources() == []


@pytest.mark.parametrize("path", ["/charset", "/rot13"])
async def test_an_unknown_charset_is_a_clear_error(
    server: TestServer, service: ContextService, path: str
) -> None:
    with pytest.raises(IngestError, match="unknown character set"):
        await service.add_url(url(server, path))
    assert await service.list_sources() == []


async def test_a_declared_charset_is_used(server: TestServer, service: ContextService) -> None:
    added = await service.add_url(url(server, "/latin1"))
    assert added.title == "Caf\u00e9 title"
    assert await stored_text(service, added.id) == "Des caf\u00e9s."


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "path,message",
    [("/feed-503", "HTTP 503"), ("/not-a-feed", "not an RSS or Atom feed"), ("/missing", "HTTP 404")],
)
async def test_a_feed_whose_first_poll_fails_is_not_stored(
    server: TestServer, service: ContextService, path: str, message: str
) -> None:
    with pytest.raises(IngestError, match=message):
        await service.add_feed(url(server, path))
    assert await service.list_feeds() == [] and await service.list_sources() == []


async def test_an_unreachable_feed_is_not_stored(service: ContextService) -> None:
    with pytest.raises(IngestError, match="could not fetch"):
        await service.add_feed(f"http://127.0.0.1:{closed_port()}/feed.xml")
    assert await service.list_feeds() == []


async def test_one_poll_adds_at_most_the_cap(server: TestServer, service: ContextService) -> None:
    feed_id, added = await service.add_feed(url(server, "/big-feed.xml"))
    assert added == MAX_FEED_ENTRIES
    rows = await service.list_sources(limit=1000)
    assert len(rows) == MAX_FEED_ENTRIES
    # the first entries in document order (feeds list the newest first)
    assert {r["url"] for r in rows} == {f"https://feed.example/{i}" for i in range(MAX_FEED_ENTRIES)}
    assert await service.poll_feed(feed_id) == 0  # the same entries: nothing new


def test_cli_feed_whose_first_poll_fails_reports_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``warden sources feed`` used to store the feed and print success when the first poll failed."""
    for var in ("WARDEN_CONTEXT_PROVIDERS", "WARDEN_FACTCHECK_API_KEY", "WARDEN_CONTEXT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WARDEN_DB_PATH", str(tmp_path / "bot.db"))
    config = tmp_path / "context.toml"
    config.write_text("[context]\nsemantic = false\nallow_private_hosts = true\n", encoding="utf-8")
    app = typer.Typer()
    sources_cli.register(app)

    @app.callback()
    def main() -> None:  # a group, as in the real ``warden`` app
        pass

    runner = CliRunner()
    feed_url = f"http://127.0.0.1:{closed_port()}/feed.xml"
    result = runner.invoke(app, ["sources", "feed", feed_url, "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "Could not add feed" in result.stderr and "entries stored" not in result.stdout
    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert json.loads(listed.stdout)["feeds"] == []
