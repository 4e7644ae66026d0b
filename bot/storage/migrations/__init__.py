"""Versioned schema migrations.

Each module in this package named ``vNNNN_<what>.py`` defines ``VERSION`` (the integer NNNN) and
``upgrade(db: sqlite_utils.Database) -> None``. On open, every migration newer than the database's
``PRAGMA user_version`` runs in order, each inside its own transaction together with the version bump,
so a crash mid-migration leaves the previous version intact. Never edit a released migration: add one.

Reserved numbers: 0001 core tables (settings, scores, cases, queue), 0002 sources (context feature),
0003+ whatever comes next.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from types import ModuleType

import sqlite_utils

log = logging.getLogger(__name__)


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


def current_version(db: sqlite_utils.Database) -> int:
    """The schema version stored in the database file."""
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(db: sqlite_utils.Database, target: int | None = None) -> int:
    """Bring ``db`` up to ``target`` (default: newest) and return the version it is at."""
    version = current_version(db)
    for module in discover():
        if version >= module.VERSION or (target is not None and target < module.VERSION):
            continue
        log.info("migrating database", extra={"from_version": version, "to_version": module.VERSION})
        with db.atomic():
            module.upgrade(db)
            # PRAGMA user_version is transactional in SQLite, so it commits with the migration.
            db.execute(f"PRAGMA user_version = {int(module.VERSION)}")
        version = module.VERSION
    return version
