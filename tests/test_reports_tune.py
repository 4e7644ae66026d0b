"""``warden tune``: per label, the threshold the moderators' queue verdicts suggest, with the counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.policy import Action, Decision
from bot.reports.tune import Verdict, suggest, suggest_all, verdicts_by_label
from bot.scoring.base import Scores
from bot.storage.database import Database
from bot.storage.decisions import DecisionRepository, QueueDraft
from bot.storage.queue import QueueRepository, Resolution

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

APPROVED = [0.47, 0.50, 0.55, 0.60, 0.62, 0.66, 0.70, 0.74, 0.77]
CONFIRMED = [0.60] + [0.80 + i * 0.005 for i in range(40)]
runner = CliRunner()


def verdicts(confirmed: list[float], approved: list[float]) -> list[Verdict]:
    return [Verdict(s, True) for s in confirmed] + [Verdict(s, False) for s in approved]


def test_the_threshold_that_best_matches_the_moderators_with_its_counts() -> None:
    found = suggest("insult", verdicts(CONFIRMED, APPROVED), 0.46)

    assert (found.confirmed, found.approved) == (41, 9)
    assert found.threshold == 0.78
    assert (found.fewer_false_positives, found.more_misses) == (9, 1)
    assert found.text() == (
        "insult: 41 confirmed, 9 approved; at 0.78 (now 0.46), 9 fewer false positives and 1 more miss"
    )


def test_too_few_decisions_is_said_plainly() -> None:
    found = suggest("insult", verdicts([0.9] * 8, [0.5] * 4), 0.46)

    assert found.threshold is None and not found.enough
    assert found.text() == "insult: not enough decisions yet (12 of 20)"


def test_a_threshold_that_already_fits_is_left_alone() -> None:
    found = suggest("threat", verdicts([0.9] * 25, []), 0.15)

    assert found.threshold is None
    assert (
        found.text()
        == "threat: 25 confirmed, 0 approved; the current threshold 0.15 already matches them best"
    )


def test_a_suggestion_can_cost_false_positives_to_catch_misses() -> None:
    # the threshold was raised to 0.9 after these were decided: most confirmed ones now slip through
    found = suggest("toxicity", verdicts([0.85] * 20, [0.95]), 0.90)

    assert found.threshold == 0.85
    assert (found.fewer_false_positives, found.more_misses) == (0, -20)
    assert found.text().endswith("at 0.85 (now 0.90), 0 fewer false positives and 20 fewer misses")


def test_thresholds_stay_within_zero_and_one() -> None:
    found = suggest("obscene", verdicts([], [1.0] * 30), 0.5)
    assert found.threshold is None or 0 < found.threshold <= 1


def test_only_fired_labels_with_a_score_count() -> None:
    rows = [
        {"labels": ["insult"], "scores": {"insult": 0.8, "toxicity": 0.9}, "verdict": "true_positive"},
        {"labels": ["insult", "toxicity"], "scores": {"insult": 0.5}, "verdict": "false_positive"},
        {"labels": "insult", "scores": {}, "verdict": "true_positive"},
        {"labels": ["nonsense"], "scores": {"nonsense": 0.5}, "verdict": "true_positive"},
        {"labels": ["insult"], "scores": {"insult": True}, "verdict": "true_positive"},
    ]
    grouped = verdicts_by_label(rows)
    assert grouped["insult"] == [Verdict(0.8, True), Verdict(0.5, False)]
    assert grouped["toxicity"] == []


def record_verdicts(database: Database, guild: int = 1) -> None:
    """50 queued insults resolved by moderators: the CONFIRMED ones deleted, the APPROVED ones approved."""
    decisions, queue = DecisionRepository(database), QueueRepository(database)
    for message_id, (score, outcome) in enumerate(
        [(s, Resolution.DELETED) for s in CONFIRMED] + [(s, Resolution.APPROVED) for s in APPROVED], start=1
    ):
        recorded = decisions.record(
            guild_id=guild,
            channel_id=5,
            message_id=message_id,
            author_id=9,
            scores=Scores(insult=score),
            decision=Decision(action=Action.QUEUE, labels=("insult",)),
            model_version="m",
            backend="b",
            queue=QueueDraft(reason="r", labels=("insult",)),
        )
        assert recorded.queue_entry is not None
        queue.resolve(recorded.queue_entry, 77, outcome)


def test_suggestions_from_a_real_database(database: Database) -> None:
    record_verdicts(database)
    feedback = QueueRepository(database).list_feedback(1)

    found = {
        item.label: item
        for item in suggest_all(
            feedback,
            {"insult": 0.46}
            | dict.fromkeys(("toxicity", "severe_toxicity", "obscene", "threat", "identity_attack"), 0.5),
        )
    }

    assert found["insult"].threshold == 0.78
    assert found["threat"].text() == "threat: not enough decisions yet (0 of 20)"


def test_the_cli_prints_a_line_per_label(database: Database, tmp_path: Path) -> None:
    record_verdicts(database)

    result = runner.invoke(app, ["tune", "--db", database.target])

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Server 1: 50 queue verdicts."
    assert any(line.startswith("insult: 41 confirmed, 9 approved; at 0.78") for line in lines), lines
    assert "threat: not enough decisions yet (0 of 20)" in lines
    assert len(lines) == 7
