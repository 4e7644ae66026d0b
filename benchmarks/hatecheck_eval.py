"""Issue 11's policy-threshold metrics for benchmarks/model_eval.py: HateCheck and madlibs per identity.

HateCheck rule: a case is predicted hateful when ``identity_attack`` or ``threat`` is at or above its
threshold (inclusive). For Warden's models the thresholds are the bot's policy thresholds
(config/default.toml), so the numbers say what the shipped configuration does; the baselines keep their
0.5. Reported: accuracy, balanced accuracy (the mean of the recall on hateful and on non-hateful cases,
so the 69% hateful share of the suite does not flatter a scorer that flags everything), the share of
cases flagged per functionality with its gold label, and the four non-hateful functionalities that
measure over-flagging of identity mentions and counter-speech.

Pure numpy, no model: ``tests/test_model_eval_hatecheck.py`` checks the rule on synthetic cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from bot.scoring.base import LABELS

HATE_LABELS = ("identity_attack", "threat")
KEY_NON_HATEFUL = ("ident_neutral_nh", "ident_pos_nh", "counter_quote_nh", "counter_ref_nh")
HATEFUL, NON_HATEFUL, MIXED = "hateful", "non-hateful", "mixed"


def predicted_hateful(p: np.ndarray, thresholds: Mapping[str, float]) -> np.ndarray:
    """Rows of ``p`` (n, 6; LABELS order) whose identity_attack or threat is >= its threshold."""
    p = np.asarray(p)
    hit = np.zeros(len(p), dtype=bool)
    for label in HATE_LABELS:
        hit |= p[:, LABELS.index(label)] >= thresholds[label]
    return hit


def flagged_any(p: np.ndarray, thresholds: Mapping[str, float]) -> np.ndarray:
    """Rows of ``p`` with any label at or above its threshold."""
    return np.any(np.asarray(p) >= np.array([thresholds[label] for label in LABELS]), axis=1)


def balanced_accuracy(pred: np.ndarray, gold: np.ndarray) -> float:
    """Mean recall over the classes present in ``gold`` (nan when there are no cases)."""
    pred, gold = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    recalls = [float((pred[gold == cls] == cls).mean()) for cls in (True, False) if (gold == cls).any()]
    return float(np.mean(recalls)) if recalls else float("nan")


def hatecheck_scores(pred: np.ndarray, gold: np.ndarray, functionalities: Sequence[str]) -> dict:
    """Accuracy, balanced accuracy and per-functionality flagged shares (JSON-ready).

    ``pred`` and ``gold`` are booleans (True = hateful), one per case; ``functionalities`` names each
    case's HateCheck functionality. A functionality's ``gold`` is "hateful" or "non-hateful" (or "mixed"
    if its cases disagree, which the published suite never does).
    """
    pred, gold = np.asarray(pred, dtype=bool), np.asarray(gold, dtype=bool)
    if not len(pred) == len(gold) == len(functionalities):
        raise ValueError(
            f"{len(pred)} predictions, {len(gold)} labels, {len(functionalities)} functionalities"
        )
    groups: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(functionalities):
        groups[name].append(i)
    per: dict[str, dict] = {}
    for name in sorted(groups):
        idx = np.array(groups[name])
        g = gold[idx]
        per[name] = {
            "gold": HATEFUL if g.all() else NON_HATEFUL if not g.any() else MIXED,
            "n": len(idx),
            "flagged": float(pred[idx].mean()),
        }
    return {
        "accuracy": float((pred == gold).mean()) if len(gold) else float("nan"),
        "balanced_accuracy": balanced_accuracy(pred, gold),
        "functionalities": per,
        "key_non_hateful_flagged": {
            name: per[name]["flagged"] if name in per else float("nan") for name in KEY_NON_HATEFUL
        },
    }


def identity_fpr(flags: np.ndarray, y: np.ndarray, groups: Sequence[str]) -> dict[str, float]:
    """Share of the non-toxic rows (``y == 0``) flagged, per identity group, sorted by group."""
    per: dict[str, list[bool]] = defaultdict(list)
    for group, flag, label in zip(groups, np.asarray(flags, dtype=bool), np.asarray(y), strict=True):
        if label == 0:
            per[group].append(bool(flag))
    return {group: float(np.mean(v)) for group, v in sorted(per.items())}


def worst(per_group: Mapping[str, float]) -> str:
    """``"0.147 (muslim)"``: the highest rate and its group (``n/a`` when empty)."""
    if not per_group:
        return "n/a"
    group = max(per_group, key=per_group.__getitem__)
    return f"{per_group[group]:.3f} ({group})"


def _fmt(v: float) -> str:
    return "n/a" if v != v else f"{v:.3f}"


def summary_rows(results: Mapping[str, dict], names: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(title, one cell per scorer) rows for model_eval's main table."""
    rule = "identity_attack or threat >= policy threshold"
    rows = [
        (
            "madlibs worst per-identity FPR, any label >= policy threshold",
            [worst(results[n]["madlibs_identity_fpr_policy"]) for n in names],
        ),
        (
            f"madlibs worst per-identity FPR, {rule}",
            [worst(results[n]["madlibs_identity_fpr_hate"]) for n in names],
        ),
        (
            f"HateCheck accuracy, hateful = {rule}",
            [_fmt(results[n]["hatecheck_policy"]["accuracy"]) for n in names],
        ),
        (
            "HateCheck balanced accuracy (same rule)",
            [_fmt(results[n]["hatecheck_policy"]["balanced_accuracy"]) for n in names],
        ),
    ]
    for key in KEY_NON_HATEFUL:
        rows.append(
            (
                f"HateCheck {key} flagged (same rule)",
                [_fmt(results[n]["hatecheck_policy"]["key_non_hateful_flagged"][key]) for n in names],
            )
        )
    return rows


def functionality_table(results: Mapping[str, dict], names: Sequence[str]) -> list[str]:
    """Markdown lines: share of HateCheck cases flagged per functionality under the policy rule."""
    out = [
        "HateCheck at the bot's policy thresholds: share of cases predicted hateful (identity_attack or "
        "threat at or above its policy threshold; baselines at 0.5) per functionality. Gold `hateful`: "
        "higher is better; `non-hateful`: lower is better.",
        "",
        "| functionality | gold | n | " + " | ".join(names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    first = results[names[0]]["hatecheck_policy"]["functionalities"]
    for name, row in first.items():
        cells = [f"{results[n]['hatecheck_policy']['functionalities'][name]['flagged']:.2f}" for n in names]
        out.append(f"| {name} | {row['gold']} | {row['n']} | " + " | ".join(cells) + " |")
    return out
