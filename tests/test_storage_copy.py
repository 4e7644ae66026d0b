"""``warden db copy``: a whole database moves between SQLite and PostgreSQL and reads back the same
through the repositories; a non-empty target is refused untouched; a failure midway leaves it empty."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.explain import Evidence
from bot.policy import load_default_policy
from bot.policy.decision import Action, Decision
from bot.scoring.base import Scores
from bot.sources.request_log import RequestLog
from bot.sources.store import SourceLibrary
from bot.storage import CaseRepository, Database, QueueRepository, ScoreRepository, SettingsRepository
from bot.storage import copy as copy_module
from bot.storage.cases import CaseType
from bot.storage.copy import CopyError, TargetNotEmptyError, copy_database, schema_tables
from bot.storage.decisions import CaseDraft, DecisionRepository, QueueDraft
from bot.storage.posts import PostRepository
from bot.storage.queue import QueueSource, Resolution
from tests import pg

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GUILDS = (101, 202)
CHANNEL = 3
ARTICLE = "Israel has not lost an F16 over the Golan Heights since 2018, the air force says."
SEARCH = "Israel lost F16s over the Golan"

BOTH_WAYS = [
    pytest.param("sqlite", "postgres", marks=pytest.mark.postgres, id="sqlite-to-postgres"),
    pytest.param("postgres", "sqlite", marks=pytest.mark.postgres, id="postgres-to-sqlite"),
    pytest.param("sqlite", "sqlite", id="sqlite-to-sqlite"),
]


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``place(kind)``: where a new, empty database of that kind can be opened (a SQLite path or a
    PostgreSQL URL naming a fresh schema, dropped after the test)."""
    schemas: list[tuple[str, str]] = []
    count = iter(range(100))

    def make(kind: str) -> str:
        if kind == "sqlite":
            return str(tmp_path / f"warden-{next(count)}.db")
        base = pg.base_url()
        if base is None:
            pytest.skip(pg.SKIP_REASON)
        name, url = pg.create_schema(base)
        schemas.append((base, name))
        return url

    yield make
    for base, name in schemas:
        pg.drop_schema(base, name)


