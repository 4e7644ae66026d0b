"""The mod queue: dedupe, claim and resolve exactly once under concurrency, feedback, stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from bot.scoring.base import Scores
from bot.storage import (
    CaseRepository,
    Database,
    NotFoundError,
    QueueRepository,
    QueueSource,
    QueueStatus,
    Resolution,
    StateError,
)
from tests.concurrency import run_together

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T = TypeVar("T")


@pytest.fixture
def queue(database: Database) -> QueueRepository:
    return QueueRepository(database)


def add(queue: QueueRepository, message_id: int = 500, **extra: object) -> int:
    entry, created = queue.add(
        guild_id=1,
        message_id=message_id,
        channel_id=2,
        author_id=3,
        jump_url=f"https://discord.com/channels/1/2/{message_id}",
        excerpt="you absolute...",
        scores=Scores(insult=0.91, toxicity=0.95),
        labels=["toxicity", "insult"],
        reason="insult 0.91 ≥ 0.70 (band: high → warn)",
        now=NOW,
        **extra,  # type: ignore[arg-type]
    )
    assert created
    return entry.id


def test_add_and_read_back(queue: QueueRepository) -> None:
    entry_id = add(queue)
    entry = queue.get(entry_id)
    assert entry is not None
    assert entry.status is QueueStatus.OPEN
    assert entry.source is QueueSource.AUTO
    assert entry.scores["insult"] == 0.91
    assert entry.labels == ("toxicity", "insult")
    assert entry.created_at == NOW
    assert queue.get(entry_id + 1) is None


def test_a_message_is_queued_once_while_unresolved(queue: QueueRepository) -> None:
    entry_id = add(queue)
    again, created = queue.add(guild_id=1, message_id=500, source="report", reporter_id=44)
    assert created is False
    assert again.id == entry_id
    queue.resolve(entry_id, 9, Resolution.APPROVED)
    # resolved: a new report opens a new entry
    fresh, created = queue.add(guild_id=1, message_id=500, source="report", reporter_id=44)
    assert created is True and fresh.id != entry_id
    assert fresh.source is QueueSource.REPORT and fresh.reporter_id == 44


def test_concurrent_adds_of_one_message_make_one_entry(queue: QueueRepository) -> None:
    results, errors = run_together(8, lambda i: queue.add(guild_id=1, message_id=777, source="report"))
    assert errors == []
    assert sum(created for _, created in results) == 1
    assert len({entry.id for entry, _ in results}) == 1


def test_appeals_always_get_their_own_entry(queue: QueueRepository) -> None:
    add(queue)
    appeal, created = queue.add(guild_id=1, message_id=500, source="appeal", author_id=3, case_id=None)
    assert created and appeal.source is QueueSource.APPEAL


def test_a_case_is_appealed_once_waiting_or_decided(database: Database, queue: QueueRepository) -> None:
    case = CaseRepository(database).create(guild_id=1, user_id=3, type="warn", message_id=2)
    first, created = queue.add(guild_id=1, source="appeal", author_id=3, case_id=case.id, reason="one")
    assert created
    again, created = queue.add(guild_id=1, source="appeal", author_id=3, case_id=case.id, reason="two")
    assert not created and again.id == first.id
    queue.resolve(first.id, 10, Resolution.WARNED, now=NOW)
    after, created = queue.add(guild_id=1, source="appeal", author_id=3, case_id=case.id, reason="three")
    assert not created and after.id == first.id and after.status is QueueStatus.RESOLVED
    assert queue.appeal_of_case(case.id) == after
    other = CaseRepository(database).create(guild_id=1, user_id=4, type="warn", message_id=5)
    results, errors = run_together(
        8, lambda i: queue.add(guild_id=1, source="appeal", author_id=4, case_id=other.id)
    )
    assert errors == [] and sum(created for _, created in results) == 1


def test_claim_once(queue: QueueRepository) -> None:
    entry_id = add(queue)
    claimed = queue.claim(entry_id, 10, now=NOW)
    assert (claimed.status, claimed.claimed_by, claimed.claimed_at) == (QueueStatus.CLAIMED, 10, NOW)
    assert queue.claim(entry_id, 10).claimed_by == 10  # one's own claim again: fine
    with pytest.raises(StateError, match="already claimed by 10") as caught:
        queue.claim(entry_id, 11)
    assert caught.value.current.claimed_by == 10
    released = queue.release(entry_id, 10)
    assert released.status is QueueStatus.OPEN and released.claimed_by is None
    with pytest.raises(StateError):
        queue.release(entry_id, 10)
    with pytest.raises(NotFoundError):
        queue.claim(12345, 10)


def test_concurrent_claims_one_wins(queue: QueueRepository) -> None:
    entry_id = add(queue)
    results, errors = run_together(10, lambda i: queue.claim(entry_id, 100 + i))
    assert len(results) == 1
    assert len(errors) == 9 and all(isinstance(error, StateError) for error in errors)
    assert queue.get(entry_id).claimed_by == results[0].claimed_by


def test_resolve_once_under_concurrency(queue: QueueRepository) -> None:
    entry_id = add(queue)
    queue.claim(entry_id, 100)
    resolutions = list(Resolution)
    results, errors = run_together(
        10, lambda i: queue.resolve(entry_id, 100 + i, resolutions[i % len(resolutions)], now=NOW)
    )
    assert len(results) == 1
    assert len(errors) == 9
    assert all(isinstance(error, StateError) and "already resolved" in str(error) for error in errors)
    final = queue.get(entry_id)
    assert final == results[0]
    assert final is not None and final.status is QueueStatus.RESOLVED
    # exactly one feedback row, matching the winner
    feedback = queue.list_feedback(1)
    assert len(feedback) == 1
    assert feedback[0]["moderator_id"] == final.resolved_by
    assert feedback[0]["resolution"] == final.resolution


def test_resolution_links_a_case_and_records_feedback(database: Database, queue: QueueRepository) -> None:
    approved = add(queue, 1)
    warned = add(queue, 2)
    case = CaseRepository(database).create(guild_id=1, user_id=3, type="warn", message_id=2)
    queue.resolve(approved, 9, "approved", now=NOW)
    resolved = queue.resolve(warned, 9, Resolution.WARNED, case_id=case.id, now=NOW)
    assert resolved.case_id == case.id
    assert resolved.resolved_at == NOW
    verdicts = [(row["message_id"], row["verdict"]) for row in queue.list_feedback(1)]
    assert verdicts == [(1, "false_positive"), (2, "true_positive")]
    assert queue.list_feedback(1, verdict="false_positive")[0]["labels"] == ["toxicity", "insult"]
    with pytest.raises(ValueError, match="'shrugged' is not a valid Resolution"):
        queue.resolve(add(queue, 3), 9, "shrugged")


def test_appeal_resolution_gives_no_model_feedback(queue: QueueRepository) -> None:
    appeal, _ = queue.add(guild_id=1, source="appeal", author_id=3, reason="I was quoting the article")
    queue.resolve(appeal, 9, "approved")
    assert queue.list_feedback(1) == []


def test_open_listing_next_and_queue_message(queue: QueueRepository) -> None:
    first = add(queue, 1)
    second = add(queue, 2)
    third = add(queue, 3)
    queue.claim(first, 10)
    queue.resolve(third, 10, "deleted")
    assert [entry.id for entry in queue.list_open(1)] == [first, second]
    assert [entry.id for entry in queue.list_open(1, limit=1)] == [first]
    assert queue.next_open(1).id == second
    assert queue.next_open(2) is None
    shown = queue.set_message_id(second, 424242)
    assert shown.queue_message_id == 424242
    assert queue.get_by_queue_message(424242) == shown
    assert queue.get_by_queue_message(1) is None


def test_stats(queue: QueueRepository) -> None:
    ids = [add(queue, n) for n in range(1, 6)]
    queue.add(guild_id=1, message_id=99, source="report", reporter_id=4, now=NOW)
    queue.claim(ids[0], 10)
    queue.resolve(ids[1], 10, "approved", now=NOW)
    queue.resolve(ids[2], 10, "timed_out", now=NOW)
    stats = queue.stats(1)
    assert (stats.open, stats.claimed, stats.resolved) == (3, 1, 2)
    assert stats.by_resolution == {"approved": 1, "timed_out": 1}
    assert stats.by_source == {"auto": 5, "report": 1}
    assert stats.oldest_open_at == NOW
    assert stats.false_positives == 1
    later = queue.stats(1, since=NOW + timedelta(days=1))
    assert (later.open, later.claimed, later.resolved, later.false_positives) == (3, 1, 0, 0)
    assert later.by_resolution == {} and later.by_source == {}
    assert queue.stats(2).open == 0
