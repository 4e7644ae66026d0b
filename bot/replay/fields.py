"""Validation of one JSONL thread line's fields: each check returns the clean value or raises
:class:`FieldError` with a short reason, so the reader can name the line and skip it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_NAME_CHARS = 100
"""Longest ``author`` or ``channel`` name (Discord's channel names stop at 100 characters)."""
MAX_SNOWFLAKE = 2**64 - 1
"""Discord ids are unsigned 64-bit integers."""
EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIMESTAMP = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)
"""A replayed timestamp must fall in these years: the escalation windows (up to a year back) and
everything else the policy computes around a message stay inside the calendar."""


class FieldError(ValueError):
    """One field of a line is unusable; ``str()`` is the short reason, without the line number."""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def parse_author(value: Any) -> str | None:
    """``author``: a name (non-blank, printable, at most 100 characters) or a numeric id."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f'has an "author" that is neither a name nor an id ({_shown(value)})')
    return _name("author", str(value))


def parse_channel(value: Any) -> str | None:
    """``channel``: a Discord channel id (ASCII digits, or a JSON integer) or a channel name.

    A string of digits other than 0-9 (``"²"``, ``"٣"``) is neither: it is refused rather than guessed.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f'has a "channel" that is neither an id nor a name ({_shown(value)})')
    text = str(value).strip()
    if text.isascii() and text.isdigit():
        if not 0 < int(text) <= MAX_SNOWFLAKE:
            raise FieldError(f'has a "channel" id out of range ({_shown(value)})')
        return text
    if text.lstrip("-").isdigit():  # "²", "٣", "-5": digits, but not an id
        raise FieldError(f'has a "channel" that is not an ASCII-decimal id ({_shown(value)})')
    return _name("channel", text)


def _name(field: str, text: str) -> str:
    if not text.strip():
        raise FieldError(f'has an empty "{field}"')
    if len(text) > MAX_NAME_CHARS:
        raise FieldError(f'has a "{field}" longer than {MAX_NAME_CHARS} characters')
    if not text.isprintable():
        raise FieldError(f'has a "{field}" with control characters ({_shown(text)})')
    return text


def parse_timestamp(value: Any) -> datetime | None:
    """``timestamp``: an ISO 8601 string (``Z`` or an offset; none = UTC) between 1970 and 9998,
    returned as an aware UTC datetime."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(f'has a "timestamp" that is not an ISO 8601 string ({_shown(value)})')
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FieldError(f'has a "timestamp" that is not ISO 8601 ({_shown(value)})') from None
    try:
        moment = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:  # year 1 at +01:00 has no UTC equivalent
        moment = None
    if moment is None or not EARLIEST_TIMESTAMP <= moment <= LATEST_TIMESTAMP:
        raise FieldError(
            f'has a "timestamp" outside {EARLIEST_TIMESTAMP.year}-{LATEST_TIMESTAMP.year} ({_shown(value)})'
        )
    return moment