def populate(database: Database) -> None:
    """Real data in every table, written through the repositories."""
    settings = SettingsRepository(database, load_default_policy())
    settings.set_key(GUILDS[0], "store_message_text", True, now=NOW)
    settings.set_key(GUILDS[0], "thresholds.insult", 0.7, now=NOW)
    settings.set_key(GUILDS[1], "retention_days", 7, now=NOW)
    decisions, queue, cases = (
        DecisionRepository(database),
        QueueRepository(database),
        CaseRepository(database),
    )
    message = 1000
    for guild in GUILDS:
        policy = settings.effective(guild)
        for author in (7, 8, 9):
            message += 1
            recorded = decisions.record(
                guild_id=guild,
                channel_id=CHANNEL,
                message_id=message,
                author_id=author,
                scores=Scores(toxicity=0.91, insult=0.875 + author / 1000),
                decision=Decision(action=Action.WARN, labels=("insult",), reason="insult 0.88"),
                model_version="m1",
                backend="minilm",
                text=f"message {message} of member {author}",
                settings=policy,
                now=NOW + timedelta(minutes=message - 1000),
                case=CaseDraft(CaseType.WARN, "Automatic: flagged for insult"),
                queue=QueueDraft(
                    "automatic warn",
                    excerpt=f"excerpt {message}",
                    labels=("insult",),
                    evidence=(Evidence("word", "insult", 0.42), Evidence("other word", "insult", 0.125)),
                ),
            )
            assert recorded.case is not None and recorded.queue_entry is not None
            if author == 7:
                queue.resolve(recorded.queue_entry, 55, Resolution.APPROVED, now=NOW)
                cases.pardon(guild, recorded.case.case_number, moderator_id=55, reason="fine", now=NOW)
            elif author == 8:
                queue.claim(recorded.queue_entry, 56, now=NOW)
                queue.resolve(recorded.queue_entry, 56, Resolution.WARNED, now=NOW)
                queue.add(
                    guild_id=guild,
                    source=QueueSource.APPEAL,
                    author_id=author,
                    case_id=recorded.case.id,
                    now=NOW,
                )
            PostRepository(database).add(
                guild_id=guild, user_id=author, channel_id=CHANNEL + 1, message_id=message + 5000, now=NOW
            )
        cases.create(
            guild_id=guild, user_id=9, type=CaseType.TIMEOUT, moderator_id=55, duration=timedelta(days=1)
        )
        cases.create(guild_id=guild, user_id=7, type=CaseType.NOTE, moderator_id=55, reason="watch")
    queue.add(
        guild_id=GUILDS[0], source=QueueSource.REPORT, message_id=4242, author_id=9, reporter_id=8, now=NOW
    )
    ScoreRepository(database).record(
        guild_id=GUILDS[1],
        channel_id=CHANNEL,
        message_id=9999,
        author_id=8,
        scores=Scores(toxicity=0.01),
        decision=Decision(action=Action.NONE),
        model_version="m1",
        backend="minilm",
        now=NOW,
    )
    library = SourceLibrary(database.db)
    article = library.add_source(
        url="https://example.org/golan",
        title="Golan Heights air war",
        text=ARTICLE,
        claim_reviewed="Israel lost two F16s",
        rating="False",
        rating_author="Fact desk",
        embedding=b"\x00\x01\xff",
    )
    other = library.add_source(
        url="https://example.org/weather", title="Weather", text="Rain in Haifa.", guild_id=101
    )
    library.set_channel_article(GUILDS[0], CHANNEL, other)
    library.set_channel_article(GUILDS[0], CHANNEL, article, set_by=55, explicit=True)
    library.add_feed("https://example.org/feed.xml", guild_id=GUILDS[0], added_by=55)
    requests = RequestLog(database.db)
    asked = requests.record(
        guild_id=GUILDS[0], requester_id=8, claim="F16s", channel_id=CHANNEL, n_results=1, at=NOW
    )
    requests.record_feedback(asked, 9, True)
    requests.record(guild_id=GUILDS[1], requester_id=7, claim="x", refused="cooldown", at=NOW)


def readback(database: Database) -> dict[str, Any]:
    """Everything the repositories show of :func:`populate`'s data."""
    cases, queue, scores = CaseRepository(database), QueueRepository(database), ScoreRepository(database)
    settings = SettingsRepository(database, load_default_policy())
    library, requests = SourceLibrary(database.db), RequestLog(database.db)
    ids = [row[0] for row in database.db.execute("SELECT id FROM queue_entries ORDER BY id").fetchall()]
    messages = [row[0] for row in database.db.execute("SELECT message_id FROM message_scores").fetchall()]
    request_ids = [row[0] for row in database.db.execute("SELECT id FROM context_requests").fetchall()]
    return {
        "cases": {guild: [cases.get(guild, n) for n in range(1, 7)] for guild in GUILDS},
        "history": {guild: cases.list_for_user(guild, 7) for guild in GUILDS},
        "queue": [queue.get(entry) for entry in ids],
        "open": {guild: queue.list_open(guild) for guild in GUILDS},
        "feedback": {guild: queue.list_feedback(guild) for guild in GUILDS},
        "appeals": [queue.appeal_of_case(case.id) for case in cases.list_for_user(GUILDS[0], 8)],
        "scores": [scores.get(message) for message in sorted(messages)],
        "settings": {guild: (settings.get_overrides(guild), settings.effective(guild)) for guild in GUILDS},
        "posts": {guild: PostRepository(database).quoting(guild, 7) for guild in GUILDS},
        "search": [
            (hit.id, hit.url, hit.claim_reviewed, hit.embedding) for hit in library.search(SEARCH, GUILDS[0])
        ],
        "sources": library.list_sources(),
        "channel": library.channel_article_ids(GUILDS[0], CHANNEL),
        "feeds": library.list_feeds(),
        "requests": [requests.get(request) for request in sorted(request_ids)],
        "votes": [requests.feedback_counts(request) for request in sorted(request_ids)],
    }


