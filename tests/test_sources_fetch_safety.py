"""Untrusted URLs can't reach this machine or a private network: every redirect hop, every feed poll
and every member's link is checked when it connects (probe: a public page answering 302 to
127.0.0.1 got the internal page stored in the library).

The simulated internet: ``public.test`` resolves (through the test's lower-level resolver) to
127.0.0.2, which the address policy treats as a public address; every other address, 127.0.0.1
included, is checked as in production. An internal server on 127.0.0.1 listens on the same port as the
public one, so a fetch that slipped through would really reach it; it records every request.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from bot.context_settings import ContextSettings
from bot.sources.ingest import IngestError
from bot.sources.safe_fetch import FetchError, IPAddress, SafeFetcher, is_blocked_address
from bot.sources.service import ContextService
from bot.storage.database import Database

PUBLIC_IP = ipaddress.IPv4Address("127.0.0.2")  # "the internet" in these tests
BODY = "Warden test article. " * 30


def article(title: str) -> str:
    return f"<html><head><title>{title}</title></head><body><article><p>{BODY}</p></article></body></html>"


def rss(link: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>'
        f"<item><title>Public entry</title><link>{link}</link><description>{BODY}</description></item>"
        "</channel></rss>"
    )


def simulated_policy(ip: IPAddress) -> bool:
    """Production's policy, except that the simulated public address is public."""
    return ip != PUBLIC_IP and is_blocked_address(ip)


