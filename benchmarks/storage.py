"""Storage cost: PostgreSQL against SQLite on this machine, per operation and with two processes writing.

Measures, in one run, on the same machine and the same data:
1. the cost of each operation the bot does on its database, one at a time on one thread (the
   repository call itself, as ``Database.run`` executes it off the event loop): record a message's
   score (a clean message), record an acted-on decision (score + case + queue entry in one
   transaction), create a case, resolve a queue entry, read an author's history, read a server's
   stored settings (uncached; the bot caches them and drops the cache on a write, LISTEN/NOTIFY on
   PostgreSQL). Per backend p50/p99 in ms, and each PostgreSQL figure's ratio to SQLite's;
2. one, then two processes writing at once: each records acted-on decisions (score + case + queue
   entry) over 20 servers as fast as it can, so they contend on the same per-server case counters;
   throughput over the whole run and the p99 of a write.

PostgreSQL: ``--url postgresql://...`` (a fresh schema is made in that database and dropped
afterwards), or, without it, a throwaway cluster of the machine's own PostgreSQL
(``scripts/pg-test-cluster``: Unix socket, no TCP; needs root or sudo to the ``postgres`` user),
started and stopped here, with ``fsync = on`` as a production server runs (the test cluster runs
without it). PostgreSQL is measured twice: as configured (``synchronous_commit = on``: a commit waits
for its WAL flush) and with ``synchronous_commit = off`` for the session, which is closer to how
Warden runs SQLite (WAL, ``synchronous = NORMAL``: a commit does not wait for the disk; a power cut can
lose the last commits but never corrupts the file).

Run:  .venv/bin/python benchmarks/storage.py [--url URL] [--ops 300] [--writes 300] \
          [--write docs/benchmarks.md]
A benchmark, never a test: the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.percentiles import percentile  # noqa: E402
from bot.policy.decision import Action, Decision  # noqa: E402
from bot.scoring.base import Scores  # noqa: E402
from bot.storage import CaseRepository, Database, QueueRepository, ScoreRepository, SettingsRepository  # noqa: E402
from bot.storage.cases import CaseType  # noqa: E402
from bot.storage.decisions import CaseDraft, DecisionRepository, QueueDraft  # noqa: E402

GUILDS = [(1_000 + n) << 22 for n in range(20)]
AUTHORS = 200
WARMUP = 20
SCORES = Scores(toxicity=0.91, insult=0.88)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

OPERATIONS = (
    "record a clean message's score",
    "record an acted-on decision (score + case + queue entry)",
    "create a case",
    "resolve a queue entry",
    "read an author's history",
    "read a server's settings (uncached)",
)


# --------------------------------------------------------------------------- targets


def with_options(url: str, *options: str) -> str:
    """``url`` with libpq ``options`` (``-c name=value``) added to its query."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["options"] = " ".join(filter(None, [query.get("options", ""), *options]))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))  # libpq: %20, not +


@contextlib.contextmanager
def cluster(url: str | None) -> Iterator[str]:
    """``url``, or a throwaway cluster's (started with ``scripts/pg-test-cluster``, fsync on, stopped)."""
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="warden-bench-pg.")
    script = str(REPO / "scripts" / "pg-test-cluster")
    try:
        env = {**os.environ, "PG_EXTRA_OPTIONS": "-c fsync=on"}  # as a production server runs
        started = subprocess.run(
            [script, "start", folder], capture_output=True, text=True, check=True, env=env
        )
        yield started.stdout.strip()
    finally:
        subprocess.run([script, "stop", folder], capture_output=True, check=False)


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new empty schema in ``url``'s database, first on the search path; dropped afterwards."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield with_options(url, f"-csearch_path={name}")
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def server_facts(url: str) -> str:
    """PostgreSQL's version and the durability settings the run had."""
    import psycopg

    with psycopg.connect(url) as conn:  # SHOW returns exactly one row
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        fsync = conn.execute("SHOW fsync").fetchone()[0]  # type: ignore[index]
        sync = conn.execute("SHOW synchronous_commit").fetchone()[0]  # type: ignore[index]
    return f"PostgreSQL {version.split()[0]} (fsync {fsync}, synchronous_commit {sync})"


# --------------------------------------------------------------------------- one operation at a time


@dataclass
class Store:
    """The repositories over one database."""

    database: Database

    def __post_init__(self) -> None:
        self.scores = ScoreRepository(self.database)
        self.cases = CaseRepository(self.database)
        self.queue = QueueRepository(self.database)
        self.decisions = DecisionRepository(self.database, self.scores, self.cases, self.queue)
        self.settings = SettingsRepository(self.database)


