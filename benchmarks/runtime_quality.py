"""Does a fast runtime keep the model's quality? ONNX (float32, int8), torch-bf16 against float32 torch.

    nice -n 10 python benchmarks/runtime_quality.py                 # the shipped artifact
    python benchmarks/runtime_quality.py --runtimes onnx,onnx-int8 --madlibs-limit 20000 --json out.json

The int8 graph is not shipped: build it first with ``python -m training.export_onnx --art DIR --int8``
on a copy of the artifact and pass ``--artifact DIR``.

Bounds (issue 12), each checked for every runtime named:
* every held-out AUC of the model card (madlibs, wiki, wiki fuzzed, ToxiGen on toxicity; HateCheck on
  the max label), for the shipped cascade and for tier 2 alone, within 0.005 of the float model's;
* at most 1% of decisions changed (the action the bot would take, through ``ReplayEngine``: prepare,
  score, default policy) on the seed thread (``../shared/seed/thread.txt`` line by line after the
  article's first 6 lines) and on HateCheck (each case its own author).

The reference is the torch pass in float32 (``WARDEN_ENCODER_BF16=0``), the pass the model was
calibrated with. Exits 1 when a bound is missed. Loaders are ``benchmarks/model_eval.py``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ["WARDEN_ENCODER_BF16"] = "0"  # the float reference; set before any encoder is built

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SEED = ROOT.parent / "shared/seed/thread.txt"
ARTICLE_LINES = 6
MAX_AUC_DELTA = 0.005
MAX_CHANGED = 0.01
AUC_SETS = ("madlibs", "wiki", "wiki_fuzzed", "toxigen", "hatecheck")


def aucs(backend, sets, prep) -> dict[str, float]:
    """The model card's held-out AUCs, for the cascade and for tier 2 alone."""
    from benchmarks.model_eval import EmbeddedScorers, auc

    emb = EmbeddedScorers(artifact_dir=backend.artifact_dir)  # the card's scoring pass ...
    emb.backend = backend  # ... on this backend's runtime
    out = {}
    for name in AUC_SETS:
        texts, y, _ = sets[name]
        cascade, tier2, _ = emb.both(name, [prep(t) for t in texts])
        for view, p in (("cascade", cascade), ("tier2", tier2)):
            score = p.max(axis=1) if name == "hatecheck" else p[:, 0]
            out[f"{name}_{view}"] = auc(y, score)
    return out


def decisions(backend, messages) -> list[str]:
    """The action per message through the replay's path (prepare, score, default policy)."""
    from bot.policy import load_default_policy
    from bot.replay.engine import ReplayEngine

    result = ReplayEngine(backend, load_default_policy(), evidence=False).run(messages)
    if result.failed:
        raise SystemExit(f"{len(result.failed)} messages failed to score: {result.failed[:3]}")
    return [row.decision.action.value for row in result.rows]


def decision_sets(sets) -> dict[str, list]:
    from bot.replay.reader import ThreadMessage, read_thread

    out = {}
    if SEED.exists():
        out["seed_thread"] = read_thread(SEED).messages[ARTICLE_LINES:]
    texts = sets["hatecheck"][0]
    out["hatecheck"] = [ThreadMessage(line=i + 1, content=t) for i, t in enumerate(texts)]
    return out


