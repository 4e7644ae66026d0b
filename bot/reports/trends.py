"""A server's trends over its last days, read from the database: what an admin looks at to judge whether
Warden is too strict or too lax there.

Days are UTC and follow the bot's own clock: a decision counts on the day it was scored
(``scored_at``; a replay recorded with ``--db`` scores each message at its own time).

Per UTC day: the decisions by action (any action but ``none``), the moderators' verdicts on queue
entries (approved = a false positive, anything else confirmed) and the queue's median time from entry to
resolution; over the whole window: the labels fired, the channels with most actions and the share of
verdicts that were false positives. Blocking (SQL): call it through :meth:`Database.run`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.policy.decision import Action
from bot.scoring.base import LABELS
from bot.storage._common import from_db_time, rows, to_db_time
from bot.storage.database import Database

TOP_CHANNELS = 5
"""Channels listed at most."""
ACTIONS: tuple[str, ...] = tuple(action.value for action in Action if action is not Action.NONE)
"""The actions counted (``none`` is no decision worth charting)."""


@dataclass(frozen=True, slots=True)
class Trends:
    """One server's numbers over ``days`` (UTC dates, oldest first, every day of the window)."""

    guild_id: int
    days: tuple[date, ...]
    decisions: dict[str, list[int]]
    """Per action, the number of decisions on each day of ``days``."""
    labels: dict[str, int]
    """How often each label fired (decisions with an action), in detoxify's label order."""
    resolution_hours: list[float | None]
    """Per day, the median hours from queue entry to resolution of the entries resolved that day."""
    median_resolution_hours: float | None
    resolved: int
    channels: list[tuple[int, int]]
    """``(channel_id, decisions)``, most first, at most :data:`TOP_CHANNELS`."""
    approved: list[int]
    """Per day, queue entries the moderators approved (false positives)."""
    verdicts: list[int]
    """Per day, queue entries the moderators decided (approved or confirmed)."""
    scored: int = 0
    """Messages scored in the window (any decision)."""

    @property
    def acted(self) -> int:
        """Decisions with an action in the window."""
        return sum(sum(counts) for counts in self.decisions.values())

    @property
    def false_positive_share(self) -> float | None:
        """Approved / decided over the window (``None`` before the first verdict)."""
        decided = sum(self.verdicts)
        return sum(self.approved) / decided if decided else None

    @property
    def empty(self) -> bool:
        """Nothing scored and nothing resolved in the window."""
        return self.scored == 0 and self.resolved == 0 and sum(self.verdicts) == 0


def window(end: datetime, days: int) -> tuple[datetime, tuple[date, ...]]:
    """The first moment and the UTC dates of the ``days`` days ending with ``end``'s day."""
    if days < 1:
        raise ValueError("days must be at least 1")
    last = end.astimezone(UTC).date()
    dates = tuple(last - timedelta(days=offset) for offset in range(days - 1, -1, -1))
    return datetime.combine(dates[0], time.min, tzinfo=UTC), dates


def guilds(database: Database) -> list[int]:
    """The servers with scored messages or queue entries in the database."""
    with database.connection() as db:
        found = rows(
            db, "SELECT guild_id FROM message_scores UNION SELECT guild_id FROM queue_entries ORDER BY 1"
        )
    return [int(row["guild_id"]) for row in found]


def latest_activity(database: Database, guild_id: int) -> datetime | None:
    """The last message scored or entry resolved in ``guild_id`` (``None``: nothing yet)."""
    with database.connection() as db:
        found = db.execute(
            "SELECT max(t) FROM (SELECT max(scored_at) AS t FROM message_scores WHERE guild_id = ? "
            "UNION ALL SELECT max(resolved_at) FROM queue_entries WHERE guild_id = ?) AS activity",
            [guild_id, guild_id],
        ).fetchone()[0]
    return from_db_time(found)


