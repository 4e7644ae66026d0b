"""Start-up: process settings, the one-line errors of ``python -m bot``, the composition root."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import simcord

from bot.discord_adapter.client import WardenBot
from bot.discord_adapter.factory import create_bot
from bot.settings import Settings, SettingsError
from bot.storage.database import Database

REPO = Path(__file__).resolve().parents[2]


def run_bot(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m bot`` with only ``env`` (plus PATH): no token from the developer's shell leaks in."""
    clean = {"PATH": os.environ.get("PATH", ""), **env}
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_token_is_one_line_and_a_non_zero_exit() -> None:
    done = run_bot({})

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "warden: error: DISCORD_TOKEN: is not set (the bot token from the Discord developer portal)"
    ]


def test_invalid_policy_file_is_one_line_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("[thresholds]\ninsult = 1.5\n")

    done = run_bot(
        {"DISCORD_TOKEN": "x", "WARDEN_CONFIG": str(bad), "WARDEN_DB_PATH": str(tmp_path / "w.db")}
    )

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("warden: error: invalid policy:") and "thresholds.insult" in line


def test_unknown_extra_cog_is_one_line(tmp_path: Path) -> None:
    done = run_bot(
        {"DISCORD_TOKEN": "x", "WARDEN_EXTRA_COGS": "mycogs.nope", "WARDEN_DB_PATH": str(tmp_path / "w.db")}
    )

    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("warden: error: WARDEN_EXTRA_COGS: cannot import 'mycogs.nope'")


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("WARDEN_BACKEND", "gpt", "WARDEN_BACKEND"),
        ("WARDEN_LOG_LEVEL", "LOUD", "WARDEN_LOG_LEVEL"),
        ("WARDEN_TEST_GUILD_ID", "abc", "WARDEN_TEST_GUILD_ID"),
        ("WARDEN_CONFIG", "/nonexistent/policy.toml", "no such file"),
    ],
)
def test_bad_settings_name_the_variable(variable: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"DISCORD_TOKEN": "x", variable: value})
    assert fragment in str(raised.value)
    assert "\n" not in str(raised.value)


def test_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "DISCORD_TOKEN": " secret ",
            "WARDEN_BACKEND": "detoxify",
            "WARDEN_TEST_GUILD_ID": "123",
            "WARDEN_EXTRA_COGS": "a.b, c.d ,",
            "WARDEN_LOG_LEVEL": "debug",
        }
    )
    assert settings.discord_token.get_secret_value() == "secret"
    assert "secret" not in repr(settings)
    assert settings.backend == "detoxify" and settings.test_guild_id == 123
    assert settings.extra_cogs == ("a.b", "c.d") and settings.log_level == "DEBUG"


async def test_create_bot_defaults(tmp_path: Path) -> None:
    settings = Settings(discord_token="t", db_path=tmp_path / "w.db")
    bot = create_bot(settings, scorer=object())  # type: ignore[arg-type]  # never scores
    try:
        assert isinstance(bot, WardenBot)
        intents = bot.intents
        assert intents.guilds and intents.guild_messages and intents.message_content and intents.members
        assert not intents.presences
        mentions = bot.allowed_mentions
        assert mentions is not None and mentions.to_dict() == discord.AllowedMentions.none().to_dict()
        assert {"cogs.scoring", "cogs.warnings", "cogs.admin"} <= set(bot.cog_modules)
        assert bot.services.database.schema_version >= 1
    finally:
        await bot.close_services()


async def test_commands_sync_to_the_test_guild_when_set(tmp_path: Path, warden_scorer) -> None:
    guild_id = 1_100_000_000_000_000_001
    settings = Settings(discord_token="t", db_path=tmp_path / "w.db", test_guild_id=guild_id)
    bot = create_bot(settings, scorer=warden_scorer)
    async with simcord.run(bot) as env:
        guild = env.create_guild("Test", id=guild_id)
        channel = guild.create_text_channel("news")
        admin_role = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
        admin = guild.add_member(env.create_user("admin"), roles=[admin_role])
        assert await bot.tree.fetch_commands() == []  # nothing global
        guild_commands = {
            command.name for command in await bot.tree.fetch_commands(guild=discord.Object(guild_id))
        }
        assert {"warden", "warn", "timeout"} <= guild_commands
        result = await admin.slash(channel, "warden status")
        assert result.response.embeds[0].title == "Warden status"
    await bot.close_services()


