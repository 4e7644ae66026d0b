"""The layering the architecture promises, checked on the source: the plain-Python core loads no
discord.py, nothing under ``bot/`` imports a cog, and no cog imports another cog."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CORE = ("bot", "bot.policy", "bot.scoring", "bot.storage", "bot.sources", "bot.moderation", "bot.pipeline")


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``TYPE_CHECKING`` imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_plain_python_core_loads_no_discord() -> None:
    code = (
        f"import sys, {', '.join(CORE)}, bot.services, bot.events, bot.errors, bot.settings\n"
        "loaded = sorted(name for name in sys.modules if name == 'discord' or name.startswith('discord.'))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr


def test_nothing_under_bot_imports_a_cog() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "cogs"
        )
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_no_cog_imports_another_cog() -> None:
    offenders: dict[str, list[str]] = {}
    for path in (ROOT / "cogs").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if len(parts) < 3:  # cogs/__init__.py
            continue
        own = f"cogs.{parts[1]}"
        others = [
            name
            for name in imported_modules(path)
            if name.startswith("cogs.") and name != own and not name.startswith(own + ".")
        ]
        if others:
            offenders[str(path.relative_to(ROOT))] = sorted(others)
    assert offenders == {}


def test_the_checks_would_catch_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import cogs.scoring\nif TYPE_CHECKING:\n    from cogs.warnings.cog import WarningsCog\n"
        "from . import sibling\n"
    )
    assert imported_modules(sample) == {"__future__", "typing", "cogs.scoring", "cogs.warnings.cog"}
