"""Two real shard-owning processes (``tests/shard_workers.py``) start over one database, on SQLite and
on PostgreSQL: each stored expiry is re-armed by exactly one of them, the one whose shard holds the
server, and fires once with one modlog post."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.sharding import shard_of
from bot.storage import CaseRepository, Database
from tests.test_sharding import guild_on
from tests.test_storage_processes import REPO_ROOT, Worker

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

SHARDS = 2


class ShardWorker(Worker):
    """One ``tests.shard_workers`` process over one shard, read line by line."""

    def __init__(self, target: str, shard: int, posts: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.shard_workers", target, str(SHARDS), str(shard), str(posts)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def workers() -> Iterator[list[ShardWorker]]:
    started: list[ShardWorker] = []
    yield started
    for worker in started:
        worker.close()


def test_two_shard_processes_rearm_each_stored_expiry_exactly_once(
    database: Database, workers: list[ShardWorker], tmp_path: Path
) -> None:
    posts = tmp_path / "modlog.txt"
    workers += [ShardWorker(database.target, shard, posts) for shard in range(SHARDS)]
    for worker in workers:
        worker.expect("ready")
    cases = CaseRepository(database)
    guilds = [guild_on(shard, SHARDS, n) for n in range(4) for shard in range(SHARDS)]
    for n, guild in enumerate(guilds):
        for member in (1, 2, 3):  # a few seconds: both processes have re-armed before any fires
            cases.create(
                guild_id=guild, user_id=member, type="timeout", duration=timedelta(seconds=4 + n * 0.1)
            )
    stored = {(case.guild_id, case.case_number) for case in cases.active_expiring()}
    assert len(stored) == 3 * len(guilds)

    for worker in workers:
        worker.go()
    armed = [{tuple(map(int, line.split())) for line in worker.expect("armed")} for worker in workers]
    for worker in workers:
        worker.expect("done")
        assert worker.finish() == 0

    assert not armed[0] & armed[1] and armed[0] | armed[1] == stored  # each re-armed by one process
    for shard, keys in enumerate(armed):
        assert {shard_of(guild, SHARDS) for guild, _ in keys} == {shard}  # ...the one owning its server
    assert cases.active_expiring() == []
    lines = Counter(posts.read_text().splitlines())
    assert set(lines.values()) == {1}  # one modlog post per expiry
    posted = {(int(g), int(n)): (event, int(shard)) for g, n, event, shard in map(str.split, lines)}
    assert set(posted) == stored
    assert all(
        event == "expired" and shard == shard_of(g, SHARDS) for (g, _), (event, shard) in posted.items()
    )
