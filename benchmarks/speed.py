"""One command for inference speed: Warden's replay and scorer front against detoxify's architecture.

    .venv/bin/python benchmarks/speed.py                         # about 4 minutes on 2 cores
    .venv/bin/python benchmarks/speed.py --write docs/benchmarks.md --json speed.json

Measured in one run, on ``--cores`` cores (default 2; pinned with sched_setaffinity):

* **detoxify original**: its architecture (BERT-base, 6 labels) at random weights (transformers'
  ``BertConfig``, nothing downloaded; speed does not depend on weight values), float32 torch, length-sorted
  batches of 32 (the way it scores fastest);
* **plain-torch MiniLM**: Warden's tier-2 model on torch alone (bfloat16 where the CPU has it natively),
  every text through it, calls of 32;
* **replay**: ``ReplayEngine`` as ``warden replay --no-evidence`` runs it (prepare, cascade, policy);
* **front**: the bot's ``TieredFront`` (as ``create_bot`` builds it) with prepare off the loop and batched,
  as the use case does: saturation (a closed loop of 128 callers), then p50/p99 from arrival to result under
  open-loop offered loads (shares of saturation), then a **burst** of 10x saturation for 10 s with
  degraded answers re-scored by the full model through a ``RescoreQueue`` (as the cog does);
* the peak RSS of the Warden process (model loaded, replay and front run), the CPU's flags and the
  tier-2 runtime chosen (``bot.scoring.embedded.runtime``).

The mix is about 80% chat lines (GoEmotions Reddit comments) and 20% news comments (Civil Comments,
toxic_spans), all distinct. The baselines and Warden run in separate child processes, so each has its
own thread pools and the RSS is Warden's alone. Never a timed unit test.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import json
import logging
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("WARDEN_DATA", ROOT.parent / "shared/data")) / "train"
NEWS_SHARE = 0.2


def mix(n: int, seed: int = 11) -> list[str]:
    """``n`` distinct messages, about 80% chat lines and 20% news comments, shuffled (fewer when the
    sources run out: every text is used once)."""
    rng = random.Random(seed)
    with (DATA / "goemotions/train.tsv").open(encoding="utf-8") as fh:
        chat = list(dict.fromkeys(line.split("\t")[0] for line in fh if line.strip()))
    csv.field_size_limit(10**8)
    with (DATA / "toxic_spans/comments.csv").open(encoding="utf-8") as fh:
        news = list(dict.fromkeys(row["comment_text"] for row in csv.DictReader(fh)))
    n_news = min(len(news), round(n * NEWS_SHARE))
    n_chat = min(len(chat), n - n_news)
    texts = rng.sample(chat, n_chat) + rng.sample(news, n_news)
    rng.shuffle(texts)
    return list(dict.fromkeys(texts))


def pin(cores: int) -> None:
    """Run on ``cores`` cores, and tell every thread pool so."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    os.environ["WARDEN_THREADS"] = str(cores)
    os.environ.setdefault("OMP_NUM_THREADS", str(cores))


async def paced(rate: float, seconds: float, start: Callable[[int], Coroutine[Any, Any, object]]) -> int:
    """An open loop: ``start(i)`` for message ``i`` at ``i / rate`` seconds from now, for ``seconds``
    (each its own task, never waiting for earlier ones), then wait for all; returns how many."""
    tasks: list[asyncio.Task[object]] = []
    begin = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(start(i)))
    await asyncio.gather(*tasks)
    return len(tasks)


def percentile(values: list[float], q: float) -> float:
    """:func:`bot.percentiles.percentile` (the bot's one definition); NaN for no values."""
    from bot.percentiles import percentile as shared

    return shared(values, q) if values else float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------------ baselines
