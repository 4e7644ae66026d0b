"""Read a thread file for the replay: plain text (one message a line) or JSONL.

Plain text: every non-blank line is a message; the file has no authors, so each line counts as its own
anonymous author and the escalation ladder never applies. JSONL: one object a line with ``content``
(required), ``author`` (recommended: escalation is per author), optional ``channel`` (a Discord
channel id in ASCII digits, or a name) and ``timestamp`` (ISO 8601, years 1970-9998; see
:mod:`bot.replay.fields`). Bad lines are reported with their line number and a short reason and
skipped; the rest is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.replay.fields import FieldError, parse_author, parse_channel, parse_timestamp

MAX_MESSAGE_CHARS = 20_000
"""Longest line the replay scores. Discord's own limit is 4,000 characters (Nitro); longer is bad input."""

_SNIFF_BYTES = 8192


class ThreadReadError(Exception):
    """The file as a whole cannot be replayed (missing, unreadable, binary, empty)."""


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of the thread, with the 1-based line it came from."""

    line: int
    content: str
    author: str | None = None
    channel: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    """A line that could not be read; the replay goes on without it."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What was read: the messages in order and the lines that were skipped."""

    messages: list[ThreadMessage]
    errors: list[LineError]
    format: str


def read_thread(path: str | Path) -> ReadResult:
    """Read ``path`` as plain text or JSONL (``.jsonl`` suffix, or a first line that is a JSON object)."""
    file = Path(path)
    if not file.exists():
        raise ThreadReadError(f"{file}: no such file")
    if file.is_dir():
        raise ThreadReadError(f"{file}: is a folder, not a thread file")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ThreadReadError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in raw[:_SNIFF_BYTES]:
        raise ThreadReadError(f"{file}: looks like a binary file, not a text thread")
    text = raw.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise ThreadReadError(f"{file}: is empty: nothing to replay")

    lines = text.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    is_jsonl = file.suffix.lower() in {".jsonl", ".ndjson"} or first.startswith("{")
    messages: list[ThreadMessage] = []
    errors: list[LineError] = []
    parse = _parse_jsonl_line if is_jsonl else _parse_text_line
    for number, line in _numbered(lines):
        if "\ufffd" in line:
            errors.append(LineError(number, "is not valid UTF-8: skipped"))
            continue
        if len(line) > MAX_MESSAGE_CHARS:
            errors.append(
                LineError(number, f"is {len(line):,} characters long (limit {MAX_MESSAGE_CHARS:,}): skipped")
            )
            continue
        result = parse(number, line)
        if isinstance(result, LineError):
            errors.append(result)
        else:
            messages.append(result)
    return ReadResult(messages=messages, errors=errors, format="jsonl" if is_jsonl else "text")


def _numbered(lines: list[str]) -> Iterator[tuple[int, str]]:
    for index, line in enumerate(lines, start=1):
        if line.strip():
            yield index, line


def _parse_text_line(number: int, line: str) -> ThreadMessage:
    return ThreadMessage(line=number, content=line.strip())


def _parse_jsonl_line(number: int, line: str) -> ThreadMessage | LineError:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return LineError(number, f"is not valid JSON ({exc.msg} at column {exc.colno}): skipped")
    except RecursionError:
        return LineError(number, "nests JSON too deeply to read: skipped")
    except ValueError as exc:  # an integer of more than 4,300 digits
        return LineError(number, f"is not usable JSON ({str(exc).split(':')[0]}): skipped")
    if not isinstance(record, dict):
        return LineError(number, "is not a JSON object: skipped")
    content = record.get("content")
    if not isinstance(content, str) or not content.strip():
        return LineError(number, 'has no "content" text: skipped')
    try:
        return ThreadMessage(
            line=number,
            content=content,
            author=parse_author(record.get("author")),
            channel=parse_channel(record.get("channel")),
            timestamp=parse_timestamp(record.get("timestamp")),
        )
    except FieldError as exc:
        return LineError(number, f"{exc}: skipped")
