"""Decisions must not hinge on surface noise (issue 11): trailing punctuation, letter case, one doubled
letter in a filler word or one extra space leaves every label within 0.05 of the plain sentence.

The 100 sentences (tests/data/robustness_sentences.txt) are news-discussion comments written for this
test: 45 civil, 30 insults at another commenter, 25 identity attacks or threats. Every text goes the
production way: ``bot.pipeline.prepare`` and then ``bot.scoring.service.score_many`` over the default
``EmbeddedBackend()`` (per-label max over chunks), all of them in one backend call.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.pipeline import prepare
from bot.scoring.base import LABELS
from bot.scoring.embedded import EmbeddedBackend
from bot.scoring.service import score_many

DATA = Path(__file__).parent / "data" / "robustness_sentences.txt"
CATEGORIES = ("clean", "insult", "identity", "threat")
TOLERANCE = 0.05
# Words that carry no meaning in these sentences; the doubled-letter variant only ever touches one of them.
FILLERS = (
    "really",
    "about",
    "this",
    "that",
    "their",
    "there",
    "these",
    "those",
    "with",
    "from",
    "what",
    "when",
    "just",
    "again",
    "every",
    "after",
    "before",
    "still",
    "would",
    "could",
    "should",
    "think",
    "here",
    "have",
    "than",
    "them",
    "they",
    "some",
    "only",
    "even",
    "much",
    "more",
    "very",
    "over",
    "into",
    "week",
    "year",
    "today",
    "thread",
    "article",
    "usual",
    "always",
    "where",
    "which",
    "other",
    "both",
    "whole",
    "news",
    "clearly",
    "public",
    "right",
    "within",
    "ever",
    "next",
)
_FILLER_SET = frozenset(FILLERS)


@dataclass(frozen=True)
class Variant:
    sentence: int  # index into the sentence list
    kind: str
    text: str


def load_sentences(path: Path = DATA) -> list[tuple[str, str]]:
    """``(category, sentence)`` pairs from the data file (``#`` comments and blank lines skipped)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, _, sentence = line.partition(" | ")
        out.append((category.strip(), sentence.strip()))
    return out


def _double_a_letter(word: str) -> str:
    middle = len(word) // 2
    return word[:middle] + word[middle] + word[middle:]


def variants_of(sentence: str) -> list[tuple[str, str]]:
    """``(kind, text)`` variants that must not change a decision; none equals the sentence itself."""
    out: list[tuple[str, str]] = []
    stem = sentence.rstrip(".!?")
    ending = sentence[len(stem) :]
    # punctuation: '.', '!' or none, never turning a question into a statement (a '?' is only dropped)
    endings = ("",) if ending == "?" else ("", ".", "!")
    out += [(f"end {e or 'none'}", stem + e) for e in endings if e != ending]
    out.append(("lower case", sentence.lower()))
    sentence_case = sentence[:1].upper() + sentence[1:].lower()
    if sentence_case not in (sentence, sentence.lower()):
        out.append(("sentence case", sentence_case))
    words = sentence.split(" ")
    filler = next((i for i, w in enumerate(words) if w.lower().rstrip(",.!?") in _FILLER_SET), None)
    if filler is None:
        raise ValueError(f"no filler word to double a letter in: {sentence!r}")
    core = words[filler].rstrip(",.!?")
    doubled = _double_a_letter(core) + words[filler][len(core) :]
    out.append((f"doubled letter ({doubled})", " ".join([*words[:filler], doubled, *words[filler + 1 :]])))
    gap = len(words) // 2
    out.append(("extra space", " ".join(words[:gap]) + "  " + " ".join(words[gap:])))
    return out


def test_sentence_set_is_the_intended_mix_and_every_sentence_has_every_variant() -> None:
    sentences = load_sentences()
    counts = Counter(category for category, _ in sentences)
    assert set(counts) <= set(CATEGORIES), counts
    assert len(sentences) == 100 and counts["clean"] == 45 and counts["insult"] == 30
    assert counts["identity"] + counts["threat"] == 25
    assert len({s for _, s in sentences}) == len(sentences), "duplicate sentences"
    for _, sentence in sentences:
        kinds = [kind for kind, _ in variants_of(sentence)]
        assert any(k.startswith("end ") for k in kinds), sentence
        assert "lower case" in kinds and "extra space" in kinds, sentence
        assert any(k.startswith("doubled letter") for k in kinds), sentence
        assert all(text != sentence for _, text in variants_of(sentence)), sentence


def test_variant_generation() -> None:
    assert variants_of("You really are a clown.") == [
        ("end none", "You really are a clown"),
        ("end !", "You really are a clown!"),
        ("lower case", "you really are a clown."),
        ("doubled letter (reallly)", "You reallly are a clown."),
        ("extra space", "You really  are a clown."),
    ]
    kinds = [kind for kind, _ in variants_of("Did Putin sign it this week?")]
    assert kinds == ["end none", "lower case", "sentence case", "doubled letter (thiis)", "extra space"]


@dataclass(frozen=True)
class Failure:
    variant: Variant
    label: str  # the label that moved most
    plain: float
    varied: float

    @property
    def size(self) -> float:
        return abs(self.varied - self.plain)


def _summary(failures: list[Failure], total: int, sentences: list[tuple[str, str]]) -> str:
    """How many variants moved a label too far, by kind, and the 15 worst (one line each)."""
    worst = sorted(failures, key=lambda f: f.size, reverse=True)
    by_kind = Counter(f.variant.kind.split(" (")[0] for f in failures)
    moved = len({f.variant.sentence for f in failures})
    lines = [
        f"{len(failures)} of {total} variants move a label by more than {TOLERANCE} ({moved} of "
        f"{len(sentences)} sentences); by kind: {dict(by_kind.most_common())}; worst:"
    ]
    for f in worst[:15]:
        category, sentence = sentences[f.variant.sentence]
        lines.append(
            f"  {f.label} {f.plain:.2f} -> {f.varied:.2f} {f.variant.kind} [{category}] {sentence[:60]!r}"
        )
    return "\n".join(lines)


def _score_all(texts: list[str]) -> list[dict[str, float]]:
    prepared = [prepare(text) for text in texts]
    chunks = sum(len(p.chunks) for p in prepared)
    scored = score_many(EmbeddedBackend(), prepared, call_size=max(1, chunks))  # one backend call
    return [s.scores.as_dict() for s in scored]


def test_surface_variants_keep_every_label_within_tolerance() -> None:
    sentences = load_sentences()
    variants = [
        Variant(i, kind, text)
        for i, (_, sentence) in enumerate(sentences)
        for kind, text in variants_of(sentence)
    ]
    scores = _score_all([s for _, s in sentences] + [v.text for v in variants])
    plain, varied = scores[: len(sentences)], scores[len(sentences) :]
    failures = []
    for variant, got in zip(variants, varied, strict=True):
        base = plain[variant.sentence]
        label = max(LABELS, key=lambda name: abs(got[name] - base[name]))
        if abs(got[label] - base[label]) > TOLERANCE:
            failures.append(Failure(variant, label, base[label], got[label]))
    moved_too_far = len(failures)
    assert moved_too_far == 0, _summary(failures, len(variants), sentences)
