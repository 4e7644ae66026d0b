"""The queue service on a real SQLite file: adding, resolve-once, claims, and what the cards show."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.events import DecisionEvent
from bot.moderation.queue import ActionResult, KeyedLocks, QueueActionError, QueueService, ResolveStatus
from bot.moderation.queue_cards import Tone, entry_card, list_line, stats_lines
from bot.moderation.queue_rules import QueueAction, resolution_for, resolution_text
from bot.storage.cases import CaseRepository, CaseType
from bot.storage.database import Database
from bot.storage.queue import QueueEntry, QueueRepository, QueueSource, QueueStatus, Resolution

GUILD = 1
MOD_A = 100
MOD_B = 101
AUTHOR = 200


@pytest.fixture
def service(database: Database) -> QueueService:
    return QueueService(database, QueueRepository(database), CaseRepository(database))


def decision_event(action: str = "queue", *, dry_run: bool = False, message_id: int = 500) -> DecisionEvent:
    return DecisionEvent(
        guild_id=GUILD,
        channel_id=300,
        message_id=message_id,
        author_id=AUTHOR,
        jump_url=f"https://discord.com/channels/{GUILD}/300/{message_id}",
        scores={"identity_attack": 0.92, "toxicity": 0.9, "insult": 0.1},
        decision={
            "action": action,
            "labels": ["identity_attack"],
            "reason": "identity_attack 0.92",
            "dry_run": dry_run,
        },
        model_version="test-1",
        backend="keyword",
        dry_run=dry_run,
        content="People like you are **vermin** @everyone",
    )


async def queued(service: QueueService, message_id: int = 500) -> QueueEntry:
    added = await service.add_decision(decision_event(message_id=message_id))
    assert added is not None
    return added[0]


# ----------------------------------------------------------------------------- adding


@pytest.mark.parametrize("action", ["queue", "delete", "timeout"])
async def test_queueing_decisions_add_an_entry(service: QueueService, action: str) -> None:
    added = await service.add_decision(decision_event(action))
    assert added is not None
    entry, created = added
    assert created
    assert entry.source is QueueSource.AUTO
    assert entry.labels == ("identity_attack",)
    assert entry.excerpt == "People like you are **vermin** @everyone"  # raw: escaped when rendered
    assert ("automatic" in entry.reason) == (action != "queue")


@pytest.mark.parametrize("action", ["none", "log", "warn"])
async def test_other_decisions_add_nothing(service: QueueService, action: str) -> None:
    assert await service.add_decision(decision_event(action)) is None


async def test_dry_run_adds_nothing(service: QueueService) -> None:
    assert await service.add_decision(decision_event("queue", dry_run=True)) is None


async def test_a_message_is_queued_once(service: QueueService) -> None:
    first = await service.add_decision(decision_event())
    again = await service.add_decision(decision_event())
    report, created = await service.add_report(
        guild_id=GUILD,
        channel_id=300,
        message_id=500,
        author_id=AUTHOR,
        reporter_id=7,
        jump_url="u",
        content="x",
    )
    assert first is not None and again is not None
    assert again == (first[0], False)
    assert (report.id, created) == (first[0].id, False)


async def test_report_keeps_reporter_and_reason(service: QueueService) -> None:
    entry, created = await service.add_report(
        guild_id=GUILD,
        channel_id=300,
        message_id=501,
        author_id=AUTHOR,
        reporter_id=7,
        jump_url="u",
        content="text",
        reason="  spam\n spam ",
    )
    assert created and entry.source is QueueSource.REPORT
    assert (entry.reporter_id, entry.reason) == (7, "spam spam")


async def test_long_text_is_cut_when_stored(service: QueueService) -> None:
    entry, _ = await service.add_report(
        guild_id=GUILD,
        channel_id=1,
        message_id=2,
        author_id=3,
        reporter_id=4,
        jump_url="u",
        content="a" * 5000,
    )
    assert entry.excerpt is not None and len(entry.excerpt) == 500 and entry.excerpt.endswith("…")


# ----------------------------------------------------------------------------- resolve once


async def test_resolve_runs_the_action_and_links_the_case(service: QueueService) -> None:
    entry = await queued(service)
    calls: list[int] = []

    async def act(current: QueueEntry) -> ActionResult:
        calls.append(current.id)
        return ActionResult(case_id=None, case_number=4, note="DM refused.")

    attempt = await service.resolve(entry.id, MOD_A, QueueAction.DELETE, act)

    assert attempt.ok and calls == [entry.id]
    assert attempt.entry is not None and attempt.entry.resolution is Resolution.DELETED
    assert attempt.message() == f"Entry #{entry.id}: deleted. Case #4. DM refused."


async def test_two_moderators_at_once_resolve_once(service: QueueService) -> None:
    entry = await queued(service)
    calls: list[int] = []

    def act_for(moderator: int) -> Callable[[QueueEntry], Awaitable[ActionResult]]:
        async def act(current: QueueEntry) -> ActionResult:
            calls.append(moderator)
            await asyncio.sleep(0.01)  # the other press arrives while this one acts
            return ActionResult()

        return act

    first, second = await asyncio.gather(
        service.resolve(entry.id, MOD_A, QueueAction.DELETE, act_for(MOD_A)),
        service.resolve(entry.id, MOD_B, QueueAction.BAN, act_for(MOD_B)),
    )

    statuses = sorted([first.status, second.status])
    assert statuses == sorted([ResolveStatus.DONE, ResolveStatus.ALREADY_RESOLVED])
    assert len(calls) == 1, "the action ran twice"
    winner, loser = (first, second) if first.ok else (second, first)
    assert loser.message().startswith(f"Already resolved by <@{winner.entry.resolved_by}>")
    assert winner.entry is not None and winner.entry.resolution is not None
    assert loser.message().endswith(f"({resolution_text(winner.entry.resolution)}).")


async def test_resolving_a_resolved_entry_is_refused(service: QueueService) -> None:
    entry = await queued(service)
    await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)

    attempt = await service.resolve(entry.id, MOD_B, QueueAction.DELETE)

    assert attempt.status is ResolveStatus.ALREADY_RESOLVED
    assert attempt.message() == f"Already resolved by <@{MOD_A}> (approved (false positive))."


async def test_another_process_resolving_first_is_caught_by_the_conditional_update(
    service: QueueService, database: Database
) -> None:
    entry = await queued(service)
    other_process = QueueRepository(database)

    async def act(current: QueueEntry) -> ActionResult:
        await database.run(other_process.resolve, current.id, MOD_B, Resolution.APPROVED)
        return ActionResult()

    attempt = await service.resolve(entry.id, MOD_A, QueueAction.DELETE, act)

    assert attempt.status is ResolveStatus.ALREADY_RESOLVED
    assert attempt.entry is not None and attempt.entry.resolved_by == MOD_B


async def test_failed_action_leaves_the_entry_open(service: QueueService) -> None:
    entry = await queued(service)

    async def act(current: QueueEntry) -> ActionResult:
        raise QueueActionError("their top role is above mine.")

    attempt = await service.resolve(entry.id, MOD_A, QueueAction.BAN, act)

    assert attempt.status is ResolveStatus.ACTION_FAILED
    assert attempt.message() == "Could not ban: their top role is above mine. The entry stays open."
    current = await service.get(entry.id)
    assert current is not None and current.status is QueueStatus.OPEN
    assert (await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)).ok


async def test_resolving_an_unknown_entry(service: QueueService) -> None:
    attempt = await service.resolve(999, MOD_A, QueueAction.APPROVE)
    assert attempt.status is ResolveStatus.NOT_FOUND
    assert attempt.message() == "That queue entry no longer exists."


async def test_claim_is_not_a_resolution(service: QueueService) -> None:
    entry = await queued(service)
    with pytest.raises(ValueError, match="claim"):
        await service.resolve(entry.id, MOD_A, QueueAction.CLAIM)


async def test_approve_records_a_false_positive(service: QueueService, database: Database) -> None:
    entry = await queued(service)
    await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)
    feedback = await database.run(service.repository.list_feedback, GUILD)
    assert [(row["verdict"], row["queue_entry_id"]) for row in feedback] == [("false_positive", entry.id)]


async def test_locks_are_dropped_after_use(service: QueueService) -> None:
    entry = await queued(service)
    await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)
    assert len(service._locks) == 0


async def test_keyed_locks_serialise_one_key_only() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def hold(key: int, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    await asyncio.gather(hold(1, "a"), hold(1, "b"), hold(2, "c"))
    assert order.index("a-") < order.index("b+")
    assert order.index("c+") < order.index("a-")
    assert len(locks) == 0


# ----------------------------------------------------------------------------- claims


async def test_claim_then_someone_else_claims(service: QueueService) -> None:
    entry = await queued(service)

    mine = await service.claim(entry.id, MOD_A)
    again = await service.claim(entry.id, MOD_A)
    theirs = await service.claim(entry.id, MOD_B)

    assert mine.ok and again.ok
    assert theirs.status is ResolveStatus.CLAIMED_BY_OTHER
    assert theirs.message() == f"Already claimed by <@{MOD_A}>."
    assert (await service.next_open(GUILD)) is None
    assert [e.id for e in await service.list_open(GUILD)] == [entry.id]


async def test_claiming_a_resolved_entry(service: QueueService) -> None:
    entry = await queued(service)
    await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)
    assert (await service.claim(entry.id, MOD_B)).status is ResolveStatus.ALREADY_RESOLVED
    assert (await service.claim(999, MOD_B)).status is ResolveStatus.NOT_FOUND


# ----------------------------------------------------------------------------- appeals


async def appeal_entry(
    service: QueueService, database: Database, kind: CaseType = CaseType.WARN
) -> QueueEntry:
    cases = service.cases
    assert isinstance(cases, CaseRepository)
    case = await database.run(
        cases.create, guild_id=GUILD, user_id=AUTHOR, type=kind, reason="Automatic: insult"
    )
    entry, _ = await database.run(
        service.repository.add,
        guild_id=GUILD,
        source=QueueSource.APPEAL,
        author_id=AUTHOR,
        excerpt="I was quoting the article",
        reason=f"Appeal of case #{case.case_number} ({kind.value})",
        case_id=case.id,
    )
    return entry


@pytest.mark.parametrize(
    ("kind", "resolution"),
    [
        (CaseType.WARN, Resolution.WARNED),
        (CaseType.TIMEOUT, Resolution.TIMED_OUT),
        (CaseType.BAN, Resolution.BANNED),
    ],
)
async def test_uphold_is_stored_as_the_case_kind(
    service: QueueService, database: Database, kind: CaseType, resolution: Resolution
) -> None:
    entry = await appeal_entry(service, database, kind)
    attempt = await service.resolve(entry.id, MOD_A, QueueAction.UPHOLD)
    assert attempt.entry is not None and attempt.entry.resolution is resolution
    assert attempt.message() == f"Entry #{entry.id}: upheld."


async def test_pardon_is_stored_as_approved_without_feedback(
    service: QueueService, database: Database
) -> None:
    entry = await appeal_entry(service, database)
    attempt = await service.resolve(entry.id, MOD_A, QueueAction.PARDON)
    assert attempt.entry is not None and attempt.entry.resolution is Resolution.APPROVED
    assert await database.run(service.repository.list_feedback, GUILD) == []


def test_resolution_for_actions() -> None:
    assert resolution_for(QueueAction.TIMEOUT) is Resolution.TIMED_OUT
    assert resolution_for(QueueAction.UPHOLD) is Resolution.WARNED
    with pytest.raises(ValueError, match="does not resolve"):
        resolution_for(QueueAction.CLAIM)


# ----------------------------------------------------------------------------- cards


async def test_card_of_a_flagged_message(service: QueueService) -> None:
    entry = await queued(service)
    card = entry_card(entry)

    assert card.title == f"Flagged message #{entry.id} · identity_attack"
    assert card.tone is Tone.OPEN
    assert "@everyone" not in card.description and "\\*\\*vermin\\*\\*" in card.description
    fields = {f.name: f.value for f in card.fields}
    assert fields["Author"] == f"<@{AUTHOR}>"
    assert fields["Channel"] == "<#300>"
    assert fields["Message"] == f"[Jump to message]({entry.jump_url})"
    assert "identity_attack █████████░ 0.92" in fields["Scores"]
    assert card.actions == (
        QueueAction.APPROVE,
        QueueAction.DELETE,
        QueueAction.WARN,
        QueueAction.BAN,
        QueueAction.CLAIM,
    )
    assert card.timeout_select and not card.resolved


async def test_card_of_a_claimed_then_resolved_entry(service: QueueService) -> None:
    entry = await queued(service)
    claimed = (await service.claim(entry.id, MOD_A)).entry
    assert claimed is not None
    card = entry_card(claimed)
    assert card.tone is Tone.CLAIMED
    assert ("Claimed by", f"<@{MOD_A}>") in [(f.name, f.value) for f in card.fields]

    resolved = (await service.resolve(entry.id, MOD_B, QueueAction.DELETE)).entry
    assert resolved is not None
    card = entry_card(resolved)
    assert card.tone is Tone.RESOLVED and card.resolved
    assert ("Outcome", f"**deleted** by <@{MOD_B}>") in [(f.name, f.value) for f in card.fields]


async def test_card_of_a_report(service: QueueService) -> None:
    entry, _ = await service.add_report(
        guild_id=GUILD,
        channel_id=1,
        message_id=2,
        author_id=AUTHOR,
        reporter_id=7,
        jump_url="u",
        content="hi <@&123456789012345678>",
        reason="[click](http://evil)",
    )
    card = entry_card(entry)
    fields = {f.name: f.value for f in card.fields}
    assert card.title == f"Reported message #{entry.id}"
    assert fields["Reported by"] == "<@7>"
    assert fields["Reporter's reason"] == "\\[click\\]\\(http://evil\\)"
    assert "<@&" not in card.description
    assert "Scores" not in fields


async def test_card_of_an_appeal(service: QueueService, database: Database) -> None:
    entry = await appeal_entry(service, database)
    case = await service.case_of(entry)
    assert case is not None
    card = entry_card(entry, case)
    fields = {f.name: f.value for f in card.fields}
    assert card.title == f"Appeal #{entry.id} · case #{case.case_number} (warn)"
    assert card.tone is Tone.APPEAL
    assert card.description == "**Appeal:** I was quoting the article"
    assert fields["Case"] == f"#{case.case_number} warn: Automatic: insult"
    assert fields["Member"] == f"<@{AUTHOR}>"
    assert card.actions == (QueueAction.UPHOLD, QueueAction.PARDON, QueueAction.CLAIM)
    assert not card.timeout_select

    resolved = (await service.resolve(entry.id, MOD_A, QueueAction.PARDON)).entry
    assert resolved is not None
    assert ("Outcome", f"**pardoned** by <@{MOD_A}>") in [
        (f.name, f.value) for f in entry_card(resolved).fields
    ]


async def test_list_line_and_stats(service: QueueService) -> None:
    entry = await queued(service)
    later = entry.created_at + timedelta(hours=3)
    assert list_line(entry, later) == f"**#{entry.id}** flagged · <@{AUTHOR}> · identity_attack · 3 h ago"

    await service.resolve(entry.id, MOD_A, QueueAction.APPROVE)
    await queued(service, message_id=501)
    stats = await service.stats(GUILD)
    lines = stats_lines(stats, datetime.now(UTC))
    assert lines[0] == "**Waiting:** 1 open, 0 claimed"
    assert "**Outcomes:** approved 1" in lines
    assert "**False positives (approved):** 1" in lines
    assert await service.count_open(GUILD) == 1
