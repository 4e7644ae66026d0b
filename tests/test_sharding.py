"""Shard-owning processes: the ownership filter, the settings that choose a process's shards, and the
chores filtered by it (re-armed expiries on both backends, feed polls)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.context_settings import ContextSettings
from bot.moderation.infractions import InfractionService
from bot.settings import Settings, SettingsError
from bot.sharding import SINGLE_PROCESS, ShardScope, owns_guild, shard_of
from bot.sources.service import ContextService
from bot.storage import CaseRepository, Database
from tests.test_settings_startup import only_line, run_bot


def guild_on(shard: int, count: int, n: int = 0) -> int:
    """A snowflake-shaped guild id on ``shard`` of ``count`` (Discord's rule: ``(id >> 22) % count``)."""
    return ((1_000 * count + n * count + shard) << 22) | (n & 0x3FFFFF)


# --------------------------------------------------------------------------- the filter


def test_shard_of_follows_discords_formula() -> None:
    # a real guild id: its creation time (the bits above 22) is 46977624770 ms after Discord's epoch
    guild = 197038439483310086
    assert guild >> 22 == 46977624770
    assert [shard_of(guild, count) for count in (1, 2, 3, 4, 5)] == [0, 0, 2, 2, 0]
    assert owns_guild(guild, 3, [2]) and not owns_guild(guild, 3, [0, 1])
    assert owns_guild(0, 4, (0,))  # the deployment's own rows (guild 0) belong to shard 0


def test_processes_over_disjoint_shards_partition_the_servers() -> None:
    guilds = [guild_on(shard, 4, n) for n in range(25) for shard in range(4)] + [0, 197038439483310086]
    processes = [ShardScope(count=4, ids=(0, 1), sharded=True), ShardScope(count=4, ids=(2, 3), sharded=True)]
    for guild in guilds:
        assert sum(process.owns(guild) for process in processes) == 1, guild
        assert processes[0].owns(guild) == (shard_of(guild, 4) in (0, 1))


def test_the_single_process_owns_every_server_and_is_primary() -> None:
    assert SINGLE_PROCESS.owns(guild_on(3, 4)) and SINGLE_PROCESS.primary
    assert not SINGLE_PROCESS.sharded and SINGLE_PROCESS.describe() == "unsharded"
    second = ShardScope(count=2, ids=(1,), sharded=True)
    assert not second.primary and second.describe() == "shards 1 of 2"


@pytest.mark.parametrize(
    ("count", "ids", "problem"),
    [(0, (0,), "at least 1"), (2, (), "at least one shard"), (2, (2,), "outside"), (2, (1, 1), "repeat")],
)
def test_an_impossible_scope_is_refused(count: int, ids: tuple[int, ...], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ShardScope(count=count, ids=ids, sharded=True)


# --------------------------------------------------------------------------- the settings


def test_unset_shard_settings_keep_the_single_process() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "x"})
    assert settings.shard_count is None and settings.shard_ids is None
    assert settings.shards is SINGLE_PROCESS


def test_shard_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"DISCORD_TOKEN": "x", "WARDEN_SHARD_COUNT": "4", "WARDEN_SHARD_IDS": " 2, 3 "}
    )
    assert settings.shards == ShardScope(count=4, ids=(2, 3), sharded=True)
    assert Settings(discord_token="x", shard_count=2, shard_ids=[1]).shards.ids == (1,)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"WARDEN_SHARD_COUNT": "2"},
            "WARDEN_SHARD_IDS: is not set (set it with WARDEN_SHARD_COUNT, or neither)",
        ),
        (
            {"WARDEN_SHARD_IDS": "0"},
            "WARDEN_SHARD_COUNT: is not set (set it with WARDEN_SHARD_IDS, or neither)",
        ),
        (
            {"WARDEN_SHARD_COUNT": "2", "WARDEN_SHARD_IDS": "0,2"},
            "WARDEN_SHARD_IDS: 2 outside 0..1 (WARDEN_SHARD_COUNT is 2)",
        ),
        (
            {"WARDEN_SHARD_COUNT": "2", "WARDEN_SHARD_IDS": "1,1"},
            "WARDEN_SHARD_IDS: names a shard twice: 1,1",
        ),
        (
            {"WARDEN_SHARD_COUNT": "2", "WARDEN_SHARD_IDS": "0;1"},
            "WARDEN_SHARD_IDS: must be shard numbers separated by commas, e.g. 0,1 (got '0;1')",
        ),
        ({"WARDEN_SHARD_COUNT": "2", "WARDEN_SHARD_IDS": "-1"}, "WARDEN_SHARD_IDS: must be shard numbers"),
        ({"WARDEN_SHARD_COUNT": "0", "WARDEN_SHARD_IDS": "0"}, "WARDEN_SHARD_COUNT: Input should be greater"),
        (
            {"WARDEN_SHARD_COUNT": "two", "WARDEN_SHARD_IDS": "0"},
            "WARDEN_SHARD_COUNT: Input should be a valid",
        ),
    ],
)
def test_bad_shard_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"DISCORD_TOKEN": "x", **env})
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_a_bad_shard_setting_stops_the_start_with_one_line(tmp_path: object) -> None:
    line = only_line(run_bot({"WARDEN_SHARD_COUNT": "2", "WARDEN_SHARD_IDS": "3"}))
    assert line == "warden: error: WARDEN_SHARD_IDS: 3 outside 0..1 (WARDEN_SHARD_COUNT is 2)"


