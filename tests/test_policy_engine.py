"""The policy engine: bands, thresholds, channel overrides, exemptions, dry-run, escalation and decay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.policy import Action, AuthorHistory, PolicySettings, evaluate, load_default_policy
from bot.policy.engine import ordinal
from bot.scoring.base import Scores

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def policy() -> PolicySettings:
    """The default policy's structure (bands, actions, ladder) with FIXED thresholds and insult actions.

    The shipped thresholds follow the model (they are re-derived for each model version); these tests
    are about the engine's mechanics, so they pin the numbers they reason with."""
    return load_default_policy().merged(
        {
            "thresholds": {
                "toxicity": 0.80,
                "severe_toxicity": 0.50,
                "obscene": 0.80,
                "threat": 0.34,
                "insult": 0.70,
                "identity_attack": 0.60,
            },
            "label_actions": {"insult": {"low": "log", "medium": "warn", "high": "warn"}},
        }
    )


def hours_ago(*hours: float) -> list[datetime]:
    return [NOW - timedelta(hours=h) for h in hours]


# -- bands and thresholds -----------------------------------------------------------------------------


def test_all_zero_scores_do_nothing(policy: PolicySettings) -> None:
    decision = evaluate(Scores.zeros(), policy, now=NOW)
    assert decision.action is Action.NONE
    assert decision.labels == ()
    assert decision.band == ""
    assert decision.evidence == {}
    assert "no label reached its threshold" in decision.reason


def test_miss_reason_names_the_closest_label(policy: PolicySettings) -> None:
    decision = evaluate(Scores(insult=0.42, toxicity=0.3), policy, now=NOW)
    assert decision.reason == "no label reached its threshold (highest: insult 0.42 < 0.70)"


@pytest.mark.parametrize(
    ("scores", "action", "band"),
    [
        # insult: log in the low band, warn from medium up (even at the top band)
        ({"insult": 0.72}, Action.LOG, "low"),
        ({"insult": 0.75}, Action.WARN, "medium"),
        ({"insult": 0.95}, Action.WARN, "high"),
        # identity attacks and threats: to a moderator as soon as they reach their threshold
        ({"identity_attack": 0.55}, Action.NONE, ""),
        ({"identity_attack": 0.65}, Action.QUEUE, "low"),
        ({"identity_attack": 0.80}, Action.QUEUE, "medium"),
        ({"identity_attack": 0.97}, Action.QUEUE, "high"),
        ({"threat": 0.62}, Action.QUEUE, "low"),
        ({"threat": 0.80}, Action.QUEUE, "medium"),
        # profanity alone is logged, however sure the model is
        ({"obscene": 0.99, "toxicity": 0.99}, Action.LOG, "high"),
        ({"toxicity": 0.85}, Action.LOG, "medium"),
        # severe: queued, deleted at the top band
        ({"severe_toxicity": 0.55}, Action.QUEUE, "low"),
        ({"severe_toxicity": 0.80}, Action.QUEUE, "medium"),
        ({"severe_toxicity": 0.95}, Action.DELETE, "high"),
    ],
)
def test_default_news_policy_bands(
    policy: PolicySettings, scores: dict[str, float], action: Action, band: str
) -> None:
    decision = evaluate(Scores.from_mapping(scores), policy, now=NOW)
    assert decision.action is action, decision.reason
    assert decision.band == band


def test_profanity_with_an_insult_is_warned(policy: PolicySettings) -> None:
    decision = evaluate(Scores(obscene=0.98, toxicity=0.97, insult=0.82), policy, now=NOW)
    assert decision.action is Action.WARN
    assert decision.labels == ("obscene", "toxicity", "insult")  # sorted by score
    assert decision.band == "medium"  # the band of the label that decided
    assert decision.evidence == {"obscene": 0.98, "toxicity": 0.97, "insult": 0.82}


def test_threshold_exactly_equal_fires_just_below_does_not(policy: PolicySettings) -> None:
    at = evaluate(Scores(insult=0.70), policy, now=NOW)
    assert at.action is Action.LOG
    assert at.labels == ("insult",)
    assert "insult 0.70 ≥ 0.70" in at.reason
    below = evaluate(Scores(insult=0.6999), policy, now=NOW)
    assert below.action is Action.NONE
    assert below.labels == ()


def test_band_minimum_exactly_equal_is_in_that_band(policy: PolicySettings) -> None:
    assert evaluate(Scores(insult=0.75), policy, now=NOW).band == "medium"
    assert evaluate(Scores(insult=0.90), policy, now=NOW).band == "high"
    assert evaluate(Scores(insult=0.8999), policy, now=NOW).band == "medium"


