"""Bot-like processes sharing one database, for ``tests/test_storage_processes.py``.

Usage: ``python -m tests.storage_workers MODE TARGET [ARGS...]`` where TARGET is a SQLite file or a
``postgresql://`` URL. Each prints ``ready`` once its database is open and, where it races another
process, waits for a line on stdin before starting, so both start together.

Modes
-----
``cases INDEX``          four threads create cases over three servers; prints ``done``.
``resolve MODERATOR``    tries to resolve every open queue entry (in a shuffled order); prints the
                         ids it resolved, one per line, then ``done``.
``expiry-write POSTS``   creates cases that expire in a few seconds and arms their expiries (the real
                         :class:`~bot.moderation.infractions.InfractionService`), then opens one more
                         case's transaction, prints ``mid-write`` and waits there to be killed.
``expiry-resume POSTS``  restarts like the bot: re-arms every active expiry, writes a few more
                         short-lived cases, and exits once its timers have all run.
``expiry-watch POSTS STOP``  a second bot process: arms every active expiry it has not armed yet,
                         until the STOP file exists and nothing is left to expire.

The modlog of the expiry modes is a recording fake: each post appends ``guild number event`` to the
POSTS file (one ``write`` on an ``O_APPEND`` descriptor: lines from several processes never mix).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from bot.moderation.infraction_types import ModlogEntry
from bot.moderation.infractions import InfractionService
from bot.storage import CaseRepository, Database, QueueRepository, StateError

GUILDS = (101, 202, 303)
THREADS = 4
CASES_PER_THREAD = 15


def _ready_then_wait() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def cases_mode(target: str, index: int) -> None:
    """Four threads, each creating cases round-robin over :data:`GUILDS`."""
    database = Database(target)
    cases = CaseRepository(database)
    _ready_then_wait()
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for n in range(CASES_PER_THREAD):
                guild = GUILDS[(n + thread) % len(GUILDS)]
                cases.create(guild_id=guild, user_id=index * 100 + thread, type="note", reason=f"p{index}")
        except BaseException as error:  # reported to the parent through the exit code
            errors.append(error)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.close()
    if errors:
        raise errors[0]
    print("done", flush=True)


def resolve_mode(target: str, moderator: int) -> None:
    """Resolve every open entry this process can; print the ids it won."""
    database = Database(target)
    queue = QueueRepository(database)
    ids = [entry.id for guild in GUILDS for entry in queue.list_open(guild)]
    random.Random(moderator).shuffle(ids)
    _ready_then_wait()
    won: list[int] = []
    lock = threading.Lock()

    def work(part: list[int]) -> None:
        for entry_id in part:
            try:
                queue.resolve(entry_id, moderator, "deleted")
            except StateError:
                continue
            with lock:
                won.append(entry_id)

    threads = [threading.Thread(target=work, args=(ids[t::THREADS],)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.close()
    for entry_id in won:
        print(entry_id, flush=True)
    print("done", flush=True)


class RecordingModlog:
    """The modlog side of a server: appends each post to a shared file."""

    def __init__(self, posts: str) -> None:
        self._fd = os.open(posts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def post_modlog(self, entry: ModlogEntry) -> None:
        case = entry.case
        os.write(self._fd, f"{case.guild_id} {case.case_number} {entry.event}\n".encode())


def _service(target: str, posts: str) -> tuple[Database, CaseRepository, InfractionService]:
    database = Database(target)
    cases = CaseRepository(database)
    service = InfractionService(database, cases)
    modlog = RecordingModlog(posts)
    service.actions_for = lambda guild_id: modlog  # type: ignore[assignment,return-value]  # only the modlog side
    return database, cases, service


async def _create_armed(
    database: Database, cases: CaseRepository, service: InfractionService, count: int, after: float
) -> None:
    for n in range(count):
        case = await database.run(
            cases.create,
            guild_id=GUILDS[n % len(GUILDS)],
            user_id=1000 + n,
            type="warn",
            reason="expires",
            duration=timedelta(seconds=after + n * 0.02),
        )
        service.schedule_expiry(case)


async def expiry_write(target: str, posts: str) -> None:
    """Cases that expire in a few seconds, armed; then killed inside the next case's transaction."""
    database, cases, service = _service(target, posts)
    print("ready", flush=True)
    await _create_armed(database, cases, service, 30, after=6.0)

    def half_written() -> None:
        with database.transaction():
            cases.create(guild_id=GUILDS[0], user_id=1, type="warn", reason="uncommitted")
            print("mid-write", flush=True)
            time.sleep(3600)  # the test kills us here: the transaction never commits

    await database.run(half_written)


async def expiry_resume(target: str, posts: str) -> None:
    """A restart: re-arm everything active, add a few short-lived cases, run until no timer is left."""
    database, cases, service = _service(target, posts)
    print("ready", flush=True)
    await service.reschedule()
    await _create_armed(database, cases, service, 15, after=0.5)
    while len(service.scheduler):  # noqa: ASYNC110 - the scheduler has no event for "all timers ran"
        await asyncio.sleep(0.05)
    database.close()
    print("done", flush=True)


async def expiry_watch(target: str, posts: str, stop: str) -> None:
    """Another process over the same database: arms what it has not armed, until told to stop."""
    database, cases, service = _service(target, posts)
    print("ready", flush=True)
    while True:
        active = await database.run(cases.active_expiring)
        for case in active:
            if (case.guild_id, case.case_number) not in service.scheduler:
                service.schedule_expiry(case)
        if not active and not len(service.scheduler) and await asyncio.to_thread(Path(stop).exists):
            break
        await asyncio.sleep(0.1)
    database.close()
    print("done", flush=True)


def main(argv: list[str]) -> None:
    """Dispatch on the mode (see the module docstring)."""
    mode, target, *rest = argv
    if mode == "cases":
        cases_mode(target, int(rest[0]))
    elif mode == "resolve":
        resolve_mode(target, int(rest[0]))
    elif mode == "expiry-write":
        asyncio.run(expiry_write(target, rest[0]))
    elif mode == "expiry-resume":
        asyncio.run(expiry_resume(target, rest[0]))
    elif mode == "expiry-watch":
        asyncio.run(expiry_watch(target, rest[0], rest[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
