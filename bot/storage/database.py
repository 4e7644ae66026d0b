"""The one SQLite database of a Warden deployment, owned through sqlite-utils.

All access goes through a single worker thread: SQLite connections are not shared across threads, and
the event loop never waits on disk. Repositories (``bot/storage/*.py``) are plain synchronous classes;
async callers wrap their calls with :meth:`Database.run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from bot.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

T = TypeVar("T")


class Database:
    """A sqlite-utils database on one connection, migrated on open, with a single-thread executor."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warden-db")
        self._lock = threading.RLock()
        conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.db = sqlite_utils.Database(conn)
        if self.path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self.schema_version = apply_migrations(self.db)
        self._closed = False

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """One atomic unit of work: everything inside commits together or not at all.

        The outermost transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock up front, so
        a read-then-write (``SELECT max(...)+1`` then ``INSERT``) cannot interleave with another
        connection's, and a busy database is waited on (``timeout``) instead of failing mid-way. A
        nested call becomes a savepoint of the enclosing transaction.
        """
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.rollback()
                raise
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self.db.rollback()
                raise

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite_utils.Database]:
        """The database under the lock, without a transaction: for reads that must not interleave
        with another thread's transaction on the shared connection."""
        with self._lock:
            yield self.db

    async def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a blocking repository call on the database thread and await its result."""
        if self._closed:
            raise RuntimeError("database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self._locked(fn, *args, **kwargs))

    def _locked(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        with self._lock:
            return fn(*args, **kwargs)

    def close(self) -> None:
        """Finish queued work and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True)
        with self._lock:
            self.db.close()
        log.info("database closed", extra={"db_path": self.path})
