"""The infraction service as plain Python: fixed order, refusals recorded, duplicates, pardon, expiry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import CaseNotFoundError, CaseStateError, InvalidTargetError
from bot.moderation.expiry import ExpiryScheduler
from bot.moderation.infraction_types import (
    ActionFailedError,
    DMFailedError,
    InfractionRequest,
    ModlogEntry,
    Notice,
)
from bot.moderation.infractions import InfractionService
from bot.moderation.text import excerpt
from bot.storage import CaseRepository, CaseType, Database, QueueRepository


class FakeActions:
    """Records every call in order; each step can be made to fail."""

    guild_name = "News Club"

    def __init__(
        self,
        *,
        dm_fails: bool = False,
        timeout_fails: bool = False,
        modlog_fails: bool = False,
        ban_fails: bool = False,
    ):
        self.calls: list[tuple[str, Any]] = []
        self.dm_fails = dm_fails
        self.timeout_fails = timeout_fails
        self.modlog_fails = modlog_fails
        self.ban_fails = ban_fails

    async def dm(self, user_id: int, notice: Notice) -> None:
        self.calls.append(("dm", notice))
        if self.dm_fails:
            raise DMFailedError("DMs closed (403/50007)")

    async def delete(self, channel_id: int, message_id: int) -> None:
        self.calls.append(("delete", message_id))

    async def timeout(self, user_id: int, minutes: int | None, reason: str) -> None:
        self.calls.append(("timeout", minutes))
        if self.timeout_fails:
            raise ActionFailedError("missing the Moderate Members permission", permission="moderate_members")

    async def ban(self, user_id: int, reason: str) -> None:
        self.calls.append(("ban", user_id))
        if self.ban_fails:
            raise ActionFailedError("missing the Ban Members permission", permission="ban_members")

    async def post_modlog(self, entry: ModlogEntry) -> None:
        self.calls.append(("modlog", entry))
        if self.modlog_fails:
            raise ActionFailedError("503 Service Unavailable")

    @property
    def steps(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def service(database: Database) -> InfractionService:
    return InfractionService(database, CaseRepository(database))


def warn(**changes: object) -> InfractionRequest:
    values: dict[str, object] = {
        "guild_id": 1,
        "user_id": 10,
        "kind": CaseType.WARN,
        "reason": "Automatic: flagged for insult",
        "labels": ("insult",),
        "content": "you   absolute\n idiot " + "x" * 500,
        "message_id": 100,
        "channel_id": 5,
        "jump_url": "https://discord.com/channels/1/5/100",
    }
    values.update(changes)
    return InfractionRequest(**values)  # type: ignore[arg-type]


async def test_apply_runs_record_dm_act_modlog_in_order(service: InfractionService) -> None:
    actions = FakeActions()

    outcome = await service.apply(actions, warn(kind=CaseType.DELETE, delete_message=True))

    assert actions.steps == ["dm", "delete", "modlog"]
    notice = actions.calls[0][1]
    assert isinstance(notice, Notice)
    assert notice.case.case_number == 1  # recorded before the DM
    assert notice.excerpt.startswith("you absolute idiot") and notice.excerpt.endswith("…")
    assert len(notice.excerpt) == 200
    assert outcome.case.dm_sent is True and outcome.dm_error is None
    assert outcome.case.auto is True


async def test_closed_dms_are_recorded_and_the_rest_still_happens(service: InfractionService) -> None:
    actions = FakeActions(dm_fails=True)

    outcome = await service.apply(actions, warn())

    assert actions.steps == ["dm", "modlog"]
    assert outcome.case.dm_sent is False
    assert outcome.case.dm_error == "DMs closed (403/50007)"
    modlog = actions.calls[-1][1]
    assert isinstance(modlog, ModlogEntry) and modlog.case.dm_sent is False


async def test_same_message_never_gets_a_second_case(service: InfractionService) -> None:
    actions = FakeActions()
    first = await service.apply(actions, warn())

    again = await service.apply(actions, warn())

    assert again.duplicate and again.case.case_number == first.case.case_number
    assert actions.steps == ["dm", "modlog"]


async def test_concurrent_automatic_decisions_on_one_message_open_one_case(
    service: InfractionService,
) -> None:
    # An edit re-scored while the first decision is still being acted on: warn, then delete, at once.
    actions = FakeActions()
    outcomes = await asyncio.gather(
        service.apply(actions, warn()),
        service.apply(actions, warn(kind=CaseType.DELETE, delete_message=True)),
        service.apply(actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=10)),
    )

    assert sorted(outcome.duplicate for outcome in outcomes) == [False, True, True]
    assert len({outcome.case.case_number for outcome in outcomes}) == 1
    assert len(await service.cases_of(1, 10, limit=None)) == 1
    assert actions.steps.count("dm") == 1 and actions.steps.count("modlog") == 1


async def test_case_numbers_are_per_server(service: InfractionService) -> None:
    actions = FakeActions()
    a = await service.apply(actions, warn(message_id=1))
    b = await service.apply(actions, warn(message_id=2))
    c = await service.apply(actions, warn(guild_id=2, message_id=3))
    assert [a.case.case_number, b.case.case_number, c.case.case_number] == [1, 2, 1]


async def test_timeout_schedules_its_expiry_and_expires(service: InfractionService) -> None:
    actions = FakeActions()
    service.actions_for = lambda guild_id: actions
    moments = [datetime(2026, 1, 1, tzinfo=UTC)]
    service.clock = lambda: moments[0]
    service.scheduler = ExpiryScheduler(lambda: moments[0] + timedelta(minutes=10))  # already due

    outcome = await service.apply(actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=10, message_id=None))
    assert ("timeout", 10) in actions.calls
    assert outcome.case.active and outcome.case.expires_at == moments[0] + timedelta(minutes=10)
    assert (1, 1) in service.scheduler

    for _ in range(200):
        if (1, 1) not in service.scheduler:
            break
        await asyncio.sleep(0.01)
    case = await service.get_case(1, 1)
    assert not case.active
    assert actions.calls[-1][0] == "modlog" and actions.calls[-1][1].event == "expired"


async def test_failed_timeout_is_recorded_and_does_not_block_the_next(service: InfractionService) -> None:
    outcome = await service.apply(
        FakeActions(timeout_fails=True), warn(kind=CaseType.TIMEOUT, timeout_minutes=5, message_id=None)
    )
    assert outcome.action_error == "timeout: missing the Moderate Members permission"
    assert not outcome.case.active
    assert (1, 1) not in service.scheduler

    retry = await service.apply(
        FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=5, message_id=None)
    )
    assert retry.case.active and retry.case.case_number == 2
    await service.scheduler.aclose()


async def test_ban_dms_before_banning_and_a_refused_ban_is_not_in_effect(service: InfractionService) -> None:
    actions = FakeActions()
    banned = await service.apply(actions, warn(kind=CaseType.BAN))
    assert actions.steps == ["dm", "ban", "modlog"]
    assert banned.case.active and banned.case.type is CaseType.BAN

    refused = await service.apply(FakeActions(ban_fails=True), warn(kind=CaseType.BAN, message_id=101))
    assert refused.action_error == "ban: missing the Ban Members permission"
    assert not refused.case.active


def ban(**changes: object) -> InfractionRequest:
    """A moderator's ban from the mod queue (what its Ban button sends)."""
    values: dict[str, object] = {
        "kind": CaseType.BAN,
        "reason": "Mod queue #1: identity_attack",
        "moderator_id": 3,
        "labels": ("identity_attack",),
        "content": "the text",
    }
    values.update(changes)
    return warn(**values)


