"""One percentile definition (linear interpolation between closest ranks) behind every p50/p99."""

from __future__ import annotations

import random
import statistics

import pytest

from bot.percentiles import percentile, percentiles
from bot.services import ScoringMetrics


def test_the_definition_interpolates_between_the_closest_ranks() -> None:
    assert percentile([4, 1, 3, 2], 50) == 2.5  # halfway between the 2nd and 3rd of four
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile(range(1, 101), 99) == pytest.approx(99.01)  # position 98.01 of 0..99
    assert percentile([10, 20], 25) == 12.5
    assert percentile([7.0], 99) == 7.0  # one value is every percentile of itself


def test_it_is_numpys_linear_and_statistics_inclusive() -> None:
    rng = random.Random(5)
    values = [rng.expovariate(1 / 40) for _ in range(257)]
    cuts = statistics.quantiles(values, n=100, method="inclusive")

    for q in (1, 50, 90, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])
    assert percentiles(values, (50, 99)) == [percentile(values, 50), percentile(values, 99)]


def test_no_values_or_a_q_outside_0_100_is_refused() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1, 2], 101)


def test_the_status_metrics_report_with_it() -> None:
    metrics = ScoringMetrics()
    assert metrics.percentile(99) is None
    for value in range(1, 101):
        metrics.record(float(value))

    assert metrics.percentile(50) == pytest.approx(50.5)
    assert metrics.percentile(99) == pytest.approx(99.01)


def test_the_scorer_front_reports_with_it() -> None:
    from bot.scoring.batcher import MicroBatcher
    from tests.e2e.conftest import KeywordBackend

    batcher = MicroBatcher(KeywordBackend())
    batcher._latencies.extend(value / 1000 for value in range(1, 101))  # seconds, as it records them

    stats = batcher.latency_percentiles()

    assert stats["p50"] == pytest.approx(50.5) and stats["p99"] == pytest.approx(99.01)
    assert stats["max"] == pytest.approx(100.0) and stats["count"] == 100
