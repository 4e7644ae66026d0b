"""Record a replay in a Warden database as the bot would have: scores, decisions, cases, queue entries.

The replay decided every message through the moderation use case on a store of its own (so a file
that already holds a run does not change the decisions); this stores each decision in the Warden
database with the use case's own recording step (:func:`bot.moderation.use_case.record_decision`): its
score row, the automatic case of a ``warn``/``delete``/``timeout`` and the queue entry of a
``queue``/``delete``/``timeout``, at the message's own time, so ``warden report`` and ``warden tune``
read a past thread like a server's history.
Timeouts end on their own: before each message, the cases due by its time expire (the bot's scheduler).

A thread has no Discord ids, so they are made up, the same way every time: a message's id is a
snowflake of its time and line (recording the same file again updates the same rows), an author or
channel given as a name gets a stable id derived from the name, and a numeric one is kept. The whole
run is one transaction: a run that fails records nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.moderation.message import MessageInput
from bot.moderation.use_case import decision_event, record_decision
from bot.policy.settings import PolicySettings
from bot.replay.engine import ReplayResult, ReplayRow, channel_id
from bot.storage.cases import CaseRepository
from bot.storage.database import Database
from bot.storage.decisions import DecisionRepository

REPLAY_GUILD_ID = 1
"""The server a replay is recorded under unless ``--guild`` names one."""
DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
MAX_ID = 2**63 - 1
"""SQLite integers are signed 64-bit: every made-up id stays below this."""


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """What a recorded replay stored: messages, automatic cases and queue entries opened."""

    guild_id: int
    messages: int
    cases: int
    queue_entries: int


def name_id(kind: str, name: str) -> int:
    """A stable id for a named author or channel (a numeric name in range is its own id)."""
    if name.isascii() and name.isdigit() and 0 < int(name) <= MAX_ID:
        return int(name)
    digest = hashlib.sha256(f"{kind}:{name}".encode()).digest()
    return int.from_bytes(digest[:7], "big") | 1  # 56 bits, never 0


def message_id(row: ReplayRow, tag: int) -> int:
    """A snowflake for ``row``: its time (ms since Discord's epoch, 0 before it) over ``tag`` (10 bits,
    the file) and the line (12 bits)."""
    millis = max(0, int((row.at - DISCORD_EPOCH).total_seconds() * 1000))
    return min(MAX_ID, (millis << 22) | ((tag & 0x3FF) << 12) | (row.line & 0xFFF))


def _author_id(row: ReplayRow) -> int:
    # a plain-text thread has no authors: each line is its own, as in the replay
    return name_id("author", row.author if row.author is not None else f"line-{row.line}")


def _channel_id(row: ReplayRow) -> int:
    return channel_id(row.channel) or name_id("channel", row.channel or "replay")


def record_replay(
    database: Database,
    result: ReplayResult,
    policy: PolicySettings,
    *,
    source: str,
    guild_id: int = REPLAY_GUILD_ID,
) -> RecordedRun:
    """Store every row of ``result`` (blocking; one transaction). ``source`` names the thread file."""
    decisions = DecisionRepository(database)
    cases = CaseRepository(database)
    tag = int.from_bytes(hashlib.sha256(source.encode()).digest()[:2], "big")
    opened_cases = opened_entries = 0
    with database.transaction():
        for row in sorted(result.rows, key=lambda row: (row.at, row.line)):
            cases.expire_due(row.at)
            message = MessageInput(
                guild_id=guild_id,
                channel_id=_channel_id(row),
                policy_channel_id=channel_id(row.channel),
                message_id=message_id(row, tag),
                author_id=_author_id(row),
                content=row.content,
                created_at=row.at,
            )
            event = decision_event(
                message,
                row.scores,
                row.decision,
                row.evidence,
                model_version=result.model_version,
                backend=result.backend,
            )
            recorded = record_decision(
                decisions,
                event,
                message,
                row.scores,
                row.decision,
                policy,
                now=row.at,
                opens_case=True,
                opens_entry=True,
            )
            opened_cases += recorded.case is not None
            opened_entries += recorded.queue_created
    return RecordedRun(guild_id, len(result.rows), opened_cases, opened_entries)