async def test_ban_records_the_moderator_and_never_expires(service: InfractionService) -> None:
    actions = FakeActions()

    outcome = await service.apply(actions, ban())

    assert actions.steps == ["dm", "ban", "modlog"]
    case = outcome.case
    assert (case.type, case.active, case.dm_sent, case.moderator_id) == (CaseType.BAN, True, True, 3)
    assert case.auto is False
    assert case.expires_at is None and (1, case.case_number) not in service.scheduler
    assert outcome.action_error is None and not outcome.duplicate
    modlog = actions.calls[-1][1]
    assert isinstance(modlog, ModlogEntry) and modlog.case.case_number == case.case_number
    assert modlog.actor_id == 3 and modlog.action_error is None


async def test_closed_dms_do_not_stop_the_ban(service: InfractionService) -> None:
    actions = FakeActions(dm_fails=True)

    outcome = await service.apply(actions, ban())

    assert actions.steps == ["dm", "ban", "modlog"]
    assert outcome.dm_error == "DMs closed (403/50007)" and outcome.case.dm_sent is False
    assert outcome.case.active


async def test_refused_ban_is_recorded_and_its_case_ended(service: InfractionService) -> None:
    actions = FakeActions(ban_fails=True)

    outcome = await service.apply(actions, ban())

    assert actions.steps == ["dm", "ban", "modlog"]
    assert outcome.action_error == "ban: missing the Ban Members permission"
    assert not outcome.case.active
    stored = await service.get_case(1, outcome.case.case_number)
    assert stored.type is CaseType.BAN and not stored.active
    modlog = actions.calls[-1][1]
    assert isinstance(modlog, ModlogEntry) and modlog.action_error == outcome.action_error
    assert not modlog.case.active


