"""The few places where SQLite's and PostgreSQL's SQL differ, behind one small object per backend.

Repositories write one SQL text for both backends: ``?`` placeholders (rewritten to ``%s`` on
PostgreSQL by :func:`to_pyformat`), ``INSERT ... ON CONFLICT ... DO NOTHING/UPDATE`` and ``RETURNING``
(both backends have them), times as fixed-width ISO 8601 UTC text (``bot.storage._common``, compared as
text: PostgreSQL's text columns use the byte-order "C" collation, like SQLite's BINARY), booleans as
INTEGER 0/1 and JSON as TEXT. What remains is here: JSON array expansion, the two-argument maximum,
the integrity error types, and :meth:`Dialect.lock`, the lock a read-then-write takes on PostgreSQL
(SQLite's ``BEGIN IMMEDIATE`` already serialises every writer of the file).
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Dialect:
    """SQL fragments and behaviour of one backend (``sqlite`` or ``postgresql``)."""

    name: str
    integrity_errors: tuple[type[Exception], ...]
    """A constraint refused the statement (unique, check, the append-only triggers)."""
    errors: tuple[type[BaseException], ...]
    """Any database error."""

    @property
    def postgres(self) -> bool:
        """True on PostgreSQL."""
        return self.name == "postgresql"

    def json_each(self, column: str, alias: str = "j") -> str:
        """A FROM item expanding the JSON text array ``column`` into rows with one column ``value``."""
        if self.postgres:
            return f"jsonb_array_elements_text({column}::jsonb) AS {alias}(value)"
        return f"json_each({column}) AS {alias}"

    def greatest(self, left: str, right: str) -> str:
        """The larger of two expressions."""
        return f"greatest({left}, {right})" if self.postgres else f"max({left}, {right})"

    def lock(self, db: Any, namespace: str, key: int) -> None:
        """Inside a transaction: wait for, then hold until commit, the lock on ``(namespace, key)``.

        For a read-then-write that no constraint covers (one appeal per case, a settings patch). On
        PostgreSQL a transaction-scoped advisory lock (scoped to the current schema); on SQLite nothing:
        the transaction's ``BEGIN IMMEDIATE`` already holds the whole file's write lock.
        """
        if self.postgres:
            db.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || ? || ':' || ?, 0))",
                [namespace, str(key)],
            )


SQLITE = Dialect("sqlite", (sqlite3.IntegrityError,), (sqlite3.Error,))


@functools.cache
def postgres_dialect() -> Dialect:
    """The PostgreSQL dialect (psycopg imported on first use: SQLite deployments never need it)."""
    import psycopg

    return Dialect("postgresql", (psycopg.errors.IntegrityError,), (psycopg.Error,))


def dialect_of(db: Any) -> Dialect:
    """The dialect of a raw database handle (``database.db``): the PostgreSQL session says so, and
    anything else is sqlite-utils."""
    dialect = getattr(db, "dialect", None)
    return dialect if isinstance(dialect, Dialect) else SQLITE


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` (and literal ``%`` doubled).

    A ``?`` inside a quoted literal or identifier is kept as it is.
    """
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def postgres_text(value: Any) -> Any:
    """``value`` as PostgreSQL can store it: text columns refuse the NUL character (SQLite keeps it), so
    a NUL in a member's text becomes U+FFFD instead of failing the whole write; other values pass."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value
