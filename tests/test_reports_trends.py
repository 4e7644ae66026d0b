"""``warden report``: a server's trends from a real database, drawn as a PNG with matplotlib."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.policy import Action, Decision
from bot.reports.chart import render_png
from bot.reports.trends import build_trends, guilds, latest_activity, window
from bot.scoring.base import Scores
from bot.storage.database import Database
from bot.storage.decisions import DecisionRepository, QueueDraft
from bot.storage.queue import QueueRepository, Resolution

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
runner = CliRunner()


def decide(
    database: Database,
    message_id: int,
    at: datetime,
    action: Action,
    labels: tuple[str, ...] = (),
    *,
    channel: int = 500,
    guild: int = 1,
) -> int | None:
    """Store one decision (queued when the action queues); returns the queue entry id."""
    queued = action in (Action.QUEUE, Action.DELETE, Action.TIMEOUT)
    recorded = DecisionRepository(database).record(
        guild_id=guild,
        channel_id=channel,
        message_id=message_id,
        author_id=9,
        scores=Scores(insult=0.9 if "insult" in labels else 0.0),
        decision=Decision(action=action, labels=labels),
        model_version="m",
        backend="b",
        created_at=at,
        now=at,
        queue=QueueDraft(reason="r", labels=labels) if queued else None,
    )
    return recorded.queue_entry.id if recorded.queue_entry is not None else None


@pytest.fixture
def busy(database: Database) -> Database:
    """Three days of decisions, some queue entries resolved by moderators."""
    queue = QueueRepository(database)
    decide(database, 1, DAY - timedelta(days=2), Action.NONE)
    decide(database, 2, DAY - timedelta(days=2), Action.WARN, ("insult",))
    entry = decide(database, 3, DAY - timedelta(days=1), Action.QUEUE, ("insult", "toxicity"), channel=501)
    assert entry is not None
    queue.resolve(entry, 77, Resolution.APPROVED, now=DAY - timedelta(days=1) + timedelta(hours=2))
    entry = decide(database, 4, DAY, Action.QUEUE, ("threat",), channel=501)
    assert entry is not None
    queue.resolve(entry, 77, Resolution.DELETED, now=DAY + timedelta(hours=4))
    decide(database, 5, DAY, Action.WARN, ("insult",))
    decide(database, 6, DAY - timedelta(days=40), Action.WARN, ("insult",))  # outside a 30-day window
    decide(database, 7, DAY, Action.WARN, ("insult",), guild=2)  # another server
    return database


def test_the_window_ends_with_the_last_day() -> None:
    start, days = window(DAY, 3)
    assert days == (date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10))
    assert start == datetime(2026, 3, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="at least 1"):
        window(DAY, 0)


def test_trends_count_decisions_labels_channels_resolution_and_false_positives(busy: Database) -> None:
    trends = build_trends(busy, 1, days=30, end=DAY)

    assert trends.scored == 5 and trends.acted == 4
    assert sum(trends.decisions["warn"]) == 2 and sum(trends.decisions["queue"]) == 2
    assert trends.decisions["warn"][-1] == 1 and trends.decisions["warn"][-3] == 1
    assert trends.labels == {"toxicity": 1, "threat": 1, "insult": 3}
    assert trends.channels == [(500, 2), (501, 2)]
    assert trends.resolved == 2
    assert trends.median_resolution_hours == pytest.approx(3.0)
    assert trends.resolution_hours[-1] == pytest.approx(4.0) and trends.resolution_hours[-2] == pytest.approx(
        2.0
    )
    assert (sum(trends.approved), sum(trends.verdicts)) == (1, 2)
    assert trends.false_positive_share == pytest.approx(0.5)


def test_servers_and_latest_activity_are_read_from_the_file(busy: Database) -> None:
    assert guilds(busy) == [1, 2]
    assert latest_activity(busy, 1) == DAY + timedelta(hours=4)  # the last resolution
    assert latest_activity(busy, 3) is None


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_chart_is_a_png_with_every_panel(busy: Database) -> None:
    trends = build_trends(busy, 1, days=30, end=DAY)

    image = render_png(trends, title="server 1", channel_names={500: "news"})

    assert png_size(image) == (1300, 950)
    assert len(image) > 30_000


def test_an_empty_window_still_draws(database: Database) -> None:
    trends = build_trends(database, 1, days=7, end=DAY)

    assert trends.empty and trends.false_positive_share is None
    assert png_size(render_png(trends, title="nothing yet")) == (1300, 950)


def test_the_cli_writes_the_chart_and_a_summary(busy: Database, tmp_path: Path) -> None:
    out = tmp_path / "trends.png"
    args = ["report", "--db", busy.target, "--guild", "1", "--days", "7", "--png", str(out)]
    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.stderr
    assert "5 messages scored, 4 with an action, 2 queue verdicts (50% approved" in result.stdout
    assert png_size(out.read_bytes()) == (1300, 950)


def test_the_cli_needs_a_server_when_the_file_holds_several(busy: Database, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--db", busy.target, "--png", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert "pass --guild (one of 1, 2)" in result.stderr


def test_the_cli_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = runner.invoke(app, ["report", "--db", str(missing), "--png", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert "no such database file" in result.stderr
    assert not missing.exists()