async def test_a_message_gets_one_ban_case(service: InfractionService) -> None:
    first = await service.apply(FakeActions(), ban())
    actions = FakeActions()

    again = await service.apply(actions, ban())

    assert again.duplicate and again.case.case_number == first.case.case_number
    assert actions.steps == []


async def test_second_active_timeout_is_refused(service: InfractionService) -> None:
    await service.apply(FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=5, message_id=None))
    with pytest.raises(CaseStateError):
        await service.apply(FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=5, message_id=None))
    await service.scheduler.aclose()


async def test_timeout_needs_a_duration(service: InfractionService) -> None:
    with pytest.raises(InvalidTargetError):
        await service.apply(FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=None))


async def test_modlog_failure_is_reported_not_raised(service: InfractionService) -> None:
    outcome = await service.apply(FakeActions(modlog_fails=True), warn())
    assert outcome.modlog_error == "503 Service Unavailable"
    assert outcome.case.case_number == 1


async def test_pardon_lifts_a_running_timeout_and_is_once_only(service: InfractionService) -> None:
    actions = FakeActions()
    await service.apply(actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=30, message_id=None))
    actions.calls.clear()

    case = await service.pardon(actions, 1, 1, moderator_id=99, reason="misread")

    assert case.pardoned and not case.active
    assert actions.steps == ["dm", "timeout", "modlog"]
    assert actions.calls[1] == ("timeout", None)
    assert (1, 1) not in service.scheduler
    with pytest.raises(CaseStateError):
        await service.pardon(actions, 1, 1, moderator_id=99, reason="again")
    with pytest.raises(CaseNotFoundError):
        await service.pardon(actions, 1, 7, moderator_id=99, reason="none")


async def test_reschedule_rearms_stored_expiries(database: Database) -> None:
    first = InfractionService(database, CaseRepository(database))
    await first.apply(FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=30, message_id=None))
    await first.scheduler.aclose()

    second = InfractionService(database, CaseRepository(database))
    assert await second.reschedule() == 1
    assert (1, 1) in second.scheduler
    await second.scheduler.aclose()


async def test_appeal_goes_to_the_queue_linked_to_the_case(
    service: InfractionService, database: Database
) -> None:
    queue = QueueRepository(database)
    outcome = await service.apply(FakeActions(), warn())

    entry, case = await service.file_appeal(queue, 1, 1, user_id=10, text="I was quoting.")

    assert entry.source.value == "appeal" and entry.case_id == outcome.case.id == case.id
    assert entry.author_id == 10 and entry.message_id == 100
    with pytest.raises(CaseStateError, match="already waiting"):
        await service.file_appeal(queue, 1, 1, user_id=10, text="again")
    with pytest.raises(InvalidTargetError):
        await service.file_appeal(queue, 1, 1, user_id=11, text="not mine")