@pytest.mark.parametrize(("origin", "destination"), BOTH_WAYS)
def test_everything_reads_back_the_same_and_numbering_continues(
    place: Callable[[str], str], origin: str, destination: str
) -> None:
    source, target = Database(place(origin)), Database(place(destination))
    try:
        populate(source)
        before = readback(source)
        seen: dict[str, tuple[int, int]] = {}
        report = copy_database(
            source, target, batch_size=2, progress=lambda t, d, n: seen.__setitem__(t, (d, n))
        )
        assert readback(target) == before
        assert before["search"] and before["search"][0][1] == "https://example.org/golan"
        assert before["scores"][0].text == "message 1001 of member 7"
        assert [item.text for item in before["queue"][0].evidence] == ["word", "other word"]
        assert {name: done for name, (done, _) in seen.items()} == report.rows
        assert all(done == total for done, total in seen.values())
        assert (
            report.rows["cases"] == 10 and report.rows["queue_entries"] == 9 and report.rows["sources"] == 2
        )
        # new records continue after the copied ones: case numbers per server, ids everywhere
        cases = CaseRepository(target)
        for guild in GUILDS:
            assert cases.create(guild_id=guild, user_id=1, type=CaseType.WARN).case_number == 6
        entry, _ = QueueRepository(target).add(
            guild_id=GUILDS[1], source=QueueSource.REPORT, message_id=1, now=NOW
        )
        assert entry.id == max(e.id for e in before["queue"]) + 1
        new = SourceLibrary(target.db).add_source(
            url="https://example.org/new", title="New", text="Fresh text."
        )
        assert new == max(s["id"] for s in before["sources"]) + 1
    finally:
        source.close()
        target.close()


@pytest.mark.postgres
def test_postgres_counters_hold_each_servers_largest_case_number(place: Callable[[str], str]) -> None:
    source, target = Database(place("sqlite")), Database(place("postgres"))
    try:
        populate(source)
        copy_database(source, target)
        counters = dict(target.db.execute("SELECT guild_id, last_number FROM case_counters").fetchall())
        assert counters == {GUILDS[0]: 5, GUILDS[1]: 5}
    finally:
        source.close()
        target.close()


@pytest.mark.parametrize(("origin", "destination"), BOTH_WAYS)
def test_a_target_with_rows_is_refused_untouched(
    place: Callable[[str], str], origin: str, destination: str
) -> None:
    source, target = Database(place(origin)), Database(place(destination))
    try:
        populate(source)
        kept = CaseRepository(target).create(guild_id=GUILDS[0], user_id=1, type=CaseType.NOTE, reason="mine")
        SettingsRepository(target).set_key(GUILDS[0], "retention_days", 3, now=NOW)
        with pytest.raises(TargetNotEmptyError) as refused:
            copy_database(source, target)
        assert "cases" in refused.value.tables and "guild_settings" in refused.value.tables
        assert CaseRepository(target).get(GUILDS[0], 1) == kept
        assert target.db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
        assert target.db.execute("SELECT count(*) FROM queue_entries").fetchone()[0] == 0
        assert SettingsRepository(target).get_overrides(GUILDS[0]) == {"retention_days": 3}
    finally:
        source.close()
        target.close()


def _row_counts(database: Database) -> dict[str, int]:
    names = [table.name for table in schema_tables()] + (
        ["case_counters"] if database.dialect.postgres else []
    )
    return {name: int(database.db.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) for name in names}


