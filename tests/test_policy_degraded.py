"""Degraded decisions (issue 12, item 4): the lexical tier's scores alone act only at stricter thresholds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.policy import Action, AuthorHistory, PolicySettings, evaluate, load_default_policy
from bot.policy.degraded import DEGRADED_MARGIN, degraded_settings, evaluate_degraded
from bot.scoring.base import LABELS, Scores

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CHANNEL = 4242


POLICY = {
    "thresholds": {
        "toxicity": 0.80,
        "severe_toxicity": 0.50,
        "obscene": 0.80,
        "threat": 0.34,
        "insult": 0.70,
        "identity_attack": 0.60,
    },
    "label_actions": {"insult": {"low": "warn", "medium": "warn", "high": "warn"}},
}
"""Fixed thresholds (the default policy's follow the model): insult 0.70 warns, 0.85 when degraded."""


@pytest.fixture
def policy() -> PolicySettings:
    return load_default_policy().merged(POLICY)


def test_every_threshold_is_raised_by_the_margin(policy: PolicySettings) -> None:
    strict = degraded_settings(policy)
    for label in LABELS:
        assert strict.thresholds[label] == pytest.approx(min(1.0, policy.thresholds[label] + DEGRADED_MARGIN))
    assert policy.thresholds["insult"] == 0.70  # the server's own settings are untouched
    assert strict.bands == policy.bands and strict.escalation == policy.escalation


def test_a_score_between_the_two_thresholds_acts_only_at_full_confidence(policy: PolicySettings) -> None:
    scores = Scores(insult=0.80)
    assert evaluate(scores, policy, now=NOW).action is Action.WARN
    degraded = evaluate_degraded(scores, policy, now=NOW)
    assert degraded.action is Action.NONE
    assert degraded.degraded is True
    assert degraded.reason.startswith("degraded (lexical tier only, thresholds +0.15): ")
    assert "insult 0.80 < 0.85" in degraded.reason


def test_a_clear_insult_is_still_warned_and_climbs_the_ladder(policy: PolicySettings) -> None:
    two_warnings = AuthorHistory(warnings=[NOW - timedelta(hours=1), NOW - timedelta(hours=2)])
    decision = evaluate_degraded(Scores(insult=0.95), policy, history=two_warnings, now=NOW)
    assert decision.action is Action.TIMEOUT
    assert decision.escalated_from is Action.WARN
    assert decision.labels == ("insult",)
    assert "insult 0.95 ≥ 0.85" in decision.reason


def test_a_threat_reaches_the_queue_above_the_raised_threshold(policy: PolicySettings) -> None:
    assert evaluate_degraded(Scores(threat=0.40), policy, now=NOW).action is Action.NONE
    assert evaluate_degraded(Scores(threat=0.55), policy, now=NOW).action is Action.QUEUE


def test_channel_overrides_are_raised_too(policy: PolicySettings) -> None:
    lenient = policy.merged({"channels": {str(CHANNEL): {"thresholds": {"insult": 0.95}}}})
    strict = degraded_settings(lenient)
    override = strict.channel(CHANNEL)
    assert override is not None and override.thresholds.get("insult") == 1.0  # capped
    assert override.thresholds.get("threat") is None  # not overridden: the server's (raised) applies
    assert evaluate_degraded(Scores(insult=0.97), lenient, channel_id=CHANNEL, now=NOW).action is Action.NONE
    assert evaluate(Scores(insult=0.97), lenient, channel_id=CHANNEL, now=NOW).action is Action.WARN


def test_guards_and_dry_run_apply_as_usual(policy: PolicySettings) -> None:
    dry = policy.merged({"dry_run": True, "exempt_channels": [CHANNEL]})
    exempt = evaluate_degraded(Scores(insult=0.99), dry, channel_id=CHANNEL, now=NOW)
    assert exempt.action is Action.NONE and "exempt channel" in exempt.reason and exempt.degraded
    would = evaluate_degraded(Scores(insult=0.99), dry, channel_id=CHANNEL + 1, now=NOW)
    assert would.action is Action.WARN and would.dry_run and not would.acts


def test_the_flag_is_in_the_payload(policy: PolicySettings) -> None:
    payload = evaluate_degraded(Scores(insult=0.95), policy, now=NOW).to_payload()
    assert payload["degraded"] is True
    assert json.loads(json.dumps(payload)) == payload
    assert evaluate(Scores(insult=0.95), policy, now=NOW).to_payload()["degraded"] is False


@pytest.mark.parametrize("margin", [-0.1, 1.0, 2.0])
def test_a_margin_out_of_range_is_refused(policy: PolicySettings, margin: float) -> None:
    with pytest.raises(ValueError, match="margin"):
        degraded_settings(policy, margin)
