"""How fast the bot's lexical path answers when the full model takes nothing (a raid's worst case).

    .venv/bin/python benchmarks/lexical_path.py                       # batched preparation (the bot's)
    .venv/bin/python benchmarks/lexical_path.py --prepare thread      # one to_thread a message (before)
    .venv/bin/python benchmarks/lexical_path.py --profile             # where the event loop's time goes

Messages of the speed mix (``benchmarks/speed.py``: 80% chat lines, 20% news comments) are offered at
fixed rates for ``--seconds``; each is prepared off the loop and scored through the bot's
``TieredFront`` whose full model refuses everything (its measured cost set to 100 s a text), so the
lexical tier answers or, when it cannot within 2 s, the message is deferred. Prints, per rate, the
answers (lexical final, degraded), the deferred count and the p99 from arrival to answer. Never a timed
unit test; pinned to ``--cores``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.speed import mix, paced, pin  # noqa: E402  (the speed benchmark's mix, pacing, pinning)


async def offer(backend, pool: list[str], rate: float, seconds: float, how: str) -> dict:
    """Offer ``rate`` messages a second for ``seconds``; what became of them."""
    from bot.moderation.prepare_queue import BatchedPrepare
    from bot.pipeline import prepare
    from bot.scoring.batcher import Overloaded
    from bot.scoring.front import TieredFront

    batched = BatchedPrepare()
    front = TieredFront(backend, max_batch=64, max_wait_ms=10)  # as create_bot builds it
    await front.start()
    await front.score_chunks(["warm up"])
    front.full.cost.observe(1, 100.0)  # the full model now refuses every message
    counts = {"lexical": 0, "degraded": 0, "deferred": 0, "full": 0}
    latencies: list[float] = []

    async def one(text: str) -> None:
        arrived = time.perf_counter()
        prepared = await (batched(text) if how == "batched" else asyncio.to_thread(prepare, text))
        if not prepared.chunks:
            return
        try:
            answer = await front.score_chunks(prepared.chunks)
        except Overloaded:
            counts["deferred"] += 1
            return
        latencies.append(time.perf_counter() - arrived)
        counts["degraded" if answer.degraded else answer.tier] += 1

    offered = await paced(rate, seconds, lambda i: one(pool[i % len(pool)]))
    await front.close()
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0.0
    return {"offered_per_s": rate, "messages": offered, **counts, "p99_ms": 1000 * p99}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")], default=[1500, 2500, 3500])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--prepare", choices=("batched", "thread"), default="batched")
    ap.add_argument("--profile", action="store_true", help="profile the event loop at the last rate")
    args = ap.parse_args(argv)
    pin(args.cores)

    from bot.pipeline.typos import preload
    from bot.scoring.embedded import EmbeddedBackend

    preload()
    backend = EmbeddedBackend()
    backend.warm_up()
    pool = mix(20000, seed=23)
    print(f"prepare: {args.prepare}; {args.cores} cores; {args.seconds:g} s a rate")
    print("| offered msg/s | messages | lexical (final) | degraded | deferred | p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, rate in enumerate(args.rates):
        profiler = cProfile.Profile() if args.profile and n == len(args.rates) - 1 else None
        if profiler:
            profiler.enable()
        r = asyncio.run(offer(backend, pool, rate, args.seconds, args.prepare))
        if profiler:
            profiler.disable()
        print(
            f"| {r['offered_per_s']:.0f} | {r['messages']} | {r['lexical']} | {r['degraded']} | "
            f"{r['deferred']} | {r['p99_ms']:.0f} |"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