def test_excerpt_is_one_line_and_bounded() -> None:
    assert excerpt("a\n\nb   c") == "a b c"
    assert excerpt("x" * 300, 10) == "x" * 9 + "…"


def test_excerpt_drops_lone_surrogates_so_it_can_be_stored() -> None:
    text = excerpt("you \ud800 idiot")
    assert text == "you idiot"
    text.encode("utf-8")  # SQLite and Discord take only text with a UTF-8 form


async def killed_after_expiring(database: Database, *users: int) -> list[int]:
    """A process opened a timeout for each of ``users`` in server 1, ended each in the transaction that
    owes its modlog line, and was killed before posting it: the case numbers."""
    first = InfractionService(database, CaseRepository(database))
    numbers = []
    for user in users:
        outcome = await first.apply(
            FakeActions(), warn(kind=CaseType.TIMEOUT, timeout_minutes=30, message_id=None, user_id=user)
        )
        numbers.append(outcome.case.case_number)
        assert await database.run(first.cases.expire, 1, outcome.case.case_number, owe_modlog="expired")
    await first.scheduler.aclose()
    return numbers


async def test_an_expiry_line_a_killed_process_owed_is_posted_once_on_the_next_start(
    database: Database,
) -> None:
    (number,) = await killed_after_expiring(database, 10)

    second = InfractionService(database, CaseRepository(database))
    second.actions_for = lambda guild_id: None  # the server is not reachable yet: the line stays owed
    assert await second.reschedule() == 0
    assert len(await database.run(second.cases.owed_modlog)) == 1

    actions = FakeActions()
    third = InfractionService(database, CaseRepository(database))
    third.actions_for = lambda guild_id: actions
    assert await third.reschedule() == 0
    assert [(name, entry.event, entry.case.case_number) for name, entry in actions.calls] == [
        ("modlog", "expired", number)
    ]
    assert await database.run(third.cases.owed_modlog) == []
    assert await third.reschedule() == 0 and len(actions.calls) == 1  # posted once, never again


async def test_an_owed_line_of_another_shards_server_is_left_to_it(database: Database) -> None:
    await killed_after_expiring(database, 10)
    actions = FakeActions()
    other = InfractionService(database, CaseRepository(database), owns_guild=lambda guild_id: guild_id != 1)
    other.actions_for = lambda guild_id: actions
    assert await other.post_owed_modlog() == 0
    assert actions.calls == [] and len(await database.run(other.cases.owed_modlog)) == 1


async def test_a_timer_expiry_settles_the_line_it_owed(service: InfractionService) -> None:
    actions = FakeActions(modlog_fails=True)  # refused by Discord: logged, not owed forever
    service.actions_for = lambda guild_id: actions
    outcome = await service.apply(actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=30, message_id=None))
    await service.scheduler.aclose()
    assert await service.expire(1, outcome.case.case_number)
    assert actions.calls[-1][0] == "modlog" and actions.calls[-1][1].event == "expired"
    assert await service.database.run(service.cases.owed_modlog) == []


async def test_an_owed_line_that_cannot_be_posted_does_not_keep_the_others_owed(database: Database) -> None:
    numbers = await killed_after_expiring(database, 10, 11)

    class UnreadableFirst(CaseRepository):
        def get(self, guild_id: int, case_number: int) -> Any:
            if case_number == numbers[0]:
                raise RuntimeError("a row this version cannot read")
            return super().get(guild_id, case_number)

    actions = FakeActions()
    second = InfractionService(database, UnreadableFirst(database))
    second.actions_for = lambda guild_id: actions
    await second.reschedule()  # does not raise
    assert [entry.case.case_number for _, entry in actions.calls] == [numbers[1]]
    (still_owed,) = await database.run(second.cases.owed_modlog)
    assert still_owed.case_number == numbers[0]  # logged, kept for a later start
