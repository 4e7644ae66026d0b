"""Log lines that show their facts: the formatter and set-up every Warden process logs through.

Call sites put their facts in ``extra={...}`` (``log.error("stored settings no longer valid",
extra={"guild_id": ..., "error": ...})``); the standard formatter prints none of them.
:class:`FieldsFormatter` appends every attribute a record carries beyond the standard ones, as
``key=value`` after the message (quoted when the value has blanks, quotes or line breaks, so one
record stays one line and a value cannot forge another line).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from typing import IO, Any

__all__ = ["BOT_FORMAT", "CLI_FORMAT", "FieldsFormatter", "configure_logging", "record_fields"]

BOT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
"""The bot's log line (``python -m bot``)."""

CLI_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""The ``warden`` command line's log line."""

STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
"""What every record has; anything else came from ``extra``."""


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's structured fields: the attributes ``extra`` gave it, in the order given."""
    return {key: value for key, value in record.__dict__.items() if key not in STANDARD_ATTRIBUTES}


def _shown(value: object) -> str:
    text = str(value)
    if not text or any(char.isspace() or char in "\"'=" for char in text):
        return json.dumps(text, ensure_ascii=False)
    return text


def format_fields(fields: Mapping[str, object]) -> str:
    """``key=value`` pairs, space-separated (``""`` when there are none)."""
    return " ".join(f"{key}={_shown(value)}" for key, value in fields.items())


class FieldsFormatter(logging.Formatter):
    """A :class:`logging.Formatter` that appends the record's ``extra`` fields to the message line
    (before a traceback, which stays on the lines below)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        fields = format_fields(record_fields(record))
        return f"{line} {fields}" if fields else line


def configure_logging(level: int | str, *, fmt: str = BOT_FORMAT, stream: IO[str] | None = None) -> None:
    """Log to ``stream`` (stderr) at ``level`` through a :class:`FieldsFormatter` (a no-op when the root
    logger has handlers already, like :func:`logging.basicConfig`)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(FieldsFormatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])