# --------------------------------------------------------------------------- expiries re-armed by owner


@pytest.mark.backends
async def test_two_processes_rearm_each_stored_expiry_exactly_once(database: Database) -> None:
    cases = CaseRepository(database)
    guilds = [guild_on(shard, 2, n) for n in range(6) for shard in (0, 1)]
    for n, guild in enumerate(guilds):
        for member in (1, 2):
            cases.create(guild_id=guild, user_id=member, type="timeout", duration=timedelta(hours=1 + n))
    cases.create(guild_id=guilds[0], user_id=3, type="warn")  # no expiry: never armed

    processes = [
        InfractionService(database, cases, owns_guild=ShardScope(count=2, ids=(shard,), sharded=True).owns)
        for shard in (0, 1)
    ]
    armed_counts = [await process.reschedule() for process in processes]
    try:
        armed = [
            {
                (case.guild_id, case.case_number)
                for case in cases.active_expiring()
                if case_key_in(process, case)
            }
            for process in processes
        ]
        every = {(case.guild_id, case.case_number) for case in cases.active_expiring()}
        assert len(every) == 2 * len(guilds)
        assert armed[0] | armed[1] == every and not armed[0] & armed[1]
        assert armed_counts == [len(armed[0]), len(armed[1])] == [len(guilds), len(guilds)]
        assert {guild for guild, _ in armed[0]} == set(guilds[0::2])  # shard 0's servers
    finally:
        for process in processes:
            await process.scheduler.aclose()

    unsharded = InfractionService(database, cases)
    assert await unsharded.reschedule() == 2 * len(guilds)  # one process: everything, as before
    await unsharded.scheduler.aclose()


def case_key_in(service: InfractionService, case: object) -> bool:
    return (case.guild_id, case.case_number) in service.scheduler  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- feeds polled by owner

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title><item><title>Summit ends</title>'
    "<link>https://feed.example/summit</link><description>The summit ended with a joint statement."
    "</description><pubDate>Tue, 07 Jan 2020 10:00:00 GMT</pubDate></item></channel></rss>"
)


@pytest.fixture
async def feed_server() -> AsyncIterator[tuple[TestServer, list[str]]]:
    hits: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text=RSS, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{name}.xml", feed)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, hits
    await server.close()


@pytest.mark.backends
async def test_each_process_polls_only_the_feeds_of_its_servers(
    database: Database, feed_server: tuple[TestServer, list[str]]
) -> None:
    server, hits = feed_server
    shard0, shard1 = guild_on(0, 2), guild_on(1, 2)
    async with aiohttp.ClientSession() as session:
        service = ContextService(database, session, ContextSettings(semantic=False, allow_private_hosts=True))
        for name, guild in (("zero", shard0), ("one", shard1), ("deployment", 0)):
            await service.add_feed(str(server.make_url(f"/{name}.xml")), guild_id=guild, poll_now=False)
        assert hits == []

        await service.poll_due_feeds(ShardScope(count=2, ids=(1,), sharded=True).owns)
        assert hits == ["/one.xml"]
        await service.poll_due_feeds(ShardScope(count=2, ids=(0,), sharded=True).owns)
        assert sorted(hits) == ["/deployment.xml", "/one.xml", "/zero.xml"]  # guild 0 is shard 0's
        polled = {feed["guild_id"]: feed["last_polled"] for feed in await service.list_feeds()}
        assert all(polled.values())
