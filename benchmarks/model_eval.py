"""Score Warden's embedded model and baselines on the held-out sets; write the table into docs/model-card.md.

    nice -n 10 python benchmarks/model_eval.py            # all sets, all scorers, updates the model card
    nice -n 10 python benchmarks/model_eval.py --emb-cache --toxblock-python /work/tfenv/bin/python
    python benchmarks/model_eval.py --limit 500 --no-write  # quick look

Held-out sets (/work/shared/data/eval) are never used for training or for choosing thresholds.
Texts pass through ``bot.pipeline.normalize`` first (what the bot does before scoring), when available.
Scorers: ``embedded`` (the shipped cascade), ``embedded tier 2 only`` (no lexical clearing), the shipped
cascade at the bot's default policy thresholds, the previous model (``embedded 1.1``, the cascade of the
artifact in ``--legacy-dir``, default ``bot/scoring/embedded/artifacts_1_1``; skipped with a note when
missing), ``alt-profanity-check`` 1.9.1 (a single probability, used for every label) and tox-block 0.1.2,
in-process if importable, else through benchmarks/toxblock_worker.py under ``--toxblock-python`` (a
TensorFlow virtualenv; training/README.md).

Every column also gets issue 11's policy-threshold metrics (benchmarks/hatecheck_eval.py): HateCheck with
"hateful" = identity_attack or threat at or above the bot's policy threshold (accuracy, balanced accuracy,
per functionality) and the worst per-identity false-positive rate on madlibs at those thresholds.
``--json PATH`` writes every number, these included.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import hatecheck_eval as hc  # noqa: E402
from benchmarks.baselines import ProfanityCheck, ToxBlock  # noqa: E402
from bot.scoring.base import LABELS  # noqa: E402

__all__ = ["ProfanityCheck", "ToxBlock"]  # the baselines, re-exported for the tests and for callers

EVAL = Path(os.environ.get("WARDEN_DATA", ROOT.parent / "shared/data")) / "eval"
CARD = ROOT / "docs/model-card.md"
BEGIN, END = "<!-- model_eval:begin -->", "<!-- model_eval:end -->"

# identity terms of the madlibs templates, longest first (used only to group madlibs rows for reporting)
MADLIBS_IDENTITIES = sorted(
    [
        "lesbian",
        "gay",
        "bisexual",
        "transgender",
        "trans",
        "queer",
        "lgbt",
        "lgbtq",
        "homosexual",
        "straight",
        "heterosexual",
        "male",
        "female",
        "nonbinary",
        "african",
        "african american",
        "black",
        "white",
        "european",
        "hispanic",
        "latino",
        "latina",
        "latinx",
        "mexican",
        "canadian",
        "american",
        "asian",
        "indian",
        "middle eastern",
        "chinese",
        "japanese",
        "christian",
        "muslim",
        "jewish",
        "buddhist",
        "catholic",
        "protestant",
        "sikh",
        "taoist",
        "old",
        "older",
        "young",
        "younger",
        "teenage",
        "millenial",
        "millennial",
        "middle aged",
        "elderly",
        "blind",
        "deaf",
        "paralyzed",
    ],
    key=len,
    reverse=True,
)
_IDENT_RE = re.compile(r"\b(" + "|".join(re.escape(t) for t in MADLIBS_IDENTITIES) + r")\b", re.IGNORECASE)


def read_csv(rel: str) -> list[dict]:
    with (EVAL / rel).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_sets(limit: int | None, madlibs_limit: int | None = None) -> dict[str, tuple]:
    """name -> (texts, y (1 = toxic/hateful), group)"""
    rng = np.random.default_rng(0)

    def cap(texts, y, g, limit=limit):
        if limit and len(texts) > limit:
            idx = np.sort(rng.choice(len(texts), limit, replace=False))
            return [texts[i] for i in idx], y[idx], [g[i] for i in idx]
        return texts, y, g

    sets = {}
    r = read_csv("conversationai_bias/bias_madlibs_77k.csv")
    sets["madlibs"] = cap(
        [x["Text"] for x in r],
        np.array([x["Label"] == "BAD" for x in r], int),
        [(m.group(1).lower() if (m := _IDENT_RE.search(x["Text"])) else "(none)") for x in r],
        limit=madlibs_limit or limit,
    )
    for name, rel in (
        ("wiki", "toxicity_nonfuzzed_testset.csv"),
        ("wiki_fuzzed", "toxicity_fuzzed_testset.csv"),
    ):
        r = read_csv(f"conversationai_bias/{rel}")
        sets[name] = cap(
            [x["comment"] for x in r], np.array([x["toxic"] == "True" for x in r], int), [""] * len(r)
        )
    r = read_csv("toxigen_seeds/toxigen_prompt_sentences.csv")
    sets["toxigen"] = cap(
        [x["text"] for x in r],
        np.array([x["label"] == "hate" for x in r], int),
        [x["target_group"] for x in r],
    )
    r = read_csv("hatecheck/test_suite_cases.csv")
    sets["hatecheck"] = (
        [x["test_case"] for x in r],
        np.array([x["label_gold"] == "hateful" for x in r], int),
        [x["functionality"] for x in r],
    )
    return sets


class Scorer:
    """A column: ``threshold`` flags at the model's own thresholds, ``policy_threshold`` for issue 11's
    metrics (the bot's policy thresholds for Warden's models; the baselines use ``threshold``)."""

    name: str
    threshold: dict[str, float]
    policy_threshold: dict[str, float] | None = None

    def predict(self, texts: list[str]) -> np.ndarray:  # (n, 6)
        raise NotImplementedError


class EmbeddedScorers:
    """One pass computing tier 1 and tier 2 for every text, from which both variants are read.

    Works for either model kind in ``artifact_dir`` (default: the shipped one): 2.x (fine-tuned encoder)
    or 1.x (frozen encoder + linear heads; ``emb_cache`` reuses training's cached vectors, 1.x only).
    """

    def __init__(self, emb_cache: bool = False, artifact_dir: Path | None = None):
        from bot.scoring.embedded import EmbeddedBackend

        self.emb_cache = emb_cache
        self.backend = EmbeddedBackend(artifact_dir, cascade=False)
        self.threshold = self.backend.recommended_thresholds()
        self.cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def both(self, key: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if key not in self.cache:
            b = self.backend
            from bot.scoring.embedded.backend import _sigmoid
            from bot.scoring.embedded.textprep import clean_for_scoring

            cleaned = [clean_for_scoring(t) or "." for t in texts]
            x = b._lex.transform(cleaned)
            p1 = _sigmoid(b._cal1[:, 0] * (np.asarray(x @ b._c1) + b._b1) + b._cal1[:, 1]) * b._trained
            if b._finetuned is not None:  # model 2.x: the fine-tuned encoder and its heads
                z2 = b._finetuned.logits(cleaned)
            else:
                if self.emb_cache:  # same vectors, computed once (training/cache, keyed by text hash)
                    from training.embed_cache import embed

                    emb = embed(cleaned)
                else:
                    emb = b._get_encoder().encode(cleaned)
                z2 = np.asarray(x @ b._c2) + emb @ b._e2 + b._b2
            p2 = _sigmoid(b._cal2[:, 0] * z2 + b._cal2[:, 1]) * b._trained
            cleared = np.all(p1 < b._clear, axis=1)
            self.cache[key] = (np.where(cleared[:, None], p1, p2), p2, cleared)
        return self.cache[key]


class Variant(Scorer):
    """One view of an ``EmbeddedScorers`` pass: 0 = the cascade, 1 = tier 2 alone."""

    def __init__(
        self,
        parent: EmbeddedScorers,
        which: int,
        name: str,
        threshold: dict | None = None,
        policy_threshold: dict | None = None,
    ):
        self.parent, self.which, self.name = parent, which, name
        self.threshold = threshold or parent.threshold
        self.policy_threshold = policy_threshold

    def predict_keyed(self, key, texts):
        return self.parent.both(key, texts)[self.which]


class PolicyActions(Variant):
    """The shipped cascade through the bot's default policy: "flagged" means the bot would act (warn, queue,
    delete or time out), with the policy's bands, per-label actions and the addressed rule applied to the
    text as a message without reply or mentions. Log-only labels (toxicity, obscene, jeers) do not count."""

    def __init__(self, parent: EmbeddedScorers, name: str, policy):
        self.policy = policy
        thresholds = dict(policy.thresholds.model_dump())
        super().__init__(parent, 0, name, threshold=thresholds, policy_threshold=thresholds)

    def flags(self, p: np.ndarray, texts: list[str]) -> np.ndarray:
        from datetime import UTC, datetime

        from bot.pipeline.address import addresses_someone
        from bot.policy import Action, evaluate
        from bot.scoring.base import Scores

        now = datetime(2026, 1, 1, tzinfo=UTC)
        acted = [
            evaluate(
                Scores(**dict(zip(LABELS, map(float, row), strict=True))),
                self.policy,
                now=now,
                addressed=addresses_someone(text),
            ).action.rank
            >= Action.WARN.rank
            for row, text in zip(p, texts, strict=True)
        ]
        return np.array(acted, dtype=bool)


def flagged(p: np.ndarray, thr: dict[str, float]) -> np.ndarray:
    return hc.flagged_any(p, thr)


def auc(y, s) -> float:
    return float(roc_auc_score(y, s)) if len(set(y.tolist())) == 2 else float("nan")


def evaluate(scorer, sets, prep: Callable[[str], str]) -> dict:
    res: dict = {}
    thr_t = scorer.threshold["toxicity"]
    thr_p = getattr(scorer, "policy_threshold", None) or scorer.threshold
    prepared = {k: [prep(t) for t in v[0]] for k, v in sets.items()}
    t0 = time.time()
    _, y, groups = sets["madlibs"]
    p = scorer.predict_keyed("madlibs", prepared["madlibs"])
    neg = y == 0
    res["madlibs_auc"] = auc(y, p[:, 0])
    # "acted on" scorers flag by what the bot would do; the others by the toxicity threshold
    fl_m = scorer.flags(p, prepared["madlibs"]) if hasattr(scorer, "flags") else p[:, 0] >= thr_t
    res["madlibs_fpr"] = float(fl_m[neg].mean())
    res["madlibs_tpr"] = float(fl_m[~neg].mean())
    res["madlibs_identity_fpr"] = hc.identity_fpr(fl_m, y, groups)
    res["madlibs_identity_fpr_policy"] = hc.identity_fpr(hc.flagged_any(p, thr_p), y, groups)
    res["madlibs_identity_fpr_hate"] = hc.identity_fpr(hc.predicted_hateful(p, thr_p), y, groups)
    for name in ("wiki", "wiki_fuzzed", "toxigen"):
        _, y, _ = sets[name]
        p = scorer.predict_keyed(name, prepared[name])
        res[f"{name}_auc"] = auc(y, p[:, 0])
    res["wiki_gap"] = res["wiki_auc"] - res["wiki_fuzzed_auc"]
    _, y, groups = sets["hatecheck"]
    p = scorer.predict_keyed("hatecheck", prepared["hatecheck"])
    fl = scorer.flags(p, prepared["hatecheck"]) if hasattr(scorer, "flags") else flagged(p, scorer.threshold)
    fl_tox = p[:, 0] >= thr_t
    per_f = defaultdict(list)
    per_t = defaultdict(list)
    for g, f, ft in zip(groups, fl, fl_tox, strict=True):
        per_f[g].append(f)
        per_t[g].append(ft)
    res["hatecheck_flag_rate"] = {g: float(np.mean(v)) for g, v in sorted(per_f.items())}
    res["hatecheck_tox_flag_rate"] = {g: float(np.mean(v)) for g, v in sorted(per_t.items())}
    res["hatecheck_accuracy"] = float((fl == (y == 1)).mean())
    res["hatecheck_auc"] = auc(y, p.max(axis=1))
    res["hatecheck_policy"] = hc.hatecheck_scores(hc.predicted_hateful(p, thr_p), y == 1, groups)
    res["seconds"] = round(time.time() - t0, 1)
    return res


def fmt(v: float) -> str:
    return "n/a" if v != v else f"{v:.3f}"


def table(results: dict[str, dict], notes: list[str], sets) -> str:
    names = list(results)
    out = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    rows = [
        ("madlibs AUC (toxicity)", "madlibs_auc"),
        ("madlibs FPR at default threshold", "madlibs_fpr"),
        ("madlibs TPR at default threshold", "madlibs_tpr"),
        ("madlibs worst per-identity FPR", None),
        ("wiki test AUC", "wiki_auc"),
        ("wiki identity-swapped AUC", "wiki_fuzzed_auc"),
        ("wiki gap (plain - swapped)", "wiki_gap"),
        ("ToxiGen AUC", "toxigen_auc"),
        ("HateCheck AUC (max label)", "hatecheck_auc"),
        ("HateCheck accuracy (flag = hateful)", "hatecheck_accuracy"),
    ]
    for title, key in rows:
        if key is None:
            cells = [hc.worst(results[n]["madlibs_identity_fpr"]) for n in names]
        else:
            cells = [fmt(results[n][key]) for n in names]
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    for title, cells in hc.summary_rows(results, names):
        out.append(f"| {title} | " + " | ".join(cells) + " |")
    out.append("")
    out.extend(hc.functionality_table(results, names))
    out.append("")
    out.append(
        "HateCheck: share of cases flagged per functionality (flag = any label at or above its default "
        "threshold; in brackets: toxicity alone). `_h` cases are hateful (higher is better), `_nh` are not "
        "(lower is better)."
    )
    out.append("")
    out.append("| functionality | n | " + " | ".join(names) + " |")
    out.append("|---|---|" + "---|" * len(names))
    counts: defaultdict[str, int] = defaultdict(int)
    for g in sets["hatecheck"][2]:
        counts[g] += 1
    for g in sorted(counts):
        cells = [
            f"{results[n]['hatecheck_flag_rate'][g]:.2f} ({results[n]['hatecheck_tox_flag_rate'][g]:.2f})"
            for n in names
        ]
        out.append(f"| {g} | {counts[g]} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Per-identity false-positive rate on madlibs (non-toxic sentences flagged on toxicity):")
    out.append("")
    out.append("| identity | " + " | ".join(names) + " |")
    out.append("|---|" + "---|" * len(names))
    for g in results[names[0]]["madlibs_identity_fpr"]:
        out.append(
            f"| {g} | "
            + " | ".join(f"{results[n]['madlibs_identity_fpr'].get(g, float('nan')):.3f}" for n in names)
            + " |"
        )
    out.append("")
    out.extend(f"- {n}" for n in notes)
    return "\n".join(out)


def write_card(text: str) -> None:
    card = CARD.read_text(encoding="utf-8") if CARD.exists() else f"# Model card\n\n{BEGIN}\n{END}\n"
    if BEGIN not in card:
        card += f"\n{BEGIN}\n{END}\n"
    head, rest = card.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    CARD.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}", encoding="utf-8")


def legacy_column(
    legacy_dir: Path, shipped: EmbeddedScorers, emb_cache: bool, policy_thresholds: dict, notes: list[str]
) -> tuple[Variant | None, EmbeddedScorers | None]:
    """The previous model's cascade as its own column, or None (and a note) when its artifact is missing."""
    from bot.scoring.base import ScoringError

    if not (legacy_dir / "thresholds.json").is_file():
        notes.append(f"previous-model column skipped: no model artifact in {legacy_dir} (--legacy-dir)")
        return None, None
    if legacy_dir.resolve() == shipped.backend.artifact_dir.resolve():
        legacy = shipped  # the same artifact: reuse its pass instead of scoring everything twice
    else:
        try:
            legacy = EmbeddedScorers(emb_cache=emb_cache, artifact_dir=legacy_dir)
        except ScoringError as exc:
            notes.append(f"previous-model column skipped: {exc}")
            return None, None
    version = legacy.backend.model_version
    short = m.group(1) if (m := re.search(r"embedded-(\d+\.\d+)", version)) else version
    notes.append(
        f"`embedded {short}` column: model {version} from {legacy_dir}, its cascade at its own "
        f"validation-tuned thresholds {legacy.threshold} (policy-threshold rows: the bot's policy)"
    )
    column = Variant(legacy, 0, f"embedded {short} (cascade)", policy_threshold=policy_thresholds)
    return column, legacy


