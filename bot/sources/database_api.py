"""The slice of :class:`bot.storage.database.Database` the context feature relies on, and the two calls
its services make through it: one on the source library, one on the request log (each on the database's
thread)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlite_utils

from bot.sources.request_log import RequestLog
from bot.sources.store import SourceLibrary

T = TypeVar("T")
P = ParamSpec("P")


class DatabaseLike(Protocol):
    db: sqlite_utils.Database

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


async def on_library(database: DatabaseLike, fn: Callable[[SourceLibrary], T]) -> T:
    """``fn(SourceLibrary)`` on the database thread."""
    return await database.run(lambda: fn(SourceLibrary(database.db)))


async def on_requests(database: DatabaseLike, fn: Callable[[RequestLog], T]) -> T:
    """``fn(RequestLog)`` on the database thread."""
    return await database.run(lambda: fn(RequestLog(database.db)))


async def library_call(
    database: DatabaseLike,
    method: Callable[Concatenate[SourceLibrary, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``method(SourceLibrary, *args, **kwargs)`` on the database thread: a loop passes its current
    values as arguments instead of closing over them."""
    return await database.run(lambda: method(SourceLibrary(database.db), *args, **kwargs))
