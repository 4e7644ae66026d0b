"""benchmarks/model_eval.py's "bot acts" column: a case counts only when the default policy would act."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bot.policy import load_default_policy
from bot.scoring.base import LABELS


class _Parent:
    threshold = dict.fromkeys(LABELS, 0.5)


def test_policy_column_counts_actions_not_threshold_crossings(model_eval: ModuleType) -> None:
    me = model_eval
    column = me.PolicyActions(_Parent(), "bot acts", load_default_policy())
    #                 tox   severe obscene threat insult identity
    rows = np.array(
        [
            [0.95, 0.0, 0.0, 0.0, 0.90, 0.0],  # insult at the reader: warned
            [0.95, 0.0, 0.0, 0.0, 0.90, 0.0],  # insult at a politician: logged only
            [0.95, 0.0, 0.0, 0.0, 0.00, 0.0],  # toxicity alone: logged only
            [0.90, 0.0, 0.0, 0.0, 0.00, 0.7],  # identity attack: queued
            [0.10, 0.0, 0.0, 0.0, 0.00, 0.0],  # nothing
        ],
        dtype=np.float32,
    )
    texts = [
        "you are an idiot",
        "the senator is an idiot",
        "what a mess",
        "those people are vermin",
        "nice weather",
    ]
    assert column.flags(rows, texts).tolist() == [True, False, False, True, False]
    # the any-label view of the same rows flags every row with a label over its policy threshold
    assert me.flagged(rows, column.threshold).tolist() == [True, True, True, True, False]
