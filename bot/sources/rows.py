"""Small helpers the context feature's repositories share: times as stored, one-row inserts and updates
in plain SQL that runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.storage._common import utcnow

__all__ = ["insert_row", "iso", "update_row", "utcnow"]


def iso(ts: datetime) -> str:
    """``ts`` as the context tables store it: ISO 8601 in UTC, to the second."""
    return ts.astimezone(UTC).isoformat(timespec="seconds")


def insert_row(db: Any, table: str, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` and return its new id."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return int(
        db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id", list(row.values())
        ).fetchone()[0]
    )


def update_row(db: Any, table: str, row_id: int, fields: dict[str, Any]) -> None:
    """Set ``fields`` (names from code, never from input) on row ``row_id`` of ``table``."""
    if fields:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*fields.values(), row_id])