def part_baselines(args) -> dict:
    """detoxify's architecture at random weights, and Warden's tier 2 on plain torch."""
    import torch
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    from bot.minilm import default_model_dir
    from bot.scoring.embedded.backend import ARTIFACT_DIR
    from bot.scoring.embedded.finetuned import FinetunedTier2
    from bot.scoring.embedded.textprep import clean_for_scoring

    torch.set_num_threads(args.cores)
    texts = mix(args.messages)
    out: dict = {}

    torch.manual_seed(0)
    # num_labels is read from PreTrainedConfig's **kwargs, which its typed dataclass __init__ does not show
    config = BertConfig(num_labels=6)  # type: ignore[call-arg]
    bert = BertForSequenceClassification(config).eval()  # bert-base-uncased's shape
    tokenizer = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))  # the same uncased vocab
    tokenizer.enable_truncation(max_length=512)
    sample = texts[: args.detoxify_messages]
    ids = [enc.ids for enc in tokenizer.encode_batch(sample)]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), 32):
            batch = [ids[i] for i in order[start : start + 32]]
            width = max(len(x) for x in batch)
            arr = torch.zeros((len(batch), width), dtype=torch.int64)
            mask = torch.zeros((len(batch), width), dtype=torch.int64)
            for row, seq in enumerate(batch):
                arr[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            torch.sigmoid(bert(input_ids=arr, attention_mask=mask).logits)
    out["detoxify_msgs_per_s"] = len(sample) / (time.perf_counter() - started)
    out["detoxify_messages"] = len(sample)
    del bert

    tier2 = FinetunedTier2(ARTIFACT_DIR, runtime="torch")
    tier2.load()
    sample = [clean_for_scoring(t) for t in texts[: args.minilm_messages]]
    tier2.logits(sample[:32])
    started = time.perf_counter()
    for start in range(0, len(sample), 32):
        tier2.logits(sample[start : start + 32])
    out["minilm_torch_msgs_per_s"] = len(sample) / (time.perf_counter() - started)
    out["minilm_torch_runtime"] = tier2.runtime
    out["minilm_messages"] = len(sample)
    return out


# ------------------------------------------------------------------------------------------ Warden
def part_warden(args) -> dict:
    """The replay, the front's saturation, offered loads and the burst, in one process."""
    from bot.pipeline.typos import preload
    from bot.policy import load_default_policy
    from bot.replay.engine import ReplayEngine
    from bot.replay.reader import ThreadMessage
    from bot.scoring.embedded import EmbeddedBackend
    from bot.scoring.registry import build_backend

    # One warning per message the burst's re-score queue gives up on: counted in the report instead.
    logging.getLogger("bot.scoring.rescore").setLevel(logging.ERROR)
    started = time.perf_counter()
    backend = build_backend("embedded")
    assert isinstance(backend, EmbeddedBackend)  # its runtime is reported below
    backend.warm_up()
    preload()
    out: dict = {
        "load_s": time.perf_counter() - started,
        "runtime": backend.runtime,
        "runtime_reason": backend.runtime_reason,
        "model_version": backend.model_version,
        "rss_loaded_mb": peak_rss_mb(),
    }
    texts = mix(args.messages + 200)
    warm, texts = texts[:200], texts[200:]
    # Without evidence (--no-evidence): it re-scores each acted-on message about twice per word, and a
    # fifth of this mix is toxic news comments, so it would measure the explainer, not the scorer.
    engine = ReplayEngine(backend, load_default_policy(), evidence=False)
    engine.run([ThreadMessage(line=i + 1, content=t, author=f"u{i % 50}") for i, t in enumerate(warm)])
    messages = [ThreadMessage(line=i + 1, content=t, author=f"u{i % 50}") for i, t in enumerate(texts)]
    started = time.perf_counter()
    result = engine.run(messages)
    out["replay_msgs_per_s"] = len(result.rows) / (time.perf_counter() - started)
    out["replay_messages"] = len(result.rows)
    out.update(asyncio.run(_front(backend, args)))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def _front(backend, args) -> dict:
    from bot.moderation.prepare_queue import BatchedPrepare
    from bot.scoring.batcher import Overloaded
    from bot.scoring.front import ChunkScores, TieredFront
    from bot.scoring.rescore import RescoreQueue

    front = TieredFront(backend, max_batch=64, max_wait_ms=10)  # as bot.discord_adapter.factory builds it
    await front.start()
    pool = mix(args.burst_pool, seed=23)
    cursor = iter(range(10**9))

    def next_text() -> str:
        return pool[next(cursor) % len(pool)]

    prepare = BatchedPrepare()  # as the use case prepares: off the loop, batched

    async def answer(text: str, allow_degraded: bool):
        prepared = await prepare(text)
        if not prepared.chunks:  # nothing to score (the cog stops here too)
            return ChunkScores(())
        return await front.score_chunks(prepared.chunks, allow_degraded=allow_degraded)

    # Saturation: 128 callers, each sends its next message as soon as the last is answered.
    done = 0
    stop_at = time.perf_counter() + args.seconds

    async def caller() -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            try:
                await answer(next_text(), allow_degraded=False)
                done += 1
            except Overloaded:
                await asyncio.sleep(0.01)

    for seconds in (2.0, args.seconds):  # a short warm-up, then the measured run
        started = time.perf_counter()
        stop_at = started + seconds
        done = 0
        await asyncio.gather(*(caller() for _caller in range(128)))
    saturation = done / (time.perf_counter() - started)
    out: dict = {"front_saturation_msgs_per_s": saturation, "loads": []}

    keys = itertools.count()

    async def offered(
        rate: float,
        seconds: float,
        rescores: RescoreQueue | None = None,
        queue_key: Callable[[str, str], tuple[int, Any]] | None = None,
    ) -> dict:
        latencies: list[float] = []
        tiers = {"full": 0, "lexical": 0, "degraded": 0, "deferred": 0}

        async def one(text: str) -> None:
            arrived = time.perf_counter()
            try:
                result = await answer(text, allow_degraded=True)
            except Overloaded:  # neither tier in time: the cog defers the message to the full model
                tiers["deferred"] += 1
                if rescores is not None and queue_key is not None:
                    rescores.add(*queue_key(text, "deferred"))
                return
            latencies.append(time.perf_counter() - arrived)
            tier = "degraded" if result.degraded else result.tier
            tiers[tier] += 1
            if result.degraded and rescores is not None and queue_key is not None:
                rescores.add(*queue_key(text, "degraded"))

        begin = time.perf_counter()
        await paced(rate, seconds, lambda _i: one(next_text()))
        return {
            "offered_per_s": rate,
            "achieved_per_s": len(latencies) / (time.perf_counter() - begin),
            "p50_ms": 1000 * percentile(latencies, 50),
            "p99_ms": 1000 * percentile(latencies, 99),
            **tiers,
        }

    for share in args.loads:
        out["loads"].append({"share": share, **await offered(share * saturation, args.seconds)})
    out["rss_serving_mb"] = peak_rss_mb()  # model loaded, replay and offered loads done

    # Burst: 10x saturation; what the lexical tier answers degraded, and what neither tier answered in
    # time (deferred), goes to the full model again through a RescoreQueue, as the bot does.
    rescored: dict[int, float] = {}
    kinds: dict[int, str] = {}

    async def rescore(item: tuple[int, str]) -> None:
        key, text = item
        await answer(text, allow_degraded=False)  # Overloaded: the queue retries later
        rescored[key] = time.perf_counter()

    def queue_key(text: str, kind: str) -> tuple[int, tuple[int, str]]:
        key = next(keys)
        kinds[key] = kind
        return key, (key, text)

    queue: RescoreQueue = RescoreQueue(
        rescore, ready=front.has_room, wait_ready=front.progressed, max_age_s=args.drain_limit_s
    )
    burst = await offered(args.burst_factor * saturation, args.burst_seconds, queue, queue_key)
    burst_end = time.perf_counter()
    while not queue.idle and time.perf_counter() - burst_end < args.drain_limit_s:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # the queue offers no event to wait on; 0.1 s is the figure's grain
    window_end = burst_end + args.rescore_window_s
    degraded_keys = [k for k, kind in kinds.items() if kind == "degraded"]
    deferred_keys = [k for k, kind in kinds.items() if kind == "deferred"]
    burst.update(
        factor=args.burst_factor,
        seconds=args.burst_seconds,
        rescored=len(rescored),
        rescored_in_window=sum(1 for t in rescored.values() if t <= window_end),
        degraded_not_in_window=sum(1 for k in degraded_keys if rescored.get(k, math.inf) > window_end),
        # a deferred message has no decision until the full model scores it
        unscored=sum(1 for k in deferred_keys if k not in rescored),
        drained_after_s=(max(rescored.values()) - burst_end) if rescored else 0.0,
        rescore_window_s=args.rescore_window_s,
    )
    out["burst"] = burst
    await queue.close()
    await front.close()
    return out


# ------------------------------------------------------------------------------------------ report
def cpu_description() -> dict:
    from bot.scoring.embedded.runtime import FLAGS_OF_INTEREST, cpu_flags, usable_cores

    flags = cpu_flags()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "model": model,
        "usable_cores": usable_cores(),
        "flags": {flag: flag in flags for flag in FLAGS_OF_INTEREST},
    }


