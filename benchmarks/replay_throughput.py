"""Replay and scorer-front throughput on the embedded backend.

Measures, in one run on this machine:
1. the offline replay (read -> prepare -> score -> policy) in messages/second over a long thread;
2. the micro-batching front the bot uses (prepare -> MicroBatcher -> per-label max over chunks) under a
   steady offered load: open-loop arrivals at fixed rates, reporting achieved throughput and p50/p99
   latency from arrival to result.

Run:  .venv/bin/python benchmarks/replay_throughput.py [--messages 5000] [--seconds 5] \
          [--write docs/benchmarks.md]
Pin to 2 cores with `taskset -c 0,1` on a bigger machine (the target is stated for 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

from bot.percentiles import percentile
from bot.pipeline import prepare
from bot.policy import load_default_policy
from bot.replay.engine import ReplayEngine
from bot.replay.reader import ThreadMessage, read_thread
from bot.scoring.batcher import MicroBatcher, Overloaded
from bot.scoring.registry import build_backend
from bot.scoring.service import ScoringService

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "thread.txt"
EXAMPLE = REPO / "examples" / "thread.jsonl"


def corpus(n: int) -> list[str]:
    """``n`` distinct, realistic comments: the example and seed threads, then the same sample of
    Reddit chat and news comments that ``model_speed.py`` uses (distinct, because the scoring service
    scores identical chunks once and repeats would inflate the figure)."""
    sys.path.insert(0, str(REPO))
    from benchmarks.model_speed import sample_messages

    texts = [message.content for message in read_thread(EXAMPLE).messages]
    if SEED.exists():
        texts += [message.content for message in read_thread(SEED).messages]
    seen = set(texts)
    texts += [text for text in sample_messages(n + 500) if text and text not in seen]
    return list(dict.fromkeys(texts))[:n]


def bench_replay(texts: list[str], n_messages: int) -> dict[str, float]:
    """Replay ``n_messages`` messages cycling through ``texts``; messages/second end to end."""
    backend = build_backend("embedded")
    engine = ReplayEngine(backend, load_default_policy())
    messages = [
        ThreadMessage(line=i + 1, content=texts[i % len(texts)], author=f"user{i % 50}")
        for i in range(n_messages)
    ]
    engine.run(messages[:200])  # warm-up: weights paged in, caches filled
    started = time.perf_counter()
    result = engine.run(messages)
    elapsed = time.perf_counter() - started
    return {"messages": len(result.rows), "seconds": elapsed, "msg_per_s": len(result.rows) / elapsed}


async def _offered_load(texts: list[str], rate: float, seconds: float) -> dict[str, float]:
    backend = build_backend("embedded")
    batcher = MicroBatcher(backend, max_batch=64, max_wait_ms=10, max_queue=4096)
    await batcher.start()
    service = ScoringService(batcher)
    latencies: list[float] = []
    overloaded = 0

    async def one(text: str) -> None:
        nonlocal overloaded
        arrived = time.perf_counter()
        try:
            await service.ascore_prepared(prepare(text))
        except Overloaded:
            overloaded += 1
            return
        latencies.append(time.perf_counter() - arrived)

    # warm-up
    await asyncio.gather(*(one(text) for text in texts[:64]))
    latencies.clear()
    tasks: list[asyncio.Task[None]] = []
    interval = 1.0 / rate
    started = time.perf_counter()
    total = int(rate * seconds)
    for i in range(total):
        target = started + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(texts[i % len(texts)])))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    await batcher.close()
    latencies.sort()
    return {
        "offered_per_s": rate,
        "achieved_per_s": len(latencies) / elapsed,
        "p50_ms": 1000 * percentile(latencies, 50) if latencies else float("nan"),
        "p99_ms": 1000 * percentile(latencies, 99) if latencies else float("nan"),
        "overloaded": overloaded,
    }


def main() -> None:
    """Run both measurements and print (and optionally write) a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages in the replay measurement")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each offered-load step")
    parser.add_argument("--rates", default="50,100,200,300,500", help="offered loads in messages/second")
    parser.add_argument("--write", type=Path, help="append the results to this Markdown file")
    args = parser.parse_args()

    texts = corpus(max(args.messages, int(max(float(r) for r in args.rates.split(",")) * args.seconds) + 64))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    replay = bench_replay(texts, args.messages)
    loads = [asyncio.run(_offered_load(texts, float(rate), args.seconds)) for rate in args.rates.split(",")]

    cpu = platform.processor() or platform.machine()
    lines = [
        f"### Replay and scorer front ({time.strftime('%Y-%m-%d')}, {cores} cores, {cpu})",
        "",
        f"Command: `.venv/bin/python benchmarks/replay_throughput.py --messages {args.messages} "
        f"--seconds {args.seconds:g}`",
        "",
        f"Replay, embedded backend, {replay['messages']:,} messages: **{replay['msg_per_s']:,.0f} msg/s** "
        f"({replay['seconds']:.2f} s).",
        "",
        "| offered msg/s | achieved msg/s | p50 ms | p99 ms | overloaded |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {load['offered_per_s']:.0f} | {load['achieved_per_s']:.0f} | {load['p50_ms']:.1f} | "
        f"{load['p99_ms']:.1f} | {load['overloaded']} |"
        for load in loads
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.write:
        with args.write.open("a", encoding="utf-8") as handle:
            handle.write("\n" + report)


if __name__ == "__main__":
    main()
