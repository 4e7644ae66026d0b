"""Copy a whole Warden database into an empty one on either backend (``warden db copy``).

The main use is moving a deployment from its SQLite file to PostgreSQL when it grows past one process;
the other direction makes a SQLite backup of a PostgreSQL database. Both sides are :class:`Database`
objects, so both are migrated to this Warden's schema before anything is read.

- The tables are the ones the migrations create (read from a migrated in-memory SQLite database), in
  foreign-key order; every column is copied as it is, ids included, so references and case numbers
  survive. A source table or column this list does not know is refused rather than dropped.
- The source is read inside one read-only transaction (one consistent moment), a batch at a time.
- The target is written inside one transaction: a failure or an interrupt leaves it as it was (empty).
  A target that already holds rows is refused: no merging.
- What PostgreSQL derives rather than stores is rebuilt there: the identity sequences continue after
  the largest id, ``case_counters`` holds each server's largest case number, and every library
  article's search vector is written as :meth:`SourceLibrary.add_source` writes it. SQLite's FTS5
  index fills itself through the ``sources`` triggers.
"""

from __future__ import annotations

import contextlib
import functools
import graphlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from bot.storage.database import Database, is_postgres_url
from bot.storage.dialect import postgres_text
from bot.storage.errors import StorageError
from bot.storage.migrations import apply_migrations

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresDatabase

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
"""Rows read and written at a time: memory stays bounded whatever the size of a table."""

DERIVED_TABLES = frozenset({"case_counters", "warden_schema"})
"""PostgreSQL-only tables that are not copied: the case counters (rebuilt from ``cases``) and the
schema version (the target's own migrations wrote it)."""
DERIVED_COLUMNS: dict[str, frozenset[str]] = {
    "sources": frozenset({"tsv"}),  # the search vector, rebuilt from the text
    "channel_articles": frozenset({"rowid"}),  # insertion order: rows are written in that order
}
"""PostgreSQL-only columns that are not copied, by table."""

Progress = Callable[[str, int, int], None]
"""``progress(table, rows_copied, rows_total)``: called when a table starts and after each batch."""


class CopyError(StorageError):
    """The copy cannot be made; the message is one line for the user."""


