"""Evidence for many messages at once (the replay): every message's texts pooled into few backend calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.explain.occlusion import Evidence, OcclusionPlan, plan_evidence
from bot.scoring.base import ScorerBackend, Scores, ScoringError

log = logging.getLogger(__name__)

CALL_SIZE = 256
"""Texts per backend call."""


@dataclass(frozen=True, slots=True)
class ExplainItem:
    """One acted-on message: its scored chunks, each chunk's scores and the labels that fired."""

    chunks: Sequence[str]
    chunk_scores: Sequence[Scores]
    labels: Sequence[str]


def _score(backend: ScorerBackend, texts: list[str], call_size: int) -> list[Scores]:
    out: list[Scores] = []
    for start in range(0, len(texts), call_size):
        batch = texts[start : start + call_size]
        scored = backend.score(batch)
        if len(scored) != len(batch):
            raise ScoringError(
                f"backend {backend.name!r} returned {len(scored)} scores for {len(batch)} texts"
            )
        out.extend(scored)
    return out


def explain_many(
    backend: ScorerBackend, items: Sequence[ExplainItem], *, call_size: int = CALL_SIZE
) -> list[tuple[Evidence, ...]]:
    """Blocking: the evidence of each item, in order. Identical texts are scored once. When a pooled
    call fails, each message is scored on its own, and one the backend cannot score gets no evidence
    (its decision stands; the evidence is an explanation, never a reason to lose a message)."""
    plans = [plan_evidence(item.chunks, item.chunk_scores, item.labels) for item in items]
    unique: dict[str, int] = {}
    for plan in plans:
        for text in plan.texts:
            unique.setdefault(text, len(unique))
    try:
        pooled = _score(backend, list(unique), call_size)
    except Exception:
        log.debug("pooled evidence scoring failed, scoring message by message", exc_info=True)
        return [_alone(backend, plan, call_size) for plan in plans]
    return [plan.evidence([pooled[unique[text]] for text in plan.texts]) for plan in plans]


def _alone(backend: ScorerBackend, plan: OcclusionPlan, call_size: int) -> tuple[Evidence, ...]:
    try:
        return plan.evidence(_score(backend, plan.texts, call_size))
    except Exception:
        log.debug("evidence could not be scored for one message", exc_info=True)
        return ()
