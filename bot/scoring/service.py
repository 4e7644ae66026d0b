"""Score prepared messages: every chunk is scored and the per-label max is the message's score.

Used by the replay (synchronous, many messages' chunks batched into few backend calls; its decisions
then go through :meth:`bot.moderation.use_case.ModerateMessage.decide`). The bot's use case scores one
message at a time through the scorer front instead (:func:`bot.scoring.front.score_chunks`: the
:class:`~bot.scoring.front.TieredFront`, whose lexical tier answers when the full model is busy);
:meth:`ScoringService.ascore_prepared` is the same for callers holding a backend, batcher or front.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from bot.pipeline import PreparedText
from bot.scoring.base import ScorerBackend, Scores, ScoringError
from bot.scoring.batcher import MicroBatcher
from bot.scoring.front import TieredFront

DEFAULT_CALL_SIZE = 256
"""How many chunks ``score_many`` hands the backend in one call (the backend batches further)."""


@dataclass(frozen=True, slots=True)
class ScoredText:
    """The scores of one message: the per-label max over its chunks.

    ``worst_chunk`` is the index (into ``prepared.chunks``) of the chunk with the highest single label
    score, ``None`` for an empty message (which scores all zeros without calling the backend).
    ``chunk_scores`` holds each chunk's own scores, in chunk order. ``degraded``: the lexical tier
    answered for a chunk the full model would score differently (the full model was busy).
    """

    scores: Scores
    worst_chunk: int | None
    model_version: str
    backend: str
    chunk_scores: tuple[Scores, ...] = ()
    degraded: bool = False

    def worst_text(self, prepared: PreparedText) -> str:
        """The text of the worst chunk of ``prepared`` (``""`` when empty)."""
        return "" if self.worst_chunk is None else prepared.chunks[self.worst_chunk]


def merge_chunks(chunk_scores: Sequence[Scores], *, model_version: str, backend: str) -> ScoredText:
    """A ``ScoredText`` from the scores of one message's chunks."""
    if not chunk_scores:
        return ScoredText(Scores.zeros(), None, model_version, backend, ())
    worst = max(range(len(chunk_scores)), key=lambda index: chunk_scores[index].max()[1])
    return ScoredText(
        scores=Scores.elementwise_max(chunk_scores),
        worst_chunk=worst,
        model_version=model_version,
        backend=backend,
        chunk_scores=tuple(chunk_scores),
    )


def score_many(
    backend: ScorerBackend, prepared: Sequence[PreparedText], *, call_size: int = DEFAULT_CALL_SIZE
) -> list[ScoredText]:
    """Score many messages with few backend calls: all chunks are pooled (identical chunks once) and
    sent ``call_size`` at a time. Blocking: run it off the event loop."""
    if call_size < 1:
        raise ValueError("call_size must be at least 1")
    unique: dict[str, int] = {}
    for item in prepared:
        for chunk in item.chunks:
            unique.setdefault(chunk, len(unique))
    texts = list(unique)
    results: list[Scores] = []
    for start in range(0, len(texts), call_size):
        batch = texts[start : start + call_size]
        scored = backend.score(batch)
        if len(scored) != len(batch):
            raise ScoringError(
                f"backend {backend.name!r} returned {len(scored)} scores for {len(batch)} texts"
            )
        results.extend(scored)
    version, name = backend.model_version, backend.name
    return [
        merge_chunks([results[unique[chunk]] for chunk in item.chunks], model_version=version, backend=name)
        for item in prepared
    ]


def score_prepared(backend: ScorerBackend, prepared: PreparedText) -> ScoredText:
    """Score one message (blocking)."""
    return score_many(backend, [prepared])[0]


class ScoringService:
    """One object for both callers: ``score_prepared``/``score_many`` (blocking, for the replay) and
    ``ascore_prepared`` (async: through the front or batcher when one is given, else in a worker
    thread)."""

    def __init__(self, backend_or_batcher: ScorerBackend | MicroBatcher | TieredFront) -> None:
        self.front: TieredFront | None = None
        if isinstance(backend_or_batcher, TieredFront):
            self.front = backend_or_batcher
            self.batcher: MicroBatcher | None = backend_or_batcher.full
            self.backend: ScorerBackend = backend_or_batcher.backend
        elif isinstance(backend_or_batcher, MicroBatcher):
            self.batcher = backend_or_batcher
            self.backend = backend_or_batcher.backend
        else:
            self.batcher = None
            self.backend = backend_or_batcher

    @property
    def model_version(self) -> str:
        return self.backend.model_version

    @property
    def backend_name(self) -> str:
        return self.backend.name

    def score_prepared(self, prepared: PreparedText) -> ScoredText:
        """Blocking: score one message's chunks in one backend call."""
        return score_prepared(self.backend, prepared)

    def score_many(self, prepared: Sequence[PreparedText]) -> list[ScoredText]:
        """Blocking: score many messages, pooling their chunks."""
        return score_many(self.backend, prepared)

    async def ascore_prepared(self, prepared: PreparedText, *, allow_degraded: bool = False) -> ScoredText:
        """Async: the chunks go through the batcher, admitted together (``Overloaded`` when it cannot
        take them in time). With a :class:`TieredFront` and ``allow_degraded``, the lexical tier answers
        instead when the full model cannot, and the result says whether it is ``degraded``."""
        if not prepared.chunks:
            return merge_chunks((), model_version=self.model_version, backend=self.backend_name)
        if self.front is not None:
            answer = await self.front.score_chunks(prepared.chunks, allow_degraded=allow_degraded)
            merged = merge_chunks(answer.scores, model_version=self.model_version, backend=self.backend_name)
            return dataclasses.replace(merged, degraded=answer.degraded)
        if self.batcher is not None:
            chunk_scores = await self.batcher.score_many(prepared.chunks)
            return merge_chunks(chunk_scores, model_version=self.model_version, backend=self.backend_name)
        return await asyncio.to_thread(self.score_prepared, prepared)
