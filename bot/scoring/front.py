"""The bot's scorer front: the full model when it can answer in time, the lexical tier at once when not.

:class:`TieredFront` puts the backend behind a :class:`~bot.scoring.batcher.MicroBatcher` bounded by
projected wait (``max_projected_wait_ms``, 2 s by default): a message that would wait longer is refused
at once. When the backend has a lexical tier (``score_fast``: the embedded model's tier 1), a refused
message's chunks are scored by it instead, through a second micro-batcher with its own worker thread,
so the answer comes at once even while the full model is busy. In a burst the lexical tier goes
first: once texts wait behind its call, the full model starts no new call until the lexical tier has
nothing left (``MicroBatcher.yield_to``), because on a small machine both compete for the same cores,
and a message that gets no answer at all is worse than one answered degraded a little later by the full
model. While the full model is held that way, a new message goes straight to the lexical tier, and one
the full model admitted but had not started within ``max_projected_wait_ms`` is answered by the
lexical tier too (its wait is over; one the model has started is always answered by it, so no work is
thrown away). An occasional refusal in a mild overload holds nothing: both tiers run side by side.
Each chunk's answer says whether it is final: tier 1 clears most ordinary chat, and then the full
cascade would have answered the same. A message with any chunk tier 1 does not clear is **degraded**:
the caller decides on it at stricter thresholds (:mod:`bot.policy.degraded`) and has the full model
score it again once it has room
(:mod:`bot.scoring.rescore`; the front says when: :meth:`TieredFront.has_room`, the full model's
projected wait under a quarter of its limit).

A backend without a lexical tier (detoxify) has no degraded answer: a refused message raises
``Overloaded`` and the caller defers it to the re-score queue whole.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.scoring.base import Scores
from bot.scoring.batcher import MicroBatcher, Overloaded

log = logging.getLogger(__name__)

DEFAULT_MAX_PROJECTED_WAIT_MS = 2000.0
"""A message the full model would answer later than this is answered by the lexical tier instead."""


@dataclass(frozen=True, slots=True)
class ChunkScores:
    """One message's chunk scores and who answered: ``degraded`` when the lexical tier answered for a
    chunk the full model would have scored differently (tier 1 did not clear it)."""

    scores: tuple[Scores, ...]
    degraded: bool = False
    tier: str = "full"
    """``full``, or ``lexical`` (answered by tier 1 because the full model was busy)."""


class _LexicalTier:
    """The backend's ``score_fast`` as a batch backend: ``(Scores, final)`` per text."""

    name = "lexical"

    def __init__(self, backend: Any) -> None:
        self._score_fast = backend.score_fast

    def score(self, texts: Sequence[str]) -> list[tuple[Scores, bool]]:
        return self._score_fast(texts)


def has_lexical_tier(backend: object) -> bool:
    """Whether ``backend`` can answer with its lexical tier alone (``score_fast``)."""
    return callable(getattr(backend, "score_fast", None))


