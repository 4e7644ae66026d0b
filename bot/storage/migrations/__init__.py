"""Versioned schema migrations.

Each module in this package named ``vNNNN_<what>.py`` defines ``VERSION`` (the integer NNNN) and
``upgrade(db: sqlite_utils.Database) -> None``. On open, every migration newer than the database's
``PRAGMA user_version`` runs in order, each inside its own transaction together with the version bump,
so a crash mid-migration leaves the previous version intact. Never edit a released migration: add one.

Several processes may open one new file at once: each step starts with ``BEGIN IMMEDIATE`` (the write
lock first, waited for under the connection's busy timeout) and reads the version inside that
transaction, so exactly one process runs a migration and the others find it done. A file whose version
is newer than the newest migration here is refused (:class:`~bot.storage.errors.SchemaTooNewError`).

PostgreSQL (:mod:`bot.storage.postgres`) runs the same numbered steps: each module also defines
``upgrade_postgres(db)`` creating the same tables in PostgreSQL's SQL. The version lives in the
one-row table ``warden_schema``; each step is one transaction that first takes an advisory lock (per
schema), so processes opening a new database at once migrate it exactly once.

Reserved numbers: 0001 core tables (settings, scores, cases, queue), 0002 sources (context feature),
0003+ whatever comes next.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from types import ModuleType
from typing import TYPE_CHECKING

import sqlite_utils

from bot.storage.errors import SchemaTooNewError

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresDatabase, Session

log = logging.getLogger(__name__)

_PG_MIGRATION_LOCK = "warden-migrations"


def discover() -> list[ModuleType]:
    """All migration modules of this package, sorted by VERSION; duplicate versions are an error."""
    modules: list[ModuleType] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("v") and info.name[1:5].isdigit():
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    modules.sort(key=lambda module: module.VERSION)
    versions = [module.VERSION for module in modules]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions: {versions}")
    return modules


def supported_version() -> int:
    """The newest schema version this code knows (0 when there are no migrations)."""
    return max((module.VERSION for module in discover()), default=0)


def current_version(db: sqlite_utils.Database) -> int:
    """The schema version stored in the database file."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _database_name(db: sqlite_utils.Database) -> str:
    row = db.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else ":memory:"


def apply_migrations(db: sqlite_utils.Database, target: int | None = None) -> int:
    """Bring ``db`` up to ``target`` (default: newest) and return the version it is at.

    Raises :class:`SchemaTooNewError` when the file was written by a newer Warden. Must be called
    outside a transaction: each step is its own ``BEGIN IMMEDIATE`` ... ``COMMIT``.
    """
    modules = discover()
    newest = max((module.VERSION for module in modules), default=0)
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = current_version(db)
            if version > newest:
                raise SchemaTooNewError(_database_name(db), version, newest)
            pending = [
                module
                for module in modules
                if version < module.VERSION and (target is None or target >= module.VERSION)
            ]
            if not pending:
                db.execute("COMMIT")
                return version
            module = pending[0]
            log.info("migrating database", extra={"from_version": version, "to_version": module.VERSION})
            module.upgrade(db)
            # PRAGMA user_version is transactional in SQLite, so it commits with the migration.
            db.execute(f"PRAGMA user_version = {int(module.VERSION)}")
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.conn.rollback()
            raise


def postgres_version(db: Session) -> int:
    """The schema version of the PostgreSQL schema behind ``db`` (0: none yet)."""
    exists = db.execute("SELECT to_regclass('warden_schema') IS NOT NULL").fetchone()
    if not (exists and exists[0]):
        return 0
    row = db.execute("SELECT version FROM warden_schema WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def apply_postgres_migrations(database: PostgresDatabase, target: int | None = None) -> int:
    """Bring the PostgreSQL schema up to ``target`` (default: newest) and return its version.

    Raises :class:`SchemaTooNewError` when a newer Warden wrote it. Each step is one transaction that
    holds the migration advisory lock, reads the version and runs the step with its version bump.
    """
    modules = discover()
    newest = max((module.VERSION for module in modules), default=0)
    while True:
        with database.transaction() as db:
            database.lock(db, _PG_MIGRATION_LOCK, 0)
            version = postgres_version(db)
            if version > newest:
                raise SchemaTooNewError(database.path, version, newest)
            pending = [
                module
                for module in modules
                if version < module.VERSION and (target is None or target >= module.VERSION)
            ]
            if not pending:
                return version
            module = pending[0]
            log.info(
                "migrating PostgreSQL schema", extra={"from_version": version, "to_version": module.VERSION}
            )
            module.upgrade_postgres(db)
            db.execute(
                "CREATE TABLE IF NOT EXISTS warden_schema (id INTEGER PRIMARY KEY CHECK (id = 1), "
                "version INTEGER NOT NULL)"
            )
            db.execute(
                "INSERT INTO warden_schema (id, version) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                [module.VERSION],
            )
