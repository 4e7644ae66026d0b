"""Every cog loads, and no two define the same command (python-discord's ``test_cogs`` idea)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import simcord
from discord import app_commands

from bot.discord_adapter.client import WardenBot
from bot.discord_adapter.factory import create_bot
from bot.discord_adapter.plugin import WardenCog
from bot.settings import BUILT_IN_COGS, Settings
from cogs import discover
from tests.e2e.conftest import KeywordBackend, build_test_scorer

PLUGINS = ["examples.cogs.decision_logger"]


def test_discovery_finds_the_built_in_cogs() -> None:
    found = discover()
    assert {"cogs.scoring", "cogs.warnings", "cogs.admin"} <= set(found)
    assert found == sorted(found)


def test_every_cog_package_is_loaded_by_name() -> None:
    """The bot loads the built-in cogs by name (it never imports ``cogs``): every package is listed."""
    assert list(BUILT_IN_COGS) == discover()


@contextlib.asynccontextmanager
async def logged_in(tmp_path: Path) -> AsyncIterator[WardenBot]:
    """A production bot with no cog loaded yet, logged in to simcord (cogs start their loops on load)."""
    settings = Settings(discord_token="t", db_path=tmp_path / "w.db")
    bot = create_bot(settings, scorer=await build_test_scorer(KeywordBackend()), cogs=[], sync_commands=False)
    try:
        async with simcord.run(bot):
            yield bot
            for extension in list(bot.extensions):
                await bot.unload_extension(extension)
    finally:
        await bot.close_services()
        await bot.services.scorer.close()


@pytest.mark.parametrize("module", [*discover(), *PLUGINS])
async def test_each_cog_loads_alone(module: str, tmp_path: Path) -> None:
    async with logged_in(tmp_path) as bot:
        await bot.load_extension(module)
        assert any(isinstance(cog, WardenCog) for cog in bot.cogs.values())


async def test_no_clashing_command_names(tmp_path: Path) -> None:
    async with logged_in(tmp_path) as bot:
        names: Counter[tuple[str, str]] = Counter()
        features: Counter[str] = Counter()
        for module in [*discover(), *PLUGINS]:
            await bot.load_extension(module)  # a clash already raises CommandAlreadyRegistered here
        for cog in bot.cogs.values():
            assert isinstance(cog, WardenCog), f"{cog.qualified_name} does not derive from WardenCog"
            features[cog.feature] += 1
            for command in cog.walk_app_commands():
                kind = "group" if isinstance(command, app_commands.Group) else "slash"
                names[(kind, command.qualified_name)] += 1
        for menu in bot.tree.get_commands(type=None):
            if isinstance(menu, app_commands.ContextMenu):
                names[(f"menu-{menu.type.name}", menu.name)] += 1
        clashes = {name: count for name, count in names.items() if count > 1}
        assert not clashes, f"clashing command names: {clashes}"
        assert not {feature for feature, count in features.items() if count > 1}, features
        top_level = [command.name for command in bot.tree.get_commands()]
        assert len(top_level) == len(set(top_level)), top_level
