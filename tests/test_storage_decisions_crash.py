"""``kill -9`` while decisions are being recorded: the file stays whole and nothing is left half-written.

A writer process (``tests/storage_crash_writer.py``) records decisions the way the scoring cog does and
is SIGKILLed at random moments, several times, on one file. After each kill the file must pass
``PRAGMA integrity_check`` and :func:`broken_invariants`, and open again.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.policy.decision import Action, Decision
from bot.scoring.base import Scores
from bot.storage import CaseRepository, Database, QueueRepository, ScoreRepository

REPO_ROOT = Path(__file__).resolve().parents[1]
KILLS = 6

INVARIANTS: dict[str, str] = {
    "automatic case without its score row": """
        SELECT c.guild_id, c.case_number FROM cases c
        WHERE c.auto = 1 AND c.message_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM message_scores s
            WHERE s.message_id = c.message_id AND s.guild_id = c.guild_id AND s.author_id = c.user_id)
    """,
    "acted-on decision without its automatic case": """
        SELECT s.message_id FROM message_scores s
        WHERE s.dry_run = 0 AND s.action IN ('warn', 'delete', 'timeout') AND NOT EXISTS (
            SELECT 1 FROM cases c
            WHERE c.auto = 1 AND c.guild_id = s.guild_id AND c.message_id = s.message_id)
    """,
    "queued decision without its queue entry": """
        SELECT s.message_id FROM message_scores s
        WHERE s.dry_run = 0 AND s.action IN ('queue', 'delete', 'timeout') AND NOT EXISTS (
            SELECT 1 FROM queue_entries q
            WHERE q.source = 'auto' AND q.guild_id = s.guild_id AND q.message_id = s.message_id)
    """,
    "automatic delete/timeout case without its queue entry": """
        SELECT c.guild_id, c.case_number FROM cases c
        WHERE c.auto = 1 AND c.type IN ('delete', 'timeout') AND NOT EXISTS (
            SELECT 1 FROM queue_entries q
            WHERE q.source = 'auto' AND q.guild_id = c.guild_id AND q.message_id = c.message_id)
    """,
    "automatic queue entry without its score row": """
        SELECT q.id FROM queue_entries q
        WHERE q.source = 'auto' AND NOT EXISTS (
            SELECT 1 FROM message_scores s WHERE s.guild_id = q.guild_id AND s.message_id = q.message_id)
    """,
    "case numbers with a gap": """
        SELECT guild_id FROM cases GROUP BY guild_id HAVING count(*) != max(case_number)
    """,
    "two active timeouts for one member": """
        SELECT guild_id, user_id FROM cases WHERE active = 1 AND type = 'timeout'
        GROUP BY guild_id, user_id HAVING count(*) > 1
    """,
}


def broken_invariants(path: Path) -> list[str]:
    """What is wrong with the file: integrity, foreign keys, and the rows that must come together."""
    raw = sqlite3.connect(path)
    try:
        problems = [f"integrity_check: {row[0]}" for row in raw.execute("PRAGMA integrity_check")]
        problems = [problem for problem in problems if problem != "integrity_check: ok"]
        problems += [f"foreign key: {row}" for row in raw.execute("PRAGMA foreign_key_check")]
        for name, sql in INVARIANTS.items():
            problems += [f"{name}: {row}" for row in raw.execute(sql).fetchall()]
        return problems
    finally:
        raw.close()


def _count(path: Path, sql: str) -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute(sql).fetchone()[0])
    finally:
        raw.close()


def test_kill_9_while_recording_decisions_leaves_no_half_written_decision(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    rng = random.Random(20261125)
    for round_ in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.storage_crash_writer", str(path), str(round_)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
            assert writer.stdout.readline().strip().isdigit()  # it is writing
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(writer.pid, signal.SIGKILL)
            writer.wait(timeout=30)
        finally:
            if writer.poll() is None:
                writer.kill()
            _, errors = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, errors
        assert broken_invariants(path) == [], f"after kill {round_ + 1}"
        Database(path).close()  # opens (and migrates nothing) after the crash
    # the kills interrupted a loop that exercised every path
    assert _count(path, "SELECT count(*) FROM message_scores WHERE edited_at IS NULL") > 100
    assert _count(path, "SELECT count(*) FROM cases WHERE type = 'timeout'") > 0
    assert _count(path, "SELECT count(*) FROM cases WHERE reason LIKE '%already timed out%'") > 0
    assert _count(path, "SELECT count(*) FROM queue_entries") > 0


def _decision(action: Action) -> Decision:
    return Decision(action=action, labels=("insult",), timeout_minutes=10)


def test_the_invariant_check_finds_decisions_written_in_separate_steps(database: Database) -> None:
    """The check is not vacuous: the old way (score, then case, then entry, each committed on its
    own) interrupted between steps is reported."""
    now = datetime(2026, 11, 25, tzinfo=UTC)
    scores, cases, queue = ScoreRepository(database), CaseRepository(database), QueueRepository(database)
    common = {"guild_id": 1, "channel_id": 3, "author_id": 7, "model_version": "m", "backend": "k"}
    # killed after the score of a warning
    scores.record(message_id=10, scores=Scores(), decision=_decision(Action.WARN), now=now, **common)  # type: ignore[arg-type]
    # killed after the case of a timeout, before its queue entry
    scores.record(message_id=11, scores=Scores(), decision=_decision(Action.TIMEOUT), now=now, **common)  # type: ignore[arg-type]
    cases.create(
        guild_id=1, user_id=7, type="timeout", auto=True, message_id=11, duration=timedelta(minutes=10)
    )
    # a case whose score row is missing, and an entry whose score row is missing
    cases.create(guild_id=1, user_id=7, type="warn", auto=True, message_id=12)
    queue.add(guild_id=1, message_id=13, author_id=7)
    broken = broken_invariants(Path(database.path))
    expected = [
        "acted-on decision without its automatic case: (10,)",
        "queued decision without its queue entry: (11,)",
        "automatic delete/timeout case without its queue entry: (1, 1)",
        "automatic case without its score row: (1, 2)",
        "automatic queue entry without its score row: (1,)",
    ]
    assert sorted(broken) == sorted(expected)
