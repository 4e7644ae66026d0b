"""One member's messages decided in the order they arrived, each after the previous one was acted on.

A burst of insults sent at once must climb the escalation ladder: the fifth message's decision has to
read the cases the first four opened. :class:`KeyedTurns` hands out turns per key (``(guild_id,
author_id)``): :meth:`KeyedTurns.take` is synchronous, so the order of the calls is the order of the
turns; the work before :meth:`Turn.wait` (preparing and scoring the text) still runs concurrently, only
the part after it (history, decision, record, act) is one at a time per key.

A key's entry is dropped as soon as its last turn is released, so the map holds only keys with a
message in flight and never grows with the number of members seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class Turn:
    """One place in a key's line. Use as ``async with turns.take(key) as turn: ...; await turn.wait()``.

    Leaving the ``async with`` block (normally, by an exception or a cancellation) releases the turn:
    the next one goes once this one and every earlier one are done, never before.
    """

    __slots__ = ("_after", "_done", "_key", "_owner", "_released")

    def __init__(self, owner: KeyedTurns, key: Hashable, after: asyncio.Future[None] | None) -> None:
        self._owner = owner
        self._key = key
        self._after = after
        self._done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._released = False

    async def wait(self) -> None:
        """Return once every earlier turn of this key was released."""
        if self._after is not None and not self._after.done():
            # shielded: a cancelled waiter must not cancel the earlier turn's future
            await asyncio.shield(self._after)

    def release(self) -> None:
        """Let the next turn go (once every earlier one is done too). Idempotent."""
        if self._released:
            return
        self._released = True
        after = self._after
        if after is None or after.done():
            self._finish()
        else:
            # released before its turn came (an early return, a cancellation): keep the line's order
            after.add_done_callback(lambda _future: self._finish())

    def _finish(self) -> None:
        if not self._done.done():
            self._done.set_result(None)
        self._owner._forget(self._key, self._done)

    async def __aenter__(self) -> Turn:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


class KeyedTurns:
    """Turns per key, first come first served (see the module docstring)."""

    def __init__(self) -> None:
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    def take(self, key: Hashable) -> Turn:
        """The next turn of ``key`` (synchronous: call it before the first ``await`` to keep order)."""
        turn = Turn(self, key, self._last.get(key))
        self._last[key] = turn._done
        return turn

    def _forget(self, key: Hashable, done: asyncio.Future[None]) -> None:
        if self._last.get(key) is done:
            del self._last[key]

    def __len__(self) -> int:
        """Keys with a turn not yet finished."""
        return len(self._last)
