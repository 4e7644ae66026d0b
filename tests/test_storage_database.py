"""The database: transactions roll back on a crash, old files migrate on open, async callers."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlite_utils

import bot.storage.cases as cases_module
from bot.storage import CaseRepository, Database, SettingsRepository
from bot.storage.migrations import apply_migrations, current_version, discover

pytestmark = pytest.mark.backends  # tests taking `database` run on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def latest_version() -> int:
    return max(module.VERSION for module in discover())


def test_new_database_is_at_the_latest_version(database: Database) -> None:
    assert database.schema_version == latest_version() >= 1
    tables = set(database.db.table_names())
    assert {"guild_settings", "message_scores", "cases", "queue_entries", "feedback"} <= tables


def test_crash_inside_a_transaction_leaves_nothing(database: Database) -> None:
    with pytest.raises(RuntimeError, match="crash"), database.transaction() as db:
        db.execute("INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (1, '{}', 'x')")
        db.execute("INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (2, '{}', 'x')")
        raise RuntimeError("crash")
    assert database.db.execute("SELECT count(*) FROM guild_settings").fetchone()[0] == 0
    assert not database.in_transaction


def test_crash_inside_a_nested_transaction_rolls_back_only_the_inner_part(database: Database) -> None:
    with database.transaction() as db:
        db.execute("INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (1, '{}', 'x')")
        with pytest.raises(RuntimeError), database.transaction() as inner:
            inner.execute(
                "INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (2, '{}', 'x')"
            )
            raise RuntimeError("inner crash")
    assert [row[0] for row in database.db.execute("SELECT guild_id FROM guild_settings")] == [1]


def test_a_failed_multi_step_repository_write_leaves_no_half_record(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = CaseRepository(database)

    def explode(row: object) -> None:
        raise RuntimeError("crash after the insert")

    monkeypatch.setattr(
        cases_module, "_case", explode
    )  # turns the inserted row into a Case, in the transaction
    with pytest.raises(RuntimeError, match="crash after the insert"):
        cases.create(guild_id=1, user_id=2, type="warn", created_at=NOW)
    monkeypatch.undo()
    assert cases.list_for_user(1, 2) == []
    assert cases.create(guild_id=1, user_id=2, type="warn", created_at=NOW).case_number == 1  # no gap


def test_opening_a_version_0_file_migrates_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE unrelated (x INTEGER)")
    raw.execute("INSERT INTO unrelated VALUES (7)")
    raw.commit()
    raw.close()
    database = Database(path)
    try:
        assert database.schema_version == latest_version()
        assert database.db.execute("SELECT x FROM unrelated").fetchone()[0] == 7
    finally:
        database.close()


def test_opening_a_file_written_at_an_older_version_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = sqlite_utils.Database(sqlite3.connect(path))
    assert apply_migrations(old, target=1) == 1
    with old.atomic():
        old.execute(
            "INSERT INTO guild_settings (guild_id, overrides, updated_at) VALUES (5, ?, ?)",
            ['{"dry_run": true}', "2026-01-01T00:00:00.000000+00:00"],
        )
        old.execute(
            "INSERT INTO cases (guild_id, case_number, user_id, type, created_at) "
            "VALUES (5, 1, 9, 'warn', ?)",
            ["2026-01-01T00:00:00.000000+00:00"],
        )
    assert current_version(old) == 1
    old.close()

    database = Database(path)
    try:
        assert database.schema_version == latest_version()
        assert SettingsRepository(database).effective(5).dry_run is True
        cases = CaseRepository(database)
        case = cases.get(5, 1)
        assert case is not None
        assert case.user_id == 9
        assert cases.create(guild_id=5, user_id=9, type="warn", created_at=NOW).case_number == 2
    finally:
        database.close()
    # reopening an up-to-date file runs nothing and changes nothing
    again = Database(path)
    try:
        assert again.schema_version == latest_version()
        assert len(CaseRepository(again).list_for_user(5, 9)) == 2
    finally:
        again.close()


def test_cases_are_append_only(database: Database) -> None:
    cases = CaseRepository(database)
    cases.create(guild_id=1, user_id=2, type="warn", created_at=NOW)
    refused = database.dialect.integrity_errors
    with pytest.raises(refused, match="append-only"), database.transaction() as db:
        db.execute("DELETE FROM cases")
    with pytest.raises(refused, match="append-only"), database.transaction() as db:
        db.execute("UPDATE cases SET reason = 'rewritten'")
    assert cases.get(1, 1) is not None


async def test_async_callers_use_run(database: Database) -> None:
    cases = CaseRepository(database)
    case = await database.run(
        cases.create, guild_id=1, user_id=2, type="note", reason="hello", created_at=NOW
    )
    assert case.case_number == 1
    assert (await database.run(cases.get, 1, 1)) == case
