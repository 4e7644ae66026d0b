"""Bans from the mod queue run the infraction order: record, DM, ban, modlog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.moderation.infractions import (
    ActionFailedError,
    DMFailedError,
    InfractionRequest,
    InfractionService,
    ModlogEntry,
    Notice,
)
from bot.moderation.queue_actions import BanCallable, apply_ban
from bot.storage.cases import CaseRepository, CaseType
from bot.storage.database import Database

GUILD = 1
USER = 2
MOD = 3


class FakeActions:
    """Records every step in order; can refuse the DM."""

    guild_name = "News Club"

    def __init__(self, calls: list[str], *, dm_fails: bool = False) -> None:
        self.calls = calls
        self.dm_fails = dm_fails
        self.modlog: list[ModlogEntry] = []

    async def dm(self, user_id: int, notice: Notice) -> None:
        self.calls.append("dm")
        if self.dm_fails:
            raise DMFailedError("DMs closed")

    async def delete(self, channel_id: int, message_id: int) -> None:
        self.calls.append("delete")

    async def timeout(self, user_id: int, minutes: int | None, reason: str) -> None:
        self.calls.append("timeout")

    async def post_modlog(self, entry: ModlogEntry) -> None:
        self.calls.append("modlog")
        self.modlog.append(entry)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InfractionService]:
    database = Database(tmp_path / "warden.db")
    yield InfractionService(database, CaseRepository(database))
    database.close()


def ban_request(message_id: int | None = 10) -> InfractionRequest:
    return InfractionRequest(
        guild_id=GUILD,
        user_id=USER,
        kind=CaseType.BAN,
        reason="Mod queue #1: identity_attack",
        moderator_id=MOD,
        labels=("identity_attack",),
        content="the text",
        message_id=message_id,
        channel_id=20,
    )


def banner(calls: list[str], *, fails: bool = False) -> BanCallable:
    async def ban(user_id: int, reason: str) -> None:
        calls.append("ban")
        if fails:
            raise ActionFailedError("missing the Ban Members permission")

    return ban


async def test_ban_runs_record_dm_ban_modlog_in_order(service: InfractionService) -> None:
    calls: list[str] = []
    actions = FakeActions(calls)

    outcome = await apply_ban(service, actions, banner(calls), ban_request())

    assert calls == ["dm", "ban", "modlog"]
    case = outcome.case
    assert (case.type, case.active, case.dm_sent, case.moderator_id) == (CaseType.BAN, True, True, MOD)
    assert case.expires_at is None
    assert outcome.action_error is None and not outcome.duplicate
    assert actions.modlog[0].case.case_number == case.case_number


async def test_closed_dms_do_not_stop_the_ban(service: InfractionService) -> None:
    calls: list[str] = []

    outcome = await apply_ban(service, FakeActions(calls, dm_fails=True), banner(calls), ban_request())

    assert calls == ["dm", "ban", "modlog"]
    assert outcome.dm_error == "DMs closed" and outcome.case.dm_sent is False


async def test_refused_ban_ends_the_case_and_says_why(service: InfractionService) -> None:
    calls: list[str] = []
    actions = FakeActions(calls)

    outcome = await apply_ban(service, actions, banner(calls, fails=True), ban_request())

    assert outcome.action_error == "ban: missing the Ban Members permission"
    assert not outcome.case.active
    assert actions.modlog[0].action_error == outcome.action_error


async def test_a_message_gets_one_ban_case(service: InfractionService) -> None:
    calls: list[str] = []
    first = await apply_ban(service, FakeActions(calls), banner(calls), ban_request())
    calls.clear()

    again = await apply_ban(service, FakeActions(calls), banner(calls), ban_request())

    assert again.duplicate and again.case.case_number == first.case.case_number
    assert calls == []


async def test_only_ban_requests(service: InfractionService) -> None:
    request = InfractionRequest(guild_id=GUILD, user_id=USER, kind=CaseType.WARN, reason="x")
    with pytest.raises(ValueError, match="ban request"):
        await apply_ban(service, FakeActions([]), banner([]), request)
