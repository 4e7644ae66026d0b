"""Occlusion: which words carried a fired label, measured by removing them and scoring again.

For each fired label the chunk that scored highest on it is taken apart into words; the chunk is scored
again with each word removed, and with each pair of neighbouring words removed, all in one batch
(:meth:`OcclusionPlan.texts`). A word's weight is how far the label's score drops without it. The
evidence is the few heaviest, non-overlapping words; a pair is kept over its words only when removing
the two together drops the score clearly more than removing either alone ("kill you", not "you").

Works against any :class:`~bot.scoring.base.ScorerBackend`: nothing here knows the model. Pure
Python; the scoring itself is the caller's (blocking for the replay, through the batcher in the bot).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.scoring.base import LABELS, Scores

MAX_NGRAM = 2
"""Words removed together at most (1: single words; 2: also neighbouring pairs)."""
TOP_EVIDENCE = 3
"""Evidence items kept per label."""
MIN_WEIGHT = 0.05
"""A word whose removal drops the label by less than this is not evidence."""
RELATIVE_WEIGHT = 0.25
"""...nor one that drops it by less than this share of the heaviest word's drop."""
PAIR_MARGIN = 0.1
"""A pair is evidence only when removing it drops the label this much more than its heavier word."""
MAX_VARIANTS = 512
"""Most texts one message's evidence scores (a 64-word chunk needs 127)."""
MAX_EVIDENCE_CHARS = 60
"""Longest evidence text kept (a pair of very long words is cut)."""

_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[.,;:!?](?:\s|$))")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One word (or pair) that carried ``label``: removing it lowers the label's score by ``weight``."""

    text: str
    label: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        """``{"text", "label", "weight"}``, as ``warden replay --json`` and the database store it."""
        return {"text": self.text, "label": self.label, "weight": self.weight}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Evidence | None:
        """The item ``value`` describes, or ``None`` when it is not one (a stored row is never trusted)."""
        text, label, weight = value.get("text"), value.get("label"), value.get("weight")
        if not isinstance(text, str) or not text or label not in LABELS:
            return None
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight != weight:
            return None
        return cls(text[:MAX_EVIDENCE_CHARS], str(label), float(weight))


def evidence_dicts(items: Sequence[Evidence]) -> list[dict[str, Any]]:
    """The items as plain dicts (JSON-able)."""
    return [item.to_dict() for item in items]


def evidence_from(values: object) -> tuple[Evidence, ...]:
    """Evidence items from plain data (event payloads, JSON columns); anything else is skipped."""
    if not isinstance(values, list | tuple):
        return ()
    items = (Evidence.from_dict(value) for value in values if isinstance(value, Mapping))
    return tuple(item for item in items if item is not None)


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a chunk: its text, where it sits (``start``/``end``) and where the run of non-space
    characters it came from sits (``token_start``/``token_end``: the word with its punctuation, what
    an occlusion removes, so no stray quote is left behind)."""

    text: str
    start: int
    end: int
    token_start: int
    token_end: int


def _edge_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] == "P"


def words(text: str) -> list[Word]:
    """The words of ``text``: runs of non-space characters without their leading and trailing
    punctuation (``office.`` -> ``office``); a run that is all punctuation is no word. Emoji count."""
    found: list[Word] = []
    for match in re.finditer(r"\S+", text):
        start, end = match.start(), match.end()
        while start < end and _edge_punctuation(text[start]):
            start += 1
        while end > start and _edge_punctuation(text[end - 1]):
            end -= 1
        if start < end:
            found.append(Word(text[start:end], start, end, match.start(), match.end()))
    return found


def without(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` removed, spaces tidied as the pipeline tidies them."""
    rest = _SPACES.sub(" ", text[:start] + " " + text[end:])
    return _SPACE_BEFORE_PUNCT.sub("", rest).strip()


def _has_content(text: str) -> bool:
    return any(char.isalnum() or unicodedata.category(char)[0] == "S" for char in text)


@dataclass(frozen=True, slots=True)
class _Candidate:
    first: int  # index of the first word removed
    last: int  # index of the last word removed
    text: str
    variant: int | None  # index into the plan's texts; None: nothing left to score (scores 0)


@dataclass(frozen=True, slots=True)
class _Target:
    label: str
    base: float
    candidates: tuple[_Candidate, ...]