def measure(runtime: str, artifact: Path, sets, prep, messages) -> dict:
    """Scores and decisions with tier 2 on ``runtime`` (``torch-bf16``: the torch pass in bfloat16)."""
    from bot.scoring.embedded import EmbeddedBackend

    t0 = time.perf_counter()
    backend = EmbeddedBackend(artifact, runtime="torch" if runtime.startswith("torch") else runtime)
    os.environ["WARDEN_ENCODER_BF16"] = "1" if runtime == "torch-bf16" else "0"
    try:
        backend.warm_up()
    finally:
        os.environ["WARDEN_ENCODER_BF16"] = "0"
    result: dict[str, Any] = {
        "runtime": backend.runtime,
        "reason": backend.runtime_reason,
        "auc": aucs(backend, sets, prep),
        "decisions": {name: decisions(backend, msgs) for name, msgs in messages.items()},
    }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def compare(ref: dict, run: dict) -> dict:
    """Per-bound deltas and whether each is within its bound."""
    auc_delta = {k: abs(run["auc"][k] - v) for k, v in ref["auc"].items()}
    changed = {
        name: sum(a != b for a, b in zip(acts, run["decisions"][name], strict=True)) / max(1, len(acts))
        for name, acts in ref["decisions"].items()
    }
    counts = {
        name: sum(a != b for a, b in zip(acts, run["decisions"][name], strict=True))
        for name, acts in ref["decisions"].items()
    }
    ok = all(d <= MAX_AUC_DELTA for d in auc_delta.values()) and all(
        c <= MAX_CHANGED for c in changed.values()
    )
    return {"auc_delta": auc_delta, "changed_share": changed, "changed": counts, "within_bounds": ok}


def report(ref: dict, runs: dict[str, dict], checks: dict[str, dict]) -> str:
    names = list(runs)
    lines = [
        "| measure | torch float32 | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for key, value in ref["auc"].items():
        cells = [f"{runs[n]['auc'][key]:.4f} ({runs[n]['auc'][key] - value:+.4f})" for n in names]
        lines.append(f"| {key} AUC | {value:.4f} | " + " | ".join(cells) + " |")
    for name, acts in ref["decisions"].items():
        cells = [
            f"{checks[n]['changed'][name]} of {len(acts)} ({100 * checks[n]['changed_share'][name]:.2f}%)"
            for n in names
        ]
        lines.append(f"| {name} decisions changed | - | " + " | ".join(cells) + " |")
    verdicts = ["**within bounds**" if checks[n]["within_bounds"] else "**missed**" for n in names]
    lines.append("| verdict | reference | " + " | ".join(verdicts) + " |")
    return "\n".join(lines)


def default_runtimes(artifact: Path) -> list[str]:
    from bot.scoring.embedded import runtime as rt

    out = ["onnx"]
    if any(flag in rt.cpu_flags() for flag in rt.NATIVE_BF16):
        out.append("torch-bf16")
    if rt.graph_problem(artifact, rt.INT8_FILE) is None:
        out.append("onnx-int8")
    return out


def main(argv: list[str] | None = None) -> int:
    from benchmarks.model_eval import load_sets
    from bot.scoring.embedded.backend import ARTIFACT_DIR

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifact", type=Path, default=ARTIFACT_DIR)
    ap.add_argument(
        "--runtimes",
        default=None,
        help="comma-separated: onnx, onnx-int8, torch-bf16 (default: onnx, and torch-bf16 where the CPU "
        "has native bfloat16, and onnx-int8 where the artifact has that graph)",
    )
    ap.add_argument("--limit", type=int, default=None, help="cap rows per AUC set (HateCheck never capped)")
    ap.add_argument("--madlibs-limit", type=int, default=None, help="a fixed random sample of madlibs")
    ap.add_argument("--json", type=Path, default=None, help="also write every number here")
    args = ap.parse_args(argv)
    try:
        from bot.pipeline import normalize as prep
    except ImportError:  # pragma: no cover - the pipeline ships with the bot

        def prep(text: str) -> str:
            return text

    sets = load_sets(args.limit, args.madlibs_limit)
    messages = decision_sets(sets)
    print("scoring with torch float32 (reference) ...", flush=True)
    ref = measure("torch", args.artifact, sets, prep, messages)
    runs, checks = {}, {}
    for runtime in default_runtimes(args.artifact) if args.runtimes is None else args.runtimes.split(","):
        runtime = runtime.strip()
        print(f"scoring with {runtime} ...", flush=True)
        runs[runtime] = measure(runtime, args.artifact, sets, prep, messages)
        if runs[runtime]["runtime"] != runtime:
            raise SystemExit(f"{runtime} did not load: {runs[runtime]['reason']}")
        checks[runtime] = compare(ref, runs[runtime])
    print(report(ref, runs, checks))
    if args.json:
        payload = {"reference": ref, "runs": runs, "checks": checks}
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0 if all(c["within_bounds"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