async def test_graceful_shutdown_drains_the_scorer_and_closes_what_it_built(
    tmp_path: Path, monkeypatch
) -> None:
    import bot.discord_adapter.factory as factory_module
    from tests.e2e.conftest import KeywordBackend

    monkeypatch.setattr(factory_module, "build_scorer_backend", lambda settings: KeywordBackend())
    settings = Settings(discord_token="t", db_path=tmp_path / "w.db")
    bot = create_bot(settings, cogs=[], sync_commands=False)
    await bot.setup_hook()
    services = bot.services
    scorer = services.scorer
    assert scorer.running and services.session is not None
    pending = [asyncio.ensure_future(scorer.score(f"message {n}")) for n in range(5)]
    await asyncio.sleep(0)

    await bot.close_services()

    assert all(task.done() and not task.exception() for task in pending)  # drained, not dropped
    assert not scorer.running
    assert services.session.closed
    with pytest.raises(RuntimeError, match="closed"):
        await services.database.run(lambda: None)


def _member_message(message_id: int, content: str) -> Any:
    """Just what the scoring cog reads of a member's message in a server (no gateway needed)."""
    guild = SimpleNamespace(id=1_200_000_000_000_000_001, get_member=lambda member_id: None)
    return SimpleNamespace(
        id=message_id,
        guild=guild,
        channel=SimpleNamespace(id=1_200_000_000_000_000_002),
        author=SimpleNamespace(id=1_200_000_000_000_000_003),
        content=content,
        reference=None,
        jump_url=f"https://discord.com/channels/1/2/{message_id}",
        created_at=datetime.now(UTC),
        edited_at=None,
    )


async def test_graceful_shutdown_stores_the_scores_of_messages_in_flight(tmp_path: Path, monkeypatch) -> None:
    import bot.discord_adapter.factory as factory_module
    from bot.storage.scores import ScoreRepository
    from tests.e2e.conftest import INSULT, KeywordBackend

    release, entered = threading.Event(), threading.Event()

    class HeldBackend(KeywordBackend):
        """Holds every batch until the shutdown has begun."""

        def score(self, texts: Sequence[str]) -> list:
            entered.set()
            release.wait(10)
            return super().score(texts)

    monkeypatch.setattr(factory_module, "build_scorer_backend", lambda settings: HeldBackend())
    settings = Settings(discord_token="t", db_path=tmp_path / "w.db")
    bot = create_bot(settings, cogs=["cogs.scoring"], sync_commands=False)
    await bot.setup_hook()
    # Any: discord.py imports an extension afresh, so its class is not one this module could import
    cog: Any = bot.get_cog("ScoringCog")
    assert cog is not None
    ids = [1_300_000_000_000_000_000 + n for n in range(5)]
    in_flight = [
        asyncio.ensure_future(cog.process(_member_message(mid, f"{INSULT} ({mid})"), edited=False))
        for mid in ids
    ]
    for _ in range(500):  # every message is past the guards and waiting on the scorer
        if entered.is_set() and bot.in_flight_count == len(ids):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    assert entered.is_set() and bot.in_flight_count == len(ids)

    # As WardenBot.close does it: the cogs are unloaded first, then the services are closed.
    await bot.unload_extension("cogs.scoring")
    closing = asyncio.ensure_future(bot.close_services())
    await asyncio.sleep(0.05)
    release.set()
    await closing

    assert all(task.done() for task in in_flight)
    assert [task.exception() for task in in_flight] == [None] * len(ids)
    assert all(task.result() is not None for task in in_flight)
    assert bot.in_flight_count == 0
    reopened = Database(settings.db_path)
    try:
        scores = ScoreRepository(reopened)
        stored = [scores.get(mid) for mid in ids]
    finally:
        reopened.close()
    assert [record.message_id if record else None for record in stored] == ids
    assert all(record.action == "warn" for record in stored)