def main(argv=None) -> int:
    from bot.scoring.embedded.backend import ARTIFACT_DIR_1_1

    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--limit", type=int, default=None, help="cap rows per set (quick look; HateCheck is never capped)"
    )
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--madlibs-limit", type=int, default=None, help="score a fixed random sample of madlibs")
    ap.add_argument("--emb-cache", action="store_true", help="reuse MiniLM vectors from training/cache")
    ap.add_argument("--json", type=Path, default=None, help="also write every number (per column) here")
    ap.add_argument(
        "--legacy-dir",
        type=Path,
        default=ARTIFACT_DIR_1_1,
        help="artifact of the previous model, scored as its own column (default: %(default)s; "
        "skipped with a note when missing)",
    )
    ap.add_argument(
        "--toxblock-python",
        default=os.environ.get("WARDEN_TOXBLOCK_PYTHON") or None,
        help="interpreter with TensorFlow + tox-block that runs benchmarks/toxblock_worker.py "
        "(default: $WARDEN_TOXBLOCK_PYTHON); used when tox_block does not import in-process",
    )
    args = ap.parse_args(argv)
    sets = load_sets(args.limit, args.madlibs_limit)
    try:
        from bot.pipeline import normalize as prep

        notes = ["texts were prepared with `bot.pipeline.normalize` (as in the bot) before every scorer"]
    except ImportError:

        def prep(text: str) -> str:
            return text

        notes = ["bot.pipeline not available: raw texts scored"]
    emb = EmbeddedScorers(emb_cache=args.emb_cache)
    from bot.policy import load_default_policy

    policy = load_default_policy()
    policy_thresholds = {k: float(v) for k, v in policy.thresholds.model_dump().items()}
    pt = policy_thresholds
    scorers: list = [
        Variant(emb, 0, "embedded (shipped cascade)", policy_threshold=pt),
        Variant(emb, 1, "embedded tier 2 only", policy_threshold=pt),
        Variant(
            emb, 0, "embedded cascade, any label >= bot policy threshold", threshold=pt, policy_threshold=pt
        ),
        PolicyActions(emb, "embedded cascade, bot acts (default policy)", policy),
    ]
    column, legacy = legacy_column(args.legacy_dir, emb, args.emb_cache, pt, notes)
    if column is not None:
        scorers.append(column)
    try:
        scorers.append(ProfanityCheck())
    except ImportError as exc:
        notes.append(f"alt-profanity-check not installed: {exc}")
    try:
        scorers.append(ToxBlock())
    except Exception as exc:  # ImportError here; TensorFlow may also fail in other ways at import
        if args.toxblock_python:
            scorers.append(ToxBlock(python=args.toxblock_python))
            notes.append(f"tox-block scored by benchmarks/toxblock_worker.py under {args.toxblock_python}")
        else:
            notes.append(
                "tox-block skipped: it needs TensorFlow, which Warden's environment does not have; enable it "
                "with `--toxblock-python /path/to/tf/venv/bin/python` (or WARDEN_TOXBLOCK_PYTHON), an "
                "interpreter with tox-block installed (training/README.md, Teacher section); "
                f"{type(exc).__name__}"
            )
    notes.append(
        f"embedded model {emb.backend.model_version}, validation-tuned thresholds {emb.threshold}; the "
        f"bot's default policy (config/default.toml) flags at {policy_thresholds}; baselines "
        "flag at 0.5; alt-profanity-check gives one probability, used for every label"
    )
    results = {}
    for s in scorers:
        print(f"scoring {s.name} ...", flush=True)
        results[s.name] = evaluate(s, sets, prep)
        print(json.dumps({k: v for k, v in results[s.name].items() if not isinstance(v, dict)}), flush=True)
    cleared = {k: float(v[2].mean()) for k, v in emb.cache.items()}
    notes.append(
        "share of messages answered by the lexical tier (cleared) per set: "
        + ", ".join(f"{k} {v:.2f}" for k, v in cleared.items())
    )
    if legacy is not None and legacy is not emb:
        notes.append(
            f"the same for {legacy.backend.model_version}: "
            + ", ".join(f"{k} {float(v[2].mean()):.2f}" for k, v in legacy.cache.items())
        )
    if args.limit:
        notes.append(f"rows capped at {args.limit} per set")
    if args.madlibs_limit:
        notes.append(f"madlibs: a fixed random sample of {args.madlibs_limit} rows (seed 0), for time")
    md = table(results, notes, sets)
    print(md)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if not args.no_write:
        write_card(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
