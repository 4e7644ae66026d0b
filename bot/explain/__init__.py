"""Evidence: the words that carried each fired label of an acted-on message (see :mod:`.occlusion`).

Computed only for messages the policy acted on, after the decision: never for an unflagged message.
:func:`explain` is blocking (the replay); :func:`aexplain` scores through an async ``score_many`` (the
bot's micro-batcher), so the work runs in the scorer's worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from bot.explain.occlusion import (
    Evidence,
    OcclusionPlan,
    evidence_dicts,
    evidence_from,
    plan_evidence,
    words,
)
from bot.scoring.base import ScorerBackend, Scores, ScoringError

__all__ = [
    "Evidence",
    "OcclusionPlan",
    "aexplain",
    "evidence_dicts",
    "evidence_from",
    "explain",
    "plan_evidence",
    "score_many_of",
    "words",
]

ScoreMany = Callable[[list[str]], Awaitable[Sequence[Scores]]]
"""An async scorer of many prepared texts at once."""


def score_many_of(front: object) -> ScoreMany:
    """The scorer front's ``score_many`` (the micro-batcher's: the texts join its batches together),
    else its one-text ``score`` for each text, awaited together."""
    many = getattr(front, "score_many", None)
    if callable(many):
        return many
    one = front.score  # type: ignore[attr-defined]  # a front without score_many has score

    async def gathered(texts: list[str]) -> list[Scores]:
        return list(await asyncio.gather(*(one(text) for text in texts)))

    return gathered


def _scored(plan: OcclusionPlan, scores: Sequence[Scores]) -> tuple[Evidence, ...]:
    if len(scores) != len(plan.texts):
        raise ScoringError(f"the scorer returned {len(scores)} scores for {len(plan.texts)} texts")
    return plan.evidence(scores)


def explain(
    backend: ScorerBackend, chunks: Sequence[str], chunk_scores: Sequence[Scores], labels: Sequence[str]
) -> tuple[Evidence, ...]:
    """Blocking: the evidence for ``labels``, scored in one backend call. Run it off the event loop."""
    plan = plan_evidence(chunks, chunk_scores, labels)
    if not plan.targets:
        return ()
    return _scored(plan, backend.score(plan.texts) if plan.texts else [])


async def aexplain(
    score_many: ScoreMany,
    chunks: Sequence[str],
    chunk_scores: Sequence[Scores],
    labels: Sequence[str],
) -> tuple[Evidence, ...]:
    """The evidence for ``labels``, every text scored by one ``score_many`` call (the batcher's); the
    texts are cut in a worker thread (a chunk of long words makes long variants)."""
    plan = await asyncio.to_thread(plan_evidence, chunks, chunk_scores, labels)
    if not plan.targets:
        return ()
    return _scored(plan, list(await score_many(plan.texts)) if plan.texts else [])