class TieredFront:
    """The full model behind a wait-bounded batcher, the lexical tier behind another (module docstring).

    ``max_projected_wait_ms`` bounds both tiers unless ``lexical_max_projected_wait_ms`` is given.

    Also a plain scorer front (:class:`bot.services.ScorerFront`): ``score(text)`` goes to the full
    model and raises ``Overloaded`` when it cannot answer in time.
    """

    def __init__(
        self,
        backend: Any,
        *,
        max_batch: int = 64,
        max_wait_ms: float = 10,
        max_projected_wait_ms: float = DEFAULT_MAX_PROJECTED_WAIT_MS,
        max_queue: int = 8192,
        lexical_max_batch: int = 256,
        lexical_max_projected_wait_ms: float | None = None,
    ) -> None:
        self.backend = backend
        self.full: MicroBatcher[Scores] = MicroBatcher(
            backend,
            max_batch=max_batch,
            max_wait_ms=max_wait_ms,
            max_queue=max_queue,
            max_projected_wait_ms=max_projected_wait_ms,
        )
        self.lexical: MicroBatcher[tuple[Scores, bool]] | None = None
        if has_lexical_tier(backend):
            self.lexical = MicroBatcher(
                _LexicalTier(backend),
                max_batch=lexical_max_batch,
                max_wait_ms=0,
                max_queue=max_queue * 4,
                max_projected_wait_ms=lexical_max_projected_wait_ms or max_projected_wait_ms,
                initial_item_ms=1.0,
            )
            self.full.yield_to = self._lexical_first
        self.max_wait_s = max_projected_wait_ms / 1000
        """How long a message waits for the full model before the lexical tier answers it."""
        self.full_answers_total = 0
        """Messages the full model answered."""
        self.lexical_final_total = 0
        """Messages the lexical tier answered while the full model was busy, with a final answer."""
        self.degraded_total = 0
        """Messages answered degraded (the lexical tier did not clear every chunk)."""
        self.refused_total = 0
        """Messages neither tier could take in time (``Overloaded`` raised to the caller)."""

    async def _lexical_first(self) -> None:
        """When texts wait behind the lexical tier's call (a burst builds that backlog; an occasional
        refusal does not), until the lexical tier has nothing waiting or running, giving up meanwhile
        the full model's texts past their deadline to it. Otherwise at once: both tiers run."""
        lexical = self.lexical
        if lexical is None or not lexical.running or lexical.queue_depth == 0:
            return
        while lexical.running and not lexical.idle:
            await lexical.progressed()
            self.full.shed_expired()  # what waited past its bound is answered by the lexical tier

    # --- what the bot reads ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return str(getattr(self.backend, "name", "unknown"))

    @property
    def model_version(self) -> str:
        return str(getattr(self.backend, "model_version", "unknown"))

    @property
    def running(self) -> bool:
        return self.full.running

    @property
    def queue_depth(self) -> int:
        """Texts waiting for the full model."""
        return self.full.queue_depth

    def projected_wait_s(self) -> float:
        """Seconds until a text queued now for the full model would be scored."""
        return self.full.projected_wait_s(extra=1)

    def has_room(self) -> bool:
        """Whether the full model can take re-scores now (:meth:`MicroBatcher.has_room`)."""
        return self.full.has_room()

    async def progressed(self) -> None:
        """Return once the full model finished its next call (:meth:`MicroBatcher.progressed`)."""
        await self.full.progressed()

    def latency_percentiles(self) -> dict[str, float]:
        """The full model's enqueue->result percentiles (ms)."""
        return self.full.latency_percentiles()

    # --- lifecycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start both batchers (idempotent)."""
        await self.full.start()
        if self.lexical is not None:
            await self.lexical.start()

    async def close(self, drain: bool = True) -> None:
        """Close both batchers (``drain``: score what waits first)."""
        await asyncio.gather(
            self.full.close(drain=drain), *([self.lexical.close(drain=drain)] if self.lexical else [])
        )

    async def __aenter__(self) -> TieredFront:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- scoring -------------------------------------------------------------------------------------
    async def score(self, text: str) -> Scores:
        """The full model's scores for ``text`` (``Overloaded`` when it cannot answer in time)."""
        return await self.full.score(text)

    async def score_many(self, texts: Sequence[str]) -> list[Scores]:
        """The full model's scores for several texts, admitted together (``Overloaded`` otherwise)."""
        return await self.full.score_many(texts)

    async def score_chunks(self, texts: Sequence[str], *, allow_degraded: bool = True) -> ChunkScores:
        """Scores for one message's chunks: the full model's when it can take them in time, else (with
        ``allow_degraded`` and a lexical tier) the lexical tier's at once. Raises ``Overloaded`` when
        neither can, ``ScoringError`` when the backend fails on a chunk."""
        if not allow_degraded or self.lexical is None:
            try:
                scores = await self.full.score_many(texts)
            except Overloaded:
                self.refused_total += 1
                raise
            self.full_answers_total += 1
            return ChunkScores(tuple(scores))
        if not self.full.yielding:
            try:
                scores = await self.full.score_many(texts, deadline_s=self.max_wait_s)
            except Overloaded:
                pass  # refused, or admitted but not handed to the model in time (skipped there)
            else:
                self.full_answers_total += 1
                return ChunkScores(tuple(scores))
        try:
            answers = await self.lexical.score_many(texts)
        except Overloaded:
            self.refused_total += 1
            raise
        degraded = not all(final for _scores, final in answers)
        if degraded:
            self.degraded_total += 1
        else:
            self.lexical_final_total += 1
        return ChunkScores(tuple(scores for scores, _final in answers), degraded=degraded, tier="lexical")

    def stats(self) -> dict[str, float]:
        """Counters for logs and benchmarks."""
        full = self.full
        return {
            "full_answers": self.full_answers_total,
            "lexical_final": self.lexical_final_total,
            "degraded": self.degraded_total,
            "refused": self.refused_total,
            "queue_depth": full.queue_depth,
            "projected_wait_s": self.projected_wait_s(),
            "batches": full.batches_total,
            "early_flushes": full.early_flushes_total,
            "shaped_windows": full.shaped_windows_total,
            "per_item_ms": full.cost.per_item_s * 1000,
            "overhead_ms": full.cost.overhead_s * 1000,
        }


async def score_chunks(front: object, texts: Sequence[str], *, allow_degraded: bool = True) -> ChunkScores:
    """``front.score_chunks`` when the front has tiers, else each chunk through ``front.score`` (any
    :class:`bot.services.ScorerFront`; its ``Overloaded`` is raised as is)."""
    tiered = getattr(front, "score_chunks", None)
    if callable(tiered):
        return await tiered(texts, allow_degraded=allow_degraded)
    many = getattr(front, "score_many", None)
    if callable(many):
        return ChunkScores(tuple(await many(list(texts))))
    # neither tiers nor score_many: a plain ScorerFront, which has score
    return ChunkScores(tuple(await asyncio.gather(*(front.score(text) for text in texts))))  # type: ignore[attr-defined]


async def wait_for_progress(front: object, fallback_s: float = 0.05) -> None:
    """Until ``front`` (a :class:`TieredFront` or :class:`MicroBatcher`) finished its next backend call;
    a front that cannot say: ``fallback_s``."""
    progressed = getattr(front, "progressed", None)
    if callable(progressed):
        await progressed()
    else:
        await asyncio.sleep(fallback_s)


def room_check(front: object) -> Callable[[], bool] | None:
    """``front.has_room`` (a :class:`TieredFront` or a :class:`MicroBatcher`): whether it can take
    deferred re-scores now; ``None`` for a front that cannot tell (nothing is deferred to it)."""
    has_room = getattr(front, "has_room", None)
    return has_room if callable(has_room) else None