@dataclass(slots=True)
class OcclusionPlan:
    """What to score (``texts``, deduplicated) and how to turn the scores into evidence."""

    texts: list[str] = field(default_factory=list)
    targets: list[_Target] = field(default_factory=list)

    def evidence(self, scores: Sequence[Scores]) -> tuple[Evidence, ...]:
        """The evidence, given the scores of ``texts`` in order (label by label, heaviest first)."""
        if len(scores) != len(self.texts):
            raise ValueError(f"{len(scores)} scores for {len(self.texts)} texts")
        out: list[Evidence] = []
        for target in self.targets:
            out.extend(_pick(target, scores))
        return tuple(out)


def _weight(target: _Target, candidate: _Candidate, scores: Sequence[Scores]) -> float:
    after = 0.0 if candidate.variant is None else scores[candidate.variant][target.label]
    return target.base - after


def _pick(target: _Target, scores: Sequence[Scores]) -> list[Evidence]:
    weights = {(c.first, c.last): _weight(target, c, scores) for c in target.candidates}
    single = {first: weight for (first, last), weight in weights.items() if first == last}
    kept: list[tuple[float, _Candidate]] = []
    for candidate in target.candidates:
        weight = weights[(candidate.first, candidate.last)]
        if candidate.first != candidate.last:
            inner = max(single.get(index, 0.0) for index in range(candidate.first, candidate.last + 1))
            if weight < inner + PAIR_MARGIN:
                continue
        kept.append((weight, candidate))
    if not kept:
        return []
    kept.sort(key=lambda item: (-item[0], item[1].first, item[1].last))
    floor = max(MIN_WEIGHT, RELATIVE_WEIGHT * kept[0][0])
    taken: list[tuple[float, _Candidate]] = []
    for weight, candidate in kept:
        if weight < floor or len(taken) == TOP_EVIDENCE:
            break
        if any(c.first <= candidate.last and candidate.first <= c.last for _, c in taken):
            continue
        taken.append((weight, candidate))
    return [Evidence(candidate.text, target.label, round(weight, 3)) for weight, candidate in taken]


def plan_evidence(
    chunks: Sequence[str],
    chunk_scores: Sequence[Scores],
    labels: Sequence[str],
    *,
    max_ngram: int = MAX_NGRAM,
    max_variants: int = MAX_VARIANTS,
) -> OcclusionPlan:
    """The plan for ``labels`` (the fired ones) of a message scored as ``chunk_scores``, one per chunk.

    Each label is explained on its own highest-scoring chunk; labels sharing a chunk share its texts.
    Once ``max_variants`` texts are planned, labels on chunks not yet taken apart get no evidence.
    """
    if len(chunks) != len(chunk_scores):
        raise ValueError(f"{len(chunk_scores)} scores for {len(chunks)} chunks")
    plan = OcclusionPlan()
    if not chunks:
        return plan
    index_of: dict[str, int] = {}
    planned: dict[int, tuple[_Candidate, ...]] = {}
    for label in dict.fromkeys(labels):
        if label not in LABELS:
            continue
        best = max(range(len(chunks)), key=lambda i: chunk_scores[i][label])
        if best not in planned:
            candidates = _candidates(chunks[best], max_ngram, index_of, plan.texts, max_variants)
            if candidates is None:
                continue
            planned[best] = candidates
        plan.targets.append(_Target(label, chunk_scores[best][label], planned[best]))
    return plan


def _candidates(
    chunk: str, max_ngram: int, index_of: dict[str, int], texts: list[str], max_variants: int
) -> tuple[_Candidate, ...] | None:
    """Every run of 1..``max_ngram`` words of ``chunk`` with its variant (added to ``texts``), or
    ``None`` when the chunk's variants would pass ``max_variants``."""
    found = words(chunk)
    runs = [
        (first, first + size - 1)
        for size in range(1, max(1, max_ngram) + 1)
        for first in range(len(found) - size + 1)
    ]
    variants = [without(chunk, found[first].token_start, found[last].token_end) for first, last in runs]
    new = {text for text in variants if _has_content(text) and text not in index_of}
    if len(texts) + len(new) > max_variants:
        return None
    out: list[_Candidate] = []
    for (first, last), variant in zip(runs, variants, strict=True):
        position: int | None = None
        if _has_content(variant):
            position = index_of.get(variant)
            if position is None:
                position = index_of[variant] = len(texts)
                texts.append(variant)
        shown = chunk[found[first].start : found[last].end][:MAX_EVIDENCE_CHARS]
        out.append(_Candidate(first, last, shown, position))
    return tuple(out)
