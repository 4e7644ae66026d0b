"""Case expiry timers: one asyncio timer per case, then a callback (no discord.py).

:class:`~bot.moderation.infractions.InfractionService` arms one per case with an expiry and re-arms
them from the database on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.storage._common import utcnow

log = logging.getLogger(__name__)


class ExpiryScheduler:
    """One asyncio timer per case: ``await asyncio.sleep`` then the callback (no discord.py)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._tasks: dict[tuple[int, int], asyncio.Task[None]] = {}

    def __contains__(self, key: tuple[int, int]) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    def __len__(self) -> int:
        return sum(1 for task in self._tasks.values() if not task.done())

    def schedule(self, key: tuple[int, int], when: datetime, callback: Callable[[], Awaitable[Any]]) -> None:
        """Run ``callback`` at ``when`` (at once when it is past); replaces a timer with the same key."""
        self.cancel(key)
        delay = max(0.0, (when - self._clock()).total_seconds())

        async def wait_then_run() -> None:
            await asyncio.sleep(delay)
            try:
                await callback()
            except Exception:
                log.exception("expiry of case %s failed", key)
            finally:
                if self._tasks.get(key) is asyncio.current_task():
                    del self._tasks[key]

        self._tasks[key] = asyncio.get_running_loop().create_task(
            wait_then_run(), name=f"warden-expiry-{key}"
        )

    def cancel(self, key: tuple[int, int]) -> None:
        """Drop the timer of ``key``, if any."""
        task = self._tasks.pop(key, None)
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def aclose(self) -> None:
        """Cancel every timer (the database keeps the expiries for the next start)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
