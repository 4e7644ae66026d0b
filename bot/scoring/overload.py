"""The errors of a scoring queue that cannot take or finish a text: :class:`Overloaded` (not taken in
time: the caller answers another way) and :class:`BatcherClosedError` (the queue is not running)."""

from __future__ import annotations

from bot.scoring.base import ScoringError


class Overloaded(ScoringError):  # noqa: N818 - the name the bot and the brief use
    """The batcher cannot take the text in time: it was not queued (the caller decides what to do).

    ``projected_wait_s`` is set when the projected wait was over ``max_wait_s``; otherwise the queue
    held ``max_queue`` texts already."""

    def __init__(
        self,
        queue_depth: int,
        max_queue: int,
        *,
        projected_wait_s: float | None = None,
        max_wait_s: float | None = None,
    ) -> None:
        self.queue_depth = queue_depth
        self.max_queue = max_queue
        self.projected_wait_s = projected_wait_s
        self.max_wait_s = max_wait_s
        if projected_wait_s is not None and max_wait_s is not None:
            message = (
                f"scoring queue would take {projected_wait_s:.2f} s for this text (limit {max_wait_s:.2f} s, "
                f"{queue_depth} waiting): not queued, try later"
            )
        else:
            message = (
                f"scoring queue is full ({queue_depth}/{max_queue} waiting): message not scored, try later"
            )
        super().__init__(message)


class BatcherClosedError(ScoringError):
    """``score`` was called on a batcher that is not running (not started, or closed)."""
