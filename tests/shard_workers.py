"""A shard-owning bot process for ``tests/test_sharding_processes.py``: the real
:class:`~bot.moderation.infractions.InfractionService` re-arming the stored expiries at start, filtered
by the process's shards as the bot's composition root filters them.

Usage: ``python -m tests.shard_workers TARGET SHARD_COUNT SHARD_ID POSTS``. Prints ``ready`` once its
database is open and waits for a line on stdin (so two processes re-arm at the same moment); then
re-arms, prints each armed case as ``guild number``, then ``armed``; runs until its timers have all
fired and prints ``done``. Each modlog post appends ``guild number expired SHARD_ID`` to POSTS.
"""

from __future__ import annotations

import asyncio
import os
import sys

from bot.moderation.infraction_types import ModlogEntry
from bot.moderation.infractions import InfractionService
from bot.sharding import ShardScope
from bot.storage import CaseRepository, Database


class ShardModlog:
    """The modlog side of a server: appends each post, tagged with the posting shard, to a shared file."""

    def __init__(self, posts: str, shard: int) -> None:
        self._fd = os.open(posts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._shard = shard

    async def post_modlog(self, entry: ModlogEntry) -> None:
        case = entry.case
        line = f"{case.guild_id} {case.case_number} {entry.event} {self._shard}\n"
        os.write(self._fd, line.encode())


async def rearm(target: str, count: int, shard: int, posts: str) -> None:
    """Start like a bot process over shard ``shard`` of ``count``: re-arm, report, wait for the timers."""
    database = Database(target)
    scope = ShardScope(count=count, ids=(shard,), sharded=True)
    service = InfractionService(database, CaseRepository(database), owns_guild=scope.owns)
    modlog = ShardModlog(posts, shard)
    service.actions_for = lambda guild_id: modlog  # type: ignore[assignment,return-value]  # only the modlog side
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await service.reschedule()
    armed = await database.run(service.cases.active_expiring)
    for case in armed:
        if (case.guild_id, case.case_number) in service.scheduler:
            print(case.guild_id, case.case_number, flush=True)
    print("armed", flush=True)
    while len(service.scheduler):  # noqa: ASYNC110 - the scheduler has no event for "all timers ran"
        await asyncio.sleep(0.05)
    database.close()
    print("done", flush=True)


if __name__ == "__main__":
    target, count, shard, posts = sys.argv[1:]
    asyncio.run(rearm(target, int(count), int(shard), posts))
