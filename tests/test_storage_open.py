"""Opening the database: many processes at once, a file from a newer Warden, paths it cannot use."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Database
from bot.storage.errors import DatabaseUnavailableError, SchemaTooNewError
from bot.storage.migrations import supported_version

PROCESSES = 4
ROUNDS = 10


def _open_in_rounds(folder: str, rounds: int, barrier: Any, results: Any) -> None:
    """One worker: in each round, wait for the others, then open that round's new file at once."""
    for round_ in range(rounds):
        barrier.wait(timeout=60)
        path = Path(folder) / f"round-{round_}.db"
        try:
            database = Database(path)
        except Exception as error:  # reported to the parent, which fails the test with it
            results.put((round_, f"{type(error).__name__}: {error}"))
            continue
        try:
            results.put((round_, database.schema_version))
        finally:
            database.close()


def _schema(path: Path) -> list[tuple[str, str, str]]:
    raw = sqlite3.connect(path)
    try:
        return sorted(raw.execute("SELECT type, name, coalesce(sql, '') FROM sqlite_master").fetchall())
    finally:
        raw.close()


def test_four_processes_opening_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_open_in_rounds, args=(str(tmp_path), ROUNDS, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    failures = [outcome for outcome in outcomes if outcome[1] != supported_version()]
    assert failures == []
    assert len(outcomes) == PROCESSES * ROUNDS
    reference = tmp_path / "reference" / "alone.db"
    Database(reference).close()
    expected = _schema(reference)
    assert {"guild_settings", "message_scores", "cases", "queue_entries", "sources"} <= {
        name for kind, name, _ in expected if kind == "table"
    }
    for round_ in range(ROUNDS):
        path = tmp_path / f"round-{round_}.db"
        assert _schema(path) == expected  # every table, index and trigger, exactly once
        raw = sqlite3.connect(path)
        try:
            assert raw.execute("PRAGMA user_version").fetchone()[0] == supported_version()
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            raw.close()


def test_a_file_from_a_newer_warden_is_refused_by_name_and_versions(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Database(path).close()
    newer = supported_version() + 3
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {newer}")
    raw.execute("DROP TABLE guild_settings")  # what a future migration might do
    raw.commit()
    raw.close()

    with pytest.raises(SchemaTooNewError) as refused:
        Database(path)
    error = refused.value
    assert isinstance(error, DatabaseUnavailableError)
    assert (error.version, error.supported) == (newer, supported_version())
    message = str(error)
    assert str(path) in message
    assert f"schema version is {newer}" in message
    assert f"the {supported_version()} this Warden supports" in message
    assert "\n" not in message
    # refused, not touched: the version stays what the newer Warden wrote
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == newer
    raw.close()


def _unusable_paths(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "plain-file"
    a_file.write_text("not a folder")
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_bytes(b"this is not a SQLite file, just text long enough " * 20)
    paths = {
        "a directory": tmp_path,
        "under a file": a_file / "warden.db",
        "a missing parent under a file": a_file / "missing" / "warden.db",
        "not a database": not_sqlite,
    }
    if Path("/proc/self").is_dir():
        paths["under /proc"] = Path("/proc/warden-test.db")
        paths["deep under /proc"] = Path("/proc/self/warden/warden.db")
    return paths


@pytest.mark.parametrize(
    "kind",
    [
        "a directory",
        "under a file",
        "a missing parent under a file",
        "not a database",
        "under /proc",
        "deep under /proc",
    ],
)
def test_an_unusable_path_raises_one_clear_error(tmp_path: Path, kind: str) -> None:
    paths = _unusable_paths(tmp_path)
    if kind not in paths:
        pytest.skip("no /proc here")
    path = paths[kind]
    with pytest.raises(DatabaseUnavailableError) as refused:
        Database(path)
    message = str(refused.value)
    assert refused.value.path == str(path)
    if kind.endswith("under a file"):
        assert message.endswith("plain-file is a file, not a folder")
    assert message.startswith(f"cannot use database {path}: ")
    assert "\n" not in message
    assert len(refused.value.reason.replace(str(tmp_path), "")) < 80


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_a_read_only_folder_or_file_raises_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(DatabaseUnavailableError, match="cannot use database"):
            Database(folder / "warden.db")
    finally:
        folder.chmod(stat.S_IRWXU)
    path = tmp_path / "ro.db"
    Database(path).close()
    path.chmod(stat.S_IRUSR)
    try:
        with pytest.raises(DatabaseUnavailableError, match="read-only"):
            Database(path)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_the_missing_folder_of_a_usable_path_is_still_created(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "warden.db"
    database = Database(path)
    try:
        assert database.schema_version == supported_version()
    finally:
        database.close()
