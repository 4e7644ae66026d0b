"""Warden's storage: one SQLite database (sqlite-utils), versioned migrations, plain sync repositories.

Only this package imports sqlite-utils. Repositories take a :class:`Database`; async callers run their
methods on the database thread with ``await database.run(repo.method, ...)``.
"""

from bot.storage.cases import Case, CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.errors import (
    ConflictError,
    DatabaseUnavailableError,
    NotFoundError,
    SchemaTooNewError,
    StateError,
    StorageError,
)
from bot.storage.queue import QueueEntry, QueueRepository, QueueSource, QueueStats, QueueStatus, Resolution
from bot.storage.scores import ScoreRecord, ScoreRepository, ScoreStats
from bot.storage.settings import SettingsRepository

__all__ = [
    "Case",
    "CaseRepository",
    "CaseType",
    "ConflictError",
    "Database",
    "DatabaseUnavailableError",
    "NotFoundError",
    "QueueEntry",
    "QueueRepository",
    "QueueSource",
    "QueueStats",
    "QueueStatus",
    "Resolution",
    "SchemaTooNewError",
    "ScoreRecord",
    "ScoreRepository",
    "ScoreStats",
    "SettingsRepository",
    "StateError",
    "StorageError",
]
