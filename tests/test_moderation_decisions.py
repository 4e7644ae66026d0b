"""Policy decisions through the infraction service: a timeout decision meeting a running timeout is a
recorded strike (and extends it when its rung asks for longer), and acting never raises."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.errors import CaseStateError
from bot.events import DecisionEvent
from bot.moderation.decision_acts import decision_request
from bot.moderation.infraction_types import ModlogEntry, Notice
from bot.moderation.infractions import InfractionService
from bot.storage import CaseRepository, CaseType, Database
from tests.test_moderation_infractions import FakeActions, warn

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def service(database: Database) -> InfractionService:
    return InfractionService(database, CaseRepository(database), clock=lambda: NOW)


def decision_event(
    action: str, *, message_id: int, minutes: int | None = None, **changes: Any
) -> DecisionEvent:
    decision: dict[str, Any] = {"action": action, "labels": ["insult"], "reason": "insult 0.93"}
    if minutes is not None:
        decision.update(
            timeout_minutes=minutes,
            escalated_from="warn",
            reason=f"insult 0.93; 3rd warning in 24 h → timeout {minutes} min",
        )
    values: dict[str, Any] = {
        "guild_id": 1,
        "channel_id": 5,
        "message_id": message_id,
        "author_id": 10,
        "jump_url": f"https://discord.com/channels/1/5/{message_id}",
        "scores": {"insult": 0.93},
        "decision": decision,
        "model_version": "m",
        "backend": "b",
        "dry_run": False,
        "content": "you idiot",
    }
    values.update(changes)
    return DecisionEvent(**values)


def use(service: InfractionService, actions: Any) -> None:
    service.actions_for = lambda guild_id: actions


def test_decision_request_maps_actions_and_skips_dry_run() -> None:
    request = decision_request(decision_event("timeout", message_id=1, minutes=10))
    assert request is not None and request.kind is CaseType.TIMEOUT and request.timeout_minutes == 10
    assert request.delete_message and request.reason.endswith("(3rd warning in 24 h → timeout 10 min)")
    warned = decision_request(decision_event("warn", message_id=2))
    assert warned is not None and warned.kind is CaseType.WARN and not warned.delete_message
    assert decision_request(decision_event("queue", message_id=3)) is None
    assert decision_request(decision_event("warn", message_id=4, dry_run=True)) is None


async def test_a_timeout_decision_during_a_timeout_is_a_strike_not_an_error(
    service: InfractionService,
) -> None:
    actions = FakeActions()
    use(service, actions)
    first = await service.apply_decision(decision_event("timeout", message_id=100, minutes=10))
    assert first is not None and first.case.type is CaseType.TIMEOUT

    second = await service.apply_decision(decision_event("timeout", message_id=101, minutes=10))

    assert second is not None and second.case.type is CaseType.WARN and not second.duplicate
    assert "already timed out (case #1)" in second.case.reason
    assert second.case.message_id == 101
    # the message that earned it is removed; the running timeout is not stacked nor re-applied
    assert ("delete", 101) in actions.calls
    assert [minutes for name, minutes in actions.calls if name == "timeout"] == [10]
    timeouts = [c for c in await service.cases_of(1, 10) if c.type is CaseType.TIMEOUT]
    assert len(timeouts) == 1 and timeouts[0].expires_at == NOW + timedelta(minutes=10)
    await service.scheduler.aclose()


async def test_a_stronger_rung_extends_the_running_timeout(service: InfractionService) -> None:
    actions = FakeActions()
    use(service, actions)
    await service.apply_decision(decision_event("timeout", message_id=100, minutes=10))

    outcome = await service.apply_decision(decision_event("timeout", message_id=101, minutes=60))

    assert outcome is not None and outcome.case.type is CaseType.WARN
    assert "extended to 60 min" in outcome.case.reason
    assert [minutes for name, minutes in actions.calls if name == "timeout"] == [10, 60]
    (running,) = [c for c in await service.cases_of(1, 10) if c.type is CaseType.TIMEOUT]
    assert running.active and running.expires_at == NOW + timedelta(minutes=60)
    # the expiry timer follows the new end
    assert len(service.scheduler) == 1
    await service.scheduler.aclose()


async def test_a_refused_extension_is_reported_and_changes_nothing(service: InfractionService) -> None:
    use(service, FakeActions())
    await service.apply_decision(decision_event("timeout", message_id=100, minutes=10))
    refusing = FakeActions(timeout_fails=True)
    use(service, refusing)

    outcome = await service.apply_decision(decision_event("timeout", message_id=101, minutes=60))

    assert outcome is not None and outcome.case.type is CaseType.WARN
    assert outcome.action_error is not None and "extend timeout" in outcome.action_error
    (running,) = [c for c in await service.cases_of(1, 10) if c.type is CaseType.TIMEOUT]
    assert running.expires_at == NOW + timedelta(minutes=10)
    await service.scheduler.aclose()


async def test_a_moderators_second_timeout_is_still_refused(service: InfractionService) -> None:
    actions = FakeActions()
    await service.apply(actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=10, moderator_id=7))
    with pytest.raises(CaseStateError, match="already has an active timeout"):
        await service.apply(
            actions, warn(kind=CaseType.TIMEOUT, timeout_minutes=10, moderator_id=7, message_id=101)
        )
    await service.scheduler.aclose()


class ExplodingActions(FakeActions):
    """A DM and a modlog post that raise something unexpected (a bug, not a Discord refusal)."""

    async def dm(self, user_id: int, notice: Notice) -> None:
        self.calls.append(("dm", notice))
        raise RuntimeError("boom")

    async def post_modlog(self, entry: ModlogEntry) -> None:
        self.calls.append(("modlog", entry))
        raise RuntimeError("boom")


async def test_an_unexpected_error_in_one_step_does_not_stop_the_others(
    service: InfractionService, caplog: pytest.LogCaptureFixture
) -> None:
    actions = ExplodingActions()
    use(service, actions)

    outcome = await service.apply_decision(decision_event("delete", message_id=100))

    assert outcome is not None and outcome.case.type is CaseType.DELETE
    assert actions.steps == ["dm", "delete", "modlog"]
    assert outcome.case.dm_sent is False and "RuntimeError" in (outcome.case.dm_error or "")
    assert outcome.modlog_error is not None
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged and all("case #1" in r.getMessage() for r in logged)


async def test_a_case_that_cannot_be_recorded_still_removes_the_message(
    service: InfractionService, caplog: pytest.LogCaptureFixture
) -> None:
    actions = FakeActions()
    use(service, actions)

    def broken(**_: object) -> None:
        raise RuntimeError("disk full")

    service.cases.create = broken  # type: ignore[assignment]  # a store that fails

    outcome = await service.apply_decision(decision_event("delete", message_id=100))

    assert outcome is None
    assert actions.steps == ["delete"]
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "message 100" in record.getMessage() and "guild 1" in record.getMessage()


async def test_no_acting_where_the_switch_is_off_or_nothing_acts(service: InfractionService) -> None:
    actions = FakeActions()
    assert await service.apply_decision(decision_event("warn", message_id=100)) is None  # no Discord side
    use(service, actions)

    async def off(guild_id: int) -> bool:
        return False

    service.acting_enabled = off
    assert await service.apply_decision(decision_event("warn", message_id=100)) is None
    assert actions.calls == []
