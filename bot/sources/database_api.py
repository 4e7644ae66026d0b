"""The slice of :class:`bot.storage.database.Database` the context feature relies on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import sqlite_utils

T = TypeVar("T")


class DatabaseLike(Protocol):
    db: sqlite_utils.Database

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...