def markdown(result: dict, args) -> str:
    b, w, cpu = result["baselines"], result["warden"], result["cpu"]
    detox = b["detoxify_msgs_per_s"]
    flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in cpu["flags"].items())
    burst = w["burst"]
    sat = w["front_saturation_msgs_per_s"]
    lines = [
        f"### Inference speed ({time.strftime('%Y-%m-%d')}, {args.cores} cores, {cpu['model']})",
        "",
        f"Command: `.venv/bin/python benchmarks/speed.py --cores {args.cores}`. CPU flags: {flags}. "
        f"Tier-2 runtime: **{w['runtime']}** ({w['runtime_reason']}). Model {w['model_version']}.",
        "",
        "| path | msg/s | vs detoxify original |",
        "|---|---:|---:|",
        f"| detoxify original (BERT-base, random weights, float32 torch, sorted batches of 32) | "
        f"{detox:.1f} | 1.0x |",
        f"| plain-torch MiniLM (tier 2 on {b['minilm_torch_runtime']}, every text, calls of 32) | "
        f"{b['minilm_torch_msgs_per_s']:.0f} | {b['minilm_torch_msgs_per_s'] / detox:.1f}x |",
        f"| `warden replay --no-evidence` (prepare, cascade, policy) | {w['replay_msgs_per_s']:.0f} | "
        f"**{w['replay_msgs_per_s'] / detox:.0f}x** |",
        f"| bot front, saturated (128 callers) | {sat:.0f} | "
        f"{sat / detox:.0f}x ({sat / w['replay_msgs_per_s']:.2f}x the replay) |",
        "",
        "| offered (share of saturation) | msg/s | achieved | p50 ms | p99 ms "
        "| full | lexical | degraded | deferred |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for load in w["loads"]:
        lines.append(
            f"| {load['share']:.2f} | {load['offered_per_s']:.0f} | {load['achieved_per_s']:.0f} | "
            f"{load['p50_ms']:.0f} | {load['p99_ms']:.0f} | {load['full']} | {load['lexical']} | "
            f"{load['degraded']} | {load['deferred']} |"
        )
    lines += [
        "",
        f"Burst: {burst['factor']:g}x saturation ({burst['offered_per_s']:.0f} msg/s) "
        f"for {burst['seconds']:g} s: "
        f"{burst['full']} answered by the full model, {burst['lexical']} by the lexical tier (final), "
        f"{burst['degraded']} degraded, {burst['deferred']} deferred (neither tier in time); "
        f"{burst['rescored']} degraded or deferred scored by the full model afterwards "
        f"({burst['rescored_in_window']} within {burst['rescore_window_s']:g} s of the burst's end), the "
        f"last {burst['drained_after_s']:.1f} s after it; {burst['degraded_not_in_window']} degraded not "
        f"re-scored within {burst['rescore_window_s']:g} s; **{burst['unscored']} unscored** (deferred and "
        f"never scored, {args.drain_limit_s:g} s allowed). "
        f"Peak RSS of the Warden process: {w['rss_loaded_mb']:.0f} MB after loading, "
        f"**{w['rss_serving_mb']:.0f} MB** after the replay and the offered loads, "
        f"{w['peak_rss_mb']:.0f} MB by the end of the burst (every message of it held at once: "
        "prepared texts, waiting tasks, the re-score queue); load and warm-up "
        f"{w['load_s']:.1f} s.",
    ]
    return "\n".join(lines) + "\n"


def run_part(part: str, argv: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{part}.json"
        cmd = [sys.executable, __file__, "--part", part, "--part-json", str(path), *argv]
        subprocess.run(cmd, check=True)
        return json.loads(path.read_text(encoding="utf-8"))


def parse(argv: list[str] | None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--messages", type=int, default=3000, help="distinct messages in the replay")
    ap.add_argument("--detoxify-messages", type=int, default=256)
    ap.add_argument("--minilm-messages", type=int, default=640)
    ap.add_argument("--seconds", type=float, default=8.0, help="saturation and each offered load")
    ap.add_argument("--loads", type=lambda s: [float(x) for x in s.split(",")], default=[0.25, 0.5, 0.75])
    ap.add_argument("--burst-factor", type=float, default=10.0)
    ap.add_argument("--burst-seconds", type=float, default=10.0)
    ap.add_argument("--burst-pool", type=int, default=40000, help="distinct messages for the front")
    ap.add_argument("--drain-limit-s", type=float, default=300.0, help="how long the re-scores may run")
    ap.add_argument("--rescore-window-s", type=float, default=60.0, help="the issue's re-score bound")
    ap.add_argument("--write", type=Path, help="append the Markdown section to this file")
    ap.add_argument("--json", type=Path, help="write every figure here")
    ap.add_argument("--part", choices=("baselines", "warden"), help=argparse.SUPPRESS)
    ap.add_argument("--part-json", type=Path, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    pin(args.cores)
    if args.part:
        result = (part_baselines if args.part == "baselines" else part_warden)(args)
        args.part_json.write_text(json.dumps(result), encoding="utf-8")
        return 0
    child_argv = [
        *("--cores", str(args.cores), "--messages", str(args.messages)),
        *("--detoxify-messages", str(args.detoxify_messages), "--minilm-messages", str(args.minilm_messages)),
        *("--seconds", str(args.seconds), "--loads", ",".join(map(str, args.loads))),
        *("--burst-factor", str(args.burst_factor), "--burst-seconds", str(args.burst_seconds)),
        *("--burst-pool", str(args.burst_pool), "--drain-limit-s", str(args.drain_limit_s)),
        *("--rescore-window-s", str(args.rescore_window_s)),
    ]
    result = {"cpu": cpu_description(), "baselines": run_part("baselines", child_argv)}
    result["warden"] = run_part("warden", child_argv)
    report = markdown(result, args)
    print(report)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    if args.write:
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