def build_trends(database: Database, guild_id: int, *, days: int, end: datetime) -> Trends:
    """The trends of ``guild_id`` over the ``days`` UTC days ending with ``end``'s day."""
    start, dates = window(end, days)
    stop = datetime.combine(dates[-1] + timedelta(days=1), time.min, tzinfo=UTC)
    span = [guild_id, to_db_time(start), to_db_time(stop)]
    index = {day.isoformat(): position for position, day in enumerate(dates)}
    with database.connection() as db:
        scored = db.execute(
            "SELECT count(*) FROM message_scores WHERE guild_id = ? AND scored_at >= ? AND scored_at < ?",
            span,
        ).fetchone()[0]
        decided = rows(
            db,
            "SELECT substr(scored_at, 1, 10) AS day, action, count(*) AS n FROM message_scores "
            "WHERE guild_id = ? AND scored_at >= ? AND scored_at < ? AND action != 'none' "
            "GROUP BY day, action",
            span,
        )
        fired = rows(
            db,
            "SELECT j.value AS label, count(*) AS n "
            f"FROM message_scores, {database.dialect.json_each('message_scores.labels')} "
            "WHERE guild_id = ? AND scored_at >= ? AND scored_at < ? AND action != 'none' GROUP BY j.value",
            span,
        )
        channels = rows(
            db,
            "SELECT channel_id, count(*) AS n FROM message_scores "
            "WHERE guild_id = ? AND scored_at >= ? AND scored_at < ? AND action != 'none' "
            "GROUP BY channel_id ORDER BY n DESC, channel_id LIMIT ?",
            [*span, TOP_CHANNELS],
        )
        resolved = rows(
            db,
            "SELECT created_at, resolved_at FROM queue_entries "
            "WHERE guild_id = ? AND resolved_at >= ? AND resolved_at < ? AND source != 'appeal'",
            span,
        )
        verdicts = rows(
            db,
            "SELECT substr(created_at, 1, 10) AS day, verdict, count(*) AS n FROM feedback "
            "WHERE guild_id = ? AND created_at >= ? AND created_at < ? GROUP BY day, verdict",
            span,
        )
    decisions = {action: [0] * len(dates) for action in ACTIONS}
    for row in decided:
        if row["action"] in decisions and row["day"] in index:
            decisions[row["action"]][index[row["day"]]] += int(row["n"])
    label_counts = Counter({str(row["label"]): int(row["n"]) for row in fired})
    hours_by_day: dict[int, list[float]] = defaultdict(list)
    every: list[float] = []
    for row in resolved:
        opened, closed = from_db_time(row["created_at"]), from_db_time(row["resolved_at"])
        if opened is None or closed is None:
            continue
        hours = max(0.0, (closed - opened).total_seconds() / 3600)
        every.append(hours)
        hours_by_day[index.get(closed.date().isoformat(), -1)].append(hours)
    approved, decided_per_day = [0] * len(dates), [0] * len(dates)
    for row in verdicts:
        position = index.get(row["day"])
        if position is None:
            continue
        decided_per_day[position] += int(row["n"])
        if row["verdict"] == "false_positive":
            approved[position] += int(row["n"])
    return Trends(
        guild_id=guild_id,
        days=dates,
        decisions=decisions,
        labels={label: label_counts[label] for label in LABELS if label_counts[label]},
        resolution_hours=[
            statistics.median(hours_by_day[i]) if hours_by_day.get(i) else None for i in range(len(dates))
        ],
        median_resolution_hours=statistics.median(every) if every else None,
        resolved=len(every),
        channels=[(int(row["channel_id"]), int(row["n"])) for row in channels],
        approved=approved,
        verdicts=decided_per_day,
        scored=int(scored),
    )


def summary(trends: Trends) -> str:
    """One sentence of the window's totals (the CLI's output, the ``/warden report`` reply)."""
    share = trends.false_positive_share
    verdicts = sum(trends.verdicts)
    text = (
        f"{trends.days[0].isoformat()} to {trends.days[-1].isoformat()}: {trends.scored} messages scored, "
        f"{trends.acted} with an action, {verdicts} queue verdict{'s' if verdicts != 1 else ''}"
    )
    if share is not None:
        text += f" ({share:.0%} approved as false positives)"
    if trends.median_resolution_hours is not None:
        text += f", median {trends.median_resolution_hours:.1f} h to resolve"
    return text + "."
