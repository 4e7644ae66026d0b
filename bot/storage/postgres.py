"""The PostgreSQL backend: one database shared by every bot process (``WARDEN_DATABASE_URL``).

psycopg 3 with its connection pool, synchronous like the SQLite backend: repositories run on this
database's worker threads (:meth:`PostgresDatabase.run`), never on the event loop. A thread that opens
a transaction keeps its pooled connection until the transaction ends, so everything the repository
calls inside it (reads included) sees the transaction's own writes; a nested transaction is a
savepoint. Connections are in autocommit mode outside :meth:`~PostgresDatabase.transaction`.

Isolation is READ COMMITTED. What SQLite gets from ``BEGIN IMMEDIATE`` (one writer at a time) the
repositories get here from row locks they take on purpose (the per-server case counter, conditional
updates), unique constraints, and :meth:`Database.lock` for the remaining read-then-writes.

Cross-process cache invalidation uses LISTEN/NOTIFY: :meth:`~PostgresDatabase.notify` inside a
transaction is delivered when it commits, to the callbacks registered with
:meth:`~PostgresDatabase.listen` in every process (a listener thread on its own connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.storage.database import Database
from bot.storage.dialect import postgres_dialect, postgres_text, to_pyformat
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.migrations import apply_postgres_migrations

log = logging.getLogger(__name__)

T = TypeVar("T")

POOL_SIZE = 4
"""Connections (and worker threads) per process."""
CONNECT_TIMEOUT_S = 30.0
"""How long opening waits for the server before giving up with :class:`DatabaseUnavailableError`."""
NOTIFY_CHANNEL = "warden"
"""The one LISTEN/NOTIFY channel; payloads are ``schema:channel:payload``."""


class Result:
    """A statement's outcome with its rows already fetched (the connection may go back to the pool):
    ``rowcount``, ``description``, ``fetchone``, ``fetchall``, iteration, like a DB-API cursor."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self.rowcount = cursor.rowcount
        self.description = cursor.description
        self._rows: list[tuple[Any, ...]] = cursor.fetchall() if cursor.description is not None else []
        self._next = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or ``None``."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        rest = self._rows[self._next :]
        self._next = len(self._rows)
        return rest

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class Session:
    """What ``with database.transaction() as db`` yields on PostgreSQL (and ``database.db``): statements
    run on the calling thread's connection (its transaction), or on a pooled one in autocommit."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database
        self.dialect = database.dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement written with ``?`` placeholders."""
        with self._database.connection_raw() as conn, conn.cursor() as cursor:
            cursor.execute(to_pyformat(sql), [postgres_text(value) for value in params])
            return Result(cursor)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of ``sql`` as column-name dicts (sqlite-utils' ``query``)."""
        result = self.execute(sql, params)
        names = [column.name for column in result.description or ()]
        for row in result.fetchall():
            yield dict(zip(names, row, strict=True))

    def atomic(self) -> contextlib.AbstractContextManager[Session]:
        """A transaction (sqlite-utils' ``atomic``)."""
        return self._database.transaction()

    def table_names(self) -> list[str]:
        """The tables of the current schema."""
        found = self.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1"
        )
        return [str(row[0]) for row in found]


