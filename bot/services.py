"""What the cogs share, as plain Python: :class:`Services` (``bot.services``, built once by
:func:`bot.discord_adapter.factory.create_bot`), the scorer front protocol and the in-process scoring
metrics. The shapes of the services are the Protocols of :mod:`bot.service_protocols`.

No discord.py here: the composition root that fills these in is :mod:`bot.discord_adapter.factory`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import aiohttp

from bot.percentiles import percentile
from bot.scoring.base import Scores
from bot.service_protocols import (
    CaseStore,
    ContextFeature,
    DecisionRecorder,
    Infractions,
    PolicyProvider,
    QueueStore,
    ScoreStore,
)
from bot.settings import Settings
from bot.storage.database import Database

# --------------------------------------------------------------------------- the scorer front


@runtime_checkable
class ScorerFront(Protocol):
    """What the cogs need from the scorer: one awaitable score per prepared text.

    :class:`bot.scoring.batcher.MicroBatcher` is the production implementation (bounded queue, batches,
    inference in a worker thread). ``score`` raises the batcher's ``Overloaded`` when its queue is full.
    """

    async def score(self, text: str) -> Scores:
        """Score one prepared text."""
        ...


def scorer_model_version(scorer: object) -> str:
    """The model version the scorer reports (``"unknown"`` when it reports none)."""
    for owner in (scorer, getattr(scorer, "backend", None)):
        version = getattr(owner, "model_version", None)
        if isinstance(version, str) and version:
            return version
    return "unknown"


def scorer_backend_name(scorer: object, default: str = "unknown") -> str:
    """The backend name (``embedded``/``detoxify``) behind the scorer front."""
    for owner in (getattr(scorer, "backend", None), scorer):
        name = getattr(owner, "name", None)
        if isinstance(name, str) and name:
            return name
    return default


def scorer_runtime(scorer: object) -> str:
    """What runs the model behind the scorer front, and why (e.g. ``onnx-int8 (int8 with avx512_vnni;
    2 threads; ...)``); ``""`` when the backend does not say (detoxify)."""
    for owner in (getattr(scorer, "backend", None), scorer):
        runtime = getattr(owner, "runtime", None)
        if isinstance(runtime, str) and runtime:
            reason = getattr(owner, "runtime_reason", "")
            return f"{runtime} ({reason})" if isinstance(reason, str) and reason else runtime
    return ""


def scorer_queue_depth(scorer: object) -> int:
    """Texts waiting in the scorer front's queue (0 when it keeps none)."""
    depth = getattr(scorer, "queue_depth", 0)
    return depth if isinstance(depth, int) else 0


# --------------------------------------------------------------------------- metrics


@dataclass
class ScoringMetrics:
    """In-process scoring numbers for ``/warden status``: end-to-end latency per message (prepare +
    every chunk through the scorer front), how often the full model could not answer in time
    (``overloaded``), and what happened then: ``degraded`` decisions by the lexical tier, messages
    ``deferred`` whole (no lexical tier), decisions ``rescored`` by the full model later, and the
    moderation use case's re-score queue (``rescores``: its ``pending`` count and totals)."""

    window: int = 2048
    latencies_ms: deque[float] = field(default_factory=deque)
    overloaded: int = 0
    degraded: int = 0
    deferred: int = 0
    rescored: int = 0
    rescores: Any = None

    def record(self, latency_ms: float) -> None:
        """Remember one scored message's latency."""
        self.latencies_ms.append(latency_ms)
        while len(self.latencies_ms) > self.window:
            self.latencies_ms.popleft()

    def percentile(self, q: float) -> float | None:
        """The ``q``-th percentile (0-100, :func:`bot.percentiles.percentile`) of recent latencies in ms;
        ``None`` before the first message."""
        return percentile(self.latencies_ms, q) if self.latencies_ms else None


# --------------------------------------------------------------------------- services


@dataclass
class Services:
    """Everything the cogs share, built once by :func:`~bot.discord_adapter.factory.create_bot`
    (``bot.services``). ``scorer``, ``session`` and ``context`` are filled in by the bot's
    ``setup_hook`` when not given (they need the running loop); ``context`` stays ``None`` where the
    context feature is not installed."""

    settings: Settings
    database: Database
    policies: PolicyProvider
    scores: ScoreStore
    cases: CaseStore
    queue: QueueStore
    decisions: DecisionRecorder
    infractions: Infractions
    scorer: ScorerFront | None = None
    session: aiohttp.ClientSession | None = None
    context: ContextFeature | None = None
    metrics: ScoringMetrics = field(default_factory=ScoringMetrics)
    started_at: float = field(default_factory=time.monotonic)

    @property
    def backend_name(self) -> str:
        """The configured backend name (``embedded``/``detoxify``)."""
        return scorer_backend_name(self.scorer, self.settings.backend)

    @property
    def model_version(self) -> str:
        """The scorer's model version."""
        return scorer_model_version(self.scorer)

    @property
    def runtime(self) -> str:
        """What runs the model and why (``""`` when the backend does not say)."""
        return scorer_runtime(self.scorer)
