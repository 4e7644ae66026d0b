"""A message's score, automatic case and queue entry are written in one transaction."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.events import DecisionEvent
from bot.moderation.decision_acts import decision_reason
from bot.moderation.decision_records import case_draft, queue_draft
from bot.moderation.queue import QueueService
from bot.policy.decision import Action, Decision
from bot.scoring.base import Scores
from bot.storage import CaseRepository, Database, QueueRepository, ScoreRepository
from bot.storage.cases import CaseType
from bot.storage.decisions import CaseDraft, DecisionRepository, QueueDraft, RecordedDecision

pytestmark = pytest.mark.backends  # every test here runs on SQLite and on PostgreSQL

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GUILD = 1
AUTHOR = 7
SCORES = Scores(toxicity=0.9, insult=0.95)


def record(repo: DecisionRepository, message_id: int, action: Action, **drafts: Any) -> RecordedDecision:
    return repo.record(
        guild_id=GUILD,
        channel_id=3,
        message_id=message_id,
        author_id=AUTHOR,
        scores=SCORES,
        decision=Decision(action=action, labels=("insult",), reason="insult 0.95"),
        model_version="m1",
        backend="keyword",
        now=NOW,
        **drafts,
    )


def counts(database: Database) -> tuple[int, int, int]:
    return tuple(
        database.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("message_scores", "cases", "queue_entries")
    )


def test_a_timeout_decision_writes_score_case_and_entry_together(database: Database) -> None:
    repo = DecisionRepository(database)
    recorded = repo.record(
        guild_id=GUILD,
        channel_id=3,
        message_id=10,
        author_id=AUTHOR,
        scores=SCORES,
        decision=Decision(action=Action.TIMEOUT, labels=("insult",), timeout_minutes=10),
        model_version="m1",
        backend="keyword",
        now=NOW,
        case=CaseDraft(CaseType.TIMEOUT, "Automatic: flagged for insult", timedelta(minutes=10)),
        queue=QueueDraft("automatic timeout", excerpt="you idiot", labels=("insult",)),
    )
    assert recorded.score.message_id == 10
    assert recorded.case is not None and recorded.conflict is None
    assert (recorded.case.type, recorded.case.auto, recorded.case.message_id) == (CaseType.TIMEOUT, True, 10)
    assert recorded.case.expires_at == NOW + timedelta(minutes=10)
    assert recorded.queue_created and recorded.queue_entry is not None
    assert (recorded.queue_entry.message_id, recorded.queue_entry.excerpt) == (10, "you idiot")
    assert recorded.queue_entry.scores["insult"] == pytest.approx(0.95)
    assert counts(database) == (1, 1, 1)


def test_without_drafts_only_the_score_is_written(database: Database) -> None:
    recorded = record(DecisionRepository(database), 10, Action.LOG)
    assert counts(database) == (1, 0, 0)
    assert recorded.case is None and recorded.queue_entry is None


def test_an_edit_rescored_updates_the_score_and_opens_nothing_twice(database: Database) -> None:
    repo = DecisionRepository(database)
    drafts = {"case": CaseDraft(CaseType.DELETE, "Automatic"), "queue": QueueDraft("automatic delete")}
    first = record(repo, 10, Action.DELETE, **drafts)
    again = record(repo, 10, Action.DELETE, **drafts)
    assert again.case is None
    assert again.conflict == first.case
    assert not again.queue_created
    assert again.queue_entry.id == first.queue_entry.id
    assert counts(database) == (1, 1, 1)


def test_a_timeout_during_the_running_one_is_recorded_as_a_strike(database: Database) -> None:
    repo = DecisionRepository(database)
    timeout = CaseDraft(CaseType.TIMEOUT, "Automatic", timedelta(minutes=10), during_timeout=CaseType.WARN)
    running = record(repo, 10, Action.TIMEOUT, case=timeout).case
    strike = record(repo, 11, Action.TIMEOUT, case=timeout)
    assert strike.conflict == running
    assert strike.case.type is CaseType.WARN
    assert strike.case.message_id == 11
    assert strike.case.reason == f"Automatic; already timed out (case #{running.case_number})"
    # without a fallback the refusal is reported and the score is still stored
    plain = CaseDraft(CaseType.TIMEOUT, "Automatic", timedelta(minutes=10))
    refused = record(repo, 12, Action.TIMEOUT, case=plain)
    assert refused.case is None and refused.conflict == running
    assert ScoreRepository(database).get(12) is not None


def test_a_failure_after_the_case_leaves_no_score_and_no_case(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = QueueRepository(database)
    repo = DecisionRepository(database, ScoreRepository(database), CaseRepository(database), queue)

    def crash(**_: object) -> None:
        raise RuntimeError("crash while queueing")

    monkeypatch.setattr(queue, "add", crash)
    with pytest.raises(RuntimeError, match="crash while queueing"):
        record(repo, 10, Action.TIMEOUT, case=CaseDraft(CaseType.DELETE, "x"), queue=QueueDraft("y"))
    assert counts(database) == (0, 0, 0)
    assert not database.in_transaction
    monkeypatch.undo()
    # the case number was not used up
    again = record(repo, 10, Action.DELETE, case=CaseDraft(CaseType.DELETE, "x"))
    assert again.case.case_number == 1


def _event(action: str, *, dry_run: bool = False, **decision: object) -> DecisionEvent:
    return DecisionEvent(
        guild_id=GUILD,
        channel_id=3,
        message_id=10,
        author_id=AUTHOR,
        jump_url="https://discord.com/channels/1/3/10",
        scores={"insult": 0.95},
        decision={"action": action, "labels": ["insult", "identity_attack"], "reason": "r", **decision},
        model_version="m1",
        backend="keyword",
        dry_run=dry_run,
        content="you  absolute\nidiot",
    )


def test_drafts_follow_the_decision() -> None:
    assert case_draft(_event("warn")) == CaseDraft(
        CaseType.WARN,
        "Automatic: flagged for insult, identity attack",
        jump_url="https://discord.com/channels/1/3/10",
    )
    timeout = case_draft(_event("timeout", timeout_minutes=30))
    assert timeout is not None
    assert (timeout.duration, timeout.during_timeout) == (timedelta(minutes=30), CaseType.WARN)
    assert case_draft(_event("timeout")) is None  # no valid duration: the service refuses it itself
    assert case_draft(_event("queue")) is None
    assert case_draft(_event("warn", dry_run=True)) is None
    assert queue_draft(_event("warn")) is None
    assert queue_draft(_event("delete", dry_run=True)) is None
    draft = queue_draft(_event("delete"))
    assert draft is not None
    assert (draft.reason, draft.excerpt, draft.labels) == (
        "automatic delete: r",
        "you absolute idiot",
        ("insult", "identity_attack"),
    )
    escalated = {"labels": ["insult"], "escalated_from": "warn", "reason": "insult; 3rd warning → timeout"}
    assert decision_reason(escalated) == "Automatic: flagged for insult (3rd warning → timeout)"
    assert decision_reason({}) == "Automatic"


async def test_the_queue_posts_the_entry_recorded_with_the_score(database: Database) -> None:
    repo = DecisionRepository(database)
    event = _event("delete")
    recorded = record(repo, 10, Action.DELETE, queue=queue_draft(event))
    entry = recorded.queue_entry
    service = QueueService(database, QueueRepository(database))
    # the event carries the entry it opened: the mod queue posts that one, and adds nothing
    added = await service.add_decision(dataclasses.replace(event, queue_entry_id=entry.id))
    assert added == (entry, True)
    # the same decision without it (an edit, a plug-in's event) finds the message already queued
    assert await service.add_decision(event) == (entry, False)
    assert counts(database) == (1, 0, 1)
