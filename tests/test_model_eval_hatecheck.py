"""benchmarks/model_eval.py's issue-11 metrics: HateCheck at the bot's policy thresholds ("hateful" =
identity_attack or threat at or above its threshold, inclusive) and madlibs per identity; the 1.1 column."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bot.scoring.base import LABELS

POLICY = {
    "toxicity": 0.80,
    "severe_toxicity": 0.50,
    "obscene": 0.80,
    "threat": 0.34,
    "insult": 0.70,
    "identity_attack": 0.60,
}


def _row(**scores: float) -> list[float]:
    return [scores.get(label, 0.0) for label in LABELS]


def test_hateful_is_identity_attack_or_threat_at_its_threshold_inclusive(model_eval: ModuleType) -> None:
    hc = model_eval.hc
    p = np.array(
        [
            _row(identity_attack=0.60),  # exactly at the threshold: hateful
            _row(threat=0.34),  # exactly at the threshold: hateful
            _row(identity_attack=0.5999, threat=0.3399),  # just below both
            _row(toxicity=0.99, severe_toxicity=0.99, obscene=0.99, insult=0.99),  # other labels never count
            _row(identity_attack=0.9, threat=0.9),
        ],
        dtype=np.float32,
    )
    # the same float32 values as the scores, so the first two rows sit exactly at their threshold
    thresholds = {k: float(np.float32(v)) for k, v in POLICY.items()}
    assert hc.predicted_hateful(p, thresholds).tolist() == [True, True, False, False, True]
    assert hc.flagged_any(p, thresholds).tolist() == [True, True, False, True, True]


def test_accuracy_balanced_accuracy_and_per_functionality_shares(model_eval: ModuleType) -> None:
    hc = model_eval.hc
    functionalities = ["derog_h"] * 4 + ["threat_h"] * 2 + ["ident_neutral_nh"] * 3 + ["counter_quote_nh"]
    gold = np.array([True] * 6 + [False] * 4)
    #                derog_h: 3 of 4          threat_h: 2 of 2  ident_neutral_nh: 1 of 3  counter_quote_nh: 0
    pred = np.array([True, True, True, False, True, True, True, False, False, False])
    res = hc.hatecheck_scores(pred, gold, functionalities)
    assert res["accuracy"] == pytest.approx(8 / 10)
    # recall on hateful 5/6, on non-hateful 3/4: balanced accuracy is their mean, not the accuracy
    assert res["balanced_accuracy"] == pytest.approx((5 / 6 + 3 / 4) / 2)
    assert res["functionalities"] == {
        "counter_quote_nh": {"gold": "non-hateful", "n": 1, "flagged": 0.0},
        "derog_h": {"gold": "hateful", "n": 4, "flagged": 0.75},
        "ident_neutral_nh": {"gold": "non-hateful", "n": 3, "flagged": pytest.approx(1 / 3)},
        "threat_h": {"gold": "hateful", "n": 2, "flagged": 1.0},
    }
    key = res["key_non_hateful_flagged"]
    assert list(key) == ["ident_neutral_nh", "ident_pos_nh", "counter_quote_nh", "counter_ref_nh"]
    assert key["ident_neutral_nh"] == pytest.approx(1 / 3) and key["counter_quote_nh"] == 0.0
    assert math.isnan(key["ident_pos_nh"]) and math.isnan(key["counter_ref_nh"])  # not in this list
    json.dumps(res)  # plain floats and ints: --json can write it


def test_flag_everything_scores_half_on_balanced_accuracy(model_eval: ModuleType) -> None:
    hc = model_eval.hc
    gold = np.array([True] * 7 + [False] * 3)
    res = hc.hatecheck_scores(np.ones(10, bool), gold, ["f_h"] * 7 + ["f_nh"] * 3)
    assert res["accuracy"] == pytest.approx(0.7)
    assert res["balanced_accuracy"] == pytest.approx(0.5)


def test_mismatched_lengths_are_refused(model_eval: ModuleType) -> None:
    with pytest.raises(ValueError, match="3 predictions, 2 labels, 3 functionalities"):
        model_eval.hc.hatecheck_scores(np.ones(3, bool), np.ones(2, bool), ["a", "b", "c"])


class _FakeScorer:
    """Scores looked up by text; flags at 0.5 (``threshold``) but is judged at ``policy_threshold``."""

    name = "fake"
    threshold = dict.fromkeys(LABELS, 0.5)
    policy_threshold = POLICY

    def __init__(self, rows: dict[str, list[float]]):
        self.rows = rows

    def predict_keyed(self, key: str, texts: list[str]) -> np.ndarray:
        return np.array([self.rows.get(t, _row()) for t in texts], dtype=np.float32)


def _sets() -> dict[str, tuple]:
    one = (["plain"], np.array([0]), [""])
    return {
        "madlibs": (
            ["muslim ok", "muslim bad", "jewish ok", "jewish ok 2", "gay mean"],
            np.array([0, 0, 0, 0, 1]),
            ["muslim", "muslim", "jewish", "jewish", "gay"],
        ),
        "wiki": one,
        "wiki_fuzzed": one,
        "toxigen": one,
        "hatecheck": (
            ["h1", "h2", "h3", "n1", "n2"],
            np.array([1, 1, 1, 0, 0]),
            ["derog_h", "derog_h", "threat_h", "ident_neutral_nh", "ident_neutral_nh"],
        ),
    }


def test_evaluate_scores_hatecheck_and_madlibs_at_the_policy_thresholds(model_eval: ModuleType) -> None:
    me = model_eval
    scorer = _FakeScorer(
        {
            "muslim ok": _row(identity_attack=0.55),  # over 0.5, under the policy's 0.60
            "muslim bad": _row(identity_attack=0.60),  # at the policy threshold
            "jewish ok 2": _row(insult=0.75),  # any label at policy, not the hate rule
            "gay mean": _row(identity_attack=0.9),
            "h1": _row(identity_attack=0.70),
            "h2": _row(identity_attack=0.55, insult=0.99),  # insult does not make it hateful
            "h3": _row(threat=0.34),
            "n1": _row(identity_attack=0.59),
            "n2": _row(threat=0.40),
        }
    )
    res = me.evaluate(scorer, _sets(), lambda t: t)
    hcp = res["hatecheck_policy"]
    assert hcp["accuracy"] == pytest.approx(3 / 5)
    assert hcp["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert hcp["functionalities"]["derog_h"]["flagged"] == 0.5
    assert hcp["functionalities"]["threat_h"]["flagged"] == 1.0
    assert hcp["key_non_hateful_flagged"]["ident_neutral_nh"] == 0.5
    assert res["madlibs_identity_fpr_hate"] == {"jewish": 0.0, "muslim": 0.5}
    assert res["madlibs_identity_fpr_policy"] == {"jewish": 0.5, "muslim": 0.5}
    # the existing rows still use the scorer's own threshold (toxicity >= 0.5 for madlibs)
    assert res["madlibs_identity_fpr"] == {"jewish": 0.0, "muslim": 0.0}
    json.dumps(res)

    text = me.table({"fake": res}, ["a note"], _sets())
    assert "| HateCheck balanced accuracy (same rule) | 0.583 |" in text
    assert "| HateCheck ident_neutral_nh flagged (same rule) | 0.500 |" in text
    assert "| HateCheck counter_ref_nh flagged (same rule) | n/a |" in text
    assert "| madlibs worst per-identity FPR, any label >= policy threshold | 0.500 (jewish) |" in text
    assert "| threat_h | hateful | 1 | 1.00 |" in text


def test_missing_legacy_artifact_skips_the_column_with_a_note(model_eval: ModuleType, tmp_path: Path) -> None:
    notes: list[str] = []
    column, legacy = model_eval.legacy_column(tmp_path / "artifacts_1_1", object(), False, POLICY, notes)
    assert column is None and legacy is None
    assert len(notes) == 1 and "previous-model column skipped" in notes[0] and "artifacts_1_1" in notes[0]
