"""The import-linter contract that keeps discord.py out of the core names every core module."""

from __future__ import annotations

import tomllib

from tests.conftest import REPO_ROOT

NOT_CORE = {"discord_adapter", "__main__", "__init__"}
"""The Discord adapter and the entry point import discord.py; ``bot/__init__.py`` imports nothing."""


def test_the_plain_python_core_contract_lists_every_bot_module() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if "discord" in contract.get("forbidden_modules", [])
    ]
    listed = {name.removeprefix("bot.") for name in contract["source_modules"] if name.startswith("bot.")}
    on_disk = {
        path.stem
        for path in (REPO_ROOT / "bot").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists()) and path.stem not in NOT_CORE
    }
    assert listed == on_disk, "add the new bot module to the contract in pyproject.toml (or to NOT_CORE)"
