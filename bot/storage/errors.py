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
