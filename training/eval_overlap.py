"""The held-out evaluation texts, read only to drop training rows that overlap them.

Shared by every training step (``training.train``, ``training.finetune``, ``training.distill``), so
none of them imports another for it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = Path(os.environ.get("WARDEN_DATA", ROOT.parent / "shared/data")) / "eval"

# (file under EVAL, text column) of every held-out set
EVAL_SETS = (
    ("conversationai_bias/toxicity_nonfuzzed_testset.csv", "comment"),
    ("conversationai_bias/toxicity_fuzzed_testset.csv", "comment"),
    ("conversationai_bias/bias_madlibs_77k.csv", "Text"),
    ("hatecheck/test_suite_cases.csv", "test_case"),
    ("toxigen_seeds/toxigen_prompt_sentences.csv", "text"),
)


def eval_texts() -> set[str]:
    """Texts of every held-out set, lower-cased: only used to drop overlapping training rows."""
    out: set[str] = set()
    if not EVAL.exists():
        return out
    for rel, col in EVAL_SETS:
        with (EVAL / rel).open(encoding="utf-8") as fh:
            out |= {r[col].strip().lower() for r in csv.DictReader(fh)}
    return out
