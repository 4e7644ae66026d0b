"""Which servers this process owns when several bot processes share one database.

Discord routes a server's gateway events to shard ``(guild_id >> 22) % shard_count``. A Warden process
started with ``WARDEN_SHARD_COUNT`` and ``WARDEN_SHARD_IDS`` connects only those shards, so it only
hears its own servers; the work it starts on its own (re-arming the stored case expiries at start,
polling the context feature's feeds) must be filtered the same way, or every process would do it for
every server. :func:`owns_guild` is that filter, and :class:`ShardScope` the process's share.

The process that owns shard 0 is the **primary**: it syncs the slash commands (one sync per
deployment, not one per process), and the deployment-wide feeds (``guild_id`` 0) and the context
requests' retention fall to it, because guild 0 is on shard 0.

Plain data: no discord.py import here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SINGLE_PROCESS", "ShardScope", "owns_guild", "shard_of"]


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends ``guild_id``'s events to (its snowflake's timestamp, modulo the count)."""
    return (guild_id >> 22) % shard_count


def owns_guild(guild_id: int, shard_count: int, shard_ids: Iterable[int]) -> bool:
    """Whether a process running ``shard_ids`` of ``shard_count`` shards owns ``guild_id``."""
    return shard_of(guild_id, shard_count) in set(shard_ids)


@dataclass(frozen=True)
class ShardScope:
    """A process's share of the shards: ``count`` shards in all, this process runs ``ids``.

    ``sharded`` is False for the default single process (:data:`SINGLE_PROCESS`: one shard, owned),
    which owns every server and runs a plain ``commands.Bot``.
    """

    count: int = 1
    ids: tuple[int, ...] = (0,)
    sharded: bool = False

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shard count must be at least 1, not {self.count}")
        if not self.ids:
            raise ValueError("a process needs at least one shard")
        outside = [shard for shard in self.ids if not 0 <= shard < self.count]
        if outside:
            raise ValueError(f"shard ids {outside} are outside 0..{self.count - 1}")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError(f"shard ids repeat: {list(self.ids)}")

    def owns(self, guild_id: int) -> bool:
        """Whether this process owns ``guild_id`` (:func:`owns_guild`)."""
        return not self.sharded or owns_guild(guild_id, self.count, self.ids)

    @property
    def primary(self) -> bool:
        """Whether this process owns shard 0: it syncs the slash commands and does the deployment-wide
        chores (true for the single process)."""
        return 0 in self.ids

    def describe(self) -> str:
        """For logs: ``shards 0,1 of 4`` or ``unsharded``."""
        if not self.sharded:
            return "unsharded"
        return f"shards {','.join(map(str, self.ids))} of {self.count}"


SINGLE_PROCESS = ShardScope()
"""The default: one process, every server."""