def record(store: Store, message_id: int, *, acted: bool) -> object:
    """One decision as the bot records it (an acted-on one opens a warn case and a queue entry)."""
    guild = GUILDS[message_id % len(GUILDS)]
    author = message_id % AUTHORS
    if not acted:
        decision = Decision(action=Action.NONE, labels=(), reason="")
        return store.decisions.record(
            guild_id=guild, channel_id=7, message_id=message_id, author_id=author, scores=SCORES,
            decision=decision, model_version="bench", backend="bench", now=NOW,
        )  # fmt: skip
    return store.decisions.record(
        guild_id=guild, channel_id=7, message_id=message_id, author_id=author, scores=SCORES,
        decision=Decision(action=Action.WARN, labels=("insult",), reason="insult 0.88"),
        model_version="bench", backend="bench", now=NOW,
        case=CaseDraft(CaseType.WARN, "Automatic: flagged for insult"),
        queue=QueueDraft("automatic warn", excerpt="an excerpt of the message", labels=("insult",)),
    )  # fmt: skip


def timed(calls: list[Callable[[], object]]) -> list[float]:
    """Milliseconds of each call, after :data:`WARMUP` untimed ones."""
    for call in calls[:WARMUP]:
        call()
    out: list[float] = []
    for call in calls[WARMUP:]:
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure_operations(target: str | Path, n: int) -> dict[str, list[float]]:
    """Each operation ``n`` times (plus a warm-up) on a fresh database at ``target``."""
    database = Database(target)
    store = Store(database)
    total = n + WARMUP
    try:
        for guild in GUILDS:  # every server has stored settings and some history
            store.settings.set_overrides(guild, {"watched_channels": [7, 8], "dry_run": False}, now=NOW)
        ids = iter(range(1, 10_000_000))
        for _ in range(400):
            record(store, next(ids), acted=True)
        results: dict[str, list[float]] = {}
        clean, acted = [next(ids) for _ in range(total)], [next(ids) for _ in range(total)]
        results[OPERATIONS[0]] = timed([functools.partial(record, store, m, acted=False) for m in clean])
        results[OPERATIONS[1]] = timed([functools.partial(record, store, m, acted=True) for m in acted])
        results[OPERATIONS[2]] = timed(
            [
                functools.partial(
                    store.cases.create,
                    guild_id=GUILDS[k % len(GUILDS)],
                    user_id=k % AUTHORS,
                    type=CaseType.NOTE,
                    reason="note",
                )
                for k in range(total)
            ]
        )
        entries = [
            store.queue.add(
                guild_id=GUILDS[k % len(GUILDS)], message_id=5_000_000 + k, author_id=k, reason="r"
            )[0]
            for k in range(total)
        ]
        results[OPERATIONS[3]] = timed(
            [functools.partial(store.queue.resolve, e.id, 99, "deleted") for e in entries]
        )
        results[OPERATIONS[4]] = timed(
            [
                functools.partial(
                    store.cases.history_for, GUILDS[k % len(GUILDS)], k % AUTHORS, NOW + timedelta(hours=1)
                )
                for k in range(total)
            ]
        )
        results[OPERATIONS[5]] = timed(
            [functools.partial(store.settings.get_overrides, GUILDS[k % len(GUILDS)]) for k in range(total)]
        )
        return results
    finally:
        database.close()


# --------------------------------------------------------------------------- processes writing at once


def worker(target: str, writes: int, index: int) -> None:
    """A writing process: ready, wait for ``go``, record ``writes`` acted-on decisions, report as JSON."""
    database = Database(target)
    store = Store(database)
    record(store, 90_000_000 + index * 1_000_000, acted=True)  # connect and warm up before the start
    print("ready", flush=True)
    sys.stdin.readline()
    latencies: list[float] = []
    started = time.time()
    for k in range(1, writes + 1):
        begin = time.perf_counter()
        record(store, 90_000_000 + index * 1_000_000 + k, acted=True)
        latencies.append((time.perf_counter() - begin) * 1000)
    finished = time.time()
    database.close()
    print(json.dumps({"started": started, "finished": finished, "latencies": latencies}), flush=True)