def test_fired_below_every_band_counts_as_lowest_band(policy: PolicySettings) -> None:
    lowered = policy.merged({"thresholds": {"insult": 0.3}})
    decision = evaluate(Scores(insult=0.35), lowered, now=NOW)
    assert decision.band == "low"
    assert decision.action is Action.LOG


def test_strongest_action_wins(policy: PolicySettings) -> None:
    decision = evaluate(Scores(insult=0.95, identity_attack=0.80), policy, now=NOW)
    assert decision.action is Action.QUEUE
    assert decision.labels == ("insult", "identity_attack")
    assert decision.band == "medium"


def test_ties_in_score_follow_label_order_and_are_deterministic(policy: PolicySettings) -> None:
    same = policy.merged({"label_actions": {"threat": {"medium": "warn"}}})
    decision = evaluate(Scores(insult=0.8, threat=0.8), same, now=NOW)
    assert decision.labels == ("threat", "insult")  # detoxify's order breaks the tie
    assert decision.action is Action.WARN
    assert decision.reason.startswith("threat 0.80 ≥ 0.34 (band: medium → warn); insult 0.80 ≥ 0.70")


def test_reason_text(policy: PolicySettings) -> None:
    decision = evaluate(Scores(insult=0.93), policy.merged({"thresholds": {"insult": 0.8}}), now=NOW)
    assert decision.reason == "insult 0.93 ≥ 0.80 (band: high → warn)"


def test_label_action_none_fires_but_does_nothing(policy: PolicySettings) -> None:
    quiet = policy.merged({"label_actions": {"toxicity": {"low": "none", "medium": "none", "high": "none"}}})
    decision = evaluate(Scores(toxicity=0.95), quiet, now=NOW)
    assert decision.action is Action.NONE
    assert decision.labels == ("toxicity",)


def test_band_action_timeout_uses_timeout_minutes(policy: PolicySettings) -> None:
    harsh = policy.merged({"timeout_minutes": 15, "label_actions": {"threat": {"high": "timeout"}}})
    decision = evaluate(Scores(threat=0.95), harsh, now=NOW)
    assert decision.action is Action.TIMEOUT
    assert decision.timeout_minutes == 15
    assert decision.escalated_from is None


def test_log_below_caps_insults_about_public_figures(policy: PolicySettings) -> None:
    tolerant = policy.merged({"log_below": {"insult": 0.95}})
    capped = evaluate(Scores(insult=0.93), tolerant, now=NOW)
    assert capped.action is Action.LOG
    assert "log, below log_below 0.95" in capped.reason
    sure = evaluate(Scores(insult=0.96), tolerant, now=NOW)
    assert sure.action is Action.WARN
    # log_below never raises an action, and other labels are unaffected
    assert evaluate(Scores(identity_attack=0.8), tolerant, now=NOW).action is Action.QUEUE


# -- channels and roles -------------------------------------------------------------------------------


def test_exempt_role(policy: PolicySettings) -> None:
    exempt = policy.merged({"exempt_roles": [7]})
    decision = evaluate(Scores(severe_toxicity=0.99), exempt, author_role_ids=[3, 7], now=NOW)
    assert decision.action is Action.NONE
    assert decision.reason == "exempt role"
    other = evaluate(Scores(severe_toxicity=0.99), exempt, author_role_ids=[3], now=NOW)
    assert other.action is Action.DELETE


def test_exempt_channel(policy: PolicySettings) -> None:
    exempt = policy.merged({"exempt_channels": [100]})
    decision = evaluate(Scores(insult=0.99), exempt, channel_id=100, now=NOW)
    assert (decision.action, decision.reason) == (Action.NONE, "exempt channel")
    assert evaluate(Scores(insult=0.99), exempt, channel_id=101, now=NOW).action is Action.WARN


def test_watched_channels(policy: PolicySettings) -> None:
    watched = policy.merged({"watched_channels": [1, 2]})
    decision = evaluate(Scores(insult=0.99), watched, channel_id=3, now=NOW)
    assert (decision.action, decision.reason) == (Action.NONE, "channel not watched")
    assert evaluate(Scores(insult=0.99), watched, channel_id=2, now=NOW).action is Action.WARN
    # no channel (offline replay): the channel checks do not apply
    assert evaluate(Scores(insult=0.99), watched, now=NOW).action is Action.WARN
    # an empty list watches every channel
    assert evaluate(Scores(insult=0.99), policy, channel_id=3, now=NOW).action is Action.WARN


def test_channel_off(policy: PolicySettings) -> None:
    off = policy.merged({"channels": {"5": {"off": True}}})
    decision = evaluate(Scores(threat=0.99), off, channel_id=5, now=NOW)
    assert (decision.action, decision.reason) == (Action.NONE, "channel off")
    assert evaluate(Scores(threat=0.99), off, channel_id=6, now=NOW).action is Action.QUEUE


