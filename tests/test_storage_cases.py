"""Cases: per-server numbers (also under concurrent threads), database-enforced rules, lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from bot.policy import Action, evaluate, load_default_policy
from bot.scoring.base import Scores
from bot.storage import CaseRepository, CaseType, ConflictError, Database, NotFoundError, StateError
from tests.concurrency import run_together

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def cases(database: Database) -> CaseRepository:
    return CaseRepository(database)


def test_numbers_are_per_server_and_sequential(cases: CaseRepository) -> None:
    first = cases.create(guild_id=1, user_id=10, type=CaseType.WARN, reason="insult", created_at=NOW)
    second = cases.create(guild_id=1, user_id=11, type="note", created_at=NOW)
    other = cases.create(guild_id=2, user_id=10, type="warn", created_at=NOW)
    assert (first.case_number, second.case_number, other.case_number) == (1, 2, 1)
    assert first.active is True and second.active is False  # a note is instant
    assert first.reason == "insult"
    assert first.moderator_id is None
    assert cases.get(1, 1) == first
    assert cases.get(1, 3) is None


def test_one_automatic_case_per_message_whatever_its_type(cases: CaseRepository) -> None:
    first = cases.create(guild_id=1, user_id=10, type="warn", auto=True, message_id=7, created_at=NOW)
    with pytest.raises(ConflictError) as refused:
        cases.create(guild_id=1, user_id=10, type="timeout", auto=True, message_id=7, created_at=NOW)
    assert refused.value.existing == first
    manual = cases.create(guild_id=1, user_id=10, type="note", moderator_id=5, message_id=7, created_at=NOW)
    assert manual.case_number == 2  # a moderator may still add their own case to the message
    other = cases.create(guild_id=1, user_id=10, type="warn", auto=True, message_id=8, created_at=NOW)
    assert other.case_number == 3  # no number was used up by the refusal
    manual_first = cases.create(guild_id=1, user_id=11, type="warn", moderator_id=5, message_id=9)
    with pytest.raises(ConflictError) as after_manual:
        cases.create(guild_id=1, user_id=11, type="delete", auto=True, message_id=9)
    assert after_manual.value.existing == manual_first


def test_concurrent_automatic_decisions_on_one_message_open_one_case(cases: CaseRepository) -> None:
    kinds = ["warn", "delete", "timeout", "warn", "delete", "timeout", "warn", "delete"]
    results, errors = run_together(
        len(kinds),
        lambda i: cases.create(
            guild_id=1,
            user_id=10,
            type=kinds[i],
            auto=True,
            message_id=42,
            duration=timedelta(minutes=5) if kinds[i] == "timeout" else None,
        ),
    )
    assert len(results) == 1, [case.type for case in results]
    assert len(errors) == len(kinds) - 1 and all(isinstance(error, ConflictError) for error in errors)
    assert all(error.existing == results[0] for error in errors)  # type: ignore[attr-defined]
    assert [case.message_id for case in cases.list_for_user(1, 10, limit=None)] == [42]


def test_concurrent_threads_on_one_database_get_distinct_gapless_numbers(cases: CaseRepository) -> None:
    results, errors = run_together(
        24, lambda i: cases.create(guild_id=1, user_id=100 + i, type="warn", created_at=NOW).case_number
    )
    assert errors == []
    assert sorted(results) == list(range(1, 25))


def test_concurrent_connections_on_one_file_get_distinct_gapless_numbers(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Database(path).close()
    databases = [Database(path) for _ in range(6)]
    try:
        per_connection = 5

        def work(index: int) -> list[int]:
            repo = CaseRepository(databases[index])
            return [
                repo.create(guild_id=7, user_id=index * 100 + n, type="note", created_at=NOW).case_number
                for n in range(per_connection)
            ]

        results, errors = run_together(len(databases), work)
        assert errors == []
        numbers = sorted(number for batch in results for number in batch)
        assert numbers == list(range(1, len(databases) * per_connection + 1))
    finally:
        for database in databases:
            database.close()


def test_one_active_timeout_per_user_is_enforced(cases: CaseRepository) -> None:
    first = cases.create(
        guild_id=1, user_id=5, type="timeout", duration=timedelta(minutes=10), created_at=NOW
    )
    assert first.expires_at == NOW + timedelta(minutes=10)
    with pytest.raises(ConflictError, match="already has an active timeout") as caught:
        cases.create(guild_id=1, user_id=5, type="timeout", duration=timedelta(minutes=60), created_at=NOW)
    assert caught.value.existing == first
    # the refused case used no number
    assert cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW).case_number == 2
    # once the first has expired, a new timeout is fine
    assert cases.expire(1, first.case_number) is True
    assert (
        cases.create(guild_id=1, user_id=5, type="timeout", duration=timedelta(minutes=60)).case_number == 3
    )
    # another user is independent
    assert cases.create(guild_id=1, user_id=6, type="timeout", duration=timedelta(minutes=1)).case_number == 4


def test_concurrent_timeouts_only_one_wins(cases: CaseRepository) -> None:
    results, errors = run_together(
        8, lambda i: cases.create(guild_id=1, user_id=5, type="timeout", duration=timedelta(minutes=10))
    )
    assert len(results) == 1
    assert len(errors) == 7
    assert all(isinstance(error, ConflictError) for error in errors)
    assert results[0].case_number == 1


def test_at_most_one_case_of_a_type_per_message(cases: CaseRepository) -> None:
    warn = cases.create(guild_id=1, user_id=5, type="warn", message_id=900, auto=True, created_at=NOW)
    with pytest.raises(ConflictError, match="message 900 already has warn case #1") as caught:
        cases.create(guild_id=1, user_id=5, type="warn", message_id=900, auto=True, created_at=NOW)
    assert caught.value.existing == warn
    # another type for the same message is a different case
    delete = cases.create(guild_id=1, user_id=5, type="delete", message_id=900, created_at=NOW)
    assert delete.case_number == 2
    # cases without a message are unconstrained
    cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW)
    cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW)


def test_lifecycle_fields(cases: CaseRepository) -> None:
    case = cases.create(
        guild_id=1,
        user_id=5,
        type="warn",
        moderator_id=77,
        message_id=1,
        channel_id=2,
        jump_url="https://discord.com/channels/1/2/1",
        created_at=NOW,
    )
    assert case.dm_sent is None
    failed = cases.mark_dm(1, case.case_number, sent=False, error="Cannot send messages to this user")
    assert failed.dm_sent is False
    assert failed.dm_error == "Cannot send messages to this user"
    assert cases.mark_dm(1, case.case_number, sent=True).dm_sent is True
    assert failed.jump_url == "https://discord.com/channels/1/2/1"
    with pytest.raises(NotFoundError):
        cases.mark_dm(1, 99, sent=True)


def test_pardon_succeeds_once(cases: CaseRepository) -> None:
    case = cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW)
    pardoned = cases.pardon(1, case.case_number, moderator_id=8, reason="context was satire", now=NOW)
    assert pardoned.active is False
    assert pardoned.pardoned
    assert (pardoned.pardoned_by, pardoned.pardoned_at, pardoned.pardon_reason) == (
        8,
        NOW,
        "context was satire",
    )
    with pytest.raises(StateError, match="already pardoned") as caught:
        cases.pardon(1, case.case_number, moderator_id=9)
    assert caught.value.current == pardoned
    with pytest.raises(NotFoundError):
        cases.pardon(1, 42, moderator_id=9)


def test_history_feeds_the_policy_and_pardons_and_age_decay(cases: CaseRepository) -> None:
    for hours in (1, 3, 30, 24 * 400):
        cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW - timedelta(hours=hours))
    cases.create(guild_id=1, user_id=6, type="warn", created_at=NOW)  # someone else
    cases.create(guild_id=2, user_id=5, type="warn", created_at=NOW)  # another server
    cases.create(guild_id=1, user_id=5, type="note", created_at=NOW)  # not a warning
    assert cases.recent_warnings(1, 5, NOW - timedelta(hours=24)) == [
        NOW - timedelta(hours=3),
        NOW - timedelta(hours=1),
    ]
    history = cases.history_for(1, 5, NOW)
    assert len(history.warnings) == 3  # 400 days ago is beyond any ladder window
    policy = load_default_policy()
    assert evaluate(Scores(insult=0.9), policy, history=history, now=NOW).action is Action.TIMEOUT
    cases.pardon(1, 1, moderator_id=8)  # the warning of 1 h ago
    history = cases.history_for(1, 5, NOW)
    assert len(history.warnings) == 2
    assert evaluate(Scores(insult=0.9), policy, history=history, now=NOW).action is Action.WARN


def test_expired_timeouts_still_count_pardoned_do_not(cases: CaseRepository) -> None:
    timeout = cases.create(guild_id=1, user_id=5, type="timeout", created_at=NOW - timedelta(hours=2))
    cases.expire(1, timeout.case_number)
    assert cases.history_for(1, 5, NOW).timeouts == (NOW - timedelta(hours=2),)
    cases.pardon(1, timeout.case_number, moderator_id=3)
    assert cases.history_for(1, 5, NOW).timeouts == ()


def test_expiries_can_be_rescheduled_and_expired(cases: CaseRepository) -> None:
    late = cases.create(guild_id=1, user_id=5, type="timeout", duration=timedelta(hours=2), created_at=NOW)
    soon = cases.create(guild_id=2, user_id=5, type="timeout", duration=timedelta(minutes=5), created_at=NOW)
    cases.create(guild_id=1, user_id=6, type="warn", created_at=NOW)  # no expiry
    assert [case.id for case in cases.active_expiring()] == [soon.id, late.id]
    assert [case.id for case in cases.active_expiring(guild_id=1)] == [late.id]
    assert cases.active_timeout(1, 5) == late
    due = cases.expire_due(NOW + timedelta(minutes=10))
    assert [(case.id, case.active) for case in due] == [(soon.id, False)]
    assert [case.id for case in cases.active_expiring()] == [late.id]
    assert cases.expire(2, soon.case_number) is False  # already over
    with pytest.raises(NotFoundError):
        cases.expire(2, 99)


def test_list_for_user_newest_first(cases: CaseRepository) -> None:
    for _ in range(3):
        cases.create(guild_id=1, user_id=5, type="warn", created_at=NOW)
    cases.create(guild_id=1, user_id=5, type="kick", created_at=NOW)
    assert [case.case_number for case in cases.list_for_user(1, 5)] == [4, 3, 2, 1]
    assert [case.case_number for case in cases.list_for_user(1, 5, active_only=True)] == [3, 2, 1]
    assert [case.case_number for case in cases.list_for_user(1, 5, limit=2)] == [4, 3]


def test_unknown_case_type_is_refused(cases: CaseRepository) -> None:
    with pytest.raises(ValueError, match="'mute' is not a valid CaseType"):
        cases.create(guild_id=1, user_id=5, type="mute")


def test_an_expiry_owes_its_modlog_line_in_the_same_transaction(cases: CaseRepository) -> None:
    case = cases.create(
        guild_id=1, user_id=5, type="timeout", moderator_id=None, created_at=NOW, expires_at=NOW
    )
    assert cases.owed_modlog() == []
    assert cases.expire(1, case.case_number, owe_modlog="expired")
    (owed,) = cases.owed_modlog()
    assert (owed.guild_id, owed.case_number, owed.event) == (1, case.case_number, "expired")
    assert not cases.expire(1, case.case_number, owe_modlog="expired")  # ended already: nothing owed twice
    assert len(cases.owed_modlog()) == 1
    assert cases.modlog_posted(1, case.case_number, "expired")
    assert cases.owed_modlog() == []
    assert not cases.modlog_posted(1, case.case_number, "expired")


def test_a_failed_expiry_owes_nothing(cases: CaseRepository, database: Database) -> None:
    case = cases.create(
        guild_id=1, user_id=5, type="timeout", moderator_id=None, created_at=NOW, expires_at=NOW
    )

    class RolledBackError(Exception):
        pass

    with pytest.raises(RolledBackError), database.transaction():
        cases.expire(1, case.case_number, owe_modlog="expired")
        raise RolledBackError  # the enclosing transaction rolls back: the case is still active, nothing owed
    still = cases.get(1, case.case_number)
    assert still is not None and still.active
    assert cases.owed_modlog() == []
    with pytest.raises(NotFoundError):
        cases.expire(1, 99, owe_modlog="expired")
    assert cases.owed_modlog() == []