def concurrent_writers(target: str | Path, processes: int, writes: int) -> dict[str, float]:
    """``processes`` writer processes at once on a fresh database; throughput and write p99."""
    Database(target).close()  # created and migrated before the writers open it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", str(target), str(writes), str(index)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for index in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a writer failed to start: {line!r}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        reports = []
        for child in children:
            out, _ = child.communicate(timeout=1800)
            if child.returncode != 0:
                raise RuntimeError(f"a writer failed (exit {child.returncode})")
            reports.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    latencies = [value for report in reports for value in report["latencies"]]
    wall = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
    return {
        "writes": len(latencies),
        "per_s": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


# --------------------------------------------------------------------------- report


def cpu_description() -> str:
    """``lscpu``'s model name and CPU count (``platform`` when lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"{os.cpu_count()} CPUs, {platform.machine()}"
    facts = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    model = facts.get("Model name", platform.machine()).strip()
    cpus = facts.get("CPU(s)", "?").strip()
    host = facts.get("Hypervisor vendor", "").strip()
    return f"{model}, {cpus} CPUs" + (f" ({host} guest)" if host else "")


def report(
    per_op: dict[str, dict[str, list[float]]],
    writers: dict[str, dict[int, dict[str, float]]],
    facts: str,
    args: argparse.Namespace,
) -> str:
    """The Markdown section."""
    names = list(per_op)
    sqlite_name = names[0]
    lines = [
        f"### Storage: PostgreSQL against SQLite ({time.strftime('%Y-%m-%d')}, {cpu_description()})",
        "",
        f"Command: `.venv/bin/python benchmarks/storage.py --ops {args.ops} --writes {args.writes}`"
        + (" --url ..." if args.url else "")
        + f" ({facts}; SQLite {sqlite3.sqlite_version}, WAL, synchronous NORMAL; both on the same disk, "
        f"PostgreSQL over its Unix socket; load average {args.load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end: other jobs share these cores).",
        "",
        f"One operation at a time, {args.ops} of each after {WARMUP} untimed: p50 / p99 in ms, and the "
        "PostgreSQL p50 as a multiple of SQLite's.",
        "",
        "| operation | "
        + " | ".join(names)
        + " | "
        + " | ".join(f"{name} / SQLite" for name in names[1:])
        + " |",
        "|---|" + "---:|" * (2 * len(names) - 1),
    ]
    for operation in OPERATIONS:
        cells = []
        for name in names:
            values = per_op[name][operation]
            cells.append(f"{percentile(values, 50):.2f} / {percentile(values, 99):.2f}")
        base = percentile(per_op[sqlite_name][operation], 50)
        ratios = [f"{percentile(per_op[name][operation], 50) / base:.1f}x" for name in names[1:]]
        lines.append(f"| {operation} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    lines += [
        "",
        f"Processes writing at once, {args.writes} acted-on decisions each (score + case + queue entry, "
        f"{len(GUILDS)} servers): all writes per second over the run, and a write's p50 / p99 in ms.",
        "",
        "| backend | 1 process: writes/s | p50 / p99 | 2 processes: writes/s | p50 / p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, by_count in writers.items():
        one, two = by_count[1], by_count[2]
        lines.append(
            f"| {name} | {one['per_s']:.0f} | {one['p50']:.2f} / {one['p99']:.2f} "
            f"| {two['per_s']:.0f} | {two['p50']:.2f} / {two['p99']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Measure both parts on SQLite and PostgreSQL; print (and optionally append) the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a PostgreSQL URL (default: a throwaway cluster started here)")
    parser.add_argument("--ops", type=int, default=300, help="timed calls of each operation")
    parser.add_argument("--writes", type=int, default=300, help="writes of each writing process")
    parser.add_argument("--write", type=Path, help="append the results to this Markdown file")
    parser.add_argument("--worker", nargs=3, metavar=("TARGET", "WRITES", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]))
        return

    args.load_before = os.getloadavg()[0]
    per_op: dict[str, dict[str, list[float]]] = {}
    writers: dict[str, dict[int, dict[str, float]]] = {}
    with cluster(args.url) as url, tempfile.TemporaryDirectory(prefix="warden-bench-sqlite.") as folder:
        facts = server_facts(url)
        print(f"{cpu_description()}; {facts}", file=sys.stderr)
        sqlite_file = Path(folder) / "ops.db"
        per_op["SQLite"] = measure_operations(sqlite_file, args.ops)
        with fresh_schema(url) as schema:
            per_op["PostgreSQL"] = measure_operations(schema, args.ops)
        with fresh_schema(url) as schema:
            per_op["PostgreSQL, synchronous_commit off"] = measure_operations(
                with_options(schema, "-csynchronous_commit=off"), args.ops
            )
        print("per operation: done", file=sys.stderr)
        for count in (1, 2):
            writers.setdefault("SQLite", {})[count] = concurrent_writers(
                Path(folder) / f"writers{count}.db", count, args.writes
            )
            with fresh_schema(url) as schema:
                writers.setdefault("PostgreSQL", {})[count] = concurrent_writers(schema, count, args.writes)
            with fresh_schema(url) as schema:
                writers.setdefault("PostgreSQL, synchronous_commit off", {})[count] = concurrent_writers(
                    with_options(schema, "-csynchronous_commit=off"), count, args.writes
                )
            print(f"{count} writing process(es): done", file=sys.stderr)
    text = report(per_op, writers, facts, args)
    print(text)
    if args.write:
        with args.write.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
