"""Does the evidence name the words that carry a label? Removing them should lower the label's score.

For each sentence of ``benchmarks/data/evidence_sentences.txt`` (written for this benchmark) that fires
a label under the default policy, the evidence (:mod:`bot.explain`, occlusion against the full scorer)
is computed as the bot computes it. Then, like a moderator checking it, the top evidence is removed
from the *raw* message, which is prepared and scored again from scratch: does the label drop?

Compared with two other ways of naming "the word that did it":

* **lexicon**: the first word of the message in the pipeline's list of obfuscated insults
  (:data:`bot.pipeline.lexicon.WORDS`), what a keyword filter like AutoMod would name;
* **random**: a random word of the message (seeded), the floor.

Reported per method, over (message, fired label) pairs: the share that names anything, the share
where removing it lowers the label at all and by at least 0.05, and (evidence only) the share where
removing every evidence item of the label stops it firing.

Usage::

    python benchmarks/evidence_eval.py [--backend embedded] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.explain import explain, words  # noqa: E402
from bot.pipeline import prepare  # noqa: E402
from bot.pipeline.lexicon import WORDS  # noqa: E402
from bot.policy import load_default_policy  # noqa: E402
from bot.scoring.base import LABELS, ScorerBackend  # noqa: E402
from bot.scoring.registry import build_backend  # noqa: E402
from bot.scoring.service import score_prepared  # noqa: E402

SENTENCES = REPO / "benchmarks" / "data" / "evidence_sentences.txt"
CLEAR_DROP = 0.05
LEXICON = frozenset(WORDS)


@dataclass
class Tally:
    """One method's results over the (message, label) pairs."""

    pairs: int = 0
    named: int = 0
    lowered: int = 0
    clearly: int = 0
    drops: list[float] = field(default_factory=list)

    def add(self, drop: float | None) -> None:
        self.pairs += 1
        if drop is None:
            return
        self.named += 1
        self.drops.append(drop)
        self.lowered += drop > 0
        self.clearly += drop >= CLEAR_DROP

    def summary(self) -> dict[str, float]:
        share = (lambda n: round(n / self.pairs, 3)) if self.pairs else (lambda n: 0.0)
        mean = sum(self.drops) / len(self.drops) if self.drops else 0.0
        return {
            "pairs": self.pairs,
            "names_something": share(self.named),
            "lowers": share(self.lowered),
            "lowers_by_0.05": share(self.clearly),
            "mean_drop": round(mean, 3),
        }


def remove_words(raw: str, texts: list[str]) -> str:
    """``raw`` without each of ``texts`` (first occurrence, any case)."""
    for text in texts:
        raw = re.sub(re.escape(text), " ", raw, count=1, flags=re.IGNORECASE)
    return " ".join(raw.split())


def label_score(backend: ScorerBackend, raw: str, label: str) -> float:
    prepared = prepare(raw)
    return 0.0 if prepared.is_empty else score_prepared(backend, prepared).scores[label]


def evaluate(backend: ScorerBackend) -> dict[str, object]:
    policy = load_default_policy()
    rng = random.Random(15)
    lines = [line.strip() for line in SENTENCES.read_text(encoding="utf-8").splitlines()]
    messages = [line for line in lines if line and not line.startswith("#")]
    tallies = {"evidence": Tally(), "lexicon": Tally(), "random": Tally()}
    silenced = 0
    examples: list[dict[str, object]] = []
    started = time.perf_counter()
    for raw in messages:
        prepared = prepare(raw)
        scored = score_prepared(backend, prepared)
        fired = [label for label in LABELS if scored.scores[label] >= policy.thresholds[label]]
        if not fired:
            continue
        evidence = explain(backend, prepared.chunks, scored.chunk_scores, fired)
        examples.append({"message": raw, "evidence": [item.to_dict() for item in evidence]})
        message_words = [word.text for word in words(raw)]
        in_lexicon = [word for word in message_words if word.lower() in LEXICON]
        for label in fired:
            base = scored.scores[label]
            mine = [item.text for item in evidence if item.label == label]

            def drop(
                removed: list[str], label: str = label, base: float = base, raw: str = raw
            ) -> float | None:
                if not removed:
                    return None
                return base - label_score(backend, remove_words(raw, removed), label)

            tallies["evidence"].add(drop(mine[:1]))
            tallies["lexicon"].add(drop(in_lexicon[:1]))
            tallies["random"].add(drop([rng.choice(message_words)]))
            if mine and label_score(backend, remove_words(raw, mine), label) < policy.thresholds[label]:
                silenced += 1
    pairs = tallies["evidence"].pairs
    return {
        "backend": backend.name,
        "model_version": backend.model_version,
        "messages": len(messages),
        "flagged_messages": len(examples),
        "pairs": pairs,
        "methods": {name: tally.summary() for name, tally in tallies.items()},
        "all_evidence_removed_stops_the_label": round(silenced / pairs, 3) if pairs else 0.0,
        "seconds": round(time.perf_counter() - started, 1),
        "examples": examples,
    }


def markdown(result: dict[str, Any]) -> str:
    methods: dict[str, dict[str, float]] = result["methods"]
    lines = [
        f"{result['flagged_messages']} of {result['messages']} sentences flagged, "
        f"{result['pairs']} (message, label) pairs; {result['backend']} backend, "
        f"model {result['model_version']}.",
        "",
        "| top word named by | names one | removing it lowers the label | by >= 0.05 | mean drop |",
        "|---|---|---|---|---|",
    ]
    for name, row in methods.items():
        lines.append(
            f"| {name} | {row['names_something']:.0%} | {row['lowers']:.0%} | "
            f"{row['lowers_by_0.05']:.0%} | {row['mean_drop']:.2f} |"
        )
    lines.append("")
    lines.append(
        "Removing every evidence item of a label stops it firing in "
        f"{result['all_evidence_removed_stops_the_label']:.0%} of the pairs."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="embedded")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    args = parser.parse_args()
    backend = build_backend(args.backend)
    result = evaluate(backend)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(markdown(result))


if __name__ == "__main__":
    main()
