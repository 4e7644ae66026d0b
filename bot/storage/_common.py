"""Small helpers shared by the repositories: timestamps as sortable UTC text, JSON columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.policy.engine import LATEST, as_utc


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def after(moment: datetime, delta: timedelta) -> datetime:
    """``delta`` after ``moment``, clamped to the last moment of the calendar instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        return LATEST


def to_db_time(moment: datetime) -> str:
    """``moment`` as fixed-width ISO 8601 UTC text (naive datetimes are taken to be UTC)."""
    # isoformat, not strftime: strftime's %Y does not pad years before 1000 to four digits
    return as_utc(moment).isoformat(timespec="microseconds")


def maybe_db_time(moment: datetime | None) -> str | None:
    """:func:`to_db_time` that passes ``None`` through."""
    return None if moment is None else to_db_time(moment)


def from_db_time(text: str | None) -> datetime | None:
    """The aware UTC datetime stored as ``text`` (``None`` stays ``None``)."""
    if text is None:
        return None
    return as_utc(datetime.fromisoformat(text))


def need_time(text: str) -> datetime:
    """:func:`from_db_time` for NOT NULL columns."""
    moment = from_db_time(text)
    assert moment is not None
    return moment


def dumps(value: Any) -> str:
    """Compact JSON for a TEXT column."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    """A JSON column's value (``default`` for NULL)."""
    return default if text is None else json.loads(text)


def flag(value: int | None) -> bool | None:
    """An INTEGER 0/1 column as bool (``None`` stays ``None``)."""
    return None if value is None else bool(value)


def rows(db: Any, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """The result of ``sql`` as a list of column-name dicts."""
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
