"""The policy engine at the ends of the calendar: clamped window arithmetic, never OverflowError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.policy import Action, AuthorHistory, evaluate, load_default_policy
from bot.policy.engine import EARLIEST, LATEST, as_utc, window_start
from bot.scoring.base import LABELS, Scores

INSULT = Scores.from_mapping(dict.fromkeys(LABELS, 0.01) | {"insult": 0.9, "toxicity": 0.9})


def test_window_start_clamps_instead_of_overflowing() -> None:
    assert window_start(EARLIEST + timedelta(hours=1), 24) == EARLIEST
    assert window_start(datetime(2026, 1, 2, tzinfo=UTC), 24) == datetime(2026, 1, 1, tzinfo=UTC)
    assert window_start(datetime(2026, 1, 2, tzinfo=UTC), 10**12) == EARLIEST  # timedelta itself overflows


def test_as_utc_clamps_moments_with_no_utc_equivalent() -> None:
    assert as_utc(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == EARLIEST
    assert as_utc(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))) == LATEST
    assert as_utc(datetime(2026, 1, 1, 2, tzinfo=timezone(timedelta(hours=2)))) == datetime(
        2026, 1, 1, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "moment",
    [
        datetime.min,
        datetime.min.replace(tzinfo=UTC),
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime.max,
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_a_warning_at_an_extreme_moment_is_decided(moment: datetime) -> None:
    decision = evaluate(INSULT, load_default_policy(), now=moment, history=AuthorHistory(warnings=[moment]))
    assert decision.action in {Action.WARN, Action.TIMEOUT}


def test_escalation_still_counts_inside_a_clamped_window() -> None:
    """Two warnings at the first moment and a third an hour later: within 24 h, so the ladder fires."""
    policy = load_default_policy()
    decision = evaluate(
        INSULT,
        policy,
        now=EARLIEST + timedelta(hours=1),
        history=AuthorHistory(warnings=[EARLIEST, EARLIEST]),
    )
    assert decision.escalated_from is Action.WARN
    assert decision.action is Action.TIMEOUT
