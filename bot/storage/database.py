"""The database of a Warden deployment: one SQLite file (the default) or a shared PostgreSQL database.

``Database(target)`` opens a SQLite file for a path and PostgreSQL for a ``postgresql://`` URL
(:mod:`bot.storage.postgres`); both offer the same interface, so every repository runs on either.
Repositories (``bot/storage/*.py``) are plain synchronous classes; async callers wrap their calls with
:meth:`Database.run`, which runs them off the event loop.

On SQLite all access goes through a single worker thread: SQLite connections are not shared across
threads, and the event loop never waits on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from bot.storage.dialect import SQLITE, Dialect
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.migrations import apply_migrations

log = logging.getLogger(__name__)

T = TypeVar("T")


BUSY_TIMEOUT_S = 30.0
"""How long a connection waits for another one's write lock (another process migrating or writing)
before it gives up with "database is locked"."""


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: object) -> bool:
    """True when ``target`` names a PostgreSQL database (``postgresql://...``) rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


class Database:
    """A migrated Warden database: ``Database(path)`` is SQLite, ``Database("postgresql://...")`` PostgreSQL.

    The interface every repository uses: :meth:`transaction` (atomic; a read-then-write inside it cannot
    interleave with another writer's, see :meth:`lock`), :meth:`connection` (reads), :meth:`run` (a
    blocking call off the event loop), :meth:`close`; ``dialect`` for the SQL that differs; ``db`` the
    raw handle (``execute``, ``query``, ``atomic``) for code that predates the repositories.
    """

    dialect: Dialect = SQLITE
    path: str
    """What to show the user: the file, or the URL without its password."""
    target: str
    """What opens this database again (``Database(target)``): the file, or the full URL."""
    schema_version: int
    db: Any

    def __new__(cls, target: str | Path, *args: Any, **kwargs: Any) -> Database:
        if cls is Database:
            if is_postgres_url(target):
                try:
                    from bot.storage.postgres import PostgresDatabase
                except ImportError as error:
                    shown = re.sub(r"//([^:/@]*):[^@/]*@", r"//\1@", str(target))  # no password
                    raise DatabaseUnavailableError(
                        shown, "PostgreSQL support is not installed (pip install 'warden[postgres]')"
                    ) from error
                cls = PostgresDatabase
            else:
                cls = SQLiteDatabase
        return super().__new__(cls)

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """One atomic unit of work (a savepoint when nested); yields the handle to execute on."""
        raise NotImplementedError

    def connection(self) -> contextlib.AbstractContextManager[Any]:
        """The handle for reads (inside a transaction: that transaction's)."""
        raise NotImplementedError

    async def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a blocking repository call off the event loop and await its result."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish queued work and release the connections."""
        raise NotImplementedError

    @property
    def in_transaction(self) -> bool:
        """True while the calling thread is inside a transaction on this database."""
        raise NotImplementedError

    def lock(self, db: Any, namespace: str, key: int) -> None:
        """Inside a transaction, hold the lock on ``(namespace, key)`` until it ends (see
        :meth:`Dialect.lock`): for a read-then-write that no unique constraint guards."""
        self.dialect.lock(db, namespace, key)

    def notify(self, db: Any, channel: str, payload: str) -> None:
        """Inside a transaction: tell the other processes' :meth:`listen` callbacks ``payload`` once it
        commits. One process owns a SQLite file, so there it does nothing."""

    def listen(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(payload)`` when another process :meth:`notify`-es on ``channel`` (``None``:
        notices may have been missed, forget everything). Nothing to hear on SQLite."""


class SQLiteDatabase(Database):
    """A sqlite-utils database on one connection, migrated on open, with a single-thread executor.

    Raises :class:`~bot.storage.errors.DatabaseUnavailableError` (one line naming the path and why) when the
    file cannot be used: a directory, a folder that cannot be created, a read-only file or folder, not a
    database, or a schema newer than this code (:class:`~bot.storage.errors.SchemaTooNewError`).
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        self.path = self.target = str(path)
        self._closed = True
        self._lock = threading.RLock()
        conn = _connect(self.path, busy_timeout)
        self.db = sqlite_utils.Database(conn)
        try:
            if self.path != ":memory:":
                _use_wal(self.db, busy_timeout)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA synchronous=NORMAL")
            with self._lock:
                self.schema_version = apply_migrations(self.db)
        except DatabaseUnavailableError:
            conn.close()
            raise
        except sqlite3.Error as error:
            conn.close()
            raise DatabaseUnavailableError(self.path, _reason(error)) from error
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warden-db")
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

    @property
    def in_transaction(self) -> bool:
        """True while the shared connection is inside a transaction."""
        return bool(self.db.conn.in_transaction)

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


def _connect(path: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` (its folder created when missing), or :class:`DatabaseUnavailableError`."""
    if path != ":memory:":
        file = Path(path)
        if file.is_dir():
            raise DatabaseUnavailableError(path, "it is a directory")
        blocker = next((folder for folder in file.parents if folder.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise DatabaseUnavailableError(path, f"{blocker} is a file, not a folder")
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            reason = f"cannot create its folder: {error.strerror or error}"
            raise DatabaseUnavailableError(path, reason) from error
    try:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=busy_timeout)
        # the first statement touches the file: a path SQLite cannot open fails here, not later
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.Error as error:
        raise DatabaseUnavailableError(path, _reason(error)) from error
    return conn


def _use_wal(db: sqlite_utils.Database, busy_timeout: float) -> None:
    """Switch the file to write-ahead logging, once (the mode is stored in the file).

    The switch needs the file to itself for a moment; a concurrent opener can make it fail with
    "database is locked" without waiting on the busy timeout, so it is retried until the timeout.
    """
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    if mode != "wal":  # e.g. a file system without shared memory: SQLite keeps its rollback journal
        log.warning("database kept journal mode %s (WAL unavailable)", mode)


def _reason(error: sqlite3.Error) -> str:
    """SQLite's error as a short reason for :class:`DatabaseUnavailableError`."""
    text = str(error)
    if "readonly" in text:
        return "the file or its folder is read-only"
    if "unable to open" in text:
        return "SQLite cannot open it (not a writable file in an existing folder)"
    if "not a database" in text:
        return "it is not a SQLite database"
    return text
