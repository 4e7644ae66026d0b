"""``/warden ...`` end to end: who may use it, what it changes."""

from __future__ import annotations

import pytest
from simcord import SetupError

from bot.errors import InvalidSettingError, MissingPermissionError
from tests.e2e.conftest import INSULT, World, expect_error


async def test_setup_by_admin_changes_watched_queue_and_modlog(world: World) -> None:
    result = await world.admin.slash(
        world.news, "warden setup", watch=world.off_topic, unwatch=world.news, modlog=world.queue_channel
    )

    assert result.ephemeral
    assert "Saved." in result.response.content
    policy = await world.policy()
    assert list(policy.watched_channels) == [world.off_topic.id]
    assert policy.modlog_channel_id == world.queue_channel.id


async def test_admin_commands_are_hidden_from_members(world: World) -> None:
    with pytest.raises(SetupError, match="not visible"):
        await world.alice.slash(world.news, "warden status")


async def test_admin_commands_recheck_manage_server_at_run_time(world: World) -> None:
    # A server admin can let anyone see the command in the integration settings: the bot still refuses.
    commands = await world.bot.tree.fetch_commands()
    warden = next(command for command in commands if command.name == "warden")
    world.guild.set_command_permissions(warden, {world.alice: True})

    result = await world.alice.slash(world.news, "warden dryrun", state="on")

    assert result.ephemeral
    assert "Manage Server" in result.response.content
    expect_error(world.env, MissingPermissionError)
    assert (await world.policy()).dry_run is False


async def test_thresholds_view_and_set(world: World) -> None:
    shown = await world.admin.slash(world.news, "warden thresholds")
    assert "insult" in shown.response.content

    changed = await world.admin.slash(world.news, "warden thresholds", label="insult", value=0.95)

    assert "`insult` threshold set to 0.95" in changed.response.content
    assert (await world.policy()).thresholds.insult == 0.95


@pytest.mark.parametrize("value", [0.0, 1.5, -0.2])
async def test_threshold_out_of_range_names_the_label(world: World, value: float) -> None:
    before = (await world.policy()).thresholds.threat  # the shipped default (config/default.toml)
    assert 0 < before <= 1 and before != value
    result = await world.admin.slash(world.news, "warden thresholds", label="threat", value=value)

    assert result.ephemeral
    assert "`threat`" in result.response.content
    error = expect_error(world.env, InvalidSettingError)
    assert isinstance(error, InvalidSettingError) and error.name == "threat"
    assert (await world.policy()).thresholds.threat == before  # the refused value was not stored


async def test_dryrun_toggle(world: World) -> None:
    on = await world.admin.slash(world.news, "warden dryrun", state="on")
    assert "on" in on.response.content
    assert (await world.policy()).dry_run is True
    await world.admin.slash(world.news, "warden dryrun", state="off")
    assert (await world.policy()).dry_run is False


async def test_status_reports_backend_model_queue_latency_and_today(world: World) -> None:
    await world.bob.send(world.news, "Good morning everyone, anything new on the summit?")
    await world.alice.send(world.news, INSULT)

    result = await world.admin.slash(world.news, "warden status")

    embed = result.response.embeds[0]
    fields = {field.name: field.value for field in embed.fields}
    assert fields["Backend"] == world.bot.services.backend_name
    assert fields["Model version"] == world.bot.services.model_version
    runtime = world.bot.services.runtime  # the embedded model says which runtime runs it, and why
    if getattr(world.bot.services.scorer.backend, "runtime", None) is not None:
        assert runtime and fields["Runtime"] == runtime
    else:  # a backend that does not say (the keyword stand-in, detoxify) gets no field
        assert "Runtime" not in fields
    assert "p50" in fields["Scoring latency"] and "p99" in fields["Scoring latency"]
    assert fields["Today (UTC)"].startswith("2 messages scored, 1 flagged")
    assert "Mod queue (open)" in fields


async def test_forget_erases_scores_but_keeps_cases(world: World) -> None:
    await world.alice.send(world.news, INSULT)
    assert len(await world.cases(world.alice)) == 1

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    assert "1 scored messages" in result.response.content
    stats = await world.database.run(world.bot.services.scores.stats_today, world.guild.id)
    assert stats.scored == 0
    assert len(await world.cases(world.alice)) == 1


async def test_forget_erases_the_reasons_of_reports_the_member_filed(world: World, monkeypatch) -> None:
    from cogs.modqueue.cog import REPORT_MENU_NAME

    reported = await world.bob.send(world.off_topic, "Nobody asked for your opinion.")
    shown = await world.alice.context_menu(world.off_topic, REPORT_MENU_NAME, reported)
    await world.alice.submit_modal(shown, {"warden:mq:report:reason": "bob keeps following me around"})
    queue = world.bot.services.queue
    (entry,) = await world.database.run(queue.list_open, world.guild.id)
    assert entry.reporter_id == world.alice.id and "following me" in entry.reason
    forgotten: list[tuple[int, int]] = []

    class Context:  # the context feature's half of /warden forget (its own tests cover what it erases)
        async def forget_user(self, guild_id: int, user_id: int) -> int:
            forgotten.append((guild_id, user_id))
            return 3

    monkeypatch.setattr(world.bot.services, "context", Context())

    result = await world.admin.slash(world.news, "warden forget", user=world.alice)

    assert "1 report reason(s)" in result.response.content
    assert "3 context request row(s)" in result.response.content
    assert forgotten == [(world.guild.id, world.alice.id)]
    after = await world.database.run(queue.get, entry.id)
    assert after is not None and after.reason == "" and after.reporter_id == world.alice.id
    assert after.excerpt == entry.excerpt  # bob's message is bob's to forget, not alice's


async def test_cog_disable_silences_the_feature(world: World) -> None:
    result = await world.admin.slash(world.news, "warden cog", action="disable", name="scoring")
    assert "off" in result.response.content

    await world.alice.send(world.news, INSULT)

    assert await world.cases() == []
    await world.admin.slash(world.news, "warden cog", action="enable", name="scoring")
    await world.alice.send(world.news, INSULT)
    assert len(await world.cases()) == 1


async def test_disabled_cog_refuses_its_commands(world: World) -> None:
    await world.admin.slash(world.news, "warden cog", action="disable", name="warnings")

    result = await world.moderator.slash(world.news, "warn", member=world.alice, reason="test")

    assert "switched off" in result.response.content
    from bot.errors import CogDisabledError

    expect_error(world.env, CogDisabledError)


async def test_admin_cannot_be_disabled(world: World) -> None:
    result = await world.admin.slash(world.news, "warden cog", action="disable", name="admin")
    assert "can't be switched off" in result.response.content
    expect_error(world.env, InvalidSettingError)


async def test_setup_names_the_permission_warden_lacks_in_a_channel(world: World) -> None:
    import discord

    me = world.guild.me

    assert me is not None

    locked = world.guild.create_text_channel(
        "locked-log", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )

    result = await world.admin.slash(world.news, "warden setup", modlog=locked)

    assert "I am missing **Send Messages" in result.response.content
    assert (await world.policy()).modlog_channel_id == locked.id