class MapResolver(AbstractResolver):
    """The lower-level resolver: names -> addresses, as DNS would answer (mutable: rebinding)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.names:
            raise OSError(f"unknown host {host}")
        return [
            {
                "hostname": host,
                "host": ip,
                "port": port,
                "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for ip in self.names[host]
        ]

    async def close(self) -> None:
        pass


class World:
    """A public site (127.0.0.2) and an internal one (127.0.0.1) on the same port."""

    def __init__(self) -> None:
        self.internal_hits: list[str] = []
        self.feed_target: str | None = None  # set: the public feed redirects there
        self.public = TestServer(self._public_app(), host="127.0.0.2")
        self.internal: TestServer | None = None
        self.resolver = MapResolver({"public.test": ["127.0.0.2"], "internal.test": ["127.0.0.1"]})

    @property
    def port(self) -> int:
        assert self.public.port is not None
        return self.public.port

    def public_url(self, path: str) -> str:
        return f"http://public.test:{self.port}{path}"

    def internal_url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def _public_app(self) -> web.Application:
        def redirect(target: str) -> web.Response:
            return web.Response(status=302, headers={"Location": target})

        async def handle(request: web.Request) -> web.StreamResponse:
            path = request.path
            if path.startswith("/article"):
                return web.Response(text=article("Public article"), content_type="text/html")
            if path == "/relative":
                return redirect("/article-relative")
            if path == "/loop":
                return redirect("/loop")
            if path == "/feed.xml":
                if self.feed_target:
                    return redirect(self.feed_target)
                return web.Response(text=rss(self.public_url("/entry")), content_type="application/rss+xml")
            if path.startswith("/to/"):  # /to/<where>: a redirect to an internal address
                where = path.removeprefix("/to/")
                targets = {
                    "loopback": self.internal_url("/secret"),
                    "metadata": "http://169.254.169.254/latest/meta-data/",
                    "ipv6": f"http://[::1]:{self.port}/secret",
                    "mapped": f"http://[::ffff:127.0.0.1]:{self.port}/secret",
                    "name": self.internal_url("/secret", host="internal.test"),
                    "localhost": self.internal_url("/secret", host="localhost"),
                    "private": "http://10.1.2.3/secret",
                }
                return redirect(targets[where])
            return web.Response(status=404)

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        return app

    def _internal_app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.internal_hits.append(request.path)
            if request.path == "/feed.xml":
                return web.Response(
                    text=rss(self.internal_url("/secret-entry")), content_type="application/rss+xml"
                )
            return web.Response(text=article("INTERNAL SECRET"), content_type="text/html")

        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        return app

    async def start(self) -> None:
        await self.public.start_server()
        self.internal = TestServer(self._internal_app(), host="127.0.0.1", port=self.port)
        await self.internal.start_server()

    async def close(self) -> None:
        await self.public.close()
        if self.internal is not None:
            await self.internal.close()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    w = World()
    await w.start()
    yield w
    await w.close()


@pytest.fixture
async def service(database: Database, world: World) -> AsyncIterator[ContextService]:
    async with aiohttp.ClientSession() as session:
        svc = ContextService(database, session, ContextSettings(semantic=False))  # private hosts refused
        svc.fetcher = SafeFetcher(resolver=world.resolver, is_blocked=simulated_policy)
        yield svc


async def test_public_pages_are_fetched_through_the_resolver(world: World, service: ContextService) -> None:
    added = await service.add_url(world.public_url("/relative"))  # a relative redirect is followed
    assert added.title == "Public article"
    assert world.internal_hits == []


@pytest.mark.parametrize("where", ["loopback", "metadata", "ipv6", "mapped", "name", "localhost", "private"])
async def test_a_redirect_to_a_private_address_is_refused(
    world: World, service: ContextService, where: str
) -> None:
    with pytest.raises(IngestError, match="private network"):
        await service.add_url(world.public_url(f"/to/{where}"))
    assert await service.list_sources() == []
    assert world.internal_hits == []


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["127.0.0.2", "127.0.0.1"], ["::ffff:127.0.0.1"]])
async def test_a_name_that_resolves_to_loopback_is_refused(
    world: World, service: ContextService, answer: list[str]
) -> None:
    world.resolver.names["sneaky.test"] = answer
    with pytest.raises(IngestError, match="private network"):
        await service.add_url(f"http://sneaky.test:{world.port}/secret")
    with pytest.raises(IngestError, match="private network"):
        await service.add_feed(f"http://sneaky.test:{world.port}/feed.xml", poll_now=False)
    assert await service.list_sources() == [] and await service.list_feeds() == []
    assert world.internal_hits == []


async def test_too_many_redirects_are_refused(world: World, service: ContextService) -> None:
    with pytest.raises(IngestError, match="more than 5 redirects"):
        await service.add_url(world.public_url("/loop"))


async def test_a_feed_that_later_resolves_to_loopback_is_refused(
    world: World, service: ContextService
) -> None:
    feed_id, added = await service.add_feed(world.public_url("/feed.xml"))
    assert added == 1
    world.resolver.names["public.test"] = ["127.0.0.1"]  # DNS rebinding after the feed was accepted
    await service._db(lambda lib: lib.update_feed_state(feed_id, etag=None, last_modified=None))
    assert await service.poll_feed(feed_id) == 0
    assert await service.poll_due_feeds() == 0
    assert world.internal_hits == []
    assert [r["url"] for r in await service.list_sources()] == [world.public_url("/entry")]


async def test_a_feed_that_later_redirects_to_loopback_is_refused(
    world: World, service: ContextService
) -> None:
    feed_id, _ = await service.add_feed(world.public_url("/feed.xml"))
    for target in (world.internal_url("/feed.xml"), world.internal_url("/feed.xml", host="internal.test")):
        world.feed_target = target
        assert await service.poll_feed(feed_id) == 0
    assert world.internal_hits == []
    with pytest.raises(IngestError, match="private network"):  # and as a new feed: nothing stored
        await service.add_feed(world.public_url("/feed.xml"), guild_id=9)
    assert [f["guild_id"] for f in await service.list_feeds()] == [0]


async def test_a_members_link_to_a_private_address_is_refused(world: World, service: ContextService) -> None:
    await service.add_url(world.public_url("/article"), guild_id=7)  # public.test is now trusted
    assert (
        await service.note_posted_links(7, 70, f"look {world.public_url('/to/loopback')}", author_id=1) == []
    )
    world.resolver.names["public.test"] = ["127.0.0.1"]  # the trusted domain now points inside
    assert await service.note_posted_links(7, 70, f"and {world.public_url('/article-2')}", author_id=1) == []
    assert [r["url"] for r in await service.list_sources(7)] == [world.public_url("/article")]
    assert world.internal_hits == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert is_blocked_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "http:///nohost", "http://[::1]/", "http://x.local/"]
)
def test_urls_no_fetch_may_try(url: str) -> None:
    with pytest.raises(FetchError):
        SafeFetcher().check_url(url)
