"""The slice of :class:`bot.storage.database.Database` the context feature relies on, and the two calls
its services make through it: one on the source library, one on the request log (each on the database's
thread)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlite_utils

from bot.sources.store import RequestLog, SourceLibrary

T = TypeVar("T")


class DatabaseLike(Protocol):
    db: sqlite_utils.Database

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


async def on_library(database: DatabaseLike, fn: Callable[[SourceLibrary], T]) -> T:
    """``fn(SourceLibrary)`` on the database thread."""
    return await database.run(lambda: fn(SourceLibrary(database.db)))


async def on_requests(database: DatabaseLike, fn: Callable[[RequestLog], T]) -> T:
    """``fn(RequestLog)`` on the database thread."""
    return await database.run(lambda: fn(RequestLog(database.db)))
