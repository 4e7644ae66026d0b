"""Teacher pseudo-labels from tox-block 0.1.2 (MIT, Jigsaw-trained, TensorFlow) for distillation.

Warden never imports TensorFlow: the teacher runs once, offline, in its own virtualenv (/work/tfenv; install
commands in training/README.md), and its scores are stored by text hash in training/teacher/tox_block.csv.gz.

    # a. Warden's venv: every unique training text (training.data.build(seed=SEED) minus eval overlap)
    nice -n 10 .venv/bin/python -m training.distill dump /tmp/warden_train_texts.jsonl
    # b. TensorFlow venv, one TF thread: score them, write training/teacher/tox_block.csv.gz
    nice -n 15 /work/tfenv/bin/python -m training.distill score /tmp/warden_train_texts.jsonl
    # quality on TRAIN rows only (AUC per label and source) + identity-neutral sentences through the worker
    nice -n 10 .venv/bin/python -m training.distill report --toxblock-python /work/tfenv/bin/python

The CSV has ``sha1`` (hex SHA-1 of the exact UTF-8 text, as dumped) and the six labels in detoxify order
(toxicity, severe_toxicity, obscene, threat, insult, identity_attack) = tox-block's (toxic, severe_toxic,
obscene, threat, insult, identity_hate), rounded to 3 decimals. The scores are the model's own sigmoid outputs
(``make_predictions(rescale=False)``; ``--rescale`` stores tox-block's default min-max rescaled numbers
instead). Rows sorted by sha1, fixed batches, gzip mtime 0: the same input gives the same bytes.
``load_teacher()`` reads it with numpy only (no TensorFlow).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TEACHER = ROOT / "training/teacher/tox_block.csv.gz"
COLUMNS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_teacher(path: str | Path | None = None) -> dict[str, np.ndarray]:
    """sha1 of the text -> float32[6] teacher probabilities (detoxify label order)."""
    with gzip.open(path or TEACHER, "rt", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return {r[0]: np.array(r[1:7], dtype=np.float32) for r in reader}


def training_rows() -> list[tuple[str, list[int], str]]:
    """The rows training.train uses (the one seed), eval overlap dropped. Needs Warden's venv."""
    from training import data
    from training.eval_overlap import eval_texts
    from training.seed import SEED

    return data.drop_eval_overlap(data.build(seed=SEED), eval_texts())


def dump(out: Path) -> int:
    texts = sorted({r[0] for r in training_rows()})
    with out.open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(t) + "\n" for t in texts)
    print(f"{len(texts)} unique texts -> {out}")
    return 0


def _fmt(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".") or "0"


def write_teacher(out: Path, keys: list[str], probs) -> None:
    """CSV (sha1 + six probabilities, 3 decimals) sorted by sha1, gzip with mtime 0: reproducible bytes."""
    order = np.argsort(np.asarray(keys))
    rows = np.asarray(probs, dtype=np.float64).tolist()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("sha1", *COLUMNS))
    w.writerows([keys[i], *map(_fmt, rows[i])] for i in order)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buf.getvalue().encode("utf-8"))


def score(src: Path, out: Path, rescale: bool = False, batch: int = 512) -> int:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import toxblock_worker  # TensorFlow venv only; one TF thread

    with src.open(encoding="utf-8") as fh:
        by_sha = {text_sha1(t): t for t in (json.loads(line) for line in fh if line.strip())}
    keys = sorted(by_sha)
    toxblock_worker.load()
    t0 = time.perf_counter()
    p = toxblock_worker.score([by_sha[k] for k in keys], raw=not rescale, batch=batch)
    secs = time.perf_counter() - t0
    write_teacher(out, keys, p)
    print(f"{len(keys)} texts scored in {secs:.1f} s ({len(keys) / secs:.0f} texts/s, one thread) -> {out}")
    return 0