def test_channel_thresholds(policy: PolicySettings) -> None:
    strict = policy.merged({"channels": {"5": {"thresholds": {"insult": 0.95}}}})
    relaxed = evaluate(Scores(insult=0.9), strict, channel_id=5, now=NOW)
    assert relaxed.action is Action.NONE
    assert "insult 0.90 < 0.95" in relaxed.reason
    assert evaluate(Scores(insult=0.9), strict, channel_id=6, now=NOW).action is Action.WARN
    # labels the channel does not set keep the server's threshold
    assert evaluate(Scores(threat=0.8), strict, channel_id=5, now=NOW).action is Action.QUEUE


def test_channel_actions_and_precedence(policy: PolicySettings) -> None:
    custom = policy.merged(
        {
            "label_actions": {"insult": {"high": "queue"}},
            "channels": {
                "5": {
                    "actions": {"medium": "log", "high": "log"},
                    "label_actions": {"threat": {"medium": "warn"}},
                }
            },
        }
    )
    # most specific first: the channel's label action, then the server's, then the channel's band action
    assert (
        evaluate(Scores(threat=0.8), custom, channel_id=5, now=NOW).action is Action.WARN
    )  # channel label wins
    assert evaluate(Scores(insult=0.95), custom, channel_id=5, now=NOW).action is Action.QUEUE  # server label
    bare = load_default_policy().model_dump(mode="json")
    bare["label_actions"] = {}
    bare["channels"] = {"5": {"actions": {"medium": "log"}}}
    plain = PolicySettings.model_validate(bare)
    assert evaluate(Scores(insult=0.8), plain, channel_id=5, now=NOW).action is Action.LOG  # channel band
    assert evaluate(Scores(insult=0.8), plain, channel_id=6, now=NOW).action is Action.WARN  # band default


def test_channel_log_below(policy: PolicySettings) -> None:
    heated = policy.merged({"channels": {"5": {"log_below": {"insult": 0.97}}}})
    assert evaluate(Scores(insult=0.95), heated, channel_id=5, now=NOW).action is Action.LOG
    assert evaluate(Scores(insult=0.95), heated, channel_id=6, now=NOW).action is Action.WARN


# -- dry run ------------------------------------------------------------------------------------------


def test_dry_run_keeps_the_action_but_does_not_act(policy: PolicySettings) -> None:
    dry = policy.merged({"dry_run": True})
    decision = evaluate(Scores(severe_toxicity=0.99), dry, now=NOW)
    assert decision.action is Action.DELETE
    assert decision.dry_run is True
    assert decision.acts is False
    assert evaluate(Scores(severe_toxicity=0.99), policy, now=NOW).acts is True


def test_channel_dry_run_overrides_server(policy: PolicySettings) -> None:
    mixed = policy.merged({"dry_run": True, "channels": {"5": {"dry_run": False}, "6": {"dry_run": True}}})
    assert evaluate(Scores(insult=0.9), mixed, channel_id=5, now=NOW).dry_run is False
    assert evaluate(Scores(insult=0.9), mixed, channel_id=7, now=NOW).dry_run is True
    trial = policy.merged({"channels": {"6": {"dry_run": True}}})
    assert evaluate(Scores(insult=0.9), trial, channel_id=6, now=NOW).dry_run is True
    assert evaluate(Scores(insult=0.9), trial, channel_id=5, now=NOW).dry_run is False


def test_exempt_decisions_carry_dry_run(policy: PolicySettings) -> None:
    dry = policy.merged({"dry_run": True, "exempt_roles": [1]})
    assert evaluate(Scores(insult=0.9), dry, author_role_ids=[1], now=NOW).dry_run is True


# -- escalation ---------------------------------------------------------------------------------------


def test_first_and_second_warning_stay_warnings(policy: PolicySettings) -> None:
    assert evaluate(Scores(insult=0.9), policy, now=NOW).action is Action.WARN
    history = AuthorHistory(warnings=hours_ago(1))
    decision = evaluate(Scores(insult=0.9), policy, history=history, now=NOW)
    assert decision.action is Action.WARN
    assert decision.escalated_from is None


def test_third_warning_in_a_day_is_a_ten_minute_timeout(policy: PolicySettings) -> None:
    history = AuthorHistory(warnings=hours_ago(2, 23.5))
    decision = evaluate(
        Scores(insult=0.93), policy.merged({"thresholds": {"insult": 0.8}}), history=history, now=NOW
    )
    assert decision.action is Action.TIMEOUT
    assert decision.escalated_from is Action.WARN
    assert decision.timeout_minutes == 10
    assert decision.reason == "insult 0.93 ≥ 0.80 (band: high → warn); 3rd warning in 24 h → timeout 10 min"