class PostgresDatabase(Database):
    """A pooled, migrated PostgreSQL database with a small executor for :meth:`run`.

    ``url`` is a libpq URL (``postgresql://user@host/dbname``, ``?host=/socket/dir`` for a Unix socket,
    ``options=-csearch_path=...`` for a schema). Raises :class:`DatabaseUnavailableError` naming the
    database (without its password) when it cannot be reached or its schema is newer than this code.
    """

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.dialect = postgres_dialect()
        self.url = self.target = url
        self.path = _display(url)
        self._closed = True
        self._local = threading.local()
        self.db = Session(self)
        self._listeners: dict[str, list[Callable[[str | None], None]]] = {}
        self._listen_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()
        _wait_for_server(url, self.path, timeout)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            timeout=timeout,
            open=False,
            name="warden",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            with self.connection():
                self.schema = str(self.db.execute("SELECT current_schema()").fetchone()[0])
            self.schema_version = apply_postgres_migrations(self)
        except DatabaseUnavailableError:
            self._pool.close()
            raise
        except (psycopg.Error, PoolTimeout) as error:
            self._pool.close()
            raise DatabaseUnavailableError(self.path, _reason(error)) from error
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="warden-pg")
        self._closed = False

    # -- connections ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def connection_raw(self) -> Iterator[psycopg.Connection[Any]]:
        """The calling thread's connection: its transaction's, or a pooled one for this block."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One atomic unit of work on this thread's connection (a savepoint when nested)."""
        with self.connection_raw() as conn, conn.transaction():
            yield self.db

    @contextlib.contextmanager
    def connection(self) -> Iterator[Session]:
        """Reads on this thread's connection (the enclosing transaction's, if any)."""
        with self.connection_raw():
            yield self.db

    @property
    def in_transaction(self) -> bool:
        """True while the calling thread holds a connection inside a transaction."""
        held = getattr(self._local, "conn", None)
        return held is not None and held.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    async def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run a blocking repository call on a worker thread and await its result."""
        if self._closed:
            raise RuntimeError("database is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        """Finish queued work, stop listening and close the pool."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._executor.shutdown(wait=True)
        if self._listener is not None:
            self._listener.join(timeout=10)
        self._pool.close()
        log.info("database closed", extra={"db_path": self.path})

    # -- cross-process notices ------------------------------------------------------------------------

    def notify(self, db: Any, channel: str, payload: str) -> None:
        """Send ``payload`` to every process listening on ``channel`` when this transaction commits."""
        db.execute("SELECT pg_notify(?, ?)", [NOTIFY_CHANNEL, f"{self.schema}:{channel}:{payload}"])

    def listen(self, channel: str, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(payload)`` on every notice on ``channel`` from any process (this one
        included), ``callback(None)`` when the listening connection was lost and notices were missed."""
        with self._listen_lock:
            self._listeners.setdefault(channel, []).append(callback)
            if self._listener is None:
                ready = threading.Event()
                self._listener = threading.Thread(
                    target=self._listen_loop, args=(ready,), name="warden-pg-listen", daemon=True
                )
                self._listener.start()
                ready.wait(timeout=CONNECT_TIMEOUT_S)

    def _listen_loop(self, ready: threading.Event) -> None:
        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    ready.set()
                    if lost:  # notices sent while we were away are gone
                        self._deliver(None, None)
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=0.5):
                            schema, _, rest = notice.payload.partition(":")
                            channel, _, payload = rest.partition(":")
                            if schema == self.schema:
                                self._deliver(channel, payload)
            except psycopg.Error as error:
                lost = True
                log.warning("database listener lost its connection: %s", error)
                self._stop.wait(1.0)
        ready.set()

    def _deliver(self, channel: str | None, payload: str | None) -> None:
        with self._listen_lock:
            targets = (
                [cb for cbs in self._listeners.values() for cb in cbs]
                if channel is None
                else list(self._listeners.get(channel, ()))
            )
        for callback in targets:
            try:
                callback(payload)
            except Exception:
                log.exception("database notice callback failed", extra={"channel": channel})


def _display(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unparsable url)"
    user = f"{info['user']}@" if info.get("user") else ""
    host = str(info.get("host") or "")
    port = f":{info['port']}" if info.get("port") else ""
    return f"postgresql://{user}{host}{port}/{info.get('dbname') or ''}"


NOT_UP_YET = ("No such file or directory", "Connection refused", "the database system is starting up")
"""libpq's words for a server that is not (yet) listening: worth waiting for (a container starting)."""


def _wait_for_server(url: str, shown: str, timeout: float) -> None:
    """Connect once before the pool does, so a wrong URL, password or database fails at once with
    libpq's own reason, and a server that is still starting is waited for (up to ``timeout``) without
    the pool's repeated warnings. Raises :class:`DatabaseUnavailableError`."""
    deadline = time.monotonic() + timeout
    pause = 0.25
    while True:
        left = deadline - time.monotonic()
        try:
            psycopg.connect(url, connect_timeout=max(2, int(min(left, 10))), autocommit=True).close()
            return
        except psycopg.Error as error:
            reason = _reason(error)
            if not any(words in str(error) for words in NOT_UP_YET) or left <= pause:
                raise DatabaseUnavailableError(shown, reason) from error
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def _reason(error: BaseException) -> str:
    """A short reason for :class:`DatabaseUnavailableError`."""
    if isinstance(error, PoolTimeout):
        return "PostgreSQL did not answer in time (is the server running and the URL right?)"
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