class TargetNotEmptyError(CopyError):
    """The target already holds rows (``tables``: where); nothing was written."""

    def __init__(self, target: str, tables: Sequence[str]) -> None:
        self.tables = tuple(tables)
        listed = ", ".join(self.tables[:5]) + (", ..." if len(self.tables) > 5 else "")
        super().__init__(
            f"{target} already holds data ({listed}): copy into a new, empty database (no merging)"
        )


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One table of the schema: its ``columns`` in order and its primary ``key``."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]

    def order_by(self, source_columns: set[str], *, postgres: bool) -> str:
        """What reads the table in insertion order: a one-column key (the row id on SQLite, the
        identity on PostgreSQL), else SQLite's rowid (mirrored by a ``rowid`` column on PostgreSQL
        where the order matters, see :data:`DERIVED_COLUMNS`), else the key."""
        if len(self.key) == 1:
            return self.key[0]
        if not postgres or "rowid" in source_columns:
            return "rowid"
        return ", ".join(self.key)


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What was copied: ``rows`` per table, in copy order."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        """All rows copied."""
        return sum(self.rows.values())


@functools.cache
def schema_tables() -> tuple[TableSpec, ...]:
    """The tables the migrations create, parents before the tables that reference them."""
    db = sqlite_utils.Database(memory=True)
    try:
        apply_migrations(db)
        names = sorted(
            str(row[1])
            for row in db.execute("PRAGMA table_list").fetchall()
            if row[0] == "main" and row[2] == "table" and not str(row[1]).startswith("sqlite_")
        )
        specs: dict[str, TableSpec] = {}
        parents: dict[str, set[str]] = {}
        for name in names:
            info = db.execute(f"PRAGMA table_info({name})").fetchall()  # cid, name, type, notnull, dflt, pk
            key = tuple(str(row[1]) for row in sorted((row for row in info if row[5]), key=lambda r: r[5]))
            specs[name] = TableSpec(name, tuple(str(row[1]) for row in info), key)
            references = db.execute(f"PRAGMA foreign_key_list({name})").fetchall()
            parents[name] = {str(row[2]) for row in references} - {name}
    finally:
        db.close()
    return tuple(specs[name] for name in graphlib.TopologicalSorter(parents).static_order())


def same_database(first: str, second: str) -> bool:
    """True when the two targets name one database: one file (however written), or one PostgreSQL
    connection string (same server, database, user and options)."""
    if is_postgres_url(first) != is_postgres_url(second):
        return False
    if is_postgres_url(first):
        try:
            from psycopg.conninfo import conninfo_to_dict

            return conninfo_to_dict(first) == conninfo_to_dict(second)
        except Exception:  # psycopg missing or a URL it cannot parse: opening will say so
            return first == second
    one, other = Path(first), Path(second)
    if one.exists() and other.exists():
        return one.samefile(other)
    return one.resolve() == other.resolve()


def copy_database(
    source: Database, target: Database, *, batch_size: int = BATCH_SIZE, progress: Progress | None = None
) -> CopyReport:
    """Copy every table of ``source`` into the empty ``target`` in one transaction.

    Raises :class:`TargetNotEmptyError` when the target holds rows, :class:`CopyError` when the source
    has a table or column this Warden does not know, and the backend's own error when a statement
    fails midway; in every case the target is left as it was.
    """
    tables = schema_tables()
    copied: dict[str, int] = {}
    with _snapshot(source) as reader:
        layout = _check_layout(source, reader, tables)
        totals = {table.name: int(reader.scalar(f"SELECT count(*) FROM {table.name}")) for table in tables}
        with target.transaction() as db:
            _refuse_rows(target, db, tables)
            for table in tables:
                done = 0
                if progress is not None:
                    progress(table.name, done, totals[table.name])
                columns = ", ".join(table.columns)
                order = table.order_by(layout[table.name], postgres=source.dialect.postgres)
                for batch in reader.batches(
                    f"SELECT {columns} FROM {table.name} ORDER BY {order}", batch_size
                ):
                    _write_batch(target, db, table, batch)
                    done += len(batch)
                    if progress is not None:
                        progress(table.name, done, totals[table.name])
                copied[table.name] = done
                log.info("copied table", extra={"table": table.name, "rows": done})
            if target.dialect.postgres:
                _restore_derived(db)
    return CopyReport(copied)


# -- reading the source ---------------------------------------------------------------------------------


class _Reader:
    """Statements on the source's snapshot connection."""

    def __init__(self, connection: Any, *, postgres: bool) -> None:
        self._conn = connection
        self._postgres = postgres

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """All rows of a small query."""
        return list(self._conn.execute(sql).fetchall())

    def scalar(self, sql: str) -> Any:
        """The first column of the first row."""
        return self._conn.execute(sql).fetchone()[0]

    def batches(self, sql: str, size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of ``sql``, ``size`` at a time, never all in memory (a server-side cursor on
        PostgreSQL; SQLite steps its statement as rows are fetched)."""
        if self._postgres:
            with self._conn.cursor(name="warden_copy") as cursor:
                cursor.itersize = size
                cursor.execute(sql)
                while batch := cursor.fetchmany(size):
                    yield batch
            return
        cursor = self._conn.execute(sql)
        try:
            while batch := cursor.fetchmany(size):
                yield batch
        finally:
            cursor.close()


@contextlib.contextmanager
def _snapshot(database: Database) -> Iterator[_Reader]:
    """A reader that sees ``database`` as of one moment (one read-only transaction)."""
    if database.dialect.postgres:
        with _postgres(database).connection_raw() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield _Reader(conn, postgres=True)
        return
    with database.connection() as db:
        conn = db.conn
        conn.execute("BEGIN")  # deferred: a read snapshot, no write lock on a file the bot may use
        try:
            yield _Reader(conn, postgres=False)
        finally:
            conn.execute("ROLLBACK")


def _check_layout(source: Database, reader: _Reader, tables: Sequence[TableSpec]) -> dict[str, set[str]]:
    """The source's columns by table; refuses a source with a table or column that the copy would
    leave behind."""
    if source.dialect.postgres:
        found = reader.rows(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
        )
    else:
        names = [
            str(row[1])
            for row in reader.rows("PRAGMA table_list")
            if row[0] == "main" and row[2] == "table" and not str(row[1]).startswith("sqlite_")
        ]
        found = [(name, row[1]) for name in names for row in reader.rows(f"PRAGMA table_info({name})")]
    layout: dict[str, set[str]] = {}
    for table, column in found:
        layout.setdefault(str(table), set()).add(str(column))
    known = {table.name: table for table in tables}
    unknown = sorted(set(layout) - set(known) - DERIVED_TABLES)
    if unknown:
        raise CopyError(f"{source.path} has tables this Warden does not copy: {', '.join(unknown)}")
    for name, table in known.items():
        extra = layout.get(name, set()) - set(table.columns) - DERIVED_COLUMNS.get(name, frozenset())
        missing = set(table.columns) - layout.get(name, set())
        if extra or missing:
            odd = ", ".join(sorted(extra | missing))
            raise CopyError(f"{source.path}: table {name} does not have this Warden's columns ({odd})")
    return layout


# -- writing the target ---------------------------------------------------------------------------------


def _refuse_rows(target: Database, db: Any, tables: Sequence[TableSpec]) -> None:
    """Raise :class:`TargetNotEmptyError` when any table of ``target`` holds a row."""
    names = [table.name for table in tables]
    if target.dialect.postgres:
        names.append("case_counters")
    full = [name for name in names if db.execute(f"SELECT EXISTS (SELECT 1 FROM {name})").fetchone()[0]]
    if full:
        raise TargetNotEmptyError(target.path, full)


def _write_batch(target: Database, db: Any, table: TableSpec, rows: list[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (in ``table.columns`` order) inside the target's transaction."""
    columns = ", ".join(table.columns)
    if not target.dialect.postgres:
        marks = ", ".join("?" for _ in table.columns)
        db.conn.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
        return
    with (
        _postgres(target).connection_raw() as conn,
        conn.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([postgres_text(value) for value in row])
    if table.name == "sources":
        from bot.sources.store import SourceLibrary

        library = SourceLibrary(db)
        at = {name: index for index, name in enumerate(table.columns)}
        for row in rows:
            library.index_text(row[at["id"]], row[at["title"]], row[at["claim_reviewed"]], row[at["text"]])


def _postgres(database: Database) -> PostgresDatabase:
    """``database`` as the PostgreSQL backend, for its raw connection (imported here: SQLite-only
    deployments have no psycopg)."""
    from bot.storage.postgres import PostgresDatabase

    assert isinstance(database, PostgresDatabase)
    return database


def _restore_derived(db: Any) -> None:
    """On PostgreSQL: every identity continues after its column's largest value, and each server's
    case counter holds its largest case number (the next case is that plus one, no gap)."""
    identities = db.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1, 2"
    ).fetchall()
    for table, column in identities:
        next_value = f"coalesce(max({column}), 0) + 1"
        db.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), {next_value}, false) FROM {table}", [table, column]
        )
    db.execute(
        "INSERT INTO case_counters (guild_id, last_number) "
        "SELECT guild_id, max(case_number) FROM cases GROUP BY guild_id "
        "ON CONFLICT (guild_id) DO UPDATE SET last_number = excluded.last_number"
    )
