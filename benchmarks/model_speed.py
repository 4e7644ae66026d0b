"""Throughput and latency of the embedded scorer on 2 CPU cores.

    nice -n 10 python benchmarks/model_speed.py                # default: 2000 messages, batch 32
    python benchmarks/model_speed.py --messages 500 --batch 16

Messages are a fixed sample of realistic lengths: 70% GoEmotions Reddit comments (chat register) and 30%
Civil Comments news comments (toxic_spans/comments.csv), prepared with ``bot.pipeline.normalize`` when
available. Reports messages/second batched and one at a time, p50/p99 per-batch latency, the share sent
to tier 2, load time and peak resident memory. Results go to stdout as JSON (and the model card with
--write).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WARDEN_DATA", ROOT.parent / "shared/data")) / "train"
CARD = ROOT / "docs/model-card.md"
BEGIN, END = "<!-- model_speed:begin -->", "<!-- model_speed:end -->"


def sample_messages(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    with (DATA / "goemotions/dev.tsv").open(encoding="utf-8") as fh:
        chat = [line.split("\t")[0] for line in fh if line.strip()]
    csv.field_size_limit(10**8)
    with (DATA / "toxic_spans/comments.csv").open(encoding="utf-8") as fh:
        news = [r["comment_text"] for r in csv.DictReader(fh)]
    n_news = int(n * 0.3)
    msgs = rng.sample(chat, n - n_news) + rng.sample(news, n_news)
    rng.shuffle(msgs)
    try:
        from bot.pipeline import normalize

        msgs = [normalize(m) for m in msgs]
    except ImportError:
        pass
    return msgs


def measure(build, msgs: list[str], args) -> dict:
    """Load a backend (``build()``), then score ``msgs`` batched and one at a time; the figures."""
    import numpy as np

    from bot.percentiles import percentile

    t0 = time.perf_counter()
    backend = build()
    backend.score(["warm up the encoder"])  # first call loads MiniLM
    load_s = time.perf_counter() - t0
    lat, tier2 = [], []
    t0 = time.perf_counter()
    for i in range(0, len(msgs), args.batch):
        b0 = time.perf_counter()
        backend.score(msgs[i : i + args.batch])
        lat.append(time.perf_counter() - b0)
        tier2.append(backend.last_tier2_share)
    batched = len(msgs) / (time.perf_counter() - t0)
    single_lat = []
    t0 = time.perf_counter()
    for m in msgs[: args.single]:
        b0 = time.perf_counter()
        backend.score([m])
        single_lat.append(time.perf_counter() - b0)
    single = args.single / (time.perf_counter() - t0)
    words = [len(m.split()) for m in msgs]
    return {
        "model_version": backend.model_version,
        "cores": args.threads,
        "messages": len(msgs),
        "words_per_message_median": percentile(words, 50),
        "words_per_message_p90": float(percentile(words, 90)),
        "batch_size": args.batch,
        "batched_msgs_per_s": round(batched, 1),
        "batch_latency_p50_ms": round(float(percentile(lat, 50)) * 1000, 1),
        "batch_latency_p99_ms": round(float(percentile(lat, 99)) * 1000, 1),
        "single_msgs_per_s": round(single, 1),
        "single_latency_p50_ms": round(float(percentile(single_lat, 50)) * 1000, 2),
        "single_latency_p99_ms": round(float(percentile(single_lat, 99)) * 1000, 2),
        "tier2_share": round(float(np.mean(tier2)), 3),
        "load_and_first_call_s": round(load_s, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--single", type=int, default=300, help="messages scored one at a time")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="write the result into docs/model-card.md")
    ap.add_argument(
        "--legacy-dir",
        type=Path,
        default=ROOT / "bot/scoring/embedded/artifacts_1_1",
        help="a previous model measured in the same run (default: model 1.1)",
    )
    args = ap.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[: args.threads]
        os.sched_setaffinity(0, cpus)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    msgs = sample_messages(args.messages)
    from bot.scoring.embedded import EmbeddedBackend
    from bot.scoring.embedded.backend import ARTIFACT_DIR_1_1

    out = measure(lambda: EmbeddedBackend(), msgs, args)
    if args.legacy_dir and (args.legacy_dir / "thresholds.json").exists():
        # The previous model in the same run, so "no slower than 1.1" is a ratio, not two days' figures.
        legacy = measure(lambda: EmbeddedBackend(args.legacy_dir), msgs, args)
        out["legacy_model_version"] = legacy["model_version"]
        out["legacy_batched_msgs_per_s"] = legacy["batched_msgs_per_s"]
        out["legacy_batch_latency_p99_ms"] = legacy["batch_latency_p99_ms"]
        out["batched_speed_vs_legacy"] = round(out["batched_msgs_per_s"] / legacy["batched_msgs_per_s"], 2)
    elif args.legacy_dir != ARTIFACT_DIR_1_1:
        print(f"no model in {args.legacy_dir}: legacy column skipped", file=sys.stderr)
    print(json.dumps(out, indent=2))
    if args.write:
        rows = "\n".join(f"| {k} | {v} |" for k, v in out.items())
        md = (
            "Command: `nice -n 10 python benchmarks/model_speed.py --write` (2 cores pinned with "
            "sched_setaffinity, torch threads 2, other jobs may share the machine).\n\n"
            "| measure | value |\n|---|---|\n" + rows
        )
        card = CARD.read_text(encoding="utf-8")
        if BEGIN in card:
            head, rest = card.split(BEGIN, 1)
            _, tail = rest.split(END, 1)
            CARD.write_text(f"{head}{BEGIN}\n{md}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