@pytest.mark.parametrize(("origin", "destination"), BOTH_WAYS)
def test_a_failure_midway_leaves_the_target_empty(
    place: Callable[[str], str], origin: str, destination: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = Database(place(origin)), Database(place(destination))
    real = copy_module._write_batch
    calls: list[str] = []

    def failing(target_db: Database, db: Any, table: Any, rows: list[Any]) -> None:
        calls.append(table.name)
        if table.name == "queue_entries" and calls.count("queue_entries") == 2:
            raise RuntimeError("disk full")
        real(target_db, db, table, rows)

    try:
        populate(source)
        monkeypatch.setattr(copy_module, "_write_batch", failing)
        with pytest.raises(RuntimeError, match="disk full"):
            copy_database(source, target, batch_size=3)
        assert "cases" in calls and "sources" in calls  # earlier tables were written, then rolled back
        assert set(_row_counts(target).values()) == {0}
        monkeypatch.setattr(copy_module, "_write_batch", real)
        copy_database(source, target)  # still empty, so a retry copies
        assert readback(target) == readback(source)
    finally:
        source.close()
        target.close()


def test_a_source_table_this_warden_does_not_know_is_refused(place: Callable[[str], str]) -> None:
    source, target = Database(place("sqlite")), Database(place("sqlite"))
    try:
        source.db.execute("CREATE TABLE plugin_notes (id INTEGER PRIMARY KEY, note TEXT)")
        with pytest.raises(CopyError, match="plugin_notes"):
            copy_database(source, target)
    finally:
        source.close()
        target.close()


# -- the command ------------------------------------------------------------------------------------------


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, ["db", "copy", *args])


def test_the_command_copies_and_prints_rows_per_table(place: Callable[[str], str]) -> None:
    source_path, target_path = place("sqlite"), place("sqlite")
    source = Database(source_path)
    try:
        populate(source)
        expected = readback(source)
    finally:
        source.close()
    result = invoke(source_path, target_path)
    assert result.exit_code == 0, result.output
    assert "queue_entries" in result.stdout and "Copied 46 rows" in result.stdout
    assert "message 1001" not in result.output and "excerpt" not in result.output
    target = Database(target_path)
    try:
        assert readback(target) == expected
    finally:
        target.close()
    again = invoke(source_path, target_path)
    assert again.exit_code == 2
    assert "already holds data" in again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path) -> None:
    existing = tmp_path / "warden.db"
    Database(existing).close()
    missing = invoke(str(tmp_path / "nope.db"), str(tmp_path / "out.db"))
    assert missing.exit_code == 2 and "no such database file" in missing.stderr
    assert not (tmp_path / "out.db").exists()
    same = invoke(str(existing), str(tmp_path / "sub" / ".." / "warden.db"))
    assert same.exit_code == 2 and "the same database" in same.stderr
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 999")
    too_new = invoke(str(newer), str(tmp_path / "out.db"))
    assert too_new.exit_code == 2 and "newer than the" in too_new.stderr
    for result in (missing, same, too_new):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_unreachable_or_unsupported_postgres_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "warden.db"
    Database(source).close()
    url = f"postgresql://warden:hunter2@/nowhere?host={tmp_path}"
    pytest.importorskip("psycopg")
    from bot.storage.postgres import PostgresDatabase

    defaults = PostgresDatabase.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "timeout", 1.0)  # no 30 s wait for a server that is not there
    unreachable = invoke(str(source), url)
    assert unreachable.exit_code == 2 and "cannot use database postgresql://warden@" in unreachable.stderr
    assert "hunter2" not in unreachable.output
    monkeypatch.setitem(sys.modules, "bot.storage.postgres", None)  # psycopg not installed
    missing = invoke(str(source), url)
    assert missing.exit_code == 2 and "PostgreSQL support is not installed" in missing.stderr
    for result in (unreachable, missing):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_a_failed_copy_is_one_line_exit_1_and_writes_nothing(
    place: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source_path, target_path = place("sqlite"), place("sqlite")
    source = Database(source_path)
    try:
        populate(source)
    finally:
        source.close()
    real = copy_module._write_batch

    def failing(target: Database, db: Any, table: Any, rows: list[Any]) -> None:
        if table.name == "queue_entries":
            raise sqlite3.OperationalError("disk I/O error")
        real(target, db, table, rows)

    monkeypatch.setattr(copy_module, "_write_batch", failing)
    failed = invoke(source_path, target_path)
    assert failed.exit_code == 1
    assert failed.stderr.strip() == (
        f"error: the copy failed and nothing was written to {target_path}: disk I/O error"
    )
    target = Database(target_path)
    try:
        assert set(_row_counts(target).values()) == {0}
    finally:
        target.close()
