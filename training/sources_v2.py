"""The sources model 2.0 adds to ``training.data.build``: HateXplain, HatemojiBuild and ETHOS.

Rows are ``(text, labels, source)`` like ``training.data``, except that a label may be a *soft* target in
[0, 1] where the source gives annotator shares (ETHOS' fractions, HateXplain's majorities). -1 still
means MASKED. Ids listed in a folder's OVERLAP_WITH_EVAL.txt are dropped (strict and loose matches).
The mapping is documented in training/README.md ("Model 2.0 sources").
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from bot.scoring.embedded.textprep import clean_text

M = -1.0
# HateXplain keeps only the majority class of (usually) three annotators: a majority is two or three of
# three, so its expected annotator share is about 0.83 and the minority's about 0.17.
HX_MAJORITY = 0.83
HX_MINORITY = 0.17


def overlap_ids(folder: Path) -> set[str]:
    """Every id listed in the folder's OVERLAP_WITH_EVAL.txt (comment lines skipped)."""
    path = folder / "OVERLAP_WITH_EVAL.txt"
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _vec(**labels: float) -> list[float]:
    from bot.scoring.base import LABELS

    out = [M] * 6
    for name, value in labels.items():
        out[LABELS.index(name)] = float(value)
    return out


def hatexplain(root: Path) -> Iterator[tuple[str, list[float], str]]:
    """HateXplain (Twitter, Gab): hatespeech -> toxic identity attack; offensive -> toxic; normal -> clean.

    The text is MBIB's lowercased, punctuation-free tokens. Posts with no majority (category 3) are dropped.
    """
    folder = root / "hatexplain"
    drop = overlap_ids(folder)
    with (folder / "092-HateXplain.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r[""] in drop:
                continue
            cat = r["category"]
            if cat == "1":
                vec = _vec(toxicity=1.0, identity_attack=HX_MAJORITY)
            elif cat == "2":
                vec = _vec(toxicity=HX_MAJORITY, identity_attack=HX_MINORITY)
            elif cat == "0":
                vec = _vec(
                    toxicity=HX_MINORITY,
                    severe_toxicity=0,
                    threat=0,
                    insult=HX_MINORITY,
                    identity_attack=HX_MINORITY,
                )
            else:
                continue
            yield clean_text(r["text"]), vec, "hatexplain"


def hatemoji_build(root: Path) -> Iterator[tuple[str, list[float], str]]:
    """HatemojiBuild: adversarial emoji hate and its label-flipping perturbations (gold labels).

    Hateful -> toxicity + identity_attack (threat when the type is threatening language); not hateful ->
    identity_attack 0 and threat 0 (toxicity masked: a perturbation can still be rude).
    """
    folder = root / "hatemoji_build"
    drop = overlap_ids(folder)
    for split in ("train", "validation", "test"):
        with (folder / f"{split}.csv").open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if r["entry_id"] in drop:
                    continue
                if r["label_gold"] == "1":
                    threat = 1.0 if r["type"] == "threateninglanguage" else M
                    vec = _vec(toxicity=1.0, identity_attack=1.0, threat=threat)
                else:
                    vec = _vec(identity_attack=0.0, threat=0.0, severe_toxicity=0.0)
                yield clean_text(r["text"]), vec, "hatemoji"


def ethos(root: Path) -> Iterator[tuple[str, list[float], str]]:
    """ETHOS: isHate is the share of annotators -> soft toxicity and identity_attack; the multi-label file
    adds violence (-> threat) and the six identity categories (their maximum -> identity_attack)."""
    folder = root / "ethos"
    multi: dict[str, tuple[float, float]] = {}
    with (folder / "Ethos_Dataset_Multi_Label.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            cats = ("gender", "race", "national_origin", "disability", "religion", "sexual_orientation")
            multi[r["comment"].strip()] = (float(r["violence"]), max(float(r[c]) for c in cats))
    with (folder / "Ethos_Dataset_Binary.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter=";"):
            text = r["comment"].strip()
            share = min(max(float(r["isHate"]), 0.0), 1.0)
            if text in multi:
                violence, ident = multi[text]
                vec = _vec(toxicity=share, identity_attack=share * ident, threat=share * violence)
            else:
                vec = _vec(toxicity=share, identity_attack=share)
                if share == 0.0:
                    vec = _vec(toxicity=0, severe_toxicity=0, threat=0, identity_attack=0)
            yield clean_text(text), vec, "ethos"


def build_extra(root: Path) -> list[tuple[str, list[float], str]]:
    """All rows of the three model-2.0 sources."""
    return [*hatexplain(root), *hatemoji_build(root), *ethos(root)]
