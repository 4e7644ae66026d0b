"""Fetching untrusted URLs (pages admins or members name, feeds) without reaching this machine or a
private network.

Every fetch gets its own aiohttp session whose connector resolves names through :class:`SafeResolver`,
so the addresses checked are the addresses connected to (nothing resolves the name a second time),
on every redirect hop and every feed poll. aiohttp never asks the resolver about IP literals, so each
hop's host is also checked before connecting; redirects are followed here (``allow_redirects=False``),
at most :data:`MAX_REDIRECTS` of them. Bodies are read up to a byte limit and the whole fetch, hops and
body included, ends after one deadline.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]  # True: never connect there

MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_BLOCKED_NAMES = ("localhost",)
_BLOCKED_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
PRIVATE_MESSAGE = "that address points to a private network"


class FetchError(Exception):
    """An untrusted URL could not be fetched; the message is short and safe to show an admin."""


class BlockedAddressError(OSError):
    """Raised by :class:`SafeResolver` (an ``OSError``, as aiohttp expects from resolvers)."""


def is_blocked_address(ip: IPAddress) -> bool:
    """True for every address that is not on the public internet: loopback, private, link-local
    (cloud metadata), multicast, unspecified, reserved, shared (CGNAT), documentation, and IPv6
    addresses that embed one of those (IPv4-mapped, NAT64, 6to4, Teredo)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_blocked_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_blocked_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and is_blocked_address(ip.sixtofour):
            return True
        if ip.teredo is not None and any(is_blocked_address(a) for a in ip.teredo):
            return True
    return bool(
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


def _never_blocked(ip: IPAddress) -> bool:
    return False


def _parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


class SafeResolver(AbstractResolver):
    """Resolves through ``inner`` (default: aiohttp's default resolver) and refuses a name when any of
    its addresses is blocked by ``is_blocked``; the refused name is kept in :attr:`refused`."""

    def __init__(
        self, inner: AbstractResolver | None = None, *, is_blocked: AddressPolicy = is_blocked_address
    ) -> None:
        self._inner = inner if inner is not None else DefaultResolver()
        self._owns_inner = inner is None
        self._is_blocked = is_blocked
        self.refused: str | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            ip = _parse_ip(str(result["host"]))
            if ip is None or self._is_blocked(ip):
                self.refused = host
                log.warning("refused a non-public address", extra={"host": host})
                raise BlockedAddressError(f"{host} resolves to a non-public address")
        return results

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


@dataclass(frozen=True, slots=True)
class Fetched:
    """The final response of a fetch. ``body`` is read only for status 200; ``charset`` is the one the
    Content-Type declares, if any."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    charset: str | None = None


class SafeFetcher:
    """GETs untrusted http(s) URLs, refusing non-public addresses at connect time on every hop.

    ``allow_private`` turns the address checks off (intranet deployments, ``allow_private_hosts``).
    ``resolver`` is the lower-level resolver the safety check wraps and ``is_blocked`` the address
    policy; tests pass a resolver that maps names to local servers and may declare one loopback
    address "public" while every other address stays checked.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: AbstractResolver | None = None,
        is_blocked: AddressPolicy = is_blocked_address,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.allow_private = allow_private
        self._resolver = resolver
        self._is_blocked: AddressPolicy = _never_blocked if allow_private else is_blocked
        self.max_redirects = max_redirects

    def check_url(self, url: str | URL) -> URL:
        """Refuse (:class:`FetchError`) what no fetch should try: a scheme other than http(s), no host,
        a local name, an IP literal that is not public. Names are checked when they are resolved."""
        try:
            parsed = url if isinstance(url, URL) else URL(url)
        except (ValueError, TypeError) as exc:
            raise FetchError("that is not a valid URL") from exc
        if parsed.scheme.lower() not in ("http", "https"):
            raise FetchError("only http(s) URLs can be fetched")
        host = (parsed.host or "").lower().rstrip(".")
        if not host:
            raise FetchError("that URL has no host")
        if self.allow_private:
            return parsed
        if host in _BLOCKED_NAMES or host.endswith(_BLOCKED_SUFFIXES):
            raise FetchError(PRIVATE_MESSAGE)
        ip = _parse_ip(host)
        if ip is not None and self._is_blocked(ip):
            raise FetchError(PRIVATE_MESSAGE)
        return parsed

    async def check(self, url: str) -> None:
        """:meth:`check_url` plus resolving the host now (an early, clear refusal; every fetch checks
        again when it connects)."""
        parsed = self.check_url(url)
        if self.allow_private or _parse_ip(parsed.host or "") is not None:
            return
        resolver = SafeResolver(self._resolver, is_blocked=self._is_blocked)
        try:
            await resolver.resolve(parsed.host or "", parsed.port or 0, socket.AF_UNSPEC)
        except BlockedAddressError as exc:
            raise FetchError(PRIVATE_MESSAGE) from exc
        except OSError as exc:
            raise FetchError("that host name could not be resolved") from exc
        finally:
            await resolver.close()

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        timeout_s: float,
        max_bytes: int,
        before_body: Callable[[aiohttp.ClientResponse], None] | None = None,
    ) -> Fetched:
        """GET ``url`` following at most :attr:`max_redirects` redirects, every hop checked. A 200 body
        is read whole up to ``max_bytes`` (more is refused); ``before_body`` may refuse a 200 response
        by raising before its body is read. Raises :class:`FetchError` on refusal, network errors,
        more than ``timeout_s`` seconds in all, or too many redirects."""
        target = self.check_url(url)
        resolver = SafeResolver(self._resolver, is_blocked=self._is_blocked)
        connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False)
        try:
            async with (
                asyncio.timeout(timeout_s),
                aiohttp.ClientSession(connector=connector, trust_env=False) as session,
            ):
                for _ in range(self.max_redirects + 1):
                    async with session.get(target, headers=dict(headers), allow_redirects=False) as resp:
                        if resp.status in _REDIRECT_STATUSES:
                            target = self._next_hop(resp)
                            continue
                        if resp.status != 200:
                            return Fetched(str(resp.url), resp.status, resp.headers)
                        if before_body is not None:
                            before_body(resp)
                        body = await _read_limited(resp, max_bytes)
                        return Fetched(str(resp.url), resp.status, resp.headers, body, resp.charset)
                raise FetchError(f"more than {self.max_redirects} redirects")
        except TimeoutError as exc:
            raise FetchError("the site took too long to answer") from exc
        except aiohttp.ClientError as exc:
            if resolver.refused is not None:
                raise FetchError(PRIVATE_MESSAGE) from exc
            if isinstance(exc, aiohttp.InvalidURL):
                raise FetchError("that is not a valid URL") from exc
            raise FetchError(f"could not fetch it ({type(exc).__name__})") from exc
        finally:
            if not connector.closed:
                await connector.close()
            await resolver.close()

    def _next_hop(self, resp: aiohttp.ClientResponse) -> URL:
        location = resp.headers.get("Location")
        if not location:
            raise FetchError(f"the site answered HTTP {resp.status} without a new address")
        try:
            nxt = resp.url.join(URL(location))
        except (ValueError, TypeError) as exc:
            raise FetchError("the site redirected to an invalid address") from exc
        return self.check_url(nxt)


async def _read_limited(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The whole body, refused (:class:`FetchError`) as soon as it passes ``max_bytes``."""
    too_large = f"the response is larger than the limit ({max_bytes:,} bytes)"
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError(too_large)
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FetchError(too_large)
    return bytes(body)