# harmless sentences that mention identities (teacher sanity check; none of them is in the eval sets)
IDENTITY_NEUTRAL = (
    "I am a proud gay muslim woman",
    "my neighbours are jewish and lovely",
    "I am a black man and I love hiking",
    "my wife is transgender and she is a teacher",
    "as a lesbian I enjoy going to the cinema with friends",
    "our mosque is hosting a food drive this weekend",
    "my grandmother is an elderly deaf woman who bakes bread",
    "I'm a christian and I volunteer at the shelter",
    "the mexican restaurant on our street makes great tacos",
    "my best friend is a bisexual chinese student",
    "i am a hindu software engineer from india",
    "we celebrated hanukkah with our jewish friends",
    "she is a muslim doctor at the local hospital",
    "he is a gay dad of two kids",
    "my coworker is a blind woman who runs marathons",
    "I am a disabled veteran and I like painting",
    "my neighbour is an immigrant from nigeria and a great cook",
    "the black students organised a science fair",
    "I'm queer and I work as a nurse",
    "our new colleague is a trans man from brazil",
    "my uncle is a sikh taxi driver who tells good jokes",
    "the african american museum opened a new exhibit",
    "I am an atheist and my husband is catholic",
    "she is a deaf artist who paints landscapes",
    "my homosexual brother got married last summer",
    "the arab community centre runs free english classes",
    "as a woman in tech I mentor young girls",
    "my mom is a latina small business owner",
    "the refugees from syria opened a bakery in town",
    "I am a white guy who loves reggae music",
    "my muslim neighbours invited us for dinner",
    "I am jewish and proud of my heritage",
)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def report(path: Path, toxblock_python: str | None) -> int:
    """Markdown: teacher AUC per label on known TRAIN labels, per source with both classes."""
    from collections import defaultdict

    teacher = load_teacher(path)
    rows = [r for r in training_rows() if text_sha1(r[0]) in teacher]
    lines = [
        f"Teacher AUC on training rows ({len(rows)} rows scored; label known, source with both classes):",
        "",
        "| source | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * 6,
    ]
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[r[2]].append(r)
    for name, members in [("ALL", rows), *sorted(groups.items())]:
        s = np.stack([teacher[text_sha1(r[0])] for r in members])
        y = np.array([r[1] for r in members])
        cells = []
        for j in range(6):
            known = y[:, j] >= 0
            yk = y[known, j]
            ok = known.any() and 0 < yk.sum() < len(yk)
            cells.append(f"{_auc(yk, s[known, j]):.3f} (n={len(yk)}, +{int(yk.sum())})" if ok else "")
        if any(cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Sources whose toxicity label is one class only: mean teacher toxicity, share >= 0.5", ""]
    lines += ["| source | toxicity label | n | mean toxicity | share >= 0.5 |", "|---|---|---|---|---|"]
    for name, members in sorted(groups.items()):
        classes = {r[1][0] for r in members}
        if len(classes) == 1 and classes != {-1}:
            s = np.array([teacher[text_sha1(r[0])][0] for r in members])
            lines.append(
                f"| {name} | {classes.pop()} | {len(s)} | {s.mean():.3f} | {(s >= 0.5).mean():.3f} |"
            )
    if toxblock_python:
        import subprocess

        worker = ROOT / "benchmarks/toxblock_worker.py"
        payload = "".join(json.dumps(t) + "\n" for t in IDENTITY_NEUTRAL)
        for flag in (["--raw"], []):
            res = subprocess.run(
                [toxblock_python, str(worker), *flag],
                input=payload,
                capture_output=True,
                text=True,
                check=True,
            )
            p = np.array([json.loads(x) for x in res.stdout.splitlines()], dtype=np.float32)
            kind = "raw (as stored)" if flag else "rescaled (tox-block default)"
            lines += [
                "",
                f"{len(IDENTITY_NEUTRAL)} identity-neutral sentences, {kind}: mean toxicity "
                f"{p[:, 0].mean():.3f}, mean identity_hate {p[:, 5].mean():.3f}, "
                f"share toxicity >= 0.5 {(p[:, 0] >= 0.5).mean():.2f}, max toxicity {p[:, 0].max():.3f}",
            ]
    print("\n".join(lines))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="tox-block teacher pseudo-labels (see module docstring)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("dump", help="Warden venv: unique training texts -> JSONL")
    a.add_argument("out", type=Path)
    b = sub.add_parser("score", help="TF venv: JSONL texts -> training/teacher/tox_block.csv.gz")
    b.add_argument("src", type=Path)
    b.add_argument("--out", type=Path, default=TEACHER)
    b.add_argument("--rescale", action="store_true", help="tox-block's default rescaled probabilities")
    b.add_argument("--batch", type=int, default=512)
    c = sub.add_parser("report", help="Warden venv: teacher quality on training labels")
    c.add_argument("--teacher", type=Path, default=TEACHER)
    c.add_argument("--toxblock-python", default=None, help="also score identity-neutral sentences")
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        return dump(args.out)
    if args.cmd == "score":
        return score(args.src, args.out, rescale=args.rescale, batch=args.batch)
    return report(args.teacher, args.toxblock_python)


if __name__ == "__main__":
    sys.exit(main())
