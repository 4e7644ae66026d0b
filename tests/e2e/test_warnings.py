"""Infractions end to end: policy actions, moderator commands, hierarchy, closed DMs, appeals, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.errors import CaseNotFoundError, HierarchyError
from bot.storage.cases import CaseRepository, CaseType
from tests.e2e.conftest import INSULT, INSULT_2, INSULT_3, World, expect_error

pytestmark = pytest.mark.backends  # the bot runs on a SQLite file, then on PostgreSQL


async def test_closed_dms_are_recorded_not_fatal(world: World) -> None:
    world.close_dms(world.alice)

    await world.alice.send(world.news, INSULT)

    (case,) = await world.cases(world.alice)
    assert case.dm_sent is False
    assert "50007" in (case.dm_error or "")
    modlog = world.modlog()[0].embeds[0]
    assert "not delivered" in {field.name: field.value for field in modlog.fields}["DM"]


async def test_third_warning_in_a_day_escalates_to_timeout(world: World) -> None:
    first = await world.alice.send(world.news, INSULT)
    second = await world.alice.send(world.news, INSULT_2)
    third = await world.alice.send(world.news, INSULT_3)

    cases = await world.cases(world.alice)
    assert [case.type.value for case in cases] == ["warn", "warn", "timeout"]
    timeout = cases[2]
    assert timeout.active and timeout.expires_at is not None
    assert world.alice.member.is_timed_out()
    # timeout removes the message that earned it; the warnings' messages stay
    remaining = {message.id for message in world.news.history()}
    assert first.id in remaining and second.id in remaining and third.id not in remaining
    dm = world.dms(world.alice)[-1].embeds[0]
    assert "timed out for 10 minutes" in dm.title
    assert "3rd warning in 24 h" in {field.name: field.value for field in dm.fields}["Reason"]


async def test_timeout_expires_and_the_case_ends(world: World) -> None:
    result = await world.moderator.slash(
        world.news, "timeout", member=world.alice, minutes=5, reason="cool off"
    )
    assert "Case #1" in result.response.content
    assert (await world.cases(world.alice))[0].active

    await world.env.advance_time(5 * 60 + 1)

    (case,) = await world.cases(world.alice)
    assert not case.active
    assert "expired" in world.modlog()[-1].embeds[0].title


async def test_expiries_are_rescheduled_on_start(world: World) -> None:
    await world.moderator.slash(world.news, "timeout", member=world.alice, minutes=5, reason="cool off")
    from bot.discord_adapter.factory import create_bot

    # a new process on the same database: the expiry comes from the stored case
    services = world.bot.services
    await world.bot.services.infractions.scheduler.aclose()
    fresh = create_bot(services.settings, database=services.database, scorer=services.scorer)
    await world.env.restart_bot(fresh)
    assert len(fresh.services.infractions.scheduler) == 1

    await world.env.advance_time(5 * 60 + 1)

    (case,) = await world.cases(world.alice)
    assert not case.active
    await fresh.close_services()


async def test_a_case_past_due_at_start_is_expired_with_its_modlog_post(world: World) -> None:
    from bot.discord_adapter.factory import create_bot

    # a timeout that ended while no process ran (stored as the stopped process left it)
    services = world.bot.services
    cases = services.cases
    assert isinstance(cases, CaseRepository)
    stored = await world.database.run(
        lambda: cases.create(
            guild_id=world.guild.id,
            user_id=world.alice.id,
            type=CaseType.TIMEOUT,
            reason="cool off",
            moderator_id=world.moderator.id,
            created_at=datetime.now(UTC) - timedelta(minutes=10),
            duration=timedelta(minutes=5),
        )
    )
    assert stored.active
    await services.infractions.scheduler.aclose()
    posted = len(world.modlog())

    # the next process expires it at start, once it knows the server: the modlog says so
    fresh = create_bot(services.settings, database=services.database, scorer=services.scorer)
    rescheduled_when: list[tuple[bool, bool]] = []  # (bot ready, server known) when the timers were armed
    rearm = fresh.services.infractions.reschedule

    async def watched_rearm() -> int:
        rescheduled_when.append((fresh.is_ready(), fresh.get_guild(world.guild.id) is not None))
        return await rearm()

    fresh.services.infractions.reschedule = watched_rearm  # type: ignore[method-assign]
    await world.env.restart_bot(fresh)
    await world.env.settle()

    # armed once, after READY: not while the cogs load, when no server is known yet (a production
    # gateway connects seconds later, so an expiry run then could not post to the modlog)
    assert rescheduled_when == [(True, True)]
    (case,) = await world.cases(world.alice)
    assert not case.active
    (expired,) = world.modlog()[posted:]
    assert "expired" in expired.embeds[0].title and f"#{case.case_number}" in expired.embeds[0].title
    await fresh.close_services()


async def test_warn_pardon_cases_and_case_commands(world: World) -> None:
    warned = await world.moderator.slash(world.news, "warn", member=world.alice, reason="Stay on topic")
    assert warned.ephemeral
    assert "Case #1" in warned.response.content and "DM sent" in warned.response.content
    assert "Stay on topic" in {f.name: f.value for f in world.dms(world.alice)[0].embeds[0].fields}["Reason"]

    listed = await world.moderator.slash(world.news, "cases", user=world.alice)
    assert "#1" in listed.response.content and "warn" in listed.response.content

    shown = await world.moderator.slash(world.news, "case", id=1)
    fields = {field.name: field.value for field in shown.response.embeds[0].fields}
    assert fields["State"] == "active"

    pardoned = await world.moderator.slash(world.news, "pardon", case=1, reason="misread")
    assert "pardoned" in pardoned.response.content
    (case,) = await world.cases(world.alice)
    assert case.pardoned and not case.active
    assert "pardoned" in world.dms(world.alice)[-1].embeds[0].title
    assert "pardoned" in world.modlog()[-1].embeds[0].title

    missing = await world.moderator.slash(world.news, "case", id=42)
    assert "no case #42" in missing.response.content
    expect_error(world.env, CaseNotFoundError)


async def test_pardoned_warnings_stop_counting_toward_escalation(world: World) -> None:
    await world.alice.send(world.news, INSULT)
    await world.alice.send(world.news, INSULT_2)
    await world.moderator.slash(world.news, "pardon", case=1, reason="context")
    await world.alice.send(world.news, INSULT_3)

    assert [case.type.value for case in await world.cases(world.alice)] == ["warn", "warn", "warn"]


async def test_role_hierarchy_is_respected(world: World) -> None:
    senior = world.guild.create_role(
        "Senior", permissions=discord.Permissions(manage_messages=True), position=50
    )
    boss = world.add_member("boss", senior)

    result = await world.moderator.slash(world.news, "warn", member=boss, reason="no")

    assert result.ephemeral
    assert "at or above my top role" in result.response.content
    expect_error(world.env, HierarchyError)
    assert await world.cases(boss) == []

    peer = world.add_member("peer", world.mod_role)
    result = await world.moderator.slash(world.news, "warn", member=peer, reason="no")
    assert "at or above your top role" in result.response.content
    expect_error(world.env, HierarchyError)


async def test_non_moderators_cannot_warn(world: World) -> None:
    import pytest
    from simcord import SetupError

    with pytest.raises(SetupError, match="not visible"):
        await world.alice.slash(world.news, "warn", member=world.bob, reason="x")


async def test_echoed_excerpt_pings_nobody(world: World) -> None:
    text = f"@everyone {world.mod_role.mention} {world.bob.mention} you are all idiots and morons"

    await world.alice.send(world.news, text)

    sent = world.requests("POST", "/channels/*/messages")
    assert sent, "the bot posted nothing"
    for request in sent:
        mentions = (request.json or {}).get("allowed_mentions")
        assert mentions is not None and mentions.get("parse") == [], request
        assert not mentions.get("users") and not mentions.get("roles"), request
    dm_excerpt = {f.name: f.value for f in world.dms(world.alice)[0].embeds[0].fields}["Your message"]
    assert "@everyone" not in dm_excerpt and "@\u200beveryone" in dm_excerpt
    assert f"<@{world.bob.id}>" not in dm_excerpt


async def test_appeal_from_the_dm_lands_in_the_queue_linked_to_its_case(world: World) -> None:
    await world.alice.send(world.news, INSULT)
    (dm,) = world.dms(world.alice)
    (case,) = await world.cases(world.alice)
    received: list[Any] = []

    async def collect(event: object) -> None:
        received.append(event)

    world.bot.add_listener(collect, "on_warden_appeal")

    shown = await world.alice.user.click(dm, label="Appeal")
    assert shown.modal is not None
    done = await world.alice.user.submit_modal(shown, {"warden:appeal:text": "I was quoting someone else."})

    assert "sent to the moderators" in done.response.content
    entries = await world.database.run(world.bot.services.queue.list_open, world.guild.id)
    appeals = [entry for entry in entries if entry.source.value == "appeal"]
    assert len(appeals) == 1 and appeals[0].case_id == case.id
    assert appeals[0].excerpt == "I was quoting someone else."
    assert [event.case_number for event in received] == [case.case_number]

    again = await world.alice.user.click(dm, label="Appeal")
    second = await world.alice.user.submit_modal(again, {"warden:appeal:text": "Please look again."})
    assert "already waiting" in second.response.content


async def test_a_case_is_appealed_once_even_after_the_appeal_was_upheld(world: World) -> None:
    await world.alice.send(world.news, INSULT)
    (dm,) = world.dms(world.alice)
    (case,) = await world.cases(world.alice)
    shown = await world.alice.user.click(dm, label="Appeal")
    await world.alice.user.submit_modal(shown, {"warden:appeal:text": "I was quoting someone else."})
    posted = world.queue_messages()
    appeal_post = posted[-1]
    # A second modal opened while the first appeal waits, submitted after the moderators decided.
    late = await world.alice.user.click(dm, label="Appeal")
    assert late.modal is not None

    await world.moderator.click(appeal_post, label="Uphold")
    (upheld,) = [entry for entry in await _appeals(world) if entry.case_id == case.id]
    assert upheld.status.value == "resolved"

    submitted = await world.alice.user.submit_modal(late, {"warden:appeal:text": "Please look again."})
    assert "already appealed" in submitted.response.content
    assert "only once" in submitted.response.content
    again = await world.alice.user.click(dm, label="Appeal")
    assert again.modal is None, "a decided appeal must not open the modal again"
    assert "already appealed" in again.response.content
    assert [entry.id for entry in await _appeals(world)] == [upheld.id]
    assert len(world.queue_messages()) == len(posted), "a refused appeal was posted in the queue"
    (still,) = await world.cases(world.alice)
    assert still.active and not still.pardoned


async def _appeals(world: World) -> list:
    def read() -> list:
        with world.database.connection() as db:
            ids = [row[0] for row in db.execute("SELECT id FROM queue_entries WHERE source = 'appeal'")]
        return [world.bot.services.queue.get(entry_id) for entry_id in ids]

    return await world.database.run(read)


async def test_appeal_button_survives_a_restart(world: World) -> None:
    await world.alice.send(world.news, INSULT)
    (dm,) = world.dms(world.alice)
    services = world.bot.services
    from bot.discord_adapter.factory import create_bot

    fresh = create_bot(services.settings, database=services.database, scorer=services.scorer)
    await world.env.restart_bot(fresh)

    shown = await world.alice.user.click(dm, label="Appeal")
    assert shown.modal is not None
    await fresh.close_services()


async def test_missing_bot_permission_is_named_to_the_moderator(world: World) -> None:
    from discord import app_commands

    bot_role = world.guild.me.top_role
    perms = discord.Permissions(bot_role.permissions.value)
    perms.moderate_members = False
    world.env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": perms.value})
    await world.env.settle()

    result = await world.moderator.slash(world.news, "timeout", member=world.alice, minutes=5, reason="x")

    assert result.ephemeral
    assert "I am missing the **Timeout Members** permission" in result.response.content
    expect_error(world.env, app_commands.BotMissingPermissions)
    assert await world.cases(world.alice) == []


async def test_discord_refusing_an_automatic_delete_is_logged_in_the_modlog(world: World) -> None:
    me = world.guild.me
    assert me is not None
    locked = world.guild.create_text_channel(
        "locked", overwrites={me: discord.PermissionOverwrite(manage_messages=False)}
    )
    await world.set_policy(
        watched_channels=[locked.id],
        label_actions={"insult": {"low": "log", "medium": "delete", "high": "delete"}},
    )

    message = await world.alice.send(locked, INSULT)

    (case,) = await world.cases(world.alice)
    assert case.type.value == "delete"
    assert message.id in {m.id for m in locked.history()}  # Discord refused: still there
    fields = {field.name: field.value for field in world.modlog()[-1].embeds[0].fields}
    assert "Manage Messages" in fields["Not done"]


async def test_unexpected_listener_error_is_logged_and_the_bot_carries_on(world: World, caplog) -> None:
    policies = world.bot.services.policies
    original = policies.get
    calls = {"n": 0}

    async def flaky(guild_id: int):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return await original(guild_id)

    policies.get = flaky  # type: ignore[method-assign]
    first = await world.alice.send(world.news, INSULT)
    # the listener logs it with the message, member and server ids (and the traceback)
    logged = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert any(
        str(first.id) in r.getMessage()
        and str(world.alice.id) in r.getMessage()
        and str(world.guild.id) in r.getMessage()
        and isinstance(r.exc_info[1], RuntimeError)
        for r in logged
    )

    await world.alice.send(world.news, INSULT_2)
    assert len(await world.cases(world.alice)) == 1
