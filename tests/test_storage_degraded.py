"""``message_scores.degraded`` (migration 0004): a degraded decision is stored marked, and the full
model's re-score of the message updates the same row and clears the mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from bot.policy import evaluate, load_default_policy
from bot.policy.degraded import evaluate_degraded
from bot.scoring.base import Scores
from bot.storage import Database, ScoreRecord, ScoreRepository
from bot.storage._common import to_db_time
from bot.storage.migrations import apply_migrations

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _record(repo: ScoreRepository, scores: Scores, *, degraded: bool, now: datetime) -> ScoreRecord:
    policy = load_default_policy()
    decide = evaluate_degraded if degraded else evaluate
    return repo.record(
        guild_id=1,
        channel_id=2,
        message_id=10,
        author_id=3,
        scores=scores,
        decision=decide(scores, policy, now=now),
        model_version="embedded-2",
        backend="embedded",
        created_at=NOW,
        now=now,
    )


def test_a_degraded_row_is_marked_until_the_full_model_scores_it_again(database: Database) -> None:
    repo = ScoreRepository(database)
    first = _record(repo, Scores(insult=0.99), degraded=True, now=NOW)
    assert first.degraded is True
    assert first.reason.startswith("degraded")
    again = _record(repo, Scores(insult=0.5), degraded=False, now=NOW + timedelta(seconds=30))
    assert again.degraded is False
    stored = repo.get(10)
    assert stored is not None and not stored.degraded
    assert stored.created_at == NOW and stored.scored_at == NOW + timedelta(seconds=30)
    with database.connection() as db:
        rows = db.execute("SELECT count(*) FROM message_scores WHERE message_id = 10").fetchone()[0]
        flagged = db.execute("SELECT count(*) FROM message_scores WHERE degraded = 1").fetchone()[0]
    assert (rows, flagged) == (1, 0)  # one row per message, updated in place


def test_rows_from_before_the_migration_read_as_full_model_decisions(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    old = sqlite_utils.Database(path)
    apply_migrations(old, target=3)
    old.execute(
        "INSERT INTO message_scores (message_id, guild_id, channel_id, author_id, created_at, scored_at, "
        "toxicity, severe_toxicity, obscene, threat, insult, identity_attack, model_version, backend, "
        "action) VALUES (10, 1, 2, 3, ?, ?, 0, 0, 0, 0, 0.9, 0, 'embedded-1.1', 'embedded', 'warn')",
        [to_db_time(NOW), to_db_time(NOW)],
    )
    old.conn.commit()
    old.close()
    database = Database(path)  # migrates to the newest version
    try:
        stored = ScoreRepository(database).get(10)
    finally:
        database.close()
    assert stored is not None and stored.degraded is False and stored.scores.insult == 0.9
