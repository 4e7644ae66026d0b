"""Several bot processes on one database at once, for real (``tests/storage_workers.py``), on SQLite and
on PostgreSQL: case numbers stay gapless and unique per server, a queue entry is resolved once, and a
process killed mid-write leaves nothing half-written while every expiry still fires once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import CaseRepository, Database, QueueRepository
from tests.storage_workers import CASES_PER_THREAD, GUILDS, THREADS

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

REPO_ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 180


class Worker:
    """One ``tests.storage_workers`` process, read line by line."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.storage_workers", *args],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def expect(self, line: str) -> list[str]:
        """The lines printed before ``line`` (fails if the process ends first)."""
        assert self.process.stdout is not None
        before: list[str] = []
        for raw in self.process.stdout:
            if raw.strip() == line:
                return before
            before.append(raw.strip())
        raise AssertionError(f"worker exited ({self.process.wait()}) before printing {line!r}: {before}")

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def finish(self) -> int:
        return self.process.wait(timeout=WAIT_S)

    def close(self) -> None:
        """Kill it if it still runs, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT_S)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.close()


def numbers_by_guild(database: Database) -> dict[int, list[int]]:
    with database.connection() as db:
        found = db.execute(
            "SELECT guild_id, case_number FROM cases ORDER BY guild_id, case_number"
        ).fetchall()
    out: dict[int, list[int]] = {}
    for guild, number in found:
        out.setdefault(int(guild), []).append(int(number))
    return out


def test_two_processes_of_four_threads_number_cases_without_gap_or_duplicate(
    database: Database, workers: list[Worker]
) -> None:
    workers += [Worker("cases", database.target, str(index)) for index in (1, 2)]
    for worker in workers:
        worker.expect("ready")
    for worker in workers:
        worker.go()
    for worker in workers:
        worker.expect("done")
        assert worker.finish() == 0

    by_guild = numbers_by_guild(database)
    assert set(by_guild) == set(GUILDS)
    total = sum(len(numbers) for numbers in by_guild.values())
    assert total == 2 * THREADS * CASES_PER_THREAD
    for numbers in by_guild.values():
        assert numbers == list(range(1, len(numbers) + 1))
    # after the race, the next case of a server still continues the sequence
    assert CaseRepository(database).create(guild_id=GUILDS[0], user_id=1, type="note").case_number == (
        len(by_guild[GUILDS[0]]) + 1
    )


def test_two_processes_racing_resolve_each_of_200_entries_once(
    database: Database, workers: list[Worker]
) -> None:
    queue = QueueRepository(database)
    ids = [
        queue.add(guild_id=GUILDS[n % 3], message_id=10_000 + n, author_id=5, reason="r")[0].id
        for n in range(200)
    ]
    workers += [Worker("resolve", database.target, str(moderator)) for moderator in (71, 72)]
    for worker in workers:
        worker.expect("ready")
    for worker in workers:
        worker.go()
    won = [[int(line) for line in worker.expect("done")] for worker in workers]
    for worker in workers:
        assert worker.finish() == 0

    assert not set(won[0]) & set(won[1])
    assert sorted(won[0] + won[1]) == sorted(ids)
    for moderator, entry_ids in zip((71, 72), won, strict=True):
        for entry_id in entry_ids:
            entry = queue.get(entry_id)
            assert entry is not None and entry.resolved_by == moderator
    feedback = [row["queue_entry_id"] for guild in GUILDS for row in queue.list_feedback(guild)]
    assert sorted(feedback) == sorted(ids)  # one verdict per entry, none lost


def test_a_process_killed_mid_write_restarts_and_every_expiry_fires_once(
    database: Database, workers: list[Worker], tmp_path: Path
) -> None:
    posts, stop = tmp_path / "modlog.txt", tmp_path / "stop"
    watcher = Worker("expiry-watch", database.target, str(posts), str(stop))
    workers.append(watcher)
    watcher.expect("ready")  # open first: opening a SQLite file waits for its write lock
    writer = Worker("expiry-write", database.target, str(posts))
    workers.append(writer)
    writer.expect("mid-write")
    os.kill(writer.process.pid, signal.SIGKILL)
    assert writer.process.wait(timeout=WAIT_S) == -signal.SIGKILL

    restarted = Worker("expiry-resume", database.target, str(posts))
    workers.append(restarted)
    restarted.expect("done")
    assert restarted.finish() == 0
    stop.touch()
    watcher.expect("done")
    assert watcher.finish() == 0

    with database.connection() as db:
        uncommitted = db.execute("SELECT count(*) FROM cases WHERE reason = 'uncommitted'").fetchone()[0]
        active = db.execute("SELECT count(*) FROM cases WHERE active = 1").fetchone()[0]
    assert uncommitted == 0  # the killed transaction left nothing
    assert active == 0  # every expiry fired
    by_guild = numbers_by_guild(database)
    for numbers in by_guild.values():
        assert numbers == list(range(1, len(numbers) + 1))  # and its case number was not used up
    every_case = {(guild, number) for guild, numbers in by_guild.items() for number in numbers}
    assert len(every_case) == 45
    lines = Counter(posts.read_text().splitlines())
    assert set(lines.values()) == {1}, [line for line, count in lines.items() if count > 1]
    assert {tuple(map(int, line.split()[:2])) for line in lines} == every_case
    assert {line.split()[2] for line in lines} == {"expired"}
