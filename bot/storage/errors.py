"""Domain errors of the storage layer, with the attributes a cog needs to answer the user."""

from __future__ import annotations

from typing import Any


class StorageError(RuntimeError):
    """Base of the storage layer's domain errors."""


class NotFoundError(StorageError, LookupError):
    """No such record: ``kind`` (``"case"``, ``"queue entry"``) and ``key`` (what was looked up)."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key}")


class ConflictError(StorageError):
    """The database refused a record that would break a rule; ``existing`` is the record in the way."""

    def __init__(self, message: str, existing: Any = None) -> None:
        self.existing = existing
        super().__init__(message)


class StateError(StorageError):
    """A lifecycle step that is not allowed from the record's current state (already resolved,
    already pardoned, claimed by someone else); ``current`` is the record as it is now."""

    def __init__(self, message: str, current: Any = None) -> None:
        self.current = current
        super().__init__(message)


class DatabaseUnavailableError(StorageError):
    """The database file cannot be used: ``path`` and a short ``reason`` (a directory, read-only, no
    such folder, not a database, written by a newer Warden). The message is one line for the user."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot use database {path}: {reason}")


class SchemaTooNewError(DatabaseUnavailableError):
    """The file's schema ``version`` is newer than the ``supported`` one: a newer Warden wrote it, and
    this one would fail on tables it does not know. Refused rather than opened."""

    def __init__(self, path: str, version: int, supported: int) -> None:
        self.version = version
        self.supported = supported
        super().__init__(
            path,
            f"its schema version is {version}, newer than the {supported} this Warden supports "
            "(upgrade Warden, or use another file)",
        )
