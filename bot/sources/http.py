"""Shared plumbing for remote providers: a token-bucket rate limiter, a TTL cache, and one GET helper
that turns every failure (timeout, 429, 5xx, bad JSON) into ``None`` plus a log line."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import aiohttp

from bot.context_settings import USER_AGENT

log = logging.getLogger(__name__)

__all__ = ["USER_AGENT", "TTLCache", "TokenBucket", "get_json"]


class TokenBucket:
    """At most ``rate`` acquisitions per ``per`` seconds on average, bursts up to ``capacity``."""

    def __init__(
        self,
        rate: float,
        per: float = 1.0,
        capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or per <= 0:
            raise ValueError("rate and per must be positive")
        self.fill_rate = rate / per
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.fill_rate)
        self._updated = now

    def try_acquire(self) -> bool:
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    async def acquire(self, max_wait: float | None = None) -> bool:
        """Wait for a token; False (and no token taken) if that would take longer than ``max_wait``."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.fill_rate
                if max_wait is not None and wait > max_wait:
                    return False
                await asyncio.sleep(wait)
                self._refill()
            self._tokens -= 1
            return True


class TTLCache:
    """A small LRU cache whose entries expire ``ttl`` seconds after being stored."""

    def __init__(
        self, ttl: float = 3600.0, maxsize: int = 512, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires < self._clock():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def set(self, key: Hashable, value: Any) -> None:
        self._data[key] = (self._clock() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


async def get_json(
    session: aiohttp.ClientSession,
    url: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    user_agent: str = USER_AGENT,
    timeout_s: float = 5.0,
    provider: str = "",
    limiter: TokenBucket | None = None,
) -> Any | None:
    """GET ``url`` and decode JSON. Any failure -> None and one warning naming the provider."""
    if limiter is not None and not await limiter.acquire(max_wait=timeout_s):
        log.warning("context provider rate-limited locally", extra={"provider": provider})
        return None
    hdrs = {"User-Agent": user_agent, "Accept": "application/json"}
    hdrs.update(headers or {})
    try:
        async with session.get(
            url, params=params, headers=hdrs, timeout=aiohttp.ClientTimeout(total=timeout_s)
        ) as resp:
            if resp.status != 200:
                log.warning(
                    "context provider answered %s",
                    resp.status,
                    extra={
                        "provider": provider,
                        "status": resp.status,
                        "retry_after": resp.headers.get("Retry-After"),
                    },
                )
                return None
            body = await resp.read()
    except TimeoutError:
        log.warning("context provider timed out", extra={"provider": provider, "timeout_s": timeout_s})
        return None
    except aiohttp.ClientError as exc:
        log.warning("context provider unreachable: %s", type(exc).__name__, extra={"provider": provider})
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        log.warning("context provider sent malformed JSON", extra={"provider": provider, "bytes": len(body)})
        return None