def test_old_warnings_decay(policy: PolicySettings) -> None:
    history = AuthorHistory(warnings=hours_ago(2, 24.01))
    decision = evaluate(Scores(insult=0.9), policy, history=history, now=NOW)
    assert decision.action is Action.WARN
    assert decision.escalated_from is None
    # exactly at the window's edge still counts
    edge = AuthorHistory(warnings=hours_ago(2, 24))
    assert evaluate(Scores(insult=0.9), policy, history=edge, now=NOW).action is Action.TIMEOUT


def test_the_strongest_rung_wins(policy: PolicySettings) -> None:
    history = AuthorHistory(warnings=hours_ago(1, 30, 40, 50))  # 1 in 24 h, 4 in 72 h
    decision = evaluate(Scores(insult=0.9), policy, history=history, now=NOW)
    assert decision.action is Action.TIMEOUT
    assert decision.timeout_minutes == 60
    assert decision.reason.endswith("5th warning in 72 h → timeout 60 min")


def test_timeouts_count_toward_the_ladder(policy: PolicySettings) -> None:
    history = AuthorHistory(warnings=hours_ago(5), timeouts=hours_ago(1))
    assert evaluate(Scores(insult=0.9), policy, history=history, now=NOW).action is Action.TIMEOUT


def test_escalation_only_raises_warnings(policy: PolicySettings) -> None:
    history = AuthorHistory(warnings=hours_ago(1, 2, 3, 4, 5))
    assert evaluate(Scores(identity_attack=0.8), policy, history=history, now=NOW).action is Action.QUEUE
    assert evaluate(Scores(insult=0.72), policy, history=history, now=NOW).action is Action.LOG


def test_escalation_to_queue_rung(policy: PolicySettings) -> None:
    custom = policy.merged({"escalation": [{"warnings": 2, "within_hours": 6, "action": "queue"}]})
    decision = evaluate(Scores(insult=0.9), custom, history=AuthorHistory(warnings=hours_ago(1)), now=NOW)
    assert decision.action is Action.QUEUE
    assert decision.timeout_minutes is None
    assert decision.reason.endswith("2nd warning in 6 h → queue")


def test_no_ladder_no_escalation(policy: PolicySettings) -> None:
    flat = policy.merged({"escalation": []})
    history = AuthorHistory(warnings=hours_ago(1, 2, 3, 4, 5, 6))
    assert evaluate(Scores(insult=0.9), flat, history=history, now=NOW).action is Action.WARN


def test_escalated_dry_run(policy: PolicySettings) -> None:
    dry = policy.merged({"dry_run": True})
    decision = evaluate(Scores(insult=0.9), dry, history=AuthorHistory(warnings=hours_ago(1, 2)), now=NOW)
    assert decision.action is Action.TIMEOUT
    assert decision.dry_run is True
    assert decision.acts is False


def test_naive_and_other_zone_datetimes_are_utc(policy: PolicySettings) -> None:
    naive_now = NOW.replace(tzinfo=None)
    history = AuthorHistory(warnings=[naive_now - timedelta(hours=1), NOW.astimezone() - timedelta(hours=2)])
    assert history.strikes_since(NOW - timedelta(hours=3)) == 2
    assert evaluate(Scores(insult=0.9), policy, history=history, now=naive_now).action is Action.TIMEOUT


def test_default_now_is_current_time(policy: PolicySettings) -> None:
    recent = AuthorHistory(warnings=[datetime.now(UTC) - timedelta(minutes=5)] * 2)
    assert evaluate(Scores(insult=0.9), policy, history=recent).action is Action.TIMEOUT


def test_payload_is_json_ready(policy: PolicySettings) -> None:
    decision = evaluate(Scores(insult=0.9), policy, history=AuthorHistory(warnings=hours_ago(1, 2)), now=NOW)
    payload = decision.to_payload()
    assert payload["action"] == "timeout"
    assert payload["escalated_from"] == "warn"
    assert payload["timeout_minutes"] == 10
    assert payload["escalation"] == "3rd warning in 24 h → timeout 10 min"
    assert payload["unaddressed_insult"] is False
    assert json.loads(json.dumps(payload)) == payload


def test_unaddressed_insult_is_a_field_not_just_reason_text(policy: PolicySettings) -> None:
    jeer = evaluate(Scores(insult=0.9), policy, addressed=False, now=NOW)
    assert jeer.unaddressed_insult is True
    assert jeer.escalation == ""
    direct = evaluate(Scores(insult=0.9), policy, addressed=True, now=NOW)
    assert direct.unaddressed_insult is False


@pytest.mark.parametrize(
    ("number", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (21, "21st")],
)
def test_ordinal(number: int, text: str) -> None:
    assert ordinal(number) == text
