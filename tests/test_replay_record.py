"""``warden replay --db``: a replay recorded as the bot would have (scores, cases, queue entries)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.policy import load_default_policy
from bot.replay.engine import ReplayEngine, ReplayResult
from bot.replay.reader import ThreadMessage
from bot.replay.record import message_id, name_id, record_replay
from bot.scoring.base import LABELS, Scores
from bot.storage import decisions as decisions_module
from bot.storage._common import rows
from bot.storage.cases import CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.queue import QueueRepository
from tests.test_replay_cli import replay

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Keywords:
    """``moron`` is an insult (a warning), ``vermin`` an identity attack (queued)."""

    name = "keywords-test"
    model_version = "keywords-test-1"

    def score(self, texts: Sequence[str]) -> list[Scores]:
        out = []
        for text in texts:
            values = dict.fromkeys(LABELS, 0.01)
            if "moron" in text.lower():
                values.update(insult=0.9, toxicity=0.9)
            if "vermin" in text.lower():
                values.update(identity_attack=0.92, toxicity=0.9)
            out.append(Scores(**values))
        return out


def thread(*lines: tuple[str, str, int]) -> list[ThreadMessage]:
    """(author, content, minutes after START) per line."""
    return [
        ThreadMessage(
            line=i + 1, content=text, author=author, channel="news", timestamp=START + timedelta(minutes=m)
        )
        for i, (author, text, m) in enumerate(lines)
    ]


def run(messages: list[ThreadMessage]) -> ReplayResult:
    return ReplayEngine(Keywords(), load_default_policy()).run(messages)


def score_rows(database: Database) -> list[dict]:
    with database.connection() as db:
        return rows(db, "SELECT * FROM message_scores ORDER BY created_at")


def test_a_recorded_run_holds_every_score_case_and_queue_entry(database: Database) -> None:
    result = run(
        thread(
            ("ann", "The summit starts Monday.", 0),
            ("bob", "you moron", 1),
            ("cy", "they are vermin", 2),
        )
    )

    recorded = record_replay(database, result, load_default_policy(), source="t.jsonl", guild_id=77)

    assert (recorded.messages, recorded.cases, recorded.queue_entries) == (3, 1, 1)
    stored = score_rows(database)
    assert [row["action"] for row in stored] == ["none", "warn", "queue"]
    assert {row["guild_id"] for row in stored} == {77}
    assert stored[1]["created_at"].startswith("2026-03-02T09:01")  # the message's own time
    assert stored[1]["author_id"] == name_id("author", "bob")
    (case,) = CaseRepository(database).list_for_user(77, name_id("author", "bob"))
    assert case.type is CaseType.WARN and case.auto and case.message_id == stored[1]["message_id"]
    (entry,) = QueueRepository(database).list_open(77)
    assert "identity_attack" in entry.labels
    assert {item.text for item in entry.evidence} == {"vermin"}


def test_recording_the_same_file_again_updates_the_same_rows(database: Database) -> None:
    result = run(thread(("bob", "you moron", 0), ("cy", "they are vermin", 1)))
    policy = load_default_policy()

    record_replay(database, result, policy, source="t.jsonl")
    again = record_replay(database, result, policy, source="t.jsonl")

    assert len(score_rows(database)) == 2
    assert (again.cases, again.queue_entries) == (0, 0)  # the message already has them


def test_escalation_and_expiry_follow_the_thread_in_time(database: Database) -> None:
    # three warnings in 24 h make a timeout (10 min); it ends before the next burst, which times out again
    lines = [("bob", "you moron", m) for m in (0, 1, 2)] + [("bob", "you moron", m) for m in (60, 61, 62)]
    result = run(thread(*lines))

    record_replay(database, result, load_default_policy(), source="t.jsonl")

    cases = CaseRepository(database).list_for_user(1, name_id("author", "bob"))
    timeouts = [case for case in cases if case.type is CaseType.TIMEOUT]
    assert len(timeouts) >= 2, [(case.type, case.created_at) for case in cases]
    assert all(case.expires_at is not None for case in timeouts)


def test_a_run_that_fails_records_nothing(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(thread(("ann", "hello", 0), ("bob", "you moron", 1), ("cy", "they are vermin", 2)))
    original = decisions_module.DecisionRepository.record
    calls = {"n": 0}

    def failing(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk gone")
        return original(self, **kwargs)

    monkeypatch.setattr(decisions_module.DecisionRepository, "record", failing)
    with pytest.raises(RuntimeError, match="disk gone"):
        record_replay(database, result, load_default_policy(), source="t.jsonl")

    assert score_rows(database) == []
    assert CaseRepository(database).list_for_user(1, name_id("author", "bob")) == []


def test_made_up_ids_are_stable_and_numeric_names_are_kept() -> None:
    assert name_id("author", "bob") == name_id("author", "bob") != name_id("channel", "bob")
    assert name_id("author", "123456789012345678") == 123456789012345678
    assert 0 < name_id("author", "x" * 100) < 2**63
    (first, second) = run(thread(("a", "hi", 0), ("b", "hi", 0))).rows
    assert message_id(first, 5) != message_id(second, 5)
    assert message_id(first, 5) < 2**63


def test_the_cli_records_the_example_thread(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "thread.jsonl"
    lines = [
        {"author": "a", "content": "The summit starts Monday.", "timestamp": "2026-03-02T09:00:00Z"},
        {"author": "b", "content": "You are a complete moron.", "timestamp": "2026-03-02T09:01:00Z"},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    code, out, err = replay(str(path), "--json", "--db", database.target, "--guild", "42")

    assert code == 0, err
    assert "Recorded 2 messages" in err and "as server 42" in err
    assert len(out.splitlines()) == 2  # --json output stays pure
    stored = score_rows(database)
    assert [row["guild_id"] for row in stored] == [42, 42]
    assert stored[1]["action"] != "none"


def test_an_unusable_database_is_refused_before_scoring(tmp_path: Path) -> None:
    path = tmp_path / "thread.txt"
    path.write_text("hello there\n", encoding="utf-8")

    code, _, err = replay(str(path), "--db", str(tmp_path))  # a directory

    assert code == 1
    assert "error:" in err and str(tmp_path) in err
