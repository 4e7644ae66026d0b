"""Build Warden's training set from /work/shared/data/train: every source mapped onto detoxify's six labels.

Each row is ``(text, labels, source)`` where ``labels`` is six ints in LABELS order: 1 = the label applies,
0 = it does not, -1 = MASKED (the source does not speak to it; the label's head never sees the row).
The mapping is documented beside each loader and in training/README.md. Nothing here reads eval/.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from bot.scoring.base import LABELS
from bot.scoring.embedded.textprep import clean_text
from training import templates
from training.seed import SEED

csv.field_size_limit(10**8)

DATA = Path(os.environ.get("WARDEN_DATA", Path(__file__).resolve().parents[2] / "shared/data")) / "train"
M = -1  # masked
T, S, OBS, TH, INS, ID = range(6)


def row(text: str, source: str, **labels: int) -> tuple[str, list[int], str]:
    vec = [M] * 6
    for name, value in labels.items():
        vec[LABELS.index(name)] = value
    return clean_text(text), vec, source


def all_zero(text: str, source: str, obscene_masked: bool = False) -> tuple[str, list[int], str]:
    vec = [0] * 6
    if obscene_masked:
        vec[OBS] = M
    return clean_text(text), vec, source


# --- Davidson: class by annotator majority --------------------------------------------------------------
def davidson(root: Path) -> Iterator:
    with (root / "davidson/labeled_data.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cls = int(r["class"])
            if cls == 0:  # hate speech: toxic and an identity attack; insult/obscene/threat not annotated
                yield row(r["tweet"], "davidson", toxicity=1, identity_attack=1)
            elif cls == 1:  # offensive but (by majority) not hate
                yield row(r["tweet"], "davidson", toxicity=1, identity_attack=0)
            else:  # neither: nothing applies
                yield all_zero(r["tweet"], "davidson")


# --- toxic_spans: Civil Comments posts with per-annotator spans ------------------------------------------
SPAN_TYPES = {
    "Insult": "insult",
    "Profane/Obscene": "obscene",
    "Threat": "threat",
    "Identity based Attack": "identity_attack",
}


def toxic_spans(root: Path) -> Iterator:
    base = root / "toxic_spans"
    with (base / "comments.csv").open(encoding="utf-8") as fh:
        comments = {r["comment_id"]: r["comment_text"] for r in csv.DictReader(fh)}
    spans: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    with (base / "spans.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            spans[r["annotation"]].append((r["type"], int(r["start"] or 0), int(r["end"] or 0)))
    per_comment: dict[str, list[tuple[bool, set[str], list]]] = defaultdict(list)
    with (base / "annotations.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            s = spans.get(r["annotation"], [])
            toxic = bool(s) or r["all toxic"] == "True"
            per_comment[r["comment_id"]].append((toxic, {t for t, _, _ in s}, s))
    for cid, anns in per_comment.items():
        text = comments.get(cid)
        if not text:
            continue
        frac = sum(a[0] for a in anns) / len(anns)
        if frac == 0:
            yield all_zero(text, "toxic_spans")
            continue
        if frac < 0.5:  # a minority saw toxicity: too uncertain either way
            continue
        labels = {"toxicity": 1}
        with_spans = [a for a in anns if a[1]]
        for span_type, label in SPAN_TYPES.items():
            if not with_spans:
                continue
            share = sum(span_type in a[1] for a in with_spans) / len(with_spans)
            if share >= 0.5:
                labels[label] = 1
            elif share == 0:
                labels[label] = 0
        yield row(text, "toxic_spans", **labels)
        # The words that carry it: spans at least half the span-annotators agree on, as short positives.
        counts: dict[tuple[str, int, int], int] = defaultdict(int)
        for a in with_spans:
            for t, s0, s1 in a[2]:
                counts[(t, s0, s1)] += 1
        for (t, s0, s1), c in counts.items():
            frag = text[s0:s1].strip()
            if c * 2 >= len(with_spans) and 3 <= len(frag) <= 80 and t in SPAN_TYPES:
                yield row(frag, "toxic_spans_fragment", toxicity=1, **{SPAN_TYPES[t]: 1})
        # ...and the same post with every annotator's spans cut out, as a civil negative in the same
        # news-comment register (only where every toxic annotator located the toxicity in spans).
        if len(with_spans) >= 2 and all(a[1] for a in anns if a[0]):
            keep = [True] * len(text)
            for a in with_spans:
                for _, s0, s1 in a[2]:
                    for k in range(max(0, s0), min(len(text), s1)):
                        keep[k] = False
            rest = "".join(ch for ch, k in zip(text, keep, strict=True) if k)
            if len(rest.split()) >= 6:
                yield all_zero(rest, "toxic_spans_civil")


# --- Jigsaw: the six labels themselves ------------------------------------------------------------------
JIG = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")


def jigsaw(root: Path) -> Iterator:
    files = [
        root / "jigsaw_sample/train.csv",
        root / "jigsaw_sample/test.csv",
        root / "jigsaw_more/jigsaw_fastbert_sample/train_sample.csv",
        root / "jigsaw_more/jigsaw_fastbert_sample/val_sample.csv",
        root / "jigsaw_more/jigsaw_hurelyyu_sample/train_sample.csv",
        root / "jigsaw_more/jigsaw_ibm_max_sample/test_examples.csv",
    ]
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                vals = [int(float(r[k])) for k in JIG]
                if min(vals) < 0:  # unlabelled Kaggle test rows
                    continue
                yield clean_text(r["comment_text"]), vals, "jigsaw"


# --- OLID: offensive / targeted / target -----------------------------------------------------------------
def olid(root: Path) -> Iterator:
    base = root / "olid"
    rows = []
    with (base / "olid-training-v1.0.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append((r["tweet"], r["subtask_a"], r["subtask_b"], r["subtask_c"]))
    labs = {}
    for level in "abc":
        with (base / f"labels-level{level}.csv").open(encoding="utf-8") as fh:
            for cells in csv.reader(fh):
                if cells and cells[0] != "id":
                    labs[(level, cells[0])] = cells[1]
    with (base / "testset-levela.tsv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            i = r["id"]
            rows.append(
                (
                    r["tweet"],
                    labs.get(("a", i), "NULL"),
                    labs.get(("b", i), "NULL"),
                    labs.get(("c", i), "NULL"),
                )
            )
    for text, a, b, c in rows:
        if a == "NOT":
            yield all_zero(text, "olid")
        elif a == "OFF" and b == "UNT":  # untargeted profanity/swearing
            yield row(text, "olid", toxicity=1, obscene=1, insult=0, threat=0, identity_attack=0)
        elif a == "OFF" and b == "TIN" and c == "IND":  # targeted at an individual: insult (or threat)
            yield row(text, "olid", toxicity=1, insult=1, identity_attack=0)
        elif a == "OFF":  # targeted at a group (incl. political groups) or other: toxic, rest unknown
            yield row(text, "olid", toxicity=1)


# --- EDOS: sexism categories -----------------------------------------------------------------------------
def edos(root: Path) -> Iterator:
    with (root / "edos/edos_labelled_aggregated.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["label_sexist"] != "sexist":
                continue  # "not sexist" says nothing about other toxicity: every label would be masked
            vec = r["label_vector"]
            if vec.startswith("1."):  # threats, plans to harm, incitement
                yield row(r["text"], "edos", toxicity=1, threat=1, identity_attack=1)
            elif vec.startswith(("2.", "4.", "3.2")):  # derogation, dehumanising, prejudice
                yield row(r["text"], "edos", toxicity=1, identity_attack=1)
            elif vec.startswith("3.1"):  # casual gendered slurs / profanity
                yield row(r["text"], "edos", toxicity=1)
            # 3.3 backhanded compliments, 3.4 condescension: not Jigsaw toxicity either way: dropped


# --- ConvAbuse: per-annotator abuse severity and type, messages to chatbots ------------------------------
IDENT_TYPES = ("type.ableism", "type.homophobic", "type.racist", "type.sexist", "type.transphobic")


def convabuse(root: Path) -> Iterator:
    """One message per row, each label by majority over the annotators who speak to it (ties masked).

    Severity 1 = not abusive (all labels 0), 0 = ambiguous (toxicity unknown), -1..-3 = abusive (toxicity 1);
    -3 "very strongly abusive" -> severe_toxicity 1, -1 -> severe 0; identity types (racist, sexist,
    homophobic, transphobic, ableist) -> identity_attack; "intellectual" (attacks on intelligence) -> insult.
    """
    per_text: dict[str, list[list[int]]] = defaultdict(list)
    with (root / "convabuse/ConvAbuseEMNLPfull.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            sev = [s for s in ("1", "0", "-1", "-2", "-3") if r[f"is_abuse.{s}"] == "1"]
            if not sev:
                continue
            s = int(sev[0])
            v = [M] * 6
            if s == 1:
                v = [0] * 6
            elif s < 0:
                v[T] = 1
                v[S] = 1 if s == -3 else 0 if s == -1 else M
                v[ID] = 1 if any(r[t] == "1" for t in IDENT_TYPES) else 0
                if r["type.intellectual"] == "1":
                    v[INS] = 1
            per_text[r["user"]].append(v)
    for text, vecs in per_text.items():
        out = []
        for j in range(6):
            known = [v[j] for v in vecs if v[j] != M]
            share = sum(known) / len(known) if known else 0.5
            out.append(1 if share > 0.5 else 0 if share < 0.5 else M)
        if out[T] == M:
            continue
        if out[T] == 0:
            out = [0] * 6
        yield clean_text(text), out, "convabuse"


# --- Stormfront (Vicomtech): hate / noHate sentences ------------------------------------------------------
def stormfront(root: Path) -> Iterator:
    with (root / "vicomtech_stormfront/stormfront_sentences.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["label"] == "hate":
                yield row(r["text"], "stormfront", toxicity=1, identity_attack=1)
            elif r["label"] == "noHate":
                yield row(r["text"], "stormfront", toxicity=0, identity_attack=0, threat=0, severe_toxicity=0)


# --- TweetEval hate (HatEval: immigrants, women) -----------------------------------------------------------
def hateval(root: Path) -> Iterator:
    base = root / "tweeteval/hate"
    for split in ("train", "val", "test"):
        texts = (base / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels = (base / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
        for text, lab in zip(texts, labels, strict=True):
            if lab.strip() == "1":
                yield row(text, "hateval", toxicity=1, identity_attack=1)
            else:  # not hate, yet may be offensive: only identity_attack is known
                yield row(text, "hateval", identity_attack=0)


# --- GoEmotions: ordinary conversation -------------------------------------------------------------------
def goemotions(root: Path, limit: int, seed: int) -> Iterator:
    texts = []
    for split in ("train", "dev", "test"):
        with (root / f"goemotions/{split}.tsv").open(encoding="utf-8") as fh:
            texts += [line.split("\t")[0] for line in fh if line.strip()]
    rng = random.Random(seed)
    rng.shuffle(texts)
    kept = 0
    for text in texts:
        if templates.PROFANITY_RE.search(text):
            continue  # about 3% swear or insult: not clean negatives, leave them out rather than guess
        yield all_zero(text.replace("[NAME]", "Sam"), "goemotions")
        kept += 1
        if kept >= limit:
            break


def build(
    root: Path = DATA, seed: int = SEED, goemotions_limit: int = 20000
) -> list[tuple[str, list[int], str]]:
    rows = []
    rows += list(davidson(root))
    rows += list(toxic_spans(root))
    rows += list(jigsaw(root))
    rows += list(olid(root))
    rows += list(edos(root))
    rows += list(convabuse(root))
    rows += list(stormfront(root))
    rows += list(hateval(root))
    rows += list(goemotions(root, goemotions_limit, seed))
    rows += templates.generate(seed)
    rows += templates.augment_spelling([r for r in rows if r[1][T] == 1 and len(r[0]) < 140], seed, n=4000)
    # de-duplicate on text (keep the first, i.e. the human label over a template), drop empties
    seen, out = set(), []
    for text, vec, src in rows:
        key = text.strip().lower()
        if len(key) < 2 or key in seen:
            continue
        seen.add(key)
        out.append((text, vec, src))
    return out


def drop_eval_overlap(rows: list, eval_texts: set[str]) -> list:
    """Remove rows whose text also appears in a held-out eval set (e.g. fast-bert's 9 wiki test rows)."""
    return [r for r in rows if r[0].strip().lower() not in eval_texts]


def hash_fraction(text: str) -> float:
    """SHA-1 of the text as a number in [0, 1]: drives the validation split and the tier-2 subsample."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_of(text: str, val_share: float = 0.15) -> str:
    """Deterministic train/validation split by text hash."""
    return "val" if hash_fraction(text) < val_share else "train"


URL_RE = re.compile(r"https?://\S+")
