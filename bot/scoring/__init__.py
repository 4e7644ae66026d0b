"""Scoring: the backend contract, the backends, micro-batching and per-message scoring.

Heavy modules (torch, the embedded model) load lazily: importing ``bot.scoring`` is cheap.
"""

from bot.scoring.base import LABELS, ScorerBackend, Scores, ScoringError
from bot.scoring.batcher import BatcherClosedError, MicroBatcher, Overloaded
from bot.scoring.registry import BACKENDS, build_backend
from bot.scoring.service import ScoredText, ScoringService, merge_chunks, score_many, score_prepared

__all__ = [
    "BACKENDS",
    "LABELS",
    "BatcherClosedError",
    "MicroBatcher",
    "Overloaded",
    "ScoredText",
    "ScorerBackend",
    "Scores",
    "ScoringError",
    "ScoringService",
    "build_backend",
    "merge_chunks",
    "score_many",
    "score_prepared",
]
