"""The PostgreSQL backend itself: the SQL seam, migrations (numbered as SQLite's, run once, newer
refused), opening errors. The repositories' behaviour on it is tested by the ``backends`` tests."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.storage import Database, SchemaTooNewError
from bot.storage.database import SQLiteDatabase, is_postgres_url
from bot.storage.dialect import to_pyformat
from bot.storage.errors import DatabaseUnavailableError
from bot.storage.migrations import discover, supported_version


def test_every_migration_has_its_postgres_step() -> None:
    modules = discover()
    missing = [m.VERSION for m in modules if not callable(getattr(m, "upgrade_postgres", None))]
    assert missing == []


def test_placeholders_become_pyformat_outside_literals() -> None:
    assert to_pyformat("SELECT ? FROM t WHERE a = '?' AND b LIKE '5%' AND c = ?") == (
        "SELECT %s FROM t WHERE a = '?' AND b LIKE '5%%' AND c = %s"
    )


def test_a_path_opens_sqlite_and_a_url_postgres(tmp_path: Path) -> None:
    assert is_postgres_url("postgresql://u@h/db") and is_postgres_url("postgres://u@h/db")
    assert not is_postgres_url(str(tmp_path / "w.db"))
    database = Database(tmp_path / "w.db")
    try:
        assert isinstance(database, SQLiteDatabase)
        assert database.dialect.name == "sqlite"
    finally:
        database.close()


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://warden:hunter2@/nowhere?host={tmp_path}"
    with pytest.raises(DatabaseUnavailableError) as caught:
        Database(url, timeout=2)
    message = str(caught.value)
    assert "hunter2" not in message
    assert message.startswith(f"cannot use database postgresql://warden@{tmp_path}/nowhere: ")
    assert "No such file or directory" in message  # libpq's own reason, not a pool timeout


@pytest.mark.postgres
def test_a_database_that_does_not_exist_is_named_with_the_servers_reason(pg_url: str) -> None:
    parts = urlsplit(pg_url)
    wrong = urlunsplit(parts._replace(path="/no_such_warden_db"))
    with pytest.raises(DatabaseUnavailableError) as caught:
        Database(wrong)  # refused by the server: not waited for like a server still starting
    assert 'database "no_such_warden_db" does not exist' in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.postgres
def test_a_new_schema_is_at_the_latest_version_and_reopening_changes_nothing(pg_url: str) -> None:
    first = Database(pg_url)
    try:
        assert first.dialect.postgres
        assert first.schema_version == supported_version()
        assert {"cases", "case_counters", "queue_entries", "sources"} <= set(first.db.table_names())
    finally:
        first.close()
    again = Database(pg_url)
    try:
        assert again.schema_version == supported_version()
    finally:
        again.close()


@pytest.mark.postgres
def test_a_newer_schema_is_refused(pg_url: str) -> None:
    database = Database(pg_url)
    with database.transaction() as db:
        db.execute("UPDATE warden_schema SET version = ?", [supported_version() + 1])
    database.close()
    with pytest.raises(SchemaTooNewError) as caught:
        Database(pg_url)
    assert caught.value.version == supported_version() + 1
    assert "newer than" in str(caught.value)


def _open_and_report(url: str, barrier: multiprocessing.synchronize.Barrier, results: object) -> None:
    barrier.wait()
    database = Database(url)
    try:
        results.put(database.schema_version)  # type: ignore[attr-defined]
    finally:
        database.close()


@pytest.mark.postgres
def test_processes_opening_a_new_schema_at_once_migrate_it_once(pg_url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    results = spawn.Queue()
    processes = [spawn.Process(target=_open_and_report, args=(pg_url, barrier, results)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert sorted(results.get(timeout=5) for _ in processes) == [supported_version()] * 4


@pytest.mark.postgres
def test_a_settings_write_in_one_process_drops_the_cached_policy_in_another(pg_url: str) -> None:
    import threading

    from bot.storage import SettingsRepository

    writer_db, reader_db = Database(pg_url), Database(pg_url)  # two pools, two listeners: two processes
    try:
        writer, reader = SettingsRepository(writer_db), SettingsRepository(reader_db)
        assert reader.effective(1).dry_run is False  # cached
        heard = threading.Event()
        reader_db.listen("settings", lambda payload: heard.set() if payload == "1" else None)
        writer.set_key(1, "dry_run", True)
        assert heard.wait(timeout=30), "no notice arrived"
        assert reader.effective(1).dry_run is True
        assert reader.effective(2).dry_run is False
    finally:
        writer_db.close()
        reader_db.close()


@pytest.mark.postgres
def test_an_acted_on_decision_is_six_statements(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each statement is a round trip to the server: the inserts return their rows (``RETURNING *``)
    instead of being read back, so an acted-on decision is 6 statements (9 before)."""
    from datetime import UTC, datetime

    from bot.policy.decision import Action, Decision
    from bot.scoring.base import Scores
    from bot.storage.cases import CaseType
    from bot.storage.decisions import CaseDraft, DecisionRepository, QueueDraft
    from bot.storage.postgres import Session

    database = Database(pg_url)
    try:
        decisions = DecisionRepository(database)
        statements: list[str] = []
        execute = Session.execute

        def counting(self: Session, sql: str, params: object = ()) -> object:
            statements.append(sql.split()[0].upper())
            return execute(self, sql, params)  # type: ignore[arg-type]

        monkeypatch.setattr(Session, "execute", counting)
        recorded = decisions.record(
            guild_id=1, channel_id=7, message_id=2, author_id=3, scores=Scores(insult=0.9),
            decision=Decision(action=Action.WARN, labels=("insult",), reason="insult 0.90"),
            model_version="test", backend="test", now=datetime(2026, 12, 3, tzinfo=UTC),
            case=CaseDraft(CaseType.WARN, "Automatic: flagged for insult"),
            queue=QueueDraft("automatic warn", excerpt="an excerpt", labels=("insult",)),
        )  # fmt: skip
        assert recorded.case is not None and recorded.case.case_number == 1
        assert recorded.queue_entry is not None and recorded.queue_created
        assert recorded.score.scores.insult == pytest.approx(0.9)
        assert statements == ["INSERT", "INSERT", "SELECT", "INSERT", "SELECT", "INSERT"]
    finally:
        database.close()
