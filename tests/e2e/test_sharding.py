"""Shard-owning processes on simcord: ``WARDEN_SHARD_COUNT``/``WARDEN_SHARD_IDS`` run an
``AutoShardedBot`` over those shards, which re-arms the stored expiries of its own servers only; the
process owning shard 0 syncs the slash commands, the others do not; unset, the plain client is
unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.context_settings import ContextSettings
from bot.discord_adapter.client import ShardedWardenBot, WardenBot
from bot.discord_adapter.factory import create_bot
from bot.settings import Settings
from bot.sharding import ShardScope
from bot.sources.service import ContextService
from bot.storage.cases import CaseRepository, CaseType
from bot.storage.database import Database


def sharded(tmp_path: Path, *ids: int, count: int = 2, **extra: Any) -> Settings:
    return Settings(
        discord_token="t", db_path=tmp_path / "w.db", shard_count=count, shard_ids=list(ids), **extra
    )


async def test_unset_shard_settings_build_the_plain_client(tmp_path: Path) -> None:
    bot = create_bot(Settings(discord_token="t", db_path=tmp_path / "w.db"), scorer=object())  # type: ignore[arg-type]  # never scores
    try:
        assert type(bot) is WardenBot and not isinstance(bot, discord.AutoShardedClient)
        assert bot.shard_count is None and bot.shard_scope.primary and bot.owns_guild(12345 << 22)
    finally:
        await bot.close_services()


async def test_shard_settings_build_an_auto_sharded_bot_over_those_shards(tmp_path: Path) -> None:
    bot = create_bot(sharded(tmp_path, 1, 2, count=4), scorer=object())  # type: ignore[arg-type]  # never scores
    try:
        assert isinstance(bot, ShardedWardenBot) and isinstance(bot, discord.AutoShardedClient)
        assert bot.shard_count == 4 and bot.shard_ids == [1, 2]
        assert bot.shard_scope == ShardScope(count=4, ids=(1, 2), sharded=True)
        assert bot.owns_guild(1 << 22) and not bot.owns_guild(3 << 22)
    finally:
        await bot.close_services()


async def _past_due_timeout(bot: WardenBot, guild_id: int, user_id: int) -> Any:
    """A timeout that ended while no process ran, stored as a stopped process leaves it."""
    services = bot.services
    cases = services.cases
    assert isinstance(cases, CaseRepository)
    return await services.database.run(
        lambda: cases.create(
            guild_id=guild_id,
            user_id=user_id,
            type=CaseType.TIMEOUT,
            reason="cool off",
            moderator_id=1,
            created_at=datetime.now(UTC) - timedelta(minutes=10),
            duration=timedelta(minutes=5),
        )
    )


async def test_each_shard_process_expires_only_its_own_servers_stored_cases(
    tmp_path: Path, warden_scorer: Any
) -> None:
    database = Database(tmp_path / "w.db")
    both = create_bot(sharded(tmp_path, 0, 1), database=database, scorer=warden_scorer)
    async with simcord.run(both) as env:
        # one process over both shards first: it sees both servers and syncs the commands
        servers = [env.create_guild(f"Server on shard {shard}", shard_id=shard) for shard in (0, 1)]
        modlogs = [server.create_text_channel("modlog") for server in servers]
        members = [server.add_member(env.create_user(f"member{n}")) for n, server in enumerate(servers)]
        await env.settle()
        assert {guild.id for guild in both.guilds} == {server.id for server in servers}
        assert {command.name for command in await both.tree.fetch_commands()} >= {"warden", "timeout"}
        for server, modlog in zip(servers, modlogs, strict=True):
            await both.services.policies.update(server.id, {"modlog_channel_id": modlog.id})
        stored = [
            await _past_due_timeout(both, server.id, member.id)
            for server, member in zip(servers, members, strict=True)
        ]
        await both.services.infractions.scheduler.aclose()

        async def active() -> list[bool]:
            found = [
                await database.run(both.services.cases.get, case.guild_id, case.case_number)
                for case in stored
            ]
            return [case.active for case in found]

        assert await active() == [True, True]

        # the process of shard 1 starts: it expires shard 1's case (with its modlog post), not shard 0's
        second = create_bot(sharded(tmp_path, 1), database=database, scorer=warden_scorer)
        await env.restart_bot(second)
        await env.settle()
        assert [guild.id for guild in second.guilds] == [servers[1].id]
        assert await active() == [True, False]
        (expired,) = modlogs[1].history()
        assert "expired" in expired.embeds[0].title and "#1" in expired.embeds[0].title
        assert modlogs[0].history() == []
        await second.close_services()

        # then the process of shard 0: shard 0's case
        first = create_bot(sharded(tmp_path, 0), database=database, scorer=warden_scorer)
        await env.restart_bot(first)
        await env.settle()
        assert [guild.id for guild in first.guilds] == [servers[0].id]
        assert await active() == [False, False]
        (expired,) = modlogs[0].history()
        assert "expired" in expired.embeds[0].title
        assert len(modlogs[1].history()) == 1  # shard 1's case was not expired twice
        await first.close_services()
    await both.close_services()
    database.close()


async def test_only_the_process_owning_shard_0_syncs_the_slash_commands(
    tmp_path: Path, warden_scorer: Any
) -> None:
    other = create_bot(sharded(tmp_path, 1), scorer=warden_scorer)
    async with simcord.run(other) as env:
        env.create_guild("Server on shard 1", shard_id=1)
        await env.settle()
        assert await other.tree.fetch_commands() == []  # not synced by this process
    await other.close_services()

    primary = create_bot(sharded(tmp_path, 0), scorer=warden_scorer)
    async with simcord.run(primary) as env:
        env.create_guild("Server on shard 0", shard_id=0)
        await env.settle()
        assert {command.name for command in await primary.tree.fetch_commands()} >= {"warden", "timeout"}
    await primary.close_services()


RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><item><title>Summit ends</title>'
    "<link>https://feed.example/summit</link><description>The summit ended with a joint statement."
    "</description></item></channel></rss>"
)


async def test_the_context_cog_polls_only_the_feeds_of_its_shards_servers(
    tmp_path: Path, warden_scorer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits: list[str] = []
    prunes: list[int] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text=RSS, content_type="application/rss+xml")

    async def counted_prune(service: ContextService) -> int:
        prunes.append(1)
        return 0

    monkeypatch.setattr(ContextService, "prune_requests", counted_prune)
    app = web.Application()
    app.router.add_get("/{name}.xml", feed)
    feeds = TestServer(app, host="127.0.0.1")
    await feeds.start_server()
    context = ContextSettings(semantic=False, allow_private_hosts=True)

    # shard 1's process: its feed task's first round runs at READY (nothing followed yet), then the
    # feeds of a server on each shard and the deployment's are followed, and the next round polls
    first = create_bot(sharded(tmp_path, 1, context=context), scorer=warden_scorer)
    async with simcord.run(first) as env:
        env.create_guild("Server on shard 1", shard_id=1)
        await env.settle()
        service = first.services.context
        assert isinstance(service, ContextService)
        for name, guild in (("zero", 4 << 22), ("one", 7 << 22), ("deployment", 0)):
            await service.add_feed(str(feeds.make_url(f"/{name}.xml")), guild_id=guild, poll_now=False)
        cog: Any = first.get_cog("Context")  # the extension's class (discord.py imports it afresh)
        assert cog is not None
        await cog.poll_feeds()  # one round of the cog's feed task, as its loop runs it
    await first.close_services()
    assert hits == ["/one.xml"] and prunes == []

    # shard 0's process, on the same database: its first round (at READY) polls the rest and prunes
    hits.clear()
    second = create_bot(sharded(tmp_path, 0, context=context), scorer=warden_scorer)
    async with simcord.run(second) as env:
        env.create_guild("Server on shard 0", shard_id=0)
        await env.settle()
    await second.close_services()
    assert sorted(hits) == ["/deployment.xml", "/zero.xml"] and prunes == [1]
    await feeds.close()
