"""Offline replay of a thread: what Warden would have done, message by message, with no Discord."""

from bot.replay.engine import ReplayEngine, ReplayResult, ReplayRow
from bot.replay.reader import LineError, ThreadMessage, ThreadReadError, read_thread

__all__ = [
    "LineError",
    "ReplayEngine",
    "ReplayResult",
    "ReplayRow",
    "ThreadMessage",
    "ThreadReadError",
    "read_thread",
]
